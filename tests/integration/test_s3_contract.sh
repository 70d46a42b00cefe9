#!/bin/bash
# Both backends pass the same contract: the life-cycle and concurrency
# tests that run on file: (test_lifecycle.sh, test_concurrency.sh) run
# again here on s3:, against a Ceph RGW started for them on loopback, over
# HTTPS with a pinned key. Their checks are reported with an "[s3]" tag.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rgw_lib.sh"
start=$(date +%s)
rgw_start || { nok "start Ceph RGW (mon, osd, radosgw)"; exit 1; }
ok "Ceph RGW serves HTTPS on $RGW_ENDPOINT ($(( $(date +%s) - start ))s to start)"
rgw_export
for s in test_lifecycle.sh test_concurrency.sh; do
        REGISTRY=s3 B="$B" bash "$(dirname "$0")/$s" >"$T/$s.out" 2>&1
        rc=$?
        sed -e 's/^ok - /ok - [s3] /' -e 's/^not ok - /not ok - [s3] /' "$T/$s.out"
        n=$(grep -c '^ok ' "$T/$s.out")
        check "[s3] $s ran to the end (exit $rc, $n checks passed)" test "$rc" -eq 0 -a "$n" -ge 5
done
