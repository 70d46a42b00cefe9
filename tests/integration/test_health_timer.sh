#!/bin/bash
# cwsd's health timer: a real cwsd with health_check_interval 5s and a
# private journald. The first run is the baseline (no alert); the config
# made world-writable for real -> exactly one alert (health_check_failed or
# posture_band_drop, naming the config check) in the journal, however many
# runs find it still broken; restored -> no alert; broken again -> one more.
# cws-status events finds them.
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/message_ids.sh"
admin_setup || { nok "admin setup"; exit 1; }

private_journald || { nok "a private journald starts"; exit 1; }

cat >>"$CONF" <<CONF

[monitor]
health_check_interval = 5s
alert_threshold = MEDIUM
CONF
# alerts: the health alerts in the journal, one JSON line each.
alerts() {
        journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT 2>/dev/null |
                grep -E '"CWS_ALERT":"(health_check_failed|posture_band_drop)"'
}
n_alerts() { alerts | grep -c .; }
# is FN OP N: FN's count compared with N, counted anew on each call (for wait_for).
is() { test "$($1)" "$2" "$3"; }
# runs: how many times the checks ran (one "health:" line each).
runs() { grep -c '^<[0-9]>health: ' "$T/cwsd.log"; }
runs_past() { test "$(runs)" -ge "$1"; }
# two_more_runs: waits (bounded) until the timer ran twice more.
two_more_runs() { local want=$(( $(runs) + 2 )); wait_for 30 runs_past "$want"; }

start_cwsd "$T" || exit 1
check "the first run records the baseline" wait_for 20 grep -q 'health: baseline score [0-9]* ([A-Za-z]*) of the checks cwsd runs' "$T/cwsd.log"
sed -n 's/^<[0-9]>\(health: baseline.*\)/#   \1/p' "$T/cwsd.log"
check "... and raises no alert" test "$(n_alerts)" -eq 0
check "a run after the baseline, nothing changed: still no alert" two_more_runs
check "... none" test "$(n_alerts)" -eq 0

chmod 666 "$CONF"
check "a world-writable config: one alert" wait_for 30 is n_alerts -eq 1
alerts | sed 's/^/#   /' | cut -c1-400
check "... naming the config check, with the scores and bands" \
        bash -c "journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT | grep -q '\"CWS_DETAIL\":\"config;score=[0-9]*->[0-9]*;band=[A-Za-z]*->[A-Za-z]*\"'"
check "... its severity: MEDIUM for a check, HIGH for a band lower" python3 - <<PY
import json, subprocess
lines = subprocess.run(["journalctl", "--directory=/run/log/journal", "-o", "json", "--no-pager",
                        "MESSAGE_ID=$MID_ALERT"], capture_output=True, text=True).stdout.splitlines()
a = [json.loads(l) for l in lines if '"CWS_ALERT"' in l][0]
want = {"health_check_failed": ("MEDIUM", "4"), "posture_band_drop": ("HIGH", "3")}[a["CWS_ALERT"]]
bands = a["CWS_DETAIL"].split("band=")[1].split("->")
assert (a["CWS_RISK"], a["PRIORITY"]) == want, a
assert (bands[0] != bands[1]) == (a["CWS_ALERT"] == "posture_band_drop"), a
PY
check "... cwsd's log says what got worse" grep -q 'health: score [0-9]* .*failing now: config' "$T/cwsd.log"
check "two more runs with the config still broken" two_more_runs
check "... no repeat alert" test "$(n_alerts)" -eq 1

chmod 644 "$CONF"
check "restored: two more runs" two_more_runs
check "... no alert for getting better" test "$(n_alerts)" -eq 1
check "... the runs find config ok again" bash -c "tail -1 <(grep '^<[0-9]>health: ' '$T/cwsd.log') | grep -v -q 'failing: .*config'"

chmod 666 "$CONF"
check "broken again: a second alert (one per change)" wait_for 30 is n_alerts -eq 2
chmod 644 "$CONF"
ev=$("$B/cws-status" events --json -D /run/log/journal)
check "cws-status events finds both, with their detail" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); a=[e for e in d["events"] if e["type"]=="alert"]
sys.exit(not (len(a)==2 and all(e["detail"].startswith("config;score=") for e in a)))' "$ev"
check "cwsd stops cleanly" stop_cwsd "$T"
sanitizer_in "cwsd" "$T/cwsd.log"
true
