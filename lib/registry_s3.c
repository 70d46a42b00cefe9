/* s3: backend — any S3-compatible store (AWS, Ceph RGW, MinIO). The store
 * is untrusted: records are signed, and every way a request can fail is
 * its own error, never a record. Create-only is PUT with If-None-Match: *.
 * Here: the opener, reading and listing; the request pieces are in
 * registry_s3_sign.c, the XML reader in registry_s3_xml.c, the transport in
 * registry_s3_http.c and the Object Lock operations in registry_s3_lock.c. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/cleanup.h"
#include "cws/crypto.h"
#include "cws/safe_file.h"
#include "registry_s3_private.h"

#define CREDENTIALS_FILE_MAX 4096
#define CA_FILE_MAX (1024 * 1024)

static int s3_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2], vid[CWS_S3_VERSION_ID_MAX];
        int k;

        if (s3_object_url(s, key, NULL, url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        k = s3_get_url(s, key, url, data, len, vid, err);
        if (k < 0)
                return k;
        return s3_keep_oldest(s, key, vid, data, len, err);
}

static int s3_put_create_only(cws_registry *r, const char *key, const void *data, size_t len,
                              cws_error *err)
{
        return s3_put_object((s3_registry *)r, key, data, len, NULL, false, err);
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
                        k = s3_fail(s, &q, err, -E2BIG, "refused: more than %u pages", CWS_S3_LIST_PAGES_MAX);
                        break;
                }
                if (cws_s3_list_query_after(objprefix, token, after ? start : NULL, query,
                                            sizeof(query)) < 0 ||
                    s3_object_url(s, NULL, query, url, sizeof(url)) < 0) {
                        k = s3_fail(s, &q, err, -ENAMETOOLONG, "query too long");
                        break;
                }
                if ((k = s3_perform(s, &q, &b, err)) < 0)
                        break;
                k = cws_s3_parse_list(b.buf ? b.buf : "", b.len, &p, err);
                free(b.buf);
                if (k < 0) {
                        k = s3_fail_parsed(s, &q, err, k);
                        break;
                }
                k = take_entries(prefix, objprefix, &p, &v, &cnt, &cap);
                if (k == 0 && p.truncated && token && !strcmp(token, p.next_token))
                        k = -ELOOP;
                free(token);
                token = p.truncated ? TAKE_PTR(p.next_token) : NULL;
                cws_s3_list_page_free(&p);
                if (k < 0) {
                        k = s3_fail(s, &q, err, k, "%s", k == -ENOMEM ? "out of memory" : k == -ELOOP
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
