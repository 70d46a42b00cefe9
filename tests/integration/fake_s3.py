#!/usr/bin/env python3
"""A hostile or broken "S3 store" on loopback for the s3: fault tests.

    fake_s3.py CERT KEY PORTFILE MODE

Serves TLS with CERT/KEY on 127.0.0.1 (a free port, written to PORTFILE once
listening) and answers every request according to MODE:
  stall    completes the handshake, reads the request, never answers
  garbage  answers bytes that are not HTTP
  big      200 with a 10 MiB body (over every bound)
  badxml   200 with a ListBucketResult that is not well-formed
  hugexml  200 with a 6 MiB ListBucketResult (over the page bound)
  record   200 with a body that is not a record
  error500 500 with an S3 error body
  redirect 301 to another host
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
    return head


def respond(conn, mode):
    if read_request(conn) is None:
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


def serve(conn, ctx, mode):
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            respond(tls, mode)
    except (OSError, ssl.SSLError, ValueError):
        pass


def main():
    cert, key, portfile, mode = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, portfile)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, ctx, mode), daemon=True).start()


if __name__ == "__main__":
    main()
