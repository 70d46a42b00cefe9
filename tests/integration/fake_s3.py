#!/usr/bin/env python3
"""A hostile or broken "S3 store" on loopback for the s3: fault tests.

    fake_s3.py CERT KEY PORTFILE MODE [UPSTREAM]

Serves TLS with CERT/KEY (plain HTTP when CERT is "-") on 127.0.0.1 (a free
port, written to PORTFILE once listening) and answers every request
according to MODE:
  stall    completes the handshake, reads the request, never answers
  garbage  answers bytes that are not HTTP
  big      200 with a 10 MiB body (over every bound)
  badxml   200 with a ListBucketResult that is not well-formed
  hugexml  200 with a 6 MiB ListBucketResult (over the page bound)
  record   200 with a body that is not a record
  error500 500 with an S3 error body
  redirect 301 to another host
  notfound 404 with a page that is not an S3 error (a proxy's, a balancer's)
  forward  forwards every request to UPSTREAM (HOST:PORT, TLS, not verified)
  revoked404  forwards too, but answers a device-revoked lookup as notfound
  control  forwards to UPSTREAM as the file CTL (6th argument) says, read at
           every request: "forward"; "stall [TEXT]" holds every request (or
           those whose request line holds TEXT) until CTL says otherwise, then
           forwards it; "refuse" closes the connection unanswered. Every
           request line is appended to CTL.log as it arrives.
Only the standard library; one thread per connection; killed by the test.
"""
import os
import socket
import ssl
import sys
import threading
import time


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest


def with_close(head):
    """head with its Connection header replaced by "Connection: close"."""
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"Connection: close"])


def forward(conn, head, body, upstream):
    """One request to upstream over TLS; its whole reply back, then close."""
    host, port = upstream.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, int(port))) as raw, ctx.wrap_socket(raw) as up:
        up.sendall(with_close(head) + b"\r\n\r\n" + body)
        reply = b""
        while True:
            chunk = up.recv(65536)
            if not chunk:
                break
            reply += chunk
    rhead, _, rbody = reply.partition(b"\r\n\r\n")
    conn.sendall(with_close(rhead) + b"\r\n\r\n" + rbody)


def not_found(conn):
    body = b"<html><body><h1>404 Not Found</h1>nginx</body></html>"
    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nConnection: close\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


LOG_LOCK = threading.Lock()


def control_action(ctl, line):
    try:
        words = open(ctl).read().split()
    except OSError:
        words = []
    action = words[0] if words else "forward"
    if action == "stall" and len(words) > 1 and words[1].encode() not in line:
        return "forward"
    return action


def controlled(conn, head, body, line, upstream, ctl):
    with LOG_LOCK, open(ctl + ".log", "ab") as f:
        f.write(line + b"\n")
    while control_action(ctl, line) == "stall":
        time.sleep(0.02)
    if control_action(ctl, line) == "refuse":
        return
    forward(conn, head, body, upstream)


def respond(conn, mode, upstream, ctl=None):
    req = read_request(conn)
    if req is None:
        return
    head, body = req
    line = head.split(b"\r\n")[0]
    if mode == "control":
        controlled(conn, head, body, line, upstream, ctl)
        return
    # A revocation is looked up by its versions: ?...prefix=...device-revoked%2F...
    if mode == "notfound" or (mode == "revoked404" and (b"/device-revoked/" in line or b"device-revoked%2F" in line)):
        not_found(conn)
        return
    if mode in ("forward", "revoked404"):
        forward(conn, head, body, upstream)
        return
    if mode == "stall":
        time.sleep(3600)
        return
    if mode == "garbage":
        conn.sendall(b"\x00\x17SSH-2.0 not http at all\r\n\xff\xfe" * 64)
        return
    if mode == "big":
        size = 10 * 1024 * 1024
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = b"A" * 65536
        for _ in range(size // len(chunk)):
            conn.sendall(chunk)
        return
    if mode == "error500":
        body = b"<Error><Code>InternalError</Code></Error>"
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        return
    if mode == "redirect":
        conn.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.example/\r\n"
                     b"Content-Length: 0\r\n\r\n")
        return
    if mode == "badxml":
        body = (b'<?xml version="1.0"?><ListBucketResult><IsTruncated>false</IsTruncated>'
                b"<Contents><Key>inv/inv-A</Key></Contents><Contents><Key>x</Contents>")
    elif mode == "hugexml":
        body = b"<ListBucketResult>" + b"<Name>pad</Name>" * (6 * 1024 * 1024 // 16) + b"</ListBucketResult>"
    else:
        body = b"this is not a signed record"
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(body), body))


def serve(conn, ctx, mode, upstream, ctl):
    try:
        if ctx is None:
            with conn:
                respond(conn, mode, upstream, ctl)
            return
        with ctx.wrap_socket(conn, server_side=True) as tls:
            respond(tls, mode, upstream, ctl)
    except (OSError, ssl.SSLError, ValueError):
        pass


def main():
    cert, key, portfile, mode = sys.argv[1:5]
    upstream = sys.argv[5] if len(sys.argv) > 5 else None
    ctl = sys.argv[6] if len(sys.argv) > 6 else None
    ctx = None
    if cert != "-":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, portfile)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, ctx, mode, upstream, ctl), daemon=True).start()


if __name__ == "__main__":
    main()
