/* Invitation types, ordered: read_only < read_write < admin. */
#pragma once

/* Names as records, bindings and the cache hold them (bytes, with the NUL). */
#define CWS_PROFILE_MAX 64
#define CWS_USER_MAX 64

typedef enum cws_inv_type {
        CWS_TYPE_NONE = 0,          /* no requirement (policy) */
        CWS_TYPE_READ_ONLY = 1,
        CWS_TYPE_READ_WRITE = 2,
        CWS_TYPE_ADMIN = 3,
} cws_inv_type;

/* "read_only" | "read_write" | "admin"; -EINVAL otherwise. */
int cws_inv_type_from_string(const char *s, cws_inv_type *out);
const char *cws_inv_type_to_string(cws_inv_type t);
