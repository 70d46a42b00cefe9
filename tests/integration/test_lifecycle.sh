#!/bin/bash
# The whole life cycle through the real binaries and a real cwsd:
# init -> create -> enroll -> check -> list -> revoke one -> revoke all.
. "$(dirname "$0")/lib.sh"

check "init makes a key and prints it for trusted_keys" admin_setup
check "init --json prints the public key" \
        json_test "$("$B/cws-invite" --keystore "$T/k2" --passphrase-file "$T/pass" --json init)" \
        'j["public_key"].startswith("ed25519 ")'
expect_rc "init refuses to overwrite an existing key" 1 invite init
start_cwsd "$T" || exit 1

invite --json create lab-access --max-devices 2 >"$T/inv.json"
TOKEN=$(json_get "$T/inv.json" 'j["token"]'); INV=$(json_get "$T/inv.json" 'j["id"]')
check "create prints id and token" bash -c "[[ '$TOKEN' == $INV.* ]]"

printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
enroll --json --token-file "$T/token" >"$T/enr.json"
DEV=$(json_get "$T/enr.json" 'j["device_id"]')
check "enroll --json gives device, invitation, profile, slot" \
        json_test "$T/enr.json" "j == {'device_id': '$DEV', 'invitation': '$INV', 'profile': 'lab-access', 'slot': 1}"
expect_rc "enrolling the same device twice is refused" 1 enroll "$TOKEN"
expect_rc "check allows an enrolled user" 0 enroll --check --service login
check "check --json says allow/ok" \
        json_test "$(enroll --check --json)" 'j["decision"] == "allow" and j["reason"] == "ok"'
expect_rc "sudo needs admin: read_only is refused" 1 enroll --check --service sudo
check "the refusal names insufficient_type" grep -q insufficient_type "$T/out"

check "list shows the invitation as active" bash -c "'$B/cws-invite' --config '$CONF' list | grep '$INV' | grep -q active"
check "list --json" json_test "$(invite --json list)" "'$INV' in [i['id'] for i in j['invitations']]"
check "show --json" json_test "$(invite --json show "$INV")" 'j["invitation"]["max_devices"] == 2'
check "devices lists the device as active" bash -c "'$B/cws-devices' --config '$CONF' $INV | grep '$DEV' | grep -q active"
devices --json "$INV" >"$T/dev.json"
check "devices --json has slot, user, enrolled time and status" \
        json_test "$T/dev.json" "[{k: v for k, v in d.items() if k != 'enrolled_at'} for d in j['devices']] ==
                [{'slot': 1, 'generation': 0, 'device_id': '$DEV', 'user': 'root', 'uid': 0, 'status': 'active'}]
                and type(j['devices'][0]['enrolled_at']) is int"

# A user revokes their own device through cwsd.
expect_rc "a user revokes their own device" 0 revoke "$INV" "$DEV"
expect_rc "the revoked device is denied" 1 enroll --check
check "the denial says device_revoked" grep -q device_revoked "$T/out"
check "devices shows it revoked" bash -c "'$B/cws-devices' --config '$CONF' $INV | grep '$DEV' | grep -q revoked"
expect_rc "revoking twice is refused" 1 revoke "$INV" "$DEV"

# Revoking freed the slot: the device can come back as a new enrollment.
expect_rc "re-enrollment after revocation" 0 enroll --token-file "$T/token"
expect_rc "the new enrollment is allowed" 0 enroll --check
DEV2=$(devices --json "$INV" | json_get - '" ".join(d["device_id"] for d in j["devices"] if d["user"] == "root" and d["uid"] == 0 and d["status"] == "active")')
check "the new device has a new id" bash -c "[ -n '$DEV2' ] && [ '$DEV2' != '$DEV' ]"

# Administrator revokes one device with the administrator key.
expect_rc "admin revokes one device" 0 revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$INV" "$DEV2"
expect_rc "denied after admin revocation" 1 enroll --check
expect_rc "wrong passphrase is refused" 6 bash -c "printf 'nope\n' >'$T/bad'; chmod 600 '$T/bad'; '$B/cws-revoke' --config '$CONF' --all --keystore '$KS' --passphrase-file '$T/bad' $INV"

# Revoke all: a fresh enrollment under the invitation dies with it.
invite --json create other-lab --max-devices 1 >"$T/inv2.json"
TOKEN2=$(json_get "$T/inv2.json" 'j["token"]'); INV2=$(json_get "$T/inv2.json" 'j["id"]')
sleep 1   # the newest enrollment's denial is the one reported; make it this one
expect_rc "enroll in a second invitation" 0 enroll "$TOKEN2"
expect_rc "allowed before revoke-all" 0 enroll --check
expect_rc "revoke --all" 0 revoke --all --keystore "$KS" --passphrase-file "$T/pass" "$INV2"
expect_rc "refused after revoke-all" 1 enroll --check
check "the refusal is invitation_revoked" json_test "$(enroll --check --json)" 'j["reason"] == "invitation_revoked"'
check "list shows it revoked" bash -c "'$B/cws-invite' --config '$CONF' list | grep '$INV2' | grep -q revoked"
expect_rc "enrolling into a revoked invitation is refused" 1 enroll "$TOKEN2"
expect_rc "a malformed token is refused" 2 enroll "inv-nope.xyz"
expect_rc "a token with a wrong secret is refused" 1 enroll "${TOKEN%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

# Help, version and usage errors.
for p in cwsd cws-invite cws-enroll cws-revoke cws-devices; do
        expect_rc "$p --help" 0 "$B/$p" --help
        expect_rc "$p --version" 0 "$B/$p" --version
        expect_rc "$p rejects an unknown option" 2 "$B/$p" --no-such-option
done
