#!/bin/bash
# Config, key and state files that are group/other writable, owned by
# someone else, or symlinks are refused with a message naming the file;
# cwsd refuses a request about another user from a non-root peer.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || exit 1
expect_rc "a sane config is accepted" 1 enroll --check

refused() { # refused NAME FILE CMD...: exit 3 within 10 s and the message names FILE
        local n=$1 f=$2 rc; shift 2
        bounded 10 "$@" >"$T/out" 2>"$T/err"; rc=$?
        if [ "$rc" -eq 3 ] && grep -qF -- "$f" "$T/err"; then ok "$n"; else
                nok "$n (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
}
for mode in 664 646; do
        chmod $mode "$CONF"
        refused "config mode $mode is refused" "$CONF" enroll --check
done
chmod 644 "$CONF"
chown 65534 "$CONF"
refused "config owned by another user is refused" "$CONF" enroll --check
chown 0 "$CONF"
ln -s "$CONF" "$T/link.conf"
refused "config through a symlink is refused" "$T/link.conf" "$B/cws-enroll" --config "$T/link.conf" --check
refused "a missing --config is an error" "$T/nope.conf" "$B/cws-enroll" --config "$T/nope.conf" --check
printf '[policy]\nfail_mode = maybe\n' >"$T/bad.conf"; chmod 644 "$T/bad.conf"
refused "a bad value names the file" "$T/bad.conf:2" "$B/cws-enroll" --config "$T/bad.conf" --check
check "... and the key" grep -q fail_mode "$T/err"
printf '[policy]\nno_such_key = 1\n' >"$T/bad.conf"
refused "an unknown key names the file" "$T/bad.conf:2" "$B/cws-enroll" --config "$T/bad.conf" --check

chmod 664 "$T/etc/trusted_keys"
refused "trusted_keys group-writable is refused" "$T/etc/trusted_keys" devices inv-AAAAAAAAAAAAAAAAAAAAAA
chmod 644 "$T/etc/trusted_keys"
chmod 640 "$KS"
refused "a keystore readable by the group is refused" "$KS" invite pubkey
chmod 600 "$KS"; chown 65534 "$KS"
refused "a keystore owned by another user is refused" "$KS" invite pubkey
chown 0 "$KS"; ln -s "$KS" "$T/ks-link"
refused "a keystore through a symlink is refused" "$T/ks-link" \
        "$B/cws-invite" --keystore "$T/ks-link" --passphrase-file "$T/pass" pubkey
chmod 644 "$T/pass"
refused "a passphrase file readable by others is refused" "$T/pass" invite pubkey
chmod 600 "$T/pass"

stop_cwsd "$T"
chmod 644 "$T/state/host.key"
refused "cwsd refuses a host key readable by others" "$T/state/host.key" "$B/cwsd" --config "$CONF"
chmod 600 "$T/state/host.key"; chmod 770 "$T/state"
refused "cwsd refuses a group-writable state directory" "$T/state" "$B/cwsd" --config "$CONF"
chmod 700 "$T/state"

# Peer credentials: the non-root user `nobody` may ask about itself only.
start_cwsd "$T" || exit 1
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect_rc "nobody may ask about itself (not enrolled)" 1 as_nobody "$B/cws-enroll" --config "$CONF" --check
check "... and is told not_enrolled" grep -q not_enrolled "$T/out"
expect_rc "nobody may not ask about root" 1 as_nobody "$B/cws-enroll" --config "$CONF" --check --user root
check "... refused with permission_denied" grep -q permission_denied "$T/err"
check "cwsd logged the refusal" grep -q "refused: uid 65534 asked about user root" "$T/cwsd.log"
# uid= is pam_cws's own lookup, taken from a root peer only: from
# nobody it is not read (asking about root while saying uid 65534 is still
# asking about another user), and from root a malformed one is refused.
cat >"$T/ask.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(("op=validate\nuser=%s\nuid=%s\nservice=login\nphase=account\n" % (sys.argv[2], sys.argv[3])).encode())
print(s.recv(8192).decode())
PY
ask() { timeout 10 /usr/bin/python3 "$T/ask.py" "$T/run/cwsd.sock" "$@"; }
check "nobody saying uid=65534 about root: still permission_denied" \
        grep -q '^reason=permission_denied' <<<"$(as_nobody bash -c "$(declare -f ask); T=$T ask root 65534")"
for bad in -1 4294967295 12x '' 00000000000; do
        check "root saying uid='$bad': bad_request" grep -q '^reason=bad_request' <<<"$(ask root "$bad")"
done
check "root saying its uid: answered (not_enrolled)" grep -q '^reason=not_enrolled' <<<"$(ask root 0)"
invite --json create peer-test >"$T/p.json"
printf '%s\n' "$(json_get "$T/p.json" 'j["token"]')" >"$T/ptok"; chmod 600 "$T/ptok"; chown 65534 "$T/ptok"
expect_rc "nobody may not enroll root" 1 as_nobody "$B/cws-enroll" --config "$CONF" --user root --token-file "$T/ptok"
check "... refused with permission_denied" grep -q permission_denied "$T/err"
expect_rc "nobody may enroll itself" 0 as_nobody "$B/cws-enroll" --config "$CONF" --token-file "$T/ptok"
check "nobody, enrolled, saying uid=0 about itself: its own binding decides (uid= not read)" \
        grep -q '^reason=ok' <<<"$(as_nobody bash -c "$(declare -f ask); T=$T ask nobody 0")"
expect_rc "root may ask about nobody" 0 enroll --check --user nobody
expect_rc "nobody may not revoke for root" 1 as_nobody "$B/cws-revoke" --config "$CONF" --user root "$(json_get "$T/p.json" 'j["id"]')"
check "... refused with permission_denied" grep -q permission_denied "$T/err"

# Parent directories (OpenSSH's safe_path): a directory above a checked file
# or directory that someone other than root/cws may write is refused, named
# in the message. Every wait is bounded: a program that should refuse but
# runs on is stopped by timeout and the check fails (exit 124).
within() { timeout -k 2 10 "$@"; }
refuses() { # refuses NAME RC TEXT CMD...: exits RC, stderr has TEXT
        local n=$1 want=$2 text=$3 rc; shift 3
        "$@" >"$T/out" 2>"$T/err"; rc=$?
        if [ "$rc" -eq "$want" ] && grep -qF -- "$text" "$T/err"; then ok "$n"; else
                nok "$n (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/err"; fi
}
pam() { within "$B/pam_run" "$T/pam.d" "$@" 2>&1; }
grants() { pam "$@" >"$T/pam.out"; grep -q "^acct=PAM_SUCCESS" "$T/pam.out"; }
# denies: the module answered, and not with a grant.
denies() { ! grants "$@" && grep -q "^acct=PAM_" "$T/pam.out"; }
mkdir -p "$T/pam.d"
for s in plain open; do
        a="conf=$CONF"; [ $s = open ] && a="$a fail_mode=open"
        printf 'account required %s/pam_cws.so %s\n' "$B" "$a" >"$T/pam.d/$s"
done
check "the module grants nobody with a sane config" grants plain nobody
chmod 775 "$T/etc"
refuses "a config in a group-writable directory is refused by cws-enroll" 3 \
        "$T/etc: writable by group/others (parent of $CONF); fix with chmod go-w $T/etc" \
        enroll --check
check "... and the module denies (never a grant)" denies plain nobody
check "... with fail_mode=open too" denies open nobody
chmod 755 "$T/etc"; chown 65534 "$T/etc"
refuses "a config in a directory owned by another user is refused" 3 \
        "$T/etc: owned by uid 65534 (parent of $CONF)" enroll --check
check "... and the module denies" denies plain nobody
chown 0 "$T/etc"; chmod 757 "$T"
refuses "a config below an other-writable directory is refused" 3 "$T: writable by group/others" \
        enroll --check
chmod 755 "$T"

# A second instance whose state directory has a parent of its own.
SP=$T/sp; SPC=$SP/etc/cws.conf
write_config "$SP"
sed -i "s|^state_dir = .*|state_dir = $SP/st/state|" "$SPC"
mkdir -p "$SP/st"
chmod 775 "$SP/st"
refuses "cwsd refuses a state directory whose parent is group-writable" 3 \
        "$SP/st: writable by group/others (parent of $SP/st/state)" within "$B/cwsd" --config "$SPC"
chmod 755 "$SP/st"
start_cwsd "$SP" || exit 1
invite --json create sp-test >"$T/sp.json"
expect_rc "root enrolls on the second instance" 0 "$B/cws-enroll" --config "$SPC" "$(json_get "$T/sp.json" 'j["token"]')"
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$SPC" >"$T/pam.d/sp"
check "... and is granted online (the validation is cached)" grants sp root
stop_cwsd "$SP"
check "cwsd down: the module grants root from the offline cache" grants sp root
chmod 775 "$SP/st"
check "... but not once the state directory's parent is group-writable" denies sp root
chmod 755 "$SP/st"
mkdir "$T/tk"; cp "$T/etc/trusted_keys" "$T/tk/"
sed -i "s|^trusted_keys = .*|trusted_keys = $T/tk/trusted_keys|" "$SPC"
chmod 775 "$T/tk"
refuses "trusted_keys in a group-writable directory is refused" 3 \
        "$T/tk: writable by group/others (parent of $T/tk/trusted_keys)" \
        "$B/cws-devices" --config "$SPC" inv-AAAAAAAAAAAAAAAAAAAAAA

if [ "$REGISTRY" = file ]; then
        RG=$T/rg; RGC=$RG/etc/cws.conf
        write_config "$RG"
        sed -i "s|^url = .*|url = file://$RG/pub/registry|" "$RGC"
        mkdir -p "$RG/pub"; chmod 777 "$RG/pub"
        refuses "a registry directory below a world-writable, non-sticky one is refused" 5 \
                "$RG/pub: writable by group/others (parent of $RG/pub/registry)" \
                "$B/cws-devices" --config "$RGC" inv-AAAAAAAAAAAAAAAAAAAAAA
        refuses "... by cwsd too, which does not start" 5 "$RG/pub: writable by group/others" \
                within "$B/cwsd" --config "$RGC"
        chmod 1777 "$RG/pub"
        expect_rc "a sticky, root-owned one (like /tmp) passes" 1 \
                "$B/cws-devices" --config "$RGC" inv-AAAAAAAAAAAAAAAAAAAAAA
fi
