/* s3: backend, shared between its files and nothing else: the open
 * registry (registry_s3.c), the curl transport (registry_s3_http.c) and the
 * Object Lock operations (registry_s3_lock.c). The pure parts are in the
 * public cws/registry_s3.h. */
#pragma once
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cws/error.h"
#include "cws/registry.h"
#include "cws/registry_s3.h"

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

/* A response body, bounded by max. */
typedef struct s3_body {
        char *buf;
        size_t len, cap, max;
        bool too_big;
        char version_id[CWS_S3_VERSION_ID_MAX];  /* "" when the answer names none */
} s3_body;

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

/* "registry URL: METHOD WHAT: why", with code. */
int s3_fail(s3_registry *s, const s3_request *q, cws_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* The same around the message a parser left in err (for a bad body). */
int s3_fail_parsed(s3_registry *s, const s3_request *q, cws_error *err, int code);

/* One request: 0 with the body (2xx), or a negative errno and a message. */
int s3_perform(s3_registry *s, const s3_request *q, s3_body *b, cws_error *err);

/* BASE/PREFIX/key, or BASE/?query when query is given. */
int s3_object_url(s3_registry *s, const char *key, const char *query, char *out, size_t outsz);

/* PREFIX/key, the object's name in the bucket. */
int s3_object_key(s3_registry *s, const char *key, char *out, size_t outsz);

/* GET url, the object key: 0 and the body (never NULL), -ENOENT when the
 * store says NoSuchKey/NoSuchVersion, -EFBIG over CWS_RECORD_MAX. vid (may
 * be NULL) gets the version the store served, "" when it names none. */
int s3_get_url(s3_registry *s, const char *key, const char *url, char **data, size_t *len,
               char vid[CWS_S3_VERSION_ID_MAX], cws_error *err);

/* PUT with If-None-Match: * and the extra headers (up to 3, NULL-ended);
 * on a versioned bucket also s3_create_only_check(). */
int s3_put_object(s3_registry *s, const char *key, const void *data, size_t len,
                  const char *const extra[3], bool lock_put, cws_error *err);

/* Create-only on a versioned bucket (registry_s3_lock.c). Ceph RGW ignores
 * If-None-Match: * there and every PUT makes a version, so the record is
 * the oldest version: a PUT that made version ours (from the answer; ""
 * or "null": not versioned, nothing to do) is -EEXIST unless ours is the
 * oldest. */
int s3_create_only_check(s3_registry *s, const char *key, const char *ours, cws_error *err);
/* After a GET that served version served: replaces *data and *len with
 * the oldest version when the bucket is versioned and they differ. */
int s3_keep_oldest(s3_registry *s, const char *key, const char *served, char **data, size_t *len,
                   cws_error *err);

/* The Object Lock operations (registry_s3_lock.c). */
int s3_get_versions(cws_registry *r, const char *key, cws_registry_versions *v, cws_error *err);
int s3_put_locked(cws_registry *r, const char *key, const void *data, size_t len,
                  int64_t retain_until, cws_error *err);
int s3_check_object_lock(cws_registry *r, cws_error *err);
