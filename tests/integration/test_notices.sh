#!/bin/bash
# Revocation notices (docs/design.md §4.3): a revocation reaches the host through its
# notice within one monitor_interval and only the bindings it names are
# asked again; when nothing changed the monitor costs the store one request
# per monitor_interval; a notice deleted by someone who can write the store
# delays detection to the full sweep (full_sweep_interval), never past it.
# On file: the requests are counted with strace (every registry request
# opens a file or directory under the registry).
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
command -v strace >/dev/null || { echo "# SKIP strace is not installed"; exit 0; }
INTERVAL=5
set_in() { # set_in SECTION KEY VALUE
        sed -i "/^$2 = /d" "$CONF"
        grep -q "^\[$1\]" "$CONF" || printf '[%s]\n' "$1" >>"$CONF"
        sed -i "/^\[$1\]/a $2 = $3" "$CONF"
}
set_in agent monitor_interval "${INTERVAL}s"
set_in monitor full_sweep_interval 1d
. "$(dirname "$0")/notices_lib.sh"
# registry_opens_per_round FIRST LAST: files and directories of the
# registry opened in each round.
registry_opens_per_round() { per_round "$1" "$2" "/openat\\(/ && index(\$0, \"\\\"$T/registry\")"; }
start_traced openat
check "the notice cursor is kept in state_dir/notice.last" test -s "$T/state/notice.last"

# 2. Nothing changed: one request per monitor_interval.
wait_ticks 1
r0=$(ticks)
check "three more rounds" wait_ticks 3
wait_ticks 1
per=$(registry_opens_per_round "$r0" $((r0 + 3)))
echo "# registry requests per round, nothing changed: $per"
check "nothing changed: exactly one registry request in each of three rounds ($per)" \
        test "$per" = "1 1 1 "
check "... a listing of $T/registry/notice" grep -q "openat(.*\"$T/registry/notice\"" "$TRACE"

# 1. A revocation, found through its notice within one monitor_interval;
# only the binding it names is asked again.
wait_ticks 1
r1=$(ticks)
admin_revoke "$INV" "$DEV"
check "the revocation wrote one notice" test "$(ls "$T/registry/notice" | wc -l)" -eq 1
check "the monitor finds it through its notice" \
        wait_for $((INTERVAL * 3)) grep -q "monitor: notice of a revocation: invitation=$INV device=$DEV" "$T/cwsd.log"
check "... and puts the revocation on record" \
        wait_for 5 grep -q "monitor: user=root invitation=$INV device=$DEV reason=device_revoked" "$T/cwsd.log"
r2=$(ticks)
check "... within one monitor_interval: in the first round after it ($r1 -> $r2)" test "$r2" -eq $((r1 + 1))
check "... without a full sweep" test "$(grep -c 'monitor: full sweep' "$T/cwsd.log")" -eq 1
wait_ticks 1
awk -v first="$r1" '/rename[a-z0-9]*\(.*\/state\/monitor\.last"/ { r++ } r > first' "$TRACE" >"$T/after.trace"
check "... the named binding's records were read again" grep -q "\"$T/registry/inv/$INV/" "$T/after.trace"
check "... the other binding's were not" bash -c "! grep -q '\"$T/registry/inv/$INV2/' '$T/after.trace'"
wait_ticks 1
per=$(registry_opens_per_round $((r2 + 1)) $((r2 + 2)))
check "after it, nothing changed: one request a round again ($per)" test "$per" = "1 "

# A forged notice (a storage writer's, signed by nobody): logged and passed
# over, never more than a listing.
forged=notice/$(printf '%020d' "${EPOCHREALTIME/./}")-00000000000000ff
printf '{"version":1,"kind":"notice"}' >"$T/registry/$forged"
check "a forged notice is logged and ignored" \
        wait_for $((INTERVAL * 3)) grep -q "monitor: notice $forged ignored" "$T/cwsd.log"
check "... and the cursor passes it" wait_for 5 grep -qx "$forged" "$T/state/notice.last"
stop_cwsd "$T"

# 3. A notice deleted by a storage writer: the full sweep still finds the
# revocation, within full_sweep_interval.
FULL=15
set_in monitor full_sweep_interval "${FULL}s"
: >"$TRACE"
start_cwsd "$T" "${NOLEAK[@]}" strace -f -qq -e trace=openat,rename,renameat,renameat2 -o "$TRACE" || exit 1
check "restarted: the first round is a full sweep" \
        wait_for $((INTERVAL * 3)) bash -c "[ \$(grep -c 'monitor: full sweep' '$T/cwsd.log') -ge 2 ]"
wait_ticks 1     # just after a round: the next is a whole interval away
before=$(ls "$T/registry/notice")
admin_revoke "$INV2" "$DEV2"
for f in "$T"/registry/notice/*; do grep -qxF "${f##*/}" <<<"$before" || rm -f "$f"; done
check "the new notice is gone" test "$(ls "$T/registry/notice")" = "$before"
sweeps=$(grep -c 'monitor: full sweep' "$T/cwsd.log")
check "the revocation is still found" \
        wait_for $((FULL + INTERVAL * 3)) grep -q "monitor: user=root invitation=$INV2 device=$DEV2 reason=device_revoked" "$T/cwsd.log"
check "... by a full sweep" test "$(grep -c 'monitor: full sweep' "$T/cwsd.log")" -gt "$sweeps"
check "... not through a notice" bash -c "! grep -q 'monitor: notice of a revocation: invitation=$INV2' '$T/cwsd.log'"
stop_cwsd "$T"
