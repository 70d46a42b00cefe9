#!/bin/sh
# Installs every build and test dependency (Debian 12). Needs root.
set -eu
PKGS="build-essential pkg-config libpam0g-dev libsecret-1-dev libssl-dev libaudit-dev
libsystemd-dev libcmocka-dev libcurl4-openssl-dev libjson-c-dev libinih-dev
libpam-wrapper libpamtest0-dev pamtester util-linux iproute2 procps python3
openssh-server openssh-client sudo auditd
ceph-mon ceph-osd radosgw ceph-common openssl curl
dbus-daemon gnome-keyring libsecret-tools libglib2.0-bin
clang-14 libclang-rt-14-dev
debhelper devscripts fakeroot lintian debootstrap systemd-container
rpm selinux-policy-dev checkpolicy semodule-utils setools strace"
missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
        echo "make deps: missing packages:$missing (run 'make deps' as root)" >&2
        exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing openssh-server, auditd or ceph must not start daemons on this host:
# the tests start their own, privately, and stop them again.
rc_guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        rc_guard=/usr/sbin/policy-rc.d
fi
trap '[ -n "$rc_guard" ] && rm -f "$rc_guard"' EXIT
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
