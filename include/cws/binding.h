/* A sealed binding (lib/binding.c; where they are kept: cws/binding_store.h).
 * Sealed with AES-256-GCM under a key derived from the host key; the
 * associated data holds the host identity (cws_host_id: machine id, DMI
 * product UUID) and the user, so a binding copied to another machine or
 * another account neither decrypts nor verifies.
 * File: "cws-binding-v1 <host id hex>\n<base64url(nonce|ct|tag)>\n". The
 * clear host id only lets us tell a copy from an edit; it is inside the
 * AAD, so changing it also breaks the seal. */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "cws/fingerprint.h"
#include "cws/host_key.h"
#include "cws/invitation.h"
#include "cws/reason.h"
#include "cws/record.h"

#define CWS_BINDING_MAX (16 * 1024)

typedef struct cws_binding {
        char profile[CWS_PROFILE_MAX];
        char inv_id[CWS_ID_MAX];
        uint8_t secret[CWS_SECRET_LEN];               /* the token secret */
        char device_id[CWS_ID_MAX];
        unsigned slot;
        unsigned gen;
        uid_t uid;
        char username[CWS_USER_MAX];
        cws_fingerprint fp;                           /* as enrolled */
        uint8_t binding_priv[CWS_ED25519_KEY_LEN];
        int64_t enrolled_at;
} cws_binding;

int cws_binding_seal(const uint8_t host_key[CWS_HOST_KEY_LEN], const cws_binding *b, char **out,
                     size_t *len, cws_error *err);
/* Opens a sealed binding for (uid, username) on this host. When the data
 * is refused the return is -EBADMSG and *why is CWS_R_PROFILE_COPY_DETECTED
 * (sealed on another host), CWS_R_USER_MISMATCH (the sealed record names
 * another user) or CWS_R_TAMPER_DETECTED (anything else: an edit, another
 * host key, another account in the AAD). Bad arguments give -EINVAL with
 * CWS_R_BAD_REQUEST; resource or machine-id failures give their errno with
 * CWS_R_INTERNAL_ERROR. *why is CWS_R_OK on success. */
int cws_binding_open(const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid, const char *username,
                     const char *data, size_t len, cws_binding *b, cws_reason *why,
                     cws_error *err);
