# make bench, sourced by run.sh: the system calls of one PAM transaction
# (part "syscalls"), pam_permit alone and with pam_cws, cwsd up and
# answering from its cache (as in (a)). strace -f -c counts every call of
# the bench process; a run of 1 transaction and one of 1 + SC_N give the
# cost of one transaction without the process's start and libpam's first
# load: (calls(1 + SC_N) - calls(1)) / SC_N. Only the PAM side is
# counted: cwsd's own calls are not.
SC_N=${BENCH_SC_N:-200}
declare -A SC_PER SC_WHOLE

# strace_calls STACK N: the calls strace counted in N transactions of STACK.
strace_calls() {
        env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -c -S calls -o "$T/sc.$1.$2" \
                "$BENCH" "$PAMD" "$1" "$USER_NAME" "$2" 1 0 >/dev/null 2>"$T/err" || return 1
        awk '$NF == "total" { print $4 }' "$T/sc.$1.$2"
}

syscalls_bench() {
        local st one many
        if ! command -v strace >/dev/null; then
                SC_WHY="strace is not installed"
                return 0
        fi
        echo "syscalls: strace -f -c around 1 and 1 + $SC_N transactions per stack, cwsd up and cached"
        # A first transaction, so that cwsd's cached validation exists.
        "$BENCH" "$PAMD" cws "$USER_NAME" 1 1 0 >/dev/null 2>"$T/err" || bench_fail "syscalls, first transaction"
        for st in permit cws; do
                if ! one=$(strace_calls "$st" 1) || ! many=$(strace_calls "$st" $((SC_N + 1))) ||
                   [ -z "$one" ] || [ -z "$many" ]; then
                        bench_fail "syscalls, stack $st under strace"
                        continue
                fi
                SC_PER[$st]=$(awk -v a="$one" -v b="$many" -v n="$SC_N" 'BEGIN { printf "%.1f", (b - a) / n }')
                SC_WHOLE[$st]=$(awk -v b="$many" -v n="$SC_N" 'BEGIN { printf "%.1f", b / (n + 1) }')
                echo "  $st: $one calls in 1 transaction, $many in $((SC_N + 1)): ${SC_PER[$st]} per transaction" \
                     "(${SC_WHOLE[$st]} counting the start)"
                sed -n '3,7p' "$T/sc.$st.$((SC_N + 1))" | awk '{ printf "    %s %s\n", $NF, $4 }'
        done
}

# One row per stack for the table of targets.
syscalls_report() {
        local st
        if [ -n "${SC_WHY:-}" ]; then
                echo "  (a) syscalls per transaction: n/a ($SC_WHY)"
                return 0
        fi
        for st in permit cws; do
                printf '  (a) syscalls per transaction, %-6s    %6s  (reported; %s counting the process start)\n' \
                       "$st:" "${SC_PER[$st]:-n/a}" "${SC_WHOLE[$st]:-n/a}"
        done
}
