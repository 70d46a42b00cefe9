#!/bin/bash
# No local user can starve cwsd. An unprivileged user (setpriv, nobody)
# opens as many connections as cwsd lets it and holds them: a login is
# still answered online, promptly, a revocation is still seen by the
# monitor and refused, cwsd stays nearly idle, and the user's flood of
# registry-costly requests is cut off by the per-uid rate limit.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
INTERVAL=5
sed -i "/^\[agent\]/a monitor_interval = ${INTERVAL}s" "$CONF"
# No offline grace: a login allowed below was answered by cwsd itself.
printf '\n[policy]\noffline_grace = 0\n' >>"$CONF"
# The module's usual bound on cwsd; past it the module gives up on cwsd
# and, with no grace, denies. How long the logins took is reported, not
# asserted (machines differ; speed belongs to make bench).
PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s timeout_ms=3000\n' "$B" "$CONF" >"$PAMD/login"
pam() { "$B/pam_run" "$PAMD" login root 2>&1; }
# median_ms N: the median wall time of N logins, in ms.
median_ms() {
        local i t0 ts=()
        for i in $(seq "$1"); do
                t0=${EPOCHREALTIME/./}; pam >/dev/null; ts+=($(( (${EPOCHREALTIME/./} - t0) / 1000 )))
        done
        printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( ($1 + 1) / 2 ))p"
}
SOCK=$T/run/cwsd.sock

start_cwsd "$T" || exit 1
CWSD=${PIDS[-1]}
invite --json create lab >"$T/lab.json"
INV=$(json_get "$T/lab.json" 'j["id"]')
enroll "$(json_get "$T/lab.json" 'j["token"]')" >"$T/lab.enroll" || nok "enroll"
DEV=$(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/lab.enroll")
check "before the attack: the login is allowed online" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"
BEFORE_MS=$(median_ms 5)

# The attacker: as nobody, connect until cwsd refuses (it answers the
# refused ones with one message and closes them), then hold the rest.
cat >"$T/hold.py" <<'PY'
import resource, socket, sys, time, select
path, report = sys.argv[1], sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held, refused = [], 0
for i in range(min(hard - 16, 3000)):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
    except OSError:
        s.close(); refused += 1; continue
    held.append(s)
# Those cwsd refused are readable (a message, then end of file).
time.sleep(0.5)
def readable(socks, timeout_ms):
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLIN | select.POLLHUP)
    fds = {fd for fd, _ in p.poll(timeout_ms)}
    return [s for s in socks if s.fileno() in fds]
gone = readable(held, 0)
for s in gone:
    refused += 1; s.close()
alive = [s for s in held if s not in gone]
with open(report, "w") as f:
    f.write("held=%d refused=%d\n" % (len(alive), refused))
t0 = time.time()
while time.time() - t0 < 60:
    for s in readable(alive, 1000):
        alive.remove(s)
    with open(report + ".left", "w") as f:
        f.write("%d %.1f\n" % (len(alive), time.time() - t0))
PY
mkdir -p "$T/nobody"; chown nobody "$T/nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$T/hold.py" "$SOCK" "$T/nobody/hold.report" &
HOLDER=$!; PIDS+=($HOLDER)
for _ in $(seq 400); do [ -s "$T/nobody/hold.report" ] && break; sleep 0.05; done
read -r HELD REFUSED < <(sed 's/held=\([0-9]*\) refused=\([0-9]*\)/\1 \2/' "$T/nobody/hold.report")
check "the unprivileged user was cut off: holds ${HELD:-?} connections, ${REFUSED:-?} refused" \
        test "${HELD:-99}" -le 16 -a "${REFUSED:-0}" -gt 0
check "... and cwsd says so (once, not per connection)" \
        test "$(grep -c 'refused a connection from uid 65534' "$T/cwsd.log")" -eq 1

# cwsd's CPU over two seconds while the connections are held.
ticks() { awk '{print $14 + $15}' "/proc/$CWSD/stat"; }
c0=$(ticks); t0=$(date +%s%N); sleep 2; c1=$(ticks); t1=$(date +%s%N)
hz=$(getconf CLK_TCK)
pct=$(( (c1 - c0) * 100 * 1000000000 / hz / (t1 - t0) ))
check "cwsd stays idle while held (${pct}% of a CPU, < 10%)" test "$pct" -lt 10

check "while held: an enrolled user's login is answered by cwsd online (no offline grace)" \
        grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"
HELD_MS=$(median_ms 5)
echo "# login latency, median of 5: ${BEFORE_MS} ms before the attack, ${HELD_MS} ms while held"
revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$INV" "$DEV" >/dev/null
for _ in $(seq $((INTERVAL * 25 + 50))); do grep -q "monitor: user=root invitation=$INV" "$T/cwsd.log" && break; sleep 0.1; done
check "while held: the monitor still sweeps and sees the revocation" \
        grep -q "monitor: user=root invitation=$INV device=$DEV reason=device_revoked" "$T/cwsd.log"
check "while held: the revoked device is refused" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"

left() { read -r n _ <"$T/nobody/hold.report.left" 2>/dev/null; echo "${n:-99}"; }
for _ in $(seq 300); do [ "$(left)" -eq 0 ] && break; sleep 0.1; done
check "idle connections are closed by cwsd (left open: $(left))" test "$(left)" -eq 0

# Requests that cost registry work: a burst, then rate_limited.
cat >"$T/flood.py" <<'PY'
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
tok = "inv-AAAAAAAAAAAAAAAAAAAAAA." + "A" * 43
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.send(("op=enroll\nuser=nobody\ntoken=%s\n" % tok).encode())
    reply = s.recv(8192).decode()
    s.close()
    print([l[7:] for l in reply.splitlines() if l.startswith("reason=")][0])
PY
# The held connections are the user's whole allowance: let them go first.
stop_pid "$HOLDER"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$T/flood.py" "$SOCK" 12 >"$T/flood.out" 2>"$T/flood.err"
n_limited=$(grep -c '^rate_limited$' "$T/flood.out")
check "12 enrollments with made-up tokens: cut off after a burst (${n_limited} rate_limited)" \
        test "$n_limited" -ge 5 -a "$n_limited" -le 8
check "... the first ones were worked on" test "$(head -1 "$T/flood.out")" != rate_limited
/usr/bin/python3 "$T/flood.py" "$SOCK" 8 >"$T/flood-root.out" 2>&1
check "root is not rate-limited" test "$(grep -c '^bad_request$\|^record_missing$\|^invitation_' "$T/flood-root.out")" -eq 8 -a \
        "$(grep -c rate_limited "$T/flood-root.out")" -eq 0

# A client that sent a request and left before cwsd read it gets no work
# done; one that waits is answered. cwsd is stopped while both connect and
# send, so both requests are certainly waiting when cwsd reads them.
kill -STOP "$CWSD"
/usr/bin/python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"op=validate\nuser=root\nservice=gone-client\n")
s.close()
PY
/usr/bin/python3 - "$SOCK" "$T/stayed.sent" >"$T/stayed.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"op=validate\nuser=root\nservice=stayed-client\n")
open(sys.argv[2], "w").write("sent\n")
s.settimeout(30)
print(s.recv(8192).decode())
PY
STAYED=$!
for _ in $(seq 200); do [ -s "$T/stayed.sent" ] && break; sleep 0.05; done
kill -CONT "$CWSD"
wait "$STAYED"
check "a client that waits is answered" grep -q "^decision=" "$T/stayed.out"
check "... and its request logged" grep -q "service=stayed-client" "$T/cwsd.log"
check "a request whose client left is not worked on" \
        bash -c "! grep -q 'service=gone-client' '$T/cwsd.log'"
