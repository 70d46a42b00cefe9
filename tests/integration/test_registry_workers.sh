#!/bin/bash
# cwsd's registry work off the event loop, on Ceph RGW behind a store that
# the test holds or lets go request by request (fake_s3.py control):
#  * a user whose registry round is stalled delays nobody else: another
#    user's cached answer and another user's registry round come back
#    while the stalled one still waits;
#  * a request that fails for availability marks the registry down: while
#    down, validations are answered by the offline rules without a request
#    to the store (cws-enroll --check says so), and the background probe
#    brings it back when the store answers again;
#  * concurrent validations of one user share one registry round, counted
#    at the store;
#  * a full queue of registry work is refused at once with a clear error.
# Only orderings and counts are asserted, never times; every wait is bounded.
export REGISTRY=s3
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
CTL=$T/store.ctl
echo forward >"$CTL"

admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || { nok "start cwsd"; exit 1; }
CWSD_PID=${PIDS[-1]}
invite --json create rootlab >"$T/a.json"; INV_A=$(json_get "$T/a.json" 'j["id"]')
invite --json create daemonlab >"$T/b.json"; INV_B=$(json_get "$T/b.json" 'j["id"]')
expect_rc "enroll root" 0 enroll "$(json_get "$T/a.json" 'j["token"]')"
expect_rc "enroll daemon (by root)" 0 enroll --user daemon "$(json_get "$T/b.json" 'j["token"]')"

python3 "$here/fake_s3.py" - - "$T/fake.port" control "127.0.0.1:$RGW_PORT" "$CTL" 2>"$T/fake.err" &
PIDS+=($!)
wait_for 10 test -s "$T/fake.port" || nok "the controlled store starts"
STORE=http://127.0.0.1:$(cat "$T/fake.port")

# restart SETTINGS...: cwsd again, through the controlled store, with
# [agent] and [policy] lines.
restart() {
        stop_pid "$CWSD_PID"
        cat >"$CONF" <<CONF
[registry]
url = s3://$RGW_BUCKET/$S3_PREFIX
endpoint = $STORE
credentials_file = $RGW_CREDS
require_object_lock = false
timeout = 60s
trusted_keys = $T/etc/trusted_keys

[agent]
socket = $T/run/cwsd.sock
state_dir = $T/state
monitor_interval = 1d
$(printf '%s\n' "$@" | grep -v '^offline_grace\|^max_cache_age')

[policy]
$(printf '%s\n' "$@" | grep '^offline_grace\|^max_cache_age')

[services]
sudo = admin
CONF
        start_cwsd "$T" || return 1
        CWSD_PID=${PIDS[-1]}
}
# requests TEXT: how many requests the store got whose line holds TEXT.
requests() { grep -c -- "$1" "$CTL.log" 2>/dev/null || true; }
others() { grep -v 'probe' "$CTL.log" 2>/dev/null | wc -l; }
running() { kill -0 "$1" 2>/dev/null; }
# at_least N CMD...: CMD's output (a count) is N or more; for wait_for.
at_least() { local n=$1; shift; test "$("$@")" -ge "$n"; }
# bg OUT ARGS...: cws-enroll ARGS in the background, bounded, output to OUT.
bg() { local out=$1; shift; bounded 90 "$B/cws-enroll" --config "$CONF" "$@" >"$out" 2>&1 & }

# 1. One user stalled, another answered.
restart "max_cache_age = 1h" "offline_grace = 1h" || exit 1
expect_rc "daemon validated through the store (now cached)" 0 enroll --check --user daemon
echo "stall $INV_A" >"$CTL"
bg "$T/root1.out" --check
ROOT1=$!
check "root's registry round reaches the store and is held" \
        wait_for 20 at_least 1 requests "$INV_A"
expect_rc "while root's round is held: daemon's cached answer" 0 enroll --check --user daemon
check "... came back while root's round still waits" running "$ROOT1"
expect_rc "while root's round is held: daemon's own registry round (sudo: not cached) answers" \
        1 enroll --check --user daemon --service sudo
check "... with its registry reason (insufficient_type)" grep -q insufficient_type "$T/out"
check "... while root's round still waits" running "$ROOT1"

# 2. Fail fast: the held request fails (the store drops it); the registry
# is marked down, and the next validations make no request to the store.
echo refuse >"$CTL"
wait "$ROOT1"
check "the failed round is logged and the registry marked down" \
        wait_for 10 grep -q "marked down" "$T/cwsd.log"
before=$(others)
expect_rc "while down: root (never validated) is denied at once by the offline rules" \
        1 enroll --check
check "... registry_unavailable" grep -q registry_unavailable "$T/out"
check "... and cws-enroll --check says the registry is down" grep -q "^registry: down" "$T/out"
expect_rc "while down: daemon's sudo check too" 1 enroll --check --user daemon --service sudo
check "while down: no validation asked the store ($before requests before, $(others) after)" \
        test "$(others)" -eq "$before"
echo forward >"$CTL"
check "the probe finds the store again (bounded by the 30 s backoff)" \
        wait_for 45 grep -q "available again" "$T/cwsd.log"
n=$(requests "$INV_A")
expect_rc "after recovery: root is validated through the store" 0 enroll --check
check "... which the store saw" test "$(requests "$INV_A")" -gt "$n"

# 3. Coalescing: six concurrent validations of root, one round.
restart "max_cache_age = 0" "offline_grace = 1h" || exit 1
: >"$CTL.log"
echo "stall $INV_A/invitation" >"$CTL"
pids=()
for i in 1 2 3 4 5 6; do bg "$T/co$i.out" --check; pids+=($!); done
check "the first validation's round is held at the store" \
        wait_for 20 at_least 1 requests "$INV_A/invitation"
check "the other five join it" wait_for 20 at_least 5 grep -c 'joins the registry round' "$T/cwsd.log"
echo forward >"$CTL"
ok_all=0
for p in "${pids[@]}"; do wait "$p" && ok_all=$((ok_all + 1)); done
check "all six are allowed ($ok_all)" test "$ok_all" -eq 6
check "... from one registry round: the store saw the invitation fetched once ($(requests "$INV_A/invitation"))" \
        test "$(requests "$INV_A/invitation")" -eq 1

# 4. A full queue: two workers held, one job queued, the next refused.
restart "workers = 2" "queue_max = 1" "max_cache_age = 0" "offline_grace = 1h" || exit 1
: >"$CTL.log"
echo stall >"$CTL"
bg "$T/q1.out" --check; Q1=$!
bg "$T/q2.out" --check --user daemon; Q2=$!
check "both workers hold a round at the store" wait_for 20 at_least 2 others
# Two more (root and daemon for sudo: neither joins a round in flight): one
# takes the one place in the queue, the other is refused at once.
bg "$T/q3.out" --check --service sudo; Q3=$!
bg "$T/q4.out" --check --user daemon --service sudo; Q4=$!
busy() { grep -l "cwsd is busy" "$T/q3.out" "$T/q4.out" 2>/dev/null | wc -l; }
check "with the queue full, one of the next two is refused at once" wait_for 20 at_least 1 busy
check "... and cwsd logs it" grep -q "busy: the registry queue is full" "$T/cwsd.log"
check "... while the held rounds still wait" running "$Q1"
echo forward >"$CTL"
for p in $Q1 $Q2 $Q3 $Q4; do wait "$p"; done
check "the held and queued validations are answered once the store answers" \
        grep -q "^allow" "$T/q1.out"
check "... and exactly one was refused" test "$(busy)" -eq 1
