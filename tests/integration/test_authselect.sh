#!/bin/bash
# packaging/rpm/cws-authselect --edit, on copies of real authselect profile
# files (tests/data/authselect/, from authselect's profiles/sssd and
# profiles/local): one account line before the first account line that can end
# the stack early (pam_systemd_home, pam_localuser, pam_usertype sufficient), one
# session line at the end, nothing else changed, twice the same as once, and
# refusals that change nothing. authselect itself is not on Debian.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
TOOL=$top/packaging/rpm/cws-authselect
DATA=$top/tests/data/authselect

# line_of FILE REGEX: number of the first line matching REGEX (0: none).
line_of() { grep -nE "$2" "$1" | head -1 | cut -d: -f1 | sed 's/^$/0/' | grep . || echo 0; }
cws_account='^account +\[success=ok ignore=ignore module_unknown=ignore default=bad\] pam_cws\.so$'
cws_session='^session +\[success=ok ignore=ignore module_unknown=ignore default=bad\] pam_cws\.so$'

for prof in sssd local; do
        d=$T/$prof
        cp -r "$DATA/$prof" "$d"
        expect_rc "$prof: cws-authselect --edit succeeds" 0 sh "$TOOL" --edit "$d"
        for f in "$d"/*; do
                n=$prof/$(basename "$f")
                check "$n: one pam_cws.so account line" test "$(grep -cE "$cws_account" "$f")" -eq 1
                check "$n: one pam_cws.so session line" test "$(grep -cE "$cws_session" "$f")" -eq 1
                check "$n: no other pam_cws.so line" test "$(grep -c pam_cws "$f")" -eq 2
                acc=$(line_of "$f" "$cws_account")
                first_sufficient=$(line_of "$f" '^account +sufficient ')
                if [ "$first_sufficient" -gt 0 ]; then
                        check "$n: the account line comes before every sufficient account line" \
                                test "$acc" -lt "$first_sufficient"
                else
                        check "$n: no sufficient account line: the account line is the last one" \
                                test "$acc" -eq "$(grep -nE '^-?account' "$f" | tail -1 | cut -d: -f1)"
                fi
                for m in pam_localuser pam_usertype; do
                        s=$(line_of "$f" "^account +sufficient +$m\.so")
                        [ "$s" -gt 0 ] && check "$n: ... and before the $m sufficient line" test "$acc" -lt "$s"
                done
                check "$n: the session line is the last session line" \
                        test "$(line_of "$f" "$cws_session")" -eq "$(grep -nE '^-?session' "$f" | tail -1 | cut -d: -f1)"
                check "$n: without the two lines the file is the original" \
                        cmp -s <(grep -v pam_cws "$f") "$DATA/$n"
        done
        cp -r "$d" "$d.once"
        expect_rc "$prof: a second run succeeds" 0 sh "$TOOL" --edit "$d"
        check "$prof: ... and adds nothing" diff -r "$d.once" "$d"
done

# Refusals: nothing in the directory changes.
d=$T/noanchor
cp -r "$DATA/sssd" "$d"
grep -vE '^-?account' "$DATA/sssd/password-auth" >"$d/password-auth"
cp -r "$d" "$d.before"
expect_rc "a file without an account line is refused" 1 sh "$TOOL" --edit "$d"
check "... the message names the file" grep -q "$d/password-auth: no account line" "$T/err"
check "... and no file was changed (not even the good ones)" diff -r "$d.before" "$d"

d=$T/jump
cp -r "$DATA/local" "$d"
# A jump over the next account line, placed right before the first sufficient one.
awk '/^account +sufficient/ && !done { print "account     [success=1 default=ignore]                   pam_succeed_if.so uid < 1000 quiet"; done = 1 } 1' \
        "$DATA/local/system-auth" >"$d/system-auth"
cp -r "$d" "$d.before"
expect_rc "an insertion inside a [success=N] jump is refused" 1 sh "$TOOL" --edit "$d"
check "... saying why" grep -q "inside a \[...=N\] jump" "$T/err"
check "... and nothing was changed" diff -r "$d.before" "$d"

d=$T/notprofile
mkdir -p "$d"; cp "$DATA/sssd/system-auth" "$d/"
expect_rc "a directory without password-auth is refused" 1 sh "$TOOL" --edit "$d"
check "... naming the missing file" grep -q "$d/password-auth: missing" "$T/err"
expect_rc "an unknown option is a usage error" 2 sh "$TOOL" --frobnicate
