#!/usr/bin/env python3
"""The test's webhook receiver: HTTPS, checks X-CWS-Signature (HMAC-SHA256
of the body under the shared secret) and appends each good body, one a
line, to LOG; a bad signature is answered 401 and written to LOG.bad.
While the file FAIL exists it answers 503 (delivery must be retried).
  webhook_receiver.py CERT KEY SECRET_FILE LOG PORT_FILE [PORT] [FAIL]"""
import hashlib, hmac, http.server, os, ssl, sys

cert, key, secret_file, log, port_file = sys.argv[1:6]
port = int(sys.argv[6]) if len(sys.argv) > 6 else 0
fail = sys.argv[7] if len(sys.argv) > 7 else None
secret = open(secret_file, "rb").read().rstrip(b"\r\n")


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-CWS-Signature", "")
        if self.headers.get("Content-Type") != "application/json" or not hmac.compare_digest(want, got):
            with open(log + ".bad", "ab") as f:
                f.write(got.encode() + b" " + body + b"\n")
            code = 401
        elif fail and os.path.exists(fail):
            code = 503
        else:
            with open(log, "ab") as f:
                f.write(body + b"\n")
            code = 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
