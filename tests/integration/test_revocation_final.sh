#!/bin/bash
# A revocation seen once is final on this host: deleting the record from
# the registry storage (what anyone holding storage credentials but no key
# can do) un-revokes nothing, online or offline, across cwsd restarts, and
# the registry allowing it again is put on record as tampering.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
        "$B" "$CONF" "$B" "$CONF" >"$PAMD/login"
pam() { "$B/pam_run" "$PAMD" login root 2>&1; }
admin_revoke() { revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$@" >/dev/null; }
enroll_new() { # enroll_new NAME: a fresh invitation and enrollment; prints inv, dev and token
        invite --json create "$1" --max-devices 2 >"$T/$1.json"
        enroll "$(json_get "$T/$1.json" 'j["token"]')" >"$T/$1.enroll" || return 1
        echo "$(json_get "$T/$1.json" 'j["id"]') $(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/$1.enroll") $(json_get "$T/$1.json" 'j["token"]')"
}
# tampering_logged ID: cwsd put the lost revocation of ID on record.
tampering_logged() { grep -q "tampering: user=root .*$1.*: the registry no longer holds the revocation" "$T/cwsd.log"; }

start_cwsd "$T" || exit 1
read -r INV DEV TOK <<<"$(enroll_new lab)"
check "enrolled" test -n "$INV" -a -n "$DEV"
check "an enrolled device logs in" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"

# 1. A device revocation, seen, then deleted from the store.
admin_revoke "$INV" "$DEV"
check "revoked: the next login is refused" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"
check "... and this host remembers it (state_dir/revoked/$DEV)" test -f "$T/state/revoked/$DEV"
rec=$T/registry/inv/$INV/device-revoked/$DEV
check "the revocation record is in the store" test -f "$rec"
rm -f "$rec"
check "record deleted by a storage writer: the registry alone would allow again" \
        bash -c "! test -e '$rec'"
out=$(pam)
check "... the next login is still refused online" grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
check "... told the device was revoked" grep -q "this device was revoked" <<<"$out"
check "... and cwsd logs the lost record as possible tampering" tampering_logged "$DEV"
check "... cws-enroll --check says device_revoked" \
        json_test "$(enroll --check --json)" 'j["reason"] == "device_revoked"'
stop_cwsd "$T"
out=$(pam)
check "cwsd down: the offline decision refuses it too" grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
start_cwsd "$T" || exit 1
check "cwsd restarted: still refused" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"

# 2. Coming back is a new enrollment: a new device id validates.
enroll "$TOK" >"$T/re.enroll"
DEV_NEW=$(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/re.enroll")
check "re-enrolled under a new device id" test -n "$DEV_NEW" -a "$DEV_NEW" != "$DEV"
check "... which logs in" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"

# 3. An invitation revocation, seen, then deleted.
admin_revoke --all "$INV"
check "invitation revoked: refused" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"
check "... remembered (state_dir/revoked/$INV)" test -f "$T/state/revoked/$INV"
rm -f "$T/registry/inv/$INV/revoked"
check "invitation record deleted: still refused online" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"
check "... logged as possible tampering" tampering_logged "$INV"
expect_rc "... and the token cannot enroll again on this host" 1 enroll "$TOK"
check "... the refusal names invitation_revoked" grep -q "invitation_revoked" "$T/err"

# 4. Nothing else is touched: another profile works online and offline.
read -r INV2 DEV2 _ <<<"$(enroll_new other)"
check "another profile validates" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"
stop_cwsd "$T"
check "... and offline from the cache" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"
chmod 0777 "$T/state/revoked"
check "seen revocations writable by others: the offline decision refuses" \
        grep -q "^acct=PAM_AUTHINFO_UNAVAIL" <<<"$(pam)"
chmod 0700 "$T/state/revoked"

# 5. The memory has no eviction: 40 bindings of one user, the cached one
# revoked first, then the other 39. The old cache kept 16 revoked ids and
# forgot the first; offline it allowed that device again.
start_cwsd "$T" || exit 1
rm -rf "$T/state/bindings" "$T/state/cache"
for i in $(seq 40); do
        invite --json create "many$i" >"$T/many$i.json" || break
        enroll "$(json_get "$T/many$i.json" 'j["token"]')" >"$T/many$i.enroll" || break
done
n=$(ls "$T/state/bindings/0" | wc -l)
check "40 bindings for one user ($n)" test "$n" -eq 40
check "... one of them validates" grep -q "^acct=PAM_SUCCESS" <<<"$(pam)"
CINV=$(sed -n 's/^invitation=//p' "$T/state/cache/0")
CDEV=$(sed -n 's/^device=//p' "$T/state/cache/0")
check "... and is the cached validation ($CDEV)" test -n "$CDEV"
admin_revoke "$CINV" "$CDEV"
for i in $(seq 40); do
        id=$(json_get "$T/many$i.json" 'j["id"]'); [ "$id" = "$CINV" ] && continue
        dev=$(sed -n 's/^Enrolled device \(dev-[^ ]*\).*/\1/p' "$T/many$i.enroll")
        admin_revoke "$id" "$dev"
done
check "all 40 revoked: refused online" grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"
check "... and all 40 devices remembered" test "$(ls "$T/state/revoked" | grep -c '^dev-')" -ge 40
stop_cwsd "$T"
check "cwsd down: the cached device, revoked first, is still refused offline" \
        grep -q "^acct=PAM_PERM_DENIED" <<<"$(pam)"
