#!/bin/bash
# Revocation notices on s3: (Ceph RGW behind fake_s3.py control, which logs
# every request line): the same layout as file: (test_notices.sh), one
# ListObjectsV2 with start-after per monitor_interval when nothing changed,
# a revocation found through its notice, a deleted notice found by the
# full sweep. Requests per round: cwsd's sendto(2) calls between two
# stamps of monitor.last (strace), checked against the store's own log.
export REGISTRY=s3
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v strace >/dev/null || { echo "# SKIP strace is not installed"; exit 0; }
INTERVAL=5
CTL=$T/store.ctl
echo forward >"$CTL"
admin_setup || { nok "admin setup"; exit 1; }
python3 "$here/fake_s3.py" - - "$T/fake.port" control "127.0.0.1:$RGW_PORT" "$CTL" 2>"$T/fake.err" &
PIDS+=($!)
wait_for 10 test -s "$T/fake.port" || nok "the controlled store starts"
STORE=http://127.0.0.1:$(cat "$T/fake.port")
conf() { # conf FULL_SWEEP_INTERVAL
        cat >"$CONF" <<CONF
[registry]
url = s3://$RGW_BUCKET/$S3_PREFIX
endpoint = $STORE
credentials_file = $RGW_CREDS
require_object_lock = false
trusted_keys = $T/etc/trusted_keys

[agent]
socket = $T/run/cwsd.sock
state_dir = $T/state
monitor_interval = ${INTERVAL}s

[monitor]
full_sweep_interval = $1
CONF
}
. "$here/notices_lib.sh"
sends_per_round() { per_round "$1" "$2" '/sendto\(/'; }
listings() { grep -c "start-after=" "$CTL.log" 2>/dev/null || true; }
store_requests() { wc -l <"$CTL.log" 2>/dev/null || echo 0; }

conf 1d
start_traced sendto

# Nothing changed: one request a round.
wait_ticks 1
r0=$(ticks); s0=$(store_requests); l0=$(listings)
check "three more rounds" wait_ticks 3
wait_ticks 1
per=$(sends_per_round "$r0" $((r0 + 3)))
s1=$(store_requests); l1=$(listings)
echo "# requests per round, nothing changed: $per; at the store: $((s1 - s0)) requests, $((l1 - l0)) listings with start-after"
check "nothing changed: exactly one request in each of three rounds ($per)" test "$per" = "1 1 1 "
check "... at the store, each a listing with start-after ($((l1 - l0)) of $((s1 - s0)))" \
        test $((s1 - s0)) -eq $((l1 - l0)) -a $((l1 - l0)) -ge 3 -a $((l1 - l0)) -le 5
check "... under the notice/ prefix" grep -q "prefix=$S3_PREFIX%2Fnotice%2F&start-after=$S3_PREFIX%2Fnotice%2F" "$CTL.log"

# A revocation through its notice, in the first round after it.
wait_ticks 1
r1=$(ticks)
admin_revoke "$INV" "$DEV"
check "the monitor finds it through its notice" \
        wait_for $((INTERVAL * 3)) grep -q "monitor: notice of a revocation: invitation=$INV device=$DEV" "$T/cwsd.log"
check "... and puts it on record" \
        wait_for 5 grep -q "monitor: user=root invitation=$INV device=$DEV reason=device_revoked" "$T/cwsd.log"
check "... in the first round after it" test "$(ticks)" -eq $((r1 + 1))
stop_cwsd "$T"

# A deleted notice: found by the full sweep.
FULL=15
conf "${FULL}s"
: >"$TRACE"
start_cwsd "$T" "${NOLEAK[@]}" strace -f -qq -e trace=sendto,rename,renameat,renameat2 -o "$TRACE" || exit 1
check "restarted: a full sweep" wait_for $((INTERVAL * 3)) bash -c "[ \$(grep -c 'monitor: full sweep' '$T/cwsd.log') -ge 2 ]"
wait_ticks 1
s3req GET "?list-type=2&prefix=$S3_PREFIX%2Fnotice%2F" | grep -o '<Key>[^<]*</Key>' | sort >"$T/before"
admin_revoke "$INV2" "$DEV2"
s3req GET "?list-type=2&prefix=$S3_PREFIX%2Fnotice%2F" | grep -o '<Key>[^<]*</Key>' | sort >"$T/after"
new=$(comm -13 "$T/before" "$T/after" | sed 's/<[^>]*>//g')
check "the revocation wrote a notice ($new)" test -n "$new"
s3req DELETE "$new" >/dev/null
notice_gone() { ! s3req GET "?list-type=2&prefix=$S3_PREFIX%2Fnotice%2F" | grep -qF "$new"; }
check "... which a storage writer deletes" notice_gone
sweeps=$(grep -c 'monitor: full sweep' "$T/cwsd.log")
check "the revocation is still found" \
        wait_for $((FULL + INTERVAL * 3)) grep -q "monitor: user=root invitation=$INV2 device=$DEV2 reason=device_revoked" "$T/cwsd.log"
check "... by a full sweep" test "$(grep -c 'monitor: full sweep' "$T/cwsd.log")" -gt "$sweeps"
check "... not through a notice" bash -c "! grep -q 'monitor: notice of a revocation: invitation=$INV2' '$T/cwsd.log'"
stop_cwsd "$T"
