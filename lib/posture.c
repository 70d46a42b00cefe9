/* Scoring the host's posture: one weight table, one rule. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cws/cleanup.h"
#include "cws/posture.h"

/* The weight table: cws-status(8) prints the same. Sum: 100. */
static const cws_check_spec specs[_CWS_CHK_MAX] = {
        [CWS_CHK_CONFIG] = { "config", "configuration loads, files safe", 10 },
        [CWS_CHK_TRUSTED_KEYS] = { "trusted_keys", "administrator key pinned", 8 },
        [CWS_CHK_STATE] = { "state", "host key and state directory safe", 8 },
        [CWS_CHK_AGENT] = { "agent", "cwsd running and answering", 10 },
        [CWS_CHK_REGISTRY] = { "registry", "registry answers", 8 },
        [CWS_CHK_TLS] = { "tls", "registry TLS pin and certificate", 8 },
        [CWS_CHK_CLOCK] = { "clock", "clock synchronised", 4 },
        [CWS_CHK_AUDIT] = { "audit", "Linux audit enabled, auditd running", 10 },
        [CWS_CHK_RETENTION] = { "retention", "audit and journal retention", 4 },
        [CWS_CHK_PAM] = { "pam", "PAM stacks run pam_cws", 10 },
        [CWS_CHK_MONITOR] = { "monitor", "revocation monitor sweeping", 6 },
        [CWS_CHK_SETUID] = { "setuid", "no setuid/setgid files", 4 },
        [CWS_CHK_SANDBOX] = { "sandbox", "cwsd unit sandbox", 2 },
        [CWS_CHK_POLICY] = { "policy", "fail-closed policy and alerting settings", 6 },
        [CWS_CHK_ALERTS] = { "alerts", "alerts delivered off the host", 2 },
        /* A person's keychain, not the host's: shown, never scored. */
        [CWS_CHK_KEYCHAIN] = { "keychain", "administrators' keychain backend and level", 0 },
};

const cws_check_spec *cws_check_spec_of(cws_check_id id)
{
        return (unsigned)id < _CWS_CHK_MAX ? &specs[id] : NULL;
}

const char *cws_check_status_to_string(cws_check_status s)
{
        switch (s) {
        case CWS_CHECK_OK: return "ok";
        case CWS_CHECK_WARN: return "warn";
        case CWS_CHECK_FAIL: return "fail";
        case CWS_CHECK_UNKNOWN: return "unknown";
        case CWS_CHECK_NA: return "n/a";
        }
        return "unknown";
}

void cws_check_set(cws_posture *p, cws_check_id id, cws_check_status s, const char *fix,
                   const char *fmt, ...)
{
        va_list ap;

        if ((unsigned)id >= _CWS_CHK_MAX)
                return;
        p->r[id].status = s;
        va_start(ap, fmt);
        vsnprintf(p->r[id].evidence, sizeof(p->r[id].evidence), fmt, ap);
        va_end(ap);
        /* Lists built with "a; b; " end clean. */
        size_t n = strlen(p->r[id].evidence);
        while (n && (p->r[id].evidence[n - 1] == ' ' || p->r[id].evidence[n - 1] == ';'))
                p->r[id].evidence[--n] = '\0';
        snprintf(p->r[id].fix, sizeof(p->r[id].fix), "%s", fix ? fix : "");
}

unsigned cws_check_points(cws_check_status s, unsigned weight)
{
        switch (s) {
        case CWS_CHECK_OK: return weight;
        case CWS_CHECK_WARN: return weight / 2;
        default: return 0;
        }
}

unsigned cws_posture_score(const cws_posture *p)
{
        unsigned earned = 0, possible = 0;

        for (unsigned i = 0; i < _CWS_CHK_MAX; i++) {
                if (p->r[i].status == CWS_CHECK_NA)
                        continue;
                possible += specs[i].weight;
                earned += cws_check_points(p->r[i].status, specs[i].weight);
        }
        return possible ? earned * 100u / possible : 0;
}

const char *cws_posture_band(unsigned score)
{
        static const char *const names[] = { "Basic", "Standard", "Hardened", "Enterprise" };

        return names[cws_posture_band_rank(score)];
}

unsigned cws_posture_band_rank(unsigned score)
{
        return score >= 90 ? 3 : score >= 75 ? 2 : score >= 50 ? 1 : 0;
}

bool cws_posture_compare(const cws_posture *before, const cws_posture *now,
                         cws_posture_change *out)
{
        memset(out, 0, sizeof(*out));
        out->score_before = cws_posture_score(before);
        out->score_now = cws_posture_score(now);
        out->band_dropped = cws_posture_band_rank(out->score_now) <
                            cws_posture_band_rank(out->score_before);
        for (unsigned i = 0; i < _CWS_CHK_MAX; i++)
                if (now->r[i].status == CWS_CHECK_FAIL && before->r[i].status != CWS_CHECK_FAIL)
                        out->failed[out->n_failed++] = (cws_check_id)i;
        return out->band_dropped || out->n_failed;
}

static unsigned lost(const cws_posture *p, unsigned i)
{
        if (p->r[i].status == CWS_CHECK_NA)
                return 0;
        return specs[i].weight - cws_check_points(p->r[i].status, specs[i].weight);
}

size_t cws_posture_losses(const cws_posture *p, cws_check_id out[_CWS_CHK_MAX])
{
        size_t n = 0;

        for (unsigned i = 0; i < _CWS_CHK_MAX; i++) {
                size_t j;
                if (!lost(p, i))
                        continue;
                /* Insertion keeps table order among equal losses. */
                for (j = n; j > 0 && lost(p, (unsigned)out[j - 1]) < lost(p, i); j--)
                        out[j] = out[j - 1];
                out[j] = (cws_check_id)i;
                n++;
        }
        return n;
}
