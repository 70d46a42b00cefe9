# shellcheck shell=bash disable=SC2034  # the MID_ variables are for the scripts that source this
# The journal MESSAGE_IDs for the tests (sourced), read at run time from
# include/gate/cws/evidence.h, their one source: tests/unit/test_message_ids.c
# checks that packaging/cws.catalog has one entry for each and none besides,
# and that no test types one out.
MID_HEADER=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/include/gate/cws/evidence.h
# message_id NAME: the id of CWS_MID_NAME; 1 and a message when it has none.
message_id() {
        local id
        id=$(sed -n "s/^#define CWS_MID_$1 \"\([0-9a-f]\{32\}\)\".*/\1/p" "$MID_HEADER")
        [ -n "$id" ] || { echo "# no CWS_MID_$1 in $MID_HEADER" >&2; return 1; }
        echo "$id"
}
MID_ALLOW=$(message_id ALLOW) && MID_DENY=$(message_id DENY) && MID_ENROLL=$(message_id ENROLL) &&
        MID_REVOKE=$(message_id REVOKE) && MID_VIOLATION=$(message_id VIOLATION) &&
        MID_ALERT=$(message_id ALERT) && MID_ALERT_DROPPED=$(message_id ALERT_DROPPED) || exit 1
