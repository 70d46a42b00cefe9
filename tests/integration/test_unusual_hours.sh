#!/bin/bash
# Correlation's unusual_hours: a real cwsd (TZ=UTC) whose [monitor]
# active_hours hold the hour it is now, and a private journald. An allowed
# login now: no alert. The same cwsd restarted under the time shim
# (timeshift.c, CWS_TEST_TIME_SHIFT: its clock 12 hours on), so the login
# falls outside active_hours -> one MEDIUM unusual_hours alert in the
# journal, not one per login; cws-status events finds it.
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/message_ids.sh"
admin_setup || { nok "admin setup"; exit 1; }
private_journald || { nok "a private journald starts"; exit 1; }
cc -shared -fPIC -o "$T/timeshift.so" "$here/timeshift.c" -ldl 2>"$T/cc.err" ||
        { nok "build the time shim"; sed 's/^/#   /' "$T/cc.err"; exit 1; }

# Two hours from the hour it is now (UTC): a login now, or a minute from now
# across the hour, is inside; twelve hours on it is outside.
export TZ=UTC
H=$((10#$(date -u +%H)))
ACTIVE=$(printf '%02d-%02d' "$H" $(( (H + 2) % 24 )))
cat >>"$CONF" <<CONF

[monitor]
active_hours = $ACTIVE
alert_threshold = MEDIUM
CONF
echo "# active_hours = $ACTIVE (UTC); the shifted clock reads $(( (H + 12) % 24 )):xx"
alerts() {
        journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT \
                CWS_ALERT=unusual_hours 2>/dev/null
}
n_alerts() { alerts | grep -c .; }
allows() { grep -c 'validate user=root .*decision=allow' "$T/cwsd.log"; }
is() { test "$($1)" "$2" "$3"; }

start_cwsd "$T" || exit 1
expect_rc "create an invitation" 0 invite --json create hours-lab
json_get "$T/out" 'j["token"]' >"$T/token"; chmod 600 "$T/token"
expect_rc "enroll this device for root" 0 enroll --json --token-file "$T/token"
expect_rc "a login now, inside active_hours, is allowed" 0 enroll --check
check "... cwsd allowed it" wait_for 5 is allows -eq 1
check "... and raised no unusual_hours alert" is n_alerts -eq 0

check "cwsd stops cleanly" stop_cwsd "$T"
start_cwsd "$T" env LD_PRELOAD="$SAN_PRELOAD$T/timeshift.so" CWS_TEST_TIME_SHIFT=43200 || exit 1
expect_rc "twelve hours on, the login is still allowed" 0 enroll --check
check "... cwsd allowed it" wait_for 5 is allows -eq 2
check "... one MEDIUM unusual_hours alert for root" wait_for 5 is n_alerts -eq 1
alerts | cut -c1-300 | sed 's/^/#   /'
check "... with its severity, user and priority warning" \
        bash -c "journalctl --directory=/run/log/journal -o json --no-pager MESSAGE_ID=$MID_ALERT CWS_ALERT=unusual_hours | grep '\"CWS_RISK\":\"MEDIUM\"' | grep '\"CWS_USER\":\"root\"' | grep -q '\"PRIORITY\":\"4\"'"
expect_rc "a second login at that hour" 0 enroll --check
check "... allowed" wait_for 5 is allows -eq 3
check "... no second alert in the window" is n_alerts -eq 1
ev=$("$B/cws-status" events --json -D /run/log/journal)
check "cws-status events finds the MEDIUM unusual_hours alert" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); a=[e for e in d["events"] if e["type"]=="alert"]
sys.exit(not (len(a)==1 and a[0]["alert"]=="unusual_hours" and a[0]["risk"]=="MEDIUM" and a[0]["user"]=="root"))' "$ev"
"$B/cws-status" events -D /run/log/journal | grep -E 'alert ' | sed 's/^/#   /'
check "cwsd stops cleanly" stop_cwsd "$T"
sanitizer_in "cwsd" "$T/cwsd.log"
true
