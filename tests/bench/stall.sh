# make bench, sourced by run.sh: a registry that stalls (part "stall").
# A cwsd of its own (max_cache_age = 0, registry timeout 2 s,
# offline_grace = 1d) on s3: through fake_s3.py control in front of RGW,
# root enrolled and validated through it. Then the store stalls: it takes
# every request and never answers. One validation waits for the timeout
# and marks the registry down; then STALL_N timed logins (stack
# cws-stall) during the stall: their p99, how many of cwsd's validations
# in that window its log says the offline rules decided ("registry
# unavailable: root allowed from a validation ... old"), and how many
# requests other than the probe's reached the store (none expected). Then
# the store answers again: the time until cwsd's log says the registry is
# available again, a validation that the store then sees, and the bound:
# the probe's delay after the failed probes the store saw (cwsd's log
# names the first delay and the cap; health.c doubles it) plus one timeout.
STALL_N=${BENCH_STALL_N:-500}
STALL_TIMEOUT_S=2
declare -A STALL

stall_bench() {
        local log=$T/stall/cwsd.log ctl=$T/stall.ctl off t0 m p n t k first cap delay
        echo "stall: s3: through a store that stops answering (registry timeout ${STALL_TIMEOUT_S}s), $STALL_N logins"
        control_store stall || { bench_fail "stall: the controlled store does not start"; return; }
        # Enrolled with the default timeout (the proxy is slow to set up a
        # record), then the short one.
        INST_MCA=0 instance stall "$(s3_lines stall "$STORE")" || return
        if ! INST_MCA=0 instance_start stall "$(s3_lines stall "$STORE")
timeout = ${STALL_TIMEOUT_S}s"; then
                bench_fail "stall: cwsd does not restart"
                return
        fi
        if ! "$BENCH" "$PAMD" cws-stall "$USER_NAME" 1 1 0 >/dev/null 2>"$T/err"; then
                bench_fail "stall: a login with the store answering"
                return
        fi
        echo stall >"$ctl"
        off=$(lines_of "$log")
        t0=$(now_ms)
        "$VALIDATE" "${INST_SOCK[stall]}" "$USER_NAME" cws 1 0 >/dev/null 2>"$T/err" ||
                bench_fail "stall: the first validation of the stall"
        STALL[first_ms]=$(($(now_ms) - t0))
        if ! wait_line 10 "$log" "$off" "marked down"; then
                bench_fail "stall: cwsd did not mark the registry down (its log: $(after "$log" "$off" | tail -2))"
                return
        fi
        read -r first cap < <(after "$log" "$off" |
                sed -n 's/.*until a probe (every \([0-9]*\) s, backing off to \([0-9]*\) s).*/\1 \2/p' | head -1)
        STALL[first]=${first:-?} STALL[cap]=${cap:-?}
        off=$(lines_of "$log") k=$(lines_of "$ctl.log")
        if ! "$BENCH" "$PAMD" cws-stall "$USER_NAME" "$STALL_N" 1 "$WARMUP" "$T/lat.stall" >/dev/null 2>"$T/err"; then
                bench_fail "stall: logins during the stall"
                return
        fi
        read -r m p n t < <(pooled "$T/lat.stall")
        STALL[med]=$m STALL[p99]=$p
        STALL[validations]=$(after "$log" "$off" | grep -c "validate user=$USER_NAME ")
        STALL[offline]=$(after "$log" "$off" | grep -c "registry unavailable: $USER_NAME allowed from a validation")
        STALL[asked]=$(after "$ctl.log" "$k" | grep -vc probe)
        echo "  during the stall: median_us=$m p99_us=$p n=$n; cwsd's validations decided offline:" \
             "${STALL[offline]} of ${STALL[validations]}; requests to the store other than the probe: ${STALL[asked]}"
        # Back: the store answers again.
        STALL[probes]=$(grep -c probe "$ctl.log")
        off=$(lines_of "$log")
        echo forward >"$ctl"
        t0=$(now_ms)
        if ! wait_line 60 "$log" "$off" "is available again after"; then
                bench_fail "stall: cwsd did not find the registry again within 60 s"
                return
        fi
        STALL[back_ms]=$(($(now_ms) - t0))
        k=$(lines_of "$ctl.log") off=$(lines_of "$log")
        "$VALIDATE" "${INST_SOCK[stall]}" "$USER_NAME" cws 1 0 >/dev/null 2>"$T/err" ||
                bench_fail "stall: the validation after the store came back"
        STALL[used]=$(after "$ctl.log" "$k" | grep -vc probe)
        STALL[offline_after]=$(after "$log" "$off" | grep -c "registry unavailable")
        # The delay after the failed probes, doubling from the first to the cap.
        delay=$(awk -v f="${first:-1}" -v c="${cap:-30}" -v k="${STALL[probes]}" \
                'BEGIN { d = f; for (i = 1; i < k; i++) d = d * 2 > c ? c : d * 2; print d }')
        STALL[bound_ms]=$(( (delay + STALL_TIMEOUT_S) * 1000 ))
        STALL[delay]=$delay
        echo "  the store answers again: cwsd found it after ${STALL[back_ms]} ms (bound ${STALL[bound_ms]} ms:" \
             "the probe's delay ${delay} s after ${STALL[probes]} probes, + the ${STALL_TIMEOUT_S} s timeout);" \
             "the next validation: ${STALL[used]} requests to the store, ${STALL[offline_after]} offline lines in cwsd's log"
        instance_stop stall
}

stall_report() {
        if [ -z "${STALL[p99]:-}" ]; then
                echo "  stall: n/a (${STALL_WHY:-failed, see above})"
                return 0
        fi
        local p99ms
        p99ms=$(awk -v p="${STALL[p99]}" 'BEGIN { printf "%.1f", p / 1000 }')
        printf '  stall: the first validation waited the timeout:  %6s ms  (registry timeout %s s)\n' \
               "${STALL[first_ms]}" "$STALL_TIMEOUT_S"
        printf '  stall: login p99 during the stall <= 50 ms:      %6s ms  %s\n' "$p99ms" "$(verdict "$p99ms <= 50")"
        printf '  stall: decided by the offline rules:             %6s of %s validations (cwsd log); store asked %s times  %s\n' \
               "${STALL[offline]}" "${STALL[validations]}" "${STALL[asked]}" \
               "$(verdict "${STALL[offline]} == ${STALL[validations]} && ${STALL[validations]} > 0 && ${STALL[asked]} == 0")"
        printf '  stall: registry used again after it answers:     %6s ms  bound %s ms (probe every %s s doubling to %s s: %s s after %s probes, + timeout)  %s\n' \
               "${STALL[back_ms]:-n/a}" "${STALL[bound_ms]:-n/a}" "${STALL[first]}" "${STALL[cap]}" \
               "${STALL[delay]:-?}" "${STALL[probes]:-?}" \
               "$(verdict "${STALL[back_ms]:-FAIL} <= ${STALL[bound_ms]:-0} && ${STALL[used]:-0} > 0 && ${STALL[offline_after]:-1} == 0")"
}
