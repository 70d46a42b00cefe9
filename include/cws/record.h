/* Registry records (json-c) and their signed envelope. A record on the
 * wire is {"version":1,"kind":K,"payload":B64(json),"key":B64(pub),
 * "sig":B64(sig)}; the signature covers "cws-record-v1\0" K "\0" payload,
 * so a record of one kind can never pass for another. The payload names
 * its own identifiers, and readers check them against the key they fetched,
 * so a record moved to another key is rejected. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "cws/ids.h"
#include "cws/types.h"

#define CWS_RECORD_MAX (64 * 1024)
#define CWS_MAX_DEVICES 5


typedef struct cws_invitation {
        char id[CWS_ID_MAX];
        char name[CWS_PROFILE_MAX];        /* the profile name */
        cws_inv_type type;
        bool can_invite;
        bool transferable;
        bool device_bound;
        unsigned max_devices;              /* 1..5 */
        int64_t created_at;
        int64_t expires_at;
        char parent[CWS_ID_MAX];           /* "" for a root invitation */
        uint8_t pubkey[CWS_ED25519_KEY_LEN];
} cws_invitation;

typedef struct cws_device_reg {
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];
        unsigned slot;                     /* 1..max_devices */
        unsigned gen;                      /* generation of the slot */
        char user[CWS_USER_MAX];
        uid_t uid;
        uint8_t fp_digest[CWS_SHA256_LEN];
        uint8_t binding_pub[CWS_ED25519_KEY_LEN];
        int64_t enrolled_at;
} cws_device_reg;

typedef struct cws_revocation {
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];        /* "" for the whole invitation */
        char by[CWS_USER_MAX];
        char why[256];
        int64_t at;
} cws_revocation;

typedef enum cws_record_kind {
        CWS_REC_INVITATION,
        CWS_REC_DEVICE,
        CWS_REC_REVOCATION,
        CWS_REC_NOTICE,
} cws_record_kind;

/* A revocation notice (cws/notice.h): names what was revoked, grants
 * nothing; a host that reads one re-validates against the records. */
typedef struct cws_notice {
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];        /* "" for the whole invitation */
        int64_t at_us;
} cws_notice;

/* Signs payload JSON into an envelope (NUL-terminated, caller frees). */
int cws_record_seal(cws_record_kind kind, const char *payload,
                    const uint8_t priv[CWS_ED25519_KEY_LEN], char **out, cws_error *err);
/* Parses an envelope of the expected kind and verifies its signature with
 * the key it names; returns the payload and that key. The caller decides
 * whether the key is one it trusts. */
int cws_record_unseal(cws_record_kind kind, const char *data, size_t len,
                      uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err);

/* Struct <-> payload JSON. from_json validates every field strictly. */
int cws_invitation_to_json(const cws_invitation *inv, char **out);
int cws_invitation_from_json(const char *json, cws_invitation *inv, cws_error *err);
int cws_device_reg_to_json(const cws_device_reg *d, char **out);
int cws_device_reg_from_json(const char *json, cws_device_reg *d, cws_error *err);
int cws_revocation_to_json(const cws_revocation *r, char **out);
int cws_revocation_from_json(const char *json, cws_revocation *r, cws_error *err);
int cws_notice_to_json(const cws_notice *n, char **out);
int cws_notice_from_json(const char *json, cws_notice *n, cws_error *err);

