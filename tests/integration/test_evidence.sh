#!/bin/bash
# Evidence against a real auditd and a real journald: one audit record and
# one journal entry per decision, with the same fields and reason; hostile
# user names encoded; a copied or changed binding refused at login with the
# violation on record. auditd runs with its own config and log under the
# temp dir; journald runs in a private mount namespace over a private /run,
# so nothing lands in the host's journal. The audit enable flag is restored.
if [ -z "${CWS_EVIDENCE_NS:-}" ]; then
        exec env CWS_EVIDENCE_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/evidence_lib.sh"
admin_setup || { nok "admin setup"; exit 1; }

evidence_start "$T" || { nok "auditd and journald start"; exit 1; }
trap 'evidence_stop; cleanup' EXIT

PAMD=$T/pam.d; mkdir -p "$PAMD"
printf 'account required %s/pam_cws.so conf=%s\nsession required %s/pam_cws.so conf=%s\n' \
        "$B" "$CONF" "$B" "$CONF" >"$PAMD/login"
pam() { "$B/pam_run" "$PAMD" login "$@" 2>&1; }

# arecords OP REASON: the raw audit records with op=OP and reason=REASON.
# Audit is host-wide: only records from this run's pam_run count.
arecords() { ausearch -if "$AUDIT_LOG" --raw 2>/dev/null | grep -F "exe=\"$B/pam_run\"" | grep "op=$1 " | grep "reason=\"$2\""; }
# journal FIELD=VALUE...: the entries that match, as JSON lines.
journal() { journalctl --directory=/run/log/journal -o json --no-pager "$@" 2>/dev/null; }
count() { "$@" | grep -c .; }
has() { grep -q -- "$1" <<<"$2"; }       # has PATTERN TEXT
lacks() { ! grep -qF -- "$1" <<<"$2"; }  # lacks STRING TEXT
evidence_settle() { sleep 0.3; }   # auditd and journald write asynchronously

start_cwsd "$T" || exit 1
invite --json create lab >"$T/inv.json"; INV=$(json_field id <"$T/inv.json")
enroll "$(json_field token <"$T/inv.json")" >/dev/null
evidence_settle
check "enrollment: an audit record op=pam_cws-enroll (USER_MGMT)" \
        bash -c "ausearch -if '$AUDIT_LOG' -m USER_MGMT --raw | grep -q 'op=pam_cws-enroll .*inv=\"$INV\"'"
check "enrollment: a journal entry with the enrollment MESSAGE_ID" \
        bash -c "journalctl --directory=/run/log/journal -o json MESSAGE_ID=$MID_ENROLL CWS_INVITATION=$INV | grep -q ."

# Allowed: account and session, one record and one entry each.
out=$(pam root --rhost 127.0.0.1 --tty pts/7)
check "an enrolled user is allowed" grep -q "^acct=PAM_SUCCESS open=PAM_SUCCESS" <<<"$out"
evidence_settle
check "allow: exactly 2 audit records (account, session)" \
        test "$(count arecords pam_cws-validate ok)" -eq 2
check "allow: exactly 2 journal entries" test "$(count journal MESSAGE_ID="$MID_ALLOW")" -eq 2
r=$(arecords pam_cws-validate ok | head -1)
check "allow: USER_ACCT, res=success" grep -q "^type=USER_ACCT .*res=success" <<<"$r"
for f in 'acct="root"' 'profile="lab"' "inv=\"$INV\"" 'service="login"' 'hostname=127.0.0.1' \
        'addr=127.0.0.1' 'terminal=pts/7' 'device="dev-'; do
        check "allow: audit field $f" grep -qF "$f" <<<"$r"
done
j=$(journal MESSAGE_ID="$MID_ALLOW" | head -1)
for f in '"CWS_USER":"root"' '"CWS_PROFILE":"lab"' "\"CWS_INVITATION\":\"$INV\"" '"CWS_SERVICE":"login"' \
        '"CWS_DECISION":"allow"' '"CWS_REASON":"ok"' '"CWS_RHOST":"127.0.0.1"' '"PRIORITY":"6"' \
        '"SYSLOG_IDENTIFIER":"pam_cws"'; do
        check "allow: journal field $f" grep -qF "$f" <<<"$j"
done
DEV=$(sed -n 's/.*"CWS_DEVICE":"\([^"]*\)".*/\1/p' <<<"$j")
check "the audit record and the journal entry name the same device" grep -qF "device=\"$DEV\"" <<<"$r"

# cwsd down: the module decides from the cache in both phases (an offline
# account allow is not taken by the session) and writes its own evidence.
stop_cwsd "$T"
out=$(pam root --rhost 127.0.0.1 --tty pts/8)
check "cwsd down: allowed from the cache" grep -q "^acct=PAM_SUCCESS open=PAM_SUCCESS" <<<"$out"
evidence_settle
check "cwsd down: exactly 2 audit records more (4 allows in all)" \
        test "$(count arecords pam_cws-validate ok)" -eq 4
check "cwsd down: ... both of this login (terminal=pts/8)" \
        test "$(arecords pam_cws-validate ok | grep -c 'terminal=pts/8')" -eq 2
check "cwsd down: exactly 2 journal entries more" test "$(count journal MESSAGE_ID="$MID_ALLOW")" -eq 4
start_cwsd "$T" || exit 1

# Denied after revocation: one record and one entry with the same reason.
revoke --admin --keystore "$KS" --passphrase-file "$T/pass" "$INV" "$DEV" >/dev/null
evidence_settle
check "revocation: an audit record op=pam_cws-revoke" \
        bash -c "ausearch -if '$AUDIT_LOG' -m USER_MGMT --raw | grep -q 'op=pam_cws-revoke .*device=\"$DEV\"'"
check "revocation: a journal entry with the revocation MESSAGE_ID" \
        bash -c "journalctl --directory=/run/log/journal -o json MESSAGE_ID=$MID_REVOKE | grep -q '\"CWS_DEVICE\":\"$DEV\"'"
out=$(pam root --rhost 127.0.0.1)
check "a revoked device is denied" grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
evidence_settle
check "deny: exactly 1 audit record, reason device_revoked" \
        test "$(count arecords pam_cws-validate device_revoked)" -eq 1
check "... USER_ACCT with res=failed" grep -q '^type=USER_ACCT .*res=failed' \
        <<<"$(arecords pam_cws-validate device_revoked)"
check "deny: exactly 1 journal entry, CWS_REASON device_revoked" \
        test "$(count journal MESSAGE_ID="$MID_DENY" CWS_REASON=device_revoked)" -eq 1
check "... with CWS_DECISION deny" grep -q '"CWS_DECISION":"deny"' \
        <<<"$(journal MESSAGE_ID="$MID_DENY" CWS_REASON=device_revoked)"

# A hostile user name: encoded in both, never verbatim.
evil=$'ev il"\x1b[2J'
pam "$evil" >/dev/null
evidence_settle
hex=$(printf %s "$evil" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
r=$(ausearch -if "$AUDIT_LOG" --raw | grep -F "exe=\"$B/pam_run\"" | grep 'reason="bad_request"')
check "hostile name: one audit record, reason bad_request" test "$(grep -c . <<<"$r")" -eq 1
check "... the name is hex-encoded (acct=$hex)" grep -q "acct=$hex " <<<"$r"
check "... and never verbatim" lacks 'ev il' "$r"
j=$(journal MESSAGE_ID="$MID_DENY" CWS_REASON=bad_request)
check "hostile name: one journal entry" test "$(grep -c . <<<"$j")" -eq 1
check "... the same hex in CWS_USER" has "\"CWS_USER\":\"$hex\"" "$j"
check "... marked CWS_USER_ENCODING=hex" has '"CWS_USER_ENCODING":"hex"' "$j"
# (journald's own _CMDLINE shows pam_run's arguments; our fields must not.)
check "... and never verbatim in MESSAGE or any CWS_ field" python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(any("ev il" in str(v) for k, v in e.items() if k.startswith("CWS_") or k == "MESSAGE"))' "$j"

# Violations at login: a binding changed by one byte, a binding copied to
# another machine (a private mount namespace with another machine-id).
invite --json create lab2 >"$T/inv2.json"; INV2=$(json_field id <"$T/inv2.json")
sleep 1
enroll "$(json_field token <"$T/inv2.json")" >/dev/null
f=$(ls "$T"/state/bindings/*/"$INV2".bind)
cp "$f" "$T/bind.orig"
flip_at "$f" $(( $(head -1 "$f" | wc -c) + 20 ))
out=$(pam root)
check "a binding changed by one byte is refused at login" grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
evidence_settle
r=$(ausearch -if "$AUDIT_LOG" -m ANOM_LOGIN_LOCATION --raw | grep "op=pam_cws-violation .*inv=\"$INV2\"")
check "... the violation is on record: ANOM_LOGIN_LOCATION op=pam_cws-violation" test -n "$r"
check "... violation=tamper_detected risk=CRITICAL" \
        has 'reason="tamper_detected" violation="tamper_detected" risk="CRITICAL"' "$r"
check "... and in the journal with the violation MESSAGE_ID" \
        bash -c "journalctl --directory=/run/log/journal -o json MESSAGE_ID=$MID_VIOLATION CWS_INVITATION=$INV2 | grep -q '\"CWS_VIOLATION\":\"tamper_detected\"'"
cp "$T/bind.orig" "$f"

stop_cwsd "$T"
printf '%s\n' 0123456789abcdef0123456789abcdef >"$T/other-machine-id"
mount --bind "$T/other-machine-id" /etc/machine-id
start_cwsd "$T" || exit 1
out=$(pam root)
umount /etc/machine-id
check "a binding copied from another machine is refused at login" grep -q "^acct=PAM_PERM_DENIED" <<<"$out"
evidence_settle
r=$(ausearch -if "$AUDIT_LOG" -m ANOM_LOGIN_LOCATION --raw | grep "violation=\"profile_copy_detected\"")
check "... the violation is on record with its type profile_copy_detected, CRITICAL" \
        has "op=pam_cws-violation .*inv=\"$INV2\".*risk=\"CRITICAL\"" "$r"
check "... and in the journal" \
        bash -c "journalctl --directory=/run/log/journal -o json MESSAGE_ID=$MID_VIOLATION CWS_VIOLATION=profile_copy_detected | grep -q '\"CWS_RISK\":\"CRITICAL\"'"
check "... and the login's own decision names it (ANOM_LOGIN_LOCATION, res=failed)" \
        bash -c "ausearch -if '$AUDIT_LOG' -m ANOM_LOGIN_LOCATION --raw | grep 'op=pam_cws-validate' | grep -q 'reason=\"profile_copy_detected\".*res=failed'"

# Every decision went to both: the totals agree.
evidence_settle
na=$(ausearch -if "$AUDIT_LOG" --raw 2>/dev/null | grep -F "exe=\"$B/pam_run\"" | grep -c 'op=pam_cws-validate ')
nj=$(journal CWS_EVENT=pam_cws-validate | grep -c .)
check "as many validate audit records ($na) as journal entries ($nj)" test "$na" -eq "$nj" -a "$na" -gt 0
