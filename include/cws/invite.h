/* Creating invitations (lib/invite.c). */
#pragma once
#include <stdint.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "cws/invitation.h"
#include "cws/registry.h"
#include "cws/trust.h"

/* Creates an invitation record signed by the administrator key (parent
 * NULL) or by the parent's token secret. Fills inv->id, pubkey and writes
 * the token. */
int cws_invitation_create(cws_registry *r, const cws_trust *t, cws_invitation *inv,
                          const uint8_t admin_priv[CWS_ED25519_KEY_LEN],
                          const char *parent_token, int64_t now, char token[CWS_TOKEN_MAX],
                          cws_error *err);
