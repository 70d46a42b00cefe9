/* lib/gate/journal.c: the native protocol's framing, and a real datagram to a
 * socket standing in for journald. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/journal.h"

static void test_plain_fields(void **state)
{
        const cws_journal_field f[] = { { "MESSAGE", "hello world" }, { "CWS_USER", "root" },
                                        { "CWS_EMPTY", NULL } };
        char buf[256];
        long n;
        (void)state;

        n = cws_journal_format(f, 3, buf, sizeof(buf));
        assert_int_equal(n, (long)strlen("MESSAGE=hello world\nCWS_USER=root\nCWS_EMPTY=\n"));
        assert_memory_equal(buf, "MESSAGE=hello world\nCWS_USER=root\nCWS_EMPTY=\n", (size_t)n);
}

static void test_newline_is_length_prefixed(void **state)
{
        const cws_journal_field f[] = { { "MESSAGE", "a\nMESSAGE_ID=forged" } };
        const char want[] = "MESSAGE\n\x13\0\0\0\0\0\0\0a\nMESSAGE_ID=forged\n";
        char buf[256];
        long n;
        (void)state;

        n = cws_journal_format(f, 1, buf, sizeof(buf));
        assert_int_equal(n, (long)sizeof(want) - 1);
        assert_memory_equal(buf, want, sizeof(want) - 1);
}

static void test_refusals(void **state)
{
        char buf[32];
        const char *bad[] = { "", "_PID", "lower", "A-B", "A=B", NULL,
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const cws_journal_field f[] = { { bad[i], "x" } };
                assert_int_equal(cws_journal_format(f, 1, buf, sizeof(buf)), -EINVAL);
        }
        const cws_journal_field big[] = { { "MESSAGE", "0123456789012345678901234567890123456789" } };
        assert_int_equal(cws_journal_format(big, 1, buf, sizeof(buf)), -EMSGSIZE);
        assert_int_equal(cws_journal_send_to("/nonexistent/dir/socket", big, 1), 0);
}

static void test_send_one_datagram(void **state)
{
        char dir[FIXTURE_DIR_MAX], path[FIXTURE_DIR_MAX + 8], got[512];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const cws_journal_field f[] = { { "MESSAGE", "m" }, { "CWS_REASON", "ok" } };
        ssize_t n;
        int fd;
        (void)state;

        assert_int_equal(fixture_dir_make(dir, sizeof(dir)), 0);
        snprintf(path, sizeof(path), "%s/socket", dir);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(cws_journal_send_to(path, f, 2), 0);
        n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
        assert_int_equal(n, (ssize_t)strlen("MESSAGE=m\nCWS_REASON=ok\n"));
        assert_memory_equal(got, "MESSAGE=m\nCWS_REASON=ok\n", (size_t)n);
        close(fd);
        /* A stale socket (nobody listening) is an error, not silence. */
        assert_int_equal(cws_journal_send_to(path, f, 2), -ECONNREFUSED);
        assert_int_equal(fixture_dir_remove(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_fields),
                cmocka_unit_test(test_newline_is_length_prefixed),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_send_one_datagram),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
