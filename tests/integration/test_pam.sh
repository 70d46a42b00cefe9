#!/bin/bash
# pam_cws.so through the real libpam (pam_start_confdir, a private service
# directory): every decision and its PAM code.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
PAMD=$T/pam.d; mkdir -p "$PAMD"
service() { # service NAME [MODULE ARGS...]
        local n=$1; shift
        printf 'account required %s/pam_cws.so %s\nsession required %s/pam_cws.so %s\n' \
                "$B" "$*" "$B" "$*" >"$PAMD/$n"
}
service login "conf=$CONF"
service sudo "conf=$CONF"
service open "conf=$CONF fail_mode=open"
service badconf "conf=$T/missing.conf"
service badarg "conf=$CONF fail_mod=open"
service fast "conf=$CONF timeout_ms=300"
printf 'account required %s/pam_cws.so conf=%s\n' "$B" "$CONF" >"$PAMD/other"
pam() { timeout 30 "$B/pam_run" "$PAMD" "$@" 2>&1; }
# expect NAME "acct=... open=..." SERVICE USER [ARGS]: the codes match.
expect() {
        [ -n "${TRACE:-}" ] && echo "# $(date +%T) $1" >&2
        local n=$1 want=$2 out; shift 2
        out=$(pam "$@")
        if grep -q "^$want" <<<"$out"; then ok "$n"; else nok "$n: got '$(grep acct= <<<"$out")', wanted '$want'"; fi
        printf '%s\n' "$out" >"$T/pam.out"
}
set_policy() { # set_policy KEY VALUE: adds or replaces a [policy] key
        sed -i "/^$1 = /d" "$CONF"
        grep -q '^\[policy\]' "$CONF" || printf '\n[policy]\n' >>"$CONF"
        sed -i "/^\[policy\]/a $1 = $2" "$CONF"
}

start_cwsd "$T" || exit 1
invite --json create lab >"$T/inv.json"; INV=$(json_get "$T/inv.json" 'j["id"]')
invite --json create lab-admin --type admin >"$T/adm.json"

expect "not enrolled -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login root
check "the user is told why, in one line" grep -q "^msg: pam_cws: access denied: this device is not enrolled" "$T/pam.out"
expect "not enrolled, silent: no message" "acct=PAM_PERM_DENIED" login root --silent
check "... nothing said" bash -c "! grep -q '^msg:' '$T/pam.out'"
enroll "$(json_get "$T/inv.json" 'j["token"]')" >/dev/null
expect "enrolled -> PAM_SUCCESS for account and session" "acct=PAM_SUCCESS open=PAM_SUCCESS close=PAM_SUCCESS" login root --rhost 127.0.0.1 --tty pts/1
# libcrypto is for the offline decision only (pam_cws_offline.so): a
# login that cwsd answers never loads it (ld.so says what it loads).
out=$(LD_DEBUG=libs timeout 30 "$B/pam_run" "$PAMD" login root 2>&1)
check "cwsd answers: allowed" grep -q "^acct=PAM_SUCCESS open=PAM_SUCCESS" <<<"$out"
check "... without loading pam_cws_offline.so or libcrypto" \
        bash -c '! grep -qE "calling init: .*(pam_cws_offline|libcrypto)" <<<"$1"' _ "$out"
printf 'account required %s/pam_cws.so conf=%s\naccount required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
        "$B" "$CONF" "$B" "$CONF" "$B" "$CONF" >"$PAMD/twice"
expect "pam_cws twice in one account stack (the user remembered, then checked again)" \
        "acct=PAM_SUCCESS open=PAM_SUCCESS close=PAM_SUCCESS" twice root
expect "... and for a user with no enrollment, denied" "acct=PAM_PERM_DENIED" twice nobody
expect "read_only under sudo = admin -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" sudo root
check "... told insufficient type with the profile" grep -q "profile lab: your invitation type does not allow" "$T/pam.out"

# cwsd down: the module decides from the authenticated cache.
stop_cwsd "$T"
expect "cwsd down, fresh cache -> PAM_SUCCESS" "acct=PAM_SUCCESS open=PAM_SUCCESS" login root
out=$(LD_DEBUG=libs timeout 30 "$B/pam_run" "$PAMD" login root 2>&1)
check "cwsd down: the offline decision loads pam_cws_offline.so, and libcrypto with it" \
        bash -c 'grep -q "calling init: .*pam_cws_offline.so" <<<"$1" && grep -q "calling init: .*libcrypto" <<<"$1"' _ "$out"
# Without pam_cws_offline.so beside the module there is no offline
# decision: denied, fail closed.
mkdir -p "$T/lone"; cp "$B/pam_cws.so" "$T/lone/"
printf 'account required %s/lone/pam_cws.so conf=%s\n' "$T" "$CONF" >"$PAMD/lone"
expect "cwsd down, no pam_cws_offline.so beside the module -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" lone root
# One of another build beside it (its token is not this build's) is never
# called: this one would allow anyone, and the module denies.
cat >"$T/foreign.c" <<'C'
#include <stdbool.h>
const char cws_offline_abi_v1[] = "0.0.0/another-build";
int cws_offline_decide_v1(const char *s, unsigned u, const char *n, int t, unsigned g, void *v, void *e)
{
        (void)s; (void)u; (void)n; (void)t; (void)g; (void)e;
        *(bool *)v = true;   /* allow, reason 0 (ok) */
        return 0;
}
C
if cc -shared -fPIC -o "$T/lone/pam_cws_offline.so" "$T/foreign.c" 2>"$T/cc.err"; then
        expect "cwsd down, a pam_cws_offline.so of another build (one that allows) -> PAM_AUTHINFO_UNAVAIL" \
                "acct=PAM_AUTHINFO_UNAVAIL" lone root
else
        nok "build a foreign pam_cws_offline.so: $(cat "$T/cc.err")"
fi
rm -f "$T/lone/pam_cws_offline.so"
expect "cwsd down, fresh cache, wrong type -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" sudo root
expect "cwsd down, no cache for the user -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" login nobody
expect "cwsd down, no cache, fail_mode=open: an unenrolled user is still refused" "acct=PAM_AUTHINFO_UNAVAIL" open nobody
c=$(ls "$T"/state/cache/0)
cp "$T/state/cache/0" "$T/cache.orig"
flip_after "$T/state/cache/0" "validated_us=" 2
expect "cwsd down, forged cache -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" login root
cp "$T/cache.orig" "$T/state/cache/0"
set_policy offline_grace 1s
sleep 2
expect "cwsd down, stale cache -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" login root
expect "cwsd down, stale cache, fail_mode=open: still PAM_AUTHINFO_UNAVAIL (fail_mode needs a running cwsd)" "acct=PAM_AUTHINFO_UNAVAIL" open root
set_policy offline_grace 1d

# A cwsd that accepts but never answers: bounded by timeout_ms, then the cache.
python3 - "$T/run/cwsd.sock" <<'PY' &
import socket, sys, time, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(8)
conns = []
end = time.time() + 20
s.settimeout(0.5)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
PY
HANG=$!; PIDS+=($HANG)
wait_for 5 test -S "$T/run/cwsd.sock" || nok "the hanging fake cwsd starts"
expect "cwsd hangs: timeout, then fresh cache -> PAM_SUCCESS" "acct=PAM_SUCCESS" fast root
stop_pid "$HANG"; rm -f "$T/run/cwsd.sock"

start_cwsd "$T" || exit 1
DEV=$(devices --json "$INV" | json_get - 'j["devices"][-1]["device_id"]')
revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$INV" "$DEV" >/dev/null
expect "revoked device -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login root
check "... told the device was revoked" grep -q "this device was revoked" "$T/pam.out"
stop_cwsd "$T"
expect "a revocation once seen is kept: cwsd down -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login root
expect "... even with fail_mode=open" "acct=PAM_PERM_DENIED" open root
start_cwsd "$T" || exit 1

enroll "$(json_get "$T/adm.json" 'j["token"]')" >/dev/null
expect "admin profile -> sudo PAM_SUCCESS" "acct=PAM_SUCCESS open=PAM_SUCCESS" sudo root
revoke --all --keystore "$KS" --passphrase-file "$T/pass" "$(json_get "$T/adm.json" 'j["id"]')" >/dev/null
expect "revoked invitation -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" sudo root

sleep 1   # the newest enrollment's denial is the one reported; make it this one
invite --json create shortlived --valid-for 2s >"$T/short.json"
enroll "$(json_get "$T/short.json" 'j["token"]')" >/dev/null
sleep 3
expect "expired invitation -> PAM_ACCT_EXPIRED" "acct=PAM_ACCT_EXPIRED" login root
check "... told it expired" grep -q "has expired" "$T/pam.out"

# Gate: users outside gate = group:NAME are not gated.
set_policy gate group:nogroup
expect "root is outside gate group:nogroup: the module returns PAM_IGNORE" "acct=PAM_IGNORE open=PAM_IGNORE" login root --raw
expect "... which a stack of pam_cws alone turns into a denial" "acct=PAM_PERM_DENIED" login root
expect "nobody (primary group nogroup) is gated -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED open=PAM_PERM_DENIED" login nobody --raw
set_policy gate group:no-such-group-cws
expect "a gate group that does not exist -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" login root
set_policy gate all

# Configuration errors deny.
expect "conf= names a missing file -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" badconf root
expect "an unknown module argument -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" badarg root
chmod 666 "$CONF"
expect "a world-writable config -> PAM_AUTHINFO_UNAVAIL" "acct=PAM_AUTHINFO_UNAVAIL" login root
expect "... even with fail_mode=open" "acct=PAM_AUTHINFO_UNAVAIL" open root
chmod 644 "$CONF"
printf '[policy]\nfail_mode = open\nbogus = 1\n' >"$T/broken.conf"; chmod 644 "$T/broken.conf"
service broken "conf=$T/broken.conf"
expect "a config that fails to parse never opens the gate" "acct=PAM_AUTHINFO_UNAVAIL" broken root

# Hostile PAM items: a clear denial, no crash.
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect "a 5000-byte user name -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login "$long"
expect "a non-UTF-8 user name -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login $'r\xffoot'
expect "a user name with a newline -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login $'root\nfail_mode=open'
expect "a user name with ../ -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login "../../etc/passwd"
expect "an unknown user -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login no-such-user-cws
expect "an rhost with control characters -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login root --rhost $'evil\x1b[2J'
expect "a huge tty -> PAM_PERM_DENIED" "acct=PAM_PERM_DENIED" login root --tty "$long"
check "cwsd survived all of it" bash -c "'$B/cws-enroll' --config '$CONF' --check --json >/dev/null; [ \$? -ne 4 ]"
