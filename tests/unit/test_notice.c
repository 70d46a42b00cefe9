/* lib/notice.c: revocation notices, their keys (which sort by time), the
 * signed record, who may sign one, and the host's cursor. */
#define _GNU_SOURCE
#include "cws/revoke.h"
#include "registry_fixture.h"
#include "cws/notice.h"

static void test_key_format(void **state)
{
        char key[CWS_KEY_MAX];
        int64_t at = -1;

        (void)state;
        assert_int_equal(cws_notice_key(key, 1700000000123456, 0xabcdefULL), 0);
        assert_string_equal(key, "notice/00001700000000123456-0000000000abcdef");
        assert_true(cws_registry_key_valid(key));
        assert_int_equal(cws_notice_key_parse(key, &at), 0);
        assert_int_equal(at, 1700000000123456);
        assert_int_equal(cws_notice_key(key, 0, UINT64_MAX), 0);
        assert_string_equal(key, "notice/00000000000000000000-ffffffffffffffff");
        assert_int_equal(cws_notice_key(key, -1, 0), -EINVAL);
}

/* Zero-padded: the string order is the time order, whatever the digits. */
static void test_keys_sort_by_time(void **state)
{
        static const int64_t times[] = { 9, 10, 99999, 100000, 1700000000000000, 1700000000000001,
                                         9000000000000000000 };
        char a[CWS_KEY_MAX], b[CWS_KEY_MAX];

        (void)state;
        for (size_t i = 0; i + 1 < CWS_ELEMENTSOF(times); i++) {
                assert_int_equal(cws_notice_key(a, times[i], UINT64_MAX), 0);
                assert_int_equal(cws_notice_key(b, times[i + 1], 0), 0);
                assert_true(strcmp(a, b) < 0);
        }
}

static void test_key_parse_refuses(void **state)
{
        static const char *const bad[] = {
                "notice/", "notice/1700000000123456-0000000000abcdef",
                "notice/00000001700000000123456_0000000000abcdef",
                "notice/00000001700000000123456-0000000000ABCDEF",
                "notice/00000001700000000123456-0000000000abcde",
                "notice/00000001700000000123456-0000000000abcdef0",
                "notice/0000000170000000012345x-0000000000abcdef",
                "notice/99999999999999999999-0000000000abcdef",   /* past INT64_MAX */
                "inv/00000001700000000123456-0000000000abcdef",
                "notice/x/00000001700000000123456-0000000000abcdef",
        };
        int64_t at;

        (void)state;
        for (size_t i = 0; i < CWS_ELEMENTSOF(bad); i++)
                if (cws_notice_key_parse(bad[i], &at) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
}

static void test_payload_round_trip(void **state)
{
        cws_notice n = { .device_id = "", .at_us = 5 }, m;
        char *json = NULL, bad[256];

        (void)state;
        assert_int_equal(cws_id_new("inv", n.inv_id), 0);
        assert_int_equal(cws_notice_to_json(&n, &json), 0);
        assert_int_equal(cws_notice_from_json(json, &m, NULL), 0);
        free(json);
        assert_string_equal(m.inv_id, n.inv_id);
        assert_string_equal(m.device_id, "");
        assert_int_equal(m.at_us, 5);
        assert_int_equal(cws_notice_from_json("{\"version\":1,\"invitation\":\"inv-../x\","
                                              "\"device_id\":\"\",\"at_us\":5}", &m, NULL), -EBADMSG);
        snprintf(bad, sizeof(bad), "{\"version\":1,\"invitation\":\"%s\",\"device_id\":\"\","
                 "\"at_us\":-1}", n.inv_id);
        assert_int_equal(cws_notice_from_json(bad, &m, NULL), -EBADMSG);
        snprintf(bad, sizeof(bad), "{\"version\":1,\"invitation\":\"%s\",\"device_id\":\"\","
                 "\"at_us\":5}", n.inv_id);
        assert_int_equal(cws_notice_from_json(bad, &m, NULL), 0);
}

static size_t list_notices(registry_fx *fx, const char *after, char ***keys)
{
        size_t n = 0;
        cws_error err = { 0 };

        if (cws_registry_list_after(fx->reg, CWS_NOTICE_PREFIX, after, keys, &n, &err) < 0)
                fail_msg("list_after: %s", err.msg);
        return n;
}

/* A revocation writes its notice; a listing after it finds nothing more. */
static void test_revocation_writes_notice(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], start[CWS_KEY_MAX], **keys = NULL;
        cws_binding b;
        cws_notice n;
        cws_error err = { 0 };
        size_t cnt;

        fx_root(fx, CWS_TYPE_READ_WRITE, 2, &inv, tok);
        fx_enroll(fx, tok, &b);
        assert_int_equal(cws_notice_key(start, 0, 0), 0);
        assert_int_equal(list_notices(fx, start, &keys), 0);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b.device_id, fx->admin_priv,
                                           "admin", "", FX_NOW, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin",
                                               "", FX_NOW + 1, &err), 0);
        cnt = list_notices(fx, start, &keys);
        assert_int_equal(cnt, 2);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[0], FX_NOW, &n, &err), 0);
        assert_string_equal(n.inv_id, inv.id);
        assert_string_equal(n.device_id, b.device_id);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[1], FX_NOW, &n, &err), 0);
        assert_string_equal(n.device_id, "");
        snprintf(start, sizeof(start), "%s", keys[1]);
        cws_strv_free(keys, cnt);
        assert_int_equal(list_notices(fx, start, &keys), 0);
        cws_strv_free(keys, 0);
        /* The key to list after lies under the prefix. */
        assert_int_equal(cws_registry_list_after(fx->reg, CWS_NOTICE_PREFIX, "inv/x", &keys, &cnt,
                                                 &err), -EINVAL);
        assert_int_equal(cws_registry_list_after(fx->reg, CWS_NOTICE_PREFIX, "noticex/1", &keys,
                                                 &cnt, &err), -EINVAL);
}

/* Signed by the invitation's own key: verified through its chain. */
static void test_notice_by_invitation_key(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], **keys = NULL;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_binding b;
        cws_notice n;
        cws_error err = { 0 };

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        fx_enroll(fx, tok, &b);
        fx_token_key(tok, priv, pub);
        assert_int_equal(cws_notice_write(fx->reg, inv.id, b.device_id, priv, FX_NOW * 1000000, &err), 0);
        assert_int_equal(cws_notice_key(key, 0, 0), 0);
        assert_int_equal(list_notices(fx, key, &keys), 1);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[0], FX_NOW, &n, &err), 0);
        assert_string_equal(n.device_id, b.device_id);
        cws_strv_free(keys, 1);
}

/* Forged, moved or re-dated: never read as a notice. */
static void test_notice_forged(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], path[PATH_MAX], other[PATH_MAX];
        char **keys = NULL, *data;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_notice n;
        cws_error err = { 0 };
        size_t len;

        fx_root(fx, CWS_TYPE_READ_WRITE, 1, &inv, tok);
        assert_int_equal(cws_ed25519_keygen(priv, pub), 0);
        assert_int_equal(cws_notice_write(fx->reg, inv.id, "", priv, FX_NOW * 1000000, &err), 0);
        assert_int_equal(cws_notice_key(key, 0, 0), 0);
        assert_int_equal(list_notices(fx, key, &keys), 1);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[0], FX_NOW, &n, &err), -EPERM);
        assert_non_null(strstr(err.msg, "may not revoke"));
        cws_strv_free(keys, 1);

        /* An administrator's notice, copied under another time. */
        assert_int_equal(cws_notice_write(fx->reg, inv.id, "", fx->admin_priv, FX_NOW * 1000000 + 7,
                                          &err), 0);
        assert_int_equal(cws_notice_key(key, FX_NOW * 1000000 + 6, UINT64_MAX), 0);
        assert_int_equal(list_notices(fx, key, &keys), 1);
        fx_path(fx, keys[0], path);
        assert_int_equal(cws_notice_key(key, FX_NOW * 1000000 + 8, 0), 0);
        fx_path(fx, key, other);
        close(open(other, O_WRONLY | O_CREAT | O_EXCL, 0644));
        data = fx_read(path, &len);
        fx_write(other, data, len);
        free(data);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[0], FX_NOW, &n, &err), 0);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, key, FX_NOW, &n, &err), -EBADMSG);
        fx_flip_byte(path, 40, 0x01);
        assert_int_equal(cws_notice_read(fx->reg, &fx->trust, keys[0], FX_NOW, &n, &err), -EBADMSG);
        cws_strv_free(keys, 1);
}

static void test_cursor(void **state)
{
        registry_fx *fx = *state;
        char key[CWS_KEY_MAX], got[CWS_KEY_MAX], path[PATH_MAX];
        cws_error err = { 0 };

        assert_int_equal(cws_notice_cursor_read(fx->dir, got, &err), -ENOENT);
        assert_int_equal(cws_notice_key(key, 42, 7), 0);
        assert_int_equal(cws_notice_cursor_write(fx->dir, key, &err), 0);
        assert_int_equal(cws_notice_cursor_read(fx->dir, got, &err), 0);
        assert_string_equal(got, key);
        assert_int_equal(cws_notice_cursor_write(fx->dir, "inv/x", &err), -EINVAL);
        snprintf(path, sizeof(path), "%s/" CWS_NOTICE_CURSOR, fx->dir);
        assert_int_equal(unlink(path), 0);
        close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
        fx_write(path, "notice/../../x\n", 15);
        assert_int_equal(cws_notice_cursor_read(fx->dir, got, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not a notice key"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_format),
                cmocka_unit_test(test_keys_sort_by_time),
                cmocka_unit_test(test_key_parse_refuses),
                cmocka_unit_test(test_payload_round_trip),
                T(test_revocation_writes_notice),
                T(test_notice_by_invitation_key),
                T(test_notice_forged),
                T(test_cursor),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
