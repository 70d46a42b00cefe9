/* Creating invitations and sub-invitations in the registry. */
#include <errno.h>
#include <string.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/invite.h"

static void wipe_key(uint8_t (*k)[CWS_ED25519_KEY_LEN]) { cws_wipe(*k, sizeof(*k)); }
static void wipe_secret(uint8_t (*s)[CWS_SECRET_LEN]) { cws_wipe(*s, sizeof(*s)); }

int cws_invitation_create(cws_registry *r, const cws_trust *t, cws_invitation *inv,
                          const uint8_t admin_priv[CWS_ED25519_KEY_LEN],
                          const char *parent_token, int64_t now, char token[CWS_TOKEN_MAX],
                          cws_error *err)
{
        _cleanup_(wipe_key) uint8_t signer[CWS_ED25519_KEY_LEN] = { 0 };
        _cleanup_(wipe_key) uint8_t inv_priv[CWS_ED25519_KEY_LEN] = { 0 };
        _cleanup_(wipe_secret) uint8_t secret[CWS_SECRET_LEN] = { 0 };
        _cleanup_free_ char *payload = NULL, *record = NULL;
        char key[CWS_KEY_MAX];
        int k;

        inv->created_at = now;
        inv->parent[0] = '\0';
        if (cws_id_new("inv", inv->id) < 0)
                return cws_error_set(err, -EIO, "cannot make an invitation id");
        if (parent_token) {
                _cleanup_(wipe_secret) uint8_t psecret[CWS_SECRET_LEN] = { 0 };
                uint8_t ppub[CWS_ED25519_KEY_LEN];
                char pid[CWS_ID_MAX];
                cws_chain chain;
                cws_reason why;

                if (cws_token_parse(parent_token, pid, psecret) < 0)
                        return cws_error_set(err, -EINVAL, "the parent token is malformed");
                /* Nothing under an expired, revoked or invalid parent. */
                k = cws_chain_fetch(r, t, pid, now, &chain, &why, err);
                if (k < 0)
                        return k;
                /* A child one link deeper than any chain may go could
                 * never verify: refuse it rather than hand out a dead token. */
                if (chain.n >= CWS_CHAIN_MAX)
                        return cws_error_set(err, -EPERM, "%s is already %u links deep; a "
                                             "delegation chain has at most %d links",
                                             pid, chain.n, CWS_CHAIN_MAX);
                k = cws_invitation_key(pid, psecret, signer, ppub);
                if (k < 0)
                        return cws_error_set(err, k, "cannot derive the parent key");
                if (!cws_ct_equal(ppub, chain.inv[0].pubkey, sizeof(ppub)))
                        return cws_error_set(err, -EPERM, "the parent token does not match %s", pid);
                memcpy(inv->parent, pid, sizeof(pid));
                k = cws_invitation_check_child(&chain.inv[0], inv, now, err);
                if (k < 0)
                        return k;
        } else {
                memcpy(signer, admin_priv, sizeof(signer));
        }
        k = cws_invitation_check(inv, err);
        if (k < 0)
                return k;
        if (cws_random(secret, sizeof(secret)) < 0 ||
            cws_invitation_key(inv->id, secret, inv_priv, inv->pubkey) < 0)
                return cws_error_set(err, -EIO, "cannot make invitation keys");
        if (cws_invitation_to_json(inv, &payload) < 0)
                return cws_error_set(err, -ENOMEM, "out of memory");
        k = cws_record_seal(CWS_REC_INVITATION, payload, signer, &record, err);
        if (k < 0)
                return k;
        if (cws_key_invitation(key, inv->id) < 0)
                return cws_error_set(err, -EINVAL, "invalid invitation id");
        k = cws_registry_put_create_only(r, key, record, strlen(record), err);
        if (k < 0)
                return k;
        return cws_token_format(inv->id, secret, token);
}
