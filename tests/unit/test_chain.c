/* lib/chain.c: the delegation chain — signatures up to a pinned key, the
 * child rules at every link, expiry and revocation all the way up. */
#define _GNU_SOURCE
#include "cws/chain.h"
#include "cws/invite.h"
#include "cws/revoke.h"
#include "registry_fixture.h"

/* Fetches inv_id and expects a refusal with code and reason, and a message
 * that names what went wrong. */
static void expect_refused(registry_fx *fx, const char *inv_id, int64_t now, int code,
                           cws_reason reason, const char *msg_part)
{
        cws_chain c;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;

        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, inv_id, now, &c, &why, &err), code);
        assert_int_equal(why, reason);
        /* err.code may be the inner check's errno; the message must say
         * what happened. */
        assert_true(err.code < 0 && err.msg[0] != '\0');
        if (msg_part && !strstr(err.msg, msg_part))
                fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
}

static void expect_ok(registry_fx *fx, const char *inv_id, int64_t now, cws_chain *c)
{
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;

        if (cws_chain_fetch(fx->reg, &fx->trust, inv_id, now, c, &why, &err) != 0)
                fail_msg("chain of %s: %s (%s)", inv_id, err.msg, cws_reason_to_string(why));
        assert_int_equal(why, CWS_R_OK);
}

static void test_root_chain_ok(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_chain c;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 2, &inv, tok);
        expect_ok(fx, inv.id, FX_NOW + 1, &c);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.inv[0].id, inv.id);
        assert_string_equal(c.inv[0].name, FX_PROFILE);
        assert_string_equal(c.inv[0].parent, "");
        assert_int_equal(c.inv[0].type, CWS_TYPE_READ_WRITE);
        assert_int_equal(c.inv[0].max_devices, 2);
        assert_int_equal(c.inv[0].created_at, FX_NOW);
        assert_int_equal(c.inv[0].expires_at, FX_NOW + 30 * FX_DAY);
        assert_memory_equal(c.inv[0].pubkey, inv.pubkey, CWS_ED25519_KEY_LEN);
}

static void test_child_chain_depth_2(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_chain c;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 3, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        expect_ok(fx, child.id, FX_NOW + 1, &c);
        assert_int_equal(c.n, 2);
        assert_string_equal(c.inv[0].id, child.id);
        assert_string_equal(c.inv[0].parent, root.id);
        assert_int_equal(c.inv[0].type, CWS_TYPE_READ_ONLY);
        assert_string_equal(c.inv[1].id, root.id);
        assert_string_equal(c.inv[1].parent, "");
        assert_memory_equal(c.inv[1].pubkey, root.pubkey, CWS_ED25519_KEY_LEN);
}

static void test_child_chain_depth_3(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, mid, leaf;
        cws_chain c;
        char rtok[CWS_TOKEN_MAX], mtok[CWS_TOKEN_MAX], ltok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_ADMIN, &mid, mtok);
        fx_sub(fx, mtok, CWS_TYPE_READ_WRITE, &leaf, ltok);
        expect_ok(fx, leaf.id, FX_NOW + 1, &c);
        assert_int_equal(c.n, 3);
        assert_string_equal(c.inv[0].id, leaf.id);
        assert_string_equal(c.inv[1].id, mid.id);
        assert_string_equal(c.inv[2].id, root.id);
        assert_int_equal(c.inv[0].type, CWS_TYPE_READ_WRITE);
        /* The middle link alone is a chain of two. */
        expect_ok(fx, mid.id, FX_NOW + 1, &c);
        assert_int_equal(c.n, 2);
}

static void test_invitation_missing(void **state)
{
        registry_fx *fx = *state;
        char id[CWS_ID_MAX];

        assert_int_equal(cws_id_new("inv", id), 0);
        expect_refused(fx, id, FX_NOW, -ENOENT, CWS_R_RECORD_MISSING, id);
}

static void test_parent_missing(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], path[PATH_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        assert_int_equal(cws_key_invitation(key, root.id), 0);
        fx_path(fx, key, path);
        assert_int_equal(unlink(path), 0);
        expect_refused(fx, child.id, FX_NOW + 1, -ENOENT, CWS_R_RECORD_MISSING, root.id);
}

static void test_invalid_id(void **state)
{
        registry_fx *fx = *state;
        static const char *const bad[] = { "", "inv-", "bogus", "../inv", "dev-AAAAAAAAAAAAAAAAAAAAAA",
                                           "inv-AAAAAAAAAAAAAAAAAAAAA/" };

        for (size_t i = 0; i < CWS_ELEMENTSOF(bad); i++)
                expect_refused(fx, bad[i], FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "invalid invitation id");
}

static void test_root_signed_by_untrusted_key(void **state)
{
        registry_fx *fx = *state;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        cws_invitation inv;
        cws_error err = { 0 };
        char tok[CWS_TOKEN_MAX];

        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        fx_inv_defaults(&inv, CWS_TYPE_ADMIN);
        assert_int_equal(cws_invitation_create(fx->reg, &fx->trust, &inv, other_priv, NULL, FX_NOW,
                                               tok, &err), 0);
        expect_refused(fx, inv.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "untrusted key");
}

/* A child naming the root as parent but signed by a key that is neither
 * the root's nor trusted. */
static void test_child_signed_by_other_key(void **state)
{
        registry_fx *fx = *state;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        cws_invitation root, child;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        fx_new_identity(&child, ctok);
        memcpy(child.parent, root.id, sizeof(root.id));
        fx_put_invitation(fx, &child, other_priv);
        expect_refused(fx, child.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "untrusted key");
        /* Even the administrator key may not sign a child in the parent's
         * place: a link is signed by its parent. */
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        fx_new_identity(&child, ctok);
        memcpy(child.parent, root.id, sizeof(root.id));
        fx_put_invitation(fx, &child, fx->admin_priv);
        expect_refused(fx, child.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "untrusted key");
}

/* Every single-byte change anywhere in the stored record is refused. */
static void test_record_changed_by_one_byte(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_chain c;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], path[PATH_MAX];
        size_t len = 0;
        char *orig;
        struct stat st;

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_key_invitation(key, inv.id), 0);
        fx_path(fx, key, path);
        orig = fx_read(path, &len);
        assert_true(len > 100);
        for (size_t i = 0; i < len; i++) {
                fx_flip_byte(path, i, 0x01);
                expect_refused(fx, inv.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, NULL);
                fx_write(path, orig, len);
        }
        /* And a change of another bit in the middle of the signed payload. */
        fx_flip_byte(path, fx_offset_after(path, "\"payload\":\"") + 20, 0x02);
        expect_refused(fx, inv.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "does not verify");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        fx_write(path, orig, len);
        expect_ok(fx, inv.id, FX_NOW + 1, &c);
        free(orig);
}

static void test_record_moved_to_another_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation a, b;
        cws_chain c;
        char atok[CWS_TOKEN_MAX], btok[CWS_TOKEN_MAX], akey[CWS_KEY_MAX], bkey[CWS_KEY_MAX];
        char apath[PATH_MAX], bpath[PATH_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &a, atok);
        fx_root(fx, CWS_TYPE_ADMIN, 1, &b, btok);
        assert_int_equal(cws_key_invitation(akey, a.id), 0);
        assert_int_equal(cws_key_invitation(bkey, b.id), 0);
        fx_path(fx, akey, apath);
        fx_path(fx, bkey, bpath);
        expect_ok(fx, b.id, FX_NOW + 1, &c);
        fx_copy_file(apath, bpath);
        expect_refused(fx, b.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "moved");
        expect_ok(fx, a.id, FX_NOW + 1, &c);
        assert_string_equal(c.inv[0].id, a.id);
}

/* A record of another kind, validly signed by the administrator, stored at
 * an invitation key. */
static void test_record_of_another_kind(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], *payload = NULL;

        fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
        fx_new_identity(&inv, tok);
        assert_int_equal(cws_key_invitation(key, inv.id), 0);
        assert_int_equal(cws_invitation_to_json(&inv, &payload), 0);
        fx_put(fx, key, CWS_REC_REVOCATION, payload, fx->admin_priv);
        free(payload);
        expect_refused(fx, inv.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "envelope");
}

/* Signed by the pinned key, but the payload breaks the record rules. */
static void test_signed_payload_invalid(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX];

        /* Expires before it was created. */
        fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
        fx_new_identity(&inv, tok);
        inv.expires_at = inv.created_at;
        fx_put_invitation(fx, &inv, fx->admin_priv);
        expect_refused(fx, inv.id, FX_NOW - 10, -EBADMSG, CWS_R_RECORD_INVALID, "expires before");

        /* Not JSON of an invitation at all. */
        fx_new_identity(&inv, tok);
        assert_int_equal(cws_key_invitation(key, inv.id), 0);
        fx_put(fx, key, CWS_REC_INVITATION, "{\"version\":1,\"id\":\"x\"}", fx->admin_priv);
        expect_refused(fx, inv.id, FX_NOW, -EBADMSG, CWS_R_RECORD_INVALID, "malformed");
}

static void test_expired(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_chain c;
        cws_error err = { 0 };
        char tok[CWS_TOKEN_MAX];

        /* Made ten days ago, valid for one. */
        fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
        inv.expires_at = FX_NOW - 9 * FX_DAY;
        assert_int_equal(cws_invitation_create(fx->reg, &fx->trust, &inv, fx->admin_priv, NULL,
                                               FX_NOW - 10 * FX_DAY, tok, &err), 0);
        expect_refused(fx, inv.id, FX_NOW, -EPERM, CWS_R_INVITATION_EXPIRED, "expired");
        /* The boundary: valid up to the second before expires_at. */
        expect_ok(fx, inv.id, inv.expires_at - 1, &c);
        expect_refused(fx, inv.id, inv.expires_at, -EPERM, CWS_R_INVITATION_EXPIRED, inv.id);
}

/* A child may not outlive its parent, so a chain whose ancestor has
 * expired has an expired head as well; asking in the future refuses it. */
static void test_expired_ancestor(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child, leaf;
        cws_chain c;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX], ltok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_inv_defaults(&child, CWS_TYPE_ADMIN);
        child.expires_at = FX_NOW + 2 * FX_DAY;
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, NULL), 0);
        fx_inv_defaults(&leaf, CWS_TYPE_READ_ONLY);
        leaf.expires_at = FX_NOW + 1 * FX_DAY;
        assert_int_equal(fx_create_sub(fx, ctok, &leaf, ltok, NULL), 0);

        expect_ok(fx, leaf.id, FX_NOW + FX_DAY - 1, &c);
        assert_int_equal(c.n, 3);
        expect_refused(fx, leaf.id, FX_NOW + FX_DAY, -EPERM, CWS_R_INVITATION_EXPIRED, leaf.id);
        /* The parent expired too: refused at every depth. */
        expect_refused(fx, leaf.id, FX_NOW + 2 * FX_DAY, -EPERM, CWS_R_INVITATION_EXPIRED, NULL);
        expect_refused(fx, child.id, FX_NOW + 2 * FX_DAY, -EPERM, CWS_R_INVITATION_EXPIRED, child.id);
        /* The root expires last. */
        expect_ok(fx, root.id, FX_NOW + 2 * FX_DAY, &c);
        expect_refused(fx, leaf.id, FX_NOW + 30 * FX_DAY, -EPERM, CWS_R_INVITATION_EXPIRED, NULL);
}

static void test_revoked(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_chain c;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        expect_ok(fx, inv.id, FX_NOW + 1, &c);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "left",
                                               FX_NOW + 1, NULL), 0);
        expect_refused(fx, inv.id, FX_NOW + 2, -EPERM, CWS_R_INVITATION_REVOKED, "was revoked");
}

/* The invitation's own key may revoke it (the user gives it up). */
static void test_revoked_by_own_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        fx_token_key(tok, priv, pub);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, priv, "alice", "", FX_NOW, NULL), 0);
        expect_refused(fx, inv.id, FX_NOW + 2, -EPERM, CWS_R_INVITATION_REVOKED, inv.id);
}

static void test_revoked_parent_refuses_child(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child, leaf;
        cws_chain c;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX], ltok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_ADMIN, &child, ctok);
        fx_sub(fx, ctok, CWS_TYPE_READ_ONLY, &leaf, ltok);
        expect_ok(fx, leaf.id, FX_NOW + 1, &c);
        /* The root's key revokes the middle link. */
        fx_token_key(rtok, priv, pub);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, child.id, priv, "root", "", FX_NOW, NULL), 0);
        expect_refused(fx, leaf.id, FX_NOW + 1, -EPERM, CWS_R_INVITATION_REVOKED, "an ancestor");
        expect_refused(fx, child.id, FX_NOW + 1, -EPERM, CWS_R_INVITATION_REVOKED, child.id);
        expect_ok(fx, root.id, FX_NOW + 1, &c);
}

/* Expired and revoked: the revocation is what is reported (it is the
 * lasting fact, and the one a host must remember). */
static void test_revoked_and_expired(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "",
                                               FX_NOW, NULL), 0);
        expect_refused(fx, inv.id, FX_NOW + 31 * FX_DAY, -EPERM, CWS_R_INVITATION_REVOKED,
                       "was revoked");
}

static void test_revocation_by_unrelated_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, other_priv, "mallory", "",
                                               FX_NOW, NULL), 0);
        expect_refused(fx, inv.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "unknown key");
}

/* A child's key is below its parent: it cannot revoke the parent. */
static void test_parent_revocation_by_child_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        fx_token_key(ctok, priv, pub);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, root.id, priv, "child", "", FX_NOW, NULL), 0);
        expect_refused(fx, root.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "unknown key");
        expect_refused(fx, child.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "unknown key");
}

/* A validly signed revocation of another invitation, or of a device,
 * stored at this invitation's revocation key. */
static void test_revocation_not_matching_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation a, b;
        char atok[CWS_TOKEN_MAX], btok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], dev[CWS_ID_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &a, atok);
        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &b, btok);
        assert_int_equal(cws_key_invitation_revoked(key, a.id), 0);
        fx_put_revocation(fx, key, b.id, "", fx->admin_priv);
        expect_refused(fx, a.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "does not match");

        assert_int_equal(cws_id_new("dev", dev), 0);
        assert_int_equal(cws_key_invitation_revoked(key, b.id), 0);
        fx_put_revocation(fx, key, b.id, dev, fx->admin_priv);
        expect_refused(fx, b.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "does not match");
}

/* Hand-written children signed by the parent's own key but each breaking
 * one rule; the same child within the rules passes. */
static void test_child_record_breaking_a_rule(void **state)
{
        registry_fx *fx = *state;
        cws_invitation parent, child;
        cws_chain c;
        uint8_t ppriv[CWS_ED25519_KEY_LEN], ppub[CWS_ED25519_KEY_LEN];
        char ptok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];
        enum { OK, TYPE, MAXDEV, EXPIRY, TRANSFER, UNBOUND, N_CASES };

        fx_inv_defaults(&parent, CWS_TYPE_READ_WRITE);
        parent.can_invite = true;
        parent.max_devices = 2;
        assert_int_equal(fx_create_root(fx, &parent, ptok, NULL), 0);
        fx_token_key(ptok, ppriv, ppub);

        for (int i = OK; i < N_CASES; i++) {
                fx_inv_defaults(&child, CWS_TYPE_READ_WRITE);
                fx_new_identity(&child, ctok);
                memcpy(child.parent, parent.id, sizeof(parent.id));
                child.max_devices = 2;
                switch (i) {
                case TYPE: child.type = CWS_TYPE_ADMIN; break;
                case MAXDEV: child.max_devices = 3; break;
                case EXPIRY: child.expires_at = parent.expires_at + 1; break;
                case TRANSFER: child.transferable = true; break;
                case UNBOUND: child.device_bound = false; break;
                default: break;
                }
                fx_put_invitation(fx, &child, ppriv);
                if (i == OK) {
                        expect_ok(fx, child.id, FX_NOW + 1, &c);
                        assert_int_equal(c.n, 2);
                } else {
                        static const char *const what[N_CASES] = {
                                [TYPE] = "type admin exceeds parent",
                                [MAXDEV] = "max_devices 3 exceeds parent's 2",
                                [EXPIRY] = "expires after its parent",
                                [TRANSFER] = "transferable but parent",
                                [UNBOUND] = "not device-bound but parent",
                        };
                        expect_refused(fx, child.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID,
                                       what[i]);
                }
        }
}

/* A parent without can_invite cannot have children, whatever they say. */
static void test_child_of_parent_without_can_invite(void **state)
{
        registry_fx *fx = *state;
        cws_invitation parent, child;
        uint8_t ppriv[CWS_ED25519_KEY_LEN], ppub[CWS_ED25519_KEY_LEN];
        char ptok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &parent, ptok);
        assert_false(parent.can_invite);
        fx_token_key(ptok, ppriv, ppub);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        fx_new_identity(&child, ctok);
        memcpy(child.parent, parent.id, sizeof(parent.id));
        fx_put_invitation(fx, &child, ppriv);
        expect_refused(fx, child.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "may not invite");
}

static void test_chain_loop(void **state)
{
        registry_fx *fx = *state;
        cws_invitation a, b, self;
        char atok[CWS_TOKEN_MAX], btok[CWS_TOKEN_MAX], stok[CWS_TOKEN_MAX];
        uint8_t apriv[CWS_ED25519_KEY_LEN], apub[CWS_ED25519_KEY_LEN];
        uint8_t bpriv[CWS_ED25519_KEY_LEN], bpub[CWS_ED25519_KEY_LEN];

        /* a names b as parent and b names a: each signed by the other. */
        fx_inv_defaults(&a, CWS_TYPE_ADMIN);
        fx_new_identity(&a, atok);
        fx_inv_defaults(&b, CWS_TYPE_ADMIN);
        fx_new_identity(&b, btok);
        memcpy(a.parent, b.id, sizeof(b.id));
        memcpy(b.parent, a.id, sizeof(a.id));
        fx_token_key(atok, apriv, apub);
        fx_token_key(btok, bpriv, bpub);
        fx_put_invitation(fx, &a, bpriv);
        fx_put_invitation(fx, &b, apriv);
        expect_refused(fx, a.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "loop");
        expect_refused(fx, b.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "loop");

        /* Its own parent. */
        fx_inv_defaults(&self, CWS_TYPE_ADMIN);
        fx_new_identity(&self, stok);
        memcpy(self.parent, self.id, sizeof(self.id));
        fx_put_invitation(fx, &self, fx->admin_priv);
        expect_refused(fx, self.id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID, "loop");
}

/* CWS_CHAIN_MAX links validate; one more is refused. */
static void test_chain_too_deep(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv[CWS_CHAIN_MAX + 1];
        char tok[CWS_CHAIN_MAX + 1][CWS_TOKEN_MAX];
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_chain c;

        fx_root(fx, CWS_TYPE_ADMIN, 1, &inv[0], tok[0]);
        for (unsigned i = 1; i < CWS_CHAIN_MAX; i++)
                fx_sub(fx, tok[i - 1], CWS_TYPE_ADMIN, &inv[i], tok[i]);
        expect_ok(fx, inv[CWS_CHAIN_MAX - 1].id, FX_NOW + 1, &c);
        assert_int_equal(c.n, CWS_CHAIN_MAX);
        assert_string_equal(c.inv[CWS_CHAIN_MAX - 1].id, inv[0].id);

        /* One more link, written by hand with the last key. */
        fx_token_key(tok[CWS_CHAIN_MAX - 1], priv, pub);
        fx_inv_defaults(&inv[CWS_CHAIN_MAX], CWS_TYPE_READ_ONLY);
        fx_new_identity(&inv[CWS_CHAIN_MAX], tok[CWS_CHAIN_MAX]);
        memcpy(inv[CWS_CHAIN_MAX].parent, inv[CWS_CHAIN_MAX - 1].id, CWS_ID_MAX);
        fx_put_invitation(fx, &inv[CWS_CHAIN_MAX], priv);
        expect_refused(fx, inv[CWS_CHAIN_MAX].id, FX_NOW + 1, -EBADMSG, CWS_R_RECORD_INVALID,
                       "deeper than");
}

/* Storage we cannot read is not a verdict about the record. */
static void test_registry_unreadable(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], path[PATH_MAX], dir[PATH_MAX + 16];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_key_invitation(key, inv.id), 0);
        fx_path(fx, key, path);

        /* Group-writable record file: refused as invalid (-EPERM). */
        assert_int_equal(chmod(path, 0664), 0);
        expect_refused(fx, inv.id, FX_NOW + 1, -EPERM, CWS_R_RECORD_INVALID, "group/other writable");
        assert_int_equal(chmod(path, 0644), 0);

        /* A symbolic link in place of the record. */
        snprintf(dir, sizeof(dir), "%s.real", path);
        assert_int_equal(rename(path, dir), 0);
        assert_int_equal(symlink(dir, path), 0);
        expect_refused(fx, inv.id, FX_NOW + 1, -ELOOP, CWS_R_RECORD_INVALID, "symbolic link");
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rename(dir, path), 0);

        /* The invitation directory is a file: the store cannot answer. */
        snprintf(dir, sizeof(dir), "%s/inv", fx->regdir);
        snprintf(path, sizeof(path), "%s/inv.moved", fx->regdir);
        assert_int_equal(rename(dir, path), 0);
        {
                int fd = open(dir, O_WRONLY | O_CREAT | O_EXCL, 0644);
                assert_true(fd >= 0);
                close(fd);
        }
        expect_refused(fx, inv.id, FX_NOW + 1, -ENOTDIR, CWS_R_REGISTRY_UNAVAILABLE, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_root_chain_ok),
                T(test_child_chain_depth_2),
                T(test_child_chain_depth_3),
                T(test_invitation_missing),
                T(test_parent_missing),
                T(test_invalid_id),
                T(test_root_signed_by_untrusted_key),
                T(test_child_signed_by_other_key),
                T(test_record_changed_by_one_byte),
                T(test_record_moved_to_another_key),
                T(test_record_of_another_kind),
                T(test_signed_payload_invalid),
                T(test_expired),
                T(test_expired_ancestor),
                T(test_revoked),
                T(test_revoked_by_own_key),
                T(test_revoked_parent_refuses_child),
                T(test_revoked_and_expired),
                T(test_revocation_by_unrelated_key),
                T(test_parent_revocation_by_child_key),
                T(test_revocation_not_matching_key),
                T(test_child_record_breaking_a_rule),
                T(test_child_of_parent_without_can_invite),
                T(test_chain_loop),
                T(test_chain_too_deep),
                T(test_registry_unreadable),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
