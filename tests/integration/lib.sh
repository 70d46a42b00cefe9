# Shared set-up for the integration tests: a private config, registry,
# state directory and a real cwsd, all under one temp dir removed on exit.
# Each check prints "ok - NAME" or "not ok - NAME".
set -u
B=$(cd "${B:?B must point at the build directory}" && pwd)
T=$(mktemp -d /tmp/cws-it.XXXXXX)
chmod 755 "$T"
PIDS=()
# The administrator key stays in the test's encrypted file, never in the
# keyring of whoever runs the tests (test_keychain.sh tests the keyring).
export CWS_KEYCHAIN=file
cleanup() {
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
        declare -F rgw_stop >/dev/null && rgw_stop
        wait 2>/dev/null
        sanitizer_in_logs
        rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

# SANITIZE=1 (set by the Makefile): tests/run.sh sends sanitizer reports to
# its own directory and fails a script that leaves one. A program that gets
# an LD_PRELOAD shim needs the ASan runtime first in that list: SAN_PRELOAD.
# A report as the runtimes print it (==PID==ERROR: ..., FILE:LINE:COL: runtime
# error: ...), so that source trees and documents under $T (the package
# test's copies, a container's root) do not read as one.
SAN_MARKS='==[0-9]+==ERROR: (Address|Leak)Sanitizer|^[^ ]+:[0-9]+(:[0-9]+)?: runtime error:|==[0-9]+==ASan runtime does not come first'
SAN_PRELOAD=
if [ -n "${SANITIZE:-}" ]; then
        SAN_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so):
fi
# sanitizer_in NAME FILE...: under SANITIZE, a report written to stderr (UBSan's
# always are) in one of the FILEs fails NAME.
sanitizer_in() {
        local n=$1 f; shift
        [ -n "${SANITIZE:-}" ] && [ $# -gt 0 ] || return 0
        for f in $(grep -lE "$SAN_MARKS" "$@" 2>/dev/null); do
                nok "$n: a sanitizer report in ${f#"$T"/}"
                grep -E -m 5 -A 3 "$SAN_MARKS" "$f" | sed 's/^/#   /'
        done
}
# sanitizer_in_logs: at exit, the same for every file left under $T: cwsd's log
# and every other daemon's and command's output.
# A script that keeps trees under $T that are no one's output (a container's
# root, copies of the source) names those directories in SAN_SKIP_DIRS.
sanitizer_in_logs() {
        local d skip=()
        [ -n "${SANITIZE:-}" ] || return 0
        for d in ${SAN_SKIP_DIRS:-}; do skip+=("--exclude-dir=$d"); done
        # shellcheck disable=SC2046
        sanitizer_in "at exit" $(grep -rlIE -D skip "${skip[@]}" "$SAN_MARKS" "$T" 2>/dev/null)
}
# check NAME CMD...: passes when CMD succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else nok "$n"; fi; }
# Every wait is bounded: a program that should refuse but starts instead,
# or a condition that never comes, fails its check instead of hanging.
# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds; 1 when
# SECONDS pass first.
wait_for() {
        local secs=$1 end; shift
        end=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
        until "$@"; do
                (( ${EPOCHREALTIME/./} < end )) || return 1
                sleep 0.05
        done
}
# bounded SECONDS CMD...: runs CMD (a program or a function) and returns
# its status; still running after SECONDS, it is killed with everything it
# started (its own process group) and the status is 124, as with timeout(1).
bounded() {
        local secs=$1; shift
        (
                set -m
                [ -t 0 ] && exec </dev/null   # a background group must not read the terminal
                "$@" &
                pid=$!
                ( sleep "$secs"; kill -KILL -- "-$pid" ) 2>/dev/null &
                dog=$!
                wait "$pid" 2>/dev/null; rc=$?
                if kill -- "-$dog" 2>/dev/null; then exit "$rc"; fi
                echo "# still running after ${secs}s, killed: $*" >&2
                exit 124
        )
}
WAIT_BOUND=${WAIT_BOUND:-60}

# expect_rc NAME RC CMD...: passes when CMD exits with RC within WAIT_BOUND s.
expect_rc() {
        local n=$1 want=$2 rc; shift 2
        bounded "$WAIT_BOUND" "$@" >"$T/out" 2>"$T/err"; rc=$?
        if [ "$rc" -eq "$want" ]; then ok "$n"; else nok "$n (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/err" "$T/out"; fi
        sanitizer_in "$n" "$T/err" "$T/out"
}

# The backend under test: REGISTRY=file (default) or s3, the latter on the
# Ceph RGW that rgw_lib.sh starts, or that the caller started and exported
# (RGW_ENDPOINT ...); each script gets its own prefix in the bucket.
REGISTRY=${REGISTRY:-file}
if [ "$REGISTRY" = s3 ]; then
        . "$(dirname "${BASH_SOURCE[0]}")/rgw_lib.sh"
        if [ -z "${RGW_ENDPOINT:-}" ]; then rgw_start || { echo "not ok - start Ceph RGW"; exit 1; }; fi
        S3_PREFIX=it-$(basename "$T" | tr -cd 'A-Za-z0-9')
fi

# registry_conf: the [registry] lines for $REGISTRY.
registry_conf() {
        if [ "$REGISTRY" = s3 ]; then
                printf 'url = s3://%s/%s\nendpoint = %s\ncredentials_file = %s\nca_file = %s\npinned_keys = %s\n' \
                        "$RGW_BUCKET" "$S3_PREFIX" "$RGW_ENDPOINT" "$RGW_CREDS" "$RGW_CA" "$RGW_PIN"
                # The suite's default bucket has no object lock (RGW 16 ignores
                # If-None-Match on versioned buckets: see test_s3_object_lock.sh);
                # S3_REQUIRE_LOCK="" leaves the key out (the compiled default).
                [ -n "${S3_REQUIRE_LOCK-false}" ] && printf 'require_object_lock = %s\n' "${S3_REQUIRE_LOCK-false}"
        else
                printf 'url = file://%s/registry\n' "$T"
        fi
}

# count_slot_records INV: how many slot records the store holds for INV.
count_slot_records() {
        if [ "$REGISTRY" = s3 ]; then
                s3req GET "?list-type=2&prefix=$S3_PREFIX%2Finv%2F$1%2Fslot%2F" | grep -o '<Key>' | wc -l
        else
                find "$T/registry/inv/$1/slot" -type f | wc -l
        fi
}

# write_config DIR: a config whose every path lives under DIR.
write_config() {
        local d=$1
        mkdir -p "$d/etc"
        cat >"$d/etc/cws.conf" <<CONF
[registry]
$(registry_conf)
trusted_keys = $T/etc/trusted_keys

[agent]
socket = $d/run/cwsd.sock
state_dir = $d/state

[services]
sudo = admin
CONF
        chmod 644 "$d/etc/cws.conf"
}

# start_cwsd DIR [WRAPPER...]: starts cwsd for DIR's config, waits for its socket.
start_cwsd() {
        local d=$1; shift
        "$@" "$B/cwsd" --config "$d/etc/cws.conf" 2>>"$d/cwsd.log" &
        PIDS+=($!)
        wait_for 5 test -S "$d/run/cwsd.sock" && return 0
        echo "# cwsd did not start within 5 s:"; sed 's/^/#   /' "$d/cwsd.log"; return 1
}

stop_cwsd() {
        local d=$1
        pkill -f -- "--config $d/etc/cws.conf" 2>/dev/null
        wait_for 5 test ! -S "$d/run/cwsd.sock"
}

CONF=$T/etc/cws.conf
KS=$T/admin.key
printf 'correct horse battery\n' >"$T/pass"; chmod 600 "$T/pass"
write_config "$T"
invite() { "$B/cws-invite" --config "$CONF" --keystore "$KS" --passphrase-file "$T/pass" "$@"; }
enroll() { "$B/cws-enroll" --config "$CONF" "$@"; }
revoke() { "$B/cws-revoke" --config "$CONF" "$@"; }
devices() { "$B/cws-devices" --config "$CONF" "$@"; }
json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }

# admin_setup: administrator key pinned in trusted_keys.
admin_setup() {
        invite init >/dev/null || return 1
        invite pubkey >"$T/etc/trusted_keys" && chmod 644 "$T/etc/trusted_keys"
}

# enroll_race N TOKEN: N hosts (N real cwsd, each with its own state in
# $T/hI) enroll with TOKEN at the same moment; each leaves $T/hI/out and
# $T/hI/rc. Returns 2 when a cwsd does not start, 1 when an enrollment
# does not end within 60 s.
enroll_race() {
        local n=$1 token=$2 i
        for i in $(seq "$n"); do
                write_config "$T/h$i"
                start_cwsd "$T/h$i" || { nok "start cwsd $i"; return 2; }
        done
        rm -f "$T/go"
        for i in $(seq "$n"); do
                ( wait_for 30 test -e "$T/go"
                  "$B/cws-enroll" --config "$T/h$i/etc/cws.conf" "$token" >"$T/h$i/out" 2>&1
                  echo $? >"$T/h$i/rc" ) &
        done
        touch "$T/go"
        for i in $(seq "$n"); do wait_for 60 test -e "$T/h$i/rc" || return 1; done
}

# flip_at FILE OFFSET: changes the byte at OFFSET to another base64url
# character (one byte changed, length kept).
flip_at() {
        local f=$1 off=$2 c n=A
        c=$(dd if="$f" bs=1 skip="$off" count=1 2>/dev/null)
        [ "$c" = A ] && n=B
        printf %s "$n" | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
}

# flip_after FILE STRING K: flips the K-th character after STRING.
flip_after() {
        local off
        off=$(grep -bo -- "$2" "$1" | head -1 | cut -d: -f1)
        [ -n "$off" ] || return 1
        flip_at "$1" $((off + ${#2} + $3))
}

# loopback_sshd PORT BINARY USER... [-- CONFIG_LINE...]: OpenSSH's sshd
# (BINARY: /usr/sbin/sshd or a symlink to it, whose name is its PAM service)
# on 127.0.0.1 from the first free port at or above PORT, with its own host
# key, config and one user key authorized for every USER; waits (5 s at
# most) for it to listen. Sets SSHD_PORT and SSHD_PID; ssh_to logs in.
loopback_sshd() {
        local port=$1 bin=$2 u; shift 2
        while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
        mkdir -p "$T/keys"
        ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
        ssh-keygen -q -t ed25519 -N '' -f "$T/user_key"
        while [ $# -gt 0 ] && [ "$1" != -- ]; do cp "$T/user_key.pub" "$T/keys/$1"; shift; done
        [ $# -gt 0 ] && shift
        chmod 644 "$T"/keys/*
        {
                printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n' "$port" "$T/host_key" "$T/sshd.pid"
                printf 'UsePAM yes\nPubkeyAuthentication yes\nPasswordAuthentication no\n'
                printf 'KbdInteractiveAuthentication no\nAuthorizedKeysFile %s\nUseDNS no\nPrintMotd no\n' "$T/keys/%u"
                # The keys and homes live under /tmp (mode 1777), which StrictModes refuses.
                printf 'StrictModes no\n'
                for u in "$@"; do printf '%s\n' "$u"; done
        } >"$T/sshd_config"
        "$bin" -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
        SSHD_PID=$!; SSHD_PORT=$port
        PIDS+=($SSHD_PID)
        wait_for 5 eval 'ss -Hltn "sport = :$SSHD_PORT" | grep -q .' && return 0
        echo "# sshd did not listen on 127.0.0.1:$port within 5 s:"; sed 's/^/#   /' "$T/sshd.log"; return 1
}
# ssh_to USER COMMAND: runs COMMAND as USER through loopback_sshd's sshd.
ssh_to() {
        ssh -F /dev/null -p "$SSHD_PORT" -i "$T/user_key" -o BatchMode=yes -o StrictHostKeyChecking=no \
                -o ConnectTimeout=5 -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$1@127.0.0.1" "$2"
}
