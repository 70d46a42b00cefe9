/* ids: random identifiers and name validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/ids.h"

static void test_id_new_valid(void **state)
{
        char a[CWS_ID_MAX], b[CWS_ID_MAX];
        (void)state;
        assert_int_equal(cws_id_new("inv", a), 0);
        assert_int_equal(cws_id_new("inv", b), 0);
        assert_int_equal(strlen(a), 4 + 22);
        assert_memory_equal(a, "inv-", 4);
        assert_string_not_equal(a, b);
        assert_true(cws_id_valid("inv", a));
        assert_false(cws_id_valid("dev", a));
        assert_int_equal(cws_id_new("dev", b), 0);
        assert_memory_equal(b, "dev-", 4);
        assert_true(cws_id_valid("dev", b));
        assert_false(cws_id_valid("inv", b));
}

static void test_id_invalid(void **state)
{
        char a[CWS_ID_MAX], t[CWS_ID_MAX + 8];
        (void)state;
        assert_int_equal(cws_id_new("dev", a), 0);
        assert_false(cws_id_valid("dev", NULL));
        assert_false(cws_id_valid("dev", ""));
        assert_false(cws_id_valid("dev", "dev-"));
        assert_false(cws_id_valid("dev", "dev"));
        /* Missing dash. */
        strcpy(t, a);
        t[3] = '_';
        assert_false(cws_id_valid("dev", t));
        /* One character short / long. */
        strcpy(t, a);
        t[strlen(t) - 1] = '\0';
        assert_false(cws_id_valid("dev", t));
        strcpy(t, a);
        strcat(t, "A");
        assert_false(cws_id_valid("dev", t));
        /* A character outside base64url. */
        strcpy(t, a);
        t[6] = '/';
        assert_false(cws_id_valid("dev", t));
        strcpy(t, a);
        t[6] = '+';
        assert_false(cws_id_valid("dev", t));
}

static void test_name_valid(void **state)
{
        char s[80];
        (void)state;
        assert_true(cws_name_valid("alice", 64));
        assert_true(cws_name_valid("a", 64));
        assert_true(cws_name_valid("Ops_team.1@corp-x", 64));
        assert_true(cws_name_valid("a-", 64));
        assert_false(cws_name_valid(NULL, 64));
        assert_false(cws_name_valid("", 64));
        assert_false(cws_name_valid("-a", 64));
        assert_false(cws_name_valid(".a", 64));
        assert_false(cws_name_valid("..", 64));
        assert_false(cws_name_valid("a/b", 64));
        assert_false(cws_name_valid("a b", 64));
        assert_false(cws_name_valid("a\n", 64));
        assert_false(cws_name_valid("a=b", 64));
        assert_false(cws_name_valid("a,b", 64));
        assert_false(cws_name_valid("\xc3\xa9", 64));
        /* 63 ok, 64 not. */
        memset(s, 'x', 63);
        s[63] = '\0';
        assert_true(cws_name_valid(s, 64));
        assert_true(cws_name_valid(s, 200));
        s[63] = 'x';
        s[64] = '\0';
        assert_false(cws_name_valid(s, 200));
        /* max is a buffer size: length must be < max. */
        assert_true(cws_name_valid("abc", 4));
        assert_false(cws_name_valid("abcd", 4));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_new_valid),
                cmocka_unit_test(test_id_invalid),
                cmocka_unit_test(test_name_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
