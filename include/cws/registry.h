/* The registry storage interface: get one key, create a key only if absent,
 * list keys under a prefix (never on the session path). Backends: file:
 * (registry_file.c) and s3: (registry_s3.c); the key layout is the same on both:
 *   inv/<inv>/invitation            the signed invitation
 *   inv/<inv>/revoked               invitation revocation (create-only)
 *   inv/<inv>/slot/<n>/<gen>        device registration (create-only)
 *   inv/<inv>/device-revoked/<dev>  device revocation (create-only)
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "cws/error.h"

typedef struct cws_registry cws_registry;

struct cws_registry_ops {
        int (*get)(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err);
        int (*put_create_only)(cws_registry *r, const char *key, const void *data, size_t len,
                               cws_error *err);
        int (*list)(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                    cws_error *err);
        void (*free)(cws_registry *r);
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

/* [A-Za-z0-9._-] segments separated by '/', no empty, "." or ".." segment. */
bool cws_registry_key_valid(const char *key);

int cws_key_invitation(char out[CWS_KEY_MAX], const char *inv);
int cws_key_invitation_revoked(char out[CWS_KEY_MAX], const char *inv);
int cws_key_slot(char out[CWS_KEY_MAX], const char *inv, unsigned slot, unsigned gen);
int cws_key_device_revoked(char out[CWS_KEY_MAX], const char *inv, const char *dev);

void cws_strv_free(char **v, size_t n);

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
 * Kept out of registry.c so that pam_cws.so, which uses registry.c's key
 * helpers, never pulls libcurl in. */
struct cws_config;
int cws_registry_open_config(const struct cws_config *cfg, cws_registry **out, cws_error *err);
/* The same, for an s3: registry with credentials_text (and its origin, for
 * messages) instead of cfg's credentials_file; NULL text = the file. The
 * caller keeps and wipes the text; the registry keeps only the parsed key,
 * wiped when it is freed. */
int cws_registry_open_config_credentials(const struct cws_config *cfg, const char *credentials_text,
                                         const char *credentials_origin, cws_registry **out,
                                         cws_error *err);

#include "cws/record.h"
/* get + cws_record_unseal: the payload of a record of the expected kind
 * and the key that signed it (which the caller must still judge). */
int cws_registry_get_record(cws_registry *r, const char *key, cws_record_kind kind,
                            uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err);
