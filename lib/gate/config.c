/* /etc/cws/cws.conf and module arguments go through one setter,
 * cws_config_set(), in the manner of pam_faillock's set_conf_opt: every
 * value is bounds-checked, a bad one is refused with a message naming the
 * place, key and value, and the previous value is kept. */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cws/cleanup.h"
#include "cws/config.h"
#include "cws/nss_groups.h"
#include "cws/safe_file.h"
#include "config_value.h"

typedef struct key_spec {
        const char *section;
        const char *key;
        value_kind kind;
        size_t offset;          /* of the field in cws_config */
        uint32_t min, max;      /* for V_DURATION, V_COUNT and V_GID_BASE */
        /* V_DURATION and V_COUNT only: what a value must be. Every other
         * type says it once for all its keys (config_value.c). */
        const char *range;
} key_spec;

#define KEY(section, key, kind, field) \
        { section, key, kind, offsetof(cws_config, field), 0, 0, NULL }
#define RANGED(section, key, kind, field, min, max, range) \
        { section, key, kind, offsetof(cws_config, field), min, max, range }

static const key_spec keys[] = {
        KEY("registry", "url", V_URL, registry_url),
        KEY("registry", "trusted_keys", V_PATH, trusted_keys),
        RANGED("registry", "timeout", V_DURATION, registry_timeout, 1, 300,
               "a duration from 1s to 300s, e.g. 5s"),
        KEY("registry", "endpoint", V_ENDPOINT, s3_endpoint),
        KEY("registry", "region", V_REGION, s3_region),
        KEY("registry", "credentials_file", V_PATH, s3_credentials_file),
        KEY("registry", "ca_file", V_PATH, s3_ca_file),
        KEY("registry", "pinned_keys", V_PINS, s3_pinned_keys),
        KEY("registry", "require_object_lock", V_BOOL, require_object_lock),
        KEY("agent", "socket", V_PATH, socket_path),
        KEY("agent", "state_dir", V_PATH, state_dir),
        RANGED("agent", "monitor_interval", V_DURATION, monitor_interval, 5, DAY,
               "a duration from 5s to 1d, e.g. 30s"),
        KEY("agent", "terminate_on_revoke", V_BOOL, terminate_on_revoke),
        RANGED("agent", "workers", V_COUNT, workers, 2, 32,
               "a whole number of registry worker threads from 2 to 32"),
        RANGED("agent", "queue_max", V_COUNT, queue_max, 1, 4096,
               "a whole number of queued registry jobs from 1 to 4096"),
        KEY("policy", "fail_mode", V_FAIL_MODE, fail_mode),
        RANGED("policy", "offline_grace", V_DURATION, offline_grace, 0, 30 * DAY,
               "a duration from 0 to 30d, e.g. 1d"),
        RANGED("policy", "max_cache_age", V_DURATION, max_cache_age, 0, DAY,
               "a duration from 0 to 1d, e.g. 5m"),
        KEY("policy", "gate", V_GATE, gate_group),
        KEY("policy", "audit_required", V_BOOL, audit_required),
        KEY("policy", "default_type", V_MIN_TYPE, default_min_type),
        KEY("monitor", "alert_threshold", V_RISK, alert_threshold),
        KEY("monitor", "correlation_enabled", V_BOOL, correlation_enabled),
        RANGED("monitor", "analysis_interval", V_DURATION, analysis_interval, MINUTE, DAY,
               "a duration from 1m to 1d, e.g. 5m"),
        RANGED("monitor", "health_check_interval", V_DURATION, health_check_interval,
               5, DAY, "a duration from 5s to 1d, e.g. 15m"),
        RANGED("monitor", "full_sweep_interval", V_DURATION, full_sweep_interval, 5, 7 * DAY,
               "a duration from 5s to 7d, e.g. 1h"),
        RANGED("monitor", "log_retention_days", V_COUNT, log_retention_days, 1, 3650,
               "a whole number of days from 1 to 3650"),
        RANGED("nss", "gid_base", V_GID_BASE, nss_gid_base, 100, INT32_MAX - 2, NULL),
        RANGED("monitor", "failed_login_threshold", V_COUNT, failed_login_threshold, 2, 10000,
               "a whole number from 2 to 10000"),
        KEY("monitor", "active_hours", V_HOURS, active_hours),
        KEY("alerts", "url", V_HTTPS_URL, alerts_url),
        KEY("alerts", "secret_file", V_PATH, alerts_secret_file),
        KEY("alerts", "ca_file", V_PATH, alerts_ca_file),
        KEY("alerts", "pinned_keys", V_PINS, alerts_pinned_keys),
        RANGED("alerts", "queue_max", V_COUNT, alerts_queue_max, 1, 100000,
               "a whole number from 1 to 100000"),
};
_Static_assert(CWS_ELEMENTSOF(keys) <= CWS_CONFIG_KEYS_MAX, "raise CWS_CONFIG_KEYS_MAX");

void cws_config_defaults(cws_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        snprintf(cfg->registry_url, sizeof(cfg->registry_url), "%s", CWS_DEFAULT_REGISTRY);
        snprintf(cfg->trusted_keys, sizeof(cfg->trusted_keys), "%s", CWS_DEFAULT_TRUSTED_KEYS);
        cfg->registry_timeout = 5;
        /* Only s3: looks at it: a file: registry is never refused for it. */
        cfg->require_object_lock = true;
        snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", CWS_DEFAULT_SOCKET);
        snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", CWS_DEFAULT_STATE_DIR);
        cfg->monitor_interval = 30;
        cfg->full_sweep_interval = 3600;
        cfg->workers = 4;
        cfg->queue_max = 64;
        cfg->fail_mode = CWS_FAIL_CLOSED;
        cfg->offline_grace = DAY;
        cfg->max_cache_age = 0;
        cfg->gate_group[0] = '\0';
        cfg->audit_required = false;
        cfg->default_min_type = CWS_TYPE_READ_ONLY;
        cfg->alert_threshold = CWS_RISK_MEDIUM;
        cfg->correlation_enabled = true;
        cfg->analysis_interval = 5 * MINUTE;
        cfg->health_check_interval = 15 * MINUTE;
        cfg->log_retention_days = 90;
        cfg->failed_login_threshold = 5;
        cfg->active_hours.set = false;
        cfg->alerts_queue_max = 1000;
        cfg->n_services = 0;
        cfg->nss_gid_base = CWS_NSS_DEFAULT_GID_BASE;
}

/* PAM service names: what a file name in /etc/pam.d can safely be. */
static bool is_service_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= CWS_NAME_MAX)
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}


/* Copies an untrusted string for a message: printable ASCII as is, the rest
 * as \xNN, cut short with "..." so one bad line cannot fill the message. */
static const char *printable(const char *s, char *buf, size_t bufsz)
{
        size_t n = 0;

        for (; *s && n + 8 < bufsz; s++) {
                unsigned char c = (unsigned char)*s;
                if (c >= 0x20 && c < 0x7f)
                        buf[n++] = (char)c;
                else
                        n += (size_t)snprintf(buf + n, bufsz - n, "\\x%02x", c);
        }
        if (*s) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
        return buf;
}

static bool has_hash_comment(const char *s)
{
        for (const char *p = strchr(s, '#'); p; p = strchr(p + 1, '#'))
                if (p > s && (p[-1] == ' ' || p[-1] == '\t'))
                        return true;
        return false;
}

size_t cws_config_key_count(void)
{
        return CWS_ELEMENTSOF(keys);
}

int cws_config_key_at(size_t i, const char **section, const char **key)
{
        if (i >= CWS_ELEMENTSOF(keys))
                return -ENOENT;
        *section = keys[i].section;
        *key = keys[i].key;
        return 0;
}

int cws_config_format(const cws_config *cfg, size_t i, char *buf, size_t n)
{
        if (i >= CWS_ELEMENTSOF(keys) || n == 0)
                return -ENOENT;
        cws_config_value_format(keys[i].kind, (const char *)cfg + keys[i].offset, buf, n);
        return 0;
}

static int set_service(cws_config *cfg, const char *service, const char *value, const char *where,
                       const char *vbuf, cws_error *err)
{
        char sbuf[96];
        cws_inv_type t;
        unsigned i;

        if (!is_service_name(service))
                return cws_error_set(err, -EINVAL,
                                     "%s: [services] %s: invalid PAM service name (expected 1 to "
                                     "63 characters from A-Z a-z 0-9 . _ -)",
                                     where, printable(service, sbuf, sizeof(sbuf)));
        if (cws_config_value_parse(V_MIN_TYPE, 0, 0, value, &t) < 0)
                return cws_error_set(err, -EINVAL,
                                     "%s: [services] %s: invalid value '%s' (expected %s)", where,
                                     service, vbuf, cws_config_value_expect(V_MIN_TYPE));
        for (i = 0; i < cfg->n_services; i++)
                if (!strcmp(cfg->services[i].service, service))
                        break;
        if (i == CWS_MAX_SERVICES)
                return cws_error_set(err, -EINVAL,
                                     "%s: [services] %s: too many services (at most %d; remove "
                                     "some or rely on [policy] default_type)",
                                     where, service, CWS_MAX_SERVICES);
        /* Checked shorter than CWS_NAME_MAX, the field size. */
        memcpy(cfg->services[i].service, service, strlen(service) + 1);
        cfg->services[i].min_type = t;
        if (i == cfg->n_services)
                cfg->n_services++;
        return 0;
}

static const char *expectation(const key_spec *k)
{
        const char *e = cws_config_value_expect(k->kind);

        return e ? e : k->range;
}

static void known_keys(const char *section, char *buf, size_t bufsz)
{
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < CWS_ELEMENTSOF(keys) && n < bufsz; i++)
                if (!strcmp(keys[i].section, section)) {
                        int k = snprintf(buf + n, bufsz - n, "%s%s", n ? ", " : "", keys[i].key);
                        if (k < 0)
                                return;
                        n += (size_t)k;
                }
}

int cws_config_set(cws_config *cfg, const char *section, const char *key, const char *value,
                   const char *where, cws_error *err)
{
        char sbuf[96], kbuf[96], vbuf[96], list[256];
        bool section_known = false;

        if (!where)
                where = "configuration";
        if (!cfg || !key || !value)
                return cws_error_set(err, -EINVAL, "%s: missing key or value", where);
        printable(key, kbuf, sizeof(kbuf));
        printable(value, vbuf, sizeof(vbuf));
        if (!section || !section[0])
                return cws_error_set(err, -EINVAL,
                                     "%s: %s: key outside any section (put it under [registry], "
                                     "[agent], [policy], [monitor], [alerts], [services] or [nss])",
                                     where, kbuf);
        printable(section, sbuf, sizeof(sbuf));
        if (has_hash_comment(value))
                return cws_error_set(err, -EINVAL,
                                     "%s: [%s] %s: invalid value '%s' (a comment after a value "
                                     "starts with ';', not '#')", where, sbuf, kbuf, vbuf);
        if (!strcmp(section, "services"))
                return set_service(cfg, key, value, where, vbuf, err);

        for (size_t i = 0; i < CWS_ELEMENTSOF(keys); i++) {
                if (strcmp(keys[i].section, section) != 0)
                        continue;
                section_known = true;
                if (strcmp(keys[i].key, key) != 0)
                        continue;
                if (cws_config_value_parse(keys[i].kind, keys[i].min, keys[i].max, value,
                                           (char *)cfg + keys[i].offset) < 0)
                        return cws_error_set(err, -EINVAL,
                                             "%s: [%s] %s: invalid value '%s' (expected %s)",
                                             where, sbuf, kbuf, vbuf, expectation(&keys[i]));
                return 0;
        }
        if (!section_known)
                return cws_error_set(err, -EINVAL,
                                     "%s: [%s] %s: unknown section (expected [registry], [agent], "
                                     "[policy], [monitor], [alerts], [services] or [nss])", where,
                                     sbuf, kbuf);
        known_keys(section, list, sizeof(list));
        return cws_error_set(err, -EINVAL, "%s: [%s] %s: unknown key (known in [%s]: %s)", where,
                             sbuf, kbuf, sbuf, list);
}

typedef struct load_ctx {
        cws_config *cfg;
        const char *path;
        FILE *f;
        unsigned line;          /* of the line last handed to inih */
        unsigned err_line;      /* of the first error we recorded */
        cws_config_origins *origins;    /* NULL: not recorded */
        int r;                  /* that error, 0 while there is none */
        cws_error *err;
} load_ctx;

/* Our own line reader for ini_parse_stream: the library's fgets would cut
 * a line longer than its buffer and parse the rest as a line of its own
 * (a long comment could then set a key), and would stop at a NUL without a
 * word. Both are errors here. It also keeps the line number, so the
 * handler can name the line. */
static char *read_line(char *str, int num, void *stream)
{
        load_ctx *ctx = stream;
        size_t n = 0, max = num > 0 ? (size_t)num - 1 : 0;
        int c;

        if (ctx->r < 0)
                return NULL;    /* stop at the first error */
        while ((c = getc(ctx->f)) != '\n') {
                if (c == EOF) {
                        if (ferror(ctx->f)) {
                                ctx->err_line = ctx->line + 1;
                                ctx->r = cws_error_set(ctx->err, -EIO, "%s:%u: cannot read: %s",
                                                       ctx->path, ctx->err_line, strerror(EIO));
                                return NULL;
                        }
                        if (n == 0)
                                return NULL;
                        break;
                }
                if (c == '\0') {
                        ctx->err_line = ctx->line + 1;
                        ctx->r = cws_error_set(ctx->err, -EINVAL, "%s:%u: line contains a NUL "
                                               "byte", ctx->path, ctx->err_line);
                        return NULL;
                }
                if (n >= max) {
                        ctx->err_line = ctx->line + 1;
                        ctx->r = cws_error_set(ctx->err, -EINVAL, "%s:%u: line longer than %zu "
                                               "characters", ctx->path, ctx->err_line, max);
                        return NULL;
                }
                str[n++] = (char)c;
        }
        str[n] = '\0';
        ctx->line++;
        return str;
}

/* After a successful set: the key's index, or the service's slot. */
static void note_origin(cws_config_origins *o, const cws_config *cfg, const char *section,
                        const char *name, unsigned line)
{
        if (!strcmp(section, "services")) {
                for (unsigned i = 0; i < cfg->n_services && i < CWS_MAX_SERVICES; i++)
                        if (!strcmp(cfg->services[i].service, name))
                                o->service_line[i] = line;
                return;
        }
        for (size_t i = 0; i < CWS_ELEMENTSOF(keys); i++)
                if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, name))
                        o->key_line[i] = line;
}

static int handle_entry(void *user, const char *section, const char *name, const char *value)
{
        load_ctx *ctx = user;
        char where[PATH_MAX + 16];

        if (ctx->r < 0)
                return 0;
        snprintf(where, sizeof(where), "%s:%u", ctx->path, ctx->line);
        ctx->r = cws_config_set(ctx->cfg, section, name, value, where, ctx->err);
        if (ctx->r < 0) {
                ctx->err_line = ctx->line;
                return 0;
        }
        if (ctx->origins)
                note_origin(ctx->origins, ctx->cfg, section, name, ctx->line);
        return 1;
}

int cws_config_load(cws_config *cfg, const char *path, cws_error *err)
{
        return cws_config_load_origins(cfg, path, NULL, err);
}

int cws_config_load_origins(cws_config *cfg, const char *path, cws_config_origins *o,
                            cws_error *err)
{
        return cws_config_load_stat(cfg, path, o, NULL, err);
}

int cws_config_load_stat(cws_config *cfg, const char *path, cws_config_origins *o, struct stat *st,
                         cws_error *err)
{
        _cleanup_free_ cws_config *tmp = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_(fclosep) FILE *f = NULL;
        load_ctx ctx;
        int rc;

        if (!cfg || !path)
                return cws_error_set(err, -EINVAL, "no configuration file given");
        /* On any error the caller gets the defaults, never half a file: the
         * fail mode must not come from a file that failed to load. */
        cws_config_defaults(cfg);

        fd = cws_file_open_checked(path, CWS_FILE_PARENTS, err);
        if (fd == -ENOENT)
                return cws_error_set(err, -ENOENT, "%s: configuration file not found", path);
        if (fd < 0)
                return fd;
        if (st && fstat(fd, st) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
        f = fdopen(fd, "r");
        if (!f)
                return cws_error_set(err, -errno, "%s: cannot read: %s", path, strerror(errno));
        TAKE_FD(fd);

        tmp = malloc(sizeof(*tmp));
        if (!tmp)
                return cws_error_set(err, -ENOMEM, "%s: out of memory", path);
        cws_config_defaults(tmp);

        if (o)
                memset(o, 0, sizeof(*o));
        ctx = (load_ctx){ .cfg = tmp, .path = path, .f = f, .err = err, .origins = o };
        rc = ini_parse_stream(read_line, &ctx, handle_entry, &ctx);
        if (rc == -2)
                return cws_error_set(err, -ENOMEM, "%s: out of memory", path);
        /* inih keeps going after a syntax error and returns the first error's
         * line; report whichever came first, it or ours. */
        if (rc > 0 && (ctx.r == 0 || (unsigned)rc < ctx.err_line))
                return cws_error_set(err, -EINVAL,
                                     "%s:%d: syntax error (expected [section], key = value or a "
                                     "comment starting with # or ;)", path, rc);
        if (ctx.r < 0)
                return ctx.r;
        if (rc != 0)
                return cws_error_set(err, -EINVAL, "%s: cannot parse (error %d)", path, rc);

        *cfg = *tmp;
        return 0;
}

cws_inv_type cws_config_min_type_for_service(const cws_config *cfg, const char *service)
{
        if (service)
                for (unsigned i = 0; i < cfg->n_services && i < CWS_MAX_SERVICES; i++)
                        if (!strcmp(cfg->services[i].service, service))
                                return cfg->services[i].min_type;
        return cfg->default_min_type;
}
