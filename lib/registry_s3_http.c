/* s3: the transport: one bounded request through libcurl with SigV4, TLS
 * 1.2+ with CA check and optional public-key pins (tls_policy.c), bounded
 * timeouts and response sizes, no redirects, and every way a request can
 * fail turned into its own errno and message, never into a record. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cws/cleanup.h"
#include "cws/record.h"
#include "cws/tls_policy.h"
#include "registry_s3_private.h"

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

/* x-amz-version-id: the version a versioned bucket made or served. Only
 * printable bytes without space are kept; anything else leaves it empty. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
        static const char name[] = "x-amz-version-id:";
        s3_body *b = ud;
        size_t n = size * nmemb, nl = sizeof(name) - 1, i, e;

        if (n <= nl || strncasecmp(data, name, nl) != 0)
                return n;
        for (i = nl; i < n && (data[i] == ' ' || data[i] == '\t'); i++)
                ;
        for (e = n; e > i && (data[e - 1] == '\r' || data[e - 1] == '\n' || data[e - 1] == ' '); e--)
                ;
        b->version_id[0] = '\0';
        if (e - i == 0 || e - i >= sizeof(b->version_id))
                return n;
        for (size_t k = i; k < e; k++)
                if (data[k] <= ' ' || data[k] >= 0x7f)
                        return n;
        memcpy(b->version_id, data + i, e - i);
        b->version_id[e - i] = '\0';
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

int s3_fail(s3_registry *s, const s3_request *q, cws_error *err, int code, const char *fmt, ...)
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
                return s3_fail(s, q, err, -EKEYREJECTED,
                               "public key pin mismatch: the server's key is in no pin of pinned_keys "
                               "(interception, or a rotated key not pinned yet)");
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
                curl_easy_getinfo(s->curl, CURLINFO_SSL_VERIFYRESULT, &verify);
                if (verify == 10 /* X509_V_ERR_CERT_HAS_EXPIRED */ || verify == 9 /* NOT_YET_VALID */)
                        return s3_fail(s, q, err, -EBADE, "the server's certificate is expired or not yet valid (%s)",
                                       detail);
                if (strstr(detail, "subject name") || strstr(detail, "host name"))
                        return s3_fail(s, q, err, -EBADE, "the server's certificate is for another host (%s)", detail);
                return s3_fail(s, q, err, -EBADE, "the server's certificate is not trusted (%s); check ca_file",
                               detail);
        case CURLE_SSL_CACERT_BADFILE:
                return s3_fail(s, q, err, -EBADE, "cannot use ca_file %s (%s)", s->ca_file, detail);
        case CURLE_SSL_CONNECT_ERROR:
                return s3_fail(s, q, err, -EPROTO, "TLS handshake failed (%s)", detail);
        case CURLE_OPERATION_TIMEDOUT:
                return s3_fail(s, q, err, -ETIMEDOUT, "no answer within %ld ms (registry timeout)", s->timeout_ms);
        case CURLE_COULDNT_CONNECT:
                return s3_fail(s, q, err, -ECONNREFUSED, "cannot connect (%s)", detail);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return s3_fail(s, q, err, -EHOSTUNREACH, "cannot resolve the host (%s)", detail);
        case CURLE_FILESIZE_EXCEEDED:
                return s3_fail(s, q, err, -EFBIG, "refused: the response is over %zu bytes", q->max);
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:        /* "Received HTTP/0.9" */
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_BAD_CONTENT_ENCODING:
                return s3_fail(s, q, err, -EPROTO, "malformed or cut HTTP response (%s)", detail);
        case CURLE_OUT_OF_MEMORY:
                return s3_fail(s, q, err, -ENOMEM, "out of memory");
        default:
                return s3_fail(s, q, err, -EIO, "%s", detail);
        }
}

static int status_failure(s3_registry *s, const s3_request *q, long status, const s3_body *b,
                          cws_error *err)
{
        char code[64] = "";

        if (b->buf)
                cws_s3_parse_error_code(b->buf, b->len, code, sizeof(code));
        if (status == 404 && !strcmp(code, "NoSuchBucket"))
                return s3_fail(s, q, err, -ENXIO, "the bucket does not exist");
        /* Only the store's own NoSuchKey says a record is absent (for a
         * revocation: not revoked); any other 404 is not an answer. */
        if (status == 404 && q->is_get && (!strcmp(code, "NoSuchKey") || !strcmp(code, "NoSuchVersion")))
                return cws_error_set(err, -ENOENT, "%s: no such record", q->what);
        if ((status == 404 && q->lock_query && !strcmp(code, "ObjectLockConfigurationNotFoundError")) ||
            (status == 400 && q->lock_put && !strcmp(code, "InvalidRequest")))
                return s3_fail(s, q, err, -ENOTSUP, "the bucket has no object lock (%s)", code);
        if (status == 404)
                return s3_fail(s, q, err, -EPROTO, "HTTP 404 without NoSuchKey (%s): not the store's answer; "
                               "check endpoint and proxies", code[0] ? code : "no S3 error code");
        if (status == 412 && q->create_only)
                return cws_error_set(err, -EEXIST, "%s: already exists", q->what);
        if (status == 403 && !strcmp(code, "RequestTimeTooSkewed"))
                return s3_fail(s, q, err, -ETIME,
                               "refused for clock skew: this host's clock and the store's differ by more "
                               "than 15 minutes; fix time synchronisation");
        if (status == 403 && (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "InvalidAccessKeyId")))
                return s3_fail(s, q, err, -EACCES,
                               "access denied (%s): check access_key_id and secret_access_key in %s",
                               code, s->cred_origin);
        if (status == 401 || status == 403)
                return s3_fail(s, q, err, -EACCES, "access denied (HTTP %ld%s%s)", status, code[0] ? " " : "", code);
        if (status == 409 && q->create_only)
                return s3_fail(s, q, err, -EBUSY, "another writer is creating this key; try again");
        if (status >= 300 && status < 400)
                return s3_fail(s, q, err, -EPROTO, "refused a redirect (HTTP %ld); set endpoint to the right "
                               "address", status);
        if (status >= 500 || status == 429)
                return s3_fail(s, q, err, -EREMOTEIO, "the store failed (HTTP %ld%s%s)", status,
                               code[0] ? " " : "", code);
        return s3_fail(s, q, err, -EPROTO, "unexpected HTTP status %ld%s%s", status, code[0] ? " " : "", code);
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
        bad |= (int)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        bad |= (int)curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
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

int s3_perform(s3_registry *s, const s3_request *q, s3_body *b, cws_error *err)
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
                return s3_fail(s, q, err, r, "cannot set up the request (libcurl %s)", curl_version());
        }
        c = curl_easy_perform(s->curl);
        curl_slist_free_all(hdrs);
        curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        if (c == CURLE_WRITE_ERROR && b->too_big && status >= 200 && status < 300)
                r = s3_fail(s, q, err, -EFBIG, "refused: the response is over %zu bytes", q->max);
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

int s3_object_url(s3_registry *s, const char *key, const char *query, char *out, size_t outsz)
{
        int k;

        if (query)
                k = snprintf(out, outsz, "%s/?%s", s->base_url, query);
        else
                k = snprintf(out, outsz, "%s/%s%s%s", s->base_url, s->prefix, s->prefix[0] ? "/" : "", key);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

int s3_fail_parsed(s3_registry *s, const s3_request *q, cws_error *err, int code)
{
        char why[sizeof(err->msg)];

        snprintf(why, sizeof(why), "%s", cws_error_message(err));
        return s3_fail(s, q, err, code, "%s", why);
}

int s3_object_key(s3_registry *s, const char *key, char *out, size_t outsz)
{
        int k = snprintf(out, outsz, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", key);
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

int s3_get_url(s3_registry *s, const char *key, const char *url, char **data, size_t *len,
               char vid[CWS_S3_VERSION_ID_MAX], cws_error *err)
{
        s3_request q = { .method = "GET", .what = key, .url = url, .max = CWS_RECORD_MAX, .is_get = true };
        s3_body b;
        int k = s3_perform(s, &q, &b, err);

        if (k < 0)
                return k;
        if (!b.buf && !(b.buf = calloc(1, 1)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        *data = b.buf;
        *len = b.len;
        if (vid)
                memcpy(vid, b.version_id, sizeof(b.version_id));
        return 0;
}

int s3_put_object(s3_registry *s, const char *key, const void *data, size_t len,
                  const char *const extra[3], bool lock_put, cws_error *err)
{
        char url[CWS_S3_URL_MAX + CWS_KEY_MAX * 2];
        s3_request q = { .method = "PUT", .what = key, .url = url, .body = data, .body_len = len,
                         .max = CWS_S3_ERROR_BODY_MAX, .create_only = true, .lock_put = lock_put };
        s3_body b;
        int k;

        for (size_t i = 0; extra && i < 3; i++)
                q.extra[i] = extra[i];
        if (s3_object_url(s, key, NULL, url, sizeof(url)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: URL too long", key);
        k = s3_perform(s, &q, &b, err);
        free(b.buf);
        if (k < 0)
                return k;
        return s3_create_only_check(s, key, b.version_id, err);
}
