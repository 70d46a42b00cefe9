/* lib/devices.c: the verified registrations of an invitation, for
 * administrators; forged records are not devices. */
#define _GNU_SOURCE
#include "cws/devices.h"
#include "cws/revoke.h"
#include "registry_fixture.h"

static void expect_msg(const cws_error *err, const char *part)
{
        if (!strstr(err->msg, part))
                fail_msg("message '%s' lacks '%s'", err->msg, part);
}

static size_t list(registry_fx *fx, const char *inv_id, int64_t now, cws_device_entry **v)
{
        cws_error err = { 0 };
        size_t n = 99;

        if (cws_devices_list(fx->reg, &fx->trust, inv_id, now, v, &n, &err) != 0)
                fail_msg("devices of %s: %s", inv_id, err.msg);
        return n;
}

static void expect_error(registry_fx *fx, const char *inv_id, int code, const char *msg_part)
{
        cws_device_entry *v = (cws_device_entry *)&v;
        cws_error err = { 0 };
        size_t n = 99;

        assert_int_equal(cws_devices_list(fx->reg, &fx->trust, inv_id, FX_NOW, &v, &n, &err), code);
        assert_null(v);
        assert_int_equal(n, 0);
        if (msg_part)
                expect_msg(&err, msg_part);
}

static void test_lists_devices_with_revoked_flags(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b[3];
        cws_device_entry *v = NULL;
        char tok[CWS_TOKEN_MAX];
        size_t n;

        fx_root(fx, CWS_TYPE_READ_WRITE, 3, &inv, tok);
        for (int i = 0; i < 3; i++)
                fx_enroll(fx, tok, &b[i]);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b[1].device_id, fx->admin_priv, "admin",
                                           "", FX_NOW, NULL), 0);
        n = list(fx, inv.id, FX_NOW, &v);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_string_equal(v[i].reg.device_id, b[i].device_id);
                assert_string_equal(v[i].reg.inv_id, inv.id);
                assert_int_equal(v[i].reg.slot, i + 1);
                assert_int_equal(v[i].reg.gen, 0);
                assert_string_equal(v[i].reg.user, FX_USER);
                assert_int_equal(v[i].reg.uid, FX_UID);
        }
        assert_false(v[0].revoked);
        assert_true(v[1].revoked);
        assert_false(v[2].revoked);
        free(v);
}

static void test_empty_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_device_entry *v = (cws_device_entry *)&v;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 3, &inv, tok);
        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 0);
        free(v);
}

/* Every generation of a slot is shown: the revoked device and the one that
 * took its place. */
static void test_slot_generations_listed(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b1, b2;
        cws_device_entry *v = NULL;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        fx_enroll(fx, tok, &b1);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b1.device_id, fx->admin_priv, "admin",
                                           "", FX_NOW, NULL), 0);
        fx_enroll(fx, tok, &b2);
        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 2);
        assert_string_equal(v[0].reg.device_id, b1.device_id);
        assert_int_equal(v[0].reg.gen, 0);
        assert_true(v[0].revoked);
        assert_string_equal(v[1].reg.device_id, b2.device_id);
        assert_int_equal(v[1].reg.gen, 1);
        assert_false(v[1].revoked);
        free(v);
}

static void test_invitation_revoked_all_revoked(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b[2];
        cws_device_entry *v = NULL;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_WRITE, 2, &inv, tok);
        fx_enroll(fx, tok, &b[0]);
        fx_enroll(fx, tok, &b[1]);
        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 2);
        assert_false(v[0].revoked);
        assert_false(v[1].revoked);
        free(v);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 2);
        assert_true(v[0].revoked);
        assert_true(v[1].revoked);
        assert_string_equal(v[0].reg.device_id, b[0].device_id);
        free(v);
}

static void test_ancestor_revoked_all_revoked(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_binding b;
        cws_device_entry *v = NULL;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        fx_enroll(fx, ctok, &b);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, root.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        assert_int_equal(list(fx, child.id, FX_NOW, &v), 1);
        assert_true(v[0].revoked);
        free(v);
}

/* An expired invitation still has devices to show, and a revoked one that
 * has also expired still shows them revoked. */
static void test_expired_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        cws_device_entry *v = NULL;
        char tok[CWS_TOKEN_MAX];
        int64_t later;

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        fx_enroll(fx, tok, &b);
        later = inv.expires_at + FX_DAY;
        assert_int_equal(list(fx, inv.id, later, &v), 1);
        assert_string_equal(v[0].reg.device_id, b.device_id);
        assert_false(v[0].revoked);
        free(v);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        assert_int_equal(list(fx, inv.id, later, &v), 1);
        assert_true(v[0].revoked);
        free(v);
}

/* Forged, moved or damaged registrations are not devices. */
static void test_bad_slot_records_not_listed(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        cws_device_entry *v = NULL;
        cws_device_reg reg = { .slot = 2, .gen = 0, .uid = FX_UID, .enrolled_at = FX_NOW };
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], from[PATH_MAX], to[PATH_MAX], *payload = NULL;

        fx_root(fx, CWS_TYPE_READ_WRITE, 4, &inv, tok);
        fx_enroll(fx, tok, &b);

        /* Slot 2: a registration signed by another key. */
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        memcpy(reg.inv_id, inv.id, sizeof(inv.id));
        assert_int_equal(cws_id_new("dev", reg.device_id), 0);
        snprintf(reg.user, sizeof(reg.user), "%s", "mallory");
        assert_int_equal(cws_device_reg_to_json(&reg, &payload), 0);
        assert_int_equal(cws_key_slot(key, inv.id, 2, 0), 0);
        fx_put(fx, key, CWS_REC_DEVICE, payload, other_priv);
        free(payload);

        /* Slot 3: slot 1's genuine record copied there. */
        assert_int_equal(cws_key_slot(key, inv.id, 1, 0), 0);
        fx_path(fx, key, from);
        assert_int_equal(cws_key_slot(key, inv.id, 3, 0), 0);
        fx_put(fx, key, CWS_REC_DEVICE, "{}", other_priv);
        fx_path(fx, key, to);
        fx_copy_file(from, to);

        /* Slot 4: a genuine record for slot 4, then changed by one byte. */
        reg.slot = 4;
        snprintf(reg.user, sizeof(reg.user), "%s", FX_USER);
        assert_int_equal(cws_device_reg_to_json(&reg, &payload), 0);
        assert_int_equal(cws_key_slot(key, inv.id, 4, 0), 0);
        {
                uint8_t ipriv[CWS_ED25519_KEY_LEN], ipub[CWS_ED25519_KEY_LEN];
                fx_token_key(tok, ipriv, ipub);
                fx_put(fx, key, CWS_REC_DEVICE, payload, ipriv);
        }
        free(payload);
        fx_path(fx, key, to);
        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 2);   /* slot 4 is still genuine */
        assert_int_equal(v[1].reg.slot, 4);
        free(v);
        fx_flip_byte(to, fx_offset_after(to, "\"sig\":\"") + 4, 0x01);

        assert_int_equal(list(fx, inv.id, FX_NOW, &v), 1);
        assert_string_equal(v[0].reg.device_id, b.device_id);
        assert_int_equal(v[0].reg.slot, 1);
        free(v);
}

static void test_unknown_invitation(void **state)
{
        registry_fx *fx = *state;
        char id[CWS_ID_MAX];

        assert_int_equal(cws_id_new("inv", id), 0);
        expect_error(fx, id, -ENOENT, id);
        expect_error(fx, "bogus", -EINVAL, "invalid invitation id");
        expect_error(fx, "", -EINVAL, "invalid invitation id");
}

static void test_forged_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX];

        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        fx_inv_defaults(&inv, CWS_TYPE_ADMIN);
        fx_new_identity(&inv, tok);
        fx_put_invitation(fx, &inv, other_priv);
        expect_error(fx, inv.id, -EBADMSG, "untrusted key");
}

/* A listing error is an error, not a shorter list. */
static void test_registry_unavailable(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        char tok[CWS_TOKEN_MAX], path[PATH_MAX], moved[PATH_MAX];
        int fd;

        fx_root(fx, CWS_TYPE_READ_WRITE, 2, &inv, tok);
        fx_enroll(fx, tok, &b);
        snprintf(path, sizeof(path), "%s/inv/%s/slot/2", fx->regdir, inv.id);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        close(fd);
        expect_error(fx, inv.id, -ENOTDIR, "cannot list");
        assert_int_equal(unlink(path), 0);

        /* Slot 1's record unreadable (a symlink): also an error. */
        snprintf(path, sizeof(path), "%s/inv/%s/slot/1/0", fx->regdir, inv.id);
        snprintf(moved, sizeof(moved), "%s/inv/%s/slot/1/real", fx->regdir, inv.id);
        assert_int_equal(rename(path, moved), 0);
        assert_int_equal(symlink(moved, path), 0);
        expect_error(fx, inv.id, -ELOOP, "symbolic link");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_lists_devices_with_revoked_flags),
                T(test_empty_invitation),
                T(test_slot_generations_listed),
                T(test_invitation_revoked_all_revoked),
                T(test_ancestor_revoked_all_revoked),
                T(test_expired_invitation),
                T(test_bad_slot_records_not_listed),
                T(test_unknown_invitation),
                T(test_forged_invitation),
                T(test_registry_unavailable),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
