/* Validation of one binding, in the order of docs/design.md §3.5. The decision starts
 * as a denial and becomes an allow only at the very end. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/slot.h"
#include "cws/validate.h"

static void deny(cws_decision *d, cws_reason r, const char *detail)
{
        d->allow = false;
        d->reason = r;
        snprintf(d->detail, sizeof(d->detail), "%s", detail);
}

static void check_registration(cws_registry *r, const cws_chain *chain, const cws_binding *b,
                               const cws_fingerprint *now_fp, cws_decision *d)
{
        cws_device_reg reg;
        cws_error err = { 0 };
        uint8_t pub[CWS_ED25519_KEY_LEN], digest[CWS_SHA256_LEN];
        int k = cws_slot_read(r, chain, b->slot, b->gen, &reg, &err);

        if (k < 0)
                return deny(d, cws_reason_for_fetch(k), cws_error_message(&err));
        if (cws_ed25519_public(b->binding_priv, pub) < 0 ||
            cws_fingerprint_digest(now_fp, digest) < 0)
                return deny(d, CWS_R_INTERNAL_ERROR, "cannot derive binding key");
        if (strcmp(reg.device_id, b->device_id) != 0 ||
            !cws_ct_equal(reg.binding_pub, pub, sizeof(pub)))
                return deny(d, CWS_R_RECORD_INVALID, "registration is for another device");
        if (reg.uid != b->uid || strcmp(reg.user, b->username) != 0)
                return deny(d, CWS_R_USER_MISMATCH, "registration is for another user");
        if (chain->inv[0].device_bound && !cws_ct_equal(reg.fp_digest, digest, sizeof(digest)))
                return deny(d, CWS_R_SYSTEM_ID_MISMATCH, "registered fingerprint differs");
        d->reason = CWS_R_OK;
}

void cws_validate_binding(cws_registry *r, const cws_trust *t, const cws_binding *b,
                          const cws_fingerprint *now_fp, cws_inv_type min_type, int64_t now,
                          cws_decision *d)
{
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_error err = { 0 };
        cws_chain chain;
        cws_reason why;
        bool stable_deny = false, revoked = true;
        int k;

        memset(d, 0, sizeof(*d));
        deny(d, CWS_R_INTERNAL_ERROR, "");
        snprintf(d->profile, sizeof(d->profile), "%s", b->profile);
        snprintf(d->inv_id, sizeof(d->inv_id), "%s", b->inv_id);
        snprintf(d->device_id, sizeof(d->device_id), "%s", b->device_id);

        /* Fingerprint: stable fields deny, the rest is reported drift. */
        d->violations = cws_fingerprint_compare(&b->fp, now_fp, &stable_deny);
        k = cws_chain_fetch(r, t, b->inv_id, now, &chain, &why, &err);
        d->tampered = chain.revocation_tampered;
        if (k < 0)
                return deny(d, why, cws_error_message(&err));
        d->type = chain.inv[0].type;
        if (stable_deny && chain.inv[0].device_bound)
                return deny(d, (d->violations & CWS_FP_SYSTEM_ID_MISMATCH) ? CWS_R_SYSTEM_ID_MISMATCH
                                                                          : CWS_R_USER_MISMATCH,
                            "device fingerprint does not match the enrolled one");
        /* The binding's secret must be this invitation's. */
        k = cws_invitation_key(b->inv_id, b->secret, priv, pub);
        cws_wipe(priv, sizeof(priv));
        if (k < 0 || !cws_ct_equal(pub, chain.inv[0].pubkey, sizeof(pub)))
                return deny(d, CWS_R_RECORD_INVALID, "binding secret does not match the invitation");
        check_registration(r, &chain, b, now_fp, d);
        if (d->reason != CWS_R_OK)
                return;
        k = cws_device_revoked(r, t, &chain, b->device_id, &revoked, &d->tampered, &err);
        d->tampered = d->tampered || chain.revocation_tampered;
        if (k < 0)
                return deny(d, cws_reason_for_fetch(k), cws_error_message(&err));
        if (revoked)
                return deny(d, CWS_R_DEVICE_REVOKED, "device revoked");
        if (chain.inv[0].type < min_type)
                return deny(d, CWS_R_INSUFFICIENT_TYPE, "invitation type below service minimum");
        d->allow = true;
        d->reason = CWS_R_OK;
        d->detail[0] = '\0';
}
