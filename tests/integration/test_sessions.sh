#!/bin/bash
# The real session entry points: sshd on loopback, sudo and su, each with
# pam_cws in its own PAM stack. Everything runs in a private mount
# namespace whose /etc/passwd, /etc/shadow, /etc/group, /etc/pam.d and
# /etc/sudoers.d are copies with the test users and pam_cws added, so the
# host's /etc is never written; /run, wtmp, btmp and lastlog are private too.
# Under SANITIZE=1 the module is built with ASan, and sshd, sudo and su are
# not: the runtime cannot come in late by dlopen, a setuid sudo or su does
# not take LD_PRELOAD, and LeakSanitizer would report their own leaks. So
# the whole script is skipped, and says so.
if [ -n "${SANITIZE:-}" ]; then
        echo "# SKIP test_sessions.sh: sshd, sudo and su are not built with ASan and cannot load the ASan pam_cws.so (SANITIZE=$SANITIZE)"
        exit 0
fi
MOUNT_NS=private . "$(dirname "$0")/lib.sh"
for p in /usr/sbin/sshd ssh ssh-keygen sudo su setpriv; do
        command -v "$p" >/dev/null || { nok "$p is installed (make deps)"; exit 1; }
done
admin_setup || { nok "admin setup"; exit 1; }

# --- private /etc, /run and login records ----------------------------------
private_system_copy 64100 cwsro cwsadm cwsnone || { nok "private /etc copies"; exit 1; }
for u in cwsro cwsadm cwsnone; do echo "$u ALL=(ALL) NOPASSWD: ALL" >>"$E/sudoers.d/cws-test"; done
chmod 440 "$E/sudoers.d/cws-test"
for s in sshd sudo su; do
        printf 'account required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
                "$B" "$CONF" "$B" "$CONF" >>"$E/pam.d/$s"
done
private_system_mount || exit 1
check "the sudoers drop-in is valid" visudo -cqf /etc/sudoers.d/cws-test

as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }

# --- sshd on loopback ------------------------------------------------------
loopback_sshd 2222 /usr/sbin/sshd cwsro cwsadm cwsnone || exit 1
ssh_as() { ssh_to "$1" 'echo session-of-$(id -un)'; }

start_cwsd "$T" || exit 1
invite --json create lab >"$T/ro.json"
invite --json create lab-admin --type admin >"$T/adm.json"
as_user cwsro "$B/cws-enroll" --config "$CONF" "$(json_get "$T/ro.json" 'j["token"]')" >"$T/out" 2>&1 ||
        { nok "cwsro enrolls"; cat "$T/out"; }
as_user cwsadm "$B/cws-enroll" --config "$CONF" "$(json_get "$T/adm.json" 'j["token"]')" >"$T/out" 2>&1 ||
        { nok "cwsadm enrolls"; cat "$T/out"; }

expect_rc "ssh: an enrolled user logs in" 0 ssh_as cwsro
check "... and gets a shell session" grep -qx session-of-cwsro "$T/out"
expect_rc "ssh: a user with no enrollment is refused at account time (255)" 255 ssh_as cwsnone
check "... sshd says PAM account management refused it" \
        grep -q "Access denied for user cwsnone by PAM account configuration" "$T/sshd.log"
as_user cwsro "$B/cws-revoke" --config "$CONF" "$(json_get "$T/ro.json" 'j["id"]')" >"$T/out" 2>&1 ||
        { nok "cwsro revokes its own device"; cat "$T/out"; }
expect_rc "ssh: after cws-revoke the same user is refused (255)" 255 ssh_as cwsro
expect_rc "ssh: an admin profile still logs in" 0 ssh_as cwsadm

# --- sudo: the type required for the service -------------------------------
invite --json create lab-ro2 >"$T/ro2.json"
sleep 1   # the newest enrollment is the one reported
as_user cwsro "$B/cws-enroll" --config "$CONF" "$(json_get "$T/ro2.json" 'j["token"]')" >/dev/null 2>&1
expect_rc "sudo: a read_only profile is refused under sudo = admin" 1 as_user cwsro sudo -n true
check "... sudo reports the account refusal (it asks PAM_SILENT, so no line from us)" \
        grep -q "PAM account management error: Permission denied" "$T/err"
check "... cwsd decided insufficient_type for the invoking user" \
        grep -q "user=cwsro service=sudo decision=deny reason=insufficient_type" "$T/cwsd.log"
expect_rc "ssh: ... while the same read_only profile may log in" 0 ssh_as cwsro
expect_rc "sudo: an admin profile is allowed" 0 as_user cwsadm sudo -n id -u
check "... and the command ran as root" grep -qx 0 "$T/out"
check "... its session was checked for the invoking user, not for root" \
        bash -c "! grep -q 'user=root' '$T/cwsd.log'"
expect_rc "sudo: a user with no enrollment is refused" 1 as_user cwsnone sudo -n true

# --- su: the target user is gated -------------------------------------------
expect_rc "su: to an enrolled user is allowed" 0 su -s /bin/sh -c 'id -un' cwsro
check "... and runs as that user" grep -qx cwsro "$T/out"
expect_rc "su: to a user with no enrollment is refused" 1 su -s /bin/sh -c true cwsnone
revoke --admin --all --keystore "$KS" --passphrase-file "$T/pass" "$(json_get "$T/adm.json" 'j["id"]')" >/dev/null
expect_rc "su: after the invitation is revoked, refused" 1 su -s /bin/sh -c true cwsadm
expect_rc "sudo: ... and sudo by that user is refused" 1 as_user cwsadm sudo -n true
expect_rc "ssh: ... and ssh by that user is refused (255)" 255 ssh_as cwsadm

# cwsd down: the sessions decide from the authenticated cache.
stop_cwsd "$T"
expect_rc "cwsd down: ssh of a user validated recently still works (cache)" 0 ssh_as cwsro
expect_rc "cwsd down: su to a user whose revocation was seen stays refused" 1 su -s /bin/sh -c true cwsadm

# The revocation monitor ends a live ssh session (terminate_on_revoke).
sed -i '/^\[agent\]/a monitor_interval = 5s\nterminate_on_revoke = true' "$CONF"
start_cwsd "$T" || exit 1
RO2=$(json_get "$T/ro2.json" 'j["id"]')
DEV2=$(devices --json "$RO2" | json_get - 'j["devices"][-1]["device_id"]')
ssh_to cwsro 'echo started; sleep 60' >"$T/live.out" 2>&1 &
live=$!; PIDS+=($live)
for _ in $(seq 100); do grep -q started "$T/live.out" && break; sleep 0.1; done
check "a live ssh session of cwsro is running" grep -q started "$T/live.out"
revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$RO2" "$DEV2" >/dev/null
end=$((SECONDS + 12))
while [ $SECONDS -le $end ] && kill -0 "$live" 2>/dev/null; do sleep 0.2; done
check "after the administrator revokes its device, the monitor ends it within one interval" \
        bash -c "! kill -0 $live 2>/dev/null"
wait "$live"; rc=$?
check "... the ssh client sees the connection end (exit $rc, not 0)" test "$rc" -ne 0
check "... cwsd ended the session's leader" grep -q "ended the session of cwsro" "$T/cwsd.log"
