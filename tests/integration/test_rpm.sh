#!/bin/bash
# make rpm: the binary RPMs built with rpmbuild from a git archive of the
# checkout (--nodeps: the rpm database of a Debian host is empty). Checks
# the payload, the file modes and flags, the dependencies and the
# scriptlets, and runs the erase guard of %preun against a private /etc/pam.d.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
for t in rpmbuild rpm2archive git; do
        command -v $t >/dev/null || { nok "$t present (run tests/deps.sh)"; exit 1; }
done
version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
check "the spec's Version is the Makefile's ($version)" \
        grep -qE "^Version:[[:space:]]+$version\$" "$top/packaging/rpm/pam_cws.spec"

cc_line() { make -n -B -C "$top" B="$T/n" "$@" "$T/n/lib/gate/error.o" | grep -- ' -c lib/gate/error.c'; }
check "developers' builds keep -Werror" grep -q -- ' -Werror' <(cc_line)
check "WERROR= takes it out (for packagers)" test -z "$(cc_line WERROR= | grep -- -Werror)"

expect_rc "make rpm builds the RPMs" 0 make -s -C "$top" B="$T/b" rpm
check "... compiling with WERROR= and the RPM flags" \
        test -n "$(grep -E -- ' -c lib/gate/error.c' "$T/out" "$T/err" | grep -vF -- -Werror | grep -F -- "$(rpm --eval '%{optflags}')")"
main=$(printf '%s\n' "$T"/b/rpm/RPMS/"$(rpm --eval '%{_arch}')"/pam_cws-"$version"-*.rpm | head -1)
sel=$(printf '%s\n' "$T"/b/rpm/RPMS/noarch/pam_cws-selinux-"$version"-*.noarch.rpm | head -1)
check "the main package was written" test -s "$main"
check "the pam_cws-selinux package was written" test -s "$sel"
[ -s "$main" ] && [ -s "$sel" ] || exit 1

libdir=$(rpm --eval '%{_libdir}')
rpm -qlp "$main" >"$T/list"
rpm -qlp "$sel" >"$T/sel-list"
for p in "$libdir/security/pam_cws.so" /usr/sbin/cwsd /usr/sbin/cws-authselect \
        /usr/bin/cws-invite /usr/bin/cws-enroll /usr/bin/cws-revoke /usr/bin/cws-devices \
        /etc/cws/cws.conf /usr/lib/systemd/system/cwsd.service /usr/lib/systemd/system/cwsd.socket \
        /usr/lib/systemd/system-preset/80-pam_cws.preset /usr/lib/sysusers.d/cws.conf \
        /usr/lib/tmpfiles.d/cws.conf /usr/lib/systemd/catalog/cws.catalog \
        /usr/share/man/man8/cws-authselect.8; do
        check "payload has $p" grep -qxF "$p" "$T/list"
done
for m in "$top"/packaging/man/*.[158]; do
        s=${m##*.}
        check "payload has the man page $(basename "$m")" grep -qE "^/usr/share/man/man$s/$(basename "$m")(\.gz)?\$" "$T/list"
done
check "no PAM configuration in the payload (nothing under /etc/pam.d or /etc/authselect)" \
        test -z "$(grep -E '^/etc/(pam\.d|authselect)' "$T/list")"
check "nothing outside /etc/cws and /usr" test -z "$(grep -vE '^(/etc/cws(/|$)|/usr/)' "$T/list")"
check "pam_cws-selinux has the policy module" \
        grep -qxF /usr/share/selinux/packages/targeted/cws.pp.bz2 "$T/sel-list"
check "... and the interface file for other policies" \
        grep -qxF /usr/share/selinux/devel/include/distributed/cws.if "$T/sel-list"
check "pam_cws-selinux has nothing else" test "$(wc -l <"$T/sel-list")" -eq 2

# Modes, owners and flags of every file: FILENAME FLAGS MODE USER GROUP.
rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}- %{FILEMODES:octal} %{FILEUSERNAME} %{FILEGROUPNAME}\n]' \
        "$main" "$sel" >"$T/modes"
# mode_bits MASK: the files whose mode has a bit of MASK (symlinks aside).
mode_bits() { local f m; while read -r f _ m _; do
        case $m in 120*) continue ;; esac
        if (( 8#$m & $1 )); then echo "$f $m"; fi; done <"$T/modes"; }
check "no setuid or setgid file in either package" test -z "$(mode_bits 06000)"
check "no group- or world-writable file" test -z "$(mode_bits 022)"
check "every file belongs to root:root" test -z "$(awk '$4 != "root" || $5 != "root"' "$T/modes")"
mod_mode=$(awk -v p="$libdir/security/pam_cws.so" '$1 == p { print substr($3, length($3) - 3) }' "$T/modes")
check "the module is 0755 or 0644 (it is $mod_mode)" test "$mod_mode" = 0755 -o "$mod_mode" = 0644
check "cws.conf is %config(noreplace)" grep -qE '^/etc/cws/cws\.conf cn' "$T/modes"
check "... and the only config file" test "$(rpm -qp --configfiles "$main")" = /etc/cws/cws.conf
check "cws.conf is 0644" grep -qE '^/etc/cws/cws\.conf [a-z]*- 100644 ' "$T/modes"

# Dependencies.
rpm -qpR "$main" >"$T/req"
check "the policy comes with the package where SELinux policy is installed" \
        grep -qF "(pam_cws-selinux = $version-1 if selinux-policy-targeted)" "$T/req"
check "the module does not link libcurl, json-c or glib" \
        test -z "$(rpm2archive -n <"$main" | tar -xOf - ".$libdir/security/pam_cws.so" | \
                   strings | grep -E '^lib(curl|json-c|glib|gio|secret)[^ ]*\.so')"
check "pam_cws-selinux requires the targeted policy" grep -qx 'selinux-policy-targeted' <(rpm -qpR "$sel")

# Scriptlets: systemd and user creation in the main package, semodule in
# pam_cws-selinux, and no PAM stack edits in either.
rpm -qp --scripts "$main" >"$T/scripts"
rpm -qp --scripts "$sel" >"$T/sel-scripts"
script() { rpm -qp --qf "%{$2}" "$1"; }
check "%pre creates the (empty) gate group cws-gated (sysusers)" \
        grep -qE "groupadd .*'?cws-gated'?\$|systemd-sysusers" <(script "$main" PREIN)
check "... and no cws user (cwsd runs as root in a sandbox)" \
        bash -c "! grep -q useradd <(rpm -qp --qf '%{PREIN}' '$main')"
check "%post adds cws to nsswitch's group line, %preun takes it out on erase" \
        bash -c "rpm -qp --scripts '$main' | grep -q 'nsswitch-cws add' && rpm -qp --scripts '$main' | grep -q 'nsswitch-cws remove'"
check "%post presets (enables) cwsd.socket and cwsd.service" \
        grep -qE '(preset|install-system-units).*cwsd\.socket.*cwsd\.service' <(script "$main" POSTIN)
check "%post creates the tmpfiles.d entries" grep -q 'systemd-tmpfiles --create' <(script "$main" POSTIN)
check "%preun stops and disables the units on erase" \
        grep -qE '(disable --now|remove-system-units).*cwsd\.service.*cwsd\.socket' <(script "$main" PREUN)
check "%postun restarts cwsd.service on upgrade" \
        grep -qE '(try-restart|mark-restart-system-units).*cwsd\.service' <(script "$main" POSTUN)
check "%postun does not restart the socket (it survives a service restart)" \
        test -z "$(script "$main" POSTUN | grep -E 'restart.*cwsd\.socket')"
check "pam_cws-selinux %post installs the module with semodule" \
        grep -qE 'semodule .*-i .*/cws\.pp\.bz2' <(script "$sel" POSTIN)
check "pam_cws-selinux %postun removes it on erase only" \
        grep -qE 'semodule .*-r cws' <(script "$sel" POSTUN)
check "pam_cws-selinux relabels after the transaction" \
        grep -qE 'restorecon|fixfiles' <(script "$sel" POSTTRANS)
check "no scriptlet calls pam-auth-update" test -z "$(grep -h pam-auth-update "$T/scripts" "$T/sel-scripts")"
check "no scriptlet calls authselect" test -z "$(grep -h authselect "$T/scripts" "$T/sel-scripts")"
for s in PREIN POSTIN PREUN POSTUN; do
        check "the main package's $s is valid sh" sh -n <(script "$main" $s)
done
for s in PREIN POSTIN POSTUN POSTTRANS; do
        check "pam_cws-selinux's $s is valid sh" sh -n <(script "$sel" $s)
done

# The %preun erase guard, run for real against a private /etc/pam.d (a
# mount namespace) with systemctl stubbed out.
mkdir -p "$T/stub" "$T/pamd"
printf '#!/bin/sh\necho "systemctl $*" >>%s/systemctl.log\n' "$T" >"$T/stub/systemctl"
chmod 755 "$T/stub/systemctl"
script "$main" PREUN >"$T/preun.sh"
preun() { # preun ARG: the scriptlet with $1 = ARG (0 erase, 1 upgrade) on $T/pamd
        unshare -m --propagation private sh -c 'mount --bind "$1" /etc/pam.d && PATH="$2:$PATH" sh "$3" "$4"' \
                preun "$T/pamd" "$T/stub" "$T/preun.sh" "$1"
}
printf 'account required pam_unix.so\naccount [success=ok ignore=ignore module_unknown=ignore default=bad] pam_cws.so\n' \
        >"$T/pamd/system-auth"
expect_rc "erase goes ahead when every pam_cws.so line has module_unknown=ignore" 0 preun 0
check "... and stops and disables the units" grep -q 'disable --now cwsd.service cwsd.socket' "$T/systemctl.log"
printf 'account required pam_cws.so\n' >"$T/pamd/sshd"
rm -f "$T/systemctl.log"
expect_rc "erase is refused with a hand-written 'account required pam_cws.so'" 1 preun 0
check "... naming the file and line" grep -q '/etc/pam.d/sshd:1:account required pam_cws.so' "$T/err"
check "... before anything is stopped" test ! -e "$T/systemctl.log"
expect_rc "an upgrade is never refused" 0 preun 1

# The policy module in pam_cws-selinux is a module that semodule can read.
rpm2archive -n <"$sel" | tar -xOf - ./usr/share/selinux/packages/targeted/cws.pp.bz2 | bunzip2 >"$T/cws.pp"
check "the packaged cws.pp unpacks as a policy module" \
        semodule_unpackage "$T/cws.pp" "$T/cws.mod" "$T/cws.fc"
