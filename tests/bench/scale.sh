# make bench, sourced by run.sh: the registry-size figures, and the
# instance helper (a cwsd of its own, root enrolled there) that the
# other parts use too.
# Each size gets a cwsd of its own (config, state, socket and registry under
# $T/NAME; max_cache_age = 0), with its own invitation and enrollment and
# SIZE - 1 dummy invitations beside it, records nobody reads. The sizes of
# one backend are then measured in ROUNDS rounds taking turns, like the
# stacks above, so a change in the machine's load falls on all of them.
declare -A INST_SOCK INST_PID INST_CONF INST_STATE SCALE_NOTE

# instance_start NAME REGISTRY_LINES: writes NAME's config under $T/NAME
# (max_cache_age INST_MCA, default 0; MONITOR_INTERVAL and EXTRA_CONF as
# write_config takes them) and starts its cwsd, stopping the one before;
# a PAM service cws-NAME gates on it. The main CONF, SOCK and STATE are
# left as they were.
instance_start() {
        local name=$1 d=$T/$1 conf=$CONF sock=$SOCK state=$STATE lines=$REGISTRY_LINES ok=0
        instance_stop "$name"
        mkdir -p "$d/etc"
        CONF=$d/etc/cws.conf SOCK=$d/run/cwsd.sock STATE=$d/state REGISTRY_LINES=$2
        write_config "${INST_MCA:-0}"
        "$T/bin/cwsd" --config "$CONF" 2>>"$d/cwsd.log" &
        INST_PIDS+=($!)
        INST_PID[$name]=$! INST_CONF[$name]=$CONF INST_STATE[$name]=$STATE INST_SOCK[$name]=$SOCK
        for _ in $(seq 100); do [ -S "$SOCK" ] && ok=1 && break; sleep 0.05; done
        sed "s|conf=$conf|conf=$CONF|" "$PAMD/cws" >"$PAMD/cws-$name"
        CONF=$conf SOCK=$sock STATE=$state REGISTRY_LINES=$lines
        [ "$ok" = 1 ]
}

instance_stop() {
        [ -n "${INST_PID[$1]:-}" ] || return 0
        kill "${INST_PID[$1]}" 2>/dev/null
        wait "${INST_PID[$1]}" 2>/dev/null
        rm -f "${INST_SOCK[$1]}"
        unset "INST_PID[$1]" "INST_SOCK[$1]"
}

# instance_enroll NAME [--user USER]: a new invitation, enrolled on NAME's
# cwsd (for root, or USER).
instance_enroll() {
        local name=$1 tok out enrolled
        shift
        out=$(CONF=${INST_CONF[$name]} invite --json create "bench-$name") &&
                tok=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$out") && [ -n "$tok" ] &&
                enrolled=$("$T/bin/cws-enroll" --config "${INST_CONF[$name]}" "$@" "$tok") || return 1
        # root's own: its invitation and device, for a revocation.
        [ $# -gt 0 ] || printf '%s %s\n' "$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$out")" \
                "$(sed -n 's/^Enrolled device \([^ ]*\).*/\1/p' <<<"$enrolled")" >"$T/$name/last.ids"
}

# instance NAME REGISTRY_LINES: instance_start, and root enrolled there.
instance() {
        if instance_start "$1" "$2" && instance_enroll "$1" 2>"$T/err"; then
                return 0
        fi
        echo "FAILED: set-up of the $1 registry:" >&2
        sed 's/^/  /' "$T/err" "$T/$1/cwsd.log" | head -5 >&2
        failed=1
        unset "INST_SOCK[$1]"
        return 1
}

# add_dummies DIR COUNT: COUNT more invitations under DIR (a file
# registry's inv/), each with an invitation "record" nobody reads.
add_dummies() {
        python3 - "$1" "$2" <<'PY'
import os, secrets, sys
d, n = sys.argv[1], int(sys.argv[2])
for _ in range(n):
    i = os.path.join(d, "inv-" + secrets.token_urlsafe(16))
    os.mkdir(i, 0o755)
    with open(os.path.join(i, "invitation"), "w") as f:
        f.write("dummy\n")
PY
}

# add_s3_dummies PREFIX COUNT: COUNT dummy invitations PUT on RGW under
# PREFIX, 32 at a time; prints how many RGW accepted.
add_s3_dummies() {
        python3 - "$T/put.cfg" "$RGW_ENDPOINT/$RGW_BUCKET/$1/inv" "$T/empty" "$2" <<'PY'
import secrets, sys
cfg, base, body, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(cfg, "w") as f:
    for _ in range(n):
        f.write('url = "%s/inv-%s/invitation"\nupload-file = "%s"\n' % (base, secrets.token_urlsafe(16), body))
PY
        : >"$T/empty"
        curl -sS -Z --parallel-max 32 --cacert "$RGW_CA" --aws-sigv4 "aws:amz:us-east-1:s3" \
                --user "$RGW_ACCESS:$RGW_SECRET" -H "x-amz-content-sha256: $EMPTY_SHA256" \
                -K "$T/put.cfg" -o /dev/null -w '%{http_code}\n' 2>"$T/err" | grep -c '^200$'
}

# scale_setup BACKEND SIZE: the instance BACKEND-SIZE with its dummies.
scale_setup() {
        local be=$1 size=$2 name=$1-$2 t0 put
        t0=$(date +%s.%N)
        if [ "$be" = file ]; then
                instance "$name" "url = file://$T/$name/registry" || return 1
                if ! add_dummies "$T/$name/registry/inv" $((size - 1)) 2>"$T/err"; then
                        echo "  $name: could not add the dummy invitations: $(head -1 "$T/err")"
                        unset "INST_SOCK[$name]"
                        return 1
                fi
        else
                instance "$name" "$(s3_lines "$name")" || return 1
                put=$(add_s3_dummies "$name" $((size - 1)))
                if [ "$put" -ne $((size - 1)) ]; then
                        echo "  $name: only $put of $((size - 1)) dummy PUTs succeeded: $(head -1 "$T/err")"
                        unset "INST_SOCK[$name]"
                        return 1
                fi
        fi
        SCALE_NOTE[$be,$size]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "set up in %.0f s", b - a }')
}

# scale BACKEND SIZES: VN validations per size, in ROUNDS rounds.
scale() {
        local be=$1 sizes=$2 size r m p n t per=$(( (VN + ROUNDS - 1) / ROUNDS ))
        declare -A bad=()
        for size in $sizes; do scale_setup "$be" "$size" || bad[$size]=1; done
        for r in $(seq "$ROUNDS"); do
                for size in $sizes; do
                        [ -n "${bad[$size]:-}" ] && continue
                        if ! "$VALIDATE" "${INST_SOCK[$be-$size]}" "$USER_NAME" cws "$per" 5 \
                                        "$T/val.$be.$size" >/dev/null 2>"$T/err"; then
                                bench_fail "validation, $be registry of $size invitations, round $r"
                                bad[$size]=1
                        fi
                done
        done
        for size in $sizes; do
                if [ -n "${bad[$size]:-}" ]; then VMED[$be,$size]=n/a VP99[$be,$size]=n/a; continue; fi
                read -r m p n t < <(pooled "$T/val.$be.$size")
                VMED[$be,$size]=$m VP99[$be,$size]=$p
                echo "  $be, $size invitations: median_us=$m p99_us=$p n=$n (${SCALE_NOTE[$be,$size]})"
        done
}
