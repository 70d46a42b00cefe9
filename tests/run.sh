#!/bin/bash
# Runs the test suites and ends with one line "N passed, N failed".
#   tests/run.sh BUILD_DIR [unit|integration]
set -u
B=${1:?usage: tests/run.sh BUILD_DIR [unit|integration]}
B=$(cd "$B" && pwd)
what=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0 failures=()

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
                passed=$((passed + p)); failed=$((failed + f))
                if [ "$f" -ne 0 ]; then
                        failures+=("$(basename "$t")")
                        printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^\[  *ERROR|error|Failure' | head -20
                fi
                printf '%-28s %3d passed, %d failed\n' "$(basename "$t")" "$p" "$f"
        done
}

run_integration() {
        local s out p f
        for s in "$top"/tests/integration/test_*.sh; do
                out=$(B="$B" bash "$s" 2>&1)
                rc=$?
                p=$(grep -c '^ok ' <<<"$out")
                f=$(grep -c '^not ok ' <<<"$out")
                if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
                passed=$((passed + p)); failed=$((failed + f))
                if [ "$f" -ne 0 ]; then
                        failures+=("$(basename "$s")")
                        printf '%s\n' "$out" | tail -40
                fi
                printf '%-28s %3d passed, %d failed\n' "$(basename "$s")" "$p" "$f"
        done
}

case $what in
unit) run_unit ;;
integration) run_integration ;;
all) run_unit; run_integration ;;
*) echo "unknown suite $what" >&2; exit 2 ;;
esac
[ ${#failures[@]} -eq 0 ] || echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
