#!/bin/bash
# libnss_cws.so.2 through glibc for real: getent, id, initgroups and sudo
# see the cws-* groups that cwsd writes to /run/cws/groups; a revocation
# takes the user out within one monitor_interval with no login in between;
# a real sshd with AllowGroups cws-read_only lets an enrolled user in and
# refuses an unenrolled one by itself, and a revoked one after the sweep;
# a clash with /etc/group is not served and is logged; a missing or unsafe
# file is UNAVAIL (the next source decides); a small buffer is ERANGE; and
# hostile contents stay bounded. Everything runs in a private mount
# namespace: /etc/passwd, shadow, group, nsswitch.conf and sudoers.d are
# copies, /run is a tmpfs, and the module reaches glibc's library
# directory through an overlay whose upper layer is under $T. The host is
# never written. Under SANITIZE=1 the module has ASan, which getent, sudo
# and sshd cannot load, so the script (the sshd part too) is skipped and
# says so.
if [ -n "${SANITIZE:-}" ]; then
        echo "# SKIP test_nss.sh: getent, id, sudo and sshd (AllowGroups cws-read_only) cannot load an ASan libnss_cws.so.2 (SANITIZE=$SANITIZE)"
        exit 0
fi
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
for p in getent id sudo setpriv visudo /usr/sbin/sshd ssh ssh-keygen ss; do
        command -v "$p" >/dev/null || { nok "$p is installed (make deps)"; exit 1; }
done
admin_setup || { nok "admin setup"; exit 1; }
INTERVAL=5
sed -i "/^\[agent\]/a monitor_interval = ${INTERVAL}s" "$CONF"
admin_revoke() { revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$@" >/dev/null; }
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }
CALL=$B/tests/nss_call
[ -x "$CALL" ] || { nok "$CALL is built (make all-tests)"; exit 1; }

# --- private /etc, /run and library directory ---------------------------
private_system_copy 64300 cwsadm cwsro cwsnone || { nok "private /etc copies"; exit 1; }
if grep -q '^group:' /etc/nsswitch.conf; then
        sed 's/^group:.*/group:          files cws/' /etc/nsswitch.conf >"$E/nsswitch.conf"
else
        { cat /etc/nsswitch.conf; echo 'group:          files cws'; } >"$E/nsswitch.conf"
fi
echo '%cws-admin ALL=(ALL) NOPASSWD: ALL' >"$E/sudoers.d/cws-nss-test"
chmod 440 "$E/sudoers.d/cws-nss-test"
# sshd runs as a symlink so that its PAM service is its own, which lets
# everyone through: the only gate left is sshd's AllowGroups.
printf 'account required pam_permit.so\nsession required pam_permit.so\n' >"$E/pam.d/cws-nss-sshd"
private_system_mount nsswitch.conf || exit 1
mkdir -m 755 /run/cws || { nok "private /run/cws"; exit 1; }
LIBD=/usr/lib/$(${CC:-cc} -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$T/ovl/up" "$T/ovl/work"
mount -t overlay cws-lib -o "lowerdir=$LIBD,upperdir=$T/ovl/up,workdir=$T/ovl/work" "$LIBD" ||
        { nok "an overlay over $LIBD"; exit 1; }
cp "$B/libnss_cws.so.2" "$LIBD/libnss_cws.so.2"
MOD=$LIBD/libnss_cws.so.2
check "the sudoers drop-in is valid" visudo -cqf /etc/sudoers.d/cws-nss-test
G=/run/cws/groups
members() { getent group "$1" | cut -d: -f4 | tr ',' '\n'; }
is_member() { members "$2" | grep -qx "$1"; }

# --- enrolled users are members, through glibc ----------------------------
start_cwsd "$T" || exit 1
check "cwsd writes $G at start" test -f "$G"
check "... mode 0644, owned by root" test "$(stat -c '%a %u' "$G")" = "644 0"
invite --json create lab-ro >"$T/ro.json"
invite --json create lab-admin --type admin >"$T/adm.json"
as_user cwsro "$B/cws-enroll" --config "$CONF" "$(json_get "$T/ro.json" 'j["token"]')" >"$T/out" 2>&1 ||
        { nok "cwsro enrolls"; cat "$T/out"; }
as_user cwsadm "$B/cws-enroll" --config "$CONF" "$(json_get "$T/adm.json" 'j["token"]')" >"$T/ro.enroll" 2>&1 ||
        { nok "cwsadm enrolls"; cat "$T/ro.enroll"; }
ADM_INV=$(json_get "$T/adm.json" 'j["id"]')
ADM_DEV=$(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/ro.enroll")
# cwsd sweeps a user after an enrollment (a background job) to learn the
# binding's type: the groups follow within moments, not before the reply.
wait_for 15 is_member cwsadm cws-admin
wait_for 15 is_member cwsro cws-read_only
check "getent group cws-admin lists the enrolled admin after the enrollment's sweep" is_member cwsadm cws-admin
check "getent group cws-admin: gid 110000 + 2 (the default gid_base)" \
        test "$(getent group cws-admin | cut -d: -f3)" = 110002
check "the admin is in cws-read_write and cws-read_only too" \
        eval 'is_member cwsadm cws-read_write && is_member cwsadm cws-read_only'
check "the read_only user is in cws-read_only" is_member cwsro cws-read_only
check "... and in no higher group" eval '! is_member cwsro cws-read_write && ! is_member cwsro cws-admin'
check "the unenrolled user is in none" \
        test -z "$(getent group cws-read_only cws-read_write cws-admin | grep -w cwsnone)"
check "getent group 110002 (getgrgid) is cws-admin" test "$(getent group 110002 | cut -d: -f1)" = cws-admin
check "getent group (getgrent) lists the three groups" \
        test "$(getent group | grep -c '^cws-\(read_only\|read_write\|admin\):')" = 3
check "id cwsadm shows the three groups (initgroups_dyn)" \
        test "$(id -Gn cwsadm | tr ' ' '\n' | grep -c '^cws-')" = 3
check "id cwsro shows cws-read_only alone" test "$(id -Gn cwsro | tr ' ' '\n' | grep '^cws-')" = cws-read_only
check "id cwsnone shows none" test -z "$(id -Gn cwsnone | tr ' ' '\n' | grep '^cws-')"
check "getent initgroups cwsadm has the three gids" \
        eval '[ "$(getent initgroups cwsadm | tr " " "\n" | grep -c "^11000[012]$")" = 3 ]'

# --- sudo with %cws-admin ---------------------------------------------------
check "sudo -l -U cwsadm: allowed by %cws-admin" eval 'sudo -l -U cwsadm | grep -q "(ALL) NOPASSWD: ALL"'
check "sudo -l -U cwsro: not allowed" eval '! sudo -l -U cwsro | grep -q "NOPASSWD: ALL"'
expect_rc "the admin may sudo" 0 as_user cwsadm sudo -n id -u
expect_rc "the read_only user may not" 1 as_user cwsro sudo -n true

# --- a real sshd with AllowGroups cws-read_only ----------------------------
ln -s /usr/sbin/sshd "$T/cws-nss-sshd"
loopback_sshd 2231 "$T/cws-nss-sshd" cwsro cwsadm cwsnone -- 'AllowGroups cws-read_only' || nok "sshd starts"
ssh_as() { ssh_to "$1" 'echo session-of-$(id -un) $(id -Gn)'; }
expect_rc "sshd AllowGroups cws-read_only: the enrolled read_only user logs in" 0 ssh_as cwsro
check "... and the session's groups include cws-read_only" grep -qw cws-read_only "$T/out"
expect_rc "... the enrolled admin logs in too (cws-read_only is implied)" 0 ssh_as cwsadm
expect_rc "... the unenrolled user is refused (255)" 255 ssh_as cwsnone
check "... by sshd itself: none of its groups are in AllowGroups" \
        grep -q "User cwsnone from 127.0.0.1 not allowed because none of user's groups are listed in AllowGroups" "$T/sshd.log"

# --- a revocation takes the user out within one monitor_interval ----------
admin_revoke "$ADM_INV" "$ADM_DEV" || nok "the administrator revokes cwsadm's device"
t0=$SECONDS
wait_for $((INTERVAL + 5)) eval '! is_member cwsadm cws-admin'
check "after the revocation cwsadm leaves cws-admin, no login in between" eval '! is_member cwsadm cws-admin'
check "... in $((SECONDS - t0)) s (<= ${INTERVAL}s + 2s slack)" test $((SECONDS - t0)) -le $((INTERVAL + 2))
check "... and every cws group" test -z "$(id -Gn cwsadm | tr ' ' '\n' | grep '^cws-')"
expect_rc "... and sudo is refused" 1 as_user cwsadm sudo -n true
expect_rc "... and sshd (AllowGroups cws-read_only) refuses it (255)" 255 ssh_as cwsadm
check "... by AllowGroups" \
        grep -q "User cwsadm from 127.0.0.1 not allowed because none of user's groups are listed in AllowGroups" "$T/sshd.log"
stop_pid "$SSHD_PID"
check "the read_only user stays" is_member cwsro cws-read_only

# --- a clash with /etc/group is not served, and cwsd says so --------------
echo "cws-admin:x:4242:" >>"$E/group"
wait_for $((INTERVAL + 5)) grep -q 'nss: cws-admin is not served' "$T/cwsd.log"
check "a clashing cws-admin in /etc/group: cwsd logs it" \
        grep -q 'nss: cws-admin is not served: /etc/group already has a group cws-admin (gid 4242)' "$T/cwsd.log"
check "... and leaves the group out of $G" eval '! grep -q "^group cws-admin " "$G"'
check "... getent group cws-admin is the files group" test "$(getent group cws-admin | cut -d: -f3)" = 4242
check "... the other groups are still served" is_member cwsro cws-read_only
# In place: /etc/group is a bind mount of this very inode.
grep -vx 'cws-admin:x:4242:' "$E/group" >"$T/group.new"; cat "$T/group.new" >"$E/group"
wait_for $((INTERVAL + 5)) grep -q '^group cws-admin ' "$G"
check "once the clash is gone, the next sweep serves cws-admin again" grep -q '^group cws-admin 110002$' "$G"

# --- the module's own answers: ERANGE, UNAVAIL ------------------------------
cp "$G" "$T/good"
stop_cwsd "$T"
check "a tiny buffer is ERANGE with TRYAGAIN" \
        eval '"$CALL" "$MOD" getgrnam cws-read_only 16 | grep -qx "status=TRYAGAIN errno=ERANGE"'
check "a large one succeeds" eval '"$CALL" "$MOD" getgrnam cws-read_only 4096 | grep -qx "status=SUCCESS errno=0"'
check "getgrent retries a small buffer on the same entry" \
        eval '[ "$("$CALL" "$MOD" getgrent 8 | grep -c "^cws-")" = 3 ]'
check "initgroups of the read_only user adds one gid" \
        eval '[ "$("$CALL" "$MOD" initgroups cwsro 0 | tail -n +2)" = 110000 ]'
put() { rm -rf "$G"; cp "$T/good" "$G"; chmod 644 "$G"; chown 0:0 "$G"; chmod 755 /run/cws; chown 0:0 /run/cws; }
unavail() { # unavail NAME: the module says UNAVAIL, glibc goes on to files
        check "$1: the module says UNAVAIL" \
                eval '"$CALL" "$MOD" getgrnam cws-read_only 4096 | grep -q "^status=UNAVAIL"'
        check "$1: getent still answers from files" eval 'getent group root >/dev/null'
}
rm -f "$G"; unavail "a missing file"
put; ln -sf "$T/good" "$G.real"; rm "$G"; ln -s "$G.real" "$G"; unavail "a symlink"; rm -f "$G.real"
put; chmod 666 "$G"; unavail "a world-writable file"
put; chmod 664 "$G"; unavail "a group-writable file"
put; chown cwsro "$G"; unavail "a file owned by a user"
put; chmod 775 /run/cws; unavail "a group-writable /run/cws"
put; chown cwsro /run/cws; chown cwsro "$G"; unavail "a /run/cws owned by a user"
put; rm "$G"; mkfifo -m 644 "$G"; unavail "a FIFO (and no hang)"
put; rm "$G"; mkdir -m 755 "$G"; unavail "a directory"
put; chown 1 /run/cws; chown 1 "$G"
check "a file and /run/cws owned by a system account (as cws) are served" \
        eval '"$CALL" "$MOD" getgrnam cws-read_only 4096 | grep -q "^status=SUCCESS"'
# Through glibc: with "cws [UNAVAIL=continue NOTFOUND=return] files" a gid
# lookup stops at a usable file and goes on to files after an unusable one.
put; cp "$E/nsswitch.conf" "$T/nsswitch.saved"
sed 's/^group:.*/group: cws [NOTFOUND=return] files/' "$T/nsswitch.saved" >"$E/nsswitch.conf"
expect_rc "usable file: getent group 0 stops at cws (NOTFOUND=return)" 2 getent group 0
chmod 666 "$G"
expect_rc "unsafe file: getent group 0 goes on to files (UNAVAIL)" 0 getent group 0
cat "$T/nsswitch.saved" >"$E/nsswitch.conf"

# --- hostile contents: bounded, never a crash -------------------------------
hostile() { # hostile NAME: the file as written by the caller; UNAVAIL, within 5 s
        chmod 644 "$G"
        expect_rc "$1: no crash, no hang" 0 "$CALL" "$MOD" getgrnam cws-read_only 4096
        check "$1: UNAVAIL" grep -q '^status=UNAVAIL' "$T/out"
}
put
{ printf 'cws-groups 1\ngroup cws-read_only 110000\n'; seq -f 'member u%.0f read_only 4000000000' 100000; } >"$G"
expect_rc "100,000 members: getent group cws-read_only answers" 0 getent group cws-read_only
check "... with all 100,000 of them" test "$(tr ',' '\n' <"$T/out" | wc -l)" = 100000
expect_rc "... and id is not slowed into a hang" 0 id cwsro
{ printf 'cws-groups 1\n'; head -c 300 /dev/zero | tr '\0' a; echo; } >"$G"; hostile "a 300-byte line"
{ printf 'cws-groups 1\n# '; head -c $((10 << 20)) /dev/zero | tr '\0' a; echo; } >"$G"; hostile "a 10 MiB line"
{ printf 'cws-groups 1\n'; seq -f '# %.0f padding padding padding padding padding padding' 200000; } >"$G"
hostile "a file over 8 MiB"
printf 'cws-groups 1\ngroup cws-read_only 110000\nmember ro:ot read_only 4000000000\n' >"$G"; hostile "a bad user name"
printf 'cws-groups 1\ngroup cws-read_only 110000\nmember a\0b read_only 4000000000\n' >"$G"; hostile "a NUL byte"
head -c 65536 /dev/urandom >"$G"; hostile "random bytes"
printf 'cws-groups 1\ngroup cws-read_only 110000\nmember cwsro read_only 1000\n' >"$G"
check "a member whose until has passed is not served" test -z "$(members cws-read_only)"
put
