/* Revocations of devices and invitations (lib/revoke.c). */
#pragma once
#include <stdint.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "cws/registry.h"
#include "cws/trust.h"

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
