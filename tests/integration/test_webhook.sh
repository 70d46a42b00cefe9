#!/bin/bash
# Alerts to a webhook: a real HTTPS receiver (pinned, its own CA) that
# checks every body's HMAC-SHA256 signature; a real cwsd; alerts raised for
# real by refused logins (failed_login_threshold 2) through pam_run. The
# receiver down, and cwsd restarted meanwhile -> every alert delivered when
# it is back, in order; a 503 is retried; a full queue drops the oldest,
# and the loss is in a private journald (MESSAGE_ID of CWS_MID_ALERT_DROPPED)
# and cwsd's log.
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/message_ids.sh"
admin_setup || { nok "admin setup"; exit 1; }

# A private journald over a private /run, as evidence_lib.sh starts it
# (no auditd here: only one can run on a machine).
private_journald || echo "# no private journald: the drop is checked in cwsd's log only"

# The receiver's certificate (ENVIRONMENT.md, TLS pinning) and its pin.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rk.pem" \
        -out "$T/etc/receiver.pem" -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
chmod 644 "$T/etc/receiver.pem"
PIN=sha256//$(openssl x509 -pubkey -noout <"$T/etc/receiver.pem" | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)
printf 'webhook-shared-secret\n' >"$T/etc/alerts.secret"; chmod 600 "$T/etc/alerts.secret"
BODIES=$T/bodies.log
RPID=
receiver_start() {
        rm -f "$T/port"
        python3 "$HERE/webhook_receiver.py" "$T/etc/receiver.pem" "$T/rk.pem" "$T/etc/alerts.secret" \
                "$BODIES" "$T/port" "${PORT:-0}" "$T/fail" 2>>"$T/receiver.err" &
        RPID=$!; PIDS+=("$RPID")
        wait_for 10 test -s "$T/port" || { echo "# the receiver did not start:"; sed 's/^/#   /' "$T/receiver.err"; return 1; }
        PORT=$(cat "$T/port")
}
receiver_stop() { stop_pid "$RPID"; RPID=; }
receiver_start || { nok "start the HTTPS receiver"; exit 1; }

# config QUEUE_MAX: the [monitor] and [alerts] sections for this receiver.
config() {
        write_config "$T"
        cat >>"$CONF" <<CONF

[monitor]
failed_login_threshold = 2
alert_threshold = MEDIUM

[alerts]
url = https://localhost:$PORT/hooks/cws
secret_file = $T/etc/alerts.secret
ca_file = $T/etc/receiver.pem
pinned_keys = $PIN
queue_max = $1
CONF
}
config 100
PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$CONF" >"$PAMD/cws-login"
# refuse USER: two refusals by cwsd of an unenrolled user -> one HIGH alert.
# Counted in cwsd's log, so that a refusal that never reached cwsd (and so
# was not correlated) is seen as such instead of missing an alert later.
refusals() { grep -c "validate user=$1 .*decision=deny" "$T/cwsd.log"; }
refused_at_least() { test "$(refusals "$1")" -ge "$2"; }
refuse() {
        local want=$(( $(refusals "$1") + 2 ))
        for _ in 1 2 3 4 5 6; do
                bounded 20 "$B/pam_run" "$PAMD" cws-login "$1" >>"$T/pam.out" 2>&1
                wait_for 2 refused_at_least "$1" "$want" && return 0
        done
        echo "# cwsd did not refuse $1 twice"
}
queued() { find "$T/state/alerts" -name '*.json' 2>/dev/null | wc -l; }
delivered() { [ -s "$BODIES" ] && wc -l <"$BODIES" || echo 0; }
# is FN OP N: FN's count compared with N, counted anew on each call (for wait_for).
is() { test "$($1)" "$2" "$3"; }
# users_are U...: the bodies received, in order, are one alert per U.
users_are() { python3 - "$BODIES" "$@" <<'PY'
import json, sys
got = [json.loads(l)["user"] for l in open(sys.argv[1])] if len(sys.argv) > 1 else []
if got != sys.argv[2:]:
    print("#   received:", got, " wanted:", sys.argv[2:]); sys.exit(1)
PY
}
start_cwsd "$T" || exit 1

# 1. Up: delivered at once, signed, with the alert's fields.
refuse daemon
check "an alert reaches the receiver (signature checked there)" wait_for 15 is delivered -ge 1
check "... the body has the alert's fields" python3 - "$BODIES" <<'PY'
import json, socket, sys
b = json.loads(open(sys.argv[1]).readline())
ok = (b["pattern"] == "multiple_failed_logins" and b["severity"] == "HIGH" and b["user"] == "daemon"
      and b["user_encoding"] == "plain" and b["count"] == 2 and b["window"] == 300
      and b["reason"] == "not_enrolled" and b["time"].endswith("Z") and "device" in b and "window_start" in b
      and b["host"] == socket.gethostname())
print("#   body:", json.dumps(b)); sys.exit(not ok)
PY
check "... and leaves the queue" wait_for 5 is queued -eq 0
check "no body failed the signature check" test ! -e "$BODIES.bad"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/etc/receiver.pem" -H 'Content-Type: application/json' \
        -H 'X-CWS-Signature: sha256=00' -d '{"pattern":"forged"}' "https://localhost:$PORT/hooks/cws")
check "the receiver refuses a wrong signature (it can fail: HTTP $code)" test "$code" = 401
rm -f "$BODIES.bad"
check "the secret is never in cwsd's log" bash -c "! grep -q webhook-shared-secret '$T/cwsd.log'"

# 2. A 503 is not a delivery: retried until a 2xx.
touch "$T/fail"
refuse bin
check "a 503: the alert stays queued" wait_for 10 grep -q "HTTP 503" "$T/cwsd.log"
check "... still in the queue" is queued -eq 1
rm -f "$T/fail"
check "... and is delivered on a retry" wait_for 15 is delivered -eq 2

# 3. The receiver down, cwsd restarted meanwhile: all delivered, in order.
receiver_stop
refuse sys
refuse sync
check "receiver down: alerts wait in the state directory" wait_for 10 is queued -eq 2
check "... the queue files are 0600" bash -c "test -z \"\$(find '$T/state/alerts' -name '*.json' ! -perm 0600)\""
# SIGTERM must reach the loop, not the sender thread (which would kill
# cwsd without its clean-up and leave the socket behind).
check "cwsd stops cleanly with a delivery pending (its socket removed)" stop_cwsd "$T"
start_cwsd "$T" || exit 1
refuse games
check "... after a restart the queue still holds all three" wait_for 10 is queued -eq 3
receiver_start || nok "restart the receiver"
check "receiver back: every alert delivered" wait_for 40 is delivered -eq 5
check "... in the order they were raised" users_are daemon bin sys sync games
check "... the queue is empty" wait_for 5 is queued -eq 0
check "... the outage was logged once, then its end" \
        bash -c "test \$(grep -c 'alerts: delivery failed' '$T/cwsd.log') -ge 1 && grep -q 'webhook answers again' '$T/cwsd.log'"

# 4. A full queue (queue_max 2): the oldest dropped, the loss on record once.
check "cwsd stops cleanly" stop_cwsd "$T"
receiver_stop
config 2
start_cwsd "$T" || exit 1
for u in man lp mail news; do refuse "$u"; done
check "queue_max 2: two alerts kept" wait_for 10 is queued -eq 2
check "... the drop is in cwsd's log" wait_for 5 grep -q "alerts: the queue is full (queue_max 2)" "$T/cwsd.log"
if [ -n "$JOURNALD" ]; then
        drops() { journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID="$MID_ALERT_DROPPED" 2>/dev/null; }
        check "... one journal entry for the burst (CWS_MID_ALERT_DROPPED)" wait_for 5 test "$(drops | grep -c .)" -eq 1
        check "... with the count and priority err" \
                jsonl_test "$(drops)" '[(e.get("CWS_COUNT"), e.get("PRIORITY")) for e in j] == [("1", "3")]'
fi
receiver_start || nok "restart the receiver"
check "receiver back: the two newest delivered" wait_for 40 is delivered -eq 7
check "... the oldest two lost, the rest in order" users_are daemon bin sys sync games mail news
check "no body ever failed the signature check" test ! -e "$BODIES.bad"
stop_cwsd "$T"
sanitizer_in "cwsd" "$T/cwsd.log"
if [ -n "${KEEP_LOG:-}" ]; then cp "$T/cwsd.log" "$KEEP_LOG"; fi
