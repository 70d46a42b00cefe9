/* The delegation chain of an invitation (lib/chain.c): every ancestor
 * verified up to a pinned administrator key, and the revocations that
 * count against it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/error.h"
#include "cws/invitation.h"
#include "cws/reason.h"
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

/* A device revocation is valid only if signed by a trusted admin key or a
 * key in the chain; every stored version of it is looked at. Sets
 * *revoked, and *tampered (may be NULL) when the key carries a delete
 * marker or versions that are not valid revocations (logged as tampering). */
int cws_device_revoked(cws_registry *r, const cws_trust *t, const cws_chain *chain,
                       const char *device_id, bool *revoked, bool *tampered, cws_error *err);
