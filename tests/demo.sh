#!/bin/bash
# make demo — the main job on the embedded file registry, in a temp dir:
# an administrator key, an invitation, a real cwsd, enrollment, a check,
# revocation, and the checks that follow. Cleans up after itself.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
T=$(mktemp -d /tmp/cws-demo.XXXXXX)
chmod 755 "$T"
CWSD=
cleanup() { [ -n "$CWSD" ] && kill "$CWSD" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$B/##g; s#$T#\$DEMO#g"; "$@" 2>&1 | sed "s#$T#\$DEMO#g"; return "${PIPESTATUS[0]}"; }

mkdir -p "$T/etc"
cat >"$T/etc/cws.conf" <<CONF
[registry]
url = file://$T/registry
trusted_keys = $T/etc/trusted_keys
[agent]
socket = $T/run/cwsd.sock
state_dir = $T/state
[services]
sudo = admin
CONF
chmod 644 "$T/etc/cws.conf"
printf 'demo passphrase\n' >"$T/passphrase"; chmod 600 "$T/passphrase"
ADMIN=(--config "$T/etc/cws.conf" --keystore "$T/admin.key" --passphrase-file "$T/passphrase")
C=(--config "$T/etc/cws.conf")

step "1. The administrator makes a signing key and pins it on the host"
run "$B/cws-invite" "${ADMIN[@]}" init
"$B/cws-invite" "${ADMIN[@]}" pubkey >"$T/etc/trusted_keys"; chmod 644 "$T/etc/trusted_keys"

step "2. The host agent starts (file registry, no server needed)"
"$B/cwsd" "${C[@]}" 2>"$T/cwsd.log" & CWSD=$!
for _ in $(seq 100); do [ -S "$T/run/cwsd.sock" ] && break; sleep 0.05; done
echo "cwsd running (pid $CWSD)"

step "3. An invitation for profile lab-access, up to 2 devices"
run "$B/cws-invite" "${ADMIN[@]}" --json create lab-access --max-devices 2 | tee "$T/inv.json"
TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$T/inv.json")
INV=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$T/inv.json")
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"

step "4. The user enrolls this device with the token"
run "$B/cws-enroll" "${C[@]}" --token-file "$T/token"

step "5. What would a login and a sudo decide?"
run "$B/cws-enroll" "${C[@]}" --check --service login || true
run "$B/cws-enroll" "${C[@]}" --check --service sudo || true

step "6. The administrator's view"
run "$B/cws-invite" "${C[@]}" list
run "$B/cws-devices" "${C[@]}" "$INV"
DEV=$("$B/cws-devices" "${C[@]}" --json "$INV" | sed -n 's/.*"device_id":"\([^"]*\)".*/\1/p')

step "7. Tampering with the sealed binding is detected"
f=$(ls "$T"/state/bindings/*/*.bind)
cp "$f" "$T/bind.orig"
off=$(( $(head -1 "$f" | wc -c) + 20 ))
printf 'A' | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
cmp -s "$f" "$T/bind.orig" && printf 'B' | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
run "$B/cws-enroll" "${C[@]}" --check || true
cp "$T/bind.orig" "$f"

step "8. The administrator revokes the device"
run "$B/cws-revoke" "${ADMIN[@]}" --admin "$INV" "$DEV"
run "$B/cws-enroll" "${C[@]}" --check || true
run "$B/cws-devices" "${C[@]}" "$INV"

step "9. Revoke the whole invitation"
run "$B/cws-revoke" "${ADMIN[@]}" --all "$INV"
run "$B/cws-invite" "${C[@]}" list

step "What cwsd logged"
sed "s#$T#\$DEMO#g" "$T/cwsd.log"
echo
echo "Demo finished; $T removed."
