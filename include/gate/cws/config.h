/* /etc/cws/cws.conf: one parser (cws_config_set) for the file and for
 * overrides such as PAM module arguments. Unknown keys and bad values are
 * errors naming the file, line and key. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "cws/error.h"
#include "cws/risk.h"
#include "cws/types.h"

#define CWS_DEFAULT_CONFIG "/etc/cws/cws.conf"
#define CWS_DEFAULT_REGISTRY "file:///var/lib/cws/registry"
#define CWS_DEFAULT_TRUSTED_KEYS "/etc/cws/trusted_keys"
#define CWS_DEFAULT_SOCKET "/run/cws/cwsd.sock"
#define CWS_DEFAULT_STATE_DIR "/var/lib/cws/state"
#define CWS_CONFIG_PATH_MAX 4096
#define CWS_MAX_SERVICES 32
#define CWS_NAME_MAX 64

typedef enum cws_fail_mode { CWS_FAIL_CLOSED = 0, CWS_FAIL_OPEN = 1 } cws_fail_mode;

typedef struct cws_service_rule {
        char service[CWS_NAME_MAX];
        cws_inv_type min_type;
} cws_service_rule;

/* Local hours [from, to) in which logins are usual; from > to wraps past
 * midnight (22-06). set false: every hour is usual. */
typedef struct cws_hours {
        bool set;
        uint8_t from, to;
} cws_hours;

typedef struct cws_config {
        /* [registry] */
        char registry_url[CWS_CONFIG_PATH_MAX];
        char trusted_keys[CWS_CONFIG_PATH_MAX];
        uint32_t registry_timeout;          /* seconds */
        /* [registry] for s3:// URLs ("" = unset) */
        char s3_endpoint[CWS_CONFIG_PATH_MAX];      /* https://HOST[:PORT]; "" = AWS */
        char s3_region[CWS_NAME_MAX];               /* "" = us-east-1 */
        char s3_credentials_file[CWS_CONFIG_PATH_MAX];
        char s3_ca_file[CWS_CONFIG_PATH_MAX];       /* "" = the system CA store */
        char s3_pinned_keys[CWS_CONFIG_PATH_MAX];   /* sha256//...;sha256//... */
        bool require_object_lock;           /* s3: refuse a bucket without object lock */
        /* [agent] */
        char socket_path[CWS_CONFIG_PATH_MAX];
        char state_dir[CWS_CONFIG_PATH_MAX];
        uint32_t monitor_interval;          /* seconds */
        bool terminate_on_revoke;           /* the monitor ends a revoked user's sessions */
        uint32_t workers;                   /* registry worker threads */
        uint32_t queue_max;                 /* registry jobs waiting for a worker */
        /* [policy] */
        cws_fail_mode fail_mode;
        uint32_t offline_grace;             /* seconds */
        uint32_t max_cache_age;             /* seconds; 0 = always ask */
        char gate_group[CWS_NAME_MAX];      /* empty = gate everyone */
        bool audit_required;
        cws_inv_type default_min_type;      /* for services not listed */
        /* [monitor]: the monitor's and the correlation's settings */
        cws_risk alert_threshold;           /* LOW..CRITICAL, default MEDIUM */
        bool correlation_enabled;
        uint32_t analysis_interval;         /* seconds */
        uint32_t health_check_interval;     /* seconds */
        uint32_t full_sweep_interval;       /* seconds: every binding re-validated (the
                                             * backstop of revocation notices) */
        uint32_t log_retention_days;
        uint32_t failed_login_threshold;    /* refusals of one user or device in a window */
        cws_hours active_hours;             /* logins outside are "unusual hours" */
        /* [alerts]: the webhook ("" url = none) */
        char alerts_url[CWS_CONFIG_PATH_MAX];
        char alerts_secret_file[CWS_CONFIG_PATH_MAX];
        char alerts_ca_file[CWS_CONFIG_PATH_MAX];
        char alerts_pinned_keys[CWS_CONFIG_PATH_MAX];
        uint32_t alerts_queue_max;          /* alerts kept while the receiver is down */
        /* [services] */
        cws_service_rule services[CWS_MAX_SERVICES];
        unsigned n_services;
        /* [nss]: libnss_cws.so.2's groups are gid_base + 0, 1, 2 */
        uint32_t nss_gid_base;
} cws_config;

/* Compiled-in defaults (fail closed). */
void cws_config_defaults(cws_config *cfg);

/* Sets one key. where (e.g. "cws.conf:12" or "module argument") prefixes
 * the error message. The previous value is kept on error. */
int cws_config_set(cws_config *cfg, const char *section, const char *key, const char *value,
                   const char *where, cws_error *err);

/* Loads defaults then the file, checked for owner/mode/symlink. A missing
 * file is -ENOENT (callers decide whether the default path may be absent). */
int cws_config_load(cws_config *cfg, const char *path, cws_error *err);

/* Where each value of a loaded file came from: the line that set it, 0
 * for the compiled-in default. Indexed like cws_config_key_at(). */
#define CWS_CONFIG_KEYS_MAX 64
typedef struct cws_config_origins {
        unsigned key_line[CWS_CONFIG_KEYS_MAX];
        unsigned service_line[CWS_MAX_SERVICES];
} cws_config_origins;

/* cws_config_load, also recording origins (o may be NULL). */
int cws_config_load_origins(cws_config *cfg, const char *path, cws_config_origins *o,
                            cws_error *err);

/* cws_config_load_origins, also giving the fstat of the file it read (st
 * may be NULL), so that a caller can tell later whether the file changed. */
int cws_config_load_stat(cws_config *cfg, const char *path, cws_config_origins *o, struct stat *st,
                         cws_error *err);

/* The table of keys, for listing the effective configuration: the number
 * of keys, each one's section and name, and its value in cfg written as
 * the file would hold it. */
size_t cws_config_key_count(void);
int cws_config_key_at(size_t i, const char **section, const char **key);
int cws_config_format(const cws_config *cfg, size_t i, char *buf, size_t n);

/* Whether hour (0-23, local) is in the configured active hours. */
bool cws_hours_contain(const cws_hours *h, unsigned hour);

/* "30", "30s", "5m", "2h", "1d" -> seconds. */
int cws_parse_duration(const char *s, uint32_t *out);

/* The minimum invitation type policy requires for a PAM service. */
cws_inv_type cws_config_min_type_for_service(const cws_config *cfg, const char *service);
