/* The membership file reader of libnss_cws.so.2 (nss/group_parse.c):
 * what it accepts, and that anything else makes the whole file unusable,
 * within its bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "group_parse.h"

typedef struct seen {
        unsigned groups, members;
        uint32_t gid[CWS_NSS_LEVELS + 1];
        char last_user[CWS_NSS_USER_MAX];
        unsigned last_level;
        int64_t last_until;
} seen;

static int collect(void *ctx, const cws_gf_entry *e)
{
        seen *s = ctx;

        if (e->kind == CWS_GF_GROUP) {
                s->groups++;
                s->gid[e->level] = e->gid;
                return 0;
        }
        s->members++;
        snprintf(s->last_user, sizeof(s->last_user), "%s", e->name);
        s->last_level = e->level;
        s->last_until = e->until;
        return 0;
}

static int parse(const char *text, seen *s)
{
        memset(s, 0, sizeof(*s));
        return cws_gf_parse_buffer(text, strlen(text), collect, s);
}

static const char good[] = "# written by cwsd\n"
                           "cws-groups 1\n"
                           "group cws-read_only 110000\n"
                           "group cws-read_write 110001\n"
                           "group cws-admin 110002\n"
                           "member alice admin 1900000000\n"
                           "member bob read_only 1900000001\n";

static void test_good_file(void **state)
{
        seen s;
        (void)state;

        assert_int_equal(parse(good, &s), 0);
        assert_int_equal(s.groups, 3);
        assert_int_equal(s.members, 2);
        assert_int_equal(s.gid[1], 110000);
        assert_int_equal(s.gid[3], 110002);
        assert_string_equal(s.last_user, "bob");
        assert_int_equal(s.last_level, 1);
        assert_int_equal(s.last_until, 1900000001);
}

static void test_group_left_out_and_no_members(void **state)
{
        seen s;
        (void)state;

        assert_int_equal(parse("cws-groups 1\ngroup cws-admin 5000\n", &s), 0);
        assert_int_equal(s.groups, 1);
        assert_int_equal(parse("cws-groups 1\n", &s), 0);
        assert_int_equal(s.groups, 0);
}

static void test_malformed(void **state)
{
        static const char *const bad[] = {
                "",                                             /* no header */
                "cws-groups 2\n",                               /* another version */
                "cws-groups 1",                                 /* cut short */
                "cws-groups 1\ngroup cws-admin 5000",           /* last line cut short */
                "cws-groups 1\ngroup wheel 10\n",               /* not one of ours */
                "cws-groups 1\ngroup cws-admin 0\n",            /* gid 0 */
                "cws-groups 1\ngroup cws-admin 4294967295\n",   /* (gid_t)-1 */
                "cws-groups 1\ngroup cws-admin -1\n",
                "cws-groups 1\ngroup cws-admin 0x10\n",
                "cws-groups 1\ngroup cws-admin 10\ngroup cws-admin 11\n",     /* twice */
                "cws-groups 1\ngroup cws-admin 10\ngroup cws-read_only 10\n", /* same gid */
                "cws-groups 1\ngroup cws-admin  10\n",          /* two spaces */
                "cws-groups 1\ngroup cws-admin 10 \n",          /* trailing space */
                "cws-groups 1\ngroup\tcws-admin 10\n",
                "cws-groups 1\nmember alice admin 1\ngroup cws-admin 10\n", /* group after members */
                "cws-groups 1\nmember alice root 1\n",          /* unknown type */
                "cws-groups 1\nmember -alice admin 1\n",        /* bad names */
                "cws-groups 1\nmember al:ice admin 1\n",
                "cws-groups 1\nmember al,ice admin 1\n",
                "cws-groups 1\nmember al/ice admin 1\n",
                "cws-groups 1\nmember alice admin\n",           /* missing field */
                "cws-groups 1\nmember alice admin 1 2\n",       /* one too many */
                "cws-groups 1\nmember alice admin 9999999999999\n",  /* 13 digits */
                "cws-groups 1\nunknown line\n",
        };
        seen s;
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (parse(bad[i], &s) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_nul_byte(void **state)
{
        static const char text[] = "cws-groups 1\nmember al\0ce admin 1\n";
        seen s = { 0 };
        (void)state;

        assert_int_equal(cws_gf_parse_buffer(text, sizeof(text) - 1, collect, &s), -EBADMSG);
}

static void test_long_line_refused(void **state)
{
        char text[2 * CWS_NSS_LINE_MAX + 32];
        seen s;
        (void)state;

        snprintf(text, sizeof(text), "cws-groups 1\n# %0*d\n", CWS_NSS_LINE_MAX, 0);
        assert_int_equal(parse(text, &s), -EBADMSG);
        /* The longest line that fits. */
        snprintf(text, sizeof(text), "cws-groups 1\n# %0*d\n", CWS_NSS_LINE_MAX - 4, 0);
        assert_int_equal(parse(text, &s), 0);
}

static void test_user_names(void **state)
{
        char name[80];
        (void)state;

        assert_true(cws_gf_user_valid("alice", 5));
        assert_true(cws_gf_user_valid("a.b_c-d@e", 9));
        assert_false(cws_gf_user_valid("", 0));
        assert_false(cws_gf_user_valid(".x", 2));
        assert_false(cws_gf_user_valid("a b", 3));
        memset(name, 'a', sizeof(name));
        assert_true(cws_gf_user_valid(name, 63));
        assert_false(cws_gf_user_valid(name, 64));
}

/* Fed in pieces of every size, the same file reads the same. */
static void test_chunked_feed(void **state)
{
        (void)state;

        for (size_t step = 1; step < 40; step++) {
                cws_gf_parser p;
                seen s = { 0 };

                cws_gf_init(&p, collect, &s);
                for (size_t off = 0; off < sizeof(good) - 1; off += step) {
                        size_t n = sizeof(good) - 1 - off < step ? sizeof(good) - 1 - off : step;
                        assert_int_equal(cws_gf_feed(&p, good + off, n), 0);
                }
                assert_int_equal(cws_gf_finish(&p), 0);
                assert_int_equal(s.members, 2);
        }
}

static void test_size_bound(void **state)
{
        cws_gf_parser p;
        seen s = { 0 };
        char chunk[4096];
        size_t fed = 0;
        int r = 0;
        (void)state;

        /* Comment lines up to the bound, then one byte more. */
        memset(chunk, 'x', sizeof(chunk));
        for (size_t i = 0; i < sizeof(chunk); i += 128) {
                chunk[i] = '#';
                chunk[i + 127] = '\n';
        }
        cws_gf_init(&p, collect, &s);
        assert_int_equal(cws_gf_feed(&p, "cws-groups 1\n", 13), 0);
        fed = 13;
        while (r == 0 && fed <= CWS_NSS_FILE_MAX) {
                size_t n = CWS_NSS_FILE_MAX - fed < sizeof(chunk) ? CWS_NSS_FILE_MAX - fed : sizeof(chunk);
                if (n == 0)
                        break;
                r = cws_gf_feed(&p, chunk, n);
                fed += n;
        }
        assert_int_equal(fed, CWS_NSS_FILE_MAX);
        assert_int_equal(cws_gf_feed(&p, "#", 1), -EFBIG);
}

static int stop_at_member(void *ctx, const cws_gf_entry *e)
{
        (void)ctx;
        return e->kind == CWS_GF_MEMBER ? -ERANGE : 0;
}

static void test_callback_error_stops(void **state)
{
        (void)state;
        assert_int_equal(cws_gf_parse_buffer(good, sizeof(good) - 1, stop_at_member, NULL), -ERANGE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_file),
                cmocka_unit_test(test_group_left_out_and_no_members),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_long_line_refused),
                cmocka_unit_test(test_user_names),
                cmocka_unit_test(test_chunked_feed),
                cmocka_unit_test(test_size_bound),
                cmocka_unit_test(test_callback_error_stops),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
