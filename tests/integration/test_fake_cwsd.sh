#!/bin/bash
# pam_cws.so against a cwsd that lies or breaks (fake_cwsd.py on the
# module's socket): only a well-formed allow for the user asked about
# admits; garbage, refusals, contradictions, answers about another user,
# silence, late and oversize answers deny, within the timeout bound, with
# fail_mode=open too. fail_mode=open admits only on a running cwsd's
# registry_unavailable; an impostor on the socket is not believed.
. "$(dirname "$0")/lib.sh"
FAKE=$(dirname "$0")/fake_cwsd.py
PAMD=$T/pam.d; mkdir -p "$PAMD"
TIMEOUT_MS=300
BOUND_MS=2000   # the account phase waits at most timeout_ms, then the cache
service() { # service NAME CONF [MODULE ARGS...]
        local n=$1 c=$2; shift 2
        printf 'account required %s/pam_cws.so conf=%s timeout_ms=%s %s\nsession required %s/pam_cws.so conf=%s timeout_ms=%s %s\n' \
                "$B" "$c" "$TIMEOUT_MS" "$*" "$B" "$c" "$TIMEOUT_MS" "$*" >"$PAMD/$n"
}
service closed "$CONF"
service open "$CONF" fail_mode=open

# A real cwsd once, so the state directory and host key exist as on a
# host; root has no binding and so no cache: every fallback is a miss.
start_cwsd "$T" || exit 1
stop_cwsd "$T"
check "no cache for root (every offline fallback is a miss)" test ! -e "$T/state/cache/0"

# start_fake DIR PYTHON [WRAPPER...]: fake_cwsd.py on DIR's socket.
start_fake() {
        local d=$1 py=$2; shift 2
        echo allow >"$d/fake.mode"; : >"$d/fake.log"; chmod 666 "$d/fake.log"
        "$@" "$py" "$FAKE" "$d/run/cwsd.sock" "$d/fake.mode" "$d/fake.log" 120 2>>"$d/fake.err" &
        PIDS+=($!); FAKE_PID=$!
        wait_for 5 test -S "$d/run/cwsd.sock" || { nok "fake cwsd starts"; cat "$d/fake.err"; exit 1; }
}
# expect MODE SERVICE WANT: with the fake in MODE, root's account check
# through SERVICE gives WANT within BOUND_MS, and the fake did get the
# request (so the answer judged is the fake's).
expect() {
        local mode=$1 svc=$2 want=$3 d=$T t0 ms out seen
        echo "$mode" >"$d/fake.mode"
        seen=$(wc -l <"$d/fake.log")
        t0=${EPOCHREALTIME/./}
        out=$(timeout 10 "$B/pam_run" "$PAMD" "$svc" root 2>&1)
        ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
        if ! grep -q "^acct=$want " <<<"$out"; then
                nok "fake cwsd '$mode', fail_mode=$svc: got '$(grep acct= <<<"$out")', wanted $want"
        elif [ "$ms" -ge "$BOUND_MS" ]; then
                nok "fake cwsd '$mode', fail_mode=$svc: $want but after $ms ms (bound $BOUND_MS)"
        elif ! tail -n +$((seen + 1)) "$d/fake.log" | grep -qx "$mode op=validate user=root"; then
                nok "fake cwsd '$mode', fail_mode=$svc: the fake never saw the request"
        else
                ok "fake cwsd '$mode', fail_mode=$svc -> $want ($ms ms)"
        fi
}

start_fake "$T" python3
# Controls: the fake is believed when it tells the truth.
for svc in closed open; do expect allow $svc PAM_SUCCESS; done
expect deny:registry_unavailable closed PAM_AUTHINFO_UNAVAIL
expect deny:registry_unavailable open PAM_SUCCESS   # the one case fail_mode=open is for

for svc in closed open; do
        # Denials stay denials, fail_mode=open or not.
        expect deny:not_enrolled $svc PAM_PERM_DENIED
        expect deny:device_revoked $svc PAM_PERM_DENIED
        expect deny:invitation_expired $svc PAM_ACCT_EXPIRED
        expect deny:bad_request $svc PAM_AUTHINFO_UNAVAIL
        expect deny:internal_error $svc PAM_AUTHINFO_UNAVAIL
        # Refusals and replies that are not a decision about root.
        for m in error:bad_request error:internal_error error:permission_denied error:ok \
                 error_allow no_status bad_decision unknown_reason other_user no_user deny:ok \
                 allow:not_enrolled allow:bad_request allow:internal_error \
                 allow:registry_unavailable allow:device_revoked; do
                expect "$m" $svc PAM_AUTHINFO_UNAVAIL
        done
        # No usable answer: denied outright (garbage, duplicate, oversize),
        # or the offline cache decides and has nothing (the rest).
        for m in garbage duplicate oversize empty close late; do
                expect "$m" $svc PAM_AUTHINFO_UNAVAIL
        done
done

# One round trip a transaction: the session phase takes the account
# phase's allow and only registers the session, and the close is a note
# too; neither waits for an answer. Against a fake that never answers a
# note, with timeout_ms=60000, the transaction still ends at once (were a
# note awaited, "timeout 20" would cut it), and the fake got both notes.
service notes "$CONF" timeout_ms=60000
logged_since() { tail -n +$((seen + 1)) "$T/fake.log" | grep -qx "$1"; }
echo hang_notes >"$T/fake.mode"
seen=$(wc -l <"$T/fake.log")
out=$(timeout 20 "$B/pam_run" "$PAMD" notes root 2>&1)
check "notes not awaited: the transaction ends with the fake never answering them" \
        grep -q '^acct=PAM_SUCCESS open=PAM_SUCCESS close=PAM_SUCCESS' <<<"$out"
check "... the fake got the session_open note" \
        wait_for 5 logged_since 'hang_notes op=session_open user=root'
check "... and the session_close note" \
        wait_for 5 logged_since 'hang_notes op=session_close user=root'
check "... and one validation for the whole transaction (the session took the account's allow)" \
        test "$(tail -n +$((seen + 1)) "$T/fake.log" | grep -c 'op=validate')" = 1

# The config as the process read it last is kept (pam_cws.so stays
# loaded): five transactions in one process, the file changed between
# them. Made unsafe, it is refused at once, not taken from memory;
# rewritten in place (the same inode) or renamed over, the new file is
# what decides. pam_run's clock runs a minute ahead (timeshift.c), so that
# every file looks settled (a file changed in the last 2 s is never kept).
here=$(dirname "$0")
cc -shared -fPIC -o "$T/timeshift.so" "$here/timeshift.c" -ldl 2>"$T/cc.err" ||
        { nok "build timeshift.so: $(cat "$T/cc.err")"; exit 1; }
AHEAD=(env LD_PRELOAD="$SAN_PRELOAD$T/timeshift.so" CWS_TEST_TIME_SHIFT=60)
MEMO=$T/etc/memo.conf
cp -p "$CONF" "$MEMO"
service memo "$MEMO"
cat >"$T/between.sh" <<SH
case \$PAM_RUN_K in
2) chmod 0666 "$MEMO" ;;
3) chmod 0644 "$MEMO" ;;
4) sed 's|^socket = .*|socket = $T/run/none.sock|' "$CONF" >"$T/memo.tmp" && cat "$T/memo.tmp" >"$MEMO" ;;
5) cp -p "$CONF" "$T/memo.tmp" && mv "$T/memo.tmp" "$MEMO" ;;
esac
SH
echo allow >"$T/fake.mode"
seen=$(wc -l <"$T/fake.log")
out=$(timeout 30 "${AHEAD[@]}" "$B/pam_run" "$PAMD" memo root --repeat 5 --between "bash $T/between.sh" 2>&1)
check "config kept in memory: the first transaction allows" grep -q '^k=1 acct=PAM_SUCCESS ' <<<"$out"
check "... the file made writable by all: the next one is refused (not taken from memory)" \
        grep -q '^k=2 acct=PAM_AUTHINFO_UNAVAIL ' <<<"$out"
check "... its mode put back: allowed again" grep -q '^k=3 acct=PAM_SUCCESS ' <<<"$out"
check "... rewritten in place with another socket: the new file decides (no cwsd there, no cache)" \
        grep -q '^k=4 acct=PAM_AUTHINFO_UNAVAIL ' <<<"$out"
check "... a file renamed over it: allowed again" grep -q '^k=5 acct=PAM_SUCCESS ' <<<"$out"
check "... cwsd asked by transactions 1, 3 and 5 only" \
        test "$(tail -n +$((seen + 1)) "$T/fake.log" | grep -c 'allow op=validate')" = 3
# Unchanged, it is read once for three transactions (strace counts the opens).
if command -v strace >/dev/null; then
        out=$(timeout 30 env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=openat \
                -o "$T/memo.st" "${AHEAD[@]}" "$B/pam_run" "$PAMD" memo root --repeat 3 --between true 2>&1)
        check "... unchanged: three transactions allowed" test "$(grep -c 'acct=PAM_SUCCESS' <<<"$out")" = 3
        check "... and the file opened once for the three" \
                test "$(grep -c "\"memo.conf\"" "$T/memo.st")" = 1
        # A file not settled (changed less than 2 s before it was read; here
        # the clock a minute behind the file's times) is read every time.
        out=$(timeout 30 env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=openat \
                -o "$T/memo2.st" env LD_PRELOAD="$SAN_PRELOAD$T/timeshift.so" CWS_TEST_TIME_SHIFT=-60 \
                "$B/pam_run" "$PAMD" memo root --repeat 3 --between true 2>&1)
        check "... a file not settled: three transactions allowed" test "$(grep -c 'acct=PAM_SUCCESS' <<<"$out")" = 3
        check "... and the file read by each of them" test "$(grep -c "\"memo.conf\"" "$T/memo2.st")" = 3
else
        nok "strace is not installed (make deps)"
fi
rm -f "$MEMO"

# Now root has a fresh cached validation (written as cwsd writes it, under
# the host key). A cwsd that is silent, late or hangs up is an outage: the
# cache decides and allows. A verified cwsd that answers something that
# does not decode is a fault, not an outage: denied, cache or not.
python3 - "$T/state" <<'PY'
import hashlib, hmac, os, sys, time
state = sys.argv[1]
ikm = open(os.path.join(state, "host.key"), "rb").read()
prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
key = hmac.new(prk, b"cws-cache-v1\x01", hashlib.sha256).digest()
body = ("version=2\nuid=0\nuser=root\nvalidated_us=%d\nprofile=lab\n"
        "invitation=inv-AAAAAAAAAAAAAAAAAAAAAA\ndevice=dev-BBBBBBBBBBBBBBBBBBBBBA\n"
        "type=admin\n" % (time.time_ns() // 1000)).encode()
mac = hmac.new(key, body, hashlib.sha256).hexdigest()
os.makedirs(os.path.join(state, "cache"), mode=0o700, exist_ok=True)
path = os.path.join(state, "cache", "0")
with open(path, "wb") as f:
    f.write(body + b"mac=" + mac.encode() + b"\n")
os.chmod(path, 0o600)
PY
for m in close late; do expect "$m" closed PAM_SUCCESS; done
# An account allow from the offline cache is not taken by the session
# phase: it asks cwsd again (and, no answer, decides offline again).
echo close >"$T/fake.mode"
seen=$(wc -l <"$T/fake.log")
out=$(timeout 20 "$B/pam_run" "$PAMD" closed root 2>&1)
check "an offline account allow: the session phase asks again, and allows offline" \
        grep -q '^acct=PAM_SUCCESS open=PAM_SUCCESS' <<<"$out"
check "... two validations in the transaction" \
        test "$(tail -n +$((seen + 1)) "$T/fake.log" | grep -c 'close op=validate')" = 2
for m in garbage duplicate oversize; do expect "$m" closed PAM_AUTHINFO_UNAVAIL; done
rm -f "$T/state/cache/0"

stop_pid "$FAKE_PID"
wait_for 5 test ! -S "$T/run/cwsd.sock" || rm -f "$T/run/cwsd.sock"

# cwsd stopped, fail_mode=open: an unenrolled user is refused.
out=$(timeout 10 "$B/pam_run" "$PAMD" open root 2>&1)
check "cwsd stopped, fail_mode=open: an unenrolled user is refused (PAM_AUTHINFO_UNAVAIL)" \
        grep -q '^acct=PAM_AUTHINFO_UNAVAIL ' <<<"$out"

# An impostor: a fake run by nobody. Its socket owned by nobody is refused
# before connecting; chowned to root, the peer's SO_PEERCRED still names
# nobody, and the module hangs up before asking.
I=$T/imp; write_config "$I"; mkdir -p "$I/run" "$I/state"; chown 65534 "$I/run"
cp "$FAKE" "$I/fake.py"; chmod 755 "$I/fake.py"
FAKE=$I/fake.py
service imp "$I/etc/cws.conf" fail_mode=open
start_fake "$I" /usr/bin/python3 setpriv --reuid=65534 --regid=65534 --clear-groups
out=$(timeout 10 "$B/pam_run" "$PAMD" imp root 2>&1)
check "a socket owned by nobody is refused (PAM_AUTHINFO_UNAVAIL, fail_mode=open)" \
        grep -q '^acct=PAM_AUTHINFO_UNAVAIL ' <<<"$out"
check "... without connecting to it" test ! -s "$I/fake.log"
chown 0 "$I/run/cwsd.sock"
out=$(timeout 10 "$B/pam_run" "$PAMD" imp root 2>&1)
check "the socket chowned to root, served by nobody: refused by SO_PEERCRED (PAM_AUTHINFO_UNAVAIL)" \
        grep -q '^acct=PAM_AUTHINFO_UNAVAIL ' <<<"$out"
check "... after connecting, and before sending the request" wait_for 5 grep -qx 'allow op=- user=-' "$I/fake.log"
