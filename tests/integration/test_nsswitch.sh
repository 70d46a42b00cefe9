#!/bin/bash
# nss/nsswitch-cws, the packages' maintainer-script helper, on copies of
# real nsswitch.conf files: add puts cws at the end of the group: line and
# nowhere else, twice is once, remove gives the file back byte for byte,
# and mode, owner and a symlink survive. Never touches /etc.
. "$(dirname "$0")/lib.sh"
TOOL=$(cd "$(dirname "$0")/../.." && pwd)/nss/nsswitch-cws
D=$T/nss; mkdir -p "$D"

# sample NAME: writes $D/NAME with the group: line GROUP_LINE.
sample() {
        local name=$1 group_line=$2
        {
                printf '# /etc/nsswitch.conf\n#\n# Example configuration of GNU Name Service Switch functionality.\n\n'
                printf 'passwd:         files%s\n' "${3:-}"
                printf '%s\n' "$group_line"
                printf 'shadow:         files\ngshadow:        files\n\nhosts:          files dns\n'
                printf 'netgroup:       nis\n'
        } >"$D/$name"
}
sample debian   'group:          files'
sample systemd  'group:          files systemd' ' systemd'
sample sss      'group:          files sss' ' sss'
sample actions  'group:          sss [NOTFOUND=return] files'
sample comment  'group:          files systemd   # local groups first'
sample tabs     $'group:\tfiles\t\t'
sample tight    'group:files'
cp /etc/nsswitch.conf "$D/host"

# expected NAME: the group: line after add.
declare -A want=(
        [debian]='group:          files cws'
        [systemd]='group:          files systemd cws'
        [sss]='group:          files sss cws'
        [actions]='group:          sss [NOTFOUND=return] files cws'
        [comment]='group:          files systemd cws   # local groups first'
        [tabs]=$'group:\tfiles cws\t\t'
        [tight]='group:files cws'
)

for f in debian systemd sss actions comment tabs tight host; do
        cp -p "$D/$f" "$D/$f.orig"
        "$TOOL" add "$D/$f"
        if [ "$f" = host ]; then
                got=$(grep '^group:' "$D/$f")
                check "$f: add appends cws to the host's group: line" \
                        test "$got" = "$(grep '^group:' "$D/$f.orig") cws"
        else
                check "$f: add gives '${want[$f]}'" test "$(grep '^group:' "$D/$f")" = "${want[$f]}"
        fi
        check "$f: nothing but the group: line changed" \
                test "$(diff "$D/$f.orig" "$D/$f" | grep -c '^[<>]')" = 2
        cp "$D/$f" "$D/$f.once"
        "$TOOL" add "$D/$f"
        check "$f: add twice is add once" cmp -s "$D/$f.once" "$D/$f"
        "$TOOL" remove "$D/$f"
        check "$f: remove restores the file byte for byte" cmp -s "$D/$f.orig" "$D/$f"
        "$TOOL" remove "$D/$f"
        check "$f: remove twice is remove once" cmp -s "$D/$f.orig" "$D/$f"
done

# cws added by hand at the front, with an action, or as the only source.
printf 'group: cws files\n' >"$D/front"
"$TOOL" remove "$D/front"
check "remove takes out a cws the administrator put first" test "$(cat "$D/front")" = "group: files"
printf 'group: files cws [UNAVAIL=return] systemd\n' >"$D/middle"
"$TOOL" remove "$D/middle"
check "remove takes out a cws in the middle, leaving the action" \
        test "$(cat "$D/middle")" = "group: files [UNAVAIL=return] systemd"
# Names that only look like cws are other sources.
printf 'group: files cws2 mycws\n#group: files cws\n' >"$D/alike"
cp "$D/alike" "$D/alike.orig"
"$TOOL" remove "$D/alike"
check "remove leaves cws2, mycws and comments alone" cmp -s "$D/alike.orig" "$D/alike"
"$TOOL" add "$D/alike"
check "add counts neither cws2 nor a comment as cws" \
        test "$(head -1 "$D/alike")" = "group: files cws2 mycws cws"

# Mode, owner and a symlink survive; a file without a group: line is left alone.
sample linked 'group:          files'
chmod 640 "$D/linked"; chown 1:1 "$D/linked"
ln -s linked "$D/link"
"$TOOL" add "$D/link"
check "through a symlink: the link stays a link" test -L "$D/link"
check "through a symlink: its target gets cws" grep -q '^group:          files cws$' "$D/linked"
check "mode and owner are kept" test "$(stat -c '%a %u %g' "$D/linked")" = "640 1 1"
printf 'group:\n' >"$D/empty"
"$TOOL" add "$D/empty"
check "a group: line with no source is left alone" test "$(cat "$D/empty")" = "group:"
printf 'passwd: files\n' >"$D/nogroup"
"$TOOL" add "$D/nogroup" 2>"$D/err"
check "no group: line: left alone" test "$(cat "$D/nogroup")" = "passwd: files"
check "no group: line: says so" grep -q 'no group: line' "$D/err"
expect_rc "a missing file is nothing to do" 0 "$TOOL" add "$D/absent"
expect_rc "bad usage is exit 2" 2 "$TOOL" frobnicate "$D/debian"
check "no temporary file is left behind" test -z "$(find "$D" -name '*.cws.*')"
