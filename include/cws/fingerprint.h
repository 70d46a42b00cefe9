/* The device fingerprint (docs/design.md §3.4): every field gathered for the record, but
 * validation rests only on the stable ones (machine id, DMI product UUID,
 * uid and username). Hostname and MAC changes are drift, never denial. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "cws/risk.h"

#define CWS_FP_FIELD_MAX 256
#define CWS_FP_MAX_MACS 16

typedef struct cws_fingerprint {
        char hostname[CWS_FP_FIELD_MAX];
        char machine_id[CWS_FP_FIELD_MAX];
        char system_uuid[CWS_FP_FIELD_MAX];   /* empty when not readable */
        char os[CWS_FP_FIELD_MAX];
        char arch[CWS_FP_FIELD_MAX];
        char macs[CWS_FP_MAX_MACS][18];       /* "aa:bb:cc:dd:ee:ff" */
        unsigned n_macs;
        uid_t uid;
        char username[CWS_FP_FIELD_MAX];
} cws_fingerprint;

/* Violation types, named as evidence and the catalog name them. */
enum {
        CWS_FP_HOSTNAME_MISMATCH = 1u << 0,
        CWS_FP_USER_MISMATCH = 1u << 1,
        CWS_FP_MAC_ADDRESS_MISMATCH = 1u << 2,
        CWS_FP_SYSTEM_ID_MISMATCH = 1u << 3,
        CWS_FP_PROFILE_COPY_DETECTED = 1u << 4,
};


/* Machine id from /etc/machine-id (32 lowercase hex, not all zeros, else
 * -EBADMSG naming the file). */
int cws_machine_id(char out[33], cws_error *err);

/* DMI product UUID, lowercased; "" when not readable (it is root-only on
 * most systems, so readers must always run as the same user). */
void cws_system_uuid(char out[CWS_FP_FIELD_MAX]);

/* The host identity: hex SHA-256 of "cws-host-v1", the machine id and the
 * product UUID. Sealed bindings name it (cws/binding.h), so a binding
 * copied to another machine is told from an edited one. */
#define CWS_HOST_ID_HEX (2 * CWS_SHA256_LEN)
int cws_host_id(char out[CWS_HOST_ID_HEX + 1], cws_error *err);

/* Gathers the fingerprint of this host for (uid, username). Fails only when
 * the machine id cannot be read. */
int cws_fingerprint_collect(uid_t uid, const char *username, cws_fingerprint *fp, cws_error *err);

/* SHA-256 over the stable fields only, with a version prefix. */
int cws_fingerprint_digest(const cws_fingerprint *fp, uint8_t out[CWS_SHA256_LEN]);

/* Compares an enrolled fingerprint with the current one: returns a mask of
 * CWS_FP_* violations. *deny is set when a stable field differs. */
unsigned cws_fingerprint_compare(const cws_fingerprint *enrolled, const cws_fingerprint *now,
                                 bool *deny);

/* "hostname_mismatch", ...; for a single bit. */
const char *cws_violation_to_string(unsigned bit);
/* Every violation in mask, comma-separated ("" for none), truncated to n. */
void cws_violations_format(unsigned mask, char *buf, size_t n);
cws_risk cws_violation_risk(unsigned mask);
