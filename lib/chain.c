/* The delegation chain: an invitation is only as good as every ancestor.
 * Each link's signature, the child rules, expiry and revocation are checked
 * all the way up to a pinned administrator key. */
#include <errno.h>
#include <string.h>
#include "cws/chain.h"
#include "cws/cleanup.h"

static int refuse(cws_reason *why, cws_reason r, int code)
{
        *why = r;
        return code;
}

/* A revocation counts only when signed by a pinned administrator or by a
 * key of the chain at or above level `from`. */
static bool signer_may_revoke(const cws_trust *t, const cws_chain *c, unsigned from,
                              const uint8_t signer[CWS_ED25519_KEY_LEN])
{
        if (cws_trust_contains(t, signer))
                return true;
        for (unsigned i = from; i < c->n; i++)
                if (cws_ct_equal(c->inv[i].pubkey, signer, CWS_ED25519_KEY_LEN))
                        return true;
        return false;
}

/* 0 when data is a revocation of (inv_id, device_id) signed by a key that
 * may revoke at level, else -EBADMSG with the reason in err. */
static int revocation_valid(const cws_trust *t, const cws_chain *c, unsigned level, const char *key,
                            const char *inv_id, const char *device_id, const char *data, size_t len,
                            cws_error *err)
{
        _cleanup_free_ char *payload = NULL;
        uint8_t signer[CWS_ED25519_KEY_LEN];
        cws_revocation rv;
        int k;

        if (!data)
                return cws_error_set(err, -EBADMSG, "%s: a version over %d bytes", key, CWS_RECORD_MAX);
        k = cws_record_unseal(CWS_REC_REVOCATION, data, len, signer, &payload, err);
        if (k < 0)
                return -EBADMSG;
        if (cws_revocation_from_json(payload, &rv, err) < 0 || strcmp(rv.inv_id, inv_id) != 0 ||
            strcmp(rv.device_id, device_id) != 0)
                return cws_error_set(err, -EBADMSG, "%s: revocation does not match its key", key);
        if (!signer_may_revoke(t, c, level, signer))
                return cws_error_set(err, -EBADMSG, "%s: revocation signed by an unknown key", key);
        return 0;
}

/* 0 = not revoked, 1 = revoked, <0 = could not tell (*why set). Every
 * version the store keeps is read (docs/design.md §3.8): one valid revocation among
 * them is final, whatever was put over it. *tampered is set for a delete
 * marker on the key, too many versions, or a version that is not a valid
 * revocation beside others: none of that comes from our own writers. */
static int check_revocation(cws_registry *r, const cws_trust *t, const cws_chain *c,
                            unsigned level, const char *key, const char *inv_id,
                            const char *device_id, cws_reason *why, bool *tampered, cws_error *err)
{
        cws_registry_versions v;
        cws_error bad_err = { 0 };
        size_t bad = 0;
        bool found = false;
        int k = cws_registry_get_versions(r, key, &v, err);

        if (k == -E2BIG) {
                *tampered = true;
                return refuse(why, CWS_R_RECORD_INVALID, k);
        }
        if (k < 0)
                return refuse(why, cws_reason_for_fetch(k), k);
        for (size_t i = 0; i < v.n; i++) {
                cws_error e = { 0 };
                if (revocation_valid(t, c, level, key, inv_id, device_id, v.data[i], v.len[i], &e) == 0) {
                        found = true;
                } else if (bad++ == 0) {
                        bad_err = e;
                }
        }
        if (v.delete_markers > 0 || (bad > 0 && v.n > 1))
                *tampered = true;
        k = v.delete_markers > 0;
        cws_registry_versions_free(&v);
        if (found)
                return 1;
        if (bad > 0)
                return refuse(why, CWS_R_RECORD_INVALID,
                              cws_error_set(err, -EBADMSG, "%s", cws_error_message(&bad_err)));
        /* Fail closed: a marker over nothing we can read is not "not revoked". */
        if (k)
                return refuse(why, CWS_R_RECORD_MISSING,
                              cws_error_set(err, -ENOENT, "%s: a delete marker and no revocation under "
                                            "it (tampering with the registry storage)", key));
        return 0;
}

int cws_device_revoked(cws_registry *r, const cws_trust *t, const cws_chain *chain,
                       const char *device_id, bool *revoked, bool *tampered, cws_error *err)
{
        char key[CWS_KEY_MAX];
        cws_reason why = CWS_R_OK;
        bool tamper = false;
        int k = cws_key_device_revoked(key, chain->inv[0].id, device_id);

        if (tampered)
                *tampered = false;
        if (k < 0)
                return cws_error_set(err, k, "invalid device id");
        k = check_revocation(r, t, chain, 0, key, chain->inv[0].id, device_id, &why, &tamper, err);
        if (tampered)
                *tampered = tamper;
        if (k < 0)
                return k;
        *revoked = k == 1;
        return 0;
}

static int fetch_one(cws_registry *r, const char *inv_id, cws_invitation *inv,
                     uint8_t signer[CWS_ED25519_KEY_LEN], cws_reason *why, cws_error *err)
{
        _cleanup_free_ char *payload = NULL;
        char key[CWS_KEY_MAX];
        int k = cws_key_invitation(key, inv_id);

        if (k < 0)
                return refuse(why, CWS_R_BAD_REQUEST, cws_error_set(err, k, "invalid invitation id"));
        k = cws_registry_get_record(r, key, CWS_REC_INVITATION, signer, &payload, err);
        if (k < 0)
                return refuse(why, cws_reason_for_fetch(k), k);
        if (cws_invitation_from_json(payload, inv, err) < 0 || cws_invitation_check(inv, err) < 0)
                return refuse(why, CWS_R_RECORD_INVALID, -EBADMSG);
        if (strcmp(inv->id, inv_id) != 0)
                return refuse(why, CWS_R_RECORD_INVALID,
                              cws_error_set(err, -EBADMSG, "%s: record is for %s (moved?)", key, inv->id));
        return 0;
}

int cws_chain_fetch(cws_registry *r, const cws_trust *t, const char *inv_id, int64_t now,
                    cws_chain *c, cws_reason *why, cws_error *err)
{
        uint8_t signer[CWS_CHAIN_MAX][CWS_ED25519_KEY_LEN];
        const char *cur = inv_id;
        int k;

        memset(c, 0, sizeof(*c));
        *why = CWS_R_OK;
        for (;;) {
                if (c->n == CWS_CHAIN_MAX)
                        return refuse(why, CWS_R_RECORD_INVALID,
                                      cws_error_set(err, -EBADMSG, "%s: delegation chain deeper than %d",
                                                    inv_id, CWS_CHAIN_MAX));
                k = fetch_one(r, cur, &c->inv[c->n], signer[c->n], why, err);
                if (k < 0)
                        return k;
                for (unsigned i = 0; i < c->n; i++)
                        if (strcmp(c->inv[i].id, c->inv[c->n].id) == 0)
                                return refuse(why, CWS_R_RECORD_INVALID,
                                              cws_error_set(err, -EBADMSG, "%s: delegation loop", inv_id));
                cur = c->inv[c->n].parent;
                c->n++;
                if (!*cur)
                        break;
        }
        /* Signatures: the root by a pinned administrator, each child by its
         * parent's invitation key; and the child rules at every link. */
        for (unsigned i = 0; i < c->n; i++) {
                bool root = i + 1 == c->n;
                if (root ? !cws_trust_contains(t, signer[i])
                         : !cws_ct_equal(signer[i], c->inv[i + 1].pubkey, CWS_ED25519_KEY_LEN))
                        return refuse(why, CWS_R_RECORD_INVALID,
                                      cws_error_set(err, -EBADMSG, "%s: signed by an untrusted key",
                                                    c->inv[i].id));
                if (!root && cws_invitation_check_child(&c->inv[i + 1], &c->inv[i],
                                                        c->inv[i].created_at, err) < 0)
                        return refuse(why, CWS_R_RECORD_INVALID, -EBADMSG);
        }
        /* Revocation before expiry: it is the lasting fact, and callers that
         * list or remember revocations must see it on expired ones too. */
        for (unsigned i = 0; i < c->n; i++) {
                char key[CWS_KEY_MAX];
                if (cws_key_invitation_revoked(key, c->inv[i].id) < 0)
                        return refuse(why, CWS_R_INTERNAL_ERROR, -EINVAL);
                k = check_revocation(r, t, c, i, key, c->inv[i].id, "", why, &c->revocation_tampered, err);
                if (k < 0)
                        return k;
                if (k == 1)
                        return refuse(why, CWS_R_INVITATION_REVOKED,
                                      cws_error_set(err, -EPERM, "invitation %s was revoked%s",
                                                    c->inv[i].id, i ? " (an ancestor)" : ""));
        }
        for (unsigned i = 0; i < c->n; i++)
                if (c->inv[i].expires_at <= now)
                        return refuse(why, CWS_R_INVITATION_EXPIRED,
                                      cws_error_set(err, -EPERM, "invitation %s expired%s", c->inv[i].id,
                                                    i ? " (an ancestor)" : ""));
        return 0;
}
