# A real auditd and a real journald for one test run (sourced; also used by
# make demo). Call from inside a private mount namespace:
#   evidence_start DIR   auditd with its own config and log under DIR, and
#                        journald over a private /run (tmpfs)
#   evidence_stop        stops both and puts the audit enable flag back
# Sets AUDIT_LOG and (message_ids.sh) the MESSAGE_IDs, MID_ALLOW ...
. "$(dirname "${BASH_SOURCE[0]}")/message_ids.sh"
EV_AUDITD= EV_JOURNALD= EV_ENABLED=

evidence_start() {
        local d=$1/audit pid
        [ -r /proc/self/mountinfo ] && [ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
                { echo "# evidence_start: not in a private mount namespace" >&2; return 1; }
        EV_ENABLED=$(auditctl -s 2>/dev/null | sed -n 's/^enabled \([0-9]*\)/\1/p')
        pid=$(auditctl -s 2>/dev/null | sed -n 's/^pid \([0-9]*\)/\1/p')
        [ -n "$EV_ENABLED" ] || { echo "# evidence_start: no kernel audit here" >&2; return 1; }
        [ "${pid:-0}" -eq 0 ] || { echo "# evidence_start: an audit daemon (pid $pid) already runs" >&2; return 1; }

        mount -t tmpfs -o mode=755 cws-run /run || return 1
        mkdir -p /run/systemd/journal /run/log/journal
        /lib/systemd/systemd-journald 2>/dev/null & EV_JOURNALD=$!
        for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
        [ -S /run/systemd/journal/socket ] || { echo "# journald did not start" >&2; return 1; }

        mkdir -p "$d/plugins.d"
        AUDIT_LOG=$d/audit.log
        cat >"$d/auditd.conf" <<CONF
local_events = yes
write_logs = yes
log_file = $AUDIT_LOG
log_group = root
log_format = RAW
flush = SYNC
max_log_file = 8
max_log_file_action = IGNORE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
plugin_dir = $d/plugins.d
CONF
        chmod 600 "$d/auditd.conf"
        auditd -n -c "$d" 2>"$d/auditd.err" & EV_AUDITD=$!
        for _ in $(seq 100); do
                [ "$(auditctl -s 2>/dev/null | sed -n 's/^pid \([0-9]*\)/\1/p')" = "$EV_AUDITD" ] && [ -e "$AUDIT_LOG" ] && return 0
                sleep 0.05
        done
        echo "# auditd did not start:" >&2; sed 's/^/#   /' "$d/auditd.err" >&2
        return 1
}

evidence_stop() {
        if [ -n "$EV_AUDITD" ]; then
                kill "$EV_AUDITD" 2>/dev/null; wait "$EV_AUDITD" 2>/dev/null; EV_AUDITD=
        fi
        [ -n "$EV_ENABLED" ] && auditctl -e "$EV_ENABLED" >/dev/null 2>&1
        if [ -n "$EV_JOURNALD" ]; then
                kill "$EV_JOURNALD" 2>/dev/null; wait "$EV_JOURNALD" 2>/dev/null; EV_JOURNALD=
        fi
}
