# A private Ceph cluster for the s3: tests: one mon, one OSD on memstore
# and radosgw serving HTTPS on loopback with a certificate made here, all
# under $T/ceph (source after lib.sh). Nothing goes to /etc/ceph or
# /var/lib/ceph: every daemon gets -c with our config, and every path in it
# is under the temp dir. rgw_stop (run from lib.sh's cleanup) kills what
# rgw_start started, by pid.
#   rgw_start      sets RGW_ENDPOINT RGW_CA RGW_PIN RGW_BUCKET RGW_CREDS RGW_PORT
#   rgw_export     exports them for child test scripts
#   s3req METHOD KEY [CURL ARGS]  a signed request as the test user
RGW_DIR=$T/ceph
RGW_PIDS=()
# A caller that started RGW exports these; its children reuse them.
RGW_BUCKET=${RGW_BUCKET:-cws-registry}
RGW_ACCESS=${RGW_ACCESS:-CWSTESTACCESSKEY0001}
RGW_SECRET=${RGW_SECRET:-cws-test-secret-$$-$RANDOM$RANDOM}
# Loopback never goes through a proxy the environment may name.
export no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy} NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# make_cert NAME CN SAN [DAYS|expired]: NAME.key, NAME.pem and NAME.pin in $RGW_DIR.
make_cert() {
        local n=$1 cn=$2 san=$3 days=${4:-2} d=$RGW_DIR
        if [ "$days" = expired ]; then
                # openssl 3.0 can only back-date through `ca`: a throw-away CA
                # config whose only job is -startdate/-enddate.
                mkdir -p "$d/ca.$n" && : >"$d/ca.$n/index" && echo 01 >"$d/ca.$n/serial"
                cat >"$d/ca.$n/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
dir = $d/ca.$n
database = \$dir/index
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
CNF
                openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$n.key" \
                        -out "$d/$n.csr" -subj "/CN=$cn" -addext "subjectAltName=$san" 2>/dev/null &&
                openssl ca -batch -config "$d/ca.$n/ca.cnf" -selfsign -keyfile "$d/$n.key" \
                        -startdate 20200101000000Z -enddate 20200102000000Z -in "$d/$n.csr" \
                        -out "$d/$n.pem" >/dev/null 2>&1 || return 1
        else
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$n.key" \
                        -out "$d/$n.pem" -days "$days" -subj "/CN=$cn" -addext "subjectAltName=$san" \
                        2>/dev/null || return 1
        fi
        printf 'sha256//%s\n' "$(openssl x509 -in "$d/$n.pem" -pubkey -noout | openssl pkey -pubin -outform der |
                openssl dgst -sha256 -binary | base64)" >"$d/$n.pin"
}

ceph_() { ceph -c "$RGW_DIR/ceph.conf" --connect-timeout 10 "$@"; }

rgw_stop() {
        local p
        # rgw -> osd -> mon; the data is thrown away, so SIGKILL is fine.
        for p in "${RGW_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
        for p in "${RGW_PIDS[@]}"; do wait "$p" 2>/dev/null; done
        RGW_PIDS=()
}

rgw_wait_port() {
        local port=$1
        for _ in $(seq 300); do
                python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && return 0
                sleep 0.05
        done
        return 1
}

# rgw_radosgw: (re)starts radosgw only; RGW_PID is its pid.
rgw_radosgw() {
        radosgw -c "$RGW_DIR/ceph.conf" -n client.rgw -f >>"$RGW_DIR/log/rgw.out" 2>&1 &
        RGW_PID=$!
        RGW_PIDS+=("$RGW_PID")
        rgw_wait_port "$RGW_PORT" || { echo "# radosgw did not listen:"; tail -20 "$RGW_DIR/log/client.rgw.log" | sed 's/^/#   /'; return 1; }
}

rgw_start() {
        local fsid mon_port osd_uuid id
        mkdir -p "$RGW_DIR"/{mon,osd,log,run,rgw,crash}
        fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
        osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
        mon_port=$(free_port) RGW_PORT=$(free_port)
        make_cert rgw localhost "DNS:localhost,IP:127.0.0.1" "${RGW_CERT_DAYS:-2}" || { echo "# cannot make the certificate"; return 1; }
        cat >"$RGW_DIR/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
osd objectstore = memstore
memstore device bytes = 268435456
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = $RGW_DIR/run
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
mon cluster log file = $RGW_DIR/log/cluster.log
pid file = $RGW_DIR/run/\$name.pid
keyring = $RGW_DIR/keyring
crash dir = $RGW_DIR/crash
mon data = $RGW_DIR/mon/\$name
osd data = $RGW_DIR/osd/\$name
[client.rgw]
ms mon client mode = crc secure
rgw data = $RGW_DIR/rgw
rgw frontends = beast ssl_endpoint=127.0.0.1:$RGW_PORT ssl_certificate=$RGW_DIR/rgw.pem ssl_private_key=$RGW_DIR/rgw.key tcp_nodelay=1
CONF
        monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$RGW_DIR/monmap" >/dev/null || return 1
        ceph-mon -c "$RGW_DIR/ceph.conf" --mkfs -i a --monmap "$RGW_DIR/monmap" >/dev/null 2>&1 || return 1
        ceph-mon -c "$RGW_DIR/ceph.conf" -i a -f >>"$RGW_DIR/log/mon.out" 2>&1 &
        RGW_PIDS+=($!)
        id=$(ceph_ osd new "$osd_uuid" 2>/dev/null) || { echo "# ceph osd new failed"; return 1; }
        mkdir -p "$RGW_DIR/osd/osd.$id"
        ceph-osd -c "$RGW_DIR/ceph.conf" -i "$id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 || return 1
        ceph-osd -c "$RGW_DIR/ceph.conf" -i "$id" -f >>"$RGW_DIR/log/osd.out" 2>&1 &
        RGW_PIDS+=($!)
        for _ in $(seq 100); do
                ceph_ osd stat -f json 2>/dev/null | python3 -c 'import json, sys
j = json.load(sys.stdin); sys.exit(j.get("osdmap", j).get("num_up_osds") != 1)' 2>/dev/null && break
                sleep 0.05
        done
        rgw_radosgw || return 1
        radosgw-admin -c "$RGW_DIR/ceph.conf" user create --uid=cws-test --display-name=cws-test \
                --access-key="$RGW_ACCESS" --secret="$RGW_SECRET" >/dev/null 2>&1 ||
                { echo "# radosgw-admin user create failed"; return 1; }
        RGW_ENDPOINT=https://127.0.0.1:$RGW_PORT
        RGW_CA=$RGW_DIR/rgw.pem
        RGW_PIN=$(cat "$RGW_DIR/rgw.pin")
        RGW_CREDS=$RGW_DIR/credentials
        printf 'access_key_id = %s\nsecret_access_key = %s\n' "$RGW_ACCESS" "$RGW_SECRET" >"$RGW_CREDS"
        chmod 600 "$RGW_CREDS"
        s3req PUT "" -o /dev/null -w '%{http_code}' | grep -q '^200$' || { echo "# cannot create the bucket"; return 1; }
}

# s3req METHOD KEY [CURL ARGS...]: path-style, signed with the test user's key.
s3req() {
        local m=$1 k=$2; shift 2
        curl -sS --cacert "$RGW_CA" -X "$m" --aws-sigv4 "aws:amz:us-east-1:s3" \
                --user "$RGW_ACCESS:$RGW_SECRET" -H "x-amz-content-sha256: $EMPTY_SHA256" \
                "https://127.0.0.1:$RGW_PORT/$RGW_BUCKET${k:+/$k}" "$@"
}

rgw_export() {
        export RGW_ENDPOINT RGW_CA RGW_PIN RGW_BUCKET RGW_CREDS RGW_PORT RGW_ACCESS RGW_SECRET
}
