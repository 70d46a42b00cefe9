#!/bin/bash
# Mutation check of the decision code: each mutant is one small edit that
# would grant, or stop refusing, what must be refused. Each is applied to a
# scratch copy of this tree (never to the tree itself), built, and the
# fast part of the suite is run against it (unit tests, test_fake_cwsd.sh,
# test_pam.sh, test_permissions.sh). A mutant the suite does not fail
# SURVIVED: the tests miss that bug. Exit 0 only when every mutant is killed.
#   tests/mutants.sh [NAME...]     (default: every mutant; names below)
# MUTANTS_KEEP=1 keeps the scratch directory and its logs;
# MUTANTS_SUITE="unit test_pam.sh ..." runs other parts (unit = the unit tests).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
S=$(mktemp -d /tmp/cws-mutants.XXXXXX)
[ -n "${MUTANTS_KEEP:-}" ] || trap 'rm -rf "$S"' EXIT
JOBS=$(nproc 2>/dev/null || echo 2)

# mutant NAME FILE FROM TO: FROM (a fixed string) must occur exactly once
# in FILE; the mutant has TO in its place.
M_NAME=() M_FILE=() M_FROM=() M_TO=()
mutant() { M_NAME+=("$1"); M_FILE+=("$2"); M_FROM+=("$3"); M_TO+=("$4"); }
mutant internal_error_grants pam/pam_cws.c \
        '        case CWS_R_INTERNAL_ERROR:' \
        '        case CWS_R_INTERNAL_ERROR: return PAM_SUCCESS;'
mutant bad_request_grants pam/pam_cws.c \
        '        case CWS_R_BAD_REQUEST:' \
        '        case CWS_R_BAD_REQUEST: return PAM_SUCCESS;'
mutant fail_open_offline pam/pam_cws.c \
        'cfg->fail_mode == CWS_FAIL_OPEN && v->answered && !v->offline ?' \
        'cfg->fail_mode == CWS_FAIL_OPEN ?'
mutant reply_for_another_user pam/pam_cws.c \
        'if (!about || strcmp(about, user) != 0)' \
        'if (!about || (strcmp(about, user) != 0 && 0))'
mutant allow_contradicting_reason pam/pam_cws.c \
        'if ((strcmp(decision, "allow") == 0) != (*reason == CWS_R_OK))' \
        'if (0 && (strcmp(decision, "allow") == 0) != (*reason == CWS_R_OK))'
mutant peer_cred_ignored lib/gate/protocol.c \
        '        if (!cws_owner_trusted(cred.uid))' \
        '        if (!cws_owner_trusted(cred.uid) && 0)'
mutant reply_wait_unbounded lib/gate/protocol.c \
        'r = cws_msg_recv(fd, resp, ms_left(deadline));' \
        'r = cws_msg_recv(fd, resp, 10000);'
mutant device_revocation_ignored lib/validate.c \
        '        if (revoked)' \
        '        if (0 && revoked)'
mutant offline_grace_ignored lib/gate/cache.c \
        'now_us - e->validated_us > (int64_t)max_age * 1000000)' \
        '(now_us - e->validated_us > (int64_t)max_age * 1000000 && 0))'
mutant offline_grace_zero_allows lib/gate/cache.c \
        'if (max_age == 0 || now_us < e->validated_us ||' \
        'if (now_us < e->validated_us ||'
mutant seen_revocation_ignored_offline lib/gate/cache.c \
        'seen = cws_seen_revoked_pair(state_dir, e->device_id, e->inv_id, NULL);' \
        'seen = cws_seen_revoked_pair(state_dir, e->device_id, e->inv_id, NULL) < 0 ? -1 : 0;'
mutant offline_allow_reused_for_session pam/txn.c \
        '!v->allow || !v->answered || v->offline ||' \
        '!v->allow ||'
mutant seen_revocation_ignored_online lib/decide.c \
        '        if (!dev && !inv)' \
        '        if (1)'
mutant garbage_reply_uses_cache pam/pam_cws.c \
        '        if (r == -EBADMSG) {' \
        '        if (0) {'
mutant connections_per_uid_unlimited lib/peer_limits.c \
        'if (p->conns >= (uid == 0 ? l->policy.conns_root : l->policy.conns_per_uid))' \
        'if (0 && p->conns >= (uid == 0 ? l->policy.conns_root : l->policy.conns_per_uid))'
mutant rate_limit_ignored lib/peer_limits.c \
        '        if (tat - now_usec > allowance) {' \
        '        if (0) {'
mutant child_type_above_parent lib/invitation.c \
        '        if (child->type > parent->type)' \
        '        if (child->type > parent->type && 0)'
mutant writable_file_accepted lib/gate/safe_file.c \
        '        if (st->st_mode & (S_IWGRP | S_IWOTH))' \
        '        if (0 && (st->st_mode & (S_IWGRP | S_IWOTH)))'
read -r -a SUITE <<<"${MUTANTS_SUITE:-unit test_fake_cwsd.sh test_pam.sh test_permissions.sh test_revocation_final.sh}"

# apply DIR FILE FROM TO: the one edit, or a loud failure.
apply() {
        local f=$1/$2 from=$3 to=$4 text rest n
        text=$(cat "$f"; echo x); text=${text%x}
        rest=${text//"$from"/}
        n=$(( (${#text} - ${#rest}) / ${#from} ))
        if [ "$n" -ne 1 ]; then
                echo "mutants: '$from' occurs $n times in $2, not once (update tests/mutants.sh)" >&2
                return 1
        fi
        printf '%s' "${text/"$from"/"$to"}" >"$f"
}

# suite DIR LOG: 0 when the suite passes on DIR's build, else 1, and
# the name of the first part that failed on stdout.
suite() {
        local d=$1 log=$2 part out
        for part in "${SUITE[@]}"; do
                if [ "$part" = unit ]; then
                        out=$("$d/tests/run.sh" "$d/build" unit 2>&1)
                        local urc=$?
                        printf '%s\n' "$out" >>"$log"
                        [ "$urc" -eq 0 ] || { echo "unit tests ($(grep -m1 '^failing:' <<<"$out"))"; return 1; }
                        continue
                fi
                out=$(B="$d/build" timeout 600 bash "$d/tests/integration/$part" 2>&1)
                local rc=$?
                printf '%s\n' "$out" >>"$log"
                if [ "$rc" -ne 0 ] || grep -q '^not ok ' <<<"$out" || ! grep -q '^ok ' <<<"$out"; then
                        echo "$part: $(grep -m1 '^not ok ' <<<"$out" || echo "exit $rc")"
                        return 1
                fi
        done
        return 0
}

build() { make -C "$1" -j"$JOBS" all-tests >>"$2" 2>&1; }

echo "mutants: scratch copy in $S"
mkdir "$S/base"
tar -C "$top" --exclude=./.git --exclude=./build -cf - . | tar -C "$S/base" -xf - || exit 2
build "$S/base" "$S/base.log" || { echo "mutants: the unmutated tree does not build (see $S/base.log)"; exit 2; }
if ! why=$(suite "$S/base" "$S/base.log"); then
        echo "mutants: the suite fails without any mutation ($why); fix that first"; exit 2
fi
echo "mutants: the unmutated tree passes ${SUITE[*]}"

survived=0 broken=0 total=0
for i in "${!M_NAME[@]}"; do
        name=${M_NAME[i]} file=${M_FILE[i]} from=${M_FROM[i]} to=${M_TO[i]}
        if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
        total=$((total + 1))
        d=$S/$name log=$S/$name.log
        cp -a "$S/base" "$d"
        if ! apply "$d" "$file" "$from" "$to" 2>>"$log"; then
                echo "BROKEN   $name: $(tail -1 "$log")"; broken=$((broken + 1)); rm -rf "$d"; continue
        fi
        diff -u "$S/base/$file" "$d/$file" >>"$log"
        if ! build "$d" "$log"; then
                echo "BROKEN   $name: the mutant does not build: $(grep -m1 'error:' "$log")"
                broken=$((broken + 1))
                rm -rf "$d"; continue
        fi
        if why=$(suite "$d" "$log"); then
                echo "SURVIVED $name ($file: $to)"; survived=$((survived + 1))
        else
                echo "killed   $name by $why"
        fi
        rm -rf "$d"
done
[ "$total" -gt 0 ] || { echo "mutants: no mutant named $*"; exit 2; }
echo "mutants: $total mutants, $((total - survived - broken)) killed, $survived survived, $broken broken"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
