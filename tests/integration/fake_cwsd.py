#!/usr/bin/env python3
"""A lying or broken cwsd on the agent socket, for the tests that pam_cws
grants nothing it was not told to grant.

    fake_cwsd.py SOCKET MODEFILE LOGFILE [LIFETIME]

Listens on SOCKET (AF_UNIX, SOCK_SEQPACKET, mode 0666), reads one request
per connection in the framing of lib/gate/protocol.c (one datagram of
"key=value\\n" lines) and answers as MODEFILE says at that moment (one
word, re-read for every connection, so one fake serves a whole test).
Each request is logged to LOGFILE as "MODE op=OP user=USER". A request
that is not op=validate (the notes session_open and session_close) gets
status=ok. The fake exits by
itself after LIFETIME seconds (default 120); one thread per connection.
Modes:
  allow                the real thing: status=ok decision=allow reason=ok user=U
  deny:REASON          status=ok decision=deny reason=REASON user=U
  allow:REASON         status=ok decision=allow reason=REASON user=U
  error:REASON         a refusal, as cwsd sends it: status=error reason=REASON
  error_allow          status=error decision=allow reason=ok user=U
  no_status            decision=allow reason=ok user=U
  bad_decision         status=ok decision=yes reason=ok user=U
  unknown_reason       status=ok decision=allow reason=ok_trust_me user=U
  other_user           status=ok decision=allow reason=ok user=(another user)
  no_user              status=ok decision=allow reason=ok
  duplicate            decision=deny then decision=allow in one message
  garbage              bytes that are not the protocol
  oversize             a well-formed allow of exactly CWS_MSG_MAX (8192) bytes,
                       then one field more
  empty                an empty datagram
  close                reads the request, closes without answering
  late                 answers allow 5 s after the request
  hang_notes           validations as allow; a note is read and never answered
Only the standard library; killed by the test.
"""
import os
import socket
import sys
import threading
import time

MSG_MAX = 8192


def encode(fields):
    return "".join("%s=%s\n" % kv for kv in fields).encode()


def decode(data):
    req = {}
    for line in data.decode(errors="replace").split("\n"):
        k, sep, v = line.partition("=")
        if sep:
            req.setdefault(k, v)
    return req


def answer(mode, req):
    """The datagram to send for MODE, or None to send nothing."""
    user = req.get("user", "")
    if req.get("op") != "validate":
        return encode([("status", "ok")])
    ok_allow = [("status", "ok"), ("decision", "allow"), ("reason", "ok"), ("user", user)]
    word, _, arg = mode.partition(":")
    if word == "allow" and not arg:
        return encode(ok_allow)
    if word in ("allow", "deny"):
        return encode([("status", "ok"), ("decision", word), ("reason", arg), ("user", user)])
    if word == "error":
        return encode([("status", "error"), ("reason", arg), ("message", "refused by the fake")])
    table = {
        "error_allow": [("status", "error"), ("decision", "allow"), ("reason", "ok"), ("user", user)],
        "no_status": ok_allow[1:],
        "bad_decision": [("status", "ok"), ("decision", "yes"), ("reason", "ok"), ("user", user)],
        "unknown_reason": [("status", "ok"), ("decision", "allow"), ("reason", "ok_trust_me"),
                           ("user", user)],
        "other_user": ok_allow[:3] + [("user", "nobody" if user != "nobody" else "root")],
        "no_user": ok_allow[:3],
    }
    if mode in table:
        return encode(table[mode])
    if mode == "duplicate":
        return b"status=ok\ndecision=deny\ndecision=allow\nreason=ok\nuser=" + user.encode() + b"\n"
    if mode == "garbage":
        return b"\x00\xffHTTP/1.1 200 OK\r\n\r\nstatus=ok decision=allow"
    if mode == "oversize":
        # The first MSG_MAX bytes alone are a well-formed allow: only the
        # datagram's real length can tell the reader it was cut.
        head = encode(ok_allow)
        left, pads = MSG_MAX - len(head), []
        for i in range(8):
            n = left // (8 - i)
            pads.append(("pad_" + "abcdefgh"[i], "a" * (n - 7)))
            left -= n
        out = head + encode(pads)
        assert len(out) == MSG_MAX
        return out + encode([("pad_z", "more")])
    if mode == "empty":
        return b""
    return None


def serve(conn, modefile, log):
    with conn:
        conn.settimeout(10)
        try:
            data = conn.recv(MSG_MAX * 2)
        except OSError:
            return
        with open(modefile) as f:
            mode = f.read().strip()
        req = decode(data)
        log("%s op=%s user=%s" % (mode, req.get("op", "-"), req.get("user", "-")))
        if mode == "close" or not data:
            return
        if mode == "late":
            time.sleep(5)
            mode = "allow"
        if mode == "hang_notes":
            # Validations allowed; session notes read and never answered.
            if req.get("op") != "validate":
                time.sleep(120)
                return
            mode = "allow"
        out = answer(mode, req)
        if out is None:
            return
        try:
            conn.send(out)
        except OSError:
            pass


def main():
    path, modefile, logfile = sys.argv[1:4]
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120
    lock = threading.Lock()

    def log(line):
        with lock, open(logfile, "a") as f:
            f.write(line + "\n")

    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(path)
    os.chmod(path, 0o666)
    s.listen(64)
    s.settimeout(0.2)
    end = time.time() + lifetime
    while time.time() < end:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn, modefile, log), daemon=True).start()
    os.unlink(path)


if __name__ == "__main__":
    main()
