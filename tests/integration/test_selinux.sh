#!/bin/bash
# The SELinux policy module (selinux/): it compiles with the reference
# policy's devel Makefile, and linked with Debian's whole policy
# (selinux-policy-default) the result grants cwsd and the login domains
# what they need and withholds what they must not have.
# The kernel of the test machines has SELinux disabled: the module is
# compiled, linked and queried, never loaded or exercised.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "# SELinux is off in this kernel: the policy is compiled and analysed, not loaded or enforced"

for t in checkmodule semodule_package semodule_unpackage semodule_link semodule_expand sesearch; do
        command -v $t >/dev/null || { nok "SELinux tools present ($t missing: run tests/deps.sh)"; exit 1; }
done
[ -f /usr/share/selinux/devel/Makefile ] || { nok "selinux-policy-dev installed (run tests/deps.sh)"; exit 1; }

expect_rc "make selinux compiles the module" 0 make -s -C "$top" B="$T/b" selinux
PP=$T/b/selinux/cws.pp
check "cws.pp exists" test -s "$PP"
check "semodule_unpackage reads it back as a module" semodule_unpackage "$PP" "$T/cws.mod" "$T/cws.fc"
check "... whose file contexts label cwsd" grep -q 'cwsd_exec_t' "$T/cws.fc"
check "... and the socket" grep -q 'cwsd\\\.sock.*cwsd_socket_t' "$T/cws.fc"

# Debian's whole policy: the installed one if there is one, else the
# package's files unpacked here (nothing is installed on the host).
pol=/usr/share/selinux/default
if [ ! -f $pol/base.pp.bz2 ]; then
        (cd "$T" && apt-get download -q selinux-policy-default >/dev/null 2>&1) &&
                dpkg-deb -x "$T"/selinux-policy-default_*.deb "$T/root" && pol=$T/root/usr/share/selinux/default
fi
if [ ! -f $pol/base.pp.bz2 ]; then nok "Debian's policy modules available (apt-get download selinux-policy-default)"; exit 1; fi
mkdir -p "$T/pp"
for f in $pol/*.pp.bz2; do bunzip2 -c "$f" >"$T/pp/$(basename "$f" .bz2)"; done
mods=""
for m in "$T"/pp/*.pp; do [ "$m" = "$T/pp/base.pp" ] || mods="$mods $m"; done
# shellcheck disable=SC2086
expect_rc "links with Debian's base policy and its $(echo $mods | wc -w) modules" 0 \
        semodule_link -o "$T/linked.pp" "$T/pp/base.pp" $mods "$PP"
expect_rc "... and expands to a kernel policy (every require met)" 0 \
        semodule_expand "$T/linked.pp" "$T/policy.bin"

# has NAME ARGS...: sesearch finds a rule; lacks: it finds none.
has() { local n=$1; shift; if [ -n "$(sesearch "$@" "$T/policy.bin" 2>/dev/null)" ]; then ok "$n"; else nok "$n (sesearch $*)"; fi; }
lacks() { local n=$1 out; shift; out=$(sesearch "$@" "$T/policy.bin" 2>/dev/null)
        if [ -z "$out" ]; then ok "$n"; else nok "$n"; echo "$out" | sed 's/^/#   /'; fi; }

has "init starts cwsd in cwsd_t" -T -s init_t -t cwsd_exec_t -c process -D cwsd_t
for d in sshd_t local_login_t xdm_t staff_sudo_t sysadm_su_t user_su_t crond_t init_t; do
        has "$d may connect to cwsd's socket" -A -s $d -t cwsd_t -c unix_stream_socket -p connectto
        has "$d may write the socket file" -A -s $d -t cwsd_socket_t -c sock_file -p write
        has "$d may read the offline cache" -A -s $d -t cwsd_cache_t -c file -p read
        has "$d may read /etc/cws" -A -s $d -t cws_etc_t -c file -p read
        # The base policy gives a few domains (xdm_t, init_t) every file: they get nothing less here.
        if seinfo -a files_unconfined_type -x "$T/policy.bin" 2>/dev/null | grep -qx "[[:space:]]*$d"; then
                echo "# $d is files_unconfined_type in the base policy: no file denials to check"; continue; fi
        lacks "$d may not read the sealed bindings" -A -s $d -t cwsd_binding_t -c file -p read
        lacks "$d may not read the S3 credentials" -A -s $d -t cws_secret_t -c file -p read
        lacks "$d may not write the cache" -A -s $d -t cwsd_cache_t -c file -p write
done
has "users may ask cwsd (cws-enroll)" -A -s user_t -t cwsd_t -c unix_stream_socket -p connectto
lacks "users may not read the offline cache" -A -s user_t -t cwsd_cache_t -c file -p read
has "cwsd writes its state" -A -s cwsd_t -t cwsd_binding_t -c file -p write
has "cwsd names its cache directory" -T -s cwsd_t -t cwsd_var_lib_t -c dir -D cwsd_cache_t
has "cwsd reads the S3 credentials" -A -s cwsd_t -t cws_secret_t -c file -p read
lacks "cwsd may not write its configuration" -A -s cwsd_t -t cws_etc_t -c file -p write
has "cwsd connects to HTTPS registries" -A -s cwsd_t -t http_port_t -c tcp_socket -p name_connect
other=$(sesearch -A -s cwsd_t -t unreserved_port_t -c tcp_socket -p name_connect "$T/policy.bin" 2>/dev/null)
# Every rule that lets it is conditional (cwsd_connect_any; allow_ypbind from nsswitch).
check "cwsd connects to other ports (an S3 store on :7480) only with cwsd_connect_any" \
        test -n "$(grep -F '[ cwsd_connect_any ]:True' <<<"$other")" -a -z "$(grep -v ']:True$' <<<"$other")"
has "cwsd reads the DMI product UUID in /sys" -A -s cwsd_t -t sysfs_t -c file -p read
has "cwsd writes audit records" -A -s cwsd_t -t cwsd_t -c netlink_audit_socket -p nlmsg_relay
has "cwsd writes to the journal" -A -s cwsd_t -t devlog_t -c sock_file -p write
has "cwsd talks to logind (TerminateSession)" -A -s cwsd_t -t systemd_logind_t -c dbus -p send_msg
has "cwsd may SIGTERM an sshd session leader" -A -s cwsd_t -t sshd_t -c process -p signal
lacks "cwsd may not SIGKILL it" -A -s cwsd_t -t sshd_t -c process -p sigkill
has "systemd may create the socket for cwsd.socket" -A -s init_t -t cwsd_socket_t -c sock_file -p create
