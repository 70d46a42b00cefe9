/* The checks of cws-status health, each filling one cws_posture result
 * with its evidence and what to do. Every path a check reads can be given,
 * so tests (and administrators of unusual layouts) point them elsewhere. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/config.h"
#include "cws/posture.h"

typedef struct cws_health_opts {
        const char *config_path;        /* NULL: the default, which may be absent */
        const char *pam_dir;            /* /etc/pam.d */
        const char *auditd_conf;        /* /etc/audit/auditd.conf */
        const char *journald_conf;      /* /etc/systemd/journald.conf */
        const char *const *project_files;       /* for the setuid check, NULL-terminated */
        int64_t now;                    /* UTC seconds */
        int timeout_ms;                 /* for cwsd, the registry and TLS */
} cws_health_opts;

/* Runs every check. cfg receives the configuration the checks used (the
 * defaults when it did not load). */
void cws_health_run(const cws_health_opts *o, cws_config *cfg, cws_posture *p);

/* Single checks, for the tests and for cwsd's timer. */
void cws_health_config(const cws_health_opts *o, cws_config *cfg, cws_posture *p);
void cws_health_policy(const cws_config *cfg, cws_posture *p);
void cws_health_monitor(const cws_config *cfg, int64_t now, cws_posture *p);
void cws_health_pam(const cws_config *cfg, const char *pam_dir, cws_posture *p);

/* Days from now to a certificate's notAfter ("Mar  3 12:00:00 2025 GMT",
 * as curl's certinfo gives it); -EINVAL when it does not parse. */
int cws_cert_days_left(const char *expire, int64_t now, int64_t *days);
