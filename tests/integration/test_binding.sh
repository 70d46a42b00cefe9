#!/bin/bash
# The sealed binding: copied to a machine with another /etc/machine-id it
# does not open; changed by one byte it does not open; a new network
# interface does not break it. "Another machine" is a private mount
# namespace with a different machine-id bind-mounted over /etc/machine-id.
. "$(dirname "$0")/lib.sh"
admin_setup || { nok "admin setup"; exit 1; }
start_cwsd "$T" || exit 1
invite --json create lab >"$T/inv.json"
expect_rc "enroll" 0 enroll "$(json_get "$T/inv.json" 'j["token"]')"
expect_rc "allowed on the machine it was enrolled on" 0 enroll --check
stop_cwsd "$T"

# The same state directory (binding and host key) on another machine.
printf '%s\n' 0123456789abcdef0123456789abcdef >"$T/other-machine-id"
# Wrappers for start_cwsd: commands that exec cwsd (stop_cwsd signals its pid).
other_machine=(unshare -m --propagation private sh -c
        "mount --bind '$T/other-machine-id' /etc/machine-id && exec \"\$0\" \"\$@\"")
check "the namespace really shows another machine id" \
        bash -c "[ \"\$(unshare -m --propagation private sh -c 'mount --bind $T/other-machine-id /etc/machine-id && cat /etc/machine-id')\" != \"\$(cat /etc/machine-id)\" ]"
start_cwsd "$T" "${other_machine[@]}" || exit 1
expect_rc "a binding copied to another machine is refused" 1 enroll --check
check "... as profile_copy_detected" grep -q profile_copy_detected "$T/out"
check "... with the violation named" \
        json_test "$(enroll --check --json)" 'j["violations"] == "profile_copy_detected"'
stop_cwsd "$T"
check "the host's own machine-id is untouched" bash -c "! grep -q 0123456789abcdef /etc/machine-id"

# Back on the original machine it works again.
start_cwsd "$T" || exit 1
expect_rc "allowed again on the original machine" 0 enroll --check

# One byte of the sealed body changed.
f=$(ls "$T"/state/bindings/0/*.bind)
cp "$f" "$T/bind.orig"
flip_at "$f" $(( $(head -1 "$f" | wc -c) + 30 ))   # inside the sealed body
check "the binding file really changed" bash -c "! cmp -s '$f' '$T/bind.orig'"
expect_rc "a binding changed by one byte is refused" 1 enroll --check
check "... as tamper_detected" grep -q tamper_detected "$T/out"
cp "$T/bind.orig" "$f"
expect_rc "the restored binding is allowed" 0 enroll --check
stop_cwsd "$T"

# A new network interface (and every old one gone) is drift, not denial:
# cwsd in a fresh network namespace, with its own sysfs, and a new veth
# pair there; the host's interfaces are not touched.
new_interfaces=(unshare -n -m --propagation private sh -c
        "mount -t sysfs sysfs /sys && ip link add cwstest0 type veth peer name cwstest1 && exec \"\$0\" \"\$@\"")
check "the namespace has a MAC set unlike the host's" bash -c \
        "[ \"\$(unshare -n -m --propagation private sh -c 'mount -t sysfs sysfs /sys && ip link add cwstest0 type veth peer name cwstest1 && cat /sys/class/net/*/address' | sort)\" != \"\$(cat /sys/class/net/*/address | sort)\" ]"
start_cwsd "$T" "${new_interfaces[@]}" || exit 1
expect_rc "new network interfaces do not lock anyone out" 0 enroll --check
check "... and MAC drift is reported" \
        json_test "$(enroll --check --json)" '"mac_address_mismatch" in j["violations"].split(",")'
stop_cwsd "$T"
check "no test interface left on the host" bash -c "! ip link show cwstest0 >/dev/null 2>&1"
