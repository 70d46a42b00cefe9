#!/bin/bash
# The monitor's full sweep is paced: its bindings are asked about spread
# over monitor_interval, not in one burst, and cwsd stops at once in the
# middle of a paced sweep. Seen at the store: cwsd runs under strace, and a
# binding is asked about when cwsd first opens its invitation's records in
# the file: registry.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
INTERVAL=5
NB=20
sed -i '/^monitor_interval = /d' "$CONF"
sed -i "/^\[agent\]/a monitor_interval = ${INTERVAL}s" "$CONF"
TRACE=$T/strace.out
NOLEAK=()
[ -n "${SANITIZE:-}" ] && NOLEAK=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0")

start_cwsd "$T" || exit 1
invs=()
for i in $(seq "$NB"); do
        invite --json create "pace$i" >"$T/pace$i.json"
        enroll "$(json_get "$T/pace$i.json" 'j["token"]')" >"$T/pace$i.enroll" 2>&1 &&
                invs+=("$(json_get "$T/pace$i.json" 'j["id"]')")
done
check "$NB bindings enrolled (${#invs[@]})" test "${#invs[@]}" -eq "$NB"
stop_cwsd "$T"

# 1. The first round after a start is a full sweep of the NB bindings.
# Pacing starts binding k of NB no earlier than k * 0.9 * INTERVAL / NB
# after the sweep began: the last of them at least 0.9 * 19/20 * 5 s =
# 4.3 s after the first. A burst asks about all twenty within the time
# twenty file: validations take (milliseconds each, under strace tens of
# milliseconds): the last less than INTERVAL/2 = 2.5 s after the first on
# any machine but one slowed a hundredfold.
off=$(wc -l <"$T/cwsd.log")
start_cwsd "$T" "${NOLEAK[@]}" strace -f -qq -ttt -e trace=openat -o "$TRACE" || exit 1
# since_start PATTERN: PATTERN in what this cwsd logged (a sweep may have
# run during the enrollments above, under the cwsd before).
since_start() { tail -n +$((off + 1)) "$T/cwsd.log" | grep -q "$1"; }
check "a full sweep of the $NB bindings began" \
        wait_for $((INTERVAL * 3)) since_start "monitor: full sweep of 1 users ($NB bindings"
check "... and ended" wait_for $((INTERVAL * 4)) since_start "monitor: the full sweep ended after"
stop_cwsd "$T"
: >"$T/first"
for inv in "${invs[@]}"; do
        grep -F "/registry/inv/$inv/" "$TRACE" | head -1 | awk '{ print $2 }' >>"$T/first"
done
asked=$(grep -c . "$T/first")
check "every binding was asked about at the store ($asked of $NB)" test "$asked" -eq "$NB"
spread=$(sort -n "$T/first" | awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%d", (l - f) * 1000 }')
check "the last binding was asked about $spread ms after the first (>= $((INTERVAL * 500)) ms: spread over the interval, not one burst)" \
        test "$spread" -ge $((INTERVAL * 500))
# In the order they were asked, each binding after the one before: the
# gaps are the pacing's, not one wait and then a burst.
half=$(sort -n "$T/first" | awk -v n="$NB" 'NR == 1 { f = $1 } NR == int(n / 2) + 1 { printf "%d", ($1 - f) * 1000 }')
check "... the middle one $half ms after the first (>= $((INTERVAL * 200)) ms)" test "$half" -ge $((INTERVAL * 200))
sed -n "$((off + 1)),\$p" "$T/cwsd.log" | grep "monitor: full sweep\|monitor: the full sweep" | sed 's/^/# /'

# 2. Stopped in the middle of a paced sweep, cwsd ends at once: the paced
# worker's wait ends with the stop (no worker is left behind).
off=$(wc -l <"$T/cwsd.log")
start_cwsd "$T" || exit 1
pid=${PIDS[-1]}
check "another full sweep began" \
        wait_for $((INTERVAL * 3)) bash -c "tail -n +$((off + 1)) '$T/cwsd.log' | grep -q 'monitor: full sweep of'"
t0=${EPOCHREALTIME/./}
kill -TERM "$pid"
check "cwsd stops in the middle of the paced sweep (bounded wait)" wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null
echo "# stopped $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms after SIGTERM"
check "... the sweep had not ended" bash -c "! tail -n +$((off + 1)) '$T/cwsd.log' | grep -q 'monitor: the full sweep ended'"
check "... and no worker was left inside a wait" bash -c "! tail -n +$((off + 1)) '$T/cwsd.log' | grep -q 'left to the exit'"

# 3. A job of the paced sweep that waits for its turn is not the one
# background job: the health checks (every 5 s) go on during a sweep
# spread over 13.5 s. Held up by the sweep, at most one run (queued, run
# once the sweep is done) could be logged between the sweep's begin and
# end; running beside it, those at 20 s and 25 s after the start are, the
# sweep's last binding being due no earlier than 27.8 s.
sed -i '/^monitor_interval = /d' "$CONF"
sed -i "/^\[agent\]/a monitor_interval = 15s" "$CONF"
grep -q '^\[monitor\]' "$CONF" || printf '\n[monitor]\n' >>"$CONF"
sed -i '/^health_check_interval = /d' "$CONF"
sed -i "/^\[monitor\]/a health_check_interval = 5s" "$CONF"
off=$(wc -l <"$T/cwsd.log")
start_cwsd "$T" || exit 1
check "a full sweep spread over 13.5 s began" \
        wait_for 25 since_start "monitor: full sweep of 1 users ($NB bindings, spread over 13500 ms)"
check "... and ended" wait_for 30 since_start "monitor: the full sweep ended after"
stop_cwsd "$T"
during=$(tail -n +$((off + 1)) "$T/cwsd.log" |
         sed -n '/monitor: full sweep of/,/monitor: the full sweep ended/p' | grep -c 'health: .*score')
check "... the health checks ran $during times while it did (>= 2: beside it, not after it)" \
        test "$during" -ge 2
