/* lib/invite.c: creating invitations and sub-invitations; every child rule
 * is a refusal at creation, and nothing is written when refused. */
#define _GNU_SOURCE
#include "cws/chain.h"
#include "cws/invite.h"
#include "cws/revoke.h"
#include "registry_fixture.h"

static void expect_msg(const cws_error *err, const char *part)
{
        if (!strstr(err->msg, part))
                fail_msg("message '%s' lacks '%s'", err->msg, part);
}

/* Reads back the stored record of id: its signer and its fields. */
static void read_back(registry_fx *fx, const char *id, uint8_t signer[CWS_ED25519_KEY_LEN],
                      cws_invitation *out)
{
        char key[CWS_KEY_MAX], *payload = NULL;
        cws_error err = { 0 };

        assert_int_equal(cws_key_invitation(key, id), 0);
        if (cws_registry_get_record(fx->reg, key, CWS_REC_INVITATION, signer, &payload, &err) != 0)
                fail_msg("%s: %s", key, err.msg);
        assert_int_equal(cws_invitation_from_json(payload, out, &err), 0);
        free(payload);
}

static void test_root_create(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv, back, other;
        uint8_t signer[CWS_ED25519_KEY_LEN], priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        uint8_t secret[CWS_SECRET_LEN];
        char tok[CWS_TOKEN_MAX], tok2[CWS_TOKEN_MAX], id[CWS_ID_MAX], key[CWS_KEY_MAX];
        char path[PATH_MAX];
        cws_error err = { 0 };
        struct stat st;

        fx_inv_defaults(&inv, CWS_TYPE_READ_WRITE);
        inv.max_devices = 2;
        inv.created_at = 0;     /* set by the call */
        assert_int_equal(fx_create_root(fx, &inv, tok, &err), 0);
        assert_true(cws_id_valid("inv", inv.id));
        assert_int_equal(inv.created_at, FX_NOW);
        assert_string_equal(inv.parent, "");

        /* The token: "<id>.<secret>", and the secret is the record's key. */
        assert_int_equal(strncmp(tok, inv.id, strlen(inv.id)), 0);
        assert_int_equal(tok[strlen(inv.id)], '.');
        assert_int_equal(cws_token_parse(tok, id, secret), 0);
        assert_string_equal(id, inv.id);
        assert_int_equal(cws_invitation_key(id, secret, priv, pub), 0);
        assert_memory_equal(pub, inv.pubkey, sizeof(pub));

        /* The record: at its key, 0644, signed by the administrator. */
        assert_int_equal(cws_key_invitation(key, inv.id), 0);
        fx_path(fx, key, path);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0644);
        read_back(fx, inv.id, signer, &back);
        assert_memory_equal(signer, fx->admin_pub, sizeof(signer));
        assert_string_equal(back.id, inv.id);
        assert_string_equal(back.name, FX_PROFILE);
        assert_int_equal(back.type, CWS_TYPE_READ_WRITE);
        assert_false(back.can_invite);
        assert_false(back.transferable);
        assert_true(back.device_bound);
        assert_int_equal(back.max_devices, 2);
        assert_int_equal(back.created_at, FX_NOW);
        assert_int_equal(back.expires_at, FX_NOW + 30 * FX_DAY);
        assert_string_equal(back.parent, "");
        assert_memory_equal(back.pubkey, inv.pubkey, CWS_ED25519_KEY_LEN);

        /* A second invitation gets its own id and secret. */
        fx_inv_defaults(&other, CWS_TYPE_READ_WRITE);
        assert_int_equal(fx_create_root(fx, &other, tok2, &err), 0);
        assert_string_not_equal(other.id, inv.id);
        assert_string_not_equal(tok2, tok);
        assert_memory_not_equal(other.pubkey, inv.pubkey, CWS_ED25519_KEY_LEN);
        assert_int_equal(fx_count_invitations(fx), 2);
}

static void test_root_invalid_fields(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_error err = { 0 };
        char tok[CWS_TOKEN_MAX];
        static const char *const bad_names[] = { "", "-dash", ".dot", "with space", "a/b", "caf\xc3\xa9",
                "tab\there", "semi;colon" };

        for (size_t i = 0; i < CWS_ELEMENTSOF(bad_names); i++) {
                fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
                snprintf(inv.name, sizeof(inv.name), "%s", bad_names[i]);
                assert_int_equal(fx_create_root(fx, &inv, tok, &err), -EINVAL);
                expect_msg(&err, "invalid profile name");
        }
        fx_inv_defaults(&inv, CWS_TYPE_NONE);
        assert_int_equal(fx_create_root(fx, &inv, tok, &err), -EINVAL);
        expect_msg(&err, "invalid invitation type");
        fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
        inv.max_devices = 0;
        assert_int_equal(fx_create_root(fx, &inv, tok, &err), -EINVAL);
        expect_msg(&err, "max_devices must be 1-5, not 0");
        inv.max_devices = CWS_MAX_DEVICES + 1;
        assert_int_equal(fx_create_root(fx, &inv, tok, &err), -EINVAL);
        expect_msg(&err, "not 6");
        fx_inv_defaults(&inv, CWS_TYPE_READ_ONLY);
        inv.expires_at = FX_NOW;
        assert_int_equal(fx_create_root(fx, &inv, tok, &err), -EINVAL);
        expect_msg(&err, "expires before it is created");
        assert_int_equal(fx_count_invitations(fx), 0);
}

static void test_sub_ok(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child, back, leaf;
        uint8_t signer[CWS_ED25519_KEY_LEN];
        cws_chain c;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        cws_error err = { 0 };
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX], ltok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 3, &root, rtok);
        fx_inv_defaults(&child, CWS_TYPE_READ_WRITE);
        child.can_invite = true;
        child.max_devices = 2;
        child.expires_at = FX_NOW + 7 * FX_DAY;
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, &err), 0);
        assert_string_equal(child.parent, root.id);
        assert_string_not_equal(child.id, root.id);
        read_back(fx, child.id, signer, &back);
        /* Signed by the parent's invitation key, not the administrator's. */
        assert_memory_equal(signer, root.pubkey, sizeof(signer));
        assert_memory_not_equal(signer, fx->admin_pub, sizeof(signer));
        assert_string_equal(back.parent, root.id);
        assert_int_equal(back.type, CWS_TYPE_READ_WRITE);
        assert_int_equal(back.max_devices, 2);
        assert_int_equal(back.expires_at, FX_NOW + 7 * FX_DAY);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, child.id, FX_NOW, &c, &why, &err), 0);
        assert_int_equal(c.n, 2);

        /* And below that, with the child's token. */
        fx_inv_defaults(&leaf, CWS_TYPE_READ_ONLY);
        leaf.expires_at = child.expires_at;
        assert_int_equal(fx_create_sub(fx, ctok, &leaf, ltok, &err), 0);
        read_back(fx, leaf.id, signer, &back);
        assert_memory_equal(signer, child.pubkey, sizeof(signer));
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, leaf.id, FX_NOW, &c, &why, &err), 0);
        assert_int_equal(c.n, 3);
        assert_int_equal(fx_count_invitations(fx), 3);
}

/* A child exactly at its parent's limits is allowed. */
static void test_sub_at_parent_limits(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_error err = { 0 };
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_inv_defaults(&root, CWS_TYPE_READ_WRITE);
        root.can_invite = true;
        root.transferable = true;
        root.device_bound = false;
        root.max_devices = 4;
        assert_int_equal(fx_create_root(fx, &root, rtok, &err), 0);
        child = root;
        child.id[0] = '\0';
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, &err), 0);
        assert_int_equal(child.type, CWS_TYPE_READ_WRITE);
        assert_int_equal(child.max_devices, 4);
        assert_true(child.transferable);
        assert_false(child.device_bound);
        assert_int_equal(child.expires_at, root.expires_at);
}

enum rule_case {
        RW_UNDER_RO,
        ADMIN_UNDER_RW,
        MAXDEV_ABOVE,
        EXPIRES_AFTER,
        NO_CAN_INVITE,
        TRANSFERABLE_UNDER_NOT,
        UNBOUND_UNDER_BOUND,
        PARENT_EXPIRED,
        PARENT_REVOKED,
        N_RULES,
};

static void run_rule(registry_fx *fx, enum rule_case rc)
{
        static const char *const what[N_RULES] = {
                [RW_UNDER_RO] = "type read_write exceeds parent",
                [ADMIN_UNDER_RW] = "type admin exceeds parent",
                [MAXDEV_ABOVE] = "max_devices 3 exceeds parent's 2",
                [EXPIRES_AFTER] = "expires after its parent",
                [NO_CAN_INVITE] = "has can_invite off",
                [TRANSFERABLE_UNDER_NOT] = "transferable but parent",
                [UNBOUND_UNDER_BOUND] = "not device-bound but parent",
                [PARENT_EXPIRED] = "expired",
                [PARENT_REVOKED] = "was revoked",
        };
        cws_invitation parent, child;
        cws_error err = { 0 };
        char ptok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX] = "";
        int64_t made = FX_NOW;
        size_t before;

        fx_inv_defaults(&parent, rc == RW_UNDER_RO ? CWS_TYPE_READ_ONLY : CWS_TYPE_READ_WRITE);
        parent.can_invite = rc != NO_CAN_INVITE;
        parent.max_devices = 2;
        if (rc == PARENT_EXPIRED) {
                made = FX_NOW - 10 * FX_DAY;
                parent.expires_at = FX_NOW - 9 * FX_DAY;
        }
        assert_int_equal(cws_invitation_create(fx->reg, &fx->trust, &parent, fx->admin_priv, NULL,
                                               made, ptok, &err), 0);
        if (rc == PARENT_REVOKED)
                assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, parent.id, fx->admin_priv, "admin",
                                                       "", FX_NOW, &err), 0);

        /* A child that is fine except for the one rule under test. */
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        child.max_devices = 2;
        child.expires_at = FX_NOW + FX_DAY;
        if (rc == PARENT_EXPIRED)
                child.expires_at = parent.expires_at;
        switch (rc) {
        case RW_UNDER_RO: child.type = CWS_TYPE_READ_WRITE; break;
        case ADMIN_UNDER_RW: child.type = CWS_TYPE_ADMIN; break;
        case MAXDEV_ABOVE: child.max_devices = 3; break;
        case EXPIRES_AFTER: child.expires_at = parent.expires_at + 1; break;
        case TRANSFERABLE_UNDER_NOT: child.transferable = true; break;
        case UNBOUND_UNDER_BOUND: child.device_bound = false; break;
        default: break;
        }
        before = fx_count_invitations(fx);
        assert_int_equal(fx_create_sub(fx, ptok, &child, ctok, &err), -EPERM);
        expect_msg(&err, what[rc]);
        assert_int_equal(err.code, -EPERM);
        /* Nothing was written and no token handed out. */
        assert_int_equal(fx_count_invitations(fx), before);
        assert_string_equal(ctok, "");
}

static void test_rule_rw_under_ro(void **state) { run_rule(*state, RW_UNDER_RO); }
static void test_rule_admin_under_rw(void **state) { run_rule(*state, ADMIN_UNDER_RW); }
static void test_rule_max_devices_above(void **state) { run_rule(*state, MAXDEV_ABOVE); }
static void test_rule_expires_after(void **state) { run_rule(*state, EXPIRES_AFTER); }
static void test_rule_no_can_invite(void **state) { run_rule(*state, NO_CAN_INVITE); }
static void test_rule_transferable(void **state) { run_rule(*state, TRANSFERABLE_UNDER_NOT); }
static void test_rule_unbound(void **state) { run_rule(*state, UNBOUND_UNDER_BOUND); }
static void test_rule_parent_expired(void **state) { run_rule(*state, PARENT_EXPIRED); }
static void test_rule_parent_revoked(void **state) { run_rule(*state, PARENT_REVOKED); }

/* The right id with another secret: the derived key does not match. */
static void test_wrong_secret(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_error err = { 0 };
        uint8_t secret[CWS_SECRET_LEN];
        char rtok[CWS_TOKEN_MAX], bad[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        assert_int_equal(cws_random(secret, sizeof(secret)), 0);
        assert_int_equal(cws_token_format(root.id, secret, bad), 0);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EPERM);
        expect_msg(&err, "does not match");
        expect_msg(&err, root.id);
        assert_int_equal(fx_count_invitations(fx), 1);
}

static void test_malformed_parent_token(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_error err = { 0 };
        char rtok[CWS_TOKEN_MAX], bad[CWS_TOKEN_MAX * 2], ctok[CWS_TOKEN_MAX];
        size_t dot;

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        dot = strlen(root.id);
        const char *const forms[] = { "", "nodot", ".", "inv-short.AAAA", "dev-x.AAAA" };
        for (size_t i = 0; i < CWS_ELEMENTSOF(forms); i++) {
                fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
                assert_int_equal(fx_create_sub(fx, forms[i], &child, ctok, &err), -EINVAL);
                expect_msg(&err, "parent token is malformed");
        }
        /* The real token, cut short, with a padded or extended secret, or
         * without its id. */
        snprintf(bad, sizeof(bad), "%.*s", (int)(dot + 10), rtok);
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EINVAL);
        snprintf(bad, sizeof(bad), "%s=", rtok);
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EINVAL);
        snprintf(bad, sizeof(bad), "%sAA", rtok);
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EINVAL);
        snprintf(bad, sizeof(bad), "%s", rtok + dot);
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EINVAL);
        memset(bad, 'A', CWS_TOKEN_MAX + 5);
        bad[CWS_TOKEN_MAX + 5] = '\0';
        assert_int_equal(fx_create_sub(fx, bad, &child, ctok, &err), -EINVAL);
        expect_msg(&err, "malformed");
        assert_int_equal(fx_count_invitations(fx), 1);
}

/* A well-formed token for an invitation that is not there. */
static void test_parent_missing(void **state)
{
        registry_fx *fx = *state;
        cws_invitation ghost, child;
        cws_error err = { 0 };
        char gtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_inv_defaults(&ghost, CWS_TYPE_ADMIN);
        fx_new_identity(&ghost, gtok);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        assert_int_equal(fx_create_sub(fx, gtok, &child, ctok, &err), -ENOENT);
        expect_msg(&err, "no such record");
        assert_int_equal(fx_count_invitations(fx), 0);
}

/* A parent record signed by an unpinned key cannot be delegated from. */
static void test_parent_forged(void **state)
{
        registry_fx *fx = *state;
        cws_invitation forged, child;
        cws_error err = { 0 };
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char ftok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        fx_inv_defaults(&forged, CWS_TYPE_ADMIN);
        fx_new_identity(&forged, ftok);
        fx_put_invitation(fx, &forged, other_priv);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        assert_int_equal(fx_create_sub(fx, ftok, &child, ctok, &err), -EBADMSG);
        expect_msg(&err, "untrusted key");
        assert_int_equal(fx_count_invitations(fx), 1);
}

static void test_child_invalid_fields(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_error err = { 0 };
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        snprintf(child.name, sizeof(child.name), "%s", "../etc");
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, &err), -EINVAL);
        expect_msg(&err, "invalid profile name");
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        child.expires_at = FX_NOW - 1;
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, &err), -EINVAL);
        expect_msg(&err, "expires before");
        assert_int_equal(fx_count_invitations(fx), 1);
}

/* CWS_CHAIN_MAX links may be made; a token for one more is never handed
 * out, since its chain could never verify. */
static void test_depth_limit(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv[CWS_CHAIN_MAX + 1];
        char tok[CWS_CHAIN_MAX + 1][CWS_TOKEN_MAX];
        cws_error err = { 0 };

        fx_root(fx, CWS_TYPE_ADMIN, 1, &inv[0], tok[0]);
        for (unsigned i = 1; i < CWS_CHAIN_MAX; i++)
                fx_sub(fx, tok[i - 1], CWS_TYPE_ADMIN, &inv[i], tok[i]);
        fx_inv_defaults(&inv[CWS_CHAIN_MAX], CWS_TYPE_READ_ONLY);
        assert_int_equal(fx_create_sub(fx, tok[CWS_CHAIN_MAX - 1], &inv[CWS_CHAIN_MAX],
                                       tok[CWS_CHAIN_MAX], &err), -EPERM);
        expect_msg(&err, "at most 8 links");
        assert_int_equal(fx_count_invitations(fx), CWS_CHAIN_MAX);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_root_create),
                T(test_root_invalid_fields),
                T(test_sub_ok),
                T(test_sub_at_parent_limits),
                T(test_rule_rw_under_ro),
                T(test_rule_admin_under_rw),
                T(test_rule_max_devices_above),
                T(test_rule_expires_after),
                T(test_rule_no_can_invite),
                T(test_rule_transferable),
                T(test_rule_unbound),
                T(test_rule_parent_expired),
                T(test_rule_parent_revoked),
                T(test_wrong_secret),
                T(test_malformed_parent_token),
                T(test_parent_missing),
                T(test_parent_forged),
                T(test_child_invalid_fields),
                T(test_depth_limit),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
