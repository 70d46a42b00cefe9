/* The administrator keystore: round trip, the exact file format (rebuilt
 * here by hand from the primitives), and refusal of every changed byte,
 * downgraded KDF parameters, unsafe files and empty passphrases. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
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
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/keystore.h"

#define PASS "correct horse battery staple"

static char dir[64];
static uint8_t seed[32];

static char *at(const char *name)
{
        static char paths[8][PATH_MAX];
        static unsigned next;
        char *p = paths[next++ % 8];
        int n = snprintf(p, PATH_MAX, "%s/%s", dir, name);
        assert_true(n > 0 && n < PATH_MAX);
        return p;
}

static size_t slurp(const char *path, char *buf, size_t sz)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        assert_true(fd >= 0);
        n = read(fd, buf, sz - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
        return (size_t)n;
}

static void put(const char *path, const void *data, size_t len, mode_t mode)
{
        fixture_write(path, data, len, mode);
}

/* Writes a keystore exactly as the format describes, with any parameters;
 * kdf_n is the cost actually used, so out-of-range headers can be written
 * without running an enormous scrypt. */
static void build(const char *path, const char *params, uint64_t kdf_n, uint32_t r, uint32_t p,
                  const char *pass)
{
        uint8_t salt[16], key[32], sealed[32 + CWS_AEAD_OVERHEAD];
        char salt_b64[32], sealed_b64[128], header[256], file[512];

        assert_int_equal(cws_random(salt, sizeof(salt)), 0);
        assert_int_equal(cws_b64url_encode(salt, sizeof(salt), salt_b64, sizeof(salt_b64)), 0);
        snprintf(header, sizeof(header), "cws-keystore-v1\nscrypt %s %s\n", params, salt_b64);
        assert_int_equal(cws_scrypt(pass, strlen(pass), salt, sizeof(salt), kdf_n, r, p, key, 32),
                         0);
        assert_int_equal(cws_aead_seal(key, header, strlen(header), seed, 32, sealed), 0);
        assert_int_equal(cws_b64url_encode(sealed, sizeof(sealed), sealed_b64, sizeof(sealed_b64)),
                         0);
        snprintf(file, sizeof(file), "%s%s\n", header, sealed_b64);
        put(path, file, strlen(file), 0600);
}

static void expect_badmsg(const char *path, const char *pass, const char *needle)
{
        uint8_t out[32];
        cws_error err = { 0 };

        memset(out, 0x5a, sizeof(out));
        assert_int_equal(cws_keystore_open(path, pass, out, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, path));
        if (needle && !strstr(err.msg, needle))
                fail_msg("message '%s' lacks '%s'", err.msg, needle);
        /* nothing of the key is handed out */
        for (size_t i = 0; i < sizeof(out); i++)
                assert_int_equal(out[i], 0x5a);
}

static int setup(void **state)
{
        (void)state;
        umask(022);
        if (fixture_dir_make(dir, sizeof(dir)) < 0)
                return -1;
        return cws_random(seed, sizeof(seed));
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void test_create_open_round_trip(void **state)
{
        char *p = at("admin.key"), buf[1024];
        uint8_t out[32] = { 0 };
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        assert_int_equal(cws_keystore_create(p, PASS, seed, &err), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), 0);
        assert_memory_equal(out, seed, 32);

        /* the documented format, line by line */
        slurp(p, buf, sizeof(buf));
        char *l2 = strchr(buf, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
        assert_memory_equal(buf, "cws-keystore-v1\n", 16);
        assert_memory_equal(l2, "scrypt 32768 8 1 ", 17);
        assert_int_equal(l3 - l2 - 17 - 1, 22);   /* 16-byte salt */
        assert_int_equal(strlen(l3), 80 + 1);     /* nonce|ct|tag, newline */
        assert_null(memmem(buf, strlen(buf), seed, 8));
}

static void test_hand_built_file_opens(void **state)
{
        char *p = at("built.key");
        uint8_t out[32] = { 0 };
        cws_error err = { 0 };
        (void)state;

        /* the format as specified, at the cheapest parameters accepted */
        build(p, "16384 1 1", 16384, 1, 1, PASS);
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), 0);
        assert_memory_equal(out, seed, 32);
}

static void test_each_create_is_fresh(void **state)
{
        char *a = at("a.key"), *b = at("b.key"), ba[512], bb[512];
        (void)state;

        assert_int_equal(cws_keystore_create(a, PASS, seed, NULL), 0);
        assert_int_equal(cws_keystore_create(b, PASS, seed, NULL), 0);
        slurp(a, ba, sizeof(ba));
        slurp(b, bb, sizeof(bb));
        /* random salt and nonce: same key and passphrase, different files */
        assert_string_not_equal(ba, bb);
}

static void test_wrong_passphrase(void **state)
{
        char *p = at("admin.key"), want[PATH_MAX + 64];
        uint8_t out[32];
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_keystore_create(p, PASS, seed, &err), 0);
        expect_badmsg(p, "correct horse battery stapler", NULL);
        expect_badmsg(p, "", NULL);
        assert_int_equal(cws_keystore_open(p, "Correct horse battery staple", out, &err), -EBADMSG);
        snprintf(want, sizeof(want), "%s: wrong passphrase or damaged keystore", p);
        assert_string_equal(err.msg, want);
}

static void test_every_changed_byte_refused(void **state)
{
        char *p = at("flip.key"), orig[512], mod[512];
        size_t len;
        (void)state;

        build(p, "16384 1 1", 16384, 1, 1, PASS);
        len = slurp(p, orig, sizeof(orig));
        for (size_t i = 0; i < len; i++) {
                memcpy(mod, orig, len);
                mod[i] = (char)(mod[i] ^ 0x01);
                put(p, mod, len, 0600);
                expect_badmsg(p, PASS, "damaged keystore");
        }
        /* a truncated file, a missing final newline, an extra line, a NUL */
        put(p, orig, len - 1, 0600);
        expect_badmsg(p, PASS, "damaged keystore");
        put(p, orig, len / 2, 0600);
        expect_badmsg(p, PASS, "damaged keystore");
        memcpy(mod, orig, len);
        memcpy(mod + len, "x\n", 2);
        put(p, mod, len + 2, 0600);
        expect_badmsg(p, PASS, "damaged keystore");
        memcpy(mod, orig, len);
        mod[len] = '\0';
        put(p, mod, len + 1, 0600);
        expect_badmsg(p, PASS, "damaged keystore");
        put(p, "", 0, 0600);
        expect_badmsg(p, PASS, "damaged keystore");
        /* and the untouched file still opens */
        put(p, orig, len, 0600);
        uint8_t out[32];
        assert_int_equal(cws_keystore_open(p, PASS, out, NULL), 0);
        assert_memory_equal(out, seed, 32);
}

static void test_kdf_downgrade_detected(void **state)
{
        char *p = at("admin.key"), buf[512];
        size_t len;
        (void)state;

        /* Someone lowers N in a real file: the header is the AEAD's
         * associated data, so the cheaper key must not open it. */
        assert_int_equal(cws_keystore_create(p, PASS, seed, NULL), 0);
        len = slurp(p, buf, sizeof(buf));
        char *n = strstr(buf, "scrypt 32768 ");
        assert_non_null(n);
        memcpy(n, "scrypt 16384 ", 13);
        put(p, buf, len, 0600);
        expect_badmsg(p, PASS, "wrong passphrase or damaged keystore");

        /* a hand-built file with matching but altered r is refused too */
        char *q = at("r.key");
        build(q, "16384 1 1", 16384, 1, 1, PASS);
        len = slurp(q, buf, sizeof(buf));
        n = strstr(buf, "scrypt 16384 1 1 ");
        assert_non_null(n);
        n[13] = '2';
        put(q, buf, len, 0600);
        expect_badmsg(q, PASS, "wrong passphrase or damaged keystore");
}

static void test_kdf_params_out_of_range(void **state)
{
        char *p = at("params.key");
        (void)state;

        /* Refused from the header alone, before any scrypt is run. */
        static const char *bad[] = {
                "8192 8 1",    /* N too small */
                "2097152 8 1", /* N too large */
                "4294967296 8 1",
                "99999999999999999999 8 1",
                "16385 8 1",   /* not a power of two */
                "24576 8 1",
                "0 8 1",
                "32768 0 1",   /* r */
                "32768 17 1",
                "32768 8 0",   /* p */
                "32768 8 5",
                "032768 8 1",  /* not canonical */
                "+32768 8 1",
                "-32768 8 1",
                "32768  8 1",
                "32768 8 1 1",
                "32768 8",
                "0x8000 8 1",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                build(p, bad[i], 16, 1, 1, PASS);
                /* "damaged keystore (why)", not the passphrase message */
                expect_badmsg(p, PASS, "damaged keystore (");
        }
        /* the bounds themselves are accepted */
        build(p, "16384 16 1", 16384, 16, 1, PASS);
        uint8_t out[32];
        assert_int_equal(cws_keystore_open(p, PASS, out, NULL), 0);
        build(p, "16384 1 4", 16384, 1, 4, PASS);
        assert_int_equal(cws_keystore_open(p, PASS, out, NULL), 0);
        assert_memory_equal(out, seed, 32);
}

static void test_empty_passphrase_refused(void **state)
{
        char *p = at("empty.key");
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_keystore_create(p, "", seed, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "passphrase"));
        assert_int_equal(access(p, F_OK), -1);
        assert_int_equal(cws_keystore_create(p, NULL, seed, &err), -EINVAL);
        assert_int_equal(access(p, F_OK), -1);
}

static void test_create_refuses_existing(void **state)
{
        char *p = at("admin.key"), before[512], after[512];
        uint8_t other[32], out[32];
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_keystore_create(p, PASS, seed, &err), 0);
        slurp(p, before, sizeof(before));
        assert_int_equal(cws_random(other, sizeof(other)), 0);
        assert_int_equal(cws_keystore_create(p, "another", other, &err), -EEXIST);
        assert_non_null(strstr(err.msg, p));
        assert_non_null(strstr(err.msg, "already exists"));
        assert_non_null(strstr(err.msg, "move it away"));
        slurp(p, after, sizeof(after));
        assert_string_equal(before, after);
        assert_int_equal(cws_keystore_open(p, PASS, out, NULL), 0);
        assert_memory_equal(out, seed, 32);
}

static void test_create_makes_parent(void **state)
{
        char *parent = at("home/.config/cws"), *p = at("home/.config/cws/admin.key");
        uint8_t out[32];
        struct stat st;
        (void)state;

        assert_int_equal(cws_keystore_create(p, PASS, seed, NULL), 0);
        assert_int_equal(lstat(parent, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(cws_keystore_open(p, PASS, out, NULL), 0);
        assert_memory_equal(out, seed, 32);
}

static void test_open_refuses_unsafe_file(void **state)
{
        char *p = at("admin.key"), *link = at("link.key");
        uint8_t out[32];
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_keystore_create(p, PASS, seed, NULL), 0);
        assert_int_equal(symlink(p, link), 0);
        assert_int_equal(cws_keystore_open(link, PASS, out, &err), -ELOOP);
        assert_non_null(strstr(err.msg, link));
        assert_int_equal(chmod(p, 0640), 0);
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), -EPERM);
        assert_non_null(strstr(err.msg, p));
        assert_int_equal(chmod(p, 0604), 0);
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), -EPERM);
        assert_int_equal(chmod(p, 0600), 0);
        if (geteuid() == 0) {
                assert_int_equal(chown(p, 65534, 65534), 0);
                assert_int_equal(cws_keystore_open(p, PASS, out, &err), -EPERM);
                assert_int_equal(chown(p, 0, 0), 0);
        }
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), 0);
        assert_int_equal(cws_keystore_open(at("missing.key"), PASS, out, &err), -ENOENT);
        /* oversized: refused before parsing */
        char big[5000];
        memset(big, 'A', sizeof(big));
        put(p, big, sizeof(big), 0600);
        assert_int_equal(cws_keystore_open(p, PASS, out, &err), -EFBIG);
}

/* Sets or unsets an environment variable, returning the old value. */
static char *swap_env(const char *name, const char *value)
{
        const char *old = getenv(name);
        char *saved = old ? strdup(old) : NULL;
        if (value)
                setenv(name, value, 1);
        else
                unsetenv(name);
        return saved;
}

static void test_default_path(void **state)
{
        char *xdg = swap_env("XDG_CONFIG_HOME", "/xdg/conf");
        char *home = swap_env("HOME", "/home/alice");
        char out[PATH_MAX], want[PATH_MAX];
        (void)state;

        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, "/xdg/conf/cws/admin.key");
        /* exact fit, and one byte short */
        assert_int_equal(cws_keystore_default_path(out, strlen("/xdg/conf/cws/admin.key") + 1), 0);
        assert_int_equal(cws_keystore_default_path(out, strlen("/xdg/conf/cws/admin.key")),
                         -ENAMETOOLONG);
        assert_int_equal(cws_keystore_default_path(out, 0), -ENAMETOOLONG);

        /* a relative XDG_CONFIG_HOME is ignored, as the spec says */
        setenv("XDG_CONFIG_HOME", "relative/conf", 1);
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, "/home/alice/.config/cws/admin.key");
        setenv("XDG_CONFIG_HOME", "", 1);
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, "/home/alice/.config/cws/admin.key");
        unsetenv("XDG_CONFIG_HOME");
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, "/home/alice/.config/cws/admin.key");

        /* no HOME, or a relative one: the password database */
        unsetenv("HOME");
        struct passwd *pw = getpwuid(getuid());
        assert_non_null(pw);
        snprintf(want, sizeof(want), "%s/.config/cws/admin.key", pw->pw_dir);
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, want);
        setenv("HOME", "relative-home", 1);
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), 0);
        assert_string_equal(out, want);

        /* too long to fit */
        char longdir[PATH_MAX + 16];
        memset(longdir, 'd', sizeof(longdir) - 1);
        longdir[0] = '/';
        longdir[sizeof(longdir) - 1] = '\0';
        setenv("XDG_CONFIG_HOME", longdir, 1);
        assert_int_equal(cws_keystore_default_path(out, sizeof(out)), -ENAMETOOLONG);

        free(swap_env("XDG_CONFIG_HOME", xdg));
        free(swap_env("HOME", home));
        free(xdg);
        free(home);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_open_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hand_built_file_opens, setup, teardown),
                cmocka_unit_test_setup_teardown(test_each_create_is_fresh, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_changed_byte_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kdf_downgrade_detected, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kdf_params_out_of_range, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_passphrase_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_refuses_existing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_makes_parent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_refuses_unsafe_file, setup, teardown),
                cmocka_unit_test(test_default_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
