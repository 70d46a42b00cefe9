/* s3: the versioned side of the backend (a bucket with Object Lock keeps
 * versions): a record's versions (ListObjectVersions, then each version
 * oldest first), create-only as "the oldest version" where the store
 * ignores If-None-Match (Ceph RGW), create-only PUTs with a COMPLIANCE
 * retention, and the bucket's lock configuration. */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry_s3_private.h"

/* One version's body: 0, -ENOENT (gone: NoSuchKey/NoSuchVersion), -EFBIG. */
static int get_version(s3_registry *s, const char *key, const char *objkey, const char *vid,
                       char **data, size_t *len, cws_error *err)
{
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2 + 3 * CWS_S3_VERSION_ID_MAX + 16];
        char enc[3 * CWS_S3_VERSION_ID_MAX + 1];

        if (cws_s3_uri_encode(vid, enc, sizeof(enc)) < 0 ||
            snprintf(url, sizeof(url), "%s/%s?versionId=%s", s->base_url, objkey, enc) >= (int)sizeof(url))
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        return s3_get_url(s, key, url, data, len, NULL, err);
}

/* ListObjectVersions with the key as prefix, one page of at most
 * CWS_REGISTRY_VERSIONS_MAX + 1 entries: the store sorts by key, and the
 * key itself sorts before every longer key it is a prefix of, so its
 * versions come first, newest first; a page that is cut inside them means
 * too many. p holds them among longer keys'; objkey is the key's name. */
static int list_versions(s3_registry *s, const char *key, char objkey[CWS_KEY_MAX * 2],
                         cws_s3_version_page *p, cws_error *err)
{
        char what[CWS_KEY_MAX + 16];
        char query[3 * CWS_KEY_MAX * 2 + 64], url[CWS_S3_URL_MAX + sizeof(query)];
        s3_request q = { .method = "GET", .what = what, .url = url, .max = CWS_S3_VERSIONS_BODY_MAX };
        size_t mine = 0;
        s3_body b;
        int k;

        snprintf(what, sizeof(what), "versions of %s", key);
        if (s3_object_key(s, key, objkey, CWS_KEY_MAX * 2) < 0 ||
            cws_s3_versions_query(objkey, CWS_REGISTRY_VERSIONS_MAX + 1, query, sizeof(query)) < 0 ||
            s3_object_url(s, NULL, query, url, sizeof(url)) < 0)
                return s3_fail(s, &q, err, -ENAMETOOLONG, "query too long");
        if ((k = s3_perform(s, &q, &b, err)) < 0)
                return k;
        k = cws_s3_parse_versions(b.buf ? b.buf : "", b.len, p, err);
        free(b.buf);
        if (k < 0)
                return s3_fail_parsed(s, &q, err, k);
        for (size_t i = 0; i < p->n; i++)
                mine += !strcmp(p->entries[i].key, objkey);
        if (mine > CWS_REGISTRY_VERSIONS_MAX ||
            (p->truncated && p->n > 0 && !strcmp(p->entries[p->n - 1].key, objkey))) {
                cws_s3_version_page_free(p);
                return s3_fail(s, &q, err, -E2BIG, "refused: more than %d versions and delete markers "
                               "(someone is writing over this record)", CWS_REGISTRY_VERSIONS_MAX);
        }
        return 0;
}

int s3_get_versions(cws_registry *r, const char *key, cws_registry_versions *v, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        const cws_s3_version_entry *mine[CWS_REGISTRY_VERSIONS_MAX];
        char objkey[CWS_KEY_MAX * 2];
        cws_s3_version_page p;
        size_t n = 0;
        int k = list_versions(s, key, objkey, &p, err);

        if (k < 0)
                return k;
        for (size_t i = 0; i < p.n; i++) {
                if (strcmp(p.entries[i].key, objkey) != 0)
                        continue;
                if (p.entries[i].delete_marker)
                        v->delete_markers++;
                else
                        mine[n++] = &p.entries[i];
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

/* "" or "null" (versioning suspended): the bucket keeps one object per key. */
static bool versioned(const char *vid)
{
        return vid[0] && strcmp(vid, "null") != 0;
}

/* The oldest version of key that is not a delete marker, "" if none. */
static int oldest_version(s3_registry *s, const char *key, char vid[CWS_S3_VERSION_ID_MAX],
                          cws_error *err)
{
        char objkey[CWS_KEY_MAX * 2];
        cws_s3_version_page p;
        int k = list_versions(s, key, objkey, &p, err);

        if (k < 0)
                return k;
        vid[0] = '\0';
        for (size_t i = 0; i < p.n; i++)        /* newest first: the last one found is the oldest */
                if (!strcmp(p.entries[i].key, objkey) && !p.entries[i].delete_marker)
                        memcpy(vid, p.entries[i].version_id, strlen(p.entries[i].version_id) + 1);
        cws_s3_version_page_free(&p);
        return 0;
}

int s3_create_only_check(s3_registry *s, const char *key, const char *ours, cws_error *err)
{
        char oldest[CWS_S3_VERSION_ID_MAX];
        int k;

        if (!versioned(ours))
                return 0;
        k = oldest_version(s, key, oldest, err);
        if (k < 0)
                return k;
        if (!strcmp(oldest, ours))
                return 0;
        if (!oldest[0])
                return cws_error_set(err, -EPROTO, "registry %s: PUT %s: the version just written "
                                     "is not in the store's listing; try again", s->base.url, key);
        /* Another writer's version came first: ours stays, unread. */
        return cws_error_set(err, -EEXIST, "%s: already exists", key);
}

int s3_keep_oldest(s3_registry *s, const char *key, const char *served, char **data, size_t *len,
                   cws_error *err)
{
        char oldest[CWS_S3_VERSION_ID_MAX], objkey[CWS_KEY_MAX * 2];
        char *odata = NULL;
        size_t olen = 0;
        int k;

        if (!versioned(served))
                return 0;
        k = oldest_version(s, key, oldest, err);
        if (k == 0 && !strcmp(oldest, served))
                return 0;
        if (k == 0 && !oldest[0])
                k = cws_error_set(err, -EPROTO, "registry %s: GET %s: the version served is not in "
                                  "the store's listing; try again", s->base.url, key);
        if (k == 0 && s3_object_key(s, key, objkey, sizeof(objkey)) < 0)
                k = cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        if (k == 0)
                k = get_version(s, key, objkey, oldest, &odata, &olen, err);
        /* Gone since the listing: someone deletes versions; never "absent". */
        if (k == -ENOENT)
                k = cws_error_set(err, -EPROTO, "registry %s: GET %s: the oldest version went away "
                                  "while read; try again", s->base.url, key);
        free(*data);
        *data = NULL;
        *len = 0;
        if (k < 0)
                return k;
        *data = odata;
        *len = olen;
        return 0;
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
int s3_put_locked(cws_registry *r, const char *key, const void *data, size_t len,
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
        k = s3_put_object(s, key, data, len, extra, true, err);
        if (k != -ENOTSUP)
                return k;
        if (s->require_lock)
                return no_lock_message(s, err, key);
        /* require_object_lock = false: the administrator chose a bucket
         * without object lock; the record is still written, create-only. */
        return s3_put_object(s, key, data, len, NULL, false, err);
}

int s3_check_object_lock(cws_registry *r, cws_error *err)
{
        s3_registry *s = (s3_registry *)r;
        char url[CWS_S3_URL_MAX + 32];
        s3_request q = { .method = "GET", .what = "object lock", .url = url, .max = CWS_S3_ERROR_BODY_MAX,
                         .lock_query = true };
        s3_body b;
        bool enabled = false;
        int k;

        if (s3_object_url(s, NULL, "object-lock=", url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "URL too long");
        k = s3_perform(s, &q, &b, err);
        if (k == -ENOTSUP)
                return no_lock_message(s, err, "object lock");
        if (k < 0)
                return k;
        k = cws_s3_parse_object_lock(b.buf ? b.buf : "", b.len, &enabled, err);
        free(b.buf);
        if (k < 0)
                return s3_fail_parsed(s, &q, err, k);
        return enabled ? 0 : no_lock_message(s, err, "object lock");
}
