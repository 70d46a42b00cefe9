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
        const char *cws_invite;         /* for the keychain check; NULL: none here */
} cws_health_opts;

/* The paths of the project's files for the setuid check: next to the
 * running program, and where the packages put them. */
typedef struct cws_health_files {
        char here[7][4200];
        const char *v[7 + 10 + 1];
} cws_health_files;
const char *const *cws_health_project_files(cws_health_files *f);
/* cws-invite next to the running program, else the packaged one; NULL
 * when neither is there. After cws_health_project_files(f). */
const char *cws_health_cws_invite(const cws_health_files *f);

/* Runs every check. cfg receives the configuration the checks used (the
 * defaults when it did not load). */
void cws_health_run(const cws_health_opts *o, cws_config *cfg, cws_posture *p);

/* The checks that read only local files and settings (health.c; which
 * ones: cwsd(8)), for cwsd's timer: they never wait on another process.
 * The configuration file is loaded again to check it; cfg (the one in
 * force) is what the others judge. The rest are CWS_CHECK_NA. */
void cws_health_local(const cws_health_opts *o, const cws_config *cfg, cws_posture *p);

/* Single checks, for the tests and for cwsd's timer. */
void cws_health_config(const cws_health_opts *o, cws_config *cfg, cws_posture *p);
void cws_health_policy(const cws_config *cfg, cws_posture *p);
void cws_health_monitor(const cws_config *cfg, int64_t now, cws_posture *p);
void cws_health_pam(const cws_config *cfg, const char *pam_dir, cws_posture *p);

/* health_system.c: the checks that ask another party (cwsd, the
 * registry, TLS, the kernel's audit, systemd): cws-status only. */
void cws_health_agent(const cws_health_opts *o, const cws_config *cfg, cws_posture *p);
void cws_health_registry(const cws_health_opts *o, const cws_config *cfg, cws_posture *p);
void cws_health_tls(const cws_health_opts *o, const cws_config *cfg, cws_posture *p);
void cws_health_audit(cws_posture *p);
void cws_health_sandbox(cws_posture *p);
/* Asks o->cws_invite (--json keychain, the caller's environment) where
 * this user's administrator key is: ok in the Secret Service, warn in the
 * encrypted file, n/a with no key or no cws-invite. Never fail: weight 0. */
void cws_health_keychain(const cws_health_opts *o, cws_posture *p);

/* -EACCES, or -EPERM when not root: a check says "run as root". */
bool cws_health_denied(int r);
#define CWS_HEALTH_RUN_AS_ROOT "run cws-status as root to check it"

/* Days from now to a certificate's notAfter ("Mar  3 12:00:00 2025 GMT",
 * as curl's certinfo gives it); -EINVAL when it does not parse. */
int cws_cert_days_left(const char *expire, int64_t now, int64_t *days);
