/* s3: registry backend (lib/registry_s3*.c). The opener is declared in
 * registry.h; these are its pure parts, exposed so the unit tests and the
 * fuzz targets can drive them without a server: URL, endpoint and
 * credentials parsing and the SigV4 pieces we build ourselves (curl 7.88
 * neither sorts nor encodes the query and does not send
 * x-amz-content-sha256), in registry_s3_sign.c; the ListObjectsV2,
 * ListObjectVersions, object lock and error-body parsers, which read
 * untrusted bytes, in registry_s3_xml.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "cws/error.h"
#include "cws/registry.h"

#define CWS_S3_BUCKET_MAX 64                     /* 3..63 characters + NUL */
#define CWS_S3_REGION_MAX 64
#define CWS_S3_URL_MAX 1024
#define CWS_S3_CRED_MAX 256                      /* access key or secret + NUL */
#define CWS_S3_LIST_PAGE_MAX (4u * 1024 * 1024)  /* bytes of one ListObjectsV2 page */
#define CWS_S3_LIST_PAGE_KEYS 10000              /* entries in one page */
#define CWS_S3_LIST_PAGES_MAX 2000               /* pages in one listing */
#define CWS_S3_LIST_TOTAL_MAX 1000000            /* keys in one listing */
#define CWS_S3_TEXT_MAX 1024                     /* decoded text of one element */
#define CWS_S3_ERROR_BODY_MAX (16u * 1024)       /* what we read of an error body */
#define CWS_S3_VERSIONS_BODY_MAX (64u * 1024)    /* one ListObjectVersions answer */
#define CWS_S3_VERSIONS_PAGE_KEYS 64             /* versions and markers in it */
#define CWS_S3_VERSION_ID_MAX 1024               /* bytes of a VersionId + NUL */

/* "s3://BUCKET[/PREFIX]": bucket 3..63 of [a-z0-9.-]; PREFIX a registry
 * key (cws_registry_key_valid), a trailing '/' allowed. */
int cws_s3_parse_url(const char *url, char bucket[CWS_S3_BUCKET_MAX], char prefix[CWS_KEY_MAX],
                     cws_error *err);

/* "https://HOST[:PORT][/]", or "http://" only when HOST is loopback
 * (127.0.0.0/8, [::1], localhost). No user, path, query or fragment. */
int cws_s3_check_endpoint(const char *endpoint, bool *plain_http, cws_error *err);

/* [a-z0-9-], 1..63 characters. */
bool cws_s3_region_valid(const char *region);

/* Objects live at BASE/OBJECT: path style on an endpoint ("ENDPOINT/BUCKET"),
 * else virtual-hosted AWS ("https://BUCKET.s3.REGION.amazonaws.com"; path
 * style for a bucket with dots, which no wildcard certificate covers). */
int cws_s3_base_url(const char *endpoint, const char *region, const char *bucket, char *out,
                    size_t outsz);

/* "aws:amz:REGION:s3", for CURLOPT_AWS_SIGV4. */
int cws_s3_sigv4_param(const char *region, char *out, size_t outsz);

/* "x-amz-content-sha256: <lowercase hex SHA-256 of data>". */
int cws_s3_payload_header(const void *data, size_t len, char *out, size_t outsz);

/* SigV4 UriEncode: A-Z a-z 0-9 - . _ ~ kept, every other byte %XX. */
int cws_s3_uri_encode(const char *in, char *out, size_t outsz);

/* The ListObjectsV2 query for keys one level under objprefix/, parameters
 * sorted and encoded as SigV4 signs them; token may be NULL. */
int cws_s3_list_query(const char *objprefix, const char *token, char *out, size_t outsz);
/* The same, starting after the object key start_after (NULL: from the
 * start). */
int cws_s3_list_query_after(const char *objprefix, const char *token, const char *start_after,
                            char *out, size_t outsz);

/* The credentials file: lines "access_key_id = ..." and
 * "secret_access_key = ...", '#' comments. Messages never quote a value. */
int cws_s3_parse_credentials(const char *text, const char *path, char access[CWS_S3_CRED_MAX],
                             char secret[CWS_S3_CRED_MAX], cws_error *err);

typedef struct cws_s3_list_page {
        char **entries;         /* Contents/Key and CommonPrefixes/Prefix, raw */
        size_t n;
        bool truncated;
        char *next_token;       /* NULL when absent */
} cws_s3_list_page;

/* One ListObjectsV2 body: -EBADMSG (with a message) for anything that is
 * not a well-formed ListBucketResult within the bounds above. */
int cws_s3_parse_list(const char *body, size_t len, cws_s3_list_page *page, cws_error *err);
void cws_s3_list_page_free(cws_s3_list_page *page);

/* The <Code> of an S3 <Error> body, letters and digits only; "" if none. */
void cws_s3_parse_error_code(const char *body, size_t len, char *code, size_t codesz);

/* The ListObjectVersions query for objkey as prefix (it also matches
 * longer keys; callers keep only objkey itself), max_keys 1..1000, sorted
 * and encoded as SigV4 signs them. */
int cws_s3_versions_query(const char *objkey, unsigned max_keys, char *out, size_t outsz);

typedef struct cws_s3_version_entry {
        char *key;              /* raw, as the store sent it */
        char *version_id;       /* printable, no space, < CWS_S3_VERSION_ID_MAX */
        bool delete_marker;
} cws_s3_version_entry;

typedef struct cws_s3_version_page {
        cws_s3_version_entry *entries;  /* in the store's order: by key, newest first */
        size_t n;
        bool truncated;
        char *next_key_marker;          /* NULL when absent */
} cws_s3_version_page;

/* One ListVersionsResult: -EBADMSG (with a message) for anything that is
 * not well-formed, a Version or DeleteMarker without exactly one Key and
 * one valid VersionId, over CWS_S3_VERSIONS_BODY_MAX bytes or over
 * CWS_S3_VERSIONS_PAGE_KEYS entries. */
int cws_s3_parse_versions(const char *body, size_t len, cws_s3_version_page *page, cws_error *err);
void cws_s3_version_page_free(cws_s3_version_page *page);

/* A GetObjectLockConfiguration body: *enabled when ObjectLockEnabled is
 * "Enabled"; -EBADMSG when it is not a well-formed ObjectLockConfiguration. */
int cws_s3_parse_object_lock(const char *body, size_t len, bool *enabled, cws_error *err);
