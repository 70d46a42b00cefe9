/* Invitation rules: defaults, tokens and the delegation chain (docs/design.md §3.2). */
#pragma once
#include <stdint.h>
#include "cws/error.h"
#include "cws/record.h"

#define CWS_SECRET_LEN 32
#define CWS_TOKEN_MAX 128

/* The defaults for a type: valid 30 days, can_invite only for
 * admin, device_bound, max_devices 1, not transferable. */
void cws_invitation_defaults(cws_invitation *inv, cws_inv_type type, int64_t now);

/* Field sanity on its own: id, name, type, max_devices 1..5, expiry after
 * creation. */
int cws_invitation_check(const cws_invitation *inv, cws_error *err);

/* A child may never exceed its parent: type, max_devices, expires_at,
 * transferable and device_bound no looser, parent can_invite, parent not
 * expired at now. (Revocation of the parent is checked by the chain.) */
int cws_invitation_check_child(const cws_invitation *parent, const cws_invitation *child,
                               int64_t now, cws_error *err);

/* Token "<inv id>.<base64url secret>". */
int cws_token_format(const char *inv_id, const uint8_t secret[CWS_SECRET_LEN],
                     char out[CWS_TOKEN_MAX]);
int cws_token_parse(const char *token, char inv_id[CWS_ID_MAX], uint8_t secret[CWS_SECRET_LEN]);

/* The invitation's Ed25519 key pair, derived from its secret by HKDF. */
int cws_invitation_key(const char *inv_id, const uint8_t secret[CWS_SECRET_LEN],
                       uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN]);
