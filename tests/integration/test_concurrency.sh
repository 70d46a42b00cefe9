#!/bin/bash
# max_devices holds under concurrent enrollment: 20 hosts (20 real cwsd,
# each with its own state) enroll into one invitation with max_devices 3
# at the same moment, against the same registry (file:, or s3: with
# REGISTRY=s3: see test_s3_contract.sh).
. "$(dirname "$0")/lib.sh"
N=20
admin_setup || { nok "admin setup"; exit 1; }
invite --json create shared --max-devices 3 >"$T/inv.json"
TOKEN=$(json_field token <"$T/inv.json"); INV=$(json_field id <"$T/inv.json")
enroll_race $N "$TOKEN"
case $? in
1) nok "every concurrent enrollment ends within 60 s" ;;
2) exit 1 ;;
esac
succeeded=0 full=0
for i in $(seq $N); do
        rc=$(cat "$T/h$i/rc")
        [ "$rc" = 0 ] && succeeded=$((succeeded + 1))
        [ "$rc" = 1 ] && grep -q invitation_full "$T/h$i/out" && full=$((full + 1))
done
check "exactly 3 of $N concurrent enrollments succeed (got $succeeded)" [ "$succeeded" -eq 3 ]
check "the other 17 get invitation_full (got $full)" [ "$full" -eq 17 ]
check "the full error is clear" bash -c "cat $T/h*/out | grep -q 'is full: all 3 device slots are taken'"
n=$(devices --json "$INV" | grep -o '"status":"active"' | wc -l)
check "the registry holds exactly 3 active devices (got $n)" [ "$n" -eq 3 ]
n=$(count_slot_records "$INV")
check "exactly 3 slot records exist (got $n)" [ "$n" -eq 3 ]
