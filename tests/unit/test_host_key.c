/* host_key: creation, reload, refusals. */
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
#include "cws/host_key.h"

static char dir[64];
static char keyfile[PATH_MAX];

static int setup(void **state)
{
        (void)state;
        if (fixture_dir_make(dir, sizeof(dir)) < 0)
                return -1;
        snprintf(keyfile, sizeof(keyfile), "%s/host.key", dir);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void put(const char *content, size_t len, mode_t mode)
{
        fixture_write(keyfile, content, len, mode);
}

static void test_create_and_reload(void **state)
{
        uint8_t k1[CWS_HOST_KEY_LEN], k2[CWS_HOST_KEY_LEN], zero[CWS_HOST_KEY_LEN] = { 0 };
        uint8_t disk[CWS_HOST_KEY_LEN + 1];
        cws_error err = { 0 };
        struct stat st;
        (void)state;
        memset(k1, 0, sizeof(k1));
        assert_int_equal(cws_host_key_load(dir, k1, true, &err), 0);
        assert_int_equal(stat(keyfile, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, CWS_HOST_KEY_LEN);
        assert_memory_not_equal(k1, zero, sizeof(k1));
        int fd = open(keyfile, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, disk, sizeof(disk)), CWS_HOST_KEY_LEN);
        close(fd);
        assert_memory_equal(disk, k1, CWS_HOST_KEY_LEN);
        memset(k2, 0xaa, sizeof(k2));
        assert_int_equal(cws_host_key_load(dir, k2, true, &err), 0);
        assert_memory_equal(k1, k2, CWS_HOST_KEY_LEN);
        memset(k2, 0xaa, sizeof(k2));
        assert_int_equal(cws_host_key_load(dir, k2, false, &err), 0);
        assert_memory_equal(k1, k2, CWS_HOST_KEY_LEN);
}

static void test_missing_no_create(void **state)
{
        uint8_t k[CWS_HOST_KEY_LEN];
        cws_error err = { 0 };
        struct stat st;
        (void)state;
        assert_int_equal(cws_host_key_load(dir, k, false, &err), -ENOENT);
        assert_int_equal(stat(keyfile, &st), -1);
        assert_int_equal(errno, ENOENT);
}

static void test_wrong_size(void **state)
{
        uint8_t k[CWS_HOST_KEY_LEN];
        char buf[CWS_HOST_KEY_LEN + 1];
        cws_error err = { 0 };
        (void)state;
        memset(buf, 'k', sizeof(buf));
        put(buf, CWS_HOST_KEY_LEN - 1, 0600);
        assert_int_equal(cws_host_key_load(dir, k, true, &err), -EBADMSG);
        put(buf, CWS_HOST_KEY_LEN + 1, 0600);
        assert_int_equal(cws_host_key_load(dir, k, true, &err), -EBADMSG);
        put(buf, 0, 0600);
        assert_int_equal(cws_host_key_load(dir, k, false, &err), -EBADMSG);
        /* Not replaced by a fresh key. */
        struct stat st;
        assert_int_equal(stat(keyfile, &st), 0);
        assert_int_equal(st.st_size, 0);
}

static void test_mode_0644(void **state)
{
        uint8_t k[CWS_HOST_KEY_LEN];
        char buf[CWS_HOST_KEY_LEN];
        cws_error err = { 0 };
        (void)state;
        memset(buf, 'k', sizeof(buf));
        put(buf, sizeof(buf), 0644);
        assert_int_equal(cws_host_key_load(dir, k, true, &err), -EPERM);
        put(buf, sizeof(buf), 0600);
        assert_int_equal(cws_host_key_load(dir, k, false, &err), 0);
        assert_memory_equal(k, buf, sizeof(buf));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_and_reload, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_no_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_size, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mode_0644, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
