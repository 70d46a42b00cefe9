/* Enrollment: claim a free slot of an invitation, create-only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/enroll.h"
#include "cws/slot.h"

#define CLAIM_RETRIES 8

/* 1 = the slot is free at generation *next, 0 = taken, <0 = error. */
static int slot_state(cws_registry *r, const cws_trust *t, const cws_chain *chain, unsigned slot,
                      unsigned *next, cws_error *err)
{
        _cleanup_free_ unsigned *gens = NULL;
        cws_device_reg reg;
        size_t n = 0;
        bool revoked = false;
        int k = cws_slot_generations(r, chain->inv[0].id, slot, &gens, &n, err);

        if (k < 0)
                return k;
        if (n == 0) {
                *next = 0;
                return 1;
        }
        k = cws_slot_read(r, chain, slot, gens[n - 1], &reg, err);
        if (k == -EBADMSG)
                return 0;       /* unreadable: never reuse it */
        /* Listed, yet not there: another host is writing it right now (RGW
         * serves a versioned key that several hosts write at once as absent
         * for a moment). -EBUSY: look again. */
        if (k == -ENOENT)
                return cws_error_set(err, -EBUSY, "invitation %s: slot %u is being written by "
                                     "another host; try again", chain->inv[0].id, slot);
        if (k < 0)
                return k;
        k = cws_device_revoked(r, t, chain, reg.device_id, &revoked, NULL, err);
        if (k < 0)
                return k == -EBADMSG ? 0 : k;
        *next = gens[n - 1] + 1;
        return revoked ? 1 : 0;
}

static void wipe_key(uint8_t (*k)[CWS_ED25519_KEY_LEN]) { cws_wipe(*k, sizeof(*k)); }

/* Before looking again at a slot another host is writing: 20 ms more at
 * each attempt (at most 0.72 s in all over CLAIM_RETRIES). */
static void settle(int attempt)
{
        struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(attempt + 1) * 20 * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int cws_enroll(cws_registry *r, const cws_trust *t, const char *token, uid_t uid,
               const char *username, const cws_fingerprint *fp, int64_t now, cws_binding *b,
               cws_reason *why, cws_error *err)
{
        _cleanup_(wipe_key) uint8_t inv_priv[CWS_ED25519_KEY_LEN] = { 0 };
        uint8_t inv_pub[CWS_ED25519_KEY_LEN];
        cws_device_reg reg = { .uid = uid, .enrolled_at = now };
        cws_chain chain;
        int k;

        memset(b, 0, sizeof(*b));
        *why = CWS_R_BAD_REQUEST;
        if (!cws_name_valid(username, sizeof(reg.user)))
                return cws_error_set(err, -EINVAL, "invalid user name");
        if (cws_token_parse(token, b->inv_id, b->secret) < 0)
                return cws_error_set(err, -EINVAL, "the invitation token is malformed");
        k = cws_chain_fetch(r, t, b->inv_id, now, &chain, why, err);
        if (k < 0)
                goto fail;
        k = cws_invitation_key(b->inv_id, b->secret, inv_priv, inv_pub);
        if (k < 0 || !cws_ct_equal(inv_pub, chain.inv[0].pubkey, sizeof(inv_pub))) {
                *why = CWS_R_PERMISSION_DENIED;
                k = cws_error_set(err, -EPERM, "the token does not match invitation %s", b->inv_id);
                goto fail;
        }
        *why = CWS_R_INTERNAL_ERROR;
        if (cws_id_new("dev", b->device_id) < 0 ||
            cws_ed25519_keygen(b->binding_priv, reg.binding_pub) < 0 ||
            cws_fingerprint_digest(fp, reg.fp_digest) < 0) {
                k = cws_error_set(err, -EIO, "cannot make device keys");
                goto fail;
        }
        memcpy(reg.inv_id, b->inv_id, sizeof(reg.inv_id));
        memcpy(reg.device_id, b->device_id, sizeof(reg.device_id));
        snprintf(reg.user, sizeof(reg.user), "%s", username);

        for (unsigned slot = 1; slot <= chain.inv[0].max_devices; slot++) {
                for (int attempt = 0; attempt < CLAIM_RETRIES; attempt++) {
                        _cleanup_free_ char *payload = NULL, *record = NULL;
                        char key[CWS_KEY_MAX];
                        unsigned gen = 0;

                        k = slot_state(r, t, &chain, slot, &gen, err);
                        if (k == -EBUSY && attempt + 1 < CLAIM_RETRIES) {
                                settle(attempt);
                                continue;
                        }
                        if (k < 0) {
                                *why = CWS_R_REGISTRY_UNAVAILABLE;
                                goto fail;
                        }
                        if (k == 0)
                                break;
                        reg.slot = slot;
                        reg.gen = gen;
                        if (cws_device_reg_to_json(&reg, &payload) < 0 ||
                            cws_record_seal(CWS_REC_DEVICE, payload, inv_priv, &record, err) < 0 ||
                            cws_key_slot(key, b->inv_id, slot, gen) < 0) {
                                k = cws_error_set(err, -EIO, "cannot make the device record");
                                goto fail;
                        }
                        k = cws_registry_put_create_only(r, key, record, strlen(record), err);
                        /* Lost a race, or (s3: 409) another writer is
                         * creating this key right now: look again. */
                        if (k == -EEXIST || k == -EBUSY) {
                                if (k == -EBUSY)
                                        settle(attempt);
                                continue;
                        }
                        if (k < 0) {
                                *why = CWS_R_REGISTRY_UNAVAILABLE;
                                goto fail;
                        }
                        snprintf(b->profile, sizeof(b->profile), "%s", chain.inv[0].name);
                        snprintf(b->username, sizeof(b->username), "%s", username);
                        b->uid = uid;
                        b->slot = slot;
                        b->gen = gen;
                        b->fp = *fp;
                        b->enrolled_at = now;
                        *why = CWS_R_OK;
                        return 0;
                }
        }
        *why = CWS_R_INVITATION_FULL;
        k = cws_error_set(err, -ENOSPC, "invitation %s is full: all %u device slots are taken "
                          "(revoke a device with cws-revoke first)", b->inv_id,
                          chain.inv[0].max_devices);
fail:
        cws_wipe(b, sizeof(*b));
        return k;
}
