/* s3: backend — any S3-compatible store (AWS, Ceph RGW, MinIO) through
 * libcurl: SigV4 signing, TLS 1.2+ with CA check and optional public-key
 * pins, bounded timeouts and response sizes, no redirects. The store is
 * untrusted: records are signed, and every way a request can fail is its
 * own error, never a record. Create-only is PUT with If-None-Match: *. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/cleanup.h"
#include "cws/crypto.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/hex.h"
#include "cws/registry_s3.h"
#include "cws/tls_policy.h"
#include "cws/safe_file.h"

#define CREDENTIALS_FILE_MAX 4096
#define CA_FILE_MAX (1024 * 1024)

typedef struct s3_registry {
        cws_registry base;
        CURL *curl;             /* kept: its connection cache gives keep-alive */
        char prefix[CWS_KEY_MAX];       /* "" or "a/b" */
        char bucket[CWS_S3_BUCKET_MAX];
        char base_url[CWS_S3_URL_MAX];
        char sigv4[CWS_S3_REGION_MAX + 16];
        char access[CWS_S3_CRED_MAX];
        char secret[CWS_S3_CRED_MAX];   /* wiped on free, never printed */
        char cred_origin[4200];         /* "the credentials file PATH", for a 403 */
        char ca_file[4096];     /* the path, for messages */
        char *ca_pem;           /* its bytes, read once through the file checks */
        size_t ca_len;
        char pins[4096];
        bool plain_http;
        bool require_lock;      /* a put_locked is never downgraded */
        long timeout_ms;
} s3_registry;

/* ---- pure parts (unit-tested) ---- */

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool bucket_valid(const char *b, size_t n)
{
        if (n < 3 || n >= CWS_S3_BUCKET_MAX || !is_lower_alnum(b[0]) || !is_lower_alnum(b[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_alnum(b[i]) && b[i] != '.' && b[i] != '-')
                        return false;
        return true;
}

int cws_s3_parse_url(const char *url, char bucket[CWS_S3_BUCKET_MAX], char prefix[CWS_KEY_MAX],
                     cws_error *err)
{
        const char *b, *slash;
        size_t blen, plen;

        if (strncmp(url, "s3://", 5) != 0)
                return cws_error_set(err, -EINVAL, "registry URL: not s3://BUCKET[/PREFIX]");
        b = url + 5;
        slash = strchr(b, '/');
        blen = slash ? (size_t)(slash - b) : strlen(b);
        if (!bucket_valid(b, blen))
                return cws_error_set(err, -EINVAL,
                                     "registry URL: the bucket must be 3 to 63 characters of "
                                     "a-z 0-9 . - starting and ending with a letter or digit");
        memcpy(bucket, b, blen);
        bucket[blen] = '\0';
        prefix[0] = '\0';
        if (!slash)
                return 0;
        plen = strlen(slash + 1);
        if (plen == 0)
                return 0;
        if (slash[plen] == '/')
                plen--;         /* one trailing '/' */
        if (plen == 0 || plen >= CWS_KEY_MAX - 64)
                return cws_error_set(err, -EINVAL, "registry URL: prefix empty or too long");
        memcpy(prefix, slash + 1, plen);
        prefix[plen] = '\0';
        if (!cws_registry_key_valid(prefix))
                return cws_error_set(err, -EINVAL,
                                     "registry URL: the prefix must be segments of A-Z a-z 0-9 . _ - "
                                     "separated by '/'");
        return 0;
}

static bool is_loopback_host(const char *h, size_t n)
{
        if ((n == 9 && !strncmp(h, "localhost", 9)) || (n == 5 && !strncmp(h, "[::1]", 5)))
                return true;
        if (n < 7 || n > 15 || strncmp(h, "127.", 4) != 0)
                return false;
        /* 127.a.b.c, each part 1..3 digits up to 255. */
        unsigned parts = 1, v = 0, digits = 0;
        for (size_t i = 4; i <= n; i++) {
                if (i == n || h[i] == '.') {
                        if (digits == 0 || v > 255)
                                return false;
                        parts++;
                        v = digits = 0;
                        continue;
                }
                if (h[i] < '0' || h[i] > '9' || ++digits > 3)
                        return false;
                v = v * 10 + (unsigned)(h[i] - '0');
        }
        return parts == 4;
}

int cws_s3_check_endpoint(const char *endpoint, bool *plain_http, cws_error *err)
{
        const char *h, *end, *colon = NULL;
        size_t n;

        if (!strncmp(endpoint, "https://", 8)) {
                *plain_http = false;
                h = endpoint + 8;
        } else if (!strncmp(endpoint, "http://", 7)) {
                *plain_http = true;
                h = endpoint + 7;
        } else {
                return cws_error_set(err, -EINVAL, "registry endpoint: must start with https://");
        }
        end = h + strcspn(h, "/");
        if (*end == '/' && end[1] != '\0')
                return cws_error_set(err, -EINVAL, "registry endpoint: no path allowed, only https://HOST[:PORT]");
        if (h[0] == '[') {
                const char *rb = memchr(h, ']', (size_t)(end - h));
                if (!rb || rb == h + 1 || strspn(h + 1, "0123456789abcdefABCDEF:") != (size_t)(rb - h - 1))
                        return cws_error_set(err, -EINVAL, "registry endpoint: bad IPv6 address");
                if (rb + 1 < end && rb[1] != ':')
                        return cws_error_set(err, -EINVAL, "registry endpoint: bad host");
                colon = rb + 1 < end ? rb + 1 : NULL;
                n = (size_t)(rb + 1 - h);
        } else {
                n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
                if (n == 0 || n > 253 || (h + n != end && h[n] != ':'))
                        return cws_error_set(err, -EINVAL,
                                             "registry endpoint: the host must be a name or address "
                                             "(no user, query or fragment)");
                colon = h + n != end ? h + n : NULL;
        }
        if (colon) {
                size_t d = (size_t)(end - colon - 1);
                unsigned long port = 0;
                if (d == 0 || d > 5 || strspn(colon + 1, "0123456789") != d)
                        return cws_error_set(err, -EINVAL, "registry endpoint: bad port");
                for (size_t i = 1; i <= d; i++)
                        port = port * 10 + (unsigned long)(colon[i] - '0');
                if (port == 0 || port > 65535)
                        return cws_error_set(err, -EINVAL, "registry endpoint: bad port");
        }
        if (*plain_http && !is_loopback_host(h, n))
                return cws_error_set(err, -EINVAL,
                                     "registry endpoint: plain http:// is refused except on loopback; "
                                     "use https://");
        return 0;
}

bool cws_s3_region_valid(const char *region)
{
        size_t n = strlen(region);

        return n > 0 && n < CWS_S3_REGION_MAX &&
               strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int cws_s3_base_url(const char *endpoint, const char *region, const char *bucket, char *out,
                    size_t outsz)
{
        size_t e = strlen(endpoint);
        int k;

        if (e > 0 && endpoint[e - 1] == '/')
                e--;
        if (e > 0)
                k = snprintf(out, outsz, "%.*s/%s", (int)e, endpoint, bucket);
        else if (strchr(bucket, '.'))
                k = snprintf(out, outsz, "https://s3.%s.amazonaws.com/%s", region, bucket);
        else
                k = snprintf(out, outsz, "https://%s.s3.%s.amazonaws.com", bucket, region);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

int cws_s3_sigv4_param(const char *region, char *out, size_t outsz)
{
        int k;

        if (!cws_s3_region_valid(region))
                return -EINVAL;
        k = snprintf(out, outsz, "aws:amz:%s:s3", region);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

int cws_s3_payload_header(const void *data, size_t len, char *out, size_t outsz)
{
        static const char name[] = "x-amz-content-sha256: ";
        uint8_t md[CWS_SHA256_LEN];
        size_t n = sizeof(name) - 1;

        if (outsz < n + 2 * CWS_SHA256_LEN + 1)
                return -ENOBUFS;
        if (cws_sha256(data, len, md) < 0)
                return -EIO;
        memcpy(out, name, n);
        cws_hex_encode(md, sizeof(md), out + n, outsz - n, false);
        return 0;
}

int cws_s3_uri_encode(const char *in, char *out, size_t outsz)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;

        for (; *in; in++) {
                unsigned char c = (unsigned char)*in;
                bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
                if (n + (keep ? 1 : 3) >= outsz)
                        return -ENOBUFS;
                if (keep) {
                        out[n++] = (char)c;
                } else {
                        out[n++] = '%';
                        out[n++] = hex[c >> 4];
                        out[n++] = hex[c & 15];
                }
        }
        if (n >= outsz)
                return -ENOBUFS;
        out[n] = '\0';
        return 0;
}

int cws_s3_list_query_after(const char *objprefix, const char *token, const char *start_after,
                            char *out, size_t outsz)
{
        char p[3 * CWS_KEY_MAX + 4], t[3 * CWS_S3_TEXT_MAX + 1], full[CWS_KEY_MAX + 2];
        char sa[3 * 2 * CWS_KEY_MAX + 1];
        int k;

        if (snprintf(full, sizeof(full), "%s/", objprefix) >= (int)sizeof(full) ||
            cws_s3_uri_encode(full, p, sizeof(p)) < 0 ||
            (token && cws_s3_uri_encode(token, t, sizeof(t)) < 0) ||
            (start_after && cws_s3_uri_encode(start_after, sa, sizeof(sa)) < 0))
                return -ENOBUFS;
        /* Sorted by name, as the canonical request has them. */
        k = snprintf(out, outsz, "%s%s%sdelimiter=%%2F&list-type=2&max-keys=1000&prefix=%s%s%s",
                     token ? "continuation-token=" : "", token ? t : "", token ? "&" : "", p,
                     start_after ? "&start-after=" : "", start_after ? sa : "");
        return k < 0 || (size_t)k >= outsz ? -ENOBUFS : 0;
}

int cws_s3_list_query(const char *objprefix, const char *token, char *out, size_t outsz)
{
        return cws_s3_list_query_after(objprefix, token, NULL, out, outsz);
}

static char *trim(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

/* Printable ASCII without space: what a key id or secret is made of. */
static bool cred_value_valid(const char *v, bool is_access)
{
        size_t n = strlen(v);

        if (n == 0 || n >= CWS_S3_CRED_MAX)
                return false;
        for (; *v; v++)
                if (*v <= ' ' || *v >= 0x7f || (is_access && *v == ':'))
                        return false;
        return true;
}

/* Parses copy in place (NULs written at line ends and at '='). */
static int parse_credentials(char *copy, const char *path, char access[CWS_S3_CRED_MAX],
                             char secret[CWS_S3_CRED_MAX], cws_error *err)
{
        char *line, *next;
        unsigned lineno = 0;
        bool have_access = false, have_secret = false;

        access[0] = secret[0] = '\0';
        for (line = copy; line; line = next) {
                char *eq, *name, *value;
                bool is_access;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                lineno++;
                name = trim(line);
                if (*name == '\0' || *name == '#')
                        continue;
                eq = strchr(name, '=');
                if (!eq)
                        return cws_error_set(err, -EINVAL, "%s: line %u: expected NAME = VALUE", path, lineno);
                *eq = '\0';
                name = trim(name);
                value = trim(eq + 1);
                if (!strcmp(name, "access_key_id"))
                        is_access = true;
                else if (!strcmp(name, "secret_access_key"))
                        is_access = false;
                else
                        return cws_error_set(err, -EINVAL,
                                             "%s: line %u: unknown name (access_key_id, secret_access_key)",
                                             path, lineno);
                if (is_access ? have_access : have_secret)
                        return cws_error_set(err, -EINVAL, "%s: line %u: %s given twice", path, lineno, name);
                if (!cred_value_valid(value, is_access))
                        return cws_error_set(err, -EINVAL,
                                             "%s: line %u: %s must be 1 to %d printable characters without "
                                             "spaces", path, lineno, name, CWS_S3_CRED_MAX - 1);
                memcpy(is_access ? access : secret, value, strlen(value) + 1);
                *(is_access ? &have_access : &have_secret) = true;
        }
        if (!have_access || !have_secret)
                return cws_error_set(err, -EINVAL, "%s: needs access_key_id and secret_access_key", path);
        return 0;
}

int cws_s3_parse_credentials(const char *text, const char *path, char access[CWS_S3_CRED_MAX],
                             char secret[CWS_S3_CRED_MAX], cws_error *err)
{
        size_t len = strlen(text);
        char *copy = strdup(text);
        int r;

        if (!copy)
                return cws_error_set(err, -ENOMEM, "out of memory");
        r = parse_credentials(copy, path, access, secret, err);
        /* Parsing wrote NULs into the copy: wipe all of it, not up to the first. */
        cws_wipe(copy, len);
        free(copy);
        if (r < 0)
                cws_wipe(secret, CWS_S3_CRED_MAX);
        return r;
}

/* ---- a minimal XML reader for S3 responses ----
 * Elements, attributes (skipped), the five predefined entities and
 * character references to printable ASCII; an XML declaration before the
 * document element. Everything else (DOCTYPE, CDATA, comments, bytes below
 * 0x20 but whitespace) is refused, as is nesting deeper than 8, an element
 * name over 63 bytes or text over CWS_S3_TEXT_MAX: S3 sends none of it. */

#define XML_DEPTH 8
#define XML_NAME_MAX 64

typedef struct xml_ctx {
        char names[XML_DEPTH][XML_NAME_MAX];
        unsigned depth;
        int (*leaf)(struct xml_ctx *x, const char *text, cws_error *err);
        /* Optional: an element ends (names[depth - 1] is it). */
        int (*close)(struct xml_ctx *x, cws_error *err);
        void *ud;
} xml_ctx;

static bool xml_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool xml_name_char(char c, bool first)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
               (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'));
}

static int xml_bad(cws_error *err, const char *what)
{
        return cws_error_set(err, -EBADMSG, "malformed XML from the store: %s", what);
}

/* Reads a name at s[*i]; leaves *i after it. */
static int xml_name(const char *s, size_t n, size_t *i, char out[XML_NAME_MAX], cws_error *err)
{
        size_t st = *i;

        while (*i < n && xml_name_char(s[*i], *i == st))
                (*i)++;
        if (*i == st)
                return xml_bad(err, "an element without a name");
        if (*i - st >= XML_NAME_MAX)
                return xml_bad(err, "an element name is too long");
        memcpy(out, s + st, *i - st);
        out[*i - st] = '\0';
        return 0;
}

static int xml_entity(const char *e, size_t n, char *c)
{
        static const struct { const char *name; char c; } named[] = {
                { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
        };
        unsigned long v = 0;
        bool hex;

        for (size_t i = 0; i < CWS_ELEMENTSOF(named); i++)
                if (strlen(named[i].name) == n && !memcmp(e, named[i].name, n)) {
                        *c = named[i].c;
                        return 0;
                }
        if (n < 2 || e[0] != '#')
                return -EBADMSG;
        hex = e[1] == 'x';
        if (n == (hex ? 2u : 1u) || n > 8)
                return -EBADMSG;
        for (size_t i = hex ? 2 : 1; i < n; i++) {
                char d = e[i];
                unsigned dv;
                if (d >= '0' && d <= '9')
                        dv = (unsigned)(d - '0');
                else if (hex && d >= 'a' && d <= 'f')
                        dv = (unsigned)(d - 'a' + 10);
                else if (hex && d >= 'A' && d <= 'F')
                        dv = (unsigned)(d - 'A' + 10);
                else
                        return -EBADMSG;
                v = v * (hex ? 16 : 10) + dv;
        }
        if (v < 0x20 || v > 0x7e)
                return -EBADMSG;
        *c = (char)v;
        return 0;
}

static int xml_text(const char *s, size_t n, char *out, size_t outsz, cws_error *err)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if ((unsigned char)c < 0x20 && !xml_ws(c))
                        return xml_bad(err, "a control character in text");
                if (c == '&') {
                        const char *semi = memchr(s + i + 1, ';', n - i - 1 < 10 ? n - i - 1 : 10);
                        if (!semi || xml_entity(s + i + 1, (size_t)(semi - (s + i + 1)), &c) < 0)
                                return xml_bad(err, "an unknown entity");
                        i = (size_t)(semi - s);
                }
                if (o + 1 >= outsz)
                        return xml_bad(err, "an element's text is too long");
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

/* Skips attributes up to '>' (returns 0) or "/>" (returns 1). */
static int xml_tag_end(const char *s, size_t n, size_t *i, cws_error *err)
{
        char quote = 0;

        for (; *i < n; (*i)++) {
                char c = s[*i];
                if (quote) {
                        if (c == quote)
                                quote = 0;
                        else if (c == '<' || c == '\0')
                                break;
                        continue;
                }
                if (c == '"' || c == '\'')
                        quote = c;
                else if (c == '>')
                        return (*i)++, 0;
                else if (c == '/' && *i + 1 < n && s[*i + 1] == '>')
                        return *i += 2, 1;
                else if (c == '<' || c == '\0' || c == '&')
                        break;
        }
        return xml_bad(err, "an unterminated tag");
}

static int xml_walk(xml_ctx *x, const char *s, size_t n, const char *root, cws_error *err)
{
        bool has_child[XML_DEPTH] = { false }, root_done = false;
        size_t i = 0, text_at = 0;
        char text[CWS_S3_TEXT_MAX + 1];
        int r;

        if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
                i = 3;
        while (i < n) {
                char name[XML_NAME_MAX];
                if (s[i] != '<') {
                        if (s[i] == '\0')
                                return xml_bad(err, "a NUL byte");
                        if (x->depth == 0 && !xml_ws(s[i]))
                                return xml_bad(err, "text outside the document element");
                        i++;
                        continue;
                }
                if (i + 1 >= n)
                        return xml_bad(err, "the document is cut short");
                if (s[i + 1] == '?') {
                        const char *end = memmem(s + i + 2, n - i - 2, "?>", 2);
                        if (x->depth > 0 || root_done || !end)
                                return xml_bad(err, "a misplaced processing instruction");
                        i = (size_t)(end - s) + 2;
                        continue;
                }
                if (s[i + 1] == '!')
                        return xml_bad(err, "DOCTYPE, CDATA and comments are not accepted");
                if (s[i + 1] == '/') {
                        size_t lt = i;
                        i += 2;
                        if ((r = xml_name(s, n, &i, name, err)) < 0)
                                return r;
                        while (i < n && xml_ws(s[i]))
                                i++;
                        if (i >= n || s[i] != '>')
                                return xml_bad(err, "an unterminated end tag");
                        i++;
                        if (x->depth == 0 || strcmp(name, x->names[x->depth - 1]) != 0)
                                return xml_bad(err, "mismatched end tag");
                        if (!has_child[x->depth - 1]) {
                                if ((r = xml_text(s + text_at, lt - text_at, text, sizeof(text), err)) < 0 ||
                                    (r = x->leaf(x, text, err)) < 0)
                                        return r;
                        }
                        if (x->close && (r = x->close(x, err)) < 0)
                                return r;
                        x->depth--;
                        if (x->depth == 0)
                                root_done = true;
                        continue;
                }
                if (root_done)
                        return xml_bad(err, "more than one document element");
                if (x->depth == XML_DEPTH)
                        return xml_bad(err, "elements nested too deeply");
                i++;
                if ((r = xml_name(s, n, &i, name, err)) < 0)
                        return r;
                if (x->depth == 0 && strcmp(name, root) != 0)
                        return cws_error_set(err, -EBADMSG, "unexpected XML from the store: <%s>, not <%s>",
                                             name, root);
                if (x->depth > 0)
                        has_child[x->depth - 1] = true;
                memcpy(x->names[x->depth], name, strlen(name) + 1);
                has_child[x->depth] = false;
                x->depth++;
                if ((r = xml_tag_end(s, n, &i, err)) < 0)
                        return r;
                if (r == 1) {           /* <empty/> */
                        if ((r = x->leaf(x, "", err)) < 0 || (x->close && (r = x->close(x, err)) < 0))
                                return r;
                        if (--x->depth == 0)
                                root_done = true;
                }
                text_at = i;
        }
        if (!root_done)
                return xml_bad(err, x->depth ? "the document is cut short" : "no document element");
        return 0;
}

static bool xml_at(const xml_ctx *x, const char *a, const char *b)
{
        return x->depth == (b ? 3u : 2u) && !strcmp(x->names[1], a) && (!b || !strcmp(x->names[2], b));
}

static int truncated_leaf(const char *text, bool *truncated, cws_error *err)
{
        if (!strcmp(text, "true"))
                *truncated = true;
        else if (strcmp(text, "false") != 0)
                return xml_bad(err, "IsTruncated is neither true nor false");
        return 0;
}

static int list_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        cws_s3_list_page *p = x->ud;

        if (xml_at(x, "IsTruncated", NULL))
                return truncated_leaf(text, &p->truncated, err);
        if (xml_at(x, "NextContinuationToken", NULL)) {
                size_t n = strlen(text);
                if (p->next_token)
                        return xml_bad(err, "two continuation tokens");
                if (n == 0)
                        return xml_bad(err, "an empty continuation token");
                for (size_t i = 0; i < n; i++)
                        if (text[i] <= ' ' || text[i] >= 0x7f)
                                return xml_bad(err, "a continuation token with unprintable bytes");
                if (!(p->next_token = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                return 0;
        }
        if (xml_at(x, "Contents", "Key") || xml_at(x, "CommonPrefixes", "Prefix")) {
                char **nv;
                if (p->n >= CWS_S3_LIST_PAGE_KEYS)
                        return xml_bad(err, "too many keys in one page");
                nv = realloc(p->entries, (p->n + 1) * sizeof(*nv));
                if (!nv)
                        return cws_error_set(err, -ENOMEM, "out of memory");
                p->entries = nv;
                if (!(p->entries[p->n] = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                p->n++;
        }
        return 0;
}

void cws_s3_list_page_free(cws_s3_list_page *page)
{
        cws_strv_free(page->entries, page->n);
        free(page->next_token);
        memset(page, 0, sizeof(*page));
}

int cws_s3_parse_list(const char *body, size_t len, cws_s3_list_page *page, cws_error *err)
{
        xml_ctx x = { .leaf = list_leaf, .ud = page };
        int r;

        memset(page, 0, sizeof(*page));
        r = xml_walk(&x, body, len, "ListBucketResult", err);
        if (r == 0 && page->truncated && !page->next_token)
                r = xml_bad(err, "a truncated listing without a continuation token");
        if (r < 0)
                cws_s3_list_page_free(page);
        return r;
}

typedef struct code_buf {
        char *code;
        size_t size;
        bool seen;      /* a second <Code> makes the answer ambiguous: none */
} code_buf;

static int error_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        code_buf *c = x->ud;
        size_t n = strlen(text);

        (void)err;
        if (x->depth != 2 || strcmp(x->names[1], "Code") != 0)
                return 0;
        if (c->seen) {
                c->code[0] = '\0';
                return 0;
        }
        c->seen = true;
        if (n < c->size &&
            strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n)
                memcpy(c->code, text, n + 1);
        return 0;
}

void cws_s3_parse_error_code(const char *body, size_t len, char *code, size_t codesz)
{
        code_buf c = { .code = code, .size = codesz };
        xml_ctx x = { .leaf = error_leaf, .ud = &c };

        if (codesz == 0)
                return;
        code[0] = '\0';
        if (xml_walk(&x, body, len, "Error", NULL) < 0)
                code[0] = '\0';
}

/* ---- ListObjectVersions and GetObjectLockConfiguration ---- */

int cws_s3_versions_query(const char *objkey, unsigned max_keys, char *out, size_t outsz)
{
        char p[3 * CWS_KEY_MAX * 2 + 4];
        int k;

        if (max_keys == 0 || max_keys > 1000 || cws_s3_uri_encode(objkey, p, sizeof(p)) < 0)
                return -ENOBUFS;
        /* Sorted by name; "versions=" with its '=': SigV4 signs the empty
         * value, and curl signs the query as written. */
        k = snprintf(out, outsz, "max-keys=%u&prefix=%s&versions=", max_keys, p);
        return k < 0 || (size_t)k >= outsz ? -ENOBUFS : 0;
}

typedef struct versions_ctx {
        cws_s3_version_page *page;
        cws_s3_version_entry cur;       /* the Version or DeleteMarker being read */
} versions_ctx;

static bool version_id_valid(const char *v)
{
        size_t n = strlen(v);

        if (n == 0 || n >= CWS_S3_VERSION_ID_MAX)
                return false;
        for (; *v; v++)
                if (*v <= ' ' || *v >= 0x7f)
                        return false;
        return true;
}

static bool in_version_entry(const xml_ctx *x)
{
        return x->depth >= 2 && (!strcmp(x->names[1], "Version") || !strcmp(x->names[1], "DeleteMarker"));
}

static int versions_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        versions_ctx *c = x->ud;
        cws_s3_version_page *p = c->page;

        if (xml_at(x, "IsTruncated", NULL))
                return truncated_leaf(text, &p->truncated, err);
        if (xml_at(x, "NextKeyMarker", NULL)) {
                if (p->next_key_marker)
                        return xml_bad(err, "two NextKeyMarker");
                if (!(p->next_key_marker = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                return 0;
        }
        if (!in_version_entry(x) || x->depth != 3)
                return 0;
        if (!strcmp(x->names[2], "Key")) {
                if (c->cur.key)
                        return xml_bad(err, "a version with two keys");
                if (!text[0])
                        return xml_bad(err, "a version with an empty key");
                if (!(c->cur.key = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
        } else if (!strcmp(x->names[2], "VersionId")) {
                if (c->cur.version_id)
                        return xml_bad(err, "a version with two version ids");
                if (!version_id_valid(text))
                        return xml_bad(err, "a version id that is empty, too long or unprintable");
                if (!(c->cur.version_id = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

static void version_entry_free(cws_s3_version_entry *e)
{
        free(e->key);
        free(e->version_id);
        memset(e, 0, sizeof(*e));
}

static int versions_close(xml_ctx *x, cws_error *err)
{
        versions_ctx *c = x->ud;
        cws_s3_version_page *p = c->page;
        cws_s3_version_entry *nv;

        if (x->depth != 2 || !in_version_entry(x))
                return 0;
        if (!c->cur.key || !c->cur.version_id)
                return xml_bad(err, "a version without its key or version id");
        if (p->n >= CWS_S3_VERSIONS_PAGE_KEYS)
                return xml_bad(err, "too many versions in one page");
        nv = realloc(p->entries, (p->n + 1) * sizeof(*nv));
        if (!nv)
                return cws_error_set(err, -ENOMEM, "out of memory");
        p->entries = nv;
        c->cur.delete_marker = !strcmp(x->names[1], "DeleteMarker");
        p->entries[p->n++] = c->cur;
        memset(&c->cur, 0, sizeof(c->cur));
        return 0;
}

void cws_s3_version_page_free(cws_s3_version_page *page)
{
        for (size_t i = 0; i < page->n; i++)
                version_entry_free(&page->entries[i]);
        free(page->entries);
        free(page->next_key_marker);
        memset(page, 0, sizeof(*page));
}

int cws_s3_parse_versions(const char *body, size_t len, cws_s3_version_page *page, cws_error *err)
{
        versions_ctx c = { .page = page };
        xml_ctx x = { .leaf = versions_leaf, .close = versions_close, .ud = &c };
        int r;

        memset(page, 0, sizeof(*page));
        if (len > CWS_S3_VERSIONS_BODY_MAX)
                r = xml_bad(err, "the version listing is too large");
        else
                r = xml_walk(&x, body, len, "ListVersionsResult", err);
        version_entry_free(&c.cur);
        if (r < 0)
                cws_s3_version_page_free(page);
        return r;
}

static int lock_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        int *state = x->ud;

        if (!xml_at(x, "ObjectLockEnabled", NULL))
                return 0;
        if (*state != 0)
                return xml_bad(err, "two ObjectLockEnabled");
        *state = !strcmp(text, "Enabled") ? 1 : -1;
        return 0;
}

int cws_s3_parse_object_lock(const char *body, size_t len, bool *enabled, cws_error *err)
{
        int state = 0;
        xml_ctx x = { .leaf = lock_leaf, .ud = &state };
        int r = xml_walk(&x, body, len, "ObjectLockConfiguration", err);

        *enabled = r == 0 && state == 1;
        return r;
}

/* ---- requests ---- */

typedef struct s3_body {
        char *buf;
        size_t len, cap, max;
        bool too_big;
} s3_body;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
        s3_body *b = ud;
        size_t n = size * nmemb;

        if (n > b->max - b->len) {
                b->too_big = true;
                return 0;       /* aborts the transfer */
        }
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                char *nb;
                while (cap < b->len + n + 1)
                        cap *= 2;
                if (!(nb = realloc(b->buf, cap)))
                        return 0;
                b->buf = nb;
                b->cap = cap;
        }
        memcpy(b->buf + b->len, data, n);
        b->len += n;
        b->buf[b->len] = '\0';
        return n;
}

typedef struct s3_upload {
        const char *p;
        size_t left;
} s3_upload;

static size_t on_upload(char *buf, size_t size, size_t nmemb, void *ud)
{
        s3_upload *u = ud;
        size_t n = size * nmemb < u->left ? size * nmemb : u->left;

        memcpy(buf, u->p, n);
        u->p += n;
        u->left -= n;
        return n;
}

typedef struct s3_request {
        const char *method;     /* "GET" or "PUT", for messages */
        const char *what;       /* the key or prefix, for messages */
        const char *url;
        const void *body;       /* PUT only */
        size_t body_len;
        size_t max;             /* response bound */
        bool create_only;
        bool is_get;            /* 404 NoSuchKey (or NoSuchVersion) is -ENOENT */
        bool lock_put;          /* 400 InvalidRequest: the bucket has no object lock */
        bool lock_query;        /* 404 ObjectLockConfigurationNotFoundError: no object lock */
        const char *extra[4];   /* more headers, NULL-terminated */
} s3_request;

static int fail(s3_registry *s, const s3_request *q, cws_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int fail(s3_registry *s, const s3_request *q, cws_error *err, int code, const char *fmt, ...)
{
        char why[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        return cws_error_set(err, code, "registry %s: %s %s: %s", s->base.url, q->method, q->what, why);
}

/* curl's own words for TLS failures say which check failed; keep them. */
static int curl_failure(s3_registry *s, const s3_request *q, CURLcode c, const char *errbuf,
                        cws_error *err)
{
        char detail[CURL_ERROR_SIZE];
        long verify = 0;

        /* Printable only: curl may quote what the peer sent. */
        snprintf(detail, sizeof(detail), "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
        for (char *p = detail; *p; p++)
                if (*p < 0x20 || *p >= 0x7f)
                        *p = '?';

        switch (c) {
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
                return fail(s, q, err, -EKEYREJECTED,
                            "public key pin mismatch: the server's key is in no pin of pinned_keys "
                            "(interception, or a rotated key not pinned yet)");
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
                curl_easy_getinfo(s->curl, CURLINFO_SSL_VERIFYRESULT, &verify);
                if (verify == 10 /* X509_V_ERR_CERT_HAS_EXPIRED */ || verify == 9 /* NOT_YET_VALID */)
                        return fail(s, q, err, -EBADE, "the server's certificate is expired or not yet valid (%s)",
                                    detail);
                if (strstr(detail, "subject name") || strstr(detail, "host name"))
                        return fail(s, q, err, -EBADE, "the server's certificate is for another host (%s)", detail);
                return fail(s, q, err, -EBADE, "the server's certificate is not trusted (%s); check ca_file",
                            detail);
        case CURLE_SSL_CACERT_BADFILE:
                return fail(s, q, err, -EBADE, "cannot use ca_file %s (%s)", s->ca_file, detail);
        case CURLE_SSL_CONNECT_ERROR:
                return fail(s, q, err, -EPROTO, "TLS handshake failed (%s)", detail);
        case CURLE_OPERATION_TIMEDOUT:
                return fail(s, q, err, -ETIMEDOUT, "no answer within %ld ms (registry timeout)", s->timeout_ms);
        case CURLE_COULDNT_CONNECT:
                return fail(s, q, err, -ECONNREFUSED, "cannot connect (%s)", detail);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return fail(s, q, err, -EHOSTUNREACH, "cannot resolve the host (%s)", detail);
        case CURLE_FILESIZE_EXCEEDED:
                return fail(s, q, err, -EFBIG, "refused: the response is over %zu bytes", q->max);
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:        /* "Received HTTP/0.9" */
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_BAD_CONTENT_ENCODING:
                return fail(s, q, err, -EPROTO, "malformed or cut HTTP response (%s)", detail);
        case CURLE_OUT_OF_MEMORY:
                return fail(s, q, err, -ENOMEM, "out of memory");
        default:
                return fail(s, q, err, -EIO, "%s", detail);
        }
}

static int status_failure(s3_registry *s, const s3_request *q, long status, const s3_body *b,
                          cws_error *err)
{
        char code[64] = "";

        if (b->buf)
                cws_s3_parse_error_code(b->buf, b->len, code, sizeof(code));
        if (status == 404 && !strcmp(code, "NoSuchBucket"))
                return fail(s, q, err, -ENXIO, "the bucket does not exist");
        /* Only the store's own NoSuchKey says a record is absent (for a
         * revocation: not revoked); any other 404 is not an answer. */
        if (status == 404 && q->is_get && (!strcmp(code, "NoSuchKey") || !strcmp(code, "NoSuchVersion")))
                return cws_error_set(err, -ENOENT, "%s: no such record", q->what);
        if ((status == 404 && q->lock_query && !strcmp(code, "ObjectLockConfigurationNotFoundError")) ||
            (status == 400 && q->lock_put && !strcmp(code, "InvalidRequest")))
                return fail(s, q, err, -ENOTSUP, "the bucket has no object lock (%s)", code);
        if (status == 404)
                return fail(s, q, err, -EPROTO, "HTTP 404 without NoSuchKey (%s): not the store's answer; "
                            "check endpoint and proxies", code[0] ? code : "no S3 error code");
        if (status == 412 && q->create_only)
                return cws_error_set(err, -EEXIST, "%s: already exists", q->what);
        if (status == 403 && !strcmp(code, "RequestTimeTooSkewed"))
                return fail(s, q, err, -ETIME,
                            "refused for clock skew: this host's clock and the store's differ by more "
                            "than 15 minutes; fix time synchronisation");
        if (status == 403 && (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "InvalidAccessKeyId")))
                return fail(s, q, err, -EACCES,
                            "access denied (%s): check access_key_id and secret_access_key in %s",
                            code, s->cred_origin);
        if (status == 401 || status == 403)
                return fail(s, q, err, -EACCES, "access denied (HTTP %ld%s%s)", status, code[0] ? " " : "", code);
        if (status == 409 && q->create_only)
                return fail(s, q, err, -EBUSY, "another writer is creating this key; try again");
        if (status >= 300 && status < 400)
                return fail(s, q, err, -EPROTO, "refused a redirect (HTTP %ld); set endpoint to the right "
                            "address", status);
        if (status >= 500 || status == 429)
                return fail(s, q, err, -EREMOTEIO, "the store failed (HTTP %ld%s%s)", status,
                            code[0] ? " " : "", code);
        return fail(s, q, err, -EPROTO, "unexpected HTTP status %ld%s%s", status, code[0] ? " " : "", code);
}

static int setup_request(s3_registry *s, const s3_request *q, struct curl_slist **hdrs, s3_body *b,
                         s3_upload *u, char *errbuf)
{
        char sha[128];
        CURL *c = s->curl;
        int bad = 0;

        if (cws_s3_payload_header(q->body ? q->body : "", q->body_len, sha, sizeof(sha)) < 0)
                return -EIO;
        *hdrs = curl_slist_append(NULL, sha);
        if (*hdrs && q->create_only)
                *hdrs = curl_slist_append(*hdrs, "If-None-Match: *");
        if (*hdrs && q->body)
                *hdrs = curl_slist_append(*hdrs, "Content-Type: application/octet-stream");
        for (size_t i = 0; *hdrs && i < CWS_ELEMENTSOF(q->extra) && q->extra[i]; i++)
                *hdrs = curl_slist_append(*hdrs, q->extra[i]);
        if (!*hdrs)
                return -ENOMEM;
        curl_easy_reset(c);     /* keeps the live connection */
        bad |= (int)curl_easy_setopt(c, CURLOPT_URL, q->url);
        bad |= (int)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->plain_http ? "http" : "https");
        bad |= (int)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        bad |= (int)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        bad |= (int)curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        bad |= (int)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
        bad |= (int)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
        bad |= (int)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        bad |= (int)curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
        bad |= (int)curl_easy_setopt(c, CURLOPT_USERNAME, s->access);
        bad |= (int)curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
        bad |= (int)curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
        bad |= (int)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        bad |= (int)curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
        bad |= (int)curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)q->max);
        bad |= cws_tls_apply(c, s->plain_http, s->ca_pem, s->ca_len, s->pins) ? 1 : 0;
        if (q->body) {
                u->p = q->body;
                u->left = q->body_len;
                bad |= (int)curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
                bad |= (int)curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
                bad |= (int)curl_easy_setopt(c, CURLOPT_READDATA, u);
                bad |= (int)curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        }
        return bad ? -ENOTSUP : 0;
}

/* One request: 0 with the body (2xx), or a negative errno and a message. */
static int s3_perform(s3_registry *s, const s3_request *q, s3_body *b, cws_error *err)
{
        struct curl_slist *hdrs = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        s3_upload u = { 0 };
        long status = 0;
        CURLcode c;
        int r;

        memset(b, 0, sizeof(*b));
        b->max = q->max;
        r = setup_request(s, q, &hdrs, b, &u, errbuf);
        if (r < 0) {
                /* errbuf is on this stack: curl must not keep pointing at it. */
                curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
                curl_slist_free_all(hdrs);
                return fail(s, q, err, r, "cannot set up the request (libcurl %s)", curl_version());
        }
        c = curl_easy_perform(s->curl);
        curl_slist_free_all(hdrs);
        curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        if (c == CURLE_WRITE_ERROR && b->too_big && status >= 200 && status < 300)
                r = fail(s, q, err, -EFBIG, "refused: the response is over %zu bytes", q->max);
        else if (c != CURLE_OK && !(c == CURLE_WRITE_ERROR && b->too_big))
                r = curl_failure(s, q, c, errbuf, err);
        else if (status < 200 || status >= 300)
                r = status_failure(s, q, status, b, err);
        if (r < 0) {
                free(b->buf);
                memset(b, 0, sizeof(*b));
        }
        return r;
}

static int object_url(s3_registry *s, const char *key, const char *query, char *out, size_t outsz)
{
        int k;

        if (query)
                k = snprintf(out, outsz, "%s/?%s", s->base_url, query);
        else
                k = snprintf(out, outsz, "%s/%s%s%s", s->base_url, s->prefix, s->prefix[0] ? "/" : "", key);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

static int s3_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2];
        s3_request q = { .method = "GET", .what = key, .url = url, .max = CWS_RECORD_MAX, .is_get = true };
        s3_body b;
        int k;

        if (object_url(s, key, NULL, url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        k = s3_perform(s, &q, &b, err);
        if (k < 0)
                return k;
        if (!b.buf && !(b.buf = calloc(1, 1)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        *data = b.buf;
        *len = b.len;
        return 0;
}

static int object_key(s3_registry *s, const char *key, char *out, size_t outsz)
{
        int k = snprintf(out, outsz, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", key);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

/* One version's body: 0, -ENOENT (gone: NoSuchKey/NoSuchVersion), -EFBIG. */
static int get_version(s3_registry *s, const char *key, const char *objkey, const char *vid,
                       char **data, size_t *len, cws_error *err)
{
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2 + 3 * CWS_S3_VERSION_ID_MAX + 16];
        char enc[3 * CWS_S3_VERSION_ID_MAX + 1];
        s3_request q = { .method = "GET", .what = key, .url = url, .max = CWS_RECORD_MAX, .is_get = true };
        s3_body b;
        int k;

        if (cws_s3_uri_encode(vid, enc, sizeof(enc)) < 0 ||
            snprintf(url, sizeof(url), "%s/%s?versionId=%s", s->base_url, objkey, enc) >= (int)sizeof(url))
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        k = s3_perform(s, &q, &b, err);
        if (k < 0)
                return k;
        if (!b.buf && !(b.buf = calloc(1, 1)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        *data = b.buf;
        *len = b.len;
        return 0;
}

/* ListObjectVersions with the key as prefix, one page of at most
 * CWS_REGISTRY_VERSIONS_MAX + 1 entries: the store sorts by key, and the
 * key itself sorts before every longer key it is a prefix of, so its
 * versions come first; a page that is cut inside them means too many. */
static int s3_get_versions(cws_registry *r, const char *key, cws_registry_versions *v, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char objkey[CWS_KEY_MAX * 2], what[CWS_KEY_MAX + 16];
        char query[3 * CWS_KEY_MAX * 2 + 64], url[CWS_S3_URL_MAX + sizeof(query)];
        s3_request q = { .method = "GET", .what = what, .url = url, .max = CWS_S3_VERSIONS_BODY_MAX };
        const cws_s3_version_entry *mine[CWS_REGISTRY_VERSIONS_MAX];
        cws_s3_version_page p;
        size_t n = 0;
        s3_body b;
        int k;

        snprintf(what, sizeof(what), "versions of %s", key);
        if (object_key(s, key, objkey, sizeof(objkey)) < 0 ||
            cws_s3_versions_query(objkey, CWS_REGISTRY_VERSIONS_MAX + 1, query, sizeof(query)) < 0 ||
            object_url(s, NULL, query, url, sizeof(url)) < 0)
                return fail(s, &q, err, -ENAMETOOLONG, "query too long");
        if ((k = s3_perform(s, &q, &b, err)) < 0)
                return k;
        k = cws_s3_parse_versions(b.buf ? b.buf : "", b.len, &p, err);
        free(b.buf);
        if (k < 0) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", cws_error_message(err));
                return fail(s, &q, err, k, "%s", why);
        }
        for (size_t i = 0; i < p.n; i++) {
                if (strcmp(p.entries[i].key, objkey) != 0)
                        continue;
                if (n + v->delete_markers == CWS_REGISTRY_VERSIONS_MAX) {
                        k = -E2BIG;
                        break;
                }
                if (p.entries[i].delete_marker)
                        v->delete_markers++;
                else
                        mine[n++] = &p.entries[i];
        }
        if (k == 0 && p.truncated && p.n > 0 && !strcmp(p.entries[p.n - 1].key, objkey))
                k = -E2BIG;
        if (k < 0) {
                cws_s3_version_page_free(&p);
                return fail(s, &q, err, k, "refused: more than %d versions and delete markers (someone "
                            "is writing over this record)", CWS_REGISTRY_VERSIONS_MAX);
        }
        /* Oldest first: create-only means the first one is the original. */
        for (size_t i = n; i-- > 0;) {
                char *data = NULL;
                size_t len = 0;
                k = get_version(s, key, objkey, mine[i]->version_id, &data, &len, err);
                if (k == -ENOENT)
                        continue;       /* deleted since the listing: not locked, not ours */
                if (k == -EFBIG) {
                        v->data[v->n] = NULL;
                        v->len[v->n++] = 0;
                        continue;
                }
                if (k < 0)
                        break;
                v->data[v->n] = data;
                v->len[v->n++] = len;
                k = 0;
        }
        cws_s3_version_page_free(&p);
        return k < 0 && k != -ENOENT && k != -EFBIG ? k : 0;
}

static int put_object(s3_registry *s, const char *key, const void *data, size_t len,
                      const char *const extra[3], bool lock_put, cws_error *err)
{
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2];
        s3_request q = { .method = "PUT", .what = key, .url = url, .body = data, .body_len = len,
                         .max = CWS_S3_ERROR_BODY_MAX, .create_only = true, .lock_put = lock_put };
        s3_body b;
        int k;

        for (size_t i = 0; extra && i < 3; i++)
                q.extra[i] = extra[i];
        if (object_url(s, key, NULL, url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        k = s3_perform(s, &q, &b, err);
        free(b.buf);
        return k;
}

static int s3_put_create_only(cws_registry *r, const char *key, const void *data, size_t len,
                              cws_error *err)
{
        return put_object((s3_registry *)r, key, data, len, NULL, false, err);
}

static int no_lock_message(s3_registry *s, cws_error *err, const char *what)
{
        return cws_error_set(err, -ENOTSUP,
                             "registry %s: %s: the bucket %s has no S3 Object Lock, so anyone with "
                             "bucket credentials could delete a revocation, and [registry] "
                             "require_object_lock is on. Make a bucket with object lock, e.g. "
                             "'aws s3api create-bucket --bucket NAME --object-lock-enabled-for-bucket' "
                             "(add --endpoint-url https://HOST for Ceph RGW or MinIO), and point url "
                             "at it; see cws.conf(5)", s->base.url, what, s->bucket);
}

/* Create-only with a COMPLIANCE retention. S3 wants Content-MD5 with the
 * lock headers (RGW 16 takes them without; we always send it). */
static int s3_put_locked(cws_registry *r, const char *key, const void *data, size_t len,
                         int64_t retain_until, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char md5[64] = "Content-MD5: ", until[96] = "x-amz-object-lock-retain-until-date: ";
        const char *extra[3] = { md5, "x-amz-object-lock-mode: COMPLIANCE", until };
        time_t t = (time_t)retain_until;
        struct tm tm;
        size_t o;
        int k;

        if (retain_until <= 0 || !gmtime_r(&t, &tm) ||
            EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
                return cws_error_set(err, -EINVAL, "%s: cannot make the retention headers", key);
        o = strlen(md5);
        EVP_EncodeBlock((unsigned char *)md5 + o, md, (int)mdlen);
        o = strlen(until);
        if (strftime(until + o, sizeof(until) - o, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return cws_error_set(err, -EINVAL, "%s: cannot make the retention headers", key);
        k = put_object(s, key, data, len, extra, true, err);
        if (k != -ENOTSUP)
                return k;
        if (s->require_lock)
                return no_lock_message(s, err, key);
        /* require_object_lock = false: the administrator chose a bucket
         * without object lock; the record is still written, create-only. */
        return put_object(s, key, data, len, NULL, false, err);
}

static int s3_check_object_lock(cws_registry *r, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char url[CWS_S3_URL_MAX + 32];
        s3_request q = { .method = "GET", .what = "object lock", .url = url, .max = CWS_S3_ERROR_BODY_MAX,
                         .lock_query = true };
        s3_body b;
        bool enabled = false;
        int k;

        if (object_url(s, NULL, "object-lock=", url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "URL too long");
        k = s3_perform(s, &q, &b, err);
        if (k == -ENOTSUP)
                return no_lock_message(s, err, "object lock");
        if (k < 0)
                return k;
        k = cws_s3_parse_object_lock(b.buf ? b.buf : "", b.len, &enabled, err);
        free(b.buf);
        if (k < 0) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", cws_error_message(err));
                return fail(s, &q, err, k, "%s", why);
        }
        return enabled ? 0 : no_lock_message(s, err, "object lock");
}

/* Keeps the entries one level under objprefix/ as registry keys under
 * prefix; anything else in the bucket is not ours and is skipped. */
static int take_entries(const char *prefix, const char *objprefix, cws_s3_list_page *p,
                        char ***v, size_t *cnt, size_t *cap)
{
        size_t ol = strlen(objprefix);

        for (size_t i = 0; i < p->n; i++) {
                char *e = p->entries[i], key[CWS_KEY_MAX];
                size_t el = strlen(e);
                if (el > 0 && e[el - 1] == '/')
                        e[--el] = '\0';
                if (el <= ol + 1 || strncmp(e, objprefix, ol) != 0 || e[ol] != '/' || strchr(e + ol + 1, '/'))
                        continue;
                if (snprintf(key, sizeof(key), "%s/%s", prefix, e + ol + 1) >= (int)sizeof(key) ||
                    !cws_registry_key_valid(key))
                        continue;
                if (*cnt >= CWS_S3_LIST_TOTAL_MAX)
                        return -E2BIG;
                if (*cnt == *cap) {
                        size_t ncap = *cap ? *cap * 2 : 64;
                        char **nv = realloc(*v, ncap * sizeof(**v));
                        if (!nv)
                                return -ENOMEM;
                        *v = nv;
                        *cap = ncap;
                }
                if (!((*v)[*cnt] = strdup(key)))
                        return -ENOMEM;
                (*cnt)++;
        }
        return 0;
}

static int s3_list_from(cws_registry *r, const char *prefix, const char *after, char ***keys,
                        size_t *n, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char objprefix[CWS_KEY_MAX * 2], what[CWS_KEY_MAX + 8], start[CWS_KEY_MAX * 2];
        char query[10 * CWS_KEY_MAX + 4 * CWS_S3_TEXT_MAX], url[CWS_S3_URL_MAX + sizeof(query)];
        _cleanup_free_ char *token = NULL;
        char **v = NULL;
        size_t cnt = 0, cap = 0, out = 0;
        int k = 0;

        *keys = NULL;
        *n = 0;
        snprintf(what, sizeof(what), "list %s", prefix);
        if (snprintf(objprefix, sizeof(objprefix), "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", prefix) >=
            (int)sizeof(objprefix))
                return cws_error_set(err, -ENAMETOOLONG, "%s: prefix too long", prefix);
        /* after is prefix/NAME (checked by the caller): objprefix/NAME. */
        if (after && snprintf(start, sizeof(start), "%s%s", objprefix, after + strlen(prefix)) >=
                     (int)sizeof(start))
                return cws_error_set(err, -ENAMETOOLONG, "%s: key too long", after);
        for (unsigned page = 0;; page++) {
                s3_request q = { .method = "GET", .what = what, .url = url, .max = CWS_S3_LIST_PAGE_MAX };
                cws_s3_list_page p;
                s3_body b;
                if (page == CWS_S3_LIST_PAGES_MAX) {
                        k = fail(s, &q, err, -E2BIG, "refused: more than %u pages", CWS_S3_LIST_PAGES_MAX);
                        break;
                }
                if (cws_s3_list_query_after(objprefix, token, after ? start : NULL, query,
                                            sizeof(query)) < 0 ||
                    object_url(s, NULL, query, url, sizeof(url)) < 0) {
                        k = fail(s, &q, err, -ENAMETOOLONG, "query too long");
                        break;
                }
                if ((k = s3_perform(s, &q, &b, err)) < 0)
                        break;
                k = cws_s3_parse_list(b.buf ? b.buf : "", b.len, &p, err);
                free(b.buf);
                if (k < 0) {
                        char why[sizeof(err->msg)];
                        snprintf(why, sizeof(why), "%s", cws_error_message(err));
                        k = fail(s, &q, err, k, "%s", why);
                        break;
                }
                k = take_entries(prefix, objprefix, &p, &v, &cnt, &cap);
                if (k == 0 && p.truncated && token && !strcmp(token, p.next_token))
                        k = -ELOOP;
                free(token);
                token = p.truncated ? TAKE_PTR(p.next_token) : NULL;
                cws_s3_list_page_free(&p);
                if (k < 0) {
                        k = fail(s, &q, err, k, "%s", k == -ENOMEM ? "out of memory" : k == -ELOOP
                                 ? "the store repeats its continuation token" : "refused: too many keys");
                        break;
                }
                if (!token)
                        break;
        }
        if (k < 0) {
                cws_strv_free(v, cnt);
                return k;
        }
        if (cnt)
                cws_strv_sort(v, cnt);
        for (size_t i = 0; i < cnt; i++) {      /* a key and a "directory" of one name */
                /* A store that ignores start-after lists too much, never less. */
                if ((out > 0 && !strcmp(v[out - 1], v[i])) || (after && strcmp(v[i], after) <= 0)) {
                        free(v[i]);
                        continue;
                }
                v[out++] = v[i];
        }
        *keys = v;
        *n = out;
        return 0;
}

static int s3_list(cws_registry *r, const char *prefix, char ***keys, size_t *n, cws_error *err)
{
        return s3_list_from(r, prefix, NULL, keys, n, err);
}

static int s3_list_after(cws_registry *r, const char *prefix, const char *after, char ***keys,
                         size_t *n, cws_error *err)
{
        return s3_list_from(r, prefix, after, keys, n, err);
}

static void s3_free(cws_registry *r)
{
        s3_registry *s = (s3_registry *)r;

        if (s->curl)
                curl_easy_cleanup(s->curl);
        cws_wipe(s->secret, sizeof(s->secret));
        free(s->ca_pem);
        free(s);
}

static const struct cws_registry_ops s3_ops = {
        .get = s3_get,
        .put_create_only = s3_put_create_only,
        .list = s3_list,
        .list_after = s3_list_after,
        .free = s3_free,
        .get_versions = s3_get_versions,
        .put_locked = s3_put_locked,
        .check_object_lock = s3_check_object_lock,
};

/* credentials_text when given (its origin names it), else the file. */
static int load_credentials(s3_registry *s, const cws_s3_settings *set, cws_error *err)
{
        char *text = NULL;
        const char *path = set->credentials_file;
        size_t len = 0;
        int r;

        if (set->credentials_text) {
                const char *origin = set->credentials_origin && set->credentials_origin[0]
                        ? set->credentials_origin : "the registry credentials given";
                snprintf(s->cred_origin, sizeof(s->cred_origin), "%s", origin);
                return cws_s3_parse_credentials(set->credentials_text, origin, s->access, s->secret, err);
        }
        if (!path || !path[0])
                return cws_error_set(err, -EINVAL,
                                     "registry %s: set credentials_file in [registry] (a file with "
                                     "access_key_id and secret_access_key, mode 0600)", s->base.url);
        r = cws_file_read_checked(path, CREDENTIALS_FILE_MAX, CWS_FILE_SECRET | CWS_FILE_PARENTS,
                                  &text, &len, err);
        if (r < 0)
                return r;
        snprintf(s->cred_origin, sizeof(s->cred_origin), "the credentials file %s", path);
        if (strlen(text) != len)
                r = cws_error_set(err, -EINVAL, "%s: contains a NUL byte", path);
        else
                r = cws_s3_parse_credentials(text, path, s->access, s->secret, err);
        /* len, not strlen: a NUL byte must not end the wipe early. */
        cws_wipe(text, len);
        free(text);
        return r;
}

/* The CA certificates are read once, through the same owner, mode and
 * symlink checks as every other file we are named, and handed to curl as
 * bytes: curl never opens the path, so it cannot be swapped in between. */
static int load_ca_file(s3_registry *s, cws_error *err)
{
        cws_error why = { 0 };
        int r;

        if (!s->ca_file[0])
                return 0;
        r = cws_file_read_checked(s->ca_file, CA_FILE_MAX, CWS_FILE_PARENTS, &s->ca_pem,
                                  &s->ca_len, &why);
        if (r < 0)
                return cws_error_set(err, r, "registry ca_file %s", cws_error_message(&why));
        return 0;
}

int cws_registry_s3_open(const char *url, const cws_s3_settings *set, cws_registry **out,
                         cws_error *err)
{
        char bucket[CWS_S3_BUCKET_MAX];
        const char *region = set->region && set->region[0] ? set->region : "us-east-1";
        const char *endpoint = set->endpoint ? set->endpoint : "";
        s3_registry *s;
        int r;

        if (strlen(url) >= sizeof(s->base.url))
                return cws_error_set(err, -ENAMETOOLONG, "registry URL too long");
        s = calloc(1, sizeof(*s));
        if (!s)
                return cws_error_set(err, -ENOMEM, "out of memory");
        s->base.ops = &s3_ops;
        memcpy(s->base.url, url, strlen(url) + 1);
        s->timeout_ms = set->timeout_ms ? (long)set->timeout_ms : 5000;
        s->require_lock = set->require_object_lock;
        r = cws_s3_parse_url(url, bucket, s->prefix, err);
        if (r == 0)
                memcpy(s->bucket, bucket, sizeof(s->bucket));
        if (r == 0 && !cws_s3_region_valid(region))
                r = cws_error_set(err, -EINVAL, "registry region: must be 1 to 63 characters of a-z 0-9 -");
        if (r == 0 && endpoint[0])
                r = cws_s3_check_endpoint(endpoint, &s->plain_http, err);
        if (r == 0 && s->plain_http && ((set->pinned_keys && set->pinned_keys[0]) || (set->ca_file && set->ca_file[0])))
                r = cws_error_set(err, -EINVAL, "registry endpoint: pinned_keys and ca_file need https://");
        if (r == 0 && (cws_s3_base_url(endpoint, region, bucket, s->base_url, sizeof(s->base_url)) < 0 ||
                       cws_s3_sigv4_param(region, s->sigv4, sizeof(s->sigv4)) < 0 ||
                       snprintf(s->ca_file, sizeof(s->ca_file), "%s", set->ca_file ? set->ca_file : "") >=
                               (int)sizeof(s->ca_file) ||
                       snprintf(s->pins, sizeof(s->pins), "%s", set->pinned_keys ? set->pinned_keys : "") >=
                               (int)sizeof(s->pins)))
                r = cws_error_set(err, -ENAMETOOLONG, "registry settings too long");
        if (r == 0)
                r = load_ca_file(s, err);
        if (r == 0)
                r = load_credentials(s, set, err);
        if (r == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                r = cws_error_set(err, -EIO, "libcurl: cannot initialise");
        if (r == 0 && !(s->curl = curl_easy_init()))
                r = cws_error_set(err, -ENOMEM, "libcurl: cannot make a handle");
        if (r < 0) {
                s3_free(&s->base);
                return r;
        }
        *out = &s->base;
        return 0;
}
