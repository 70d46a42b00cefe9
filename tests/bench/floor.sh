# make bench, sourced by run.sh (part "latency"): the floor under (a).
# What a transaction costs at the least that does what pam_cws must do
# with cwsd when cwsd answers from its cache: one round trip and two notes
# (bench-floor against a server that does nothing), plus what libpam
# itself spends on two more module lines (a stack of pam_permit twice
# against pam_permit once). No evidence, no config, no decision: below
# this no gate that asks a daemon per transaction can go on this machine.
declare -A FLOOR

floor_bench() {
        local sock=$T/floor.sock pid out m m2 i st
        printf 'account required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\nsession required pam_permit.so\n' \
                >"$PAMD/permit2"
        "$T/bin/bench-floor" serve "$sock" 2>"$T/floor.err" &
        pid=$!
        for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
        : >"$T/lat.floor.permit2" >"$T/lat.floor.permit"
        for i in $(seq "$ROUNDS"); do
                for st in permit permit2; do
                        "$BENCH" "$PAMD" "$st" "$USER_NAME" $((N / ROUNDS)) 1 "$WARMUP" "$T/lat.floor.$st" \
                                >/dev/null 2>"$T/err" || { bench_fail "floor, stack $st"; break 2; }
                done
        done
        if ! out=$("$T/bin/bench-floor" ask "$sock" "$N" "$WARMUP" 2>"$T/err"); then
                bench_fail "floor, bench-floor ask"
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$sock"
        [ -n "$out" ] || return 0
        read -r m _ _ _ < <(pooled "$T/lat.floor.permit")
        read -r m2 _ _ _ < <(pooled "$T/lat.floor.permit2")
        FLOOR[permit]=$m
        FLOOR[lines]=$(awk -v a="$m2" -v b="$m" 'BEGIN { printf "%.1f", a - b }')
        FLOOR[ipc]=$(field median_us "$out")
        FLOOR[rt]=$(field rt_median_us "$out")
        FLOOR[total]=$(awk -v a="${FLOOR[lines]}" -v b="${FLOOR[ipc]}" 'BEGIN { printf "%.1f", a + b }')
        echo "  floor: bench-floor $out; two more pam_permit lines: +${FLOOR[lines]} us on ${FLOOR[permit]} us"
}

floor_report() {
        [ -n "${FLOOR[total]:-}" ] || { echo "  (a) floor: n/a (see above)"; return 0; }
        printf '  (a) floor, one ask + two notes to a server that does nothing, and two more module lines:\n'
        printf '      %s us = %sx the pam_permit median (%s us: round trip %s, notes %s, module lines %s)\n' \
               "${FLOOR[total]}" "$(ratio "${FLOOR[total]}" "${FLOOR[permit]}")" "${FLOOR[permit]}" \
               "${FLOOR[rt]}" "$(awk -v a="${FLOOR[ipc]}" -v b="${FLOOR[rt]}" 'BEGIN { printf "%.1f", a - b }')" \
               "${FLOOR[lines]}"
}
