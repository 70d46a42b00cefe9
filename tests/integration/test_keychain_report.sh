#!/bin/bash
# Keychain failures reported to cwsd: a real gnome-keyring in a private,
# headless dbus-run-session (as test_keychain.sh), a real cwsd and a
# private journald. The keyring locked for real -> cws-invite and
# cws-revoke are refused, tell cwsd (op=report), and cwsd raises one HIGH
# keychain_failure alert for the user (the peer's uid, whatever the request
# says), once per user and window; any local user may report, rate-limited
# per uid; a request outside the fixed list is refused.
if [ -z "${CWS_KCR_NS:-}" ]; then
        exec env CWS_KCR_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
if [ -z "${CWS_KEYCHAIN_SESSION:-}" ]; then
        command -v dbus-run-session >/dev/null || { echo "not ok - dbus-run-session is installed"; exit 1; }
        unset DBUS_SESSION_BUS_ADDRESS
        # The private journald first: dbus-run-session's bus must not live under the old /run.
        if mount -t tmpfs -o mode=755 cws-run /run 2>/dev/null; then
                mkdir -p /run/systemd/journal /run/log/journal
        fi
        CWS_KEYCHAIN_SESSION=1 exec dbus-run-session -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
unset CWS_KEYCHAIN
. "$(dirname "$0")/message_ids.sh"

[ -d /run/log/journal ] && private_journald mounted || { nok "a private journald starts"; exit 1; }

export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_DATA_HOME=$T/home/.local/share \
        XDG_CACHE_HOME=$T/home/.cache XDG_RUNTIME_DIR=$T/xdg
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
# The default keystore name, so that cws-status (which runs cws-invite
# without -k) finds the same key.
KS=$XDG_CONFIG_HOME/cws/admin.key
has_secrets() {
        gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true
}
command -v gnome-keyring-daemon >/dev/null || { nok "gnome-keyring-daemon is installed (make deps)"; exit 1; }
printf 'keyring password' | gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$T/gk.log" 2>&1 &
GK=$!
PIDS+=("$GK")
check "gnome-keyring answers on the private session bus" wait_for 5 has_secrets

# alerts [FIELD=VALUE...]: the keychain_failure alerts in the journal.
alerts() {
        journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT \
                CWS_ALERT=keychain_failure "$@" 2>/dev/null
}
n_alerts() { alerts | grep -c .; }
is() { test "$($1)" "$2" "$3"; }
reports() { grep -c 'report: keychain failure' "$T/cwsd.log"; }

expect_rc "init keeps the administrator key in the keyring" 0 invite init
invite pubkey >"$T/etc/trusted_keys" && chmod 644 "$T/etc/trusted_keys"
start_cwsd "$T" || exit 1
# cws-status health: the keychain check (weight 0) as cws-invite reports it.
keychain_check() {
        "$B/cws-status" --config "$CONF" health --json |
                python3 -c 'import json,sys; c=[c for c in json.load(sys.stdin)["checks"] if c["name"]=="keychain"][0]; print(c["status"], c["weight"], c["evidence"])'
}
got=$(keychain_check)
echo "#   keychain check: $got"
check "cws-status health: keychain ok, weight 0, in the Secret Service, level high, unlocked" \
        test "$got" = "ok 0 the administrator key is in the Secret Service (security level high), keyring unlocked"
got=$(env CWS_KEYCHAIN=file XDG_CONFIG_HOME=$T/other "$B/cws-status" --config "$CONF" health --json |
        python3 -c 'import json,sys; print([c["status"] for c in json.load(sys.stdin)["checks"] if c["name"]=="keychain"][0])')
check "... n/a for a user with no administrator key" test "$got" = n/a
expect_rc "create works while the keyring is unlocked" 0 invite --json create lab
INV=$(json_get "$T/out" 'j["id"]')
check "... and nothing is reported" test "$(reports)" -eq 0

gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
        --method org.freedesktop.Secret.Service.Lock "[objectpath '/org/freedesktop/secrets/collection/login']" >/dev/null
got=$(keychain_check)
check "cws-status health: keychain locked, still ok" \
        test "$got" = "ok 0 the administrator key is in the Secret Service (security level high), keyring locked"
expect_rc "locked: create is refused (exit 6)" 6 invite create z
check "... the refusal says the keyring is locked" grep -q "keyring is locked" "$T/err"
check "... cwsd got the report" wait_for 5 grep -q 'report: keychain failure (locked) from root (uid 0' "$T/cwsd.log"
check "... one HIGH keychain_failure alert for root, kind locked" wait_for 5 is n_alerts -eq 1
alerts | cut -c1-300 | sed 's/^/#   /'
check "... with its severity, user and detail" \
        bash -c "journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT CWS_ALERT=keychain_failure | grep '\"CWS_RISK\":\"HIGH\"' | grep '\"CWS_USER\":\"root\"' | grep -q '\"CWS_DETAIL\":\"locked\"'"
expect_rc "locked: cws-revoke --all is refused (exit 6)" 6 revoke -k "$KS" --all "$INV"
check "... reported too" wait_for 5 is reports -eq 2
check "... but no second alert for root in the window" is n_alerts -eq 1

# Any local user may report, as themselves, rate-limited; nothing but the
# fixed list is taken. report.py KIND DETAIL N: N requests, the statuses.
cat >"$T/report.py" <<'PY'
import socket, sys
out = []
for _ in range(int(sys.argv[4])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(("op=report\nkind=%s\ndetail=%s\nuser=root\n" % (sys.argv[2], sys.argv[3])).encode())
    r = dict(l.split("=", 1) for l in s.recv(8192).decode().splitlines() if "=" in l)
    out.append(r.get("reason", r["status"]))
    s.close()
print(" ".join(out))
PY
chmod 644 "$T/report.py"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$T/report.py" "$T/run/cwsd.sock" "$@"; }
got=$(as_nobody keychain_failure no_answer 5)
echo "#   nobody's five reports: $got"
check "nobody: three reports taken, then rate_limited" test "$got" = "ok ok ok rate_limited rate_limited"
check "... one alert for nobody (not for root, whatever user= said)" \
        wait_for 5 bash -c "journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT CWS_ALERT=keychain_failure CWS_USER=nobody | grep -q '\"CWS_DETAIL\":\"no_answer\"'"
check "... two alerts in all" is n_alerts -eq 2
as_bin() { setpriv --reuid=bin --regid=bin --clear-groups /usr/bin/python3 "$T/report.py" "$T/run/cwsd.sock" "$@"; }
got=$(as_bin tamper_detected locked 1)
check "a kind outside the list is refused (bad_request)" test "$got" = bad_request
got=$(as_bin keychain_failure 'made up' 1)
check "... a made-up detail too" test "$got" = bad_request
check "... and raises nothing" is n_alerts -eq 2
ev=$("$B/cws-status" events --json -D /run/log/journal)
check "cws-status events lists the keychain alerts with their kind" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); a=[e for e in d["events"] if e.get("alert")=="keychain_failure"]
sys.exit(not (len(a)==2 and {e["detail"] for e in a}=={"locked","no_answer"} and all(e["risk"]=="HIGH" for e in a)))' "$ev"

# No cwsd: the helper's own refusal stands, with a line saying it was not told.
check "cwsd stops cleanly" stop_cwsd "$T"
expect_rc "no cwsd: create is still refused as locked (exit 6)" 6 invite create w
check "... and says the failure was not reported to cwsd" grep -q "keychain failure (locked) is not reported to cwsd" "$T/err"
kill "$GK"; wait "$GK" 2>/dev/null
sanitizer_in "cwsd" "$T/cwsd.log"
true
