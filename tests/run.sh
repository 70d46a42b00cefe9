#!/bin/bash
# Runs the test suites and ends with one line "N passed, N failed" (and
# ", N skipped" when a script was skipped: it prints "# SKIP reason").
#   tests/run.sh BUILD_DIR [unit|integration]
set -u
B=${1:?usage: tests/run.sh BUILD_DIR [unit|integration]}
B=$(cd "$B" && pwd)
what=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0 skipped=0 failures=()

# SANITIZE=1 (exported by the Makefile): every ASan and LeakSanitizer
# report, from any process a test starts (a background cwsd too), goes to
# a file in one directory that every uid can write; a test after which a
# file is there fails, whatever its own checks said. The reports are kept
# under $B. gcc 12's UBSan beside ASan ignores log_path and writes to
# stderr: the scripts' output and lib.sh (cwsd's log, expect_rc) look for
# it there. Exit code 99 from either, so a program that expected to exit 1
# and died of a finding does not pass.
if [ -n "${SANITIZE:-}" ]; then
        san_dir=$(mktemp -d /tmp/cws-san.XXXXXX) && chmod 1777 "$san_dir" || exit 2
        trap 'rm -rf "$san_dir"' EXIT
        export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode=99:log_path=$san_dir/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=99:log_path=$san_dir/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
        rm -rf "$B/sanitizer-reports"
fi

# sanitizer_reports NAME OUTPUT: 0 when NAME left no sanitizer report, in
# the log directory or in its OUTPUT (a runtime that could not open its
# log file, or ASan loaded too late, says so on stderr).
sanitizer_reports() {
        local name=$1 out=$2 keep f
        [ -n "${SANITIZE:-}" ] || return 0
        if grep -qE '==[0-9]+==ERROR: (Address|Leak)Sanitizer|:[0-9]+(:[0-9]+)?: runtime error:|==[0-9]+==ASan runtime does not come first' <<<"$out"; then
                echo "# $name: a sanitizer report in its output:"
                grep -E -m 5 'ERROR: (Address|Leak)Sanitizer|runtime error:|ASan runtime' <<<"$out" | sed 's/^/#   /'
                return 1
        fi
        [ -n "$(ls -A "$san_dir")" ] || return 0
        keep=$B/sanitizer-reports/$name
        mkdir -p "$keep" && mv "$san_dir"/* "$keep"/
        for f in "$keep"/*; do
                echo "# $name: sanitizer report $f:"
                head -30 "$f" | sed 's/^/#   /'
        done
        return 1
}

run_unit() {
        local t out p f
        for t in "$B"/tests/test_*; do
                [ -x "$t" ] || continue
                out=$("$t" 2>&1)
                rc=$?
                p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
                f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
                p=${p:-0} f=${f:-0}
                if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed
                sanitizer_reports "$(basename "$t")" "$out" || f=$((f + 1))
                passed=$((passed + p)); failed=$((failed + f))
                if [ "$f" -ne 0 ]; then
                        failures+=("$(basename "$t")")
                        printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^\[  *ERROR|error|Failure' | head -20
                fi
                printf '%-28s %3d passed, %d failed\n' "$(basename "$t")" "$p" "$f"
        done
}

run_integration() {
        local s out p f k
        for s in "$top"/tests/integration/test_*.sh; do
                out=$(B="$B" bash "$s" 2>&1)
                rc=$?
                p=$(grep -c '^ok ' <<<"$out")
                f=$(grep -c '^not ok ' <<<"$out")
                k=$(grep -c '^# SKIP ' <<<"$out")   # a whole script skipped, with its reason
                if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
                sanitizer_reports "$(basename "$s")" "$out" || f=$((f + 1))
                passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
                if [ "$f" -ne 0 ]; then
                        failures+=("$(basename "$s")")
                        printf '%s\n' "$out" | tail -40
                fi
                printf '%-28s %3d passed, %d failed\n' "$(basename "$s")" "$p" "$f"
                grep '^# SKIP ' <<<"$out"
        done
}

case $what in
unit) run_unit ;;
integration) run_integration ;;
all) run_unit; run_integration ;;
*) echo "unknown suite $what" >&2; exit 2 ;;
esac
[ ${#failures[@]} -eq 0 ] || echo "failing: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
else
        echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
