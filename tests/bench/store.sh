# make bench, sourced by run.sh: the s3: store as the RGW parts see it.
#   s3_lines PREFIX [ENDPOINT]   [registry] lines for s3://$RGW_BUCKET/PREFIX,
#                                on RGW (HTTPS, pinned) or on ENDPOINT (http)
#   control_store NAME           fake_s3.py control in front of RGW: every
#                                request line in $T/NAME.ctl.log; the file
#                                $T/NAME.ctl says "forward" or "stall";
#                                sets STORE
#   rgw_requests                 the requests RGW has served (its perf counter)
FAKE_S3=$(cd "$(dirname "$0")/../integration" && pwd)/fake_s3.py
FAKE_PIDS=()

s3_lines() {
        printf 'url = s3://%s/%s\nendpoint = %s\ncredentials_file = %s\n' \
                "$RGW_BUCKET" "$1" "${2:-$RGW_ENDPOINT}" "$RGW_CREDS"
        [ -n "${2:-}" ] || printf 'ca_file = %s\npinned_keys = %s\n' "$RGW_CA" "$RGW_PIN"
        # The test bucket has no object lock (cwsd refuses that by default).
        echo "require_object_lock = false"
}

control_store() {
        local ctl=$T/$1.ctl
        echo forward >"$ctl"
        rm -f "$T/$1.port"
        python3 "$FAKE_S3" - - "$T/$1.port" control "127.0.0.1:$RGW_PORT" "$ctl" 2>"$T/$1.fake.err" &
        FAKE_PIDS+=($!)
        for _ in $(seq 100); do [ -s "$T/$1.port" ] && break; sleep 0.05; done
        [ -s "$T/$1.port" ] || return 1
        STORE=http://127.0.0.1:$(cat "$T/$1.port")
}

stop_fakes() {
        local p
        for p in "${FAKE_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        FAKE_PIDS=()
}

rgw_requests() {
        ceph --admin-daemon "$RGW_DIR/run/client.rgw.asok" perf dump 2>/dev/null |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["rgw"]["req"])' 2>/dev/null || echo n/a
}

# lines_of FILE: how many lines FILE has (0 when absent); after FILE N:
# the lines after the first N.
lines_of() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
after() { tail -n +$(($2 + 1)) "$1"; }

# wait_line SECONDS FILE OFFSET PATTERN: until a line after the first
# OFFSET of FILE matches PATTERN (grep -E), polled every 20 ms; bounded.
wait_line() {
        local end=$(($(date +%s%N) + $1 * 1000000000))
        while [ "$(date +%s%N)" -lt "$end" ]; do
                after "$2" "$3" | grep -qE -- "$4" && return 0
                sleep 0.02
        done
        return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
