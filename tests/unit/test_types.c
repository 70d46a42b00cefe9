/* lib/gate/types.c: invitation type names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "cws/types.h"

static void test_from_string_each_type(void **state)
{
        cws_inv_type t = CWS_TYPE_NONE;
        (void)state;

        assert_int_equal(cws_inv_type_from_string("read_only", &t), 0);
        assert_int_equal(t, CWS_TYPE_READ_ONLY);
        assert_int_equal(cws_inv_type_from_string("read_write", &t), 0);
        assert_int_equal(t, CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_inv_type_from_string("admin", &t), 0);
        assert_int_equal(t, CWS_TYPE_ADMIN);
}

static void test_from_string_rejects(void **state)
{
        static const char *const bad[] = {
                "", "none", "READ_ONLY", "Admin", "admin ", " admin", "read-only", "readonly",
                "admin\n", "read_onl", "read_only_", "3",
        };
        cws_inv_type t = CWS_TYPE_READ_WRITE;
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(cws_inv_type_from_string(bad[i], &t), -EINVAL);
                /* Left alone on error. */
                assert_int_equal(t, CWS_TYPE_READ_WRITE);
        }
        assert_int_equal(cws_inv_type_from_string(NULL, &t), -EINVAL);
        assert_int_equal(cws_inv_type_from_string("admin", NULL), -EINVAL);
}

static void test_to_string(void **state)
{
        (void)state;
        assert_string_equal(cws_inv_type_to_string(CWS_TYPE_NONE), "none");
        assert_string_equal(cws_inv_type_to_string(CWS_TYPE_READ_ONLY), "read_only");
        assert_string_equal(cws_inv_type_to_string(CWS_TYPE_READ_WRITE), "read_write");
        assert_string_equal(cws_inv_type_to_string(CWS_TYPE_ADMIN), "admin");
}

static void test_to_string_out_of_range(void **state)
{
        (void)state;
        assert_string_equal(cws_inv_type_to_string((cws_inv_type)4), "invalid");
        assert_string_equal(cws_inv_type_to_string((cws_inv_type)-1), "invalid");
        assert_string_equal(cws_inv_type_to_string((cws_inv_type)1000), "invalid");
}

static void test_round_trip_and_order(void **state)
{
        cws_inv_type back;
        (void)state;

        for (cws_inv_type t = CWS_TYPE_READ_ONLY; t <= CWS_TYPE_ADMIN; t++) {
                assert_int_equal(cws_inv_type_from_string(cws_inv_type_to_string(t), &back), 0);
                assert_int_equal(back, t);
        }
        /* Policy compares types numerically. */
        assert_true(CWS_TYPE_NONE < CWS_TYPE_READ_ONLY);
        assert_true(CWS_TYPE_READ_ONLY < CWS_TYPE_READ_WRITE);
        assert_true(CWS_TYPE_READ_WRITE < CWS_TYPE_ADMIN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_from_string_each_type),
                cmocka_unit_test(test_from_string_rejects),
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_to_string_out_of_range),
                cmocka_unit_test(test_round_trip_and_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
