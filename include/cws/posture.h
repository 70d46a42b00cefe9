/* The host's security posture: the checks cws-status runs, their weights
 * (the one table, also in cws-status(8)), and the score 0-100 in the
 * hardening guide's bands. Checks fill in results; this file only scores. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

typedef enum cws_check_id {
        CWS_CHK_CONFIG = 0,     /* cws.conf loads; owner/mode/symlink rules */
        CWS_CHK_TRUSTED_KEYS,   /* at least one administrator key pinned */
        CWS_CHK_STATE,          /* host key and state directory safe */
        CWS_CHK_AGENT,          /* cwsd answers; its socket is root/cws owned */
        CWS_CHK_REGISTRY,       /* the registry answers */
        CWS_CHK_TLS,            /* the TLS pin matches; days to certificate expiry */
        CWS_CHK_CLOCK,          /* the kernel says the clock is synchronised */
        CWS_CHK_AUDIT,          /* audit enabled and auditd running */
        CWS_CHK_RETENTION,      /* auditd and journald keep log_retention_days */
        CWS_CHK_PAM,            /* the configured services' stacks run pam_cws */
        CWS_CHK_MONITOR,        /* the last monitor sweep is younger than 2 intervals */
        CWS_CHK_SETUID,         /* no file of the project is setuid/setgid */
        CWS_CHK_SANDBOX,        /* the cwsd unit's sandbox, where systemd runs it */
        CWS_CHK_POLICY,         /* fail_mode, audit_required, correlation, alert_threshold */
        CWS_CHK_ALERTS,         /* alerts leave the host ([alerts] url) */
        CWS_CHK_KEYCHAIN,       /* the administrators' keychain: backend, level (weight 0) */
        _CWS_CHK_MAX,
} cws_check_id;

typedef enum cws_check_status {
        CWS_CHECK_OK = 0,       /* full weight */
        CWS_CHECK_WARN,         /* half the weight (rounded down) */
        CWS_CHECK_FAIL,         /* nothing */
        CWS_CHECK_UNKNOWN,      /* could not be checked (e.g. not root): nothing */
        CWS_CHECK_NA,           /* does not apply here: out of the total */
} cws_check_status;

typedef struct cws_check_spec {
        const char *name;       /* stable, for --json */
        const char *title;      /* for people */
        unsigned weight;
} cws_check_spec;

#define CWS_CHECK_TEXT_MAX 512

typedef struct cws_check_result {
        cws_check_status status;
        char evidence[CWS_CHECK_TEXT_MAX];      /* what was seen */
        char fix[CWS_CHECK_TEXT_MAX];           /* what to do ("" when ok) */
} cws_check_result;

typedef struct cws_posture {
        cws_check_result r[_CWS_CHK_MAX];
} cws_posture;

/* The weights sum to 100. */
const cws_check_spec *cws_check_spec_of(cws_check_id id);
const char *cws_check_status_to_string(cws_check_status s);

/* Sets a result (printf-style evidence; fix may be NULL). */
void cws_check_set(cws_posture *p, cws_check_id id, cws_check_status s, const char *fix,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Points a check earns and could earn (0 and 0 for NA). */
unsigned cws_check_points(cws_check_status s, unsigned weight);

/* 100 * earned / possible, rounded down; possible leaves NA checks out.
 * 0 when nothing applies. */
unsigned cws_posture_score(const cws_posture *p);

/* "Basic" < 50, "Standard" 50-74, "Hardened" 75-89, "Enterprise" >= 90. */
const char *cws_posture_band(unsigned score);

/* 0 Basic, 1 Standard, 2 Hardened, 3 Enterprise. */
unsigned cws_posture_band_rank(unsigned score);

/* What got worse from one run of the checks to the next (cwsd's timer). */
typedef struct cws_posture_change {
        unsigned score_before, score_now;
        bool band_dropped;                      /* a band lower than before */
        size_t n_failed;                        /* checks failing now that did not */
        cws_check_id failed[_CWS_CHK_MAX];      /* those, in table order */
} cws_posture_change;

/* Fills out; true when there is something to tell: the band dropped or a
 * check newly fails. A check that stays failing, or gets better, is no
 * change. */
bool cws_posture_compare(const cws_posture *before, const cws_posture *now,
                         cws_posture_change *out);

/* The checks that lost points, most points lost first (ties in table
 * order); returns how many ids were written to out (at most _CWS_CHK_MAX). */
size_t cws_posture_losses(const cws_posture *p, cws_check_id out[_CWS_CHK_MAX]);
