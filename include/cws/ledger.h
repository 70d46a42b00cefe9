/* Invitations, enrollment, revocation and validation on top of the
 * registry storage: everything that reads or writes signed records. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/binding.h"
#include "cws/error.h"
#include "cws/invitation.h"
#include "cws/reason.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/trust.h"

#define CWS_CHAIN_MAX 8

/* An invitation with its verified ancestors, [0] the invitation itself. */
typedef struct cws_chain {
        unsigned n;
        cws_invitation inv[CWS_CHAIN_MAX];
        bool revocation_tampered;       /* a delete marker or a foreign version on an
                                         * invitation revocation of the chain */
} cws_chain;

/* Fetches the invitation and its parents, verifying each signature (root
 * by a trusted administrator key, child by its parent's key), the child
 * rules at every link, expiry and invitation revocation all the way up.
 * On refusal returns -EPERM (or -ENOENT/-EIO) and sets *why. */
int cws_chain_fetch(cws_registry *r, const cws_trust *t, const char *inv_id, int64_t now,
                    cws_chain *chain, cws_reason *why, cws_error *err);

/* Creates an invitation record signed by the administrator key (parent
 * NULL) or by the parent's token secret. Fills inv->id, pubkey and writes
 * the token. */
int cws_invitation_create(cws_registry *r, const cws_trust *t, cws_invitation *inv,
                          const uint8_t admin_priv[CWS_ED25519_KEY_LEN],
                          const char *parent_token, int64_t now, char token[CWS_TOKEN_MAX],
                          cws_error *err);

/* Claims a free slot (create-only) and fills the binding. -ENOSPC with
 * CWS_R_INVITATION_FULL when every slot is taken. */
int cws_enroll(cws_registry *r, const cws_trust *t, const char *token, uid_t uid,
               const char *username, const cws_fingerprint *fp, int64_t now, cws_binding *b,
               cws_reason *why, cws_error *err);

/* Revocations, create-only; -EALREADY when already revoked. The signer is
 * the administrator key or the invitation's (or an ancestor's) key. Where
 * the store has object lock they are retained (COMPLIANCE) until the
 * invitation's verified expiry plus CWS_REVOCATION_RETAIN_MARGIN; when the
 * invitation cannot be verified through t, for CWS_REVOCATION_RETAIN_UNKNOWN. */
/* Each also writes a revocation notice (cws/notice.h); when only that
 * fails the revocation stands: 0 with err->code set, a warning to log. */
#define CWS_REVOCATION_RETAIN_MARGIN (30 * 86400)
#define CWS_REVOCATION_RETAIN_UNKNOWN ((3650 + 30) * 86400)
int cws_revoke_device(cws_registry *r, const cws_trust *t, const char *inv_id, const char *device_id,
                      const uint8_t signer_priv[CWS_ED25519_KEY_LEN], const char *by,
                      const char *why, int64_t now, cws_error *err);
int cws_revoke_invitation(cws_registry *r, const cws_trust *t, const char *inv_id,
                          const uint8_t signer_priv[CWS_ED25519_KEY_LEN], const char *by,
                          const char *why, int64_t now, cws_error *err);
/* Until when a revocation of inv_id is retained (see above). */
int64_t cws_revocation_retain_until(cws_registry *r, const cws_trust *t, const char *inv_id,
                                    int64_t now);

/* A device revocation is valid only if signed by a trusted admin key or a
 * key in the chain; every stored version of it is looked at. Sets
 * *revoked, and *tampered (may be NULL) when the key carries a delete
 * marker or versions that are not valid revocations (logged as tampering). */
int cws_device_revoked(cws_registry *r, const cws_trust *t, const cws_chain *chain,
                       const char *device_id, bool *revoked, bool *tampered, cws_error *err);

typedef struct cws_device_entry {
        cws_device_reg reg;
        bool revoked;
} cws_device_entry;

/* Every verified registration of an invitation (listing; admin path). */
int cws_devices_list(cws_registry *r, const cws_trust *t, const char *inv_id, int64_t now,
                     cws_device_entry **out, size_t *n, cws_error *err);

typedef struct cws_decision {
        bool allow;
        cws_reason reason;
        char profile[CWS_PROFILE_MAX];
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];
        cws_inv_type type;
        unsigned violations;                 /* CWS_FP_* drift or denial */
        char detail[256];                    /* for logs; nothing secret */
        bool tampered;                       /* a revocation key was tampered with */
} cws_decision;

/* Validates one binding against the registry for a service needing
 * min_type, in the order of docs/design.md §3.5. Never fails open: every error sets
 * allow = false and a reason. */
void cws_validate_binding(cws_registry *r, const cws_trust *t, const cws_binding *b,
                          const cws_fingerprint *now_fp, cws_inv_type min_type, int64_t now,
                          cws_decision *d);

/* Reads and verifies the registration in (slot, gen): signed by the
 * invitation key, naming its own invitation, slot and generation. */
int cws_slot_read(cws_registry *r, const cws_chain *chain, unsigned slot, unsigned gen,
                  cws_device_reg *reg, cws_error *err);
/* The generations present in a slot, ascending (listing: never on the
 * session path). */
int cws_slot_generations(cws_registry *r, const char *inv_id, unsigned slot, unsigned **gens,
                         size_t *n, cws_error *err);
