/* lib/json_reader.c on its own: the document rules (size, depth, NUL,
 * trailing bytes, one object, no key twice at any depth) and the getters'
 * reasons. The records' and bindings' use of it: test_record.c,
 * test_binding.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cws/json_reader.h"

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

static int parse(const char *s, json_object **o, cws_error *err)
{
        return cws_json_parse(s, strlen(s), 1024, 4, "thing", o, err);
}

static void assert_parse_refused(const char *s, const char *why)
{
        json_object *o = NULL;
        cws_error err = { 0 };

        if (parse(s, &o, &err) != -EBADMSG)
                fail_msg("accepted: %s", s);   /* (o leaks: the test fails) */
        assert_null(o);
        assert_contains(err.msg, "thing is not valid JSON");
        assert_contains(err.msg, why);
}

static void assert_parses(const char *s)
{
        json_object *o = NULL;
        cws_error err = { 0 };

        if (parse(s, &o, &err) != 0)
                fail_msg("refused: %s (%s)", s, err.msg);
        json_object_put(o);
}

static void test_document_rules(void **state)
{
        char big[1100];
        (void)state;

        assert_parses("{\"a\":1,\"b\":[{\"a\":2},{\"a\":3}]}");
        assert_parse_refused("", "empty");
        memset(big, ' ', sizeof(big) - 1);
        big[0] = '{';
        big[sizeof(big) - 2] = '}';
        big[sizeof(big) - 1] = '\0';
        assert_parse_refused(big, "too large");
        assert_parse_refused("[1]", "not an object");
        assert_parse_refused("null", "");
        assert_parse_refused("{\"a\":", "incomplete");
        assert_parses("{\"a\":1} \n\t");
        assert_parse_refused("{\"a\":1}{}", "");   /* json-c strict: trailing bytes */
        assert_parse_refused("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", "too deep");
        /* json-c 0.16 takes single quotes even in strict mode; we do not. */
        assert_parse_refused("{'a':1}", "a single-quoted string");
        assert_parse_refused("{'\"':1,\"a\":1,\"a\":2}", "a single-quoted string");
        assert_parse_refused("{\"a\":1,}", "");
        /* Keys twice: at the top, in a nested object, in an array's object,
         * spelt with an escape. */
        assert_parse_refused("{\"a\":1,\"a\":1}", "a key appears twice");
        assert_parse_refused("{\"o\":{\"a\":1,\"a\":2}}", "a key appears twice");
        assert_parse_refused("{\"l\":[{\"a\":1,\"a\":2}]}", "a key appears twice");
        assert_parse_refused("{\"a\":1,\"\\u0061\":2}", "a key appears twice");
        /* The same key in two objects is no repetition; colons, quotes and
         * backslashes inside strings are no members. */
        assert_parses("{\"a\":{\"a\":1},\"b\":{\"a\":1}}");
        assert_parses("{\"a\":\"x:\\\":y\\\\\",\"b\":\"::\"}");
}

static void test_nul_refused(void **state)
{
        static const char doc[] = "{\"a\":\"x\0y\"}";
        json_object *o = NULL;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_json_parse(doc, sizeof(doc) - 1, 1024, 4, "thing", &o, &err),
                         -EBADMSG);
        assert_contains(err.msg, "a NUL byte");
}

static const cws_json_key keys[] = {
        { "s", false }, { "i", false }, { "b", false }, { "k", false }, { "o", true },
};

static void test_keys_and_getters(void **state)
{
        json_object *doc = NULL;
        cws_error err = { 0 };
        cws_json_obj o;
        char s[4];
        int64_t i;
        bool b;
        uint8_t k[3];
        (void)state;

        assert_int_equal(parse("{\"s\":\"abc\",\"i\":7,\"b\":true,\"k\":\"AQID\"}", &doc, &err), 0);
        o = (cws_json_obj){ doc, "thing" };
        assert_int_equal(cws_json_keys(o, keys, CWS_ELEMENTSOF(keys), &err), 0);   /* o optional */
        assert_int_equal(cws_json_string(o, "s", s, sizeof(s), &err), 0);
        assert_string_equal(s, "abc");
        assert_int_equal(cws_json_string(o, "s", s, 3, &err), -EBADMSG);
        assert_contains(err.msg, "malformed thing: field \"s\" is longer than 2 bytes");
        assert_int_equal(cws_json_int64(o, "i", 0, 7, &i, &err), 0);
        assert_int_equal(i, 7);
        assert_int_equal(cws_json_int64(o, "i", 8, 9, &i, &err), -EBADMSG);
        assert_contains(err.msg, "field \"i\" is out of range 8..9");
        assert_int_equal(cws_json_bool(o, "b", &b, &err), 0);
        assert_true(b);
        assert_int_equal(cws_json_bool(o, "i", &b, &err), -EBADMSG);
        assert_contains(err.msg, "field \"i\" is not true or false");
        assert_int_equal(cws_json_b64(o, "k", k, sizeof(k), &err), 0);
        assert_int_equal(k[2], 3);
        assert_int_equal(cws_json_b64(o, "k", k, 2, &err), -EBADMSG);
        assert_contains(err.msg, "field \"k\" is not base64url of 2 bytes");
        assert_int_equal(cws_json_string(o, "x", s, sizeof(s), &err), -EBADMSG);
        assert_contains(err.msg, "field \"x\" is missing");
        /* A required key missing, and one not in the table. */
        assert_int_equal(cws_json_keys(o, keys + 1, CWS_ELEMENTSOF(keys) - 1, &err), -EBADMSG);
        assert_contains(err.msg, "malformed thing: unknown field \"s\"");
        json_object_object_del(doc, "b");
        assert_int_equal(cws_json_keys(o, keys, CWS_ELEMENTSOF(keys), &err), -EBADMSG);
        assert_contains(err.msg, "malformed thing: field \"b\" is missing");
        json_object_put(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_document_rules),
                cmocka_unit_test(test_nul_refused),
                cmocka_unit_test(test_keys_and_getters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
