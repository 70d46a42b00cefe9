/* lib/gate/hex.c: both cases, the truncation to whole bytes the evidence
 * encoding relies on, and the lowercase check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/hex.h"

static void test_encode_both_cases(void **state)
{
        static const uint8_t in[] = { 0x00, 0x1f, 0xa0, 0xff };
        char out[9];
        (void)state;

        assert_int_equal(cws_hex_encode(in, sizeof(in), out, sizeof(out), false), 8);
        assert_string_equal(out, "001fa0ff");
        assert_int_equal(cws_hex_encode(in, sizeof(in), out, sizeof(out), true), 8);
        assert_string_equal(out, "001FA0FF");
        assert_int_equal(cws_hex_encode(in, 0, out, sizeof(out), false), 0);
        assert_string_equal(out, "");
}

/* What does not fit is cut at a whole byte, and the result is terminated. */
static void test_encode_truncates_to_whole_bytes(void **state)
{
        static const uint8_t in[] = { 0xab, 0xcd, 0xef };
        char out[8];
        (void)state;

        memset(out, 'x', sizeof(out));
        assert_int_equal(cws_hex_encode(in, sizeof(in), out, 6, false), 4);
        assert_string_equal(out, "abcd");
        assert_int_equal(cws_hex_encode(in, sizeof(in), out, 2, false), 0);
        assert_string_equal(out, "");
        out[0] = 'x';
        assert_int_equal(cws_hex_encode(in, sizeof(in), out, 0, false), 0);
        assert_int_equal(out[0], 'x');
}

static void test_is_lower(void **state)
{
        (void)state;
        assert_true(cws_hex_is_lower("0123456789abcdef", 16));
        assert_true(cws_hex_is_lower("", 0));
        assert_false(cws_hex_is_lower("0A", 2));
        assert_false(cws_hex_is_lower("0g", 2));
        assert_false(cws_hex_is_lower("a\0", 2));
        assert_true(cws_hex_is_lower("a\0", 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_both_cases),
                cmocka_unit_test(test_encode_truncates_to_whole_bytes),
                cmocka_unit_test(test_is_lower),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
