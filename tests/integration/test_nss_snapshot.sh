#!/bin/bash
# libnss_cws.so.2 keeps a parsed copy of /run/cws/groups per process:
# build/tests/nss_snapshot (tests/nss/nss_snapshot.c) loads the module
# once and changes the file under it: a settled file is answered without
# reading it again, a fresh one is read every time, a rename or an
# in-place rewrite of the same size and mtime is seen at once, an unsafe
# or missing file is UNAVAIL at once, and threads looking up while the
# file is replaced get whole answers. In a private mount namespace with
# /run a tmpfs: the host's /run is never written. No getent: it runs under
# SANITIZE too (the program and the module both have ASan).
if [ -z "${CWS_NSS_NS:-}" ]; then
        exec env CWS_NSS_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
PROG=$B/tests/nss_snapshot
[ -x "$PROG" ] || { nok "$PROG is built (make all-tests)"; exit 1; }
mount -t tmpfs -o mode=755 cws-run /run && mkdir -m 755 /run/cws || { nok "a private /run"; exit 1; }
# About 40 s at most: five bounded waits for the file to settle, each
# under 3 s, and the threads' 0.6 s.
bounded 120 "$PROG" "$B/libnss_cws.so.2" >"$T/snap.out" 2>"$T/snap.err"; rc=$?
grep -E '^(ok|not ok|#)' "$T/snap.out"
sed 's/^/#   /' "$T/snap.err"
check "nss_snapshot ran to its end" grep -qx '# done' "$T/snap.out"
check "... and every check passed (exit $rc)" test "$rc" -eq 0
sanitizer_in "nss_snapshot" "$T/snap.err" "$T/snap.out"
true
