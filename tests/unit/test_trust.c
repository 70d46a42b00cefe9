/* trusted_keys: the pinned administrator keys. Every line is understood or
 * refused with its line number; lookups compare every key. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include "cws/base64.h"
#include "cws/trust.h"

/* RFC 8032 TEST 1 public key and its base64url form. */
#define RFC_PK_B64 "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
static const uint8_t rfc_pk[32] = {
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
        0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
        0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

static char dir[64], path[128];

static void put(const char *content, mode_t mode)
{
        fixture_write(path, content, strlen(content), mode);
}

/* A distinct, valid key per index, and its "ed25519 <b64>" line. */
static void key_of(unsigned i, uint8_t k[32])
{
        for (unsigned j = 0; j < 32; j++)
                k[j] = (uint8_t)(i * 31 + j * 7 + 1);
}

static void line_of(unsigned i, char *out, size_t sz)
{
        uint8_t k[32];
        key_of(i, k);
        assert_int_equal(cws_trust_format_key(k, out, sz), 0);
}

static int setup(void **state)
{
        (void)state;
        umask(022);
        if (fixture_dir_make(dir, sizeof(dir)) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/trusted_keys", dir);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void test_load_comments_blanks_and_keys(void **state)
{
        char l0[64], l1[64], l2[64], content[1024];
        uint8_t k[32];
        cws_trust t;
        cws_error err = { 0 };
        (void)state;

        line_of(0, l0, sizeof(l0));
        line_of(1, l1, sizeof(l1));
        line_of(2, l2, sizeof(l2));
        snprintf(content, sizeof(content),
                 "# pinned administrator keys\n"
                 "\n"
                 "%s alice@laptop 2025\n"
                 "   \t\n"
                 "  # indented comment\n"
                 "\t%s\tbob\n"
                 "%s", /* last line without a newline */
                 l0, l1, l2);
        put(content, 0644);
        memset(&t, 0xff, sizeof(t));
        assert_int_equal(cws_trust_load(path, &t, &err), 0);
        assert_int_equal(t.n, 3);
        for (unsigned i = 0; i < 3; i++) {
                key_of(i, k);
                assert_memory_equal(t.keys[i], k, 32);
                assert_true(cws_trust_contains(&t, k));
        }
}

static void test_load_rfc_key(void **state)
{
        cws_trust t;
        (void)state;

        put("ed25519 " RFC_PK_B64 " rfc8032-test-1\n", 0644);
        assert_int_equal(cws_trust_load(path, &t, NULL), 0);
        assert_int_equal(t.n, 1);
        assert_memory_equal(t.keys[0], rfc_pk, 32);
}

static void test_zero_keys_allowed(void **state)
{
        cws_trust t;
        uint8_t k[32];
        (void)state;

        key_of(0, k);
        put("", 0644);
        memset(&t, 0xff, sizeof(t));
        assert_int_equal(cws_trust_load(path, &t, NULL), 0);
        assert_int_equal(t.n, 0);
        assert_false(cws_trust_contains(&t, k));
        put("# nobody yet\n\n", 0644);
        assert_int_equal(cws_trust_load(path, &t, NULL), 0);
        assert_int_equal(t.n, 0);
}

/* The line must be refused with -EINVAL and "PATH:LINE:". */
static void expect_bad_line(const char *content, unsigned lineno)
{
        char want[256];
        cws_trust t;
        cws_error err = { 0 };

        put(content, 0644);
        memset(&t, 0xff, sizeof(t));
        assert_int_equal(cws_trust_load(path, &t, &err), -EINVAL);
        snprintf(want, sizeof(want), "%s:%u: ", path, lineno);
        if (strncmp(err.msg, want, strlen(want)) != 0)
                fail_msg("message '%s' does not start with '%s'", err.msg, want);
        /* nothing half-loaded */
        assert_int_equal(t.n, 0);
}

static void test_bad_lines_refused(void **state)
{
        (void)state;
        expect_bad_line("ssh-ed25519 " RFC_PK_B64 "\n", 1);
        expect_bad_line("# ok\ned25519\n", 2);
        expect_bad_line("# ok\n\ned25519   \n", 3);
        expect_bad_line("ed25519" RFC_PK_B64 "\n", 1);
        expect_bad_line("ED25519 " RFC_PK_B64 "\n", 1);
        expect_bad_line("ed25519 " RFC_PK_B64 "=\n", 1);            /* padding */
        expect_bad_line("ed25519 11qYAYKxCrfVS+7TyWQHOg7hcvPapiMlrwIaaPcHURo\n", 1);
        expect_bad_line("ed25519 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\n", 1);  /* 31 bytes */
        expect_bad_line("ed25519 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURoA\n", 1); /* 33 */
        expect_bad_line("ed25519 " RFC_PK_B64 RFC_PK_B64 "\n", 1);
        expect_bad_line("ed25519 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp\n", 1); /* stray bits */
        expect_bad_line("ed25519 " RFC_PK_B64 "\r\n", 1);          /* CRLF is not accepted */
        expect_bad_line("ed25519 " RFC_PK_B64 "\nrsa AAAA\n", 2);
        expect_bad_line("ed25519 " RFC_PK_B64 "\n\n\nkey\n", 4);
        /* a NUL byte would hide the rest of the file from a C string parser */
        char nul[] = "ed25519 " RFC_PK_B64 "\n\0ed25519 x\n";
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, nul, sizeof(nul) - 1), (ssize_t)(sizeof(nul) - 1));
        close(fd);
        cws_trust t;
        assert_int_equal(cws_trust_load(path, &t, NULL), -EINVAL);
}

static void test_too_many_keys(void **state)
{
        char content[4096] = "", line[64];
        cws_trust t;
        cws_error err = { 0 };
        (void)state;

        for (unsigned i = 0; i < CWS_TRUST_MAX; i++) {
                line_of(i, line, sizeof(line));
                strcat(content, line);
                strcat(content, "\n");
        }
        put(content, 0644);
        assert_int_equal(cws_trust_load(path, &t, &err), 0);
        assert_int_equal(t.n, CWS_TRUST_MAX);
        uint8_t k[32];
        key_of(CWS_TRUST_MAX - 1, k);
        assert_true(cws_trust_contains(&t, k));

        strcat(content, "# one more\n");
        line_of(CWS_TRUST_MAX, line, sizeof(line));
        strcat(content, line);
        strcat(content, "\n");
        put(content, 0644);
        assert_true(cws_trust_load(path, &t, &err) < 0);
        assert_int_equal(t.n, 0);
        char want[256];
        snprintf(want, sizeof(want), "%s:%u: ", path, CWS_TRUST_MAX + 2);
        if (strncmp(err.msg, want, strlen(want)) != 0)
                fail_msg("message '%s' does not start with '%s'", err.msg, want);
}

static void test_contains(void **state)
{
        cws_trust t = { 0 };
        uint8_t k[32];
        (void)state;

        key_of(0, t.keys[0]);
        key_of(1, t.keys[1]);
        key_of(2, t.keys[2]);   /* present in the array but beyond n */
        t.n = 2;
        key_of(0, k);
        assert_true(cws_trust_contains(&t, k));
        key_of(1, k);
        assert_true(cws_trust_contains(&t, k));
        key_of(2, k);
        assert_false(cws_trust_contains(&t, k));
        key_of(1, k);
        k[31] ^= 1;
        assert_false(cws_trust_contains(&t, k));
        k[31] ^= 1;
        k[0] ^= 0x80;
        assert_false(cws_trust_contains(&t, k));
        assert_false(cws_trust_contains(NULL, k));
        t.n = 0;
        key_of(0, k);
        assert_false(cws_trust_contains(&t, k));
        /* a corrupted count never reads past the array */
        t.n = 1000;
        assert_true(cws_trust_contains(&t, k));
}

static void test_format_key(void **state)
{
        char out[64];
        cws_trust t;
        (void)state;

        assert_int_equal(cws_trust_format_key(rfc_pk, out, sizeof(out)), 0);
        assert_string_equal(out, "ed25519 " RFC_PK_B64);
        /* exactly 8 + 43 + NUL */
        assert_int_equal(cws_trust_format_key(rfc_pk, out, 52), 0);
        assert_int_equal(cws_trust_format_key(rfc_pk, out, 51), -ENOBUFS);
        assert_int_equal(cws_trust_format_key(rfc_pk, out, 0), -ENOBUFS);
        /* what format_key writes, load reads back */
        char line[80];
        assert_int_equal(cws_trust_format_key(rfc_pk, out, sizeof(out)), 0);
        snprintf(line, sizeof(line), "%s\n", out);
        put(line, 0644);
        assert_int_equal(cws_trust_load(path, &t, NULL), 0);
        assert_int_equal(t.n, 1);
        assert_true(cws_trust_contains(&t, rfc_pk));
}

static void test_unsafe_file_refused(void **state)
{
        char link[160];
        cws_trust t;
        cws_error err = { 0 };
        (void)state;

        put("ed25519 " RFC_PK_B64 "\n", 0664);
        memset(&t, 0xff, sizeof(t));
        assert_int_equal(cws_trust_load(path, &t, &err), -EPERM);
        assert_int_equal(t.n, 0);
        assert_non_null(strstr(err.msg, path));
        put("ed25519 " RFC_PK_B64 "\n", 0646);
        assert_int_equal(cws_trust_load(path, &t, &err), -EPERM);
        put("ed25519 " RFC_PK_B64 "\n", 0644);
        snprintf(link, sizeof(link), "%s/link", dir);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(cws_trust_load(link, &t, &err), -ELOOP);
        assert_int_equal(t.n, 0);
        snprintf(link, sizeof(link), "%s/missing", dir);
        assert_int_equal(cws_trust_load(link, &t, &err), -ENOENT);
        if (geteuid() == 0) {
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(cws_trust_load(path, &t, &err), -EPERM);
                assert_int_equal(chown(path, 0, 0), 0);
        }
        assert_int_equal(cws_trust_load(path, &t, &err), 0);
        assert_int_equal(t.n, 1);
}

static void test_too_large(void **state)
{
        static char big[64 * 1024 + 2];
        cws_trust t;
        (void)state;

        /* 64 KiB of comments is fine, one byte more is not */
        memset(big, '#', 64 * 1024);
        big[64 * 1024 - 1] = '\n';
        big[64 * 1024] = '\0';
        put(big, 0644);
        assert_int_equal(cws_trust_load(path, &t, NULL), 0);
        big[64 * 1024] = '\n';
        big[64 * 1024 + 1] = '\0';
        put(big, 0644);
        assert_int_equal(cws_trust_load(path, &t, NULL), -EFBIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_load_comments_blanks_and_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_rfc_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zero_keys_allowed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_lines_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_many_keys, setup, teardown),
                cmocka_unit_test(test_contains),
                cmocka_unit_test_setup_teardown(test_format_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unsafe_file_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
