/* cws_error: the message a person sees, and the code a caller acts on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/error.h"

static void test_set_formats_and_returns_code(void **state)
{
        cws_error e = { 0 };
        (void)state;

        assert_int_equal(cws_error_set(&e, -ENOENT, "%s: missing (%d)", "/etc/cws/x", 7),
                         -ENOENT);
        assert_int_equal(e.code, -ENOENT);
        assert_string_equal(e.msg, "/etc/cws/x: missing (7)");
        assert_string_equal(cws_error_message(&e), "/etc/cws/x: missing (7)");
}

static void test_set_overwrites_previous(void **state)
{
        cws_error e = { 0 };
        (void)state;

        cws_error_set(&e, -EPERM, "first, a much longer message than the second");
        cws_error_set(&e, -EIO, "second");
        assert_int_equal(e.code, -EIO);
        assert_string_equal(cws_error_message(&e), "second");
}

static void test_null_error_pointer_is_safe(void **state)
{
        (void)state;
        assert_int_equal(cws_error_set(NULL, -EBADMSG, "%s", "ignored"), -EBADMSG);
        assert_non_null(cws_error_message(NULL));
        assert_true(strlen(cws_error_message(NULL)) > 0);
}

static void test_fallback_to_strerror(void **state)
{
        cws_error e = { .code = -ENOENT };
        (void)state;

        assert_string_equal(cws_error_message(&e), strerror(ENOENT));
        e.code = -EACCES;
        assert_string_equal(cws_error_message(&e), strerror(EACCES));
}

static void test_empty_format_falls_back(void **state)
{
        cws_error e = { 0 };
        (void)state;

        /* An empty message is no message: the errno text stands in. */
        cws_error_set(&e, -ETIMEDOUT, "%s", "");
        assert_string_equal(cws_error_message(&e), strerror(ETIMEDOUT));
}

static void test_long_message_truncated_and_terminated(void **state)
{
        char big[2000];
        cws_error e;
        (void)state;

        memset(&e, 'Z', sizeof(e));
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cws_error_set(&e, -E2BIG, "%s", big);
        assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
        assert_int_equal(e.msg[sizeof(e.msg) - 1], '\0');
        assert_int_equal(e.msg[0], 'x');
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_formats_and_returns_code),
                cmocka_unit_test(test_set_overwrites_previous),
                cmocka_unit_test(test_null_error_pointer_is_safe),
                cmocka_unit_test(test_fallback_to_strerror),
                cmocka_unit_test(test_empty_format_falls_back),
                cmocka_unit_test(test_long_message_truncated_and_terminated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
