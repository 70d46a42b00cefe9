/* The value types of cws.conf: for each, the parser that refuses what is
 * not exactly a value of the type, the formatter that writes it back as
 * the file would (cws-status), and the words that say what it expects,
 * so that every key of a type gives the same message. The keys are in
 * config.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "cws/cleanup.h"
#include "cws/config.h"
#include "config_value.h"

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
static int parse_hours(const char *s, void *field)
{
        cws_hours *out = field;
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

/* Group names as shadow-utils and sssd make them ('@' for domain groups). */
static bool is_group_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= CWS_NAME_MAX || s[0] == '-')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@") == n;
}

static int parse_bool(const char *s, void *field)
{
        bool *out = field;

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
static int parse_min_type(const char *s, void *field)
{
        if (!strcmp(s, "none")) {
                *(cws_inv_type *)field = CWS_TYPE_NONE;
                return 0;
        }
        return cws_inv_type_from_string(s, field);
}

/* The seed writes these upper case; accept any case. */
static int parse_risk(const char *s, void *field)
{
        static const struct { const char *name; cws_risk risk; } levels[] = {
                { "LOW", CWS_RISK_LOW },
                { "MEDIUM", CWS_RISK_MEDIUM },
                { "HIGH", CWS_RISK_HIGH },
                { "CRITICAL", CWS_RISK_CRITICAL },
        };

        for (size_t i = 0; i < CWS_ELEMENTSOF(levels); i++)
                if (!strcasecmp(s, levels[i].name)) {
                        *(cws_risk *)field = levels[i].risk;
                        return 0;
                }
        return -EINVAL;
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


/* nobody and the 16-bit (gid_t)-1 are never ours to serve. */
static int parse_gid_base(const char *s, uint32_t *out)
{
        uint32_t u;
        int r = parse_count(s, &u);

        if (r < 0)
                return r;
        if (u <= 65535 && u + 2 >= 65534)
                return -EINVAL;
        *out = u;
        return 0;
}

static int parse_fail_mode(const char *s, void *field)
{
        if (!strcmp(s, "closed"))
                *(cws_fail_mode *)field = CWS_FAIL_CLOSED;
        else if (!strcmp(s, "open"))
                *(cws_fail_mode *)field = CWS_FAIL_OPEN;
        else
                return -EINVAL;
        return 0;
}

/* field is the group name, "" for all. */
static int parse_gate(const char *s, void *field)
{
        if (!strcmp(s, "all")) {
                *(char *)field = '\0';
                return 0;
        }
        if (!starts_with(s, "group:") || !is_group_name(s + 6))
                return -EINVAL;
        memcpy(field, s + 6, strlen(s + 6) + 1);        /* shorter than CWS_NAME_MAX */
        return 0;
}

static void format_string(const void *field, char *buf, size_t n)
{
        snprintf(buf, n, "%s", (const char *)field);
}

static void format_seconds(const void *field, char *buf, size_t n)
{
        format_duration(*(const uint32_t *)field, buf, n);
}

static void format_number(const void *field, char *buf, size_t n)
{
        snprintf(buf, n, "%u", *(const uint32_t *)field);
}

static void format_bool(const void *field, char *buf, size_t n)
{
        snprintf(buf, n, "%s", *(const bool *)field ? "true" : "false");
}

static void format_fail_mode(const void *field, char *buf, size_t n)
{
        snprintf(buf, n, "%s", *(const cws_fail_mode *)field == CWS_FAIL_OPEN ? "open" : "closed");
}

static void format_gate(const void *field, char *buf, size_t n)
{
        const char *group = field;

        if (group[0])
                snprintf(buf, n, "group:%s", group);
        else
                snprintf(buf, n, "all");
}

static void format_min_type(const void *field, char *buf, size_t n)
{
        cws_inv_type t = *(const cws_inv_type *)field;

        snprintf(buf, n, "%s", t == CWS_TYPE_NONE ? "none" : cws_inv_type_to_string(t));
}

static void format_risk(const void *field, char *buf, size_t n)
{
        snprintf(buf, n, "%s", cws_risk_to_string(*(const cws_risk *)field));
}

static void format_hours(const void *field, char *buf, size_t n)
{
        const cws_hours *h = field;

        if (h->set)
                snprintf(buf, n, "%02u-%02u", h->from, h->to);
        else
                snprintf(buf, n, "all");
}

/* Exactly one of valid, number and parse per type. */
typedef struct value_type {
        bool (*valid)(const char *s);                   /* a string, stored as it is */
        int (*number)(const char *s, uint32_t *out);    /* checked against the key's range */
        int (*parse)(const char *s, void *field);       /* stores only when valid */
        void (*format)(const void *field, char *buf, size_t n);
        const char *expect;
} value_type;

static const value_type types[] = {
        [V_URL] = { .valid = is_url, .format = format_string,
                    .expect = "file:///PATH or s3://BUCKET[/PREFIX], without spaces or control "
                              "characters, shorter than 4096 bytes" },
        [V_PATH] = { .valid = is_path, .format = format_string,
                     .expect = "an absolute path without control characters, shorter than 4096 "
                               "bytes" },
        [V_DURATION] = { .number = cws_parse_duration, .format = format_seconds },
        [V_COUNT] = { .number = parse_count, .format = format_number },
        [V_BOOL] = { .parse = parse_bool, .format = format_bool,
                     .expect = "true, false, yes, no, 1 or 0" },
        [V_FAIL_MODE] = { .parse = parse_fail_mode, .format = format_fail_mode,
                          .expect = "closed or open" },
        [V_GATE] = { .parse = parse_gate, .format = format_gate,
                     .expect = "all or group:NAME, NAME of 1 to 63 characters from A-Z a-z 0-9 . "
                               "_ - @, not starting with -" },
        [V_MIN_TYPE] = { .parse = parse_min_type, .format = format_min_type,
                         .expect = "none, read_only, read_write or admin" },
        [V_RISK] = { .parse = parse_risk, .format = format_risk,
                     .expect = "LOW, MEDIUM, HIGH or CRITICAL" },
        [V_ENDPOINT] = { .valid = is_endpoint, .format = format_string,
                         .expect = "https://HOST[:PORT] (http:// only on loopback), without "
                                   "spaces or control characters" },
        [V_REGION] = { .valid = is_region, .format = format_string,
                       .expect = "1 to 63 characters of a-z 0-9 -, e.g. us-east-1" },
        [V_PINS] = { .valid = is_pin_list, .format = format_string,
                     .expect = "sha256//BASE64 public-key pins separated by ';'" },
        /* Its one key's range (config.c) is the one written here. */
        [V_GID_BASE] = { .number = parse_gid_base, .format = format_number,
                         .expect = "a whole number from 100 to 2147483645 whose three gids "
                                   "BASE..BASE+2 avoid 65534 (nobody) and 65535 (16-bit -1), "
                                   "e.g. 110000" },
        [V_HTTPS_URL] = { .valid = is_https_url, .format = format_string,
                          .expect = "https://HOST[:PORT]/PATH (http:// only on loopback), without "
                                    "spaces or control characters" },
        [V_HOURS] = { .parse = parse_hours, .format = format_hours,
                      .expect = "HH-HH in local time (00-24), e.g. 07-20 or 22-06, or all" },
};

int cws_config_value_parse(value_kind kind, uint32_t min, uint32_t max, const char *value,
                           void *field)
{
        const value_type *t;
        uint32_t u;

        if ((size_t)kind >= CWS_ELEMENTSOF(types))
                return -EINVAL;
        t = &types[kind];
        if (t->valid) {
                if (!t->valid(value))
                        return -EINVAL;
                /* Checked shorter than the field (CWS_CONFIG_PATH_MAX or CWS_NAME_MAX). */
                memcpy(field, value, strlen(value) + 1);
                return 0;
        }
        if (t->number) {
                if (t->number(value, &u) < 0 || u < min || u > max)
                        return -EINVAL;
                *(uint32_t *)field = u;
                return 0;
        }
        return t->parse(value, field) < 0 ? -EINVAL : 0;
}

void cws_config_value_format(value_kind kind, const void *field, char *buf, size_t n)
{
        if ((size_t)kind < CWS_ELEMENTSOF(types) && n > 0)
                types[kind].format(field, buf, n);
}

const char *cws_config_value_expect(value_kind kind)
{
        return (size_t)kind < CWS_ELEMENTSOF(types) ? types[kind].expect : NULL;
}
