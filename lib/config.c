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
#include <strings.h>
#include "cws/cleanup.h"
#include "cws/config.h"
#include "cws/nss_groups.h"
#include "cws/safe_file.h"

#define MINUTE 60u
#define HOUR (60u * MINUTE)
#define DAY (24u * HOUR)

typedef enum value_kind {
        V_URL,
        V_PATH,
        V_DURATION,
        V_COUNT,
        V_BOOL,
        V_FAIL_MODE,
        V_GATE,
        V_MIN_TYPE,
        V_RISK,
        V_ENDPOINT,
        V_REGION,
        V_PINS,
        V_GID_BASE,
        V_HTTPS_URL,
        V_HOURS,
} value_kind;

typedef struct key_spec {
        const char *section;
        const char *key;
        value_kind kind;
        size_t offset;          /* of the field in cws_config */
        uint32_t min, max;      /* for V_DURATION and V_COUNT */
        const char *expect;     /* for the error message */
} key_spec;

#define FIELD(f) offsetof(cws_config, f)

static const key_spec keys[] = {
        { "registry", "url", V_URL, FIELD(registry_url), 0, 0,
          "file:///PATH or s3://BUCKET[/PREFIX], without spaces or control "
          "characters, shorter than 4096 bytes" },
        { "registry", "trusted_keys", V_PATH, FIELD(trusted_keys), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "registry", "timeout", V_DURATION, FIELD(registry_timeout), 1, 300,
          "a duration from 1s to 300s, e.g. 5s" },
        { "registry", "endpoint", V_ENDPOINT, FIELD(s3_endpoint), 0, 0,
          "https://HOST[:PORT] (http:// only on loopback), without spaces or control characters" },
        { "registry", "region", V_REGION, FIELD(s3_region), 0, 0,
          "1 to 63 characters of a-z 0-9 -, e.g. us-east-1" },
        { "registry", "credentials_file", V_PATH, FIELD(s3_credentials_file), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "registry", "ca_file", V_PATH, FIELD(s3_ca_file), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "registry", "pinned_keys", V_PINS, FIELD(s3_pinned_keys), 0, 0,
          "sha256//BASE64 public-key pins separated by ';'" },
        { "registry", "require_object_lock", V_BOOL, FIELD(require_object_lock), 0, 0,
          "true, false, yes, no, 1 or 0" },
        { "agent", "socket", V_PATH, FIELD(socket_path), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "agent", "state_dir", V_PATH, FIELD(state_dir), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "agent", "monitor_interval", V_DURATION, FIELD(monitor_interval), 5, DAY,
          "a duration from 5s to 1d, e.g. 30s" },
        { "agent", "terminate_on_revoke", V_BOOL, FIELD(terminate_on_revoke), 0, 0,
          "true, false, yes, no, 1 or 0" },
        { "agent", "workers", V_COUNT, FIELD(workers), 2, 32,
          "a whole number of registry worker threads from 2 to 32" },
        { "agent", "queue_max", V_COUNT, FIELD(queue_max), 1, 4096,
          "a whole number of queued registry jobs from 1 to 4096" },
        { "policy", "fail_mode", V_FAIL_MODE, FIELD(fail_mode), 0, 0, "closed or open" },
        { "policy", "offline_grace", V_DURATION, FIELD(offline_grace), 0, 30 * DAY,
          "a duration from 0 to 30d, e.g. 1d" },
        { "policy", "max_cache_age", V_DURATION, FIELD(max_cache_age), 0, DAY,
          "a duration from 0 to 1d, e.g. 5m" },
        { "policy", "gate", V_GATE, FIELD(gate_group), 0, 0,
          "all or group:NAME, NAME of 1 to 63 characters from A-Z a-z 0-9 . _ - @, "
          "not starting with -" },
        { "policy", "audit_required", V_BOOL, FIELD(audit_required), 0, 0,
          "true, false, yes, no, 1 or 0" },
        { "policy", "default_type", V_MIN_TYPE, FIELD(default_min_type), 0, 0,
          "none, read_only, read_write or admin" },
        { "monitor", "alert_threshold", V_RISK, FIELD(alert_threshold), 0, 0,
          "LOW, MEDIUM, HIGH or CRITICAL" },
        { "monitor", "correlation_enabled", V_BOOL, FIELD(correlation_enabled), 0, 0,
          "true, false, yes, no, 1 or 0" },
        { "monitor", "analysis_interval", V_DURATION, FIELD(analysis_interval), MINUTE, DAY,
          "a duration from 1m to 1d, e.g. 5m" },
        { "monitor", "health_check_interval", V_DURATION, FIELD(health_check_interval),
          MINUTE, DAY, "a duration from 1m to 1d, e.g. 15m" },
        { "monitor", "full_sweep_interval", V_DURATION, FIELD(full_sweep_interval), 5, 7 * DAY,
          "a duration from 5s to 7d, e.g. 1h" },
        { "monitor", "log_retention_days", V_COUNT, FIELD(log_retention_days), 1, 3650,
          "a whole number of days from 1 to 3650" },
        { "nss", "gid_base", V_GID_BASE, FIELD(nss_gid_base), 100, INT32_MAX - 2,
          "a whole number from 100 to 2147483645 whose three gids BASE..BASE+2 avoid 65534 "
          "(nobody) and 65535 (16-bit -1), e.g. 110000" },
        { "monitor", "failed_login_threshold", V_COUNT, FIELD(failed_login_threshold), 2, 10000,
          "a whole number from 2 to 10000" },
        { "monitor", "active_hours", V_HOURS, FIELD(active_hours), 0, 0,
          "HH-HH in local time (00-24), e.g. 07-20 or 22-06, or all" },
        { "alerts", "url", V_HTTPS_URL, FIELD(alerts_url), 0, 0,
          "https://HOST[:PORT]/PATH (http:// only on loopback), without spaces or control "
          "characters" },
        { "alerts", "secret_file", V_PATH, FIELD(alerts_secret_file), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "alerts", "ca_file", V_PATH, FIELD(alerts_ca_file), 0, 0,
          "an absolute path without control characters, shorter than 4096 bytes" },
        { "alerts", "pinned_keys", V_PINS, FIELD(alerts_pinned_keys), 0, 0,
          "sha256//BASE64 public-key pins separated by ';'" },
        { "alerts", "queue_max", V_COUNT, FIELD(alerts_queue_max), 1, 100000,
          "a whole number from 1 to 100000" },
};
_Static_assert(CWS_ELEMENTSOF(keys) <= CWS_CONFIG_KEYS_MAX, "raise CWS_CONFIG_KEYS_MAX");

static const char service_expect[] = "none, read_only, read_write or admin";

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

/* Digits only: no sign, no space, no base prefix; -ERANGE past UINT32_MAX. */
static int parse_digits(const char **s, uint64_t *out)
{
        const char *p = *s;
        uint64_t v = 0;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (uint64_t)(*p - '0');
                if (v > UINT32_MAX)
                        return -ERANGE;
        }
        *s = p;
        *out = v;
        return 0;
}

int cws_parse_duration(const char *s, uint32_t *out)
{
        uint64_t v, unit = 1;
        int r;

        if (!s || !out)
                return -EINVAL;
        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        switch (*s) {
        case '\0': break;
        case 's': unit = 1; s++; break;
        case 'm': unit = MINUTE; s++; break;
        case 'h': unit = HOUR; s++; break;
        case 'd': unit = DAY; s++; break;
        default: return -EINVAL;
        }
        if (*s != '\0')
                return -EINVAL;
        /* v <= UINT32_MAX and unit <= 86400: the product fits in 64 bits. */
        v *= unit;
        if (v > UINT32_MAX)
                return -ERANGE;
        *out = (uint32_t)v;
        return 0;
}

static int parse_count(const char *s, uint32_t *out)
{
        uint64_t v;
        int r = parse_digits(&s, &v);

        if (r < 0)
                return r;
        if (*s != '\0')
                return -EINVAL;
        *out = (uint32_t)v;
        return 0;
}

static bool has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
                        return true;
        return false;
}

static bool is_path(const char *s)
{
        return s[0] == '/' && strlen(s) < CWS_CONFIG_PATH_MAX && !has_control(s);
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The backend checks the rest; here only the scheme and what could never
 * be part of a URL (a space is usually a '#' comment that inih kept). */
static bool is_url(const char *s)
{
        static const char *const schemes[] = { "file:///", "s3://" };

        if (strlen(s) >= CWS_CONFIG_PATH_MAX || has_control(s) || strpbrk(s, " \t"))
                return false;
        for (size_t i = 0; i < CWS_ELEMENTSOF(schemes); i++)
                if (starts_with(s, schemes[i]))
                        return s[strlen(schemes[i])] != '\0';
        return false;
}

/* http:// only to loopback: the webhook carries alerts off the host. */
static bool is_https_url(const char *s)
{
        if (strlen(s) >= CWS_CONFIG_PATH_MAX || has_control(s) || strpbrk(s, " \t"))
                return false;
        if (starts_with(s, "https://"))
                return s[8] != '\0' && s[8] != '/';
        return starts_with(s, "http://127.0.0.1") || starts_with(s, "http://localhost") ||
               starts_with(s, "http://[::1]");
}

static int parse_hour(const char *s, const char **end, uint8_t *out)
{
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
                return -EINVAL;
        unsigned h = (unsigned)(s[0] - '0') * 10u + (unsigned)(s[1] - '0');
        if (h > 24)
                return -EINVAL;
        *out = (uint8_t)h;
        *end = s + 2;
        return 0;
}

/* "07-20", "22-06", or "all". */
static int parse_hours(const char *s, cws_hours *out)
{
        cws_hours h = { .set = true };
        const char *p;

        if (!strcmp(s, "all")) {
                *out = (cws_hours){ .set = false };
                return 0;
        }
        if (parse_hour(s, &p, &h.from) < 0 || *p != '-' || parse_hour(p + 1, &p, &h.to) < 0 ||
            *p != '\0' || h.from == h.to || h.from == 24)
                return -EINVAL;
        *out = h;
        return 0;
}

bool cws_hours_contain(const cws_hours *h, unsigned hour)
{
        if (!h->set)
                return true;
        if (h->from < h->to)
                return hour >= h->from && hour < h->to;
        return hour >= h->from || hour < h->to;
}

/* The s3: backend checks endpoints fully; here, what a URL can never hold. */
static bool is_endpoint(const char *s)
{
        return (starts_with(s, "https://") || starts_with(s, "http://")) &&
               strlen(s) < CWS_CONFIG_PATH_MAX && !has_control(s) && !strpbrk(s, " \t");
}

static bool is_region(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n < CWS_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* "sha256//" + base64 of a SHA-256 (44 characters), ';'-separated. */
static bool is_pin_list(const char *s)
{
        if (strlen(s) >= CWS_CONFIG_PATH_MAX || !*s)
                return false;
        while (*s) {
                size_t n = strcspn(s, ";");
                if (n != 52 || !starts_with(s, "sha256//") || s[51] != '=' ||
                    strspn(s + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != 43)
                        return false;
                s += n;
                if (*s == ';' && *++s == '\0')
                        return false;
        }
        return true;
}

/* PAM service names: what a file name in /etc/pam.d can safely be. */
static bool is_service_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= CWS_NAME_MAX)
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Group names as shadow-utils and sssd make them ('@' for domain groups). */
static bool is_group_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= CWS_NAME_MAX || s[0] == '-')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@") == n;
}

static int parse_bool(const char *s, bool *out)
{
        if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
                *out = true;
        else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
                *out = false;
        else
                return -EINVAL;
        return 0;
}

/* "none" is a policy value only, so it is handled here and not by
 * cws_inv_type_from_string(), which parses records. */
static int parse_min_type(const char *s, cws_inv_type *out)
{
        if (!strcmp(s, "none")) {
                *out = CWS_TYPE_NONE;
                return 0;
        }
        return cws_inv_type_from_string(s, out);
}

/* The seed writes these upper case; accept any case. */
static int parse_risk(const char *s, cws_risk *out)
{
        static const struct { const char *name; cws_risk risk; } levels[] = {
                { "LOW", CWS_RISK_LOW },
                { "MEDIUM", CWS_RISK_MEDIUM },
                { "HIGH", CWS_RISK_HIGH },
                { "CRITICAL", CWS_RISK_CRITICAL },
        };

        for (size_t i = 0; i < CWS_ELEMENTSOF(levels); i++)
                if (!strcasecmp(s, levels[i].name)) {
                        *out = levels[i].risk;
                        return 0;
                }
        return -EINVAL;
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

/* Parses value for k and stores it only when valid. */
static int set_key(cws_config *cfg, const key_spec *k, const char *value)
{
        void *field = (char *)cfg + k->offset;
        uint32_t u;
        bool b;
        cws_inv_type t;
        cws_risk risk;
        int r;

        switch (k->kind) {
        case V_URL:
        case V_PATH:
        case V_ENDPOINT:
        case V_PINS:
        case V_HTTPS_URL:
                if ((k->kind == V_URL && !is_url(value)) || (k->kind == V_PATH && !is_path(value)) ||
                    (k->kind == V_HTTPS_URL && !is_https_url(value)) ||
                    (k->kind == V_ENDPOINT && !is_endpoint(value)) ||
                    (k->kind == V_PINS && !is_pin_list(value)))
                        return -EINVAL;
                /* Checked shorter than CWS_CONFIG_PATH_MAX, the field size. */
                memcpy(field, value, strlen(value) + 1);
                return 0;
        case V_REGION:
                if (!is_region(value))
                        return -EINVAL;
                memcpy(field, value, strlen(value) + 1);        /* shorter than CWS_NAME_MAX */
                return 0;
        case V_DURATION:
        case V_COUNT:
        case V_GID_BASE:
                r = k->kind == V_DURATION ? cws_parse_duration(value, &u) : parse_count(value, &u);
                if (r < 0 || u < k->min || u > k->max)
                        return -EINVAL;
                /* nobody and the 16-bit (gid_t)-1 are never ours to serve. */
                if (k->kind == V_GID_BASE && u <= 65535 && u + 2 >= 65534)
                        return -EINVAL;
                *(uint32_t *)field = u;
                return 0;
        case V_BOOL:
                if (parse_bool(value, &b) < 0)
                        return -EINVAL;
                *(bool *)field = b;
                return 0;
        case V_FAIL_MODE:
                if (!strcmp(value, "closed"))
                        *(cws_fail_mode *)field = CWS_FAIL_CLOSED;
                else if (!strcmp(value, "open"))
                        *(cws_fail_mode *)field = CWS_FAIL_OPEN;
                else
                        return -EINVAL;
                return 0;
        case V_GATE:
                if (!strcmp(value, "all")) {
                        cfg->gate_group[0] = '\0';
                        return 0;
                }
                if (!starts_with(value, "group:") || !is_group_name(value + 6))
                        return -EINVAL;
                snprintf(cfg->gate_group, sizeof(cfg->gate_group), "%s", value + 6);
                return 0;
        case V_MIN_TYPE:
                if (parse_min_type(value, &t) < 0)
                        return -EINVAL;
                *(cws_inv_type *)field = t;
                return 0;
        case V_RISK:
                if (parse_risk(value, &risk) < 0)
                        return -EINVAL;
                *(cws_risk *)field = risk;
                return 0;
        case V_HOURS:
                return parse_hours(value, (cws_hours *)field);
        }
        return -EINVAL;
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

static void format_duration(uint32_t v, char *buf, size_t n)
{
        if (v && v % DAY == 0)
                snprintf(buf, n, "%ud", v / DAY);
        else if (v && v % HOUR == 0)
                snprintf(buf, n, "%uh", v / HOUR);
        else if (v && v % MINUTE == 0)
                snprintf(buf, n, "%um", v / MINUTE);
        else
                snprintf(buf, n, "%us", v);
}

int cws_config_format(const cws_config *cfg, size_t i, char *buf, size_t n)
{
        const key_spec *k;
        const void *field;

        if (i >= CWS_ELEMENTSOF(keys) || n == 0)
                return -ENOENT;
        k = &keys[i];
        field = (const char *)cfg + k->offset;
        switch (k->kind) {
        case V_URL:
        case V_PATH:
        case V_ENDPOINT:
        case V_PINS:
        case V_HTTPS_URL:
        case V_REGION:
                snprintf(buf, n, "%s", (const char *)field);
                break;
        case V_DURATION:
                format_duration(*(const uint32_t *)field, buf, n);
                break;
        case V_COUNT:
        case V_GID_BASE:
                snprintf(buf, n, "%u", *(const uint32_t *)field);
                break;
        case V_BOOL:
                snprintf(buf, n, "%s", *(const bool *)field ? "true" : "false");
                break;
        case V_FAIL_MODE:
                snprintf(buf, n, "%s", *(const cws_fail_mode *)field == CWS_FAIL_OPEN ? "open" : "closed");
                break;
        case V_GATE:
                if (cfg->gate_group[0])
                        snprintf(buf, n, "group:%s", cfg->gate_group);
                else
                        snprintf(buf, n, "all");
                break;
        case V_MIN_TYPE: {
                cws_inv_type t = *(const cws_inv_type *)field;
                snprintf(buf, n, "%s", t == CWS_TYPE_NONE ? "none" : cws_inv_type_to_string(t));
                break;
        }
        case V_RISK:
                snprintf(buf, n, "%s", cws_risk_to_string(*(const cws_risk *)field));
                break;
        case V_HOURS: {
                const cws_hours *h = field;
                if (h->set)
                        snprintf(buf, n, "%02u-%02u", h->from, h->to);
                else
                        snprintf(buf, n, "all");
                break;
        }
        }
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
        if (parse_min_type(value, &t) < 0)
                return cws_error_set(err, -EINVAL,
                                     "%s: [services] %s: invalid value '%s' (expected %s)", where,
                                     service, vbuf, service_expect);
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
                if (set_key(cfg, &keys[i], value) < 0)
                        return cws_error_set(err, -EINVAL,
                                             "%s: [%s] %s: invalid value '%s' (expected %s)",
                                             where, sbuf, kbuf, vbuf, keys[i].expect);
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
