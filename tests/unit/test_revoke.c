/* lib/revoke.c: revocations are create-only and monotonic; what counts is
 * who signed them (checked by cws_device_revoked and the chain). */
#define _GNU_SOURCE
#include "cws/chain.h"
#include "cws/revoke.h"
#include "registry_fixture.h"

static void expect_msg(const cws_error *err, const char *part)
{
        if (!strstr(err->msg, part))
                fail_msg("message '%s' lacks '%s'", err->msg, part);
}

typedef struct enrolled {
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX];
        cws_binding b;
        cws_chain chain;
} enrolled;

static void enroll_one(registry_fx *fx, enrolled *e, unsigned max_devices)
{
        cws_reason why = CWS_R_INTERNAL_ERROR;

        fx_root(fx, CWS_TYPE_READ_WRITE, max_devices, &e->inv, e->tok);
        fx_enroll(fx, e->tok, &e->b);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, e->inv.id, FX_NOW, &e->chain, &why,
                                         NULL), 0);
}

static bool revoked_now(registry_fx *fx, const cws_chain *c, const char *dev)
{
        bool revoked = true;
        cws_error err = { 0 };

        if (cws_device_revoked(fx->reg, &fx->trust, c, dev, &revoked, NULL, &err) != 0)
                fail_msg("device_revoked: %s", err.msg);
        return revoked;
}

static void test_device_revocation(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_revocation rv;
        cws_error err = { 0 };
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char key[CWS_KEY_MAX], path[PATH_MAX], *payload = NULL;
        struct stat st;

        enroll_one(fx, &e, 1);
        assert_false(revoked_now(fx, &e.chain, e.b.device_id));
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv,
                                           "admin@example", "laptop stolen", FX_NOW + 5, &err), 0);
        assert_true(revoked_now(fx, &e.chain, e.b.device_id));

        /* The record: create-only at device-revoked/<dev>, signed by the
         * administrator, naming the invitation and the device. */
        assert_int_equal(cws_key_device_revoked(key, e.inv.id, e.b.device_id), 0);
        fx_path(fx, key, path);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(cws_registry_get_record(fx->reg, key, CWS_REC_REVOCATION, signer, &payload,
                                                 &err), 0);
        assert_memory_equal(signer, fx->admin_pub, sizeof(signer));
        assert_int_equal(cws_revocation_from_json(payload, &rv, &err), 0);
        free(payload);
        assert_string_equal(rv.inv_id, e.inv.id);
        assert_string_equal(rv.device_id, e.b.device_id);
        assert_string_equal(rv.by, "admin@example");
        assert_string_equal(rv.why, "laptop stolen");
        assert_int_equal(rv.at, FX_NOW + 5);

        /* Again: already revoked, and the first record stands. */
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv,
                                           "someone", "again", FX_NOW + 6, &err), -EALREADY);
        expect_msg(&err, "already revoked");
        expect_msg(&err, e.b.device_id);
        assert_int_equal(cws_registry_get_record(fx->reg, key, CWS_REC_REVOCATION, signer, &payload,
                                                 &err), 0);
        assert_int_equal(cws_revocation_from_json(payload, &rv, &err), 0);
        free(payload);
        assert_string_equal(rv.why, "laptop stolen");
        assert_true(revoked_now(fx, &e.chain, e.b.device_id));
}

static void test_invitation_revocation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_revocation rv;
        cws_error err = { 0 };
        cws_chain c;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], *payload = NULL;

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, inv.id, FX_NOW, &c, &why, &err), 0);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "contract over",
                                               FX_NOW + 1, &err), 0);
        assert_int_equal(cws_key_invitation_revoked(key, inv.id), 0);
        assert_int_equal(cws_registry_get_record(fx->reg, key, CWS_REC_REVOCATION, signer, &payload,
                                                 &err), 0);
        assert_memory_equal(signer, fx->admin_pub, sizeof(signer));
        assert_int_equal(cws_revocation_from_json(payload, &rv, &err), 0);
        free(payload);
        assert_string_equal(rv.inv_id, inv.id);
        assert_string_equal(rv.device_id, "");
        assert_string_equal(rv.why, "contract over");
        assert_int_equal(rv.at, FX_NOW + 1);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, inv.id, FX_NOW + 2, &c, &why, &err),
                         -EPERM);
        assert_int_equal(why, CWS_R_INVITATION_REVOKED);

        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "again",
                                               FX_NOW + 3, &err), -EALREADY);
        expect_msg(&err, "already revoked");
        expect_msg(&err, inv.id);
}

/* NULL by/why are stored as empty strings. */
static void test_revocation_without_by_or_why(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_revocation rv;
        cws_error err = { 0 };
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char key[CWS_KEY_MAX], *payload = NULL;

        enroll_one(fx, &e, 1);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, NULL,
                                           NULL, FX_NOW, &err), 0);
        assert_int_equal(cws_key_device_revoked(key, e.inv.id, e.b.device_id), 0);
        assert_int_equal(cws_registry_get_record(fx->reg, key, CWS_REC_REVOCATION, signer, &payload,
                                                 &err), 0);
        assert_int_equal(cws_revocation_from_json(payload, &rv, &err), 0);
        free(payload);
        assert_string_equal(rv.by, "");
        assert_string_equal(rv.why, "");
}

static void test_invalid_ids(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_error err = { 0 };
        bool revoked = false;
        const char *const bad_inv[] = { "", "bogus", "inv-", "../x", "inv-AAAA/../..",
                                        "dev-AAAAAAAAAAAAAAAAAAAAAA" };
        const char *const bad_dev[] = { "", "bogus", "dev-", "../x", "inv-AAAAAAAAAAAAAAAAAAAAAA",
                                        "dev-AAAAAAAAAAAAAAAAAAAAAA/x" };

        enroll_one(fx, &e, 1);
        for (size_t i = 0; i < CWS_ELEMENTSOF(bad_inv); i++) {
                assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, bad_inv[i], e.b.device_id, fx->admin_priv,
                                                   "a", "", FX_NOW, &err), -EINVAL);
                expect_msg(&err, "invalid");
                assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, bad_inv[i], fx->admin_priv, "a", "",
                                                       FX_NOW, &err), -EINVAL);
                expect_msg(&err, "invalid invitation id");
        }
        for (size_t i = 0; i < CWS_ELEMENTSOF(bad_dev); i++) {
                assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, bad_dev[i], fx->admin_priv, "a",
                                                   "", FX_NOW, &err), -EINVAL);
                expect_msg(&err, "invalid invitation or device id");
                assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &e.chain, bad_dev[i],
                                                    &revoked, NULL, &err), -EINVAL);
        }
        /* Nothing was written. */
        assert_false(revoked_now(fx, &e.chain, e.b.device_id));
}

/* The invitation's own key counts (a user revokes their own device), and
 * so does an ancestor's. */
static void test_revocation_by_invitation_keys(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_binding b1, b2;
        cws_chain c;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 2, &root, rtok);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        child.max_devices = 2;
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, NULL), 0);
        fx_enroll(fx, ctok, &b1);
        fx_enroll(fx, ctok, &b2);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, child.id, FX_NOW, &c, &why, NULL), 0);

        fx_token_key(ctok, priv, pub);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, child.id, b1.device_id, priv, FX_USER, "", FX_NOW,
                                           NULL), 0);
        assert_true(revoked_now(fx, &c, b1.device_id));
        assert_false(revoked_now(fx, &c, b2.device_id));

        fx_token_key(rtok, priv, pub);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, child.id, b2.device_id, priv, "root", "", FX_NOW,
                                           NULL), 0);
        assert_true(revoked_now(fx, &c, b2.device_id));
}

/* Written (the storage takes anything), but it does not count: reading it
 * is an error, never "not revoked". */
static void test_revocation_by_unrelated_key(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_error err = { 0 };
        bool revoked = false;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];

        enroll_one(fx, &e, 1);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, other_priv, "mallory",
                                           "", FX_NOW, NULL), 0);
        assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &e.chain, e.b.device_id, &revoked, NULL,
                                            &err), -EBADMSG);
        expect_msg(&err, "unknown key");
}

/* A child invitation's key is not in its parent's chain: it cannot revoke
 * the parent's devices. */
static void test_revocation_by_child_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_binding b;
        cws_chain c;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        bool revoked = false;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        fx_enroll(fx, rtok, &b);
        assert_int_equal(cws_chain_fetch(fx->reg, &fx->trust, root.id, FX_NOW, &c, &why, NULL), 0);
        fx_token_key(ctok, priv, pub);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, root.id, b.device_id, priv, "child", "", FX_NOW,
                                           NULL), 0);
        assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &c, b.device_id, &revoked, NULL, &err),
                         -EBADMSG);
        expect_msg(&err, "unknown key");
}

/* A validly signed revocation of another device moved to this one's key. */
static void test_revocation_moved(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_error err = { 0 };
        bool revoked = false;
        char key[CWS_KEY_MAX], other_dev[CWS_ID_MAX];

        enroll_one(fx, &e, 1);
        assert_int_equal(cws_id_new("dev", other_dev), 0);
        assert_int_equal(cws_key_device_revoked(key, e.inv.id, e.b.device_id), 0);
        fx_put_revocation(fx, key, e.inv.id, other_dev, fx->admin_priv);
        assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &e.chain, e.b.device_id, &revoked, NULL,
                                            &err), -EBADMSG);
        expect_msg(&err, "does not match");
}

/* Damaged revocation records are errors, never "not revoked". */
static void test_revocation_damaged(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_error err = { 0 };
        bool revoked = false;
        char key[CWS_KEY_MAX], path[PATH_MAX];

        enroll_one(fx, &e, 1);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, "a", "",
                                           FX_NOW, NULL), 0);
        assert_int_equal(cws_key_device_revoked(key, e.inv.id, e.b.device_id), 0);
        fx_path(fx, key, path);
        fx_flip_byte(path, fx_offset_after(path, "\"payload\":\"") + 8, 0x01);
        assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &e.chain, e.b.device_id, &revoked, NULL,
                                            &err), -EBADMSG);
        /* Group-writable: refused before it is read. */
        assert_int_equal(chmod(path, 0666), 0);
        assert_int_equal(cws_device_revoked(fx->reg, &fx->trust, &e.chain, e.b.device_id, &revoked, NULL,
                                            &err), -EPERM);
        assert_int_equal(chmod(path, 0644), 0);
}

/* The registry cannot take the record: the error is passed on. */
static void test_registry_unwritable(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_error err = { 0 };
        char path[PATH_MAX];
        int fd;

        enroll_one(fx, &e, 1);
        snprintf(path, sizeof(path), "%s/inv/%s/device-revoked", fx->regdir, e.inv.id);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, "a", "",
                                           FX_NOW, &err), -ENOTDIR);
        expect_msg(&err, "device-revoked is not a directory");
}

/* ---- a versioned store (S3 with object lock): every version is read ---- */

/* The file registry, with the history of one key scripted as S3 would
 * keep it after an attacker: the real revocation (or not), versions put
 * over it, delete markers, or too many of them. */
typedef struct versioned_fake {
        cws_registry base;
        cws_registry *real;
        char key[CWS_KEY_MAX];
        bool keep_real;
        unsigned real_copies;   /* the real record, again (a revocation repeated) */
        const char *junk;       /* a version put over it */
        unsigned markers;
        int fail;
} versioned_fake;

static int vf_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        return cws_registry_get(((versioned_fake *)r)->real, key, data, len, err);
}

static int vf_put(cws_registry *r, const char *key, const void *data, size_t len, cws_error *err)
{
        return cws_registry_put_create_only(((versioned_fake *)r)->real, key, data, len, err);
}

static int vf_list(cws_registry *r, const char *prefix, char ***keys, size_t *n, cws_error *err)
{
        return cws_registry_list(((versioned_fake *)r)->real, prefix, keys, n, err);
}

static void vf_free(cws_registry *r) { (void)r; }

static int vf_versions(cws_registry *r, const char *key, cws_registry_versions *v, cws_error *err)
{
        versioned_fake *f = (versioned_fake *)r;
        cws_registry_versions real;
        int k;

        if (strcmp(key, f->key) != 0)
                return cws_registry_get_versions(f->real, key, v, err);
        if (f->fail)
                return cws_error_set(err, f->fail, "%s: scripted failure", key);
        k = cws_registry_get_versions(f->real, key, &real, err);
        if (k < 0)
                return k;
        for (unsigned c = 0; c <= f->real_copies && f->keep_real && real.n == 1; c++) {
                v->data[v->n] = strdup(real.data[0]);
                v->len[v->n++] = real.len[0];
        }
        cws_registry_versions_free(&real);
        if (f->junk) {
                v->data[v->n] = strdup(f->junk);
                v->len[v->n++] = strlen(f->junk);
        }
        v->delete_markers = f->markers;
        return 0;
}

static const struct cws_registry_ops vf_ops = {
        .get = vf_get, .put_create_only = vf_put, .list = vf_list, .free = vf_free,
        .get_versions = vf_versions,
};

static void vf_init(versioned_fake *f, registry_fx *fx, const char *key)
{
        memset(f, 0, sizeof(*f));
        f->base.ops = &vf_ops;
        f->real = fx->reg;
        f->keep_real = true;
        snprintf(f->key, sizeof(f->key), "%s", key);
}

static int vf_revoked(versioned_fake *f, registry_fx *fx, const enrolled *e, bool *revoked, bool *tampered,
                      cws_error *err)
{
        *revoked = false;
        *tampered = false;
        return cws_device_revoked(&f->base, &fx->trust, &e->chain, e->b.device_id, revoked, tampered, err);
}

static void test_versions_device(void **state)
{
        registry_fx *fx = *state;
        versioned_fake f;
        enrolled e;
        char key[CWS_KEY_MAX];
        cws_error err = { 0 };
        bool revoked, tampered;

        enroll_one(fx, &e, 1);
        assert_int_equal(cws_key_device_revoked(key, e.inv.id, e.b.device_id), 0);
        vf_init(&f, fx, key);

        /* Never revoked, nothing on the key: not revoked, no tampering. */
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), 0);
        assert_false(revoked);
        assert_false(tampered);
        /* A delete marker over nothing: fail closed, and tampering. */
        f.markers = 1;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), -ENOENT);
        assert_true(tampered);
        expect_msg(&err, "a delete marker and no revocation under it");

        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, "a",
                                           "", FX_NOW, &err), 0);
        /* Revoked, a marker and a version on top: still revoked, tampering. */
        f.junk = "not a revocation";
        f.markers = 2;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), 0);
        assert_true(revoked);
        assert_true(tampered);
        /* An overwrite alone is tampering too. */
        f.markers = 0;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), 0);
        assert_true(revoked);
        assert_true(tampered);
        /* The same revocation twice (two writers; RGW 16 keeps both on a
         * locked bucket): revoked, nothing foreign. */
        f.junk = NULL;
        f.real_copies = 1;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), 0);
        assert_true(revoked);
        assert_false(tampered);
        /* Only a foreign version: record_invalid as before, not "not revoked". */
        f.keep_real = false;
        f.junk = "not a revocation";
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), -EBADMSG);
        assert_false(revoked);
        /* Too many versions: refused, tampering. */
        f.fail = -E2BIG;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), -E2BIG);
        assert_true(tampered);
        /* The store cannot be asked: an error, never "not revoked". */
        f.fail = -ETIMEDOUT;
        assert_int_equal(vf_revoked(&f, fx, &e, &revoked, &tampered, &err), -ETIMEDOUT);
        assert_false(revoked);
}

static void test_versions_invitation(void **state)
{
        registry_fx *fx = *state;
        versioned_fake f;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX];
        cws_chain c;
        cws_reason why;
        cws_error err = { 0 };

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_key_invitation_revoked(key, inv.id), 0);
        vf_init(&f, fx, key);
        f.markers = 1;
        assert_int_equal(cws_chain_fetch(&f.base, &fx->trust, inv.id, FX_NOW, &c, &why, &err), -ENOENT);
        assert_int_equal(why, CWS_R_RECORD_MISSING);
        assert_true(c.revocation_tampered);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "a", "", FX_NOW,
                                               &err), 0);
        f.junk = "x";
        assert_int_equal(cws_chain_fetch(&f.base, &fx->trust, inv.id, FX_NOW, &c, &why, &err), -EPERM);
        assert_int_equal(why, CWS_R_INVITATION_REVOKED);
        assert_true(c.revocation_tampered);
        f.markers = 0;
        f.junk = NULL;
        assert_int_equal(cws_chain_fetch(&f.base, &fx->trust, inv.id, FX_NOW, &c, &why, &err), -EPERM);
        assert_false(c.revocation_tampered);
}

/* Retention: the verified expiry + 30 days; an invitation that cannot be
 * verified never shortens it. */
static void test_retain_until(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_revocation_retain_until(fx->reg, &fx->trust, inv.id, FX_NOW),
                         inv.expires_at + CWS_REVOCATION_RETAIN_MARGIN);
        assert_int_equal(cws_revocation_retain_until(fx->reg, &fx->trust, inv.id, inv.expires_at + 10),
                         inv.expires_at + 10 + CWS_REVOCATION_RETAIN_MARGIN);
        assert_int_equal(cws_revocation_retain_until(fx->reg, &fx->trust, "inv-AAAAAAAAAAAAAAAAAAAAAA", FX_NOW),
                         FX_NOW + CWS_REVOCATION_RETAIN_UNKNOWN);
        assert_int_equal(cws_revocation_retain_until(fx->reg, NULL, inv.id, FX_NOW),
                         FX_NOW + CWS_REVOCATION_RETAIN_UNKNOWN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_device_revocation),
                T(test_invitation_revocation),
                T(test_revocation_without_by_or_why),
                T(test_invalid_ids),
                T(test_revocation_by_invitation_keys),
                T(test_revocation_by_unrelated_key),
                T(test_revocation_by_child_key),
                T(test_revocation_moved),
                T(test_revocation_damaged),
                T(test_registry_unwritable),
                T(test_versions_device),
                T(test_versions_invitation),
                T(test_retain_until),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
