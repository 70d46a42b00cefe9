/* Revocations: create-only and monotonic. Nothing un-revokes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/notice.h"
#include "cws/revoke.h"

int64_t cws_revocation_retain_until(cws_registry *r, const cws_trust *t, const char *inv_id,
                                    int64_t now)
{
        cws_chain chain;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        int k;

        if (!t)
                return now + CWS_REVOCATION_RETAIN_UNKNOWN;
        k = cws_chain_fetch(r, t, inv_id, now, &chain, &why, NULL);
        /* Expired or revoked is still verified: the chain is filled. An
         * unverifiable one (missing, forged) must not shorten the lock. */
        if ((k == 0 || why == CWS_R_INVITATION_EXPIRED || why == CWS_R_INVITATION_REVOKED) && chain.n > 0)
                return (chain.inv[0].expires_at > now ? chain.inv[0].expires_at : now) +
                       CWS_REVOCATION_RETAIN_MARGIN;
        return now + CWS_REVOCATION_RETAIN_UNKNOWN;
}

/* The revocation stands without its notice: a failure is the caller's
 * warning (0 with err->code set) and the monitor's full sweep finds it. */
static int put_notice(cws_registry *r, const char *inv_id, const char *device_id,
                      const uint8_t priv[CWS_ED25519_KEY_LEN], int64_t now, cws_error *err)
{
        struct timespec ts;
        cws_error nerr = { 0 };
        int64_t sub = clock_gettime(CLOCK_REALTIME, &ts) == 0 ? ts.tv_nsec / 1000 : 0;

        if (cws_notice_write(r, inv_id, device_id, priv, now * 1000000 + sub, &nerr) < 0 && err)
                cws_error_set(err, nerr.code, "revoked, but its notice was not written (hosts "
                              "find the revocation at their next full sweep): %s",
                              cws_error_message(&nerr));
        return 0;
}

static int put_revocation(cws_registry *r, const cws_trust *t, const char *key, const char *inv_id,
                          const char *device_id, const uint8_t priv[CWS_ED25519_KEY_LEN],
                          const char *by, const char *why, int64_t now, cws_error *err)
{
        _cleanup_free_ char *payload = NULL, *record = NULL;
        cws_revocation rv = { .at = now };
        int k;

        snprintf(rv.inv_id, sizeof(rv.inv_id), "%s", inv_id);
        snprintf(rv.device_id, sizeof(rv.device_id), "%s", device_id);
        snprintf(rv.by, sizeof(rv.by), "%s", by ? by : "");
        snprintf(rv.why, sizeof(rv.why), "%s", why ? why : "");
        if (cws_revocation_to_json(&rv, &payload) < 0)
                return cws_error_set(err, -ENOMEM, "out of memory");
        k = cws_record_seal(CWS_REC_REVOCATION, payload, priv, &record, err);
        if (k < 0)
                return k;
        k = cws_registry_put_locked(r, key, record, strlen(record),
                                    cws_revocation_retain_until(r, t, inv_id, now), err);
        if (k == -EEXIST)
                return cws_error_set(err, -EALREADY, "%s%s%s is already revoked", inv_id,
                                     *device_id ? " device " : "", device_id);
        if (k < 0)
                return k;
        return put_notice(r, inv_id, device_id, priv, now, err);
}

int cws_revoke_device(cws_registry *r, const cws_trust *t, const char *inv_id, const char *device_id,
                      const uint8_t signer_priv[CWS_ED25519_KEY_LEN], const char *by,
                      const char *why, int64_t now, cws_error *err)
{
        char key[CWS_KEY_MAX];

        if (cws_key_device_revoked(key, inv_id, device_id) < 0)
                return cws_error_set(err, -EINVAL, "invalid invitation or device id");
        return put_revocation(r, t, key, inv_id, device_id, signer_priv, by, why, now, err);
}

int cws_revoke_invitation(cws_registry *r, const cws_trust *t, const char *inv_id,
                          const uint8_t signer_priv[CWS_ED25519_KEY_LEN], const char *by,
                          const char *why, int64_t now, cws_error *err)
{
        char key[CWS_KEY_MAX];

        if (cws_key_invitation_revoked(key, inv_id) < 0)
                return cws_error_set(err, -EINVAL, "invalid invitation id '%s'", inv_id);
        return put_revocation(r, t, key, inv_id, "", signer_priv, by, why, now, err);
}
