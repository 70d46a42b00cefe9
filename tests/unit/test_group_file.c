/* group_file: who is a member of the cws-* groups, the file's text (read
 * back by libnss_cws.so.2's own reader), clashes with /etc/group, and
 * the writer. */
#define _GNU_SOURCE
#include <errno.h>
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
#include "cws/config.h"
#include "cws/crypto.h"
#include "cws/group_file.h"
#include "cws/nss_groups.h"
#include "group_parse.h"

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1700000000) * SEC)
#define GRACE 3600u
#define REFRESH 90u

static char dir[64];

static int setup(void **state)
{
        (void)state;
        return fixture_dir_make(dir, sizeof(dir)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static cws_group_allow allow(cws_inv_type t, int64_t at)
{
        return (cws_group_allow){ .type = t, .at_us = at };
}

static cws_inv_type member(const cws_group_allow *c, const cws_group_sweep *s, int64_t now,
                           int64_t *until)
{
        return cws_group_member_type(c, s, GRACE, REFRESH, now, until);
}

static void test_no_sweep_follows_the_offline_grace(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_ADMIN, T0);
        int64_t until;
        (void)state;

        assert_int_equal(member(&c, NULL, T0 + 10 * SEC, &until), CWS_TYPE_ADMIN);
        assert_int_equal(until, T0 / SEC + GRACE);
        assert_int_equal(member(&c, NULL, T0 + GRACE * SEC, &until), CWS_TYPE_ADMIN);
        assert_int_equal(member(&c, NULL, T0 + GRACE * SEC + 1, &until), CWS_TYPE_NONE);
        /* No grace, no membership before cwsd has heard from the registry. */
        assert_int_equal(cws_group_member_type(&c, NULL, 0, REFRESH, T0 + 1, &until), CWS_TYPE_NONE);
        /* Never validated, or in the future (a clock set back). */
        c.at_us = 0;
        assert_int_equal(member(&c, NULL, T0, &until), CWS_TYPE_NONE);
        c.at_us = T0 + SEC;
        assert_int_equal(member(&c, NULL, T0, &until), CWS_TYPE_NONE);
        assert_int_equal(member(NULL, NULL, T0, &until), CWS_TYPE_NONE);
}

static void test_revoked_never_counts(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_ADMIN, T0);
        cws_group_sweep s = { .outcome = CWS_GROUP_ALLOWED, .at_us = T0,
                              .best = allow(CWS_TYPE_ADMIN, T0) };
        int64_t until;
        (void)state;

        c.revoked = true;
        s.best.revoked = true;
        assert_int_equal(member(&c, &s, T0 + SEC, &until), CWS_TYPE_NONE);
        assert_int_equal(member(&c, NULL, T0 + SEC, &until), CWS_TYPE_NONE);
}

static void test_allowed_sweep_counts_beyond_the_grace(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_ADMIN, T0);
        cws_group_sweep s = { .outcome = CWS_GROUP_ALLOWED, .at_us = T0,
                              .best = allow(CWS_TYPE_ADMIN, T0) };
        int64_t until, now = T0 + 2 * GRACE * SEC;
        (void)state;

        /* Online: until the next verdict, and the file's line outlives a
         * dead cwsd by refresh at least. */
        assert_int_equal(member(&c, &s, now, &until), CWS_TYPE_ADMIN);
        assert_int_equal(until, now / SEC + REFRESH);
        assert_int_equal(member(&c, &s, T0 + SEC, &until), CWS_TYPE_ADMIN);
        assert_int_equal(until, T0 / SEC + GRACE);
}

/* A login validated the read_only binding after the sweep: the sweep's
 * admin still counts. */
static void test_later_lower_allow_keeps_the_sweeps_type(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_READ_ONLY, T0 + 5 * SEC);
        cws_group_sweep s = { .outcome = CWS_GROUP_ALLOWED, .at_us = T0,
                              .best = allow(CWS_TYPE_ADMIN, T0) };
        int64_t until;
        (void)state;

        assert_int_equal(member(&c, &s, T0 + 6 * SEC, &until), CWS_TYPE_ADMIN);
        /* That admin binding is then seen revoked: the later allow stays. */
        s.best.revoked = true;
        assert_int_equal(member(&c, &s, T0 + 6 * SEC, &until), CWS_TYPE_READ_ONLY);
}

static void test_denied_sweep_voids_older_allows(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_ADMIN, T0);
        cws_group_sweep s = { .outcome = CWS_GROUP_DENIED, .at_us = T0 + 30 * SEC };
        int64_t until;
        (void)state;

        assert_int_equal(member(&c, &s, T0 + 31 * SEC, &until), CWS_TYPE_NONE);
        /* Same microsecond: the denial wins. */
        c.at_us = s.at_us;
        assert_int_equal(member(&c, &s, T0 + 31 * SEC, &until), CWS_TYPE_NONE);
        /* A validation allowed after the denial (the invitation renewed). */
        c.at_us = T0 + 40 * SEC;
        assert_int_equal(member(&c, &s, T0 + 41 * SEC, &until), CWS_TYPE_ADMIN);
}

static void test_offline_sweep_keeps_the_grace(void **state)
{
        cws_group_allow c = allow(CWS_TYPE_READ_WRITE, T0);
        cws_group_sweep s = { .outcome = CWS_GROUP_OFFLINE, .at_us = T0 + 30 * SEC };
        int64_t until;
        (void)state;

        /* The cached allow is older than the offline sweep, which is no
         * verdict on it: it counts within the grace, and no longer. */
        assert_int_equal(member(&c, &s, T0 + 31 * SEC, &until), CWS_TYPE_READ_WRITE);
        assert_int_equal(until, T0 / SEC + GRACE);
        assert_int_equal(member(&c, &s, T0 + (GRACE + 1) * SEC, &until), CWS_TYPE_NONE);
}

static char *format(unsigned skip, const cws_group_member *m, size_t n, size_t *len)
{
        char *text = NULL;

        assert_int_equal(cws_group_file_format(110000, skip, m, n, &text, len), 0);
        assert_non_null(text);
        return text;
}

typedef struct readback {
        unsigned groups, members;
        uint32_t gid[CWS_NSS_LEVELS + 1];
} readback;

static int count(void *ctx, const cws_gf_entry *e)
{
        readback *r = ctx;

        if (e->kind == CWS_GF_GROUP) {
                r->groups++;
                r->gid[e->level] = e->gid;
        } else {
                r->members++;
        }
        return 0;
}

static void test_format_reads_back(void **state)
{
        cws_group_member m[] = {
                { .user = "alice", .type = CWS_TYPE_ADMIN, .until_s = 1800000000 },
                { .user = "bob", .type = CWS_TYPE_READ_ONLY, .until_s = 1800000001 },
                { .user = "nobody-here", .type = CWS_TYPE_NONE, .until_s = 1 },
                { .user = "bad:name", .type = CWS_TYPE_ADMIN, .until_s = 1 },
        };
        readback r = { 0 };
        size_t len;
        char *text = format(0, m, 4, &len);
        (void)state;

        assert_non_null(strstr(text, "\ncws-groups 1\ngroup cws-read_only 110000\n"
                                     "group cws-read_write 110001\ngroup cws-admin 110002\n"
                                     "member alice admin 1800000000\n"
                                     "member bob read_only 1800000001\n"));
        assert_null(strstr(text, "bad:name"));
        assert_null(strstr(text, "nobody-here"));
        assert_int_equal(cws_gf_parse_buffer(text, len, count, &r), 0);
        assert_int_equal(r.groups, 3);
        assert_int_equal(r.members, 2);
        assert_int_equal(r.gid[3], 110002);
        free(text);
}

static void test_format_skips_clashing_groups(void **state)
{
        readback r = { 0 };
        size_t len;
        char *text = format(1u << 3, NULL, 0, &len);
        (void)state;

        assert_null(strstr(text, "cws-admin"));
        assert_int_equal(cws_gf_parse_buffer(text, len, count, &r), 0);
        assert_int_equal(r.groups, 2);
        free(text);
        assert_int_equal(cws_group_file_format(0, 0, NULL, 0, &text, &len), -EINVAL);
        assert_int_equal(cws_group_file_format(UINT32_MAX - 2, 0, NULL, 0, &text, &len), -EINVAL);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_clashes(void **state)
{
        char path[PATH_MAX], why[512];
        unsigned mask = 7;
        (void)state;

        snprintf(path, sizeof(path), "%s/group", dir);
        write_file(path, "root:x:0:\n# cws-admin:x:1:\n+cws-read_only\nusers:x:100:a,b\n");
        assert_int_equal(cws_group_clashes(path, 110000, &mask, why, sizeof(why)), 0);
        assert_int_equal(mask, 0);
        assert_string_equal(why, "");
        write_file(path, "root:x:0:\ncws-admin:x:27:alice\nlab::110001:\n");
        assert_int_equal(cws_group_clashes(path, 110000, &mask, why, sizeof(why)), 0);
        assert_int_equal(mask, (1u << 3) | (1u << 2));
        assert_non_null(strstr(why, "cws-admin is not served: "));
        assert_non_null(strstr(why, "already has a group cws-admin (gid 27)"));
        assert_non_null(strstr(why, "cws-read_write is not served: gid 110001 already belongs to "
                                    "group lab"));
        unlink(path);
        assert_int_equal(cws_group_clashes(path, 110000, &mask, why, sizeof(why)), -ENOENT);
}

static void test_publish_writes_only_where_served(void **state)
{
        char path[PATH_MAX + 16], etc[PATH_MAX], run[PATH_MAX];
        uint8_t key[CWS_HOST_KEY_LEN] = { 1 };
        cws_groups g;
        cws_groups_report rep;
        cws_config cfg;
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        cws_config_defaults(&cfg);
        snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", dir);
        assert_int_equal(mkdir(cfg.state_dir, 0700), 0);
        snprintf(etc, sizeof(etc), "%s/etc-group", dir);
        write_file(etc, "root:x:0:\n");
        snprintf(run, sizeof(run), "%s/run", dir);
        snprintf(path, sizeof(path), "%s/groups", run);
        cws_groups_init(&g);
        assert_false(cws_groups_served(path));
        assert_int_equal(cws_groups_publish(&g, &cfg, key, path, etc, true, 0, &rep, &err), 0);
        assert_false(rep.written);
        assert_int_equal(mkdir(run, 0755), 0);
        assert_true(cws_groups_served(path));
        assert_int_equal(cws_groups_publish(&g, &cfg, key, path, etc, true, 0, &rep, &err), 0);
        assert_true(rep.written);
        assert_int_equal(rep.members, 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        /* Nothing changed for that user: no rewrite. */
        assert_int_equal(cws_groups_publish(&g, &cfg, key, path, etc, false, 4242, &rep, &err), 0);
        assert_false(rep.written);
        cws_groups_free(&g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_sweep_follows_the_offline_grace),
                cmocka_unit_test(test_revoked_never_counts),
                cmocka_unit_test(test_allowed_sweep_counts_beyond_the_grace),
                cmocka_unit_test(test_later_lower_allow_keeps_the_sweeps_type),
                cmocka_unit_test(test_denied_sweep_voids_older_allows),
                cmocka_unit_test(test_offline_sweep_keeps_the_grace),
                cmocka_unit_test(test_format_reads_back),
                cmocka_unit_test(test_format_skips_clashing_groups),
                cmocka_unit_test(test_clashes),
                cmocka_unit_test(test_publish_writes_only_where_served),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
