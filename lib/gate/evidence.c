/* Audit and journal records for every decision, enrollment, revocation and
 * violation. Kept free of JSON and the network: pam_cws.so links it. */
#include <arpa/inet.h>
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/evidence.h"
#include "cws/hex.h"
#include "cws/journal.h"

static const char *op_name(cws_event_kind k)
{
        switch (k) {
        case CWS_EV_ALLOW:
        case CWS_EV_DENY: return "pam_cws-validate";
        case CWS_EV_ENROLL: return "pam_cws-enroll";
        case CWS_EV_REVOKE: return "pam_cws-revoke";
        case CWS_EV_VIOLATION: return "pam_cws-violation";
        case CWS_EV_REVOCATION_SEEN: return "pam_cws-monitor";
        case CWS_EV_ALERT: return "pam_cws-alert";
        case CWS_EV_ALERT_DROPPED: return "pam_cws-alert-dropped";
        }
        return "pam_cws-unknown";
}

static const char *message_id(cws_event_kind k)
{
        switch (k) {
        case CWS_EV_ALLOW: return CWS_MID_ALLOW;
        case CWS_EV_DENY: return CWS_MID_DENY;
        case CWS_EV_ENROLL: return CWS_MID_ENROLL;
        case CWS_EV_REVOKE: return CWS_MID_REVOKE;
        case CWS_EV_VIOLATION: return CWS_MID_VIOLATION;
        case CWS_EV_REVOCATION_SEEN: return CWS_MID_REVOCATION_SEEN;
        case CWS_EV_ALERT: return CWS_MID_ALERT;
        case CWS_EV_ALERT_DROPPED: return CWS_MID_ALERT_DROPPED;
        }
        return CWS_MID_DENY;
}

static bool location_reason(cws_reason r)
{
        return r == CWS_R_NOT_ENROLLED || r == CWS_R_TAMPER_DETECTED ||
               r == CWS_R_PROFILE_COPY_DETECTED || r == CWS_R_SYSTEM_ID_MISMATCH ||
               r == CWS_R_USER_MISMATCH;
}

int cws_evidence_audit_type(const cws_event *ev)
{
        switch (ev->kind) {
        case CWS_EV_ALLOW:
                return AUDIT_USER_ACCT;
        case CWS_EV_DENY:
                if (location_reason(ev->reason))
                        return AUDIT_ANOM_LOGIN_LOCATION;
                if (ev->reason == CWS_R_INTERNAL_ERROR || ev->reason == CWS_R_REGISTRY_UNAVAILABLE)
                        return AUDIT_USER_ERR;
                return AUDIT_USER_ACCT;
        case CWS_EV_ENROLL:
        case CWS_EV_REVOKE:
                return AUDIT_USER_MGMT;
        case CWS_EV_VIOLATION:
                return AUDIT_ANOM_LOGIN_LOCATION;
        case CWS_EV_REVOCATION_SEEN:
                return AUDIT_USER_ACCT;
        case CWS_EV_ALERT:
                /* The anomaly types security tools already watch. */
                if (ev->alert && !strcmp(ev->alert, "multiple_failed_logins"))
                        return AUDIT_ANOM_LOGIN_FAILURES;
                if (ev->alert && !strcmp(ev->alert, "unusual_hours"))
                        return AUDIT_ANOM_LOGIN_TIME;
                if (ev->alert && !strcmp(ev->alert, "tamper_detected"))
                        return AUDIT_ANOM_LOGIN_LOCATION;
                return AUDIT_USER_ERR;
        case CWS_EV_ALERT_DROPPED:
                return AUDIT_USER_ERR;
        }
        return AUDIT_USER_ERR;
}

const char *cws_evidence_plain(const char *s)
{
        size_t n;

        if (!s || !*s)
                return NULL;
        n = strnlen(s, 256);
        if (n > 255)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == ':' || c == '_' || c == '/' || c == '@' || c == '-'))
                        return NULL;
        }
        return s;
}

#define UNTRUSTED_MAX 128

bool cws_evidence_encode(const char *value, char *out, size_t n)
{
        size_t len = value ? strnlen(value, UNTRUSTED_MAX) : 0;
        bool encode = false;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)value[i];
                if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\')
                        encode = true;
        }
        if (n == 0)
                return encode;
        if (!encode) {
                snprintf(out, n, "%.*s", (int)len, value ? value : "");
                return false;
        }
        cws_hex_encode(value, len, out, n, true);
        return true;
}

static int append_field(char *buf, size_t bufsz, size_t *used, const char *name, const char *value)
{
        /* audit_encode_nv_string quotes a clean value and hex-encodes one
         * with spaces, quotes or control characters, so a hostile user name
         * can never forge another field; a long one is cut first. */
        char cut[UNTRUSTED_MAX + 1];
        char *enc;
        int n;

        snprintf(cut, sizeof(cut), "%s", value && *value ? value : "?");
        enc = audit_encode_nv_string(name, cut, 0);

        if (!enc)
                return -ENOMEM;
        n = snprintf(buf + *used, bufsz - *used, " %s", enc);
        free(enc);
        if (n < 0 || (size_t)n >= bufsz - *used)
                return -E2BIG;
        *used += (size_t)n;
        return 0;
}

static int write_audit(const cws_event *ev)
{
        char msg[2048];
        size_t used;
        const char *host = cws_evidence_plain(ev->rhost), *tty = cws_evidence_plain(ev->tty);
        const char *addr = "?";
        unsigned char tmp[16];
        bool failed = ev->kind == CWS_EV_DENY || ev->kind == CWS_EV_VIOLATION ||
                      ev->kind == CWS_EV_REVOCATION_SEEN || ev->kind == CWS_EV_ALERT ||
                      ev->kind == CWS_EV_ALERT_DROPPED || ev->failed;
        int fd, r, e;

        if (host && (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1))
                addr = host;
        fd = audit_open();
        if (fd < 0) {
                e = errno;
                /* A kernel without audit is not an error: skip quietly. */
                if (e == EPROTONOSUPPORT || e == EINVAL || e == EAFNOSUPPORT)
                        return 0;
                return -e;
        }
        used = (size_t)snprintf(msg, sizeof(msg), "op=%s", op_name(ev->kind));
        if (append_field(msg, sizeof(msg), &used, "acct", ev->user) < 0 ||
            append_field(msg, sizeof(msg), &used, "profile", ev->profile) < 0 ||
            append_field(msg, sizeof(msg), &used, "inv", ev->invitation) < 0 ||
            append_field(msg, sizeof(msg), &used, "device", ev->device) < 0 ||
            append_field(msg, sizeof(msg), &used, "service", ev->service) < 0 ||
            append_field(msg, sizeof(msg), &used, "reason", cws_reason_to_string(ev->reason)) < 0 ||
            (ev->violation && append_field(msg, sizeof(msg), &used, "violation", ev->violation) < 0) ||
            (ev->risk && append_field(msg, sizeof(msg), &used, "risk", ev->risk) < 0) ||
            (ev->alert && append_field(msg, sizeof(msg), &used, "alert", ev->alert) < 0) ||
            (ev->count && append_field(msg, sizeof(msg), &used, "count", ev->count) < 0) ||
            (ev->detail && append_field(msg, sizeof(msg), &used, "detail", ev->detail) < 0)) {
                audit_close(fd);
                return -E2BIG;
        }
        r = audit_log_user_message(fd, cws_evidence_audit_type(ev), msg, host ? host : "?", addr,
                                   tty ? tty : "?", failed ? 0 : 1);
        e = errno;
        audit_close(fd);
        if (r <= 0)
                return -(e ? e : EIO);
        return 0;
}

static const char *decision_word(const cws_event *ev)
{
        switch (ev->kind) {
        case CWS_EV_ALLOW: return "allow";
        case CWS_EV_DENY: return "deny";
        case CWS_EV_VIOLATION: return "violation";
        case CWS_EV_REVOCATION_SEEN: return "revoked";
        case CWS_EV_ALERT: return "alert";
        case CWS_EV_ALERT_DROPPED: return "dropped";
        default: return ev->failed ? "failed" : "done";
        }
}

static int write_journal(const cws_event *ev)
{
        char user[2 * UNTRUSTED_MAX + 1];
        bool user_hex = cws_evidence_encode(ev->user && *ev->user ? ev->user : "?", user, sizeof(user));
        const char *svc = ev->service && *ev->service ? ev->service : "-";
        const char *reason = cws_reason_to_string(ev->reason);
        int prio;
        char message[512], rhost[2 * UNTRUSTED_MAX + 1];

        cws_evidence_encode(ev->rhost, rhost, sizeof(rhost));

        switch (ev->kind) {
        case CWS_EV_ALLOW: prio = LOG_INFO; break;
        case CWS_EV_DENY: prio = LOG_NOTICE; break;
        case CWS_EV_VIOLATION: prio = LOG_WARNING; break;
        case CWS_EV_REVOCATION_SEEN: prio = LOG_NOTICE; break;
        case CWS_EV_ALERT_DROPPED: prio = LOG_ERR; break;
        case CWS_EV_ALERT:
                prio = ev->risk && !strcmp(ev->risk, "CRITICAL") ? LOG_CRIT
                     : ev->risk && !strcmp(ev->risk, "HIGH") ? LOG_ERR : LOG_WARNING;
                break;
        default: prio = ev->failed ? LOG_NOTICE : LOG_INFO; break;
        }
        /* MESSAGE carries the reason, not the user name: the name may be
         * hostile and lives only in its own field. */
        if (ev->kind == CWS_EV_ALERT)
                snprintf(message, sizeof(message), "pam_cws: %s alert %s (%s events in the window): %s%s%s",
                         ev->risk ? ev->risk : "?", ev->alert ? ev->alert : "?",
                         ev->count ? ev->count : "1", reason,
                         ev->detail && *ev->detail ? " " : "", ev->detail ? ev->detail : "");
        else if (ev->kind == CWS_EV_ALERT_DROPPED)
                snprintf(message, sizeof(message),
                         "pam_cws: the webhook's alert queue is full: the oldest alert dropped "
                         "(%s dropped since cwsd started)", ev->count ? ev->count : "1");
        else
                snprintf(message, sizeof(message), "pam_cws: %s %s for service %s: %s",
                         op_name(ev->kind) + strlen("pam_cws-"), decision_word(ev),
                         cws_evidence_plain(svc) ? svc : "?", reason);
        char prio_s[4];
        snprintf(prio_s, sizeof(prio_s), "%d", prio);
        const cws_journal_field f[] = {
                { "MESSAGE", message },
                { "MESSAGE_ID", message_id(ev->kind) },
                { "PRIORITY", prio_s },
                { "SYSLOG_IDENTIFIER", ev->program ? ev->program : "pam_cws" },
                { "CWS_EVENT", op_name(ev->kind) },
                { "CWS_USER", user },
                { "CWS_USER_ENCODING", user_hex ? "hex" : "plain" },
                { "CWS_PROFILE", ev->profile },
                { "CWS_INVITATION", ev->invitation },
                { "CWS_DEVICE", ev->device },
                { "CWS_SERVICE", ev->service },
                { "CWS_DECISION", decision_word(ev) },
                { "CWS_REASON", reason },
                { "CWS_RHOST", rhost },
                { "CWS_VIOLATION", ev->violation },
                { "CWS_RISK", ev->risk },
                { "CWS_ALERT", ev->alert },
                { "CWS_COUNT", ev->count },
                { "CWS_DETAIL", ev->detail },
        };
        return cws_journal_send(f, CWS_ELEMENTSOF(f));
}

void cws_evidence_emit(const cws_event *ev, bool with_audit, cws_evidence_result *res)
{
        cws_evidence_result r = { 0, 0 };

        if (with_audit)
                r.audit = write_audit(ev);
        r.journal = write_journal(ev);
        if (res)
                *res = r;
}
