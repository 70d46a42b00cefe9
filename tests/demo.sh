#!/bin/bash
# make demo — the main job on the embedded file registry, in a temp dir:
# an administrator key, a real cwsd, an invitation, enrollment, a real PAM
# transaction through libpam (allowed), revocation (denied), a tampered
# binding (denied), and the audit and journal evidence of it all. Cleans up
# after itself.
set -euo pipefail
# Runs in a private mount namespace: the demo's own journald over a private
# /run and its own auditd logging under the temp dir, so the host's journal
# and audit log get nothing and nothing is left behind.
if [ -z "${CWS_DEMO_NS:-}" ]; then
        exec env CWS_DEMO_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
B=$(cd "${1:-build}" && pwd)
T=$(mktemp -d /tmp/cws-demo.XXXXXX)
chmod 755 "$T"
. "$(dirname "$0")/integration/evidence_lib.sh"
CWSD= EVIDENCE=no
export CWS_KEYCHAIN=file   # the demo's key lives in its temp dir, never in a keyring
cleanup() {
        [ -n "$CWSD" ] && kill "$CWSD" 2>/dev/null
        evidence_stop
        wait 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$B/##g; s#$T#\$DEMO#g"; "$@" 2>&1 | sed "s#$T#\$DEMO#g"; return "${PIPESTATUS[0]}"; }
# json_get EXPR: EXPR (Python, over j) of the JSON document among the lines on
# stdin (run's output: the command line, then the document), by python3's json.
json_get() {
        python3 -c 'import json, sys
j = next(json.loads(l) for l in sys.stdin if l.startswith(("{", "[")))
print(eval(sys.argv[1], {"j": j}))' "$1"
}

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
if evidence_start "$T" 2>"$T/evidence.err"; then
        EVIDENCE=yes
        echo "auditd (log in \$DEMO/audit) and journald (private /run) are recording"
else
        echo "note: no audit/journal evidence in this demo: $(tr -d '#' <"$T/evidence.err" | head -1)"
fi
"$B/cwsd" "${C[@]}" 2>"$T/cwsd.log" & CWSD=$!
for _ in $(seq 100); do [ -S "$T/run/cwsd.sock" ] && break; sleep 0.05; done
echo "cwsd running (pid $CWSD)"

step "3. An invitation for profile lab-access, up to 2 devices"
run "$B/cws-invite" "${ADMIN[@]}" --json create lab-access --max-devices 2 | tee "$T/inv.json"
TOKEN=$(json_get 'j["token"]' <"$T/inv.json")
INV=$(json_get 'j["id"]' <"$T/inv.json")
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"

step "4. The user enrolls this device with the token"
run "$B/cws-enroll" "${C[@]}" --token-file "$T/token"

step "5. A real PAM transaction through libpam, with pam_cws in the stack"
mkdir -p "$T/pam.d"
for svc in login sudo; do
        printf 'account required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
                "$B" "$T/etc/cws.conf" "$B" "$T/etc/cws.conf" >"$T/pam.d/$svc"
done
sed "s#$B#\$BUILD#g; s#$T#\$DEMO#g" "$T/pam.d/login"
PAM() { run "$B/pam_run" "$T/pam.d" "$@" || true; }
PAM login root --rhost 127.0.0.1 --tty pts/0
echo "(sudo needs an admin profile, [services] sudo = admin)"
PAM sudo root

step "6. The administrator's view"
run "$B/cws-invite" "${C[@]}" list
run "$B/cws-devices" "${C[@]}" "$INV"
DEV=$("$B/cws-devices" "${C[@]}" --json "$INV" | json_get 'j["devices"][-1]["device_id"]')

step "7. The administrator revokes the device; the next session is refused"
run "$B/cws-revoke" "${ADMIN[@]}" --admin "$INV" "$DEV"
PAM login root --rhost 127.0.0.1 --tty pts/0

step "8. Someone edits the sealed binding: refused, and recorded as a violation"
f=$(ls "$T"/state/bindings/*/*.bind)
off=$(( $(head -1 "$f" | wc -c) + 20 ))
c=$(dd if="$f" bs=1 skip="$off" count=1 2>/dev/null); n=A; [ "$c" = A ] && n=B
printf %s "$n" | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
PAM login root

step "9. The evidence: one audit record and one journal entry per decision"
if [ "$EVIDENCE" = yes ]; then
        sleep 0.3
        echo "-- audit (ausearch -i), the pam_cws part of each record:"
        ausearch -if "$AUDIT_LOG" -i 2>/dev/null | grep 'op=pam_cws' |
                sed -E "s/^type=([A-Z_]+) .*msg='?(op=[^']*).*/\1  \2/; s/ exe=[^ ]*//; s#$T#\$DEMO#g"
        echo "-- journal (journalctl -o json), the CWS_ fields of each entry:"
        journalctl --directory=/run/log/journal -o json --no-pager \
                MESSAGE_ID="$MID_ALLOW" MESSAGE_ID="$MID_DENY" MESSAGE_ID="$MID_ENROLL" \
                MESSAGE_ID="$MID_REVOKE" MESSAGE_ID="$MID_VIOLATION" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    keys = ("CWS_EVENT", "CWS_USER", "CWS_SERVICE", "CWS_DECISION", "CWS_REASON", "CWS_VIOLATION")
    print("  ".join(k[4:].lower() + "=" + e[k] for k in keys if e.get(k)))'
else
        echo "(skipped: no auditd/journald here)"
fi

step "What cwsd logged"
sed "s#$T#\$DEMO#g" "$T/cwsd.log"
echo
echo "Demo finished; \$DEMO ($T) removed, auditd and journald stopped."
