# make bench, sourced by run.sh (part "latency"): the floor under (a).
# What a transaction costs at the least that does what pam_cws must do
# when cwsd answers from its cache: one round trip to a daemon and two
# notes (bench-floor against a server that does nothing), and the evidence
# of its two decisions (one audit record and one journal entry each, by
# the module's own cws_evidence_emit). No PAM, no config, no decision:
# below this no gate that asks a daemon per transaction and keeps the
# evidence invariant can go on this machine. Reported as a ratio to the
# pam_permit median of (a), measured just before.
declare -A FLOOR

floor_bench() {
        local sock=$T/floor.sock pid out i
        "$T/bin/bench-floor" serve "$sock" 2>"$T/floor.err" &
        pid=$!
        for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
        if ! out=$("$T/bin/bench-floor" ask "$sock" "$N" "$WARMUP" 2>"$T/err"); then
                bench_fail "floor, bench-floor ask"
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$sock"
        [ -n "$out" ] || return 0
        FLOOR[total]=$(field median_us "$out")
        FLOOR[rt]=$(field rt_median_us "$out")
        FLOOR[evidence]=$(field evidence_median_us "$out")
        FLOOR[notes]=$(field notes_median_us "$out")
        echo "  floor: bench-floor $out"
}

floor_report() {
        [ -n "${FLOOR[total]:-}" ] || { echo "  (a) floor: n/a (see above)"; return 0; }
        printf '  (a) floor, one ask + two notes to a server that does nothing + two decisions'"'"' evidence:\n'
        printf '      %s us = %sx the pam_permit median (round trip %s, evidence %s, notes %s; reported)\n' \
               "${FLOOR[total]}" "$(ratio "${FLOOR[total]}" "${MED[a,permit]}")" "${FLOOR[rt]}" \
               "${FLOOR[evidence]}" "${FLOOR[notes]}"
}
