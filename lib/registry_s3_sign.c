/* s3: what a request is made of before curl sends it: the s3: URL, the
 * endpoint and region from the config file, the SigV4 pieces curl does not
 * build itself (the sorted, encoded query and x-amz-content-sha256), and
 * the credentials file. Pure code, unit-tested and fuzzed without a server. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/crypto.h"
#include "cws/hex.h"
#include "cws/registry.h"
#include "cws/registry_s3.h"

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
