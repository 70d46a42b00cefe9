#!/bin/bash
# cws-status against a real host set-up: cwsd, Ceph RGW over pinned HTTPS,
# auditd and journald (private, as in test_evidence.sh), a private pam.d.
# A host set up as the production checklist says scores >= 90; then each
# check is made to fail for real and the points lost and the reason shown.
export REGISTRY=s3 RGW_CERT_DAYS=365
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/evidence_lib.sh"
admin_setup || { nok "admin setup"; exit 1; }

# Only one auditd can run on a machine: another test may hold it for a while.
started=
for _ in $(seq 60); do
        if evidence_start "$T" 2>"$T/ev.err"; then started=1; break; fi
        grep -q "already runs" "$T/ev.err" || break
        sleep 2
done
[ -n "$started" ] || { nok "auditd and journald start"; sed 's/^/#   /' "$T/ev.err"; exit 1; }
trap 'evidence_stop; cleanup' EXIT

# The production checklist: fail closed, audit required, correlation at
# MEDIUM, alerts to a webhook with a signing secret, the monitor sweeping.
printf 'webhook-secret\n' >"$T/etc/alerts.secret"; chmod 600 "$T/etc/alerts.secret"
cat >>"$CONF" <<CONF
login = read_only
sshd = read_only

[agent]
monitor_interval = 5s

[policy]
fail_mode = closed
audit_required = true

[monitor]
alert_threshold = MEDIUM
correlation_enabled = true

[alerts]
url = https://siem.example/hooks/cws
secret_file = $T/etc/alerts.secret
CONF
# [services] came first in write_config: move the two lines there.
python3 - "$CONF" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("login = read_only\nsshd = read_only\n\n", "")
s = s.replace("[services]\n", "[services]\nlogin = read_only\nsshd = read_only\n")
open(p, "w").write(s)
PY
PAMD=$T/pam.d; mkdir -p "$PAMD"; cp /etc/pam.d/* "$PAMD"/
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$CONF" >>"$PAMD/common-account"
STOCK=$T/pam.d-stock; mkdir -p "$STOCK"; cp /etc/pam.d/* "$STOCK"/
printf '[Journal]\nStorage=persistent\nMaxRetentionSec=90day\n' >"$T/journald.conf"
status() { "$B/cws-status" --config "$CONF" --pam-dir "$PAMD" --auditd-conf "$T/audit/auditd.conf" \
        --journald-conf "$T/journald.conf" "$@"; }
score_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["score"])'; }
# check_of NAME: "status points" of one check from --json on stdin.
check_of() { python3 -c 'import json,sys
for c in json.load(sys.stdin)["checks"]:
    if c["name"] == sys.argv[1]: print(c["status"], c["points"], c["weight"]); print(c["evidence"])' "$1"; }

start_cwsd "$T" || exit 1
invite --json create lab >"$T/inv.json"
enroll "$(json_get "$T/inv.json" 'j["token"]')" >/dev/null
check "the monitor finishes a sweep (monitor.last)" wait_for 15 test -s "$T/state/monitor.last"

status >"$T/prod.txt"; rc=$?
score=$(status --json | score_of)
check "production checklist host: exit 0" test "$rc" -eq 0
check "production checklist host scores >= 90 (got $score)" test "${score:-0}" -ge 90
check "... in the Enterprise band" grep -q "^Security posture: $score/100  Enterprise" "$T/prod.txt"
expect_rc "--min-score 90 passes on it" 0 status --min-score 90
sed 's/^/#   /' "$T/prod.txt"
status health >"$T/health.txt"
sed 's/^/#   /' "$T/health.txt"
for c in config trusted_keys state agent registry tls audit retention pam monitor setuid policy alerts; do
        check "health: $c ok" grep -qE "^ok +$c " "$T/health.txt"
done
check "health: the TLS line shows the pin and days left" grep -qE "^ok +tls .*pin matches.*valid 3[0-9][0-9] more days" "$T/health.txt"
check "health: sandbox not under systemd here" grep -qE "^n/a +sandbox .*not under systemd" "$T/health.txt"

# Correlation in cwsd, into this journald and auditd: six refused logins
# of one user (failed_login_threshold 5) -> one HIGH alert, not six; a
# changed binding -> one CRITICAL alert at once.
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$CONF" >"$PAMD/cws-login"
for _ in 1 2 3 4 5 6; do "$B/pam_run" "$PAMD" cws-login nobody >/dev/null 2>&1; done
sleep 0.3
alerts() { journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID="$MID_ALERT" "$@" 2>/dev/null; }
check "6 refused logins: exactly one alert in the journal" test "$(alerts CWS_USER=nobody | grep -c .)" -eq 1
check "... multiple_failed_logins, HIGH, 5 in the window, PRIORITY 3" \
        jsonl_test "$(alerts CWS_USER=nobody)" 'any(e.items() >= {"CWS_ALERT": "multiple_failed_logins",
                "CWS_RISK": "HIGH", "CWS_COUNT": "5", "PRIORITY": "3"}.items() for e in j)'
check "... and one audit record ANOM_LOGIN_FAILURES" \
        test "$(ausearch -if "$AUDIT_LOG" -m ANOM_LOGIN_FAILURES --raw 2>/dev/null | grep -c 'op=pam_cws-alert .*acct="nobody".*alert="multiple_failed_logins"')" -eq 1
f=$(ls "$T"/state/bindings/0/*.bind)
cp "$f" "$T/bind.orig"
flip_at "$f" $(( $(head -1 "$f" | wc -c) + 30 ))
enroll --check >/dev/null 2>&1
cp "$T/bind.orig" "$f"
sleep 0.3
check "a changed binding: one CRITICAL tamper_detected alert at once" \
        test "$(alerts CWS_ALERT=tamper_detected CWS_RISK=CRITICAL | grep -c .)" -eq 1
ev=$("$B/cws-status" events --json)
check "cws-status events finds both alerts" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); a=[e for e in d["events"] if e["type"]=="alert"]
sys.exit(not (d["counts"]["hour"]["alert"]==2 and {e["alert"] for e in a}=={"multiple_failed_logins","tamper_detected"}))' "$ev"
"$B/cws-status" events | sed 's/^/#   /'

# lost CHECK WEIGHT_LOST PATTERN [ARGS]: the score drops by the check's
# loss, the human output shows "-N check reason", health says fail.
lost() {
        local name=$1 n=$2 pat=$3; shift 3
        local out j
        out=$(status "$@" 2>&1); j=$(status --json "$@" 2>/dev/null | check_of "$name")
        if grep -qE -- "^  -$n +$name +.*$pat" <<<"$out" && grep -q "^fail 0 " <<<"$j"; then
                ok "$name fails: -$n points, $(grep -E -- "-$n +$name" <<<"$out" | sed 's/^ *//' | cut -c1-110)"
        else
                nok "$name fails: -$n points matching '$pat'"; sed 's/^/#   /' <<<"$out"; sed 's/^/#   /' <<<"$j"
        fi
}

# A world-writable configuration.
chmod 666 "$CONF"
lost config 10 "writable"
expect_rc "a world-writable config: --min-score 90 exits 1" 1 status --min-score 90
chmod 644 "$CONF"

# A PAM stack without pam_cws.
lost pam 10 "sudo NOT gated" --pam-dir "$STOCK"
# A weak one: optional.
sed -i "s|^account required $B/pam_cws.so|account optional $B/pam_cws.so|" "$PAMD/common-account"
check "pam: an optional pam_cws is a warning, half the points" \
        bash -c "'$B/cws-status' --config '$CONF' --pam-dir '$PAMD' --json | python3 -c 'import json,sys
c=[c for c in json.load(sys.stdin)[\"checks\"] if c[\"name\"]==\"pam\"][0]
sys.exit(not (c[\"status\"]==\"warn\" and c[\"points\"]==5 and \"does not refuse on its own\" in c[\"evidence\"]))'"
sed -i "s|^account optional $B/pam_cws.so|account required $B/pam_cws.so|" "$PAMD/common-account"

# Audit disabled (auditd still running).
auditctl -e 0 >/dev/null
lost audit 10 "audit is disabled"
auditctl -e 1 >/dev/null

# A wrong pin.
sed "s|^pinned_keys = .*|pinned_keys = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=|" "$CONF" >"$T/etc/wrongpin.conf"
chmod 644 "$T/etc/wrongpin.conf"
lost tls 8 "not in pinned_keys" --config "$T/etc/wrongpin.conf"

# A certificate 5 days from expiry (a TLS server of its own).
make_cert soon localhost "DNS:localhost,IP:127.0.0.1" 5
port=$(free_port)
python3 -c 'import http.server,ssl,sys
s=http.server.HTTPServer(("127.0.0.1",int(sys.argv[1])),http.server.BaseHTTPRequestHandler)
c=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2],sys.argv[3])
s.socket=c.wrap_socket(s.socket,server_side=True); s.serve_forever()' "$port" "$RGW_DIR/soon.pem" "$RGW_DIR/soon.key" 2>/dev/null &
PIDS+=($!)
wait_for 5 bash -c "echo >/dev/tcp/127.0.0.1/$port" 2>/dev/null
sed -e "s|^endpoint = .*|endpoint = https://localhost:$port|" -e "s|^ca_file = .*|ca_file = $RGW_DIR/soon.pem|" \
        -e "s|^pinned_keys = .*|pinned_keys = $(cat "$RGW_DIR/soon.pin")|" "$CONF" >"$T/etc/soon.conf"
# openssl -days 5 ends 5 days from issue, seconds ago: "4" or "5" days left by the time it is checked.
chmod 644 "$T/etc/soon.conf"
lost tls 8 "expires in [45] days" --config "$T/etc/soon.conf"

# A setuid file of the project (a copy of the tools, one made setgid).
mkdir -p "$T/bin"; cp "$B/cws-status" "$B/cwsd" "$T/bin/"; chmod g+s "$T/bin/cwsd"
out=$("$T/bin/cws-status" --config "$CONF" --pam-dir "$PAMD" 2>&1)
check "setuid: a setgid cwsd loses 4 points" grep -qE -- "^  -4 +setuid +$T/bin/cwsd is setgid" <<<"$out"

# A stale monitor: cwsd stopped (SIGSTOP) for more than two intervals.
cwsd_pid=$(pgrep -f -- "--config $T/etc/cws.conf" | head -1)
kill -STOP "$cwsd_pid"
sleep 11
lost monitor 6 "more than two monitor_interval"
# cwsd frozen does not answer either.
lost agent 10 "does not answer"
kill -CONT "$cwsd_pid"

# cwsd stopped.
stop_cwsd "$T"
lost agent 10 "cwsd is not running"

# RGW stopped: the registry does not answer, and there is no TLS.
rgw_stop
lost registry 8 "does not answer"
lost tls 8 "TLS to .* failed"

# The default install: the stock pam.d, no audit settings, defaults.
write_config "$T/default"
out=$("$B/cws-status" --config "$T/default/etc/cws.conf" --pam-dir "$STOCK" 2>&1)
dscore=$("$B/cws-status" --config "$T/default/etc/cws.conf" --pam-dir "$STOCK" --json | score_of)
check "a default install scores below 90 (got $dscore)" test "${dscore:-100}" -lt 90
check "... and says what keeps it below" grep -q "What lost points, most first:" <<<"$out"
sed 's/^/#   /' <<<"$out"
expect_rc "--min-score 90 on the default install exits 1" 1 \
        "$B/cws-status" --config "$T/default/etc/cws.conf" --pam-dir "$STOCK" --min-score 90
expect_rc "--min-score 101 is a usage error" 2 "$B/cws-status" --min-score 101

# config: the origin of each value.
out=$(status config)
check "config: a value from the file names its line" grep -qE "^\[monitor\] alert_threshold +=  ?MEDIUM +# $CONF:[0-9]+" <<<"$out"
check "config: a default says so" grep -qE "^\[agent\] terminate_on_revoke += false +# default" <<<"$out"
check "config --json parses" bash -c "'$B/cws-status' --config '$CONF' config --json | python3 -c 'import json,sys; json.load(sys.stdin)'"

# events: the decisions cwsd and pam_cws put in this journald.
j=$("$B/cws-status" events --json)
check "events: the enrollment is in the journal" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); sys.exit(not (d["counts"]["day"]["enroll"] >= 1 and any(e["type"]=="enroll" for e in d["events"])))' "$j"
expect_rc "events --watch without a terminal is a usage error" 2 "$B/cws-status" events --watch
