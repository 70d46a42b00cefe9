#!/bin/bash
# The revocation monitor: a revocation reaches the host within one
# monitor_interval with no login in between, is kept in the cache (so the
# offline decision refuses it too), is put on record, and with
# terminate_on_revoke ends the sessions pam_cws registered.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
INTERVAL=5
set_agent() { # set_agent KEY VALUE
        sed -i "/^$1 = /d" "$CONF"
        sed -i "/^\[agent\]/a $1 = $2" "$CONF"
}
set_agent monitor_interval "${INTERVAL}s"
PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
        "$B" "$CONF" "$B" "$CONF" >"$PAMD/login"
pam() { "$B/pam_run" "$PAMD" login "$@" 2>&1; }
admin_revoke() { revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$@" >/dev/null; }
# hold_session: a PAM session that stays open 60 s; its pid in $s.
hold_session() {
        : >"$T/hold.out"
        "$B/pam_run" "$PAMD" login root --hold 60 >"$T/hold.out" 2>&1 & s=$!
        PIDS+=($s)
        for _ in $(seq 100); do grep -q '^session open' "$T/hold.out" && break; sleep 0.05; done
}
# ended_within PID SECONDS: the process is gone within SECONDS.
ended_within() {
        local end=$((SECONDS + $2))
        while [ $SECONDS -le $end ]; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
        return 1
}
enroll_new() { # enroll_new NAME: a fresh invitation and enrollment; prints inv and dev
        invite --json create "$1" >"$T/$1.json"
        enroll "$(json_get "$T/$1.json" 'j["token"]')" >"$T/$1.enroll" || return 1
        echo "$(json_get "$T/$1.json" 'j["id"]') $(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/$1.enroll")"
}

# 1. Without terminate_on_revoke: the revocation is seen and kept, the session stays.
start_cwsd "$T" || exit 1
read -r INV DEV <<<"$(enroll_new lab)"
check "enrolled (invitation and device known)" test -n "$INV" -a -n "$DEV"
hold_session
check "a session is open" grep -q '^session open' "$T/hold.out"
admin_revoke "$INV" "$DEV"
t0=$SECONDS
for _ in $(seq $((INTERVAL * 5 + 10))); do grep -q "monitor: user=root invitation=$INV" "$T/cwsd.log" && break; sleep 0.2; done
check "the monitor sees the revocation within one monitor_interval, no login in between" \
        grep -q "monitor: user=root invitation=$INV device=$DEV reason=device_revoked" "$T/cwsd.log"
check "... in $((SECONDS - t0)) s (<= ${INTERVAL}s + 2s slack)" test $((SECONDS - t0)) -le $((INTERVAL + 2))
check "without terminate_on_revoke the open session is left alone" kill -0 "$s"
stop_cwsd "$T"
out=$(pam root)
check "the revocation is in the cache: cwsd down -> denied device_revoked, not offline-allowed" \
        grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
check "... told the device was revoked" grep -q "this device was revoked" <<<"$out"
stop_pid "$s"
sleep 1
n=$(grep -c "monitor: user=root invitation=$INV" "$T/cwsd.log")
check "a revocation is put on record once, not at every sweep ($n)" test "$n" -eq 1

# 2. With terminate_on_revoke: the session ends.
set_agent terminate_on_revoke true
start_cwsd "$T" || exit 1
sleep 1
read -r INV2 DEV2 <<<"$(enroll_new lab2)"
hold_session
check "a second profile's session is open" grep -q '^session open' "$T/hold.out"
grep -q "^acct=PAM_SUCCESS" <<<"$(pam root)" || nok "the new profile validates"
admin_revoke "$INV2" "$DEV2"
check "with terminate_on_revoke the session ends within one monitor_interval" \
        ended_within "$s" $((INTERVAL + 3))
wait "$s" 2>/dev/null; rc=$?
check "... by SIGTERM to the process that opened it (exit $rc)" test "$rc" -eq $((128 + 15))
check "... and cwsd says so" grep -q "ended the session of root (leader pid $s, SIGTERM)" "$T/cwsd.log"

# 3. A user who still has a valid binding keeps the session.
read -r INV3 DEV3 <<<"$(enroll_new lab3)"
sleep 1
read -r INV4 DEV4 <<<"$(enroll_new lab4)"
hold_session
admin_revoke "$INV4" "$DEV4"
for _ in $(seq $((INTERVAL * 5 + 10))); do grep -q "monitor: user=root invitation=$INV4" "$T/cwsd.log" && break; sleep 0.2; done
check "a revocation of one of two profiles is seen" grep -q "monitor: user=root invitation=$INV4" "$T/cwsd.log"
check "... but the user still holds a valid profile: the session stays" kill -0 "$s"
stop_pid "$s"

# 4. The registry unreachable: nothing ends.
hold_session
mv "$T/registry" "$T/registry.away"; : >"$T/registry"   # a store that cannot answer
check "registry unreachable: a login is allowed within the offline grace" \
        grep -q "^acct=PAM_SUCCESS" <<<"$(pam root)"
check "... from the cache, cwsd says" grep -q "registry unavailable: root allowed from a validation" "$T/cwsd.log"
sleep $((INTERVAL + 2))
check "registry unreachable: the monitor ends nothing" kill -0 "$s"
rm -f "$T/registry"; mv "$T/registry.away" "$T/registry"
stop_pid "$s"
check "cwsd is still serving" "$B/cws-enroll" --config "$CONF" --check --json >/dev/null
