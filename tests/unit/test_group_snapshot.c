/* libnss_cws.so.2's parsed copy of the membership file
 * (nss/group_snapshot.c): it hands out what the parser handed out, in the
 * same order, refuses what the parser refuses, stops where the callback
 * stops, and is never larger than the file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "group_snapshot.h"

/* Every entry as one line of text, appended. */
typedef struct trace {
        char *text;
        size_t len, cap;
        unsigned entries;
} trace;

static int record(void *ctx, const cws_gf_entry *e)
{
        trace *t = ctx;
        char line[160];
        int n = snprintf(line, sizeof(line), "%d %u %s %u %lld\n", (int)e->kind, e->level, e->name,
                         e->kind == CWS_GF_GROUP ? e->gid : 0,
                         e->kind == CWS_GF_MEMBER ? (long long)e->until : 0LL);

        assert_true(n > 0 && (size_t)n < sizeof(line));
        if (t->len + (size_t)n + 1 > t->cap) {
                t->cap = (t->len + (size_t)n + 1) * 2;
                t->text = realloc(t->text, t->cap);
                assert_non_null(t->text);
        }
        memcpy(t->text + t->len, line, (size_t)n + 1);
        t->len += (size_t)n;
        t->entries++;
        return 0;
}

/* The parser's trace and the snapshot's replay are the same text. */
static void same_as_parser(const char *text, size_t n)
{
        trace parsed = { 0 }, replayed = { 0 };
        cws_gs_snapshot *s = NULL;

        assert_int_equal(cws_gf_parse_buffer(text, n, record, &parsed), 0);
        assert_int_equal(cws_gs_build_buffer(text, n, &s), 0);
        assert_int_equal(cws_gs_replay(s, record, &replayed), 0);
        assert_int_equal(replayed.entries, parsed.entries);
        assert_string_equal(replayed.text ? replayed.text : "", parsed.text ? parsed.text : "");
        assert_true(cws_gs_size(s) <= n + 256);
        cws_gs_free(s);
        free(parsed.text);
        free(replayed.text);
}

static const char good[] = "# written by cwsd\n"
                           "cws-groups 1\n"
                           "group cws-admin 110002\n"
                           "group cws-read_only 110000\n"
                           "member alice admin 1900000000\n"
                           "# between\n"
                           "member bob read_only 1900000001\n"
                           "member alice read_write 0\n"
                           "member A.b_c-d@e admin 999999999999\n";

static void test_replay_is_the_parse(void **state)
{
        (void)state;
        same_as_parser(good, sizeof(good) - 1);
        same_as_parser("cws-groups 1\n", 13);
        same_as_parser("cws-groups 1\ngroup cws-read_write 7\n", 36);
}

/* Many members, names of every length 1..63. */
static void test_many_members(void **state)
{
        size_t cap = 4u << 20, len;
        char *text = malloc(cap), name[64];
        (void)state;

        assert_non_null(text);
        len = (size_t)snprintf(text, cap, "cws-groups 1\ngroup cws-read_only 110000\n");
        for (unsigned i = 0; i < 20000; i++) {
                size_t k = 1 + i % 63;

                memset(name, 'a' + (int)(i % 26), k);
                name[k] = '\0';
                len += (size_t)snprintf(text + len, cap - len, "member %s %s %u\n", name,
                                        i % 3 == 0 ? "admin" : "read_only", i);
        }
        same_as_parser(text, len);
        free(text);
}

/* The smallest member lines: the copy is still no larger than the file. */
static void test_bound(void **state)
{
        size_t n = 100000 * 17 + 64, len;
        char *text = malloc(n);
        cws_gs_snapshot *s = NULL;
        (void)state;

        assert_non_null(text);
        len = (size_t)snprintf(text, n, "cws-groups 1\n");
        for (unsigned i = 0; i < 100000; i++)
                len += (size_t)snprintf(text + len, n - len, "member a admin 0\n");
        assert_int_equal(cws_gs_build_buffer(text, len, &s), 0);
        assert_true(cws_gs_size(s) <= len);
        cws_gs_free(s);
        free(text);
}

static void test_refuses_what_the_parser_refuses(void **state)
{
        cws_gs_snapshot *s = NULL;
        static const char bad[] = "cws-groups 1\nmember alice admin 1\ngroup cws-admin 110002\n";
        (void)state;

        assert_int_equal(cws_gs_build_buffer(bad, sizeof(bad) - 1, &s), -EBADMSG);
        assert_null(s);
        assert_int_equal(cws_gs_build_buffer("cws-groups 1", 12, &s), -EBADMSG);
        assert_null(s);
        assert_int_equal(cws_gs_build_buffer("", 0, &s), -EBADMSG);
        assert_null(s);
}

static int stop_at_second(void *ctx, const cws_gf_entry *e)
{
        unsigned *n = ctx;
        (void)e;
        return ++*n == 2 ? -ERANGE : 0;
}

static int stop_at_member(void *ctx, const cws_gf_entry *e)
{
        (void)ctx;
        return e->kind == CWS_GF_MEMBER ? -ERANGE : 0;
}

static void test_replay_stops_where_the_callback_stops(void **state)
{
        cws_gs_snapshot *s = NULL;
        unsigned n = 0;
        (void)state;

        assert_int_equal(cws_gs_build_buffer(good, sizeof(good) - 1, &s), 0);
        assert_int_equal(cws_gs_replay(s, stop_at_second, &n), -ERANGE);
        assert_int_equal(n, 2);
        assert_int_equal(cws_gs_replay(s, stop_at_member, NULL), -ERANGE);
        cws_gs_free(s);
        cws_gs_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_replay_is_the_parse),
                cmocka_unit_test(test_many_members),
                cmocka_unit_test(test_bound),
                cmocka_unit_test(test_refuses_what_the_parser_refuses),
                cmocka_unit_test(test_replay_stops_where_the_callback_stops),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
