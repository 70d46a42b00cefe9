#!/bin/bash
# The administrators' keychain: cws-invite keeps the administrator key in
# the Secret Service (a real gnome-keyring in a private, headless
# dbus-run-session) and falls back to the encrypted file when there is no
# session bus, or no answer within the bound; a locked keyring is an
# error, never a fallback. Everything lives under the test's temp dir.
if [ -z "${CWS_KEYCHAIN_SESSION:-}" ]; then
        if ! command -v dbus-run-session >/dev/null; then
                echo "not ok - dbus-run-session is installed (package dbus-daemon; make deps)"
                exit 1
        fi
        # Never the caller's own session bus or keyring.
        unset DBUS_SESSION_BUS_ADDRESS
        CWS_KEYCHAIN_SESSION=1 exec dbus-run-session -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
unset CWS_KEYCHAIN
# Every output of every command goes to all.log, searched for the key at the end.
eval "lib_$(declare -f expect_rc)"
expect_rc() { lib_expect_rc "$@"; cat "$T/out" "$T/err" >>"$T/all.log"; }

export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_DATA_HOME=$T/home/.local/share \
        XDG_CACHE_HOME=$T/home/.cache XDG_RUNTIME_DIR=$T/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
nobus() { env -u DBUS_SESSION_BUS_ADDRESS "$@"; }
has_secrets() {
        gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true
}
# secret_hex ATTR VALUE: the stored secret, hex-encoded (secret-tool prints it raw).
secret_hex() { secret-tool lookup "$1" "$2" | od -An -v -tx1 | tr -d ' \n'; }

for tool in gnome-keyring-daemon secret-tool gdbus; do
        check "$tool is installed (make deps)" bash -c "command -v $tool >/dev/null"
done
command -v gnome-keyring-daemon >/dev/null || exit 1

printf 'keyring password' | gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$T/gk.log" 2>&1 &
GK=$!
PIDS+=("$GK")
for _ in $(seq 100); do has_secrets && break; sleep 0.05; done
check "gnome-keyring answers on the private session bus" has_secrets

# --- Secret Service ---------------------------------------------------
invite --json keychain >"$T/kc0.json"
cat "$T/kc0.json" >>"$T/all.log"
check "keychain before init: secret-service, high, no key yet" \
        json_test "$T/kc0.json" 'j.items() >= {"keychain": "secret-service", "mode": "auto", "security_level": "high",
                "secret_service": "ready", "fallback_reason": None, "keyring": "Login", "locked": False,
                "admin_key": "none"}.items()'
expect_rc "init stores the key in the Secret Service" 0 invite --json init
cp "$T/out" "$T/init.json"
check "init --json says secret-service" \
        json_test "$T/init.json" 'j["keychain"] == "secret-service" and j["fallback_reason"] is None'
check "no keystore file was written" test ! -e "$KS"
check "nothing under the configuration directory" test ! -e "$XDG_CONFIG_HOME/cws"
KEYHEX=$(secret_hex keystore "$KS")
check "the keyring item holds a 32-byte key" test "${#KEYHEX}" -eq 64
expect_rc "init again is refused and keeps the key" 1 invite init
check "the refusal says the key was left as it is" grep -q "already holds an administrator key" "$T/err"
check "the key in the keyring is unchanged" test "$(secret_hex keystore "$KS")" = "$KEYHEX"

expect_rc "keychain reports the Secret Service" 0 invite keychain
check "keychain: backend secret-service" grep -q '^Keychain: *secret-service (chosen automatically)' "$T/out"
check "keychain: security level high" \
        grep -q "^Security level: *high (Secret Service, unlocked by the user's session)" "$T/out"
check "keychain: the key is in the Secret Service" \
        grep -q "^Administrator key: *in the Secret Service, named $KS" "$T/out"
invite --json keychain >"$T/kc1.json"
check "keychain --json: the key is in the Secret Service" \
        json_test "$T/kc1.json" "j['admin_key'] == 'secret-service' and j['keystore'] == '$KS'"

rm -f "$T/pass"   # from here on no passphrase exists: only the keyring can give the key
invite pubkey >"$T/etc/trusted_keys" && chmod 644 "$T/etc/trusted_keys"
check "pubkey from the keyring matches init's" \
        test "$(cat "$T/etc/trusted_keys")" = "$(json_get "$T/init.json" 'j["public_key"]')"
expect_rc "create signs with the key from the keyring" 0 invite --json create lab-access --max-devices 2
INV=$(json_get "$T/out" 'j["id"]')
cp "$T/out" "$T/create.json"
check "list verifies it against the pinned key: active" \
        bash -c "'$B/cws-invite' --config '$CONF' list | grep '$INV' | grep -q active"
expect_rc "revoke signs with the key from the keyring" 0 invite revoke "$INV"
check "list shows it revoked" bash -c "'$B/cws-invite' --config '$CONF' list | grep '$INV' | grep -q revoked"

# cws-revoke --admin finds the key the same way: here, in the keyring, with
# no keystore file and no passphrase file. A cwsd of its own (its socket
# outside $XDG_RUNTIME_DIR) enrolls this device to have one to revoke.
write_config "$T/agent"
ACONF=$T/agent/etc/cws.conf
check "cwsd starts" start_cwsd "$T/agent"
aenroll() { "$B/cws-enroll" --config "$ACONF" "$@"; }
expect_rc "create an invitation whose devices are revoked" 0 invite --json create revoke-lab --max-devices 2
RINV=$(json_get "$T/out" 'j["id"]')
json_get "$T/out" 'j["token"]' >"$T/token"; chmod 600 "$T/token"
expect_rc "enroll this device" 0 aenroll --json --token-file "$T/token"
RDEV=$(json_get "$T/out" 'j["device_id"]')
check "neither a keystore file nor a passphrase file exists" test ! -e "$KS" -a ! -e "$T/pass"
expect_rc "cws-revoke --admin INV DEV signs with the key from the keyring" 0 \
        revoke -k "$KS" --admin "$RINV" "$RDEV"
check "cws-revoke --admin: no fallback note" bash -c "! grep -q 'note:' '$T/err'"
check "the device is revoked for the pinned key" \
        bash -c "'$B/cws-devices' --config '$CONF' '$RINV' | grep '$RDEV' | grep -q revoked"
expect_rc "the revoked device is denied" 1 aenroll --check
expect_rc "create an invitation to revoke whole" 0 invite --json create revoke-all-lab
RINV_ALL=$(json_get "$T/out" 'j["id"]')
expect_rc "cws-revoke --all INV signs with the key from the keyring" 0 \
        revoke -k "$KS" --json --all "$RINV_ALL"
check "cws-revoke --all --json says revoked" \
        json_test "$T/out" "j == {'invitation': '$RINV_ALL', 'device': None, 'status': 'revoked'}"
check "list shows that invitation revoked" \
        bash -c "'$B/cws-invite' --config '$CONF' list | grep '$RINV_ALL' | grep -q revoked"
expect_rc "cws-revoke --keychain=secret-service finds the key (the device is already revoked)" 1 \
        revoke -k "$KS" --keychain=secret-service --admin "$RINV" "$RDEV"
check "--keychain=secret-service: refused only as already revoked" grep -q "already revoked" "$T/err"
check "still no keystore file" test ! -e "$KS"

# Registry credentials.
printf 'access_key = AKIATESTKEY\nsecret_key = s3cr3t-registry-credential\n' >"$T/creds"
chmod 600 "$T/creds"
expect_rc "import-credentials refuses a file the s3: backend could not read" 3 \
        invite keychain import-credentials "$T/creds"
check "the refusal names the file and line, and nothing was stored" \
        grep -q "$T/creds: line 1: unknown name.*(nothing was stored)" "$T/err"
check "the refused credentials are not in the keyring" \
        test -z "$(secret-tool lookup registry "file://$T/registry")"
printf '# the registry key\naccess_key_id = AKIATESTKEY\nsecret_access_key = s3cr3t-registry-credential\n' \
        >"$T/creds"
expect_rc "import-credentials keeps the file's contents in the keyring" 0 \
        invite keychain import-credentials "$T/creds"
check "the keyring holds exactly the file's contents" \
        test "$(secret_hex registry "file://$T/registry")" = "$(od -An -v -tx1 "$T/creds" | tr -d ' \n')"
invite --json keychain >"$T/kc2.json"
check "keychain --json reports the credentials" json_test "$T/kc2.json" 'j["registry_credentials"] == "secret-service"'
chmod 644 "$T/creds"
expect_rc "a world-readable credentials file is refused" 3 invite keychain import-credentials "$T/creds"

# --- s3: registry credentials from the Secret Service -----------------
# cws-invite and cws-revoke read an s3: registry's credentials from the
# keyring when it holds some for the configured URL; credentials_file here
# names a missing file, then one with a wrong secret, so only the keyring's
# copy can work. --keychain=file (and cwsd) read credentials_file only.
. "$(dirname "$0")/rgw_lib.sh"
start=$(date +%s)
check "Ceph RGW starts" rgw_start
check "Ceph RGW took $(( $(date +%s) - start ))s to start" true
S3DIR=$T/s3
S3CONF=$S3DIR/etc/cws.conf
S3URL=s3://$RGW_BUCKET/keychain
mkdir -p "$S3DIR/etc"
s3conf() {
        printf '[registry]\nurl = %s\nendpoint = %s\ncredentials_file = %s\nca_file = %s\npinned_keys = %s\ntrusted_keys = %s\nrequire_object_lock = false\n' \
                "$S3URL" "$RGW_ENDPOINT" "$1" "$RGW_CA" "$RGW_PIN" "$T/etc/trusted_keys" >"$S3CONF"
        chmod 644 "$S3CONF"
}
s3invite() { "$B/cws-invite" --config "$S3CONF" -k "$KS" "$@"; }
s3conf "$S3DIR/missing-credentials"
expect_rc "s3: with nothing in the keyring, create reads credentials_file (missing here)" 5 \
        s3invite create s3-lab
check "s3: ... and names the missing credentials file" grep -q "$S3DIR/missing-credentials" "$T/err"
expect_rc "s3: import the RGW credentials into the keyring" 0 \
        s3invite keychain import-credentials "$RGW_CREDS"
check "s3: the keyring holds them under the s3: URL" \
        test "$(secret_hex registry "$S3URL")" = "$(od -An -v -tx1 "$RGW_CREDS" | tr -d ' \n')"
expect_rc "s3: create signs with the keyring's key and writes to RGW with its credentials" 0 \
        s3invite --json create s3-lab --max-devices 2
S3INV=$(json_get "$T/out" 'j["id"]')
check "s3: no note, no mention of the credentials file" \
        bash -c "! grep -q 'note:\|missing-credentials' '$T/err'"
in_bucket() { s3req GET "keychain/inv/$1/invitation" -o /dev/null -w '%{http_code}' | grep -q '^200$'; }
check "s3: the invitation is in the bucket" in_bucket "$S3INV"
check "s3: list reads it back with the keyring's credentials: active" \
        bash -c "'$B/cws-invite' --config '$S3CONF' list 2>>'$T/all.log' | grep '$S3INV' | grep -q active"
printf 'access_key_id = %s\nsecret_access_key = wrong-%s\n' "$RGW_ACCESS" "$RGW_SECRET" >"$S3DIR/wrong-credentials"
chmod 600 "$S3DIR/wrong-credentials"
s3conf "$S3DIR/wrong-credentials"
expect_rc "s3: a credentials file with a wrong secret: the keyring's copy wins" 0 \
        s3invite --json create s3-lab-2
S3INV2=$(json_get "$T/out" 'j["id"]')
expect_rc "s3: cws-revoke --all uses the keyring's credentials too" 0 \
        "$B/cws-revoke" --config "$S3CONF" -k "$KS" --json --all "$S3INV2"
check "s3: cws-revoke --all says revoked" json_test "$T/out" "j['invitation'] == '$S3INV2' and j['status'] == 'revoked'"
check "s3: list shows it revoked" \
        bash -c "'$B/cws-invite' --config '$S3CONF' list 2>>'$T/all.log' | grep '$S3INV2' | grep -q revoked"
expect_rc "s3: CWS_KEYCHAIN=file reads credentials_file only: refused by RGW (exit 5)" 5 \
        env CWS_KEYCHAIN=file "$B/cws-invite" --config "$S3CONF" list
check "s3: CWS_KEYCHAIN=file: the refusal names the credentials file" \
        grep -q "access denied (SignatureDoesNotMatch): check access_key_id and secret_access_key in the credentials file $S3DIR/wrong-credentials" "$T/err"
s3conf "$S3DIR/missing-credentials"
expect_rc "s3: CWS_KEYCHAIN=file with credentials_file missing: create fails (exit 5)" 5 \
        env CWS_KEYCHAIN=file "$B/cws-invite" --config "$S3CONF" -k "$T/never.key" create s3-lab-3
check "s3: CWS_KEYCHAIN=file: the failure names the missing credentials file" \
        grep -q "$S3DIR/missing-credentials" "$T/err"
check "s3: CWS_KEYCHAIN=file: no note" bash -c "! grep -q 'note:' '$T/err'"
expect_rc "s3: no bus: list falls back to credentials_file (missing: exit 5)" 5 \
        nobus "$B/cws-invite" --config "$S3CONF" list
check "s3: no bus: the fallback to the credentials file is announced" \
        grep -q "note: no session bus.*; using the registry credentials file $S3DIR/missing-credentials instead" "$T/err"
expect_rc "s3: import a wrong secret into the keyring" 0 \
        s3invite keychain import-credentials "$S3DIR/wrong-credentials"
expect_rc "s3: with the keyring's secret wrong, list is refused by RGW (exit 5)" 5 \
        s3invite list
check "s3: ... and the refusal names the keyring's item" \
        grep -q "access denied (SignatureDoesNotMatch): check access_key_id and secret_access_key in the Secret Service item for $S3URL" "$T/err"
rgw_stop

# An explicit file keystore, and auto mode using a key that is in a file.
printf 'correct horse battery\n' >"$T/pass"; chmod 600 "$T/pass"
expect_rc "--keychain=file init writes the encrypted file" 0 invite --keychain=file -k "$T/file.key" init
check "the file keystore exists" test -s "$T/file.key"
expect_rc "--keychain=file keychain" 0 invite --keychain=file -k "$T/file.key" --json keychain
check "--keychain=file: backend file, medium, not tried" \
        json_test "$T/out" 'j.items() >= {"keychain": "file", "mode": "file", "security_level": "medium",
                "secret_service": "not_tried", "fallback_reason": None}.items()'
expect_rc "CWS_KEYCHAIN=file works the same" 0 env CWS_KEYCHAIN=file "$B/cws-invite" -k "$T/file.key" --json keychain
check "CWS_KEYCHAIN=file: mode file" json_test "$T/out" 'j["mode"] == "file"'
expect_rc "auto mode finds a key that is in a file" 0 invite -k "$T/file.key" --json keychain
check "auto mode reports that key's file, medium" \
        json_test "$T/out" 'j.items() >= {"keychain": "file", "mode": "auto", "security_level": "medium",
                "admin_key": "file"}.items()'
expect_rc "auto init refuses a name that is already a keystore file" 1 invite -k "$T/file.key" init
expect_rc "--keychain=bogus is a usage error" 2 invite --keychain=bogus keychain
expect_rc "CWS_KEYCHAIN=bogus is a usage error" 2 env CWS_KEYCHAIN=bogus "$B/cws-invite" keychain

# cws-revoke with CWS_KEYCHAIN=file (or --keychain=file) uses the file
# only: the keyring's key is not looked for, the file key is used.
"$B/cws-invite" --keychain=file -k "$T/file.key" --passphrase-file "$T/pass" pubkey \
        >>"$T/etc/trusted_keys" 2>>"$T/all.log"
expect_rc "re-enroll this device (the revocation freed its slot)" 0 aenroll --json --token-file "$T/token"
RDEV2=$(json_get "$T/out" 'j["device_id"]')
expect_rc "CWS_KEYCHAIN=file: cws-revoke does not take the keyring's key" 3 \
        env CWS_KEYCHAIN=file "$B/cws-revoke" --config "$CONF" --admin -k "$KS" \
        --passphrase-file "$T/pass" "$RINV" "$RDEV2"
check "CWS_KEYCHAIN=file: the refusal names the missing keystore file" grep -q "$KS" "$T/err"
expect_rc "--keychain=file: a wrong passphrase is refused (exit 6)" 6 bash -c \
        "printf 'nope\n' >'$T/bad'; chmod 600 '$T/bad'; '$B/cws-revoke' --config '$CONF' --keychain=file \
        --admin -k '$T/file.key' --passphrase-file '$T/bad' '$RINV' '$RDEV2'"
expect_rc "CWS_KEYCHAIN=file: cws-revoke --admin signs with the file key" 0 \
        env CWS_KEYCHAIN=file "$B/cws-revoke" --config "$CONF" --admin -k "$T/file.key" \
        --passphrase-file "$T/pass" "$RINV" "$RDEV2"
check "CWS_KEYCHAIN=file: no fallback note" bash -c "! grep -q 'note:' '$T/err'"
check "the device revoked with the file key is revoked" \
        bash -c "'$B/cws-devices' --config '$CONF' '$RINV' | grep '$RDEV2' | grep -q revoked"
expect_rc "cws-revoke --keychain=bogus is a usage error" 2 \
        revoke -k "$KS" --keychain=bogus --admin "$RINV" "$RDEV2"
expect_rc "cws-revoke with CWS_KEYCHAIN=bogus is a usage error" 2 \
        env CWS_KEYCHAIN=bogus "$B/cws-revoke" --config "$CONF" --all "$RINV"

# --- No session bus: the encrypted file, and it says so --------------
expect_rc "no bus: keychain still answers" 0 nobus "$B/cws-invite" --config "$CONF" -k "$T/nobus.key" --json keychain
check "no bus: backend file, medium, fallback reason given" \
        json_test "$T/out" 'j.items() >= {"keychain": "file", "mode": "auto", "security_level": "medium",
                "secret_service": "no_bus"}.items() and j["fallback_reason"].startswith("no session bus")'
expect_rc "no bus: human keychain output" 0 nobus "$B/cws-invite" -k "$T/nobus.key" keychain
check "no bus: says it falls back to the encrypted file" \
        grep -q "falling back to the encrypted file" "$T/out"
expect_rc "no bus: init falls back to the encrypted file" 0 nobus "$B/cws-invite" --json \
        -k "$T/nobus.key" --passphrase-file "$T/pass" init
check "no bus: init --json says file and why" \
        json_test "$T/out" 'j["keychain"] == "file" and j["fallback_reason"].startswith("no session bus")'
check "no bus: the fallback is announced on stderr" grep -q "note: no session bus.*encrypted file" "$T/err"
check "no bus: the encrypted file exists" test -s "$T/nobus.key"
check "no bus: the file's first line is the keystore format" \
        test "$(head -1 "$T/nobus.key")" = cws-keystore-v1
nobus "$B/cws-invite" -k "$T/nobus.key" --passphrase-file "$T/pass" pubkey >>"$T/etc/trusted_keys" \
        2>>"$T/all.log"
expect_rc "no bus: create works with the file key" 0 nobus "$B/cws-invite" --config "$CONF" \
        -k "$T/nobus.key" --passphrase-file "$T/pass" create nobus-lab
check "no bus: create announces the fallback" grep -q "note: no session bus" "$T/err"
expect_rc "no bus: cws-revoke --all falls back to the file key" 0 nobus "$B/cws-revoke" \
        --config "$CONF" --all -k "$T/nobus.key" --passphrase-file "$T/pass" "$RINV"
check "no bus: cws-revoke announces the fallback" grep -q "note: no session bus.*encrypted file" "$T/err"
expect_rc "no bus: the key kept in the keyring is not found (and nothing is made up)" 3 \
        nobus "$B/cws-invite" --config "$CONF" -k "$KS" --passphrase-file "$T/pass" create x
check "no bus: nothing was written under the keyring key's name" test ! -e "$KS"
expect_rc "no bus: --keychain=secret-service is an error" 3 \
        nobus "$B/cws-invite" --keychain=secret-service -k "$T/never.key" --passphrase-file "$T/pass" init
check "no bus: --keychain=secret-service wrote no file" test ! -e "$T/never.key"
expect_rc "a dead bus address falls back too" 0 env DBUS_SESSION_BUS_ADDRESS="unix:path=$T/no-such-bus" \
        "$B/cws-invite" -k "$T/nobus.key" --json keychain
check "a dead bus: reason says the bus cannot be reached" \
        json_test "$T/out" 'j["secret_service"] == "unavailable"
                and j["fallback_reason"].startswith("the session bus cannot be reached")'

# --- A service that does not answer: bounded, then the fallback -------
kill -STOP "$GK"
start=$(date +%s)
expect_rc "a stopped keyring: keychain answers within the bound" 0 invite --json keychain
elapsed=$(( $(date +%s) - start ))
check "a stopped keyring: no_answer, file, reason given" \
        json_test "$T/out" 'j.items() >= {"keychain": "file", "secret_service": "no_answer",
                "fallback_reason": "the Secret Service did not answer within 5 s"}.items()'
check "a stopped keyring: gave up after 5-8 s (took ${elapsed}s)" test "$elapsed" -ge 4 -a "$elapsed" -le 8
expect_rc "a stopped keyring: create has no file to fall back on" 3 invite create y
check "a stopped keyring: the refusal says why" grep -q "did not answer within 5 s" "$T/err"
expect_rc "a stopped keyring: --keychain=secret-service is an error" 3 invite --keychain=secret-service keychain
kill -CONT "$GK"
check "the keyring answers again" has_secrets
expect_rc "the key is usable again" 0 invite pubkey

# --- A locked keyring is an error, never a fallback --------------------
gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
        --method org.freedesktop.Secret.Service.Lock "[objectpath '/org/freedesktop/secrets/collection/login']" >/dev/null
expect_rc "locked: keychain reports it" 0 invite --json keychain
check "locked: still the Secret Service, marked locked" \
        json_test "$T/out" 'j.items() >= {"keychain": "secret-service", "locked": True,
                "admin_key": "secret-service"}.items()'
expect_rc "locked: create is refused (exit 6)" 6 invite create z
check "locked: the refusal says the keyring is locked" grep -q "keyring is locked" "$T/err"
check "locked: no fallback note" bash -c "! grep -q 'note:' '$T/err'"
expect_rc "locked: cws-revoke --admin is refused (exit 6)" 6 revoke -k "$KS" --admin "$RINV" "$RDEV"
check "locked: cws-revoke says the keyring is locked, with no fallback note" \
        bash -c "grep -q 'keyring is locked' '$T/err' && ! grep -q 'note:' '$T/err'"
expect_rc "locked: init under a new name is refused" 6 invite -k "$T/locked.key" init
check "locked: init wrote no file" test ! -e "$T/locked.key"

# --- No secret anywhere ----------------------------------------------
check "the key was never printed (hex, base64 or base64url)" python3 -c "
import base64, sys
key = bytes.fromhex('$KEYHEX')
forms = [key.hex(), key.hex().upper(), base64.b64encode(key).decode().rstrip('='),
         base64.urlsafe_b64encode(key).decode().rstrip('=')]
text = open('$T/all.log', errors='replace').read()
sys.exit(any(f in text for f in forms))"
check "no registry secret was ever printed" python3 -c "
import sys
text = open('$T/all.log', errors='replace').read()
sys.exit(any(s in text for s in ['$RGW_SECRET', 's3cr3t-registry-credential']))"
check "the key is in no file under the test's directory, in the clear" python3 -c "
import os, sys
key = bytes.fromhex('$KEYHEX')
for root, _, files in os.walk('$T'):
    for f in files:
        p = os.path.join(root, f)
        try:
            if key in open(p, 'rb').read():
                print('#   found in', p); sys.exit(1)
        except OSError:
            pass"

kill "$GK"
wait "$GK" 2>/dev/null
check "gnome-keyring-daemon is gone" bash -c "! kill -0 $GK 2>/dev/null"
