#!/bin/bash
# make bench: the latency of a whole PAM transaction (pam_start_confdir ->
# acct_mgmt -> open_session -> close_session -> pam_end) through a stack
# with pam_cws, against pam_permit-only and pam_unix stacks in the same
# run, in four situations:
#   (a) cwsd up, answering from a fresh cached validation (max_cache_age = 1h)
#   (b) cwsd up, asking the file registry every time (max_cache_age = 0)
#   (c) cwsd down, the module deciding from cwsd's on-disk cache
#   (d) as (b), but the registry is s3: on a Ceph RGW started here on
#       loopback, over HTTPS with a pinned key (skipped, and said so, when
#       Ceph is not installed or RGW does not start)
# and the throughput of 1, 2, 4 and 8 concurrent processes. Then the
# latency of one validation alone (one "validate" request to cwsd, as
# pam_cws sends it: build/bench-validate) when cached, asking the file
# registry and asking RGW; whether cwsd reused one connection to RGW; and
# how a validation that asks the registry grows with the registry's size:
# the enrolled invitation plus dummy others (records nobody validates:
# validation reads only its own invitation's keys), 1k and 100k of them on
# file:, 1k and 10k on s3: (BENCH_S3_SIZES; 100k PUTs take RGW here about
# 2 minutes). Each size has a cwsd of its own, and the sizes take turns.
#   tests/bench/run.sh BUILD_DIR
# Latency figures pool BENCH_ROUNDS rounds (default 4) in which the three
# stacks take turns, so a change in the machine's load during the run
# falls on all of them alike.
# Environment: BENCH_N (timed transactions per latency figure, default
# 2000), BENCH_TP_N (transactions per throughput figure, shared by the
# processes, default 500), BENCH_WARMUP (untimed transactions at the start
# of every bench process, default 50), BENCH_ROUNDS, BENCH_VN (timed
# validations per validation figure, default 1000), BENCH_N_S3 (as BENCH_N,
# for (d); default half of it), BENCH_FILE_SIZES
# (default "1000 100000") and BENCH_S3_SIZES (default "1000 10000"):
# registry sizes, in invitations, for the scaling figures.
# Last, what libnss_cws.so.2 adds to a group lookup under "group: files
# cws" (getgrnam_r of cws-admin, initgroups of the bench user), against
# "group: files" alone: build/bench-nss, BENCH_NSS_N calls per figure
# (default 20000), a groups file of BENCH_NSS_MEMBERS members (default
# 1000) in a private mount namespace.
# Then, for issue 10: the floor under (a) (floor.sh: one ask and two notes
# to a server that does nothing, and two decisions' evidence), the system
# calls of one transaction, pam_permit
# alone and with pam_cws cached (syscalls.sh, strace -f -c); on RGW, a
# registry that stalls (stall.sh: login p99 while it does, decided by the
# offline rules, and how soon the registry is used again), logins while
# the monitor sweeps BENCH_SWEEP_BINDINGS (200) bindings against logins
# with it idle, and the monitor's requests to the store per host per
# interval, with notices and with full sweeps, a revocation found through
# its notice, and a model of a fleet's requests/s (monitor.sh).
# Parts: latency ((a) (b) (c)), syscalls, file-size, s3 ((d) and the s3:
# sizes), stall, sweep, fleet, nss. BENCH_ONLY="PART..." runs only those
# (the set-up always runs), BENCH_SKIP="PART..." all but those; the
# default runs all. More counts: BENCH_SC_N (strace'd transactions, 200),
# BENCH_STALL_N (logins during the stall, 500), BENCH_SWEEP_N (logins per
# figure, as BENCH_N_S3), BENCH_FLEET_ROUNDS (monitor rounds counted, 5).
# Speed is reported against the targets of issues 3 and 10, never
# asserted: the exit status is 1 only when a transaction failed (or the
# set-up did).
set -u
PARTS="latency syscalls file-size s3 stall sweep fleet nss"
# json_of KEY: the string KEY of the JSON object on stdin (python3's json).
json_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# want PART: whether BENCH_ONLY (default: every part) names PART and
# BENCH_SKIP does not.
want() {
        [[ " ${BENCH_ONLY:-$PARTS} " == *" $1 "* ]] && [[ " ${BENCH_SKIP:-} " != *" $1 "* ]]
}
for p in ${BENCH_ONLY:-} ${BENCH_SKIP:-}; do
        [[ " $PARTS " == *" $p "* ]] || { echo "bench: no part '$p'; the parts are: $PARTS" >&2; exit 1; }
done
B=$(cd "${1:?usage: tests/bench/run.sh BUILD_DIR}" && pwd)
N=${BENCH_N:-2000}
TP_N=${BENCH_TP_N:-500}
WARMUP=${BENCH_WARMUP:-50}
ROUNDS=${BENCH_ROUNDS:-4}
VN=${BENCH_VN:-1000}
N_S3=${BENCH_N_S3:-$((N / 2))}
FILE_SIZES=${BENCH_FILE_SIZES:-1000 100000}
S3_SIZES=${BENCH_S3_SIZES:-1000 10000}
USER_NAME=root
STACKS="permit unix cws"

if [ "$(id -u)" -ne 0 ]; then
        echo "bench: must run as root (cwsd's state directory, pam_unix for root); try: sudo make bench" >&2
        exit 1
fi
for f in bench bench-validate bench-nss bench-floor cwsd pam_cws.so pam_cws_offline.so libnss_cws.so.2 cws-invite cws-enroll cws-revoke; do
        [ -f "$B/$f" ] || { echo "bench: $B/$f is missing; run 'make all $B/bench $B/bench-validate $B/bench-nss $B/bench-floor' first" >&2; exit 1; }
done

T=$(mktemp -d /tmp/cws-bench.XXXXXX) || exit 1
chmod 755 "$T"
# A private copy of the build, so a rebuild during the run cannot swap a
# module under a transaction.
mkdir "$T/bin"
for f in bench bench-validate bench-nss bench-floor cwsd pam_cws.so pam_cws_offline.so libnss_cws.so.2 cws-invite cws-enroll cws-revoke; do cp "$B/$f" "$T/bin/" || exit 1; done
BENCH=$T/bin/bench
VALIDATE=$T/bin/bench-validate
CWSD=
SAMPLER=
INST_PIDS=()   # the registry-size cwsds
# Ceph's RGW for (d): rgw_start puts everything under $T/ceph and
# rgw_stop kills, by pid, what it started.
. "$(dirname "$0")/../integration/rgw_lib.sh"
for f in scale store syscalls stall monitor floor; do . "$(dirname "$0")/$f.sh"; done
cleanup() {
        [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
        [ -n "$CWSD" ] && kill "$CWSD" 2>/dev/null && wait "$CWSD" 2>/dev/null
        for p in "${INST_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        stop_fakes
        rgw_stop
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CONF=$T/etc/cws.conf
SOCK=$T/run/cwsd.sock
STATE=$T/state
PAMD=$T/pam.d
failed=0

die() { echo "bench: $*" >&2; [ -s "$T/cwsd.log" ] && sed 's/^/bench:   cwsd: /' "$T/cwsd.log" >&2; exit 1; }

# write_config MAX_CACHE_AGE, for the registry REGISTRY_LINES names and
# the state directory STATE. The revocation monitor also re-validates and
# rewrites the cache; at 1d it stays out of the figures and out of the
# check of whether the PAM path asked the registry. MONITOR_INTERVAL
# replaces that; EXTRA_CONF (whole sections) goes at the end.
REGISTRY_LINES="url = file://$T/registry"
write_config() {
        cat >"$CONF" <<CONF
[registry]
$REGISTRY_LINES
trusted_keys = $T/etc/trusted_keys

[agent]
socket = $SOCK
state_dir = $STATE
monitor_interval = ${MONITOR_INTERVAL:-1d}

[policy]
max_cache_age = $1
offline_grace = 1d
${EXTRA_CONF:-}
CONF
        chmod 644 "$CONF"
}

start_cwsd() {
        "$T/bin/cwsd" --config "$CONF" 2>>"$T/cwsd.log" &
        CWSD=$!
        for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
        die "cwsd did not start"
}

stop_cwsd() {
        [ -n "$CWSD" ] || return 0
        kill "$CWSD" 2>/dev/null
        wait "$CWSD" 2>/dev/null
        CWSD=
        rm -f "$SOCK"   # cwsd removes it itself; this only makes sure
}

# --- set-up: administrator key, invitation, enrollment, PAM stacks -----
mkdir -p "$T/etc" "$PAMD"
write_config 1h
printf 'bench passphrase\n' >"$T/pass"
chmod 600 "$T/pass"
invite() { "$T/bin/cws-invite" --config "$CONF" --keystore "$T/admin.key" --passphrase-file "$T/pass" "$@"; }
invite init >/dev/null 2>"$T/err" || die "cws-invite init: $(cat "$T/err")"
invite pubkey >"$T/etc/trusted_keys" 2>"$T/err" || die "cws-invite pubkey: $(cat "$T/err")"
chmod 644 "$T/etc/trusted_keys"
start_cwsd
invite --json create bench >"$T/inv.json" 2>"$T/err" || die "cws-invite create: $(cat "$T/err")"
TOKEN=$(json_of token <"$T/inv.json")
[ -n "$TOKEN" ] || die "no token in the cws-invite output"
"$T/bin/cws-enroll" --config "$CONF" "$TOKEN" >/dev/null 2>"$T/err" || die "cws-enroll: $(cat "$T/err")"

printf 'account required pam_permit.so\nsession required pam_permit.so\n' >"$PAMD/permit"
printf 'account required pam_unix.so\nsession required pam_unix.so\n' >"$PAMD/unix"
# pam_permit plus pam_cws: the difference to "permit" is pam_cws alone.
cat >"$PAMD/cws" <<PAM
account required pam_permit.so
account required $T/bin/pam_cws.so conf=$CONF
session required pam_permit.so
session required $T/bin/pam_cws.so conf=$CONF
PAM

# --- measuring ---------------------------------------------------------
declare -A MED P99 TPS CACHE_NOTE VMED VP99
field() { sed -n "s/.*\<$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# bench_fail WHAT: reports a failed bench run (its stderr names the transaction).
bench_fail() {
        echo "FAILED: $1:" >&2
        sed 's/^/  /' "$T/err" | head -5 >&2
        failed=1
}

# pooled FILE: "median p99 n tps" (nearest rank; tps = n over the summed times).
pooled() {
        sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
                END { m = int((NR * 50 + 99) / 100); p = int((NR * 99 + 99) / 100)
                      printf "%.1f %.1f %d %.0f\n", v[m], v[p], NR, NR * 1e6 / s }'
}

# latency SCENARIO: ROUNDS rounds, each stack in turn, pooled per stack.
latency() {
        local sc=$1 st r per=$((N / ROUNDS)) m p n t
        declare -A bad=()
        for r in $(seq "$ROUNDS"); do
                for st in $STACKS; do
                        [ -n "${bad[$st]:-}" ] && continue
                        if ! "$BENCH" "$PAMD" "$st" "$USER_NAME" "$per" 1 "$WARMUP" \
                                        "$T/lat.$sc.$st" >/dev/null 2>"$T/err"; then
                                bench_fail "scenario $sc, stack $st, round $r"
                                bad[$st]=1
                        fi
                done
        done
        for st in $STACKS; do
                if [ -n "${bad[$st]:-}" ]; then
                        MED[$sc,$st]=FAIL P99[$sc,$st]=FAIL TPS[$sc,$st,1]=FAIL
                        continue
                fi
                read -r m p n t < <(pooled "$T/lat.$sc.$st")
                MED[$sc,$st]=$m P99[$sc,$st]=$p TPS[$sc,$st,1]=$t
                echo "  $sc $st procs=1: median_us=$m p99_us=$p n=$n tps=$t"
        done
}

# throughput SCENARIO STACK PROCS: TP_N transactions shared by PROCS processes.
throughput() {
        local sc=$1 st=$2 p=$3 out
        if ! out=$("$BENCH" "$PAMD" "$st" "$USER_NAME" $((TP_N / p)) "$p" 20 2>"$T/err"); then
                bench_fail "scenario $sc, stack $st, $p processes"
                TPS[$sc,$st,$p]=FAIL
                return
        fi
        echo "  $sc $st procs=$p: $out"
        TPS[$sc,$st,$p]=$(field tps "$out")
}

# validation KEY: VN single validations straight to cwsd (no PAM), as
# VMED[KEY] and VP99[KEY].
validation() {
        local out
        if ! out=$("$VALIDATE" "$SOCK" "$USER_NAME" cws "$VN" 20 2>"$T/err"); then
                bench_fail "validation $1"
                VMED[$1]=FAIL VP99[$1]=FAIL
                return 1
        fi
        echo "  validation $1: $out"
        VMED[$1]=$(field median_us "$out") VP99[$1]=$(field p99_us "$out")
}

cache_stamp() { stat -c %y "$STATE/cache/0" 2>/dev/null || echo none; }

# scenario NAME: latency of every stack, then throughput. It also notes
# whether cwsd's cache file was rewritten while pam_cws ran, i.e. whether
# the registry was asked.
scenario() {
        local sc=$1 st p before
        # One transaction first, so that in (a) the cached validation exists.
        "$BENCH" "$PAMD" cws "$USER_NAME" 1 1 0 >/dev/null 2>"$T/err" || bench_fail "scenario $sc, first transaction"
        before=$(cache_stamp)
        : >"$T/cwsd.log"
        latency "$sc"
        for st in $STACKS; do
                for p in 2 4 8; do throughput "$sc" "$st" "$p"; done
        done
        [ -n "$CWSD" ] && validation "$sc"
        if [ "$(cache_stamp)" = none ]; then
                CACHE_NOTE[$sc]="no cache file"
        elif [ "$before" = "$(cache_stamp)" ]; then
                CACHE_NOTE[$sc]="cache file untouched"
        else
                CACHE_NOTE[$sc]="cache file rewritten (registry asked)"
        fi
        # cwsd's warnings and errors (syslog priority below info), if any.
        if grep -q '^<[0-5]>' "$T/cwsd.log"; then
                echo "  cwsd said $(grep -c '^<[0-5]>' "$T/cwsd.log") warnings or errors, e.g.:"
                grep '^<[0-5]>' "$T/cwsd.log" | sort | uniq -c | sort -rn | head -3 | sed 's/^/   /'
        fi
}

echo "pam_cws bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs" \
     "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)"
echo "latency: $N timed transactions per figure, in $ROUNDS rounds taking turns with the other stacks, $WARMUP untimed first in each process"
echo "throughput: $TP_N transactions shared by the processes, released together after a warmup"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in the figures)"
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }   # in USER_HZ (100/s)
BUSY0=$(cpu_busy) WALL0=$(date +%s.%N)
echo "transaction: pam_start_confdir, pam_acct_mgmt, pam_open_session, pam_close_session, pam_end (PAM_SILENT, user $USER_NAME)"
sinks=()
[ -S /run/systemd/journal/socket ] || sinks+=("no journald socket (/run/systemd/journal/socket): journal entries skipped")
if ! auditctl -s 2>/dev/null | grep -q '^enabled [12]'; then
        sinks+=("kernel audit not enabled (auditctl -s): audit records not kept")
fi
if [ ${#sinks[@]} -gt 0 ]; then
        echo "evidence sinks absent, so their cost is not in these figures:"
        printf '  %s\n' "${sinks[@]}"
fi

if want latency; then
        echo "(a) cwsd up, fresh cached validation (max_cache_age = 1h)"
        scenario a
        floor_bench
fi
want syscalls && syscalls_bench   # cwsd as in (a)
stop_cwsd
if want latency; then
        echo "(b) cwsd up, asking the file registry every time (max_cache_age = 0)"
        write_config 0
        start_cwsd
        scenario b
        echo "(c) cwsd down, deciding from the on-disk cache"
        stop_cwsd
        [ -e "$SOCK" ] && die "the cwsd socket $SOCK is still there"
        scenario c
fi

if want file-size; then
        echo "registry size, file: one validation asking the registry, in $ROUNDS rounds taking turns"
        scale file "$FILE_SIZES"
fi

# --- (d): the s3 registry on Ceph RGW over HTTPS, pinned key --------------
S3_STATUS=skipped S3_WHY=
if ! want s3 && ! want stall && ! want sweep && ! want fleet; then
        S3_WHY="not asked for (BENCH_ONLY, BENCH_SKIP)"
elif ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null; then
        S3_WHY="Ceph (radosgw, ceph-mon) is not installed; make deps installs it"
elif ! rgw_start >"$T/rgw.err" 2>&1; then
        S3_WHY="Ceph RGW did not start: $(grep -v '^$' "$T/rgw.err" | head -3 | tr '\n' ' ')"
else
        S3_STATUS=up
fi
D_UP=
if [ "$S3_STATUS" = up ] && want s3; then
        D_UP=1
        echo "(d) cwsd up, asking the s3 registry on Ceph RGW ($RGW_ENDPOINT, HTTPS, pinned key) every time (max_cache_age = 0); $N_S3 transactions per latency figure"
        STATE=$T/state-s3
        REGISTRY_LINES=$(s3_lines bench)
        write_config 0
        start_cwsd
        if ! invite --json create bench-s3 >"$T/inv.json" 2>"$T/err" ||
           ! TOKEN=$(json_of token <"$T/inv.json") || [ -z "$TOKEN" ] ||
           ! "$T/bin/cws-enroll" --config "$CONF" "$TOKEN" >/dev/null 2>>"$T/err"; then
                echo "FAILED: invitation and enrollment on the s3 registry:" >&2
                sed 's/^/  /' "$T/err" | head -5 >&2
                failed=1
                D_UP= S3_WHY="the invitation or enrollment on RGW failed"
        fi
fi
if [ -n "$D_UP" ]; then
        # Which TCP connections cwsd holds to RGW, sampled every 0.2 s.
        ( while :; do
                ss -tnpH state established "( dport = :$RGW_PORT )" 2>/dev/null |
                        awk -v p="pid=$CWSD," 'index($0, p) { print $3 }'
                sleep 0.2
          done >"$T/conns" ) &
        SAMPLER=$!
        N=$N_S3 scenario d   # a transaction here takes ~10 ms: fewer of them
        kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=
        CONN_SAMPLES=$(wc -l <"$T/conns")
        CONN_PORTS=$(sort -u "$T/conns" | wc -l)
        # And the proof: cwsd's connect() calls to RGW during 200 validations
        # (its accept() calls show strace saw them all).
        CONNECTS="n/a (strace not installed)"
        if command -v strace >/dev/null; then
                strace -f -qq -e trace=connect,accept,accept4 -o "$T/connect.trace" -p "$CWSD" 2>/dev/null &
                st=$!
                sleep 0.5
                if "$VALIDATE" "$SOCK" "$USER_NAME" cws 200 0 >/dev/null 2>"$T/err"; then
                        sleep 0.2
                        kill "$st" 2>/dev/null; wait "$st" 2>/dev/null
                        accepts=$(grep -c 'accept' "$T/connect.trace" 2>/dev/null)
                        if [ "${accepts:-0}" -ge 200 ]; then
                                CONNECTS="$(grep -c "htons($RGW_PORT)" "$T/connect.trace") new TCP connections during 200 validations (strace saw $accepts requests accepted)"
                        else
                                CONNECTS="n/a (strace saw only ${accepts:-0} of 200 requests)"
                        fi
                else
                        kill "$st" 2>/dev/null; wait "$st" 2>/dev/null
                        bench_fail "validations under strace"
                fi
        fi
        stop_cwsd
        echo "registry size, s3: one validation asking RGW, in $ROUNDS rounds taking turns"
        scale s3 "$S3_SIZES"
fi
if [ "$S3_STATUS" = up ]; then
        want stall && stall_bench
        want sweep && sweep_bench
        want fleet && fleet_bench
fi
for p in "${INST_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
INST_PIDS=()
rgw_stop

# --- the NSS module: what "group: files cws" adds to a group lookup --------
# The module reads the fixed path /run/cws/groups, so the bench runs in a
# private mount namespace: a tmpfs on /run with a groups file as cwsd
# writes it (the bench user an admin, NSS_MEMBERS - 1 others read_only),
# and an nsswitch.conf with "group: files" for glibc's own figures.
NSS_N=${BENCH_NSS_N:-20000}
NSS_MEMBERS=${BENCH_NSS_MEMBERS:-1000}
nss_bench() {
        mount -t tmpfs -o mode=755 cws-bench-run /run && mkdir -m 755 /run/cws || return 1
        { printf 'cws-groups 1\ngroup cws-read_only 110000\ngroup cws-read_write 110001\ngroup cws-admin 110002\n'
          printf 'member %s admin 4000000000\n' "$USER_NAME"
          seq -f 'member bench%.0f read_only 4000000000' $((NSS_MEMBERS - 1)); } >/run/cws/groups
        chmod 644 /run/cws/groups
        # The module's steady state between cwsd's writes: it keeps its
        # parse of a file last changed over two seconds ago (nss_cws(8)).
        for _ in $(seq 50); do
                [ $(($(date +%s) - $(stat -c %Z /run/cws/groups))) -ge 3 ] && break
                sleep 0.1
        done
        sed 's/^group:.*/group: files/' /etc/nsswitch.conf >"$T/nsswitch.files"
        mount --bind "$T/nsswitch.files" /etc/nsswitch.conf || return 1
        "$T/bin/bench-nss" "$T/bin/libnss_cws.so.2" cws-admin "$USER_NAME" "$NSS_N"
}
declare -A NMED NP99
if want nss; then
        echo "libnss_cws.so.2: $NSS_N calls per figure, a groups file of $NSS_MEMBERS members"
        if T=$T USER_NAME=$USER_NAME NSS_N=$NSS_N NSS_MEMBERS=$NSS_MEMBERS unshare -m --propagation private \
                        bash -c "$(declare -f nss_bench); nss_bench" >"$T/nss.out" 2>"$T/err"; then
                while read -r kind rest; do
                        NMED[$kind]=$(field median_us "$rest") NP99[$kind]=$(field p99_us "$rest")
                        echo "  $kind $rest"
                done <"$T/nss.out"
        else
                bench_fail "libnss_cws.so.2 lookups (bench-nss)"
        fi
fi

# What the rest of the machine did meanwhile: all busy CPU time minus ours
# (bash's "times": this shell's children, bench and cwsd, once reaped).
times >"$T/times"   # not in a subshell: a forked shell's children times start at zero
read -r cu cs < <(tail -1 "$T/times")
OTHER_PCT=$(awk -v b0="$BUSY0" -v b1="$(cpu_busy)" -v t0="$WALL0" -v t1="$(date +%s.%N)" \
                -v cu="$cu" -v cs="$cs" -v n="$(nproc)" '
        function sec(x,  m) { m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x); return m * 60 + x }
        BEGIN { o = (b1 - b0) / 100 - sec(cu) - sec(cs); if (o < 0) o = 0
                printf "%.0f", 100 * o / ((t1 - t0) * n) }')
echo "other work on the machine during the run: ${OTHER_PCT}% of the CPUs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- report ------------------------------------------------------------
# added SCENARIO STACK: median minus the pam_permit median of the same scenario.
added() {
        local m=${MED[$1,$2]} b=${MED[$1,permit]}
        case "$m$b" in *FAIL*) echo FAIL; return;; esac
        awk -v m="$m" -v b="$b" 'BEGIN { printf "%+.0f", m - b }'
}
# verdict COND: PASS or MISS (FAIL when a figure is missing).
verdict() { case "$1" in *FAIL*) echo "n/a (failed)";; *) awk "BEGIN { print ($1) ? \"PASS\" : \"MISS\" }";; esac; }

label() { case $1 in a) echo "(a) cached";; b) echo "(b) registry";; c) echo "(c) cwsd down";; d) echo "(d) s3 RGW";; esac; }
SCENARIOS=
want latency && SCENARIOS="a b c"
[ -n "$D_UP" ] && SCENARIOS="$SCENARIOS d"
# ratio A B: A / B to two places (FAIL when either is missing).
ratio() {
        case "$1$2" in *FAIL*|*n/a*) echo FAIL; return;; esac
        [ -n "$1" ] && [ -n "$2" ] || { echo FAIL; return; }
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
echo
[ -n "$SCENARIOS" ] && printf '%-15s %-7s %10s %10s %12s %8s %8s %8s %8s\n' scenario stack median_us p99_us vs_permit_us \
       tps@1 tps@2 tps@4 tps@8
for sc in $SCENARIOS; do
        for st in $STACKS; do
                printf '%-15s %-7s %10s %10s %12s %8s %8s %8s %8s\n' "$(label $sc)" "$st" \
                       "${MED[$sc,$st]}" "${P99[$sc,$st]}" "$(added $sc $st)" \
                       "${TPS[$sc,$st,1]}" "${TPS[$sc,$st,2]}" "${TPS[$sc,$st,4]}" "${TPS[$sc,$st,8]}"
        done
done
vrow() {
        local a=${VMED[a]:-FAIL} m=${VMED[$2]:-FAIL}
        case "$a$m" in *FAIL*|*n/a*) d=n/a;; *) d=$(awk -v m="$m" -v a="$a" 'BEGIN { printf "%+.0f", m - a }');; esac
        printf '  %-32s %10s %10s %16s\n' "$1" "$m" "${VP99[$2]:-FAIL}" "$d"
}
srow() {
        local be=$1 sizes=$2 sz first= last=
        for sz in $sizes; do
                printf '  %-8s %12s %10s %10s  %s\n' "$be" "$sz" "${VMED[$be,$sz]:-n/a}" "${VP99[$be,$sz]:-n/a}" "${SCALE_NOTE[$be,$sz]:-}"
                [ -z "$first" ] && first=$sz
                last=$sz
        done
        [ -n "$first" ] && [ "$first" != "$last" ] || return 0
        case "${VMED[$be,$first]:-n/a}${VMED[$be,$last]:-n/a}" in *n/a*|*FAIL*) return 0;; esac
        r=$(awk -v a="${VMED[$be,$first]}" -v b="${VMED[$be,$last]}" 'BEGIN { printf "%.2f", b / a }')
        printf '  %-8s median at %s / at %s = %s; flat (within 25%%): %s\n' "$be" "$last" "$first" "$r" "$(verdict "$r <= 1.25")"
}
nrow() {
        printf '  %-34s %12s %10s %14s %10s\n' "$1" "${NMED[files_$2]:-n/a}" "${NP99[files_$2]:-n/a}" \
                "${NMED[cws_$2]:++}${NMED[cws_$2]:-n/a}" "${NP99[cws_$2]:-n/a}"
}
if want latency; then
        echo
        echo "targets (issue 3, 2-core machine); speed is reported, not asserted:"
        aa=$(added a cws) ab=$(added b cws) ac=$(added c cws)
        printf '  (a) adds <= 150 us to the pam_permit median: %6s us  %s\n' "$aa" "$(verdict "$aa <= 150")"
        printf '  (a) p99 < 1000 us:                          %6s us  %s\n' "${P99[a,cws]}" "$(verdict "${P99[a,cws]} < 1000")"
        printf '  (b) adds <= 1000 us:                        %6s us  %s\n' "$ab" "$(verdict "$ab <= 1000")"
        printf '  (c) adds <= 300 us:                         %6s us  %s\n' "$ac" "$(verdict "$ac <= 300")"
fi
if want latency || want s3; then
        echo
        echo "one validation (a \"validate\" request straight to cwsd, no PAM; $VN per figure), microseconds:"
        printf '  %-32s %10s %10s %16s\n' situation median_us p99_us vs_cached_us
        if want latency; then
                vrow "(a) cached" a
                vrow "(b) asks the file registry" b
        fi
        if [ -n "$D_UP" ]; then
                vrow "(d) asks s3 on RGW (HTTPS, pin)" d
        elif want s3; then
                echo "  (d) s3 on RGW: $S3_STATUS: $S3_WHY"
        fi
fi
if [ -n "$D_UP" ]; then
        echo "target (issue 4): a validation that asks RGW over HTTPS, reused connection, median <= 10 ms on loopback:"
        printf '  one validation:                            %6s us  %s\n' "${VMED[d]}" "$(verdict "${VMED[d]} <= 10000")"
        ad=$(added d cws)
        pv=$(case "${MED[d,cws]}${MED[a,cws]:-FAIL}" in *FAIL*) echo FAIL;; *) awk -v d="${MED[d,cws]}" -v a="${MED[a,cws]}" 'BEGIN { printf "%.0f", (d - a) / 2 }';; esac)
        printf '  in PAM, ((d) minus (a) cws) / 2:          %6s us  %s\n' "$pv" "$(verdict "$pv <= 10000")"
        echo "  (a PAM transaction validates twice, account and session; (d) adds $ad us to pam_permit's median)"
        echo "  cwsd's connections to RGW: $CONN_PORTS distinct seen in $CONN_SAMPLES samples (every 0.2 s through (d)); $CONNECTS"
fi
if want file-size || want s3; then
        echo
        echo "registry size: one validation asking the registry, the enrolled invitation plus dummy others, microseconds:"
        printf '  %-8s %12s %10s %10s  %s\n' backend invitations median_us p99_us note
        want file-size && srow file "$FILE_SIZES"
        if [ -n "$D_UP" ]; then srow s3 "$S3_SIZES"; elif want s3; then echo "  s3: $S3_STATUS: $S3_WHY"; fi
fi
if want nss; then
        echo
        echo "libnss_cws.so.2: what \"group: files cws\" adds to \"group: files\" per call (the module's own median), microseconds:"
        printf '  %-34s %12s %10s %14s %10s\n' lookup files_median files_p99 added_median added_p99
        nrow "getgrnam_r cws-admin (getent group)" getgrnam
        nrow "initgroups $USER_NAME (id, login)" initgroups
fi
echo
echo "targets (issue 10, 2-core machine); reported, not asserted:"
if want latency; then
        r=$(ratio "$(added a cws | tr -d +)" "${MED[a,permit]}")
        printf '  (a) pam_cws adds <= 1.0x the pam_permit median: %6sx  (%s us on %s us)  %s\n' "$r" \
               "$(added a cws)" "${MED[a,permit]}" "$(verdict "$r <= 1.0")"
        floor_report
fi
want syscalls && syscalls_report
if [ -n "$D_UP" ]; then
        r=$(ratio "${TPS[d,cws,8]}" "${TPS[d,cws,1]}")
        printf '  (d) s3 on RGW, tps at 8 processes / at 1 >= 2x: %6sx  (%s / %s)  %s\n' "$r" \
               "${TPS[d,cws,8]}" "${TPS[d,cws,1]}" "$(verdict "$r >= 2")"
elif want s3; then
        echo "  (d) s3 on RGW: $S3_STATUS: $S3_WHY"
fi
if want stall; then
        [ "$S3_STATUS" = up ] || STALL_WHY="$S3_STATUS: $S3_WHY"
        stall_report
fi
monitor_report
if [ "$OTHER_PCT" -ge 10 ]; then
        echo "note: other work used ${OTHER_PCT}% of the CPUs during the run: these figures are inflated,"
        echo "      pam_cws's most (it waits on cwsd); run again on a quiet machine"
fi
want latency && echo "cwsd's cache during the pam_cws runs: (a) ${CACHE_NOTE[a]:-?}; (b) ${CACHE_NOTE[b]:-?}; (c) ${CACHE_NOTE[c]:-?}${CACHE_NOTE[d]:+; (d) ${CACHE_NOTE[d]}}"
if [ "$failed" -ne 0 ]; then
        echo "bench: some transactions FAILED (see above); their figures are not reported"
        exit 1
fi
echo "bench: every transaction succeeded"
