#!/bin/bash
# Faults of the s3: registry, each with its documented decision and reason
# (cws.conf(5), "s3: registry faults"). A device enrolled and validated on
# Ceph RGW, then cwsd is pointed at a broken or hostile store:
#  * the store cannot be asked (stopped, slow past the timeout, wrong pin,
#    expired or wrong-host certificate, 403 wrong secret, clock skew, not
#    HTTP, HTTP 500, a redirect, no such bucket, a 404 that is not the
#    store's NoSuchKey): registry_unavailable; the cached validation allows within
#    offline_grace, and past it (offline_grace = 0) the session is denied;
#  * the store answers something that is not the record (over the size
#    bound, not a record): record_invalid; a record deleted from the store:
#    record_missing. Both deny even within offline_grace.
#  * a revoked device whose revocation lookup gets a 404 from something
#    other than the store (a proxy's page) is not "not revoked": denied;
#  * ca_file goes through the file checks (a world-writable one is
#    refused); http_proxy never answers for a loopback http:// store.
# Each fault's message is distinct and is in cwsd's log; no secret is.
export REGISTRY=s3
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || { nok "start cwsd"; exit 1; }
CWSD_PID=${PIDS[${#PIDS[@]}-1]}
invite --json create faults --max-devices 2 >"$T/inv.json" 2>/dev/null
TOKEN=$(json_get "$T/inv.json" 'j["token"]'); INV=$(json_get "$T/inv.json" 'j["id"]')
expect_rc "enroll on RGW" 0 enroll "$TOKEN"
expect_rc "validated on RGW (the cache now holds a validation)" 0 enroll --check

# Keep-alive: each of cwsd's registry workers (4 by default) keeps one TLS
# connection, so a dozen validations open at most one per worker (and one
# for the loop's own handle) and close none of them.
cwsd_conn() { ss -tnpH state established "( dport = :$RGW_PORT )" | grep "pid=$CWSD_PID," | awk '{print $3}' | sort; }
c1=$(cwsd_conn)
for _ in $(seq 12); do enroll --check >/dev/null 2>&1; done
c2=$(cwsd_conn)
check "cwsd reuses its connections to RGW across validations ($(echo $c1) -> $(echo $c2))" \
        test -n "$c1" -a "$(printf '%s\n' "$c2" | wc -l)" -le 5 -a -z "$(comm -23 <(echo "$c1") <(echo "$c2"))"

stop_my_cwsd() { stop_pid "$CWSD_PID"; }

# write_conf GRACE [NAME=VALUE...]: the config with the [registry] settings
# of RGW, some replaced (endpoint ca pin creds timeout url; an empty ca or
# pin leaves the key out), and offline_grace = GRACE.
write_conf() {
        local grace=$1 endpoint=$RGW_ENDPOINT ca=$RGW_CA pin=$RGW_PIN creds=$RGW_CREDS timeout=2s a
        local url=s3://$RGW_BUCKET/$S3_PREFIX
        shift
        for a; do
                case $a in
                endpoint=*) endpoint=${a#*=} ;; ca=*) ca=${a#*=} ;; pin=*) pin=${a#*=} ;;
                creds=*) creds=${a#*=} ;; timeout=*) timeout=${a#*=} ;; url=*) url=${a#*=} ;;
                esac
        done
        cat >"$CONF" <<CONF
[registry]
url = $url
endpoint = $endpoint
credentials_file = $creds
${ca:+ca_file = $ca}
${pin:+pinned_keys = $pin}
require_object_lock = false
timeout = $timeout
trusted_keys = $T/etc/trusted_keys

[agent]
socket = $T/run/cwsd.sock
state_dir = $T/state

[policy]
offline_grace = $grace
CONF
}

# reconfigure GRACE [NAME=VALUE...]: restarts cwsd with write_conf's
# config. WRAP (an array) prefixes the cwsd command.
reconfigure() {
        stop_my_cwsd
        write_conf "$@"
        cat "$T/cwsd.log" >>"$T/all.log" 2>/dev/null
        : >"$T/cwsd.log"
        start_cwsd "$T" "${WRAP[@]}" || return 1
        CWSD_PID=${PIDS[${#PIDS[@]}-1]}
}

# unavailable NAME MESSAGE [NAME=VALUE...]: within offline_grace the cached
# validation allows, past it the session is denied; both log MESSAGE.
unavailable() {
        local name=$1 msg=$2; shift 2
        reconfigure 1d "$@" || { nok "$name: cwsd starts"; return; }
        expect_rc "$name: within offline_grace the cached validation allows" 0 enroll --check
        check "$name: logged as '$msg'" grep -q -- "$msg" "$T/cwsd.log"
        reconfigure 0 "$@" || { nok "$name: cwsd starts"; return; }
        expect_rc "$name: past offline_grace it is denied" 1 enroll --check
        check "$name: the reason is registry_unavailable" grep -q registry_unavailable "$T/out"
        check "$name: the denial is logged with '$msg'" grep -q "decision=deny reason=registry_unavailable detail=.*$msg" "$T/cwsd.log"
}

# denied NAME REASON MESSAGE [NAME=VALUE...]: denied even within offline_grace.
denied() {
        local name=$1 reason=$2 msg=$3; shift 3
        reconfigure 1d "$@" || { nok "$name: cwsd starts"; return; }
        expect_rc "$name: denied even within offline_grace" 1 enroll --check
        check "$name: the reason is $reason" grep -q "$reason" "$T/out"
        check "$name: logged as '$msg'" grep -q "decision=deny reason=$reason detail=.*$msg" "$T/cwsd.log"
}

# fake MODE CERT [UPSTREAM]: a hostile store (fake_s3.py) on loopback, over
# plain http when CERT is -; sets FAKE.
fake() {
        local cert=$RGW_DIR/$2.pem key=$RGW_DIR/$2.key scheme=https
        [ "$2" = - ] && cert=- key=- scheme=http
        rm -f "$T/fake.port"
        python3 "$here/fake_s3.py" "$cert" "$key" "$T/fake.port" "$1" ${3:+"$3"} 2>/dev/null &
        PIDS+=($!)
        for _ in $(seq 100); do [ -s "$T/fake.port" ] && break; sleep 0.05; done
        FAKE=$scheme://127.0.0.1:$(cat "$T/fake.port")
}
WRAP=()

# The baseline, and pin rotation: with the old and the new pin both listed,
# the server's key matches one of them.
make_cert other localhost "DNS:localhost,IP:127.0.0.1" || nok "make a second key"
reconfigure 1d "pin=$(cat "$RGW_DIR/other.pin");$RGW_PIN"
expect_rc "two pins (rotation): the new one matches" 0 enroll --check
# The last validation must be at least a second old: one in this very
# second is still "within" offline_grace = 0.
sleep 1

# The registry stopped: nothing listens.
kill -KILL "$RGW_PID"; wait "$RGW_PID" 2>/dev/null
unavailable "registry stopped" "cannot connect"
rgw_radosgw || nok "radosgw restarts"

# Slow past the timeout: radosgw frozen (SIGSTOP) accepts the connection
# but never answers. The check returns within the timeout plus a margin.
kill -STOP "$RGW_PID"
reconfigure 1d timeout=1s || nok "slow: cwsd starts"
t0=$(date +%s%N); enroll --check >"$T/out" 2>&1; rc=$?; t1=$(date +%s%N)
check "slow store: within offline_grace the cached validation allows (exit $rc)" [ "$rc" -eq 0 ]
check "slow store: the login waited $(( (t1 - t0) / 1000000 )) ms, about one timeout (1 s)" \
        [ $(( (t1 - t0) / 1000000 )) -lt 2500 ]
check "slow store: logged as a timeout" grep -q "no answer within 1000 ms" "$T/cwsd.log"
reconfigure 0 timeout=1s || nok "slow: cwsd starts"
expect_rc "slow store: past offline_grace it is denied" 1 enroll --check
check "slow store: the reason is registry_unavailable" grep -q registry_unavailable "$T/out"
kill -CONT "$RGW_PID"

unavailable "wrong pin" "public key pin mismatch" "pin=$(cat "$RGW_DIR/other.pin")"
unavailable "unknown CA" "certificate is not trusted" "ca=$RGW_DIR/other.pem"

creds_bad=$T/creds.bad
printf 'access_key_id = %s\nsecret_access_key = wrong-%s\n' "$RGW_ACCESS" "$RGW_SECRET" >"$creds_bad"
chmod 600 "$creds_bad"
unavailable "wrong secret (403)" "access denied (SignatureDoesNotMatch)" "creds=$creds_bad"

# Clock skew: cwsd's clock 2 hours ahead (an LD_PRELOAD shim); RGW refuses
# the signature's date.
if cc -shared -fPIC -o "$T/timeshift.so" "$here/timeshift.c" -ldl 2>"$T/cc.err"; then
        WRAP=(env LD_PRELOAD="$SAN_PRELOAD$T/timeshift.so" CWS_TEST_TIME_SHIFT=7200)
        unavailable "clock skew (2 h)" "refused for clock skew"
        WRAP=()
else
        nok "clock skew: cannot build the time shim: $(cat "$T/cc.err")"
fi

make_cert expired localhost "DNS:localhost,IP:127.0.0.1" expired || nok "make an expired certificate"
make_cert wronghost wrong.example "DNS:wrong.example" || nok "make a wrong-host certificate"
fake stall expired
unavailable "expired certificate" "certificate is expired" "endpoint=$FAKE" "ca=$RGW_DIR/expired.pem" \
        "pin=$(cat "$RGW_DIR/expired.pin")"
fake stall wronghost
unavailable "wrong-host certificate" "certificate is for another host" "endpoint=$FAKE" \
        "ca=$RGW_DIR/wronghost.pem" "pin=$(cat "$RGW_DIR/wronghost.pin")"
fake garbage rgw
unavailable "garbage (not HTTP)" "malformed or cut HTTP response" "endpoint=$FAKE"
fake error500 rgw
unavailable "HTTP 500" "the store failed (HTTP 500 InternalError)" "endpoint=$FAKE"
fake redirect rgw
unavailable "redirect" "refused a redirect (HTTP 301)" "endpoint=$FAKE"
unavailable "no such bucket" "the bucket does not exist" "url=s3://no-such-bucket/$S3_PREFIX"
fake notfound rgw
unavailable "404 without NoSuchKey (a proxy's page)" "HTTP 404 without NoSuchKey" "endpoint=$FAKE"
fake big rgw
denied "oversized response (10 MiB)" record_invalid "over 65536 bytes" "endpoint=$FAKE"
fake record rgw
denied "a body that is not a record" record_invalid "" "endpoint=$FAKE"

# Listings (administrators' tools) refuse hostile pages clearly.
fake badxml rgw
reconfigure 1d "endpoint=$FAKE"
expect_rc "malformed listing: cws-invite list fails" 5 invite list
check "malformed listing: the error says so" grep -q "malformed XML from the store" "$T/err"
fake hugexml rgw
reconfigure 1d "endpoint=$FAKE"
expect_rc "oversized listing page: cws-invite list fails" 5 invite list
check "oversized listing page: the error says so" grep -q "over 4194304 bytes" "$T/err"

# ca_file: read through the file checks, not handed to curl as a path.
cp "$RGW_CA" "$T/ca-ww.pem"; chmod 666 "$T/ca-ww.pem"
write_conf 1d "ca=$T/ca-ww.pem"
expect_rc "a world-writable ca_file: cws-invite list refuses it" 5 invite list
check "a world-writable ca_file: the error names it" \
        grep -q "registry ca_file $T/ca-ww.pem: refused, mode 0666 is group/other writable" "$T/err"
expect_rc "a world-writable ca_file: cwsd refuses to start" 5 timeout 10 "$B/cwsd" --config "$CONF"
check "a world-writable ca_file: cwsd names it" grep -q "ca_file $T/ca-ww.pem: refused" "$T/err"
ln -s "$RGW_CA" "$T/ca-link.pem"
write_conf 1d "ca=$T/ca-link.pem"
expect_rc "a symlinked ca_file is refused" 5 invite list
check "a symlinked ca_file: the error says so" grep -q "ca_file $T/ca-link.pem: refused, is a symbolic link" "$T/err"
cp "$RGW_CA" "$T/ca-ok.pem"; chmod 644 "$T/ca-ok.pem"
reconfigure 0 "ca=$T/ca-ok.pem" || nok "good ca_file: cwsd starts"
expect_rc "a good ca_file (0644, not a link) still verifies the store" 0 enroll --check

# A loopback http:// store: an http_proxy (answering "not a record" for
# anything) is never asked. The store here forwards to RGW.
fake forward - "127.0.0.1:$RGW_PORT"
store=$FAKE
fake record -
WRAP=(env "http_proxy=$FAKE")
reconfigure 0 "endpoint=$store" ca= pin= || nok "http_proxy: cwsd starts"
expect_rc "http:// on loopback with http_proxy set: the store, not the proxy, answers" 0 enroll --check
WRAP=()

# Back to a healthy store: allowed again.
reconfigure 1d
expect_rc "the healthy store allows again" 0 enroll --check

# Revoked by the administrator (cwsd has not seen it), and the revocation
# lookup answered by a 404 page that is not the store's NoSuchKey: that is
# not "not revoked".
DEV=$(devices --json "$INV" | json_get - 'j["devices"][0]["device_id"]')
expect_rc "the administrator revokes the device ($DEV)" 0 revoke --admin -k "$KS" -p "$T/pass" "$INV" "$DEV"
fake revoked404 rgw "127.0.0.1:$RGW_PORT"
reconfigure 0 "endpoint=$FAKE" || nok "revoked404: cwsd starts"
expect_rc "revoked, lookup answered by a non-NoSuchKey 404: not allowed" 1 enroll --check
check "revoked, non-NoSuchKey 404: the reason is registry_unavailable" grep -q registry_unavailable "$T/out"
check "revoked, non-NoSuchKey 404: logged as such" \
        grep -q "decision=deny reason=registry_unavailable detail=.*device-revoked.*HTTP 404 without NoSuchKey" "$T/cwsd.log"
reconfigure 0
expect_rc "revoked: denied by the healthy store" 1 enroll --check
check "revoked: the reason is device_revoked" grep -q device_revoked "$T/out"

# A record deleted from the store: the device's slot record.
reconfigure 1d
key=$(s3req GET "?list-type=2&prefix=$S3_PREFIX%2Finv%2F$INV%2Fslot%2F" | grep -o '<Key>[^<]*' | head -1 | cut -c6-)
check "the slot record is in the store" [ -n "$key" ]
s3req DELETE "$key" -o /dev/null
denied "slot record deleted from the store" record_missing "no such record"

expect_rc "deleted record: still denied on the next check" 1 enroll --check

# Nothing secret was logged.
cat "$T/cwsd.log" >>"$T/all.log"
check "no secret key in any log or output" bash -c "! grep -qF -- '$RGW_SECRET' '$T'/all.log '$T'/out '$T'/err"
check "the logs are not empty (the check above looked at something)" [ -s "$T/all.log" ]
