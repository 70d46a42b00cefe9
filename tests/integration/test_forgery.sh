#!/bin/bash
# Registry records changed by one byte, signed by an unknown key, or moved
# to another key are rejected, by enrollment and by validation.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || exit 1
mk() { invite --json create "$1" --max-devices 2 >"$T/$1.json"; }
tok() { json_get "$T/$1.json" 'j["token"]'; }
id() { json_get "$T/$1.json" 'j["id"]'; }
mk a; mk b; mk c
expect_rc "enroll under a" 0 enroll "$(tok a)"
expect_rc "a validates before tampering" 0 enroll --check

# One byte of the invitation record changed (inside the signed payload).
f="$T/registry/inv/$(id a)/invitation"
cp "$f" "$T/a.orig"
flip_after "$f" '"payload":"' 20
expect_rc "an invitation record changed by one byte is refused" 1 enroll --check
check "the reason is record_invalid" grep -q record_invalid "$T/out"
cp "$T/a.orig" "$f"
expect_rc "restoring the record restores access" 0 enroll --check

# The device's slot record changed by one byte.
s="$T/registry/inv/$(id a)/slot/1/0"
cp "$s" "$T/s.orig"
flip_after "$s" '"sig":"' 5
check "the slot record really changed" bash -c "! cmp -s '$s' '$T/s.orig'"
expect_rc "a slot record with a changed signature is refused" 1 enroll --check
cp "$T/s.orig" "$s"

# A record signed by a key that is not pinned.
"$B/cws-invite" --config "$CONF" --keystore "$T/rogue.key" --passphrase-file "$T/pass" init >/dev/null
"$B/cws-invite" --config "$CONF" --keystore "$T/rogue.key" --passphrase-file "$T/pass" --json create rogue >"$T/rogue.json"
expect_rc "enrolling under an invitation signed by an unknown key is refused" 1 enroll "$(json_get "$T/rogue.json" 'j["token"]')"
check "the reason is record_invalid" grep -q record_invalid "$T/err"
check "list does not show it as active" bash -c "! '$B/cws-invite' --config '$CONF' list | grep '$(json_get "$T/rogue.json" 'j["id"]')' | grep -q active"

# A record moved to another key: b's invitation placed at c's key.
cp "$T/registry/inv/$(id b)/invitation" "$T/registry/inv/$(id c)/invitation.new"
mv "$T/registry/inv/$(id c)/invitation.new" "$T/registry/inv/$(id c)/invitation"
expect_rc "a record moved to another invitation's key is refused" 1 enroll "$(tok c)"
check "the reason is record_invalid" grep -q record_invalid "$T/err"

# A slot record moved to another slot.
mkdir -p "$T/registry/inv/$(id a)/slot/2"
cp "$T/registry/inv/$(id a)/slot/1/0" "$T/registry/inv/$(id a)/slot/2/0"
check "devices does not list a moved slot record twice" \
        json_test "$(devices --json "$(id a)")" 'len(j["devices"]) == 1'

# Deleting a record denies (fail closed) — it never authorises.
rm "$T/registry/inv/$(id a)/slot/1/0"
expect_rc "a deleted slot record denies" 1 enroll --check
check "the reason is record_missing" grep -q record_missing "$T/out"

# A symlinked directory inside the registry storage is refused: nothing is
# read from, or written to, outside the registry through it.
mkdir -p "$T/outside/slot/1"
invite --json create d >"$T/d.json"
mv "$T/registry/inv/$(id d)" "$T/outside.real"
cp -r "$T/outside.real/." "$T/outside/"
ln -s "$T/outside" "$T/registry/inv/$(id d)"
expect_rc "enrolling through a symlinked registry directory is refused" 1 enroll "$(tok d)"
check "... it names the symlink" grep -q "not a directory" "$T/err"
check "... and nothing was written outside the registry" bash -c "[ -z \"\$(find '$T/outside/slot' -type f)\" ]"
