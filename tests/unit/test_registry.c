/* lib/registry.c: key checks, the key layout, URL dispatch, and that the
 * front end refuses bad keys and oversized records before a backend sees
 * them (a counting fake backend proves it). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/crypto.h"
#include "cws/record.h"
#include "cws/registry.h"

#define INV "inv-AAAAAAAAAAAAAAAAAAAAAA"
#define DEV "dev-AQIDBAUGBwgJCgsMDQ4PEA"

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

/* ---- a backend that counts what reaches it ---- */

typedef struct fake {
        cws_registry base;
        int gets, puts, lists, frees;
        const char *data;       /* what get returns */
        int get_result;
        size_t put_len;
} fake;

static int fake_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        fake *f = (fake *)r;
        (void)key;
        f->gets++;
        if (f->get_result < 0)
                return cws_error_set(err, f->get_result, "fake get failed");
        *data = strdup(f->data);
        *len = strlen(f->data);
        return *data ? 0 : -ENOMEM;
}

static int fake_put(cws_registry *r, const char *key, const void *data, size_t len,
                    cws_error *err)
{
        fake *f = (fake *)r;
        (void)key;
        (void)data;
        (void)err;
        f->puts++;
        f->put_len = len;
        return 0;
}

static int fake_list(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                     cws_error *err)
{
        fake *f = (fake *)r;
        (void)prefix;
        (void)err;
        f->lists++;
        *keys = NULL;
        *n = 0;
        return 0;
}

static void fake_free(cws_registry *r)
{
        ((fake *)r)->frees++;
}

static const struct cws_registry_ops fake_ops = {
        .get = fake_get,
        .put_create_only = fake_put,
        .list = fake_list,
        .free = fake_free,
};

static void fake_init(fake *f)
{
        memset(f, 0, sizeof(*f));
        f->base.ops = &fake_ops;
        f->data = "";
}

/* ---- key validity ---- */

static void test_key_valid_good(void **state)
{
        char k255[CWS_KEY_MAX];
        (void)state;

        assert_true(cws_registry_key_valid("a"));
        assert_true(cws_registry_key_valid("inv/" INV "/invitation"));
        assert_true(cws_registry_key_valid("inv/" INV "/slot/1/0"));
        assert_true(cws_registry_key_valid("inv/" INV "/device-revoked/" DEV));
        assert_true(cws_registry_key_valid("A-b_c.d/e"));
        assert_true(cws_registry_key_valid("..."));          /* not a dot segment */
        assert_true(cws_registry_key_valid("a/.b/c.."));
        memset(k255, 'k', CWS_KEY_MAX - 1);
        k255[CWS_KEY_MAX - 1] = '\0';
        assert_true(cws_registry_key_valid(k255));
}

static void test_key_valid_bad(void **state)
{
        const char *bad[] = {
                "", "/abs", "/", "a//b", "a/./b", "a/../b", "..", ".", "a/", "a/b/",
                "./a", "../a", "a/..", "a/.", "a b", " a", "a\tb", "a\nb", "a:b", "a\\b",
                "a*b", "a?b", "a%2fb", "caf\xc3\xa9", "a\x01", "a~b", "a+b", "a=b",
        };
        char k256[CWS_KEY_MAX + 1];
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (cws_registry_key_valid(bad[i]))
                        fail_msg("key '%s' accepted", bad[i]);
        memset(k256, 'k', CWS_KEY_MAX);
        k256[CWS_KEY_MAX] = '\0';
        assert_false(cws_registry_key_valid(k256));
}

/* ---- key builders ---- */

static void test_key_builders(void **state)
{
        char key[CWS_KEY_MAX];
        (void)state;

        assert_int_equal(cws_key_invitation(key, INV), 0);
        assert_string_equal(key, "inv/" INV "/invitation");
        assert_int_equal(cws_key_invitation_revoked(key, INV), 0);
        assert_string_equal(key, "inv/" INV "/revoked");
        assert_int_equal(cws_key_slot(key, INV, 1, 0), 0);
        assert_string_equal(key, "inv/" INV "/slot/1/0");
        assert_int_equal(cws_key_slot(key, INV, CWS_MAX_DEVICES, 4294967295u), 0);
        assert_string_equal(key, "inv/" INV "/slot/5/4294967295");
        assert_int_equal(cws_key_device_revoked(key, INV, DEV), 0);
        assert_string_equal(key, "inv/" INV "/device-revoked/" DEV);
}

static void test_key_builders_refuse_bad_ids(void **state)
{
        const char *bad[] = { "inv-../../x", "", "inv-short", DEV, "inv-AAAAAAAAAAAAAAAAAAAAA/" };
        char key[CWS_KEY_MAX];
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(cws_key_invitation(key, bad[i]), -EINVAL);
                assert_int_equal(cws_key_invitation_revoked(key, bad[i]), -EINVAL);
                assert_int_equal(cws_key_slot(key, bad[i], 1, 0), -EINVAL);
                assert_int_equal(cws_key_device_revoked(key, bad[i], DEV), -EINVAL);
        }
        /* The device id is checked too, and must be a device id. */
        assert_int_equal(cws_key_device_revoked(key, INV, INV), -EINVAL);
        assert_int_equal(cws_key_device_revoked(key, INV, "dev-../../x"), -EINVAL);
        assert_int_equal(cws_key_device_revoked(key, INV, ""), -EINVAL);
}

static void test_key_slot_range(void **state)
{
        char key[CWS_KEY_MAX];
        (void)state;

        assert_int_equal(cws_key_slot(key, INV, 0, 0), -EINVAL);
        assert_int_equal(cws_key_slot(key, INV, CWS_MAX_DEVICES + 1, 0), -EINVAL);
        assert_int_equal(cws_key_slot(key, INV, UINT_MAX, 0), -EINVAL);
        for (unsigned s = 1; s <= CWS_MAX_DEVICES; s++)
                assert_int_equal(cws_key_slot(key, INV, s, 3), 0);
}

/* ---- open ---- */

static char *make_tmpdir(void)
{
        char *d = calloc(1, FIXTURE_DIR_MAX);

        assert_non_null(d);
        assert_int_equal(fixture_dir_make(d, FIXTURE_DIR_MAX), 0);
        return d;
}

static void remove_tree(const char *dir)
{
        assert_int_equal(fixture_dir_remove(dir), 0);
}

static void test_open_file_url(void **state)
{
        char *dir = make_tmpdir(), url[PATH_MAX], key[CWS_KEY_MAX], *data = NULL;
        cws_registry *r = NULL;
        cws_error err = { 0 };
        size_t len = 0;
        (void)state;

        snprintf(url, sizeof(url), "file://%s", dir);
        assert_int_equal(cws_registry_open(url, &r, &err), 0);
        assert_non_null(r);
        assert_string_equal(r->url, url);
        /* It is really that directory. */
        assert_int_equal(cws_key_invitation(key, INV), 0);
        assert_int_equal(cws_registry_put_create_only(r, key, "rec", 3, &err), 0);
        assert_int_equal(cws_registry_get(r, key, &data, &len, &err), 0);
        assert_int_equal(len, 3);
        assert_string_equal(data, "rec");
        free(data);
        snprintf(url, sizeof(url), "%s/inv/%s/invitation", dir, INV);
        assert_int_equal(access(url, F_OK), 0);
        cws_registry_free(r);
        remove_tree(dir);
        free(dir);
}

static void test_open_plain_path(void **state)
{
        char *dir = make_tmpdir(), path[PATH_MAX], url[PATH_MAX + 8];
        cws_registry *r = NULL;
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        /* A directory that does not exist yet is made. */
        snprintf(path, sizeof(path), "%s/sub/reg", dir);
        assert_int_equal(cws_registry_open(path, &r, &err), 0);
        assert_non_null(r);
        snprintf(url, sizeof(url), "file://%s", path);
        assert_string_equal(r->url, url);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        cws_registry_free(r);
        remove_tree(dir);
        free(dir);
}

static void test_open_unknown_scheme(void **state)
{
        const char *urls[] = { "s3://bucket/cws", "http://example.org/reg", "relative/dir",
                               "", "FILE:///tmp/x", "file:/tmp/x" };
        (void)state;

        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
                cws_registry *r = NULL;
                cws_error err = { 0 };
                assert_int_equal(cws_registry_open(urls[i], &r, &err), -EPROTONOSUPPORT);
                assert_null(r);
                assert_int_equal(err.code, -EPROTONOSUPPORT);
                assert_contains(err.msg, "unsupported scheme");
                assert_contains(err.msg, urls[i]);
        }
}

static void test_open_file_url_relative(void **state)
{
        cws_registry *r = NULL;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_registry_open("file://relative/dir", &r, &err), -EINVAL);
        assert_null(r);
        assert_contains(err.msg, "not absolute");
}

/* ---- the front end checks before the backend ---- */

static void test_get_refuses_bad_key(void **state)
{
        const char *bad[] = { "", "/etc/passwd", "../x", "a/../../b", "a//b", "a/" };
        fake f;
        (void)state;

        fake_init(&f);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                char *data = NULL;
                size_t len = 0;
                assert_int_equal(cws_registry_get(&f.base, bad[i], &data, &len, &err), -EINVAL);
                assert_contains(err.msg, "invalid registry key");
                assert_null(data);
        }
        assert_int_equal(f.gets, 0);
        {
                cws_error err = { 0 };
                char *data = NULL;
                size_t len = 0;
                f.data = "x";
                assert_int_equal(cws_registry_get(&f.base, "a/b", &data, &len, &err), 0);
                assert_int_equal(f.gets, 1);
                free(data);
        }
}

static void test_put_refuses_bad_key(void **state)
{
        const char *bad[] = { "", "/abs", "..", "a/./b", "a b" };
        fake f;
        (void)state;

        fake_init(&f);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                assert_int_equal(cws_registry_put_create_only(&f.base, bad[i], "x", 1, &err),
                                 -EINVAL);
                assert_contains(err.msg, "invalid registry key");
        }
        assert_int_equal(f.puts, 0);
        {
                cws_error err = { 0 };
                assert_int_equal(cws_registry_put_create_only(&f.base, "a/b", "x", 1, &err), 0);
                assert_int_equal(f.puts, 1);
        }
}

static void test_list_refuses_bad_prefix(void **state)
{
        const char *bad[] = { "", "/", "inv/..", "inv/", "a//b" };
        fake f;
        (void)state;

        fake_init(&f);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                char **keys = NULL;
                size_t n = 0;
                assert_int_equal(cws_registry_list(&f.base, bad[i], &keys, &n, &err), -EINVAL);
                assert_contains(err.msg, "invalid registry prefix");
        }
        assert_int_equal(f.lists, 0);
        {
                cws_error err = { 0 };
                char **keys = NULL;
                size_t n = 7;
                assert_int_equal(cws_registry_list(&f.base, "inv", &keys, &n, &err), 0);
                assert_int_equal(f.lists, 1);
                assert_int_equal(n, 0);
        }
}

static void test_put_too_large(void **state)
{
        char *big = calloc(1, CWS_RECORD_MAX + 1);
        cws_error err = { 0 };
        fake f;
        (void)state;

        assert_non_null(big);
        fake_init(&f);
        assert_int_equal(cws_registry_put_create_only(&f.base, "a/b", big, CWS_RECORD_MAX + 1, &err),
                         -EFBIG);
        assert_int_equal(err.code, -EFBIG);
        assert_contains(err.msg, "a/b: record too large");
        assert_int_equal(f.puts, 0);
        /* The limit itself is allowed through. */
        assert_int_equal(cws_registry_put_create_only(&f.base, "a/b", big, CWS_RECORD_MAX, &err), 0);
        assert_int_equal(f.puts, 1);
        assert_int_equal(f.put_len, CWS_RECORD_MAX);
        free(big);
}

static void test_registry_free(void **state)
{
        fake f;
        (void)state;

        cws_registry_free(NULL);
        fake_init(&f);
        cws_registry_free(&f.base);
        assert_int_equal(f.frees, 1);
        cws_strv_free(NULL, 0);
}

/* ---- get_record: get + unseal ---- */

static void test_get_record(void **state)
{
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN], signer[CWS_ED25519_KEY_LEN];
        char *env = NULL, *payload = NULL;
        cws_error err = { 0 };
        fake f;
        (void)state;

        assert_int_equal(cws_ed25519_keygen(priv, pub), 0);
        assert_int_equal(cws_record_seal(CWS_REC_DEVICE, "{\"a\":1}", priv, &env, &err), 0);
        fake_init(&f);
        f.data = env;
        assert_int_equal(cws_registry_get_record(&f.base, "k", CWS_REC_DEVICE, signer, &payload, &err),
                         0);
        assert_string_equal(payload, "{\"a\":1}");
        assert_memory_equal(signer, pub, sizeof(pub));
        free(payload);
        payload = NULL;

        /* Of another kind. */
        assert_int_equal(cws_registry_get_record(&f.base, "k", CWS_REC_INVITATION, signer, &payload,
                                                 &err), -EBADMSG);
        assert_null(payload);
        /* Garbage from the store. */
        f.data = "not json";
        assert_int_equal(cws_registry_get_record(&f.base, "k", CWS_REC_DEVICE, signer, &payload, &err),
                         -EBADMSG);
        /* The backend's error comes through unchanged. */
        f.get_result = -ENOENT;
        assert_int_equal(cws_registry_get_record(&f.base, "k", CWS_REC_DEVICE, signer, &payload, &err),
                         -ENOENT);
        assert_contains(err.msg, "fake get failed");
        /* And a bad key never reaches it. */
        f.get_result = 0;
        f.gets = 0;
        assert_int_equal(cws_registry_get_record(&f.base, "../k", CWS_REC_DEVICE, signer, &payload,
                                                 &err), -EINVAL);
        assert_int_equal(f.gets, 0);
        free(env);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_valid_good),
                cmocka_unit_test(test_key_valid_bad),
                cmocka_unit_test(test_key_builders),
                cmocka_unit_test(test_key_builders_refuse_bad_ids),
                cmocka_unit_test(test_key_slot_range),
                cmocka_unit_test(test_open_file_url),
                cmocka_unit_test(test_open_plain_path),
                cmocka_unit_test(test_open_unknown_scheme),
                cmocka_unit_test(test_open_file_url_relative),
                cmocka_unit_test(test_get_refuses_bad_key),
                cmocka_unit_test(test_put_refuses_bad_key),
                cmocka_unit_test(test_list_refuses_bad_prefix),
                cmocka_unit_test(test_put_too_large),
                cmocka_unit_test(test_registry_free),
                cmocka_unit_test(test_get_record),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
