/* The registry storage interface: get one key, create a key only if absent,
 * list keys under a prefix (never on the session path). Backends: file:
 * (registry_file.c) and s3: (registry_s3*.c); the key layout is the same on both:
 *   inv/<inv>/invitation            the signed invitation
 *   inv/<inv>/revoked               invitation revocation (create-only)
 *   inv/<inv>/slot/<n>/<gen>        device registration (create-only)
 *   inv/<inv>/device-revoked/<dev>  device revocation (create-only)
 *   notice/<us>-<random>            revocation notice (cws/notice.h)
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cws/error.h"

typedef struct cws_registry cws_registry;

/* Every stored version of one key, oldest first, as a versioned store
 * (S3 with object lock) keeps them; file: has at most one. A version whose
 * body is over CWS_RECORD_MAX has data NULL (present, never a record).
 * Delete markers are counted, never read. */
#define CWS_REGISTRY_VERSIONS_MAX 8
typedef struct cws_registry_versions {
        size_t n;
        char *data[CWS_REGISTRY_VERSIONS_MAX];
        size_t len[CWS_REGISTRY_VERSIONS_MAX];
        unsigned delete_markers;
} cws_registry_versions;

struct cws_registry_ops {
        int (*get)(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err);
        int (*put_create_only)(cws_registry *r, const char *key, const void *data, size_t len,
                               cws_error *err);
        int (*list)(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                    cws_error *err);
        void (*free)(cws_registry *r);
        /* Optional (NULL: the store keeps one version; get and
         * put_create_only stand in). */
        int (*get_versions)(cws_registry *r, const char *key, cws_registry_versions *v,
                            cws_error *err);
        int (*put_locked)(cws_registry *r, const char *key, const void *data, size_t len,
                          int64_t retain_until, cws_error *err);
        int (*check_object_lock)(cws_registry *r, cws_error *err);
        /* The keys under prefix that sort after `after` (NULL: list
         * then filter), in one request where the store can. */
        int (*list_after)(cws_registry *r, const char *prefix, const char *after, char ***keys,
                          size_t *n, cws_error *err);
};

struct cws_registry {
        const struct cws_registry_ops *ops;
        char url[4096];
};

#define CWS_KEY_MAX 256

/* "file:///path" (or a plain absolute path). -EPROTONOSUPPORT for an
 * unknown scheme. */
int cws_registry_open(const char *url, cws_registry **out, cws_error *err);
void cws_registry_free(cws_registry *r);

/* Keys are checked (cws_registry_key_valid) before any backend sees them.
 * get: -ENOENT when absent; records over CWS_RECORD_MAX are -EFBIG. */
int cws_registry_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err);
/* -EEXIST when the key exists: the basis of max_devices. */
int cws_registry_put_create_only(cws_registry *r, const char *key, const void *data, size_t len,
                                 cws_error *err);
int cws_registry_list(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                      cws_error *err);
/* The keys under prefix that sort (strcmp) after `after`, a key under
 * prefix; sorted. On s3: one listing with start-after. */
int cws_registry_list_after(cws_registry *r, const char *prefix, const char *after, char ***keys,
                            size_t *n, cws_error *err);

/* All versions of key (for revocations: a version put over a revocation,
 * or a delete marker, must not hide it). 0 with v->n == 0 and no marker
 * when the key was never written; -E2BIG when the store holds more than
 * CWS_REGISTRY_VERSIONS_MAX versions and markers of it. Free with
 * cws_registry_versions_free. */
int cws_registry_get_versions(cws_registry *r, const char *key, cws_registry_versions *v,
                              cws_error *err);
void cws_registry_versions_free(cws_registry_versions *v);
/* Create-only, and where the store has S3 Object Lock, retained in
 * COMPLIANCE mode until retain_until (UTC seconds): no credential can
 * delete or shorten it before then. file: is put_create_only. */
int cws_registry_put_locked(cws_registry *r, const char *key, const void *data, size_t len,
                            int64_t retain_until, cws_error *err);
/* 0 when the store has object lock enabled; -EOPNOTSUPP for a backend
 * without the notion (file:), -ENOTSUP (with how to make one) for a bucket
 * without it. */
int cws_registry_check_object_lock(cws_registry *r, cws_error *err);

/* [A-Za-z0-9._-] segments separated by '/', no empty, "." or ".." segment. */
bool cws_registry_key_valid(const char *key);

int cws_key_invitation(char out[CWS_KEY_MAX], const char *inv);
int cws_key_invitation_revoked(char out[CWS_KEY_MAX], const char *inv);
int cws_key_slot(char out[CWS_KEY_MAX], const char *inv, unsigned slot, unsigned gen);
int cws_key_device_revoked(char out[CWS_KEY_MAX], const char *inv, const char *dev);

void cws_strv_free(char **v, size_t n);
/* Sorts v[0..n) by strcmp (listings are returned sorted). */
void cws_strv_sort(char **v, size_t n);

/* Backend constructors (registry_file.c, ...). */
int cws_registry_file_open(const char *path, cws_registry **out, cws_error *err);

/* s3: settings, from the [registry] section (registry_s3.c). Empty strings
 * mean: AWS for endpoint, us-east-1 for region, the system CA store for
 * ca_file, no pins. The credentials are credentials_text when it is set
 * (the administrators' tools take it from their keychain), else the file. */
typedef struct cws_s3_settings {
        const char *endpoint;           /* https://HOST[:PORT], http:// on loopback only */
        const char *region;
        const char *credentials_file;   /* required without credentials_text; owner root/cws, mode 0600 */
        const char *credentials_text;   /* the same lines as the file; NULL = read the file */
        const char *credentials_origin; /* names credentials_text in messages */
        const char *ca_file;
        const char *pinned_keys;        /* "sha256//...;sha256//..." */
        unsigned timeout_ms;            /* connect and whole request */
        bool require_object_lock;       /* put_locked never falls back to an unlocked put */
} cws_s3_settings;

/* "s3://BUCKET[/PREFIX]". The backend keeps one libcurl handle, so a
 * long-lived opener (cwsd) reuses its TLS connection. Besides -ENOENT (get),
 * -EEXIST (put) and -EFBIG (over a bound), failures are logged into err with
 * a distinct message and errno: -EKEYREJECTED pin mismatch, -EBADE bad
 * certificate (expired, wrong host, unknown CA), -EPROTO TLS or HTTP
 * protocol failure, -EACCES 403, -ETIME clock skew, -ENXIO no such bucket,
 * -EREMOTEIO 5xx, -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -EBADMSG
 * malformed listing. None of them ever reads as a record. */
int cws_registry_s3_open(const char *url, const cws_s3_settings *s, cws_registry **out,
                         cws_error *err);

/* Opens cfg's registry_url with cfg's backend settings (registry_open.c).
 * Kept out of registry.c so that a program using only registry.c (keys,
 * dispatch, file:) does not pull the s3: backend and libcurl in. pam_cws.so
 * links neither (docs/design.md §2.5). */
struct cws_config;
int cws_registry_open_config(const struct cws_config *cfg, cws_registry **out, cws_error *err);
/* The same, for an s3: registry with credentials_text (and its origin, for
 * messages) instead of cfg's credentials_file; NULL text = the file. The
 * caller keeps and wipes the text; the registry keeps only the parsed key,
 * wiped when it is freed. */
int cws_registry_open_config_credentials(const struct cws_config *cfg, const char *credentials_text,
                                         const char *credentials_origin, cws_registry **out,
                                         cws_error *err);
/* [registry] require_object_lock for an s3: registry: 0 when it is off,
 * when the registry is not s3:, or when the bucket has object lock; else
 * the refusal of cws_registry_check_object_lock. */
int cws_registry_require_object_lock(const struct cws_config *cfg, cws_registry *r, cws_error *err);

#include "cws/record.h"
/* get + cws_record_unseal: the payload of a record of the expected kind
 * and the key that signed it (which the caller must still judge). */
int cws_registry_get_record(cws_registry *r, const char *key, cws_record_kind kind,
                            uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err);
