#!/bin/bash
# gate = group:NAME for users in many groups: a user in 300 groups, the
# gate group among them, is gated (cwsd decides); one in 299 of them but
# not the gate group is left alone (PAM_IGNORE). The module's group list
# grows (it had room for 256, and denied as "cannot tell" beyond). Runs
# in a private mount namespace over copies of /etc/passwd and /etc/group.
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
cp /etc/passwd "$T/passwd"; cp /etc/group "$T/group"
printf 'cwsmany:x:4242:4242::/nonexistent:/usr/sbin/nologin\ncwsfew:x:4243:4243::/nonexistent:/usr/sbin/nologin\n' >>"$T/passwd"
printf 'cwsmany:x:4242:\ncwsfew:x:4243:\n' >>"$T/group"
for i in $(seq 299); do echo "cwsg$i:x:$((52000 + i)):cwsmany,cwsfew"; done >>"$T/group"
echo "cwsgate:x:52300:cwsmany" >>"$T/group"
mount --bind "$T/passwd" /etc/passwd && mount --bind "$T/group" /etc/group || { nok "private passwd/group"; exit 1; }
check "cwsmany is in 301 groups" test "$(id -G cwsmany | wc -w)" -eq 301
sed -i '/^\[policy\]/d' "$CONF"; printf '\n[policy]\ngate = group:cwsgate\n' >>"$CONF"
PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$CONF" >"$PAMD/login"
start_cwsd "$T" || exit 1
out=$("$B/pam_run" "$PAMD" login cwsmany --raw 2>&1)
check "in 300 groups, the gate group among them: gated, cwsd decides (PAM_PERM_DENIED, not enrolled)" \
        grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
check "... and cwsd was asked" grep -q "validate user=cwsmany .*reason=not_enrolled" "$T/cwsd.log"
out=$("$B/pam_run" "$PAMD" login cwsfew --raw 2>&1)
check "in 299 groups, not the gate group: outside the gate (PAM_IGNORE)" grep -q "^acct=PAM_IGNORE" <<<"$out"
