#!/bin/sh
# sysusers-pre.sh FILE: shell lines that create FILE's "g" and "u" entries
# with groupadd/useradd, for %sysusers_create_compat (macros.systemd).
set -eu
[ -r "${1:-}" ] || { echo "sysusers-pre.sh: cannot read '${1:-}'" >&2; exit 1; }
grep -E '^[gu][[:space:]]' "$1" | while IFS= read -r line; do
        set -f
        eval "set -- $line"     # our own file: quoted GECOS fields split as sysusers does
        type=$1 name=$2 id=${3:--} gecos=${4:--} home=${5:--} shell=${6:--}
        opt=""
        case $id in [0-9]*) opt="-u $id" ;; esac
        if [ "$type" = g ]; then
                [ -n "$opt" ] && opt="-g $id"
                echo "getent group '$name' >/dev/null || groupadd -r $opt '$name'"
                continue
        fi
        [ "$gecos" = - ] && gecos=""
        [ "$home" = - ] && home=/
        [ "$shell" = - ] && shell=/usr/sbin/nologin
        echo "getent group '$name' >/dev/null || groupadd -r '$name'"
        echo "getent passwd '$name' >/dev/null || useradd -r $opt -g '$name' -d '$home' -s '$shell' -c '$gecos' '$name'"
done
