/* lib/invitation.c: defaults, field checks, every child rule of docs/design.md §3.2
 * in its own test, tokens and the derived invitation key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/invitation.h"

#define DAY (24 * 60 * 60)
#define NOW ((int64_t)1700000000)
#define PARENT_ID "inv-AAAAAAAAAAAAAAAAAAAAAA"
#define CHILD_ID "inv-AQIDBAUGBwgJCgsMDQ4PEA"
#define OTHER_ID "inv-_____________________w"

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

/* ---- defaults ---- */

static void assert_common_defaults(const cws_invitation *inv, int64_t now)
{
        assert_false(inv->transferable);
        assert_true(inv->device_bound);
        assert_int_equal(inv->max_devices, 1);
        assert_int_equal(inv->created_at, now);
        assert_int_equal(inv->expires_at, now + 30 * DAY);
        assert_string_equal(inv->id, "");
        assert_string_equal(inv->name, "");
        assert_string_equal(inv->parent, "");
}

static void test_defaults_read_only(void **state)
{
        cws_invitation inv;
        (void)state;

        memset(&inv, 0xa5, sizeof(inv));
        cws_invitation_defaults(&inv, CWS_TYPE_READ_ONLY, NOW);
        assert_int_equal(inv.type, CWS_TYPE_READ_ONLY);
        assert_false(inv.can_invite);
        assert_common_defaults(&inv, NOW);
}

static void test_defaults_read_write(void **state)
{
        cws_invitation inv;
        (void)state;

        memset(&inv, 0xa5, sizeof(inv));
        cws_invitation_defaults(&inv, CWS_TYPE_READ_WRITE, NOW + 5);
        assert_int_equal(inv.type, CWS_TYPE_READ_WRITE);
        assert_false(inv.can_invite);
        assert_common_defaults(&inv, NOW + 5);
}

static void test_defaults_admin(void **state)
{
        cws_invitation inv;
        (void)state;

        memset(&inv, 0xa5, sizeof(inv));
        cws_invitation_defaults(&inv, CWS_TYPE_ADMIN, NOW);
        assert_int_equal(inv.type, CWS_TYPE_ADMIN);
        assert_true(inv.can_invite);
        assert_common_defaults(&inv, NOW);
}

/* ---- cws_invitation_check ---- */

static void good_invitation(cws_invitation *inv)
{
        cws_invitation_defaults(inv, CWS_TYPE_READ_WRITE, NOW);
        snprintf(inv->name, sizeof(inv->name), "lab-access");
}

static void test_check_good(void **state)
{
        cws_invitation inv;
        cws_error err = { 0 };
        (void)state;

        good_invitation(&inv);
        assert_int_equal(cws_invitation_check(&inv, &err), 0);
        inv.max_devices = CWS_MAX_DEVICES;
        inv.expires_at = inv.created_at + 1;
        assert_int_equal(cws_invitation_check(&inv, &err), 0);
        assert_int_equal(err.code, 0);
}

static void test_check_bad_name(void **state)
{
        const char *names[] = { "", "-x", ".x", "a/b", "a b", "caf\xc3\xa9" };
        cws_invitation inv;
        (void)state;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                cws_error err = { 0 };
                good_invitation(&inv);
                snprintf(inv.name, sizeof(inv.name), "%s", names[i]);
                assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
                assert_int_equal(err.code, -EINVAL);
                assert_contains(err.msg, "invalid profile name");
        }
}

static void test_check_bad_type(void **state)
{
        cws_invitation inv;
        cws_error err = { 0 };
        (void)state;

        good_invitation(&inv);
        inv.type = CWS_TYPE_NONE;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "invalid invitation type");
        inv.type = (cws_inv_type)4;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "invalid invitation type");
}

static void test_check_max_devices(void **state)
{
        cws_invitation inv;
        cws_error err = { 0 };
        (void)state;

        good_invitation(&inv);
        inv.max_devices = 0;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "max_devices must be 1-5, not 0");
        inv.max_devices = 6;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "max_devices must be 1-5, not 6");
}

static void test_check_expiry(void **state)
{
        cws_invitation inv;
        cws_error err = { 0 };
        (void)state;

        good_invitation(&inv);
        inv.expires_at = inv.created_at;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "expires before it is created");
        inv.expires_at = inv.created_at - 1;
        assert_int_equal(cws_invitation_check(&inv, &err), -EINVAL);
        assert_contains(err.msg, "expires before it is created");
}

/* ---- child rules ---- */

/* A parent that allows everything a child may ask for, and a child equal
 * to it in every respect: the baseline each rule test changes one thing in. */
static void family(cws_invitation *parent, cws_invitation *child)
{
        cws_invitation_defaults(parent, CWS_TYPE_ADMIN, NOW - DAY);
        snprintf(parent->id, sizeof(parent->id), "%s", PARENT_ID);
        snprintf(parent->name, sizeof(parent->name), "lab");
        parent->can_invite = true;
        parent->max_devices = 3;
        parent->transferable = false;
        parent->device_bound = true;

        *child = *parent;
        snprintf(child->id, sizeof(child->id), "%s", CHILD_ID);
        snprintf(child->parent, sizeof(child->parent), "%s", PARENT_ID);
        child->created_at = NOW;
}

/* Expects -EPERM with a message naming the child and containing part. */
static void assert_child_refused(const cws_invitation *parent, const cws_invitation *child,
                                 int64_t now, const char *part)
{
        cws_error err = { 0 };

        assert_int_equal(cws_invitation_check_child(parent, child, now, &err), -EPERM);
        assert_int_equal(err.code, -EPERM);
        assert_contains(err.msg, child->id);
        assert_contains(err.msg, part);
}

static void test_child_equal_allowed(void **state)
{
        cws_invitation p, c;
        cws_error err = { 0 };
        (void)state;

        family(&p, &c);
        /* Same type, max_devices, expiry and flags as the parent. */
        assert_int_equal(cws_invitation_check_child(&p, &c, NOW, &err), 0);
        assert_int_equal(err.code, 0);
        /* The parent's last valid second. */
        assert_int_equal(cws_invitation_check_child(&p, &c, p.expires_at - 1, &err), 0);
}

static void test_child_lower_allowed(void **state)
{
        cws_invitation p, c;
        cws_error err = { 0 };
        (void)state;

        family(&p, &c);
        c.type = CWS_TYPE_READ_ONLY;
        c.max_devices = 1;
        c.expires_at = p.expires_at - DAY;
        c.can_invite = false;
        assert_int_equal(cws_invitation_check_child(&p, &c, NOW, &err), 0);
        c.type = CWS_TYPE_READ_WRITE;
        assert_int_equal(cws_invitation_check_child(&p, &c, NOW, &err), 0);
        /* Tighter flags under a loose parent. */
        p.transferable = true;
        p.device_bound = false;
        c.transferable = false;
        c.device_bound = true;
        assert_int_equal(cws_invitation_check_child(&p, &c, NOW, &err), 0);
        /* Equally loose flags are fine too. */
        c.transferable = true;
        c.device_bound = false;
        assert_int_equal(cws_invitation_check_child(&p, &c, NOW, &err), 0);
}

static void test_child_read_write_under_read_only(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.type = CWS_TYPE_READ_ONLY;
        c.type = CWS_TYPE_READ_WRITE;
        assert_child_refused(&p, &c, NOW, "type read_write exceeds parent");
        assert_child_refused(&p, &c, NOW, "type read_only");
}

static void test_child_admin_under_read_write(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.type = CWS_TYPE_READ_WRITE;
        c.type = CWS_TYPE_ADMIN;
        assert_child_refused(&p, &c, NOW, "type admin exceeds parent");
        assert_child_refused(&p, &c, NOW, "type read_write");
}

static void test_child_admin_under_read_only(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.type = CWS_TYPE_READ_ONLY;
        c.type = CWS_TYPE_ADMIN;
        assert_child_refused(&p, &c, NOW, "type admin exceeds parent");
}

static void test_child_max_devices_above_parent(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        c.max_devices = p.max_devices + 1;
        assert_child_refused(&p, &c, NOW, "max_devices 4 exceeds parent's 3");
}

static void test_child_expires_after_parent(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        c.expires_at = p.expires_at + 1;
        assert_child_refused(&p, &c, NOW, "expires after its parent");
        assert_child_refused(&p, &c, NOW, PARENT_ID);
}

static void test_child_parent_cannot_invite(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.can_invite = false;
        c.can_invite = false;
        assert_child_refused(&p, &c, NOW, "can_invite off");
        assert_child_refused(&p, &c, NOW, PARENT_ID);
}

static void test_child_parent_expired(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        /* Expired exactly at now, and after. */
        assert_child_refused(&p, &c, p.expires_at, "under expired parent");
        assert_child_refused(&p, &c, p.expires_at + DAY, "under expired parent");
        assert_child_refused(&p, &c, p.expires_at, PARENT_ID);
}

static void test_child_transferable_under_non_transferable(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.transferable = false;
        c.transferable = true;
        assert_child_refused(&p, &c, NOW, "transferable but parent");
}

static void test_child_unbound_under_bound(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        p.device_bound = true;
        c.device_bound = false;
        assert_child_refused(&p, &c, NOW, "not device-bound but parent");
}

static void test_child_names_another_parent(void **state)
{
        cws_invitation p, c;
        (void)state;

        family(&p, &c);
        snprintf(c.parent, sizeof(c.parent), "%s", OTHER_ID);
        assert_child_refused(&p, &c, NOW, "does not name " PARENT_ID " as its parent");
        c.parent[0] = '\0';          /* a root invitation is nobody's child */
        assert_child_refused(&p, &c, NOW, "does not name " PARENT_ID " as its parent");
}

/* ---- tokens ---- */

static void test_token_round_trip(void **state)
{
        uint8_t secret[CWS_SECRET_LEN], back[CWS_SECRET_LEN];
        char id[CWS_ID_MAX], idback[CWS_ID_MAX], token[CWS_TOKEN_MAX];
        (void)state;

        assert_int_equal(cws_id_new("inv", id), 0);
        assert_int_equal(cws_random(secret, sizeof(secret)), 0);
        assert_int_equal(cws_token_format(id, secret, token), 0);
        assert_int_equal(strlen(token), strlen(id) + 1 + 43);
        assert_int_equal(strncmp(token, id, strlen(id)), 0);
        assert_int_equal(token[strlen(id)], '.');
        memset(idback, 0, sizeof(idback));
        memset(back, 0, sizeof(back));
        assert_int_equal(cws_token_parse(token, idback, back), 0);
        assert_string_equal(idback, id);
        assert_memory_equal(back, secret, sizeof(secret));
}

static void test_token_format_exact(void **state)
{
        uint8_t secret[CWS_SECRET_LEN];
        char token[CWS_TOKEN_MAX];
        (void)state;

        memset(secret, 0, sizeof(secret));
        secret[0] = 0xfb;
        assert_int_equal(cws_token_format(PARENT_ID, secret, token), 0);
        assert_string_equal(token, PARENT_ID ".-wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

static void test_token_format_too_long(void **state)
{
        uint8_t secret[CWS_SECRET_LEN] = { 0 };
        char id[100], token[CWS_TOKEN_MAX];
        (void)state;

        memset(id, 'a', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        assert_int_equal(cws_token_format(id, secret, token), -ENAMETOOLONG);
}

/* Parses and expects -EINVAL with inv_id untouched and secret not holding
 * a partial decode. */
static void assert_token_refused(const char *token)
{
        uint8_t secret[CWS_SECRET_LEN];
        char id[CWS_ID_MAX];
        uint8_t zero[CWS_SECRET_LEN] = { 0 }, marker[CWS_SECRET_LEN];

        memset(marker, 0xa5, sizeof(marker));
        memcpy(secret, marker, sizeof(secret));
        snprintf(id, sizeof(id), "untouched");
        if (cws_token_parse(token, id, secret) != -EINVAL)
                fail_msg("token accepted: %s", token ? token : "(null)");
        assert_string_equal(id, "untouched");
        if (memcmp(secret, marker, sizeof(secret)) != 0)
                assert_memory_equal(secret, zero, sizeof(zero));
}

static void test_token_parse_no_dot(void **state)
{
        (void)state;
        assert_token_refused(PARENT_ID);
        assert_token_refused(PARENT_ID "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_token_refused("");
}

static void test_token_parse_bad_id(void **state)
{
        const char *s43 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        char t[CWS_TOKEN_MAX];
        (void)state;

        snprintf(t, sizeof(t), "inv-short.%s", s43);
        assert_token_refused(t);
        snprintf(t, sizeof(t), "dev-AAAAAAAAAAAAAAAAAAAAAA.%s", s43);
        assert_token_refused(t);
        snprintf(t, sizeof(t), ".%s", s43);
        assert_token_refused(t);
        snprintf(t, sizeof(t), "inv-../../x.%s", s43);
        assert_token_refused(t);
        /* An id longer than CWS_ID_MAX before the dot. */
        snprintf(t, sizeof(t), "%s%s.%s", PARENT_ID, PARENT_ID, s43);
        assert_token_refused(t);
}

static void test_token_parse_short_secret(void **state)
{
        uint8_t secret[CWS_SECRET_LEN - 1];
        char enc[64], t[CWS_TOKEN_MAX];
        (void)state;

        memset(secret, 0x11, sizeof(secret));
        assert_int_equal(cws_b64url_encode(secret, sizeof(secret), enc, sizeof(enc)), 0);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, enc);
        assert_token_refused(t);
        snprintf(t, sizeof(t), "%s.", PARENT_ID);
        assert_token_refused(t);
}

static void test_token_parse_long_secret(void **state)
{
        uint8_t secret[CWS_SECRET_LEN + 1];
        char enc[64], t[CWS_TOKEN_MAX];
        (void)state;

        memset(secret, 0x11, sizeof(secret));
        assert_int_equal(cws_b64url_encode(secret, sizeof(secret), enc, sizeof(enc)), 0);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, enc);
        assert_token_refused(t);
}

static void test_token_parse_bad_base64(void **state)
{
        char t[CWS_TOKEN_MAX];
        (void)state;

        /* Standard base64 characters, padding, a second dot, white space. */
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+");
        assert_token_refused(t);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/");
        assert_token_refused(t);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_token_refused(t);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA");
        assert_token_refused(t);
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        assert_token_refused(t);
        /* Non-canonical last character: the same secret spelled twice. */
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB");
        assert_token_refused(t);
}

static void test_token_parse_overlong(void **state)
{
        char t[CWS_TOKEN_MAX + 64];
        (void)state;

        /* A valid token followed by padding to CWS_TOKEN_MAX characters. */
        snprintf(t, sizeof(t), "%s.%s", PARENT_ID, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        memset(t + strlen(t), 'A', CWS_TOKEN_MAX - strlen(t));
        t[CWS_TOKEN_MAX] = '\0';
        assert_token_refused(t);
        memset(t, 'A', sizeof(t) - 1);
        t[sizeof(t) - 1] = '\0';
        assert_token_refused(t);
}

static void test_token_parse_null(void **state)
{
        (void)state;
        assert_token_refused(NULL);
}

/* ---- the derived key ---- */

static void test_key_deterministic(void **state)
{
        uint8_t secret[CWS_SECRET_LEN], priv1[CWS_ED25519_KEY_LEN], pub1[CWS_ED25519_KEY_LEN];
        uint8_t priv2[CWS_ED25519_KEY_LEN], pub2[CWS_ED25519_KEY_LEN], check[CWS_ED25519_KEY_LEN];
        uint8_t sig[CWS_ED25519_SIG_LEN];
        (void)state;

        memset(secret, 0x42, sizeof(secret));
        assert_int_equal(cws_invitation_key(PARENT_ID, secret, priv1, pub1), 0);
        assert_int_equal(cws_invitation_key(PARENT_ID, secret, priv2, pub2), 0);
        assert_memory_equal(priv1, priv2, sizeof(priv1));
        assert_memory_equal(pub1, pub2, sizeof(pub1));
        /* pub is the public half of priv: a signature verifies with it. */
        assert_int_equal(cws_ed25519_public(priv1, check), 0);
        assert_memory_equal(check, pub1, sizeof(check));
        assert_int_equal(cws_ed25519_sign(priv1, "m", 1, sig), 0);
        assert_int_equal(cws_ed25519_verify(pub1, "m", 1, sig), 0);
        /* The seed is not the secret itself. */
        assert_memory_not_equal(priv1, secret, sizeof(priv1));
}

static void test_key_depends_on_id(void **state)
{
        uint8_t secret[CWS_SECRET_LEN], priv1[CWS_ED25519_KEY_LEN], pub1[CWS_ED25519_KEY_LEN];
        uint8_t priv2[CWS_ED25519_KEY_LEN], pub2[CWS_ED25519_KEY_LEN];
        (void)state;

        memset(secret, 0x42, sizeof(secret));
        assert_int_equal(cws_invitation_key(PARENT_ID, secret, priv1, pub1), 0);
        assert_int_equal(cws_invitation_key(CHILD_ID, secret, priv2, pub2), 0);
        assert_memory_not_equal(priv1, priv2, sizeof(priv1));
        assert_memory_not_equal(pub1, pub2, sizeof(pub1));
}

static void test_key_depends_on_secret(void **state)
{
        uint8_t secret[CWS_SECRET_LEN], priv1[CWS_ED25519_KEY_LEN], pub1[CWS_ED25519_KEY_LEN];
        uint8_t priv2[CWS_ED25519_KEY_LEN], pub2[CWS_ED25519_KEY_LEN];
        (void)state;

        memset(secret, 0x42, sizeof(secret));
        assert_int_equal(cws_invitation_key(PARENT_ID, secret, priv1, pub1), 0);
        secret[CWS_SECRET_LEN - 1] ^= 1;
        assert_int_equal(cws_invitation_key(PARENT_ID, secret, priv2, pub2), 0);
        assert_memory_not_equal(priv1, priv2, sizeof(priv1));
        assert_memory_not_equal(pub1, pub2, sizeof(pub1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_read_only),
                cmocka_unit_test(test_defaults_read_write),
                cmocka_unit_test(test_defaults_admin),
                cmocka_unit_test(test_check_good),
                cmocka_unit_test(test_check_bad_name),
                cmocka_unit_test(test_check_bad_type),
                cmocka_unit_test(test_check_max_devices),
                cmocka_unit_test(test_check_expiry),
                cmocka_unit_test(test_child_equal_allowed),
                cmocka_unit_test(test_child_lower_allowed),
                cmocka_unit_test(test_child_read_write_under_read_only),
                cmocka_unit_test(test_child_admin_under_read_write),
                cmocka_unit_test(test_child_admin_under_read_only),
                cmocka_unit_test(test_child_max_devices_above_parent),
                cmocka_unit_test(test_child_expires_after_parent),
                cmocka_unit_test(test_child_parent_cannot_invite),
                cmocka_unit_test(test_child_parent_expired),
                cmocka_unit_test(test_child_transferable_under_non_transferable),
                cmocka_unit_test(test_child_unbound_under_bound),
                cmocka_unit_test(test_child_names_another_parent),
                cmocka_unit_test(test_token_round_trip),
                cmocka_unit_test(test_token_format_exact),
                cmocka_unit_test(test_token_format_too_long),
                cmocka_unit_test(test_token_parse_no_dot),
                cmocka_unit_test(test_token_parse_bad_id),
                cmocka_unit_test(test_token_parse_short_secret),
                cmocka_unit_test(test_token_parse_long_secret),
                cmocka_unit_test(test_token_parse_bad_base64),
                cmocka_unit_test(test_token_parse_overlong),
                cmocka_unit_test(test_token_parse_null),
                cmocka_unit_test(test_key_deterministic),
                cmocka_unit_test(test_key_depends_on_id),
                cmocka_unit_test(test_key_depends_on_secret),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
