# make bench, sourced by run.sh: what the revocation monitor costs, on
# s3: (Ceph RGW).
# Part "sweep": logins while the monitor sweeps SWEEP_BINDINGS bindings
# (root's, and the rest spread over ten system users). cwsd (max_cache_age
# = 0: every login asks RGW) is started idle (monitor_interval = 1d) and
# sweeping (monitor_interval = full_sweep_interval = 5s) by turns, ROUNDS
# rounds; a sweeping round's logins start when cwsd's log says a full
# sweep began. RGW's own request counter (its perf counters) over each
# window shows what the monitor asked beside the logins.
# Part "fleet": requests to the store per host per monitor_interval (5 s)
# when nothing changed, counted at the store (fake_s3.py control in front
# of RGW logs every request line), with FLEET_BINDINGS bindings: every
# round a full sweep, then every round the notices; then a revocation, and
# the time until the monitor finds it through its notice. From these, a
# model of a fleet's requests/s on the store.
SWEEP_BINDINGS=${BENCH_SWEEP_BINDINGS:-200}
SWEEP_N=${BENCH_SWEEP_N:-$N_S3}
FLEET_BINDINGS=${BENCH_FLEET_BINDINGS:-5}
FLEET_ROUNDS=${BENCH_FLEET_ROUNDS:-5}
FLEET_INTERVAL=5
declare -A SWEEP FLEET

# enroll_many NAME COUNT: COUNT more bindings on NAME's cwsd, for ten
# system users in turn, eight at a time; prints how many succeeded.
enroll_many() {
        local name=$1 i ok=0 p users pids=()
        mapfile -t users < <(getent passwd | awk -F: '$3 > 0 && $3 < 1000 { print $1 }' | head -10)
        [ ${#users[@]} -gt 0 ] || users=(root)
        for ((i = 0; i < $2; i++)); do
                instance_enroll "$name" --user "${users[i % ${#users[@]}]}" 2>>"$T/$name/enroll.err" &
                pids+=($!)
                if [ ${#pids[@]} -ge 8 ] || [ $((i + 1)) -eq "$2" ]; then
                        for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
                        pids=()
                fi
        done
        echo "$ok"
}

sweep_mode() { # sweep_mode idle|sweeping: restarts the sweep cwsd so
        if [ "$1" = idle ]; then
                MONITOR_INTERVAL=1d EXTRA_CONF= INST_MCA=0 instance_start sweep "$(s3_lines sweep)"
        else
                MONITOR_INTERVAL=5s EXTRA_CONF=$'[monitor]\nfull_sweep_interval = 5s' INST_MCA=0 \
                        instance_start sweep "$(s3_lines sweep)"
        fi
}

sweep_bench() {
        local log=$T/sweep/cwsd.log r mode off q0 q1 per=$(( (SWEEP_N + ROUNDS - 1) / ROUNDS )) t0 got m p n t
        echo "sweep: logins (asking RGW) with the monitor idle and sweeping $SWEEP_BINDINGS bindings, $SWEEP_N per figure in $ROUNDS rounds"
        MONITOR_INTERVAL=1d INST_MCA=0 instance sweep "$(s3_lines sweep)" || return
        t0=$(now_ms)
        got=$(enroll_many sweep $((SWEEP_BINDINGS - 1)))
        SWEEP[bindings]=$((got + 1))
        echo "  $((got + 1)) bindings enrolled in $(( ($(now_ms) - t0) / 1000 )) s"
        [ "$got" -eq $((SWEEP_BINDINGS - 1)) ] ||
                echo "  (some enrollments failed: $(grep -v ' note: ' "$T/sweep/enroll.err" | head -1))"
        for mode in idle sweeping; do SWEEP[req,$mode]=0 SWEEP[logins,$mode]=0; done
        SWEEP[starts]=0 SWEEP[busy]=0
        for r in $(seq "$ROUNDS"); do
                for mode in idle sweeping; do
                        off=$(lines_of "$log")
                        if ! sweep_mode "$mode"; then bench_fail "sweep: cwsd ($mode) does not start"; return; fi
                        if [ "$mode" = sweeping ] && ! wait_line 30 "$log" "$off" "monitor: full sweep of"; then
                                bench_fail "sweep: no full sweep began within 30 s"
                                return
                        fi
                        off=$(lines_of "$log") q0=$(rgw_requests)
                        if ! "$BENCH" "$PAMD" cws-sweep "$USER_NAME" "$per" 1 "$WARMUP" "$T/lat.sweep.$mode" \
                                        >/dev/null 2>"$T/err"; then
                                bench_fail "sweep: logins, monitor $mode, round $r"
                                return
                        fi
                        q1=$(rgw_requests)
                        case "$q0$q1" in
                        *n/a*) SWEEP[req,$mode]=n/a ;;   # no perf counters: not counted
                        *) [ "${SWEEP[req,$mode]}" = n/a ] || SWEEP[req,$mode]=$((SWEEP[req,$mode] + q1 - q0)) ;;
                        esac
                        SWEEP[logins,$mode]=$((SWEEP[logins,$mode] + per + WARMUP))
                        if [ "$mode" = sweeping ]; then
                                SWEEP[starts]=$((SWEEP[starts] + $(after "$log" "$off" | grep -c "monitor: full sweep of")))
                                SWEEP[busy]=$((SWEEP[busy] + $(after "$log" "$off" | grep -c "monitor: the last round has")))
                        fi
                done
        done
        instance_stop sweep
        for mode in idle sweeping; do
                read -r m p n t < <(pooled "$T/lat.sweep.$mode")
                SWEEP[med,$mode]=$m SWEEP[p99,$mode]=$p
                echo "  monitor $mode: median_us=$m p99_us=$p n=$n; RGW served ${SWEEP[req,$mode]} requests" \
                     "during the ${SWEEP[logins,$mode]} logins"
        done
        SWEEP[ratio]=$(awk -v a="${SWEEP[p99,sweeping]}" -v b="${SWEEP[p99,idle]}" 'BEGIN { printf "%.2f", a / b }')
        # What the monitor asked: the sweeping windows' requests minus the
        # logins' own, at the idle windows' rate per login.
        SWEEP[monitor_req]=n/a
        case "${SWEEP[req,sweeping]}${SWEEP[req,idle]}" in *n/a*) ;; *)
                SWEEP[monitor_req]=$(awk -v s="${SWEEP[req,sweeping]}" -v ls="${SWEEP[logins,sweeping]}" \
                        -v i="${SWEEP[req,idle]}" -v li="${SWEEP[logins,idle]}" 'BEGIN { printf "%.0f", s - ls * i / li }') ;;
        esac
        echo "  during the sweeping windows: ${SWEEP[monitor_req]} requests to RGW beyond the logins' own;" \
             "each window began when a full sweep did, ${SWEEP[starts]} more began within them, ${SWEEP[busy]} rounds found the last still running (cwsd's log)"
}

# settle FILE: until FILE has had no new line for 0.5 s (bounded, 10 s).
settle() {
        local n=-1 i
        for i in $(seq 100); do
                [ "$(lines_of "$1")" = "$n" ] && [ $((i % 5)) -eq 0 ] && return 0
                [ $((i % 5)) -eq 0 ] && n=$(lines_of "$1")
                sleep 0.1
        done
}

# next_round STATE: until the monitor stamps another round (bounded).
next_round() {
        local s
        s=$(cat "$1/monitor.last" 2>/dev/null)
        for _ in $(seq $((FLEET_INTERVAL * 60))); do
                [ "$(cat "$1/monitor.last" 2>/dev/null)" != "$s" ] && return 0
                sleep 0.05
        done
        return 1
}

# fleet_count MODE: the requests at the store in each of FLEET_ROUNDS
# rounds (each from one stamp of monitor.last, once the store is quiet,
# to the next), as FLEET[MODE,rounds]; their median as FLEET[MODE] (a
# round of the full-sweep mode that starts a hair short of
# full_sweep_interval after the last sweep lists the notices instead).
fleet_count() {
        local ctl=$T/fleet.ctl.log st=${INST_STATE[fleet]} prev c r counts=() lists=0
        next_round "$st" && settle "$ctl" || return 1
        prev=$(lines_of "$ctl")
        for r in $(seq "$FLEET_ROUNDS"); do
                next_round "$st" || return 1
                settle "$ctl"
                c=$(lines_of "$ctl")
                counts+=($((c - prev)))
                lists=$((lists + $(after "$ctl" "$prev" | head -n $((c - prev)) | grep -c 'list-type=2')))
                prev=$c
        done
        FLEET[$1,rounds]=${counts[*]} FLEET[$1,lists]=$lists
        FLEET[$1]=$(printf '%s\n' "${counts[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        echo "  $1: requests at the store in each of $FLEET_ROUNDS rounds: ${counts[*]}" \
             "($lists listings in all); median ${FLEET[$1]} per round"
}

fleet_bench() {
        local full=$'[monitor]\nfull_sweep_interval = 5s' notices=$'[monitor]\nfull_sweep_interval = 1d'
        local log=$T/fleet/cwsd.log got off t0 inv dev
        echo "fleet: requests to the store per host per monitor_interval (${FLEET_INTERVAL}s), nothing changing, $FLEET_BINDINGS bindings"
        control_store fleet || { bench_fail "fleet: the controlled store does not start"; return; }
        MONITOR_INTERVAL=${FLEET_INTERVAL}s EXTRA_CONF=$full instance fleet "$(s3_lines fleet "$STORE")" || return
        got=$(enroll_many fleet $((FLEET_BINDINGS - 1)))
        [ "$got" -eq $((FLEET_BINDINGS - 1)) ] || { bench_fail "fleet: enrollments ($(grep -v ' note: ' "$T/fleet/enroll.err" | head -1))"; return; }
        fleet_count full || { bench_fail "fleet: the monitor's rounds (full sweeps)"; return; }
        FLEET[per_binding]=$(awk -v a="${FLEET[full]}" -v b="$FLEET_BINDINGS" 'BEGIN { printf "%.2f", a / b }')
        MONITOR_INTERVAL=${FLEET_INTERVAL}s EXTRA_CONF=$notices instance_start fleet "$(s3_lines fleet "$STORE")" ||
                { bench_fail "fleet: cwsd restarts"; return; }
        next_round "${INST_STATE[fleet]}" || { bench_fail "fleet: no first round"; return; }  # the full sweep after a start
        fleet_count notices || { bench_fail "fleet: the monitor's rounds (notices)"; return; }
        # A revocation, found through its notice.
        read -r inv dev <"$T/fleet/last.ids"
        off=$(lines_of "$log")
        if ! "$T/bin/cws-revoke" --config "${INST_CONF[fleet]}" --admin --keystore "$T/admin.key" \
                        --passphrase-file "$T/pass" "$inv" "$dev" >/dev/null 2>"$T/err"; then
                bench_fail "fleet: cws-revoke --admin"
                return
        fi
        t0=$(now_ms)
        if wait_line $((FLEET_INTERVAL * 3)) "$log" "$off" "monitor: notice of a revocation: invitation=$inv"; then
                FLEET[found_ms]=$(($(now_ms) - t0))
                echo "  revocation of $dev found through its notice ${FLEET[found_ms]} ms after cws-revoke returned"
        else
                FLEET[found_ms]=FAIL
                echo "  revocation of $dev: not found through a notice within $((FLEET_INTERVAL * 3)) s"
        fi
        instance_stop fleet
        stop_fakes
}

fleet_model() {
        local h
        echo "  model: requests/s on the store, $FLEET_BINDINGS bindings per host, monitor_interval 30 s, from the measured per-host counts"
        echo "         before: a full sweep every interval (${FLEET[per_binding]} per binding);"
        echo "         after: notices every interval (${FLEET[notices]} per host) + a full sweep every full_sweep_interval (1 h, the default)"
        printf '    %8s %14s %14s %8s\n' hosts before_req/s after_req/s ratio
        for h in 1000 10000 100000; do
                awk -v h="$h" -v b="$FLEET_BINDINGS" -v f="${FLEET[per_binding]}" -v n="${FLEET[notices]}" 'BEGIN {
                        before = h * b * f / 30; after = h * (n / 30 + b * f / 3600)
                        printf "    %8d %14.0f %14.0f %7.1fx\n", h, before, after, (after > 0 ? before / after : 0) }'
        done
}

monitor_report() {
        if [ -n "${SWEEP[ratio]:-}" ]; then
                printf '  sweep: login p99 sweeping / idle <= 2x:          %6sx  (%s / %s us; %s bindings; %s more sweeps began in the windows, ~%s monitor requests)  %s\n' \
                       "${SWEEP[ratio]}" "${SWEEP[p99,sweeping]}" "${SWEEP[p99,idle]}" "${SWEEP[bindings]}" \
                       "${SWEEP[starts]}" "${SWEEP[monitor_req]}" "$(verdict "${SWEEP[ratio]} <= 2")"
        elif want sweep; then
                echo "  sweep: n/a (${S3_WHY:-failed, see above})"
        fi
        if [ -n "${FLEET[notices]:-}" ]; then
                printf '  fleet: store requests per host per interval, notices:  %6s  (median; rounds: %s; %s listings)  %s\n' \
                       "${FLEET[notices]}" "${FLEET[notices,rounds]}" "${FLEET[notices,lists]}" "$(verdict "${FLEET[notices]} <= 1")"
                printf '  fleet: ... with a full sweep every interval:          %6s  (%s per binding; rounds: %s; reported)\n' \
                       "${FLEET[full]}" "${FLEET[per_binding]}" "${FLEET[full,rounds]}"
                printf '  fleet: revocation found through its notice <= %s s:   %6s ms  %s\n' \
                       "$FLEET_INTERVAL" "${FLEET[found_ms]:-n/a}" "$(verdict "${FLEET[found_ms]:-FAIL} <= $FLEET_INTERVAL * 1000")"
                fleet_model
        elif want fleet; then
                echo "  fleet: n/a (${S3_WHY:-failed, see above})"
        fi
}
