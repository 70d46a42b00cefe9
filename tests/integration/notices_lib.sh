# Shared by test_notices.sh (file:) and test_notices_s3.sh (source after
# lib.sh, with INTERVAL set). cwsd runs under strace -o $TRACE, and a round
# of the monitor is counted by its stamp of monitor.last, written before the
# round's first registry request.
TRACE=$T/strace.out
admin_revoke() { revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$@" >/dev/null; }
enroll_new() { # enroll_new NAME: a fresh invitation and enrollment; prints inv and dev
        invite --json create "$1" >"$T/$1.json"
        enroll "$(json_get "$T/$1.json" 'j["token"]')" >"$T/$1.enroll" || return 1
        echo "$(json_get "$T/$1.json" 'j["id"]') $(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/$1.enroll")"
}
STAMP='rename[a-z0-9]*\(.*/state/monitor\.last"'
ticks() { grep -cE "$STAMP" "$TRACE"; }
wait_ticks() { # wait_ticks N: until N more rounds have started (bounded)
        local want=$(($(ticks) + $1))
        wait_for $(($1 * INTERVAL * 3 + 5)) bash -c "[ \$(grep -cE '$STAMP' '$TRACE') -ge $want ]"
}
# per_round FIRST LAST AWK-PATTERN: for each round FIRST+1..LAST, the
# number of trace lines matching the pattern between its stamp and the next.
per_round() {
        awk -v first="$1" -v last="$2" '
                /rename[a-z0-9]*\(.*\/state\/monitor\.last"/ { r++; if (r > first && r <= last) printf "%d ", n; n = 0; next }
                '"$3"' { n++ }' "$TRACE"
}
# LeakSanitizer cannot run under ptrace: under SANITIZE a cwsd under strace
# keeps ASan and UBSan but not the leak check (every other test has it).
NOLEAK=()
[ -n "${SANITIZE:-}" ] && NOLEAK=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0")
# start_traced SYSCALLS: cwsd under strace; two enrollments (INV DEV, INV2
# DEV2); the first round, a full sweep.
start_traced() {
        start_cwsd "$T" "${NOLEAK[@]}" strace -f -qq -e trace="$1",rename,renameat,renameat2 -o "$TRACE" || exit 1
        read -r INV DEV <<<"$(enroll_new lab)"
        read -r INV2 DEV2 <<<"$(enroll_new lab2)"
        check "two enrollments" test -n "$INV" -a -n "$DEV" -a -n "$INV2" -a -n "$DEV2"
        check "the first round after a start is a full sweep" \
                wait_for $((INTERVAL * 3)) grep -qE "monitor: full sweep of [0-9]+ users" "$T/cwsd.log"
}
