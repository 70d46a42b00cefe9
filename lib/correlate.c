/* Counting refusals in fixed memory and turning patterns into alerts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/correlate.h"
#include "cws/evidence.h"

cws_correlator *cws_correlator_new(const cws_config *cfg, cws_alert_sink sink, void *userdata)
{
        cws_correlator *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->enabled = cfg->correlation_enabled;
        c->threshold = cfg->alert_threshold;
        c->window = cfg->analysis_interval ? cfg->analysis_interval : 300;
        c->failed_threshold = cfg->failed_login_threshold ? cfg->failed_login_threshold : 5;
        c->hours = cfg->active_hours;
        c->sink = sink ? sink : cws_alert_emit;
        c->sink_data = userdata;
        return c;
}

void cws_correlator_free(cws_correlator *c)
{
        free(c);
}

/* FNV-1a: not for secrecy, only to spread keys over the table. */
static uint32_t hash(const char *s)
{
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static bool expired(const cws_correlator *c, const cws_corr_entry *e, int64_t now)
{
        return now - e->start >= (int64_t)c->window || now < e->start;
}

/* The entry for key, its window restarted when it ran out. */
static cws_corr_entry *lookup(cws_correlator *c, const char *key, int64_t now)
{
        uint32_t h = hash(key);
        cws_corr_entry *victim = NULL, *e;

        for (unsigned i = 0; i < CWS_CORR_PROBE; i++) {
                e = &c->e[(h + i) % CWS_CORR_SLOTS];
                if (!strcmp(e->key, key))
                        goto found;
                if (!e->key[0] && !victim)
                        victim = e;
        }
        if (!victim) {
                /* Full run: an expired entry, else the lowest count, the
                 * one seen longest ago among those: names invented once
                 * each push out one another before a user who keeps trying. */
                for (unsigned i = 0; i < CWS_CORR_PROBE; i++) {
                        e = &c->e[(h + i) % CWS_CORR_SLOTS];
                        if (expired(c, e, now)) {
                                victim = e;
                                break;
                        }
                        if (!victim || e->count < victim->count ||
                            (e->count == victim->count && e->last < victim->last))
                                victim = e;
                }
                c->evictions++;
        }
        e = victim;
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->start = now;
found:
        if (expired(c, e, now)) {
                e->count = 0;
                e->alerted = false;
                e->start = now;
        }
        e->last = now;
        return e;
}

static void host_counter(cws_correlator *c, cws_corr_entry *e, int64_t now)
{
        if (!e->key[0] || expired(c, e, now)) {
                e->key[0] = 'h';
                e->count = 0;
                e->alerted = false;
                e->start = now;
        }
        e->last = now;
}

static void raise_detailed(cws_correlator *c, const char *pattern, cws_risk risk,
                           const char *user, const char *device, const char *service,
                           cws_reason reason, const cws_corr_entry *e, int64_t now,
                           const char *detail)
{
        if (risk < c->threshold)
                return;
        cws_alert a = { .pattern = pattern, .risk = risk, .user = user, .device = device,
                        .service = service, .reason = reason, .count = e ? e->count : 1,
                        .window_start = e ? e->start : now, .at = now, .detail = detail };
        c->alerts++;
        c->sink(&a, c->sink_data);
}

static void raise_alert(cws_correlator *c, const char *pattern, cws_risk risk, const char *user,
                        const char *device, const char *service, cws_reason reason,
                        const cws_corr_entry *e, int64_t now)
{
        raise_detailed(c, pattern, risk, user, device, service, reason, e, now, NULL);
}

/* Counts one event under key; true once, when the threshold is reached. */
static bool count(cws_corr_entry *e, uint32_t threshold)
{
        if (e->count < UINT32_MAX)
                e->count++;
        if (e->alerted || e->count < threshold)
                return false;
        e->alerted = true;
        return true;
}

static bool counted_reason(cws_reason r)
{
        /* Refusals a person could cause by trying; not malformed requests
         * or outages (those have their own pattern). */
        return r != CWS_R_OK && r != CWS_R_BAD_REQUEST && r != CWS_R_RATE_LIMITED &&
               r != CWS_R_REGISTRY_UNAVAILABLE && r != CWS_R_INTERNAL_ERROR;
}

void cws_correlate_decision_at(cws_correlator *c, const char *user, const char *device,
                               const char *service, bool allow, cws_reason reason, int64_t now,
                               unsigned local_hour)
{
        char key[CWS_CORR_KEY_MAX];

        if (!c || !c->enabled)
                return;
        if (reason == CWS_R_TAMPER_DETECTED || reason == CWS_R_PROFILE_COPY_DETECTED) {
                raise_alert(c, "tamper_detected", CWS_RISK_CRITICAL, user, device, service, reason,
                            NULL, now);
                return;
        }
        if (reason == CWS_R_REGISTRY_UNAVAILABLE) {
                host_counter(c, &c->registry, now);
                if (count(&c->registry, 1))
                        raise_alert(c, "registry_unavailable", CWS_RISK_MEDIUM, user, device,
                                    service, reason, &c->registry, now);
                /* An outage that still allowed (offline grace) is not a refusal. */
        }
        if (allow) {
                if (!cws_hours_contain(&c->hours, local_hour)) {
                        snprintf(key, sizeof(key), "h:%s", user ? user : "?");
                        cws_corr_entry *e = lookup(c, key, now);
                        if (count(e, 1))
                                raise_alert(c, "unusual_hours", CWS_RISK_MEDIUM, user, device,
                                            service, reason, e, now);
                }
                return;
        }
        if (!counted_reason(reason))
                return;
        host_counter(c, &c->host, now);
        if (count(&c->host, 10 * c->failed_threshold))
                raise_alert(c, "refusal_flood", CWS_RISK_HIGH, NULL, NULL, service, reason,
                            &c->host, now);
        snprintf(key, sizeof(key), "u:%s", user ? user : "?");
        cws_corr_entry *u = lookup(c, key, now);
        if (count(u, c->failed_threshold))
                raise_alert(c, "multiple_failed_logins", CWS_RISK_HIGH, user, NULL, service,
                            reason, u, now);
        if (device && device[0]) {
                snprintf(key, sizeof(key), "d:%s", device);
                cws_corr_entry *d = lookup(c, key, now);
                if (count(d, c->failed_threshold))
                        raise_alert(c, "multiple_failed_logins", CWS_RISK_HIGH, user, device,
                                    service, reason, d, now);
        }
}

void cws_correlate_decision(cws_correlator *c, const char *user, const char *device,
                            const char *service, bool allow, cws_reason reason, int64_t now)
{
        struct tm tm;
        time_t t = (time_t)now;

        if (!localtime_r(&t, &tm))
                tm.tm_hour = 12;
        cws_correlate_decision_at(c, user, device, service, allow, reason, now, (unsigned)tm.tm_hour);
}

bool cws_keychain_failure_kind_valid(const char *kind)
{
        static const char *const kinds[] = { "locked", "no_answer", "unavailable", "missing_key",
                                             "bad_item", "unsafe_file", "bad_passphrase",
                                             "service_error" };

        for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (!strcmp(kind, kinds[i]))
                        return true;
        return false;
}

void cws_correlate_keychain_failure(cws_correlator *c, const char *user, const char *kind,
                                    int64_t now)
{
        char key[CWS_CORR_KEY_MAX];

        if (!c || !c->enabled)
                return;
        snprintf(key, sizeof(key), "k:%s", user ? user : "?");
        cws_corr_entry *e = lookup(c, key, now);
        if (count(e, 1))
                raise_detailed(c, "keychain_failure", CWS_RISK_HIGH, user, NULL, NULL,
                               CWS_R_INTERNAL_ERROR, e, now, kind);
}

void cws_correlate_posture(cws_correlator *c, const cws_posture_change *ch, int64_t now)
{
        char detail[512];
        size_t n = 0;

        if (!c || (!ch->band_dropped && !ch->n_failed))
                return;
        for (size_t i = 0; i < ch->n_failed && n < sizeof(detail); i++)
                n += (size_t)snprintf(detail + n, sizeof(detail) - n, "%s%s", i ? "," : "",
                                      cws_check_spec_of(ch->failed[i])->name);
        if (n < sizeof(detail))
                snprintf(detail + n, sizeof(detail) - n, "%sscore=%u->%u;band=%s->%s",
                         n ? ";" : "", ch->score_before, ch->score_now,
                         cws_posture_band(ch->score_before), cws_posture_band(ch->score_now));
        if (ch->band_dropped)
                raise_detailed(c, "posture_band_drop", CWS_RISK_HIGH, NULL, NULL, NULL,
                               CWS_R_OK, NULL, now, detail);
        else
                raise_detailed(c, "health_check_failed", CWS_RISK_MEDIUM, NULL, NULL, NULL,
                               CWS_R_OK, NULL, now, detail);
}

void cws_alert_emit(const cws_alert *a, void *userdata)
{
        char n[16];

        (void)userdata;
        snprintf(n, sizeof(n), "%u", a->count);
        cws_event ev = { .kind = CWS_EV_ALERT, .program = "cwsd", .user = a->user,
                         .device = a->device, .service = a->service, .reason = a->reason,
                         .risk = cws_risk_to_string(a->risk), .alert = a->pattern, .count = n,
                         .detail = a->detail };
        cws_evidence_emit(&ev, true, NULL);
}
