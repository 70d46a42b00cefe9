/* cwsd's log lines and the evidence of what a decision found. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "cws/validate.h"
#include "cwsd.h"
#include "cws/fingerprint.h"

void log_line(int prio, const char *fmt, ...)
{
        char line[2048];
        va_list ap;
        int n, k;

        /* stderr goes to the journal under systemd; the <N> prefix keeps
         * the priority. One write per line, so lines from several threads
         * never mix. */
        n = snprintf(line, sizeof(line), "<%d>", prio);
        va_start(ap, fmt);
        k = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        va_end(ap);
        if (k < 0)
                return;
        n = (size_t)n + (size_t)k >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + k;
        line[n++] = '\n';
        (void)!write(STDERR_FILENO, line, (size_t)n);
}

void decide_log(void *userdata, int prio, const char *msg)
{
        (void)userdata;
        log_line(prio, "%s", msg);
}

void emit(agent *a, const cws_event *ev)
{
        cws_evidence_result res;

        cws_evidence_emit(ev, true, &res);
        if (res.audit < 0 && !a->audit_failure_reported) {
                a->audit_failure_reported = true;
                log_line(LOG_ERR, "cannot write audit records: %s (reported once)", strerror(-res.audit));
        }
}

/* A fingerprint that differs from the enrolled one at or above
 * alert_threshold is a violation on record, allowed (drift) or not. */
static void report_drift(agent *a, const char *user, const char *service, const cws_decision *d)
{
        char list[256];
        cws_risk risk = cws_violation_risk(d->violations);

        if (!d->violations || risk < a->cfg.alert_threshold)
                return;
        cws_violations_format(d->violations, list, sizeof(list));
        cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd", .user = user,
                         .profile = d->profile, .invitation = d->inv_id, .device = d->device_id,
                         .service = service, .reason = d->reason, .violation = list,
                         .risk = cws_risk_to_string(risk) };
        emit(a, &ev);
}

/* A revocation record deleted or written over in the registry storage: a
 * log line, and a CRITICAL violation on record (the decision itself still
 * refuses). */
void report_tampering(agent *a, const char *user, const char *service, const cws_decision *d,
                      const char *what)
{
        log_line(LOG_WARNING, "tampering: user=%s invitation=%s device=%s: %s (still refused)",
                 user, d->inv_id, d->device_id, what);
        cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd", .user = user,
                         .profile = d->profile, .invitation = d->inv_id, .device = d->device_id,
                         .service = service, .reason = CWS_R_RECORD_MISSING,
                         .violation = "record_missing", .risk = cws_risk_to_string(CWS_RISK_CRITICAL) };
        emit(a, &ev);
}

/* A binding that does not open is critical whatever alert_threshold says. */
static void report_broken(agent *a, const char *user, const char *service, const cws_decision *d)
{
        cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd", .user = user,
                         .invitation = d->inv_id, .service = service, .reason = d->reason,
                         .violation = cws_reason_to_string(d->reason),
                         .risk = cws_risk_to_string(CWS_RISK_CRITICAL) };
        emit(a, &ev);
}

static void report_revocation(agent *a, const char *user, const cws_decision *d)
{
        log_line(LOG_NOTICE, "monitor: user=%s invitation=%s device=%s reason=%s", user,
                 d->inv_id, d->device_id, cws_reason_to_string(d->reason));
        cws_event ev = { .kind = CWS_EV_REVOCATION_SEEN, .program = "cwsd", .user = user,
                         .profile = d->profile, .invitation = d->inv_id,
                         .device = d->device_id, .reason = d->reason };
        emit(a, &ev);
}

void report_findings(agent *a, const char *user, const char *service,
                     const cws_user_verdict *v, bool monitor)
{
        for (size_t i = 0; i < v->n_findings; i++) {
                const cws_finding *f = &v->findings[i];

                switch (f->kind) {
                case CWS_FIND_BINDING_BROKEN:
                        report_broken(a, user, service, &f->d);
                        break;
                case CWS_FIND_DRIFT:
                        report_drift(a, user, service, &f->d);
                        break;
                case CWS_FIND_TAMPERING:
                        report_tampering(a, user, service, &f->d, f->what);
                        break;
                case CWS_FIND_REVOCATION_NEW:
                        if (monitor)
                                report_revocation(a, user, &f->d);
                        break;
                }
        }
        if (v->findings_dropped)
                log_line(LOG_WARNING, "%u more findings for %s not put on record", v->findings_dropped,
                         user);
}
