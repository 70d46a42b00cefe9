#!/bin/bash
# A storage writer cannot hide a revocation on s3: (docs/design.md §3.8).
# On Ceph RGW, a bucket made with S3 Object Lock; a device and an
# invitation revoked through the real tools (cws-revoke, cws-invite). The
# attacker holds the bucket credentials every host has, and uses them with
# curl (the second S3 client):
#  * deleting the locked version is refused by the store (AccessDenied);
#  * a plain DELETE (a delete marker) and an overwrite of the key leave the
#    device refused, and cwsd logs the marker as tampering;
#  * a host that never saw the revocation (a copy of the state dir taken
#    before it) still refuses it;
#  * [registry] require_object_lock (on by default) makes cwsd and
#    cws-invite refuse a bucket without object lock, with how to make one;
#    off, they accept it.
export REGISTRY=s3 S3_REQUIRE_LOCK=""     # "": the compiled default (on)
. "$(dirname "$0")/lib.sh"

LOCKED=cws-locked
code=$(RGW_BUCKET=$LOCKED s3req PUT "" -H "x-amz-bucket-object-lock-enabled: true" -o /dev/null -w '%{http_code}')
check "a bucket with object lock is made (HTTP $code)" [ "$code" = 200 ]
PLAIN=$RGW_BUCKET
RGW_BUCKET=$LOCKED
write_config "$T"
check "the config leaves require_object_lock to its compiled default" bash -c "! grep -q require_object_lock '$CONF'"

admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || { nok "cwsd starts on the bucket with object lock"; exit 1; }
ok "cwsd starts on the bucket with object lock (require_object_lock on)"
invite --json create locked --max-devices 2 >"$T/inv.json" 2>"$T/err"
TOKEN=$(json_field token <"$T/inv.json"); INV=$(json_field id <"$T/inv.json")
EXP=$(json_field expires_at <"$T/inv.json")
check "cws-invite writes to the bucket with object lock" [ -n "$INV" ]
expect_rc "enroll on the locked bucket" 0 enroll "$TOKEN"
expect_rc "validated" 0 enroll --check
DEV=$(devices --json "$INV" | grep -o '"device_id":"[^"]*"' | head -1 | json_field device_id)
check "the device has an id ($DEV)" [ -n "$DEV" ]

# A host that will never see the revocation: this state, copied now.
mkdir -p "$T/h2"
cp -a "$T/state" "$T/h2/state"
write_config "$T/h2"

expect_rc "the administrator revokes the device with cws-revoke" 0 \
        revoke --admin -k "$KS" -p "$T/pass" "$INV" "$DEV"
expect_rc "revoked: denied" 1 enroll --check
check "revoked: the reason is device_revoked" grep -q device_revoked "$T/out"

KEY=$S3_PREFIX/inv/$INV/device-revoked/$DEV
versions() { s3req GET "?prefix=$(printf %s "$1" | sed 's,/,%2F,g')&versions="; }
VID=$(versions "$KEY" | grep -o "<Version><Key>$KEY</Key><VersionId>[^<]*" | sed 's/.*<VersionId>//')
check "the revocation is one version in the store ($VID)" [ -n "$VID" ] && [ "$(printf '%s\n' "$VID" | wc -l)" -eq 1 ]
s3req GET "$KEY?versionId=$VID" -D "$T/head" -o /dev/null
check "it is under COMPLIANCE retention" grep -qi '^x-amz-object-lock-mode: COMPLIANCE' "$T/head"
want=$(date -u -d "@$((EXP + 30 * 86400))" +%Y-%m-%dT%H:%M:%S)
got=$(sed -n 's/^x-amz-object-lock-retain-until-date: *//Ip' "$T/head" | tr -d '\r')
check "retained until the invitation's expiry + 30 days ($want, store says $got)" \
        bash -c "case '$got' in '$want'*) exit 0;; esac; exit 1"

# The attacker, with the bucket credentials.
s3req DELETE "$KEY?versionId=$VID" -o "$T/del" -w '%{http_code}' >"$T/code"
check "deleting the locked version is refused by the store (HTTP $(cat "$T/code"))" \
        bash -c "[ \"\$(cat '$T/code')\" = 403 ] && grep -q AccessDenied '$T/del'"
code=$(s3req DELETE "$KEY" -o /dev/null -w '%{http_code}')
check "a plain DELETE is accepted by the store: a delete marker (HTTP $code)" [ "$code" = 204 ]
check "the store now answers 404 for the key" [ "$(s3req GET "$KEY" -o /dev/null -w '%{http_code}')" = 404 ]
expect_rc "after the delete marker: still denied" 1 enroll --check
check "after the delete marker: the reason is still device_revoked" grep -q device_revoked "$T/out"
check "the delete marker is logged as tampering" \
        grep -q "tampering: user=.* invitation=$INV device=$DEV" "$T/cwsd.log"
printf 'not a revocation' >"$T/junk"
code=$(curl -sS --cacert "$RGW_CA" -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ACCESS:$RGW_SECRET" \
        -H "x-amz-content-sha256: $(sha256sum "$T/junk" | cut -d' ' -f1)" --data-binary @"$T/junk" \
        "https://127.0.0.1:$RGW_PORT/$RGW_BUCKET/$KEY" -o /dev/null -w '%{http_code}')
check "an overwrite of the key is accepted by the store (HTTP $code)" [ "$code" = 200 ]
n=$(versions "$KEY" | grep -o "<Version><Key>$KEY</Key>" | wc -l)
check "the key now has the locked version and the overwrite ($n versions)" [ "$n" -eq 2 ]
expect_rc "after the overwrite: still denied" 1 enroll --check
check "after the overwrite: the reason is still device_revoked" grep -q device_revoked "$T/out"

start_cwsd "$T/h2" || nok "the second host's cwsd starts"
expect_rc "a host that never saw the revocation (marker and overwrite on top): denied" 1 \
        "$B/cws-enroll" --config "$T/h2/etc/cws.conf" --check
check "... with device_revoked" grep -q device_revoked "$T/out"
check "... and logs the tampering" grep -q "tampering: .*device=$DEV" "$T/h2/cwsd.log"

# A marker over nothing: fail closed. The invitation's own revocation key,
# deleted before anyone revoked it, is tampering, and denies.
invite --json create marker-only >"$T/inv2.json" 2>/dev/null
INV2=$(json_field id <"$T/inv2.json"); TOKEN2=$(json_field token <"$T/inv2.json")
expect_rc "enroll a second invitation" 0 enroll "$TOKEN2"
code=$(s3req DELETE "$S3_PREFIX/inv/$INV2/revoked" -o /dev/null -w '%{http_code}')
check "a delete marker on a revocation key that was never written (HTTP $code)" [ "$code" = 204 ]
"$B/cws-enroll" --config "$CONF" --check >"$T/out" 2>&1
check "a marker and no revocation under it: that binding is denied as record_missing" \
        grep -q "reason=record_missing detail=.*$INV2/revoked: a delete marker and no revocation" "$T/cwsd.log"

# Invitation revocation, written by cws-invite and hidden by the attacker,
# on a host that never saw it.
stop_cwsd "$T/h2"
rm -rf "$T/h3"; mkdir -p "$T/h3"; cp -a "$T/state" "$T/h3/state"; write_config "$T/h3"
expect_rc "cws-invite revokes the second invitation" 0 invite revoke "$INV2"
RKEY=$S3_PREFIX/inv/$INV2/revoked
n=$(versions "$RKEY" | grep -o "<Version><Key>$RKEY</Key>" | wc -l)
check "the invitation revocation is in the store beside the earlier marker ($n version)" [ "$n" -eq 1 ]
s3req DELETE "$RKEY" -o /dev/null
start_cwsd "$T/h3" || nok "the third host's cwsd starts"
"$B/cws-enroll" --config "$T/h3/etc/cws.conf" --check >"$T/out" 2>&1
check "a host that never saw the invitation revocation refuses it under a marker" \
        grep -q "reason=invitation_revoked" "$T/h3/cwsd.log"
check "... and logs the tampering" grep -q "tampering: .*invitation=$INV2" "$T/h3/cwsd.log"
stop_cwsd "$T/h3"

# A bucket without object lock.
RGW_BUCKET=$PLAIN
mkdir -p "$T/plain"; write_config "$T/plain"
PCONF=$T/plain/etc/cws.conf
expect_rc "require_object_lock (default on): cwsd refuses a bucket without object lock" 5 \
        timeout 10 "$B/cwsd" --config "$PCONF"
check "... saying the bucket has no object lock" grep -q "the bucket $PLAIN has no S3 Object Lock" "$T/err"
check "... and how to make one" grep -q -- "--object-lock-enabled-for-bucket" "$T/err"
expect_rc "require_object_lock (default on): cws-invite create refuses it" 5 \
        "$B/cws-invite" --config "$PCONF" -k "$KS" -p "$T/pass" create plain
check "... with the same message" grep -q "has no S3 Object Lock.*--object-lock-enabled-for-bucket" "$T/err"
expect_rc "require_object_lock (default on): cws-invite revoke refuses it" 5 \
        "$B/cws-invite" --config "$PCONF" -k "$KS" -p "$T/pass" revoke "$INV"
sed -i 's/^\[registry\]$/[registry]\nrequire_object_lock = false/' "$PCONF"
expect_rc "require_object_lock = false: cws-invite create accepts it" 0 \
        "$B/cws-invite" --config "$PCONF" -k "$KS" -p "$T/pass" --json create plain
PINV=$(json_field id <"$T/out")
expect_rc "require_object_lock = false: a revocation is still written (without a lock)" 0 \
        "$B/cws-invite" --config "$PCONF" -k "$KS" -p "$T/pass" revoke "$PINV"
RGW_BUCKET=$PLAIN s3req GET "$S3_PREFIX/inv/$PINV/revoked" -D "$T/head" -o /dev/null
check "... there, without a retention" bash -c "grep -q '^HTTP/1.1 200' '$T/head' && ! grep -qi object-lock '$T/head'"
start_cwsd "$T/plain" || nok "require_object_lock = false: cwsd starts"
ok "require_object_lock = false: cwsd starts on the bucket without object lock"
stop_cwsd "$T/plain"

cat "$T"/cwsd.log "$T"/h*/cwsd.log >"$T/all.log" 2>/dev/null
check "no secret key in any log" bash -c "! grep -qF -- '$RGW_SECRET' '$T/all.log'"
