#!/bin/bash
# The gate's boundary in the build (docs/design.md §2): what pam_cws.so,
# pam_cws_offline.so and libnss_cws.so.2 are made of — lib/gate/, pam/,
# nss/ — is compiled with include/gate/ alone, so a file there that includes
# a header of the rest of lib/ or of helpers/ does not compile, and the
# modules link with --no-undefined and none of json-c, curl, libsystemd or
# libsecret, so a call into one of them does not link. The compile and link
# lines are the Makefile's own (make -n), run on probe files in $T.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# make_line OBJECT SOURCE: the Makefile's command that makes OBJECT.
make_line() { make_n "$T/n/$1" | grep -F -- " $2" | tail -1; }
# make_n TARGET: make -n's commands for TARGET, continuation lines joined.
make_n() { make -n -B -C "$top" B="$T/n" "$1" 2>/dev/null | sed -e :a -e '/\\$/N; s/\\\n//; ta'; }
fails() { ! "$@"; }

gate_cc=$(make_line lib/gate/error.o "-c lib/gate/error.c")
rest_cc=$(make_line lib/notice.o "-c lib/notice.c")
check "the Makefile compiles lib/gate/ with include/gate/ only" \
        bash -c '[[ "$1" == *" -Iinclude/gate "* && "$1" != *" -Iinclude "* && "$1" != *helpers/common* ]]' _ "$gate_cc"
check "... and the rest of lib/ with every include path" \
        bash -c '[[ "$1" == *" -Iinclude/gate "* && "$1" == *" -Iinclude "* ]]' _ "$rest_cc"

# probe NAME INCLUDE...: compiles a file of lib/gate/ that includes INCLUDE
# with the gate's command line; 0 when it compiles.
probe() {
        local name=$1 line; shift
        mkdir -p "$T/probe"
        { for h in "$@"; do printf '#include "%s"\n' "$h"; done
          printf 'int cws_probe_%s(void);\nint cws_probe_%s(void) { return 0; }\n' "$name" "$name"; } >"$T/probe/$name.c"
        line=${gate_cc/ -c lib\/gate\/error.c / -c $T/probe/$name.c }
        line=${line/ -o $T\/n\/lib\/gate\/error.o/ -o $T/probe/$name.o}
        (cd "$top" && eval "$line") >"$T/probe/$name.out" 2>&1
}
check "control: a gate file including gate headers compiles" \
        probe control cws/cache.h cws/config.h cws/evidence.h cws/protocol.h
for h in cws/registry.h cws/record.h cws/binding.h cws/json_reader.h cws/decide.h cli.h keychain.h; do
        check "a gate file including $h does not compile" fails probe "x_${h//[^a-z]/_}" "$h"
        grep -q "No such file" "$T/probe/x_${h//[^a-z]/_}.out" || nok "... and the compiler says why: $(head -2 "$T/probe/x_${h//[^a-z]/_}.out")"
done
alone=0
for h in "$top"/include/gate/cws/*.h; do
        probe "self_$(basename "$h" .h)" "cws/$(basename "$h")" && continue
        alone=1
        nok "include/gate/cws/$(basename "$h") compiles on its own with the gate's include path: $(head -3 "$T/probe/self_$(basename "$h" .h).out")"
done
[ "$alone" = 0 ] && ok "every header of include/gate/ compiles on its own with the gate's include path"

# The module's link line, on the real objects, with a probe that calls
# json-c: it must not link.
mod_line=$(make_n "$T/n/pam_cws.so" | grep -F -- "-o $T/n/pam_cws.so")
check "pam_cws.so links with --no-undefined and without json-c, curl, libsystemd, libsecret or libcrypto" \
        bash -c '[[ "$1" == *--no-undefined* && "$1" != *-ljson-c* && "$1" != *-lcurl* && "$1" != *-lsystemd* && "$1" != *-lsecret* && "$1" != *-lcrypto* ]]' _ "$mod_line"
cat >"$T/probe/uses_json.c" <<'EOF'
struct json_object;
struct json_object *json_tokener_parse(const char *s);
int cws_probe_json(void);
int cws_probe_json(void) { return json_tokener_parse("{}") != 0; }
EOF
line=${mod_line/-o $T\/n\/pam_cws.so/-o $T/probe/pam_cws.so}
line=${line/pam\/pam_cws.c/pam\/pam_cws.c $T/probe/uses_json.c}
line=${line//$T\/n\//$top\/build\/}
# The probe links to $T/probe only: a line that would still write the
# build's own pam_cws.so (a failed link removes its output) is not run.
if [[ "$line" != *"-o $T/probe/pam_cws.so"* || "$line" == *"$top/build/pam_cws.so"* ]]; then
        nok "the probe's link line writes to $T/probe (make -n gave: $mod_line)"
elif [ -f "$top/build/libcwsgate.a" ]; then
        check "a module that calls json-c does not link" bash -c '! (cd "$1" && eval "$2") >"$3" 2>&1' _ "$top" "$line" "$T/probe/link.out"
        check "... the linker names the symbol" grep -q "json_tokener_parse" "$T/probe/link.out"
else
        nok "build/libcwsgate.a is built (make all)"
fi
