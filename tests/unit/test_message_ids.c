/* The journal MESSAGE_IDs have one source, include/gate/cws/evidence.h: the
 * catalog (packaging/cws.catalog) has exactly one entry for each id there
 * and none besides, an id the README or a man page names after "MESSAGE_ID"
 * is one of them, and no test script types one out (they read them from the
 * header at run time: tests/integration/message_ids.sh). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cws/evidence.h"

#define MID_LEN 32
#define MAX_IDS 64

typedef struct mid {
        char name[64];          /* after CWS_MID_ */
        char id[MID_LEN + 1];
} mid;

typedef struct mids {
        mid m[MAX_IDS];
        size_t n;
} mids;

static char top[4096];

/* The tree's top, from this file's path as the compiler saw it. */
static void find_top(void)
{
        const char *here = __FILE__, *at = strstr(here, "tests/unit/");

        if (!at || at == here)
                snprintf(top, sizeof(top), ".");
        else
                snprintf(top, sizeof(top), "%.*s", (int)(at - here - 1), here);
}

static char *slurp(const char *rel)
{
        char path[8192];
        FILE *f;
        char *buf;
        long len;

        snprintf(path, sizeof(path), "%s/%s", top, rel);
        f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        assert_true(len >= 0);
        rewind(f);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        buf[len] = '\0';
        fclose(f);
        return buf;
}

static bool is_mid(const char *s, size_t len)
{
        if (len != MID_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!strchr("0123456789abcdef", s[i]) || !s[i])
                        return false;
        return true;
}

static const mid *find(const mids *h, const char *id)
{
        for (size_t i = 0; i < h->n; i++)
                if (strcmp(h->m[i].id, id) == 0)
                        return &h->m[i];
        return NULL;
}

/* Every line '#define CWS_MID_NAME "id"' of TEXT; -EINVAL for one that is
 * not 32 lowercase hex digits, or a name or id seen before. */
static int parse_header(const char *text, mids *out, char *why, size_t size)
{
        static const char pre[] = "#define CWS_MID_";
        const char *l = text;

        out->n = 0;
        for (; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *name, *q, *e;
                size_t nlen;

                if (strncmp(l, pre, sizeof(pre) - 1) != 0)
                        continue;
                name = l + sizeof(pre) - 1;
                nlen = strcspn(name, " \t");
                q = name + nlen + strspn(name + nlen, " \t");
                e = *q == '"' ? strchr(q + 1, '"') : NULL;
                if (!e || !is_mid(q + 1, (size_t)(e - q - 1)) || nlen >= sizeof(out->m[0].name) ||
                    out->n == MAX_IDS) {
                        snprintf(why, size, "CWS_MID_%.*s is not \"<32 hex digits>\"", (int)nlen, name);
                        return -EINVAL;
                }
                mid *m = &out->m[out->n];
                snprintf(m->name, sizeof(m->name), "%.*s", (int)nlen, name);
                snprintf(m->id, sizeof(m->id), "%.*s", MID_LEN, q + 1);
                for (size_t i = 0; i < out->n; i++)
                        if (strcmp(out->m[i].name, m->name) == 0 || strcmp(out->m[i].id, m->id) == 0) {
                                snprintf(why, size, "CWS_MID_%s repeats a name or an id", m->name);
                                return -EINVAL;
                        }
                out->n++;
        }
        return 0;
}

/* TEXT, a catalog, has one entry ("-- ID" and a Subject: line) for each id
 * of H and no other; -EINVAL and WHY otherwise. */
static int check_catalog(const mids *h, const char *text, char *why, size_t size)
{
        unsigned seen[MAX_IDS] = { 0 };
        const char *l = text;

        for (; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                char id[MID_LEN + 1];
                const mid *m;
                const char *next, *subject;

                if (strncmp(l, "-- ", 3) != 0)
                        continue;
                if (!is_mid(l + 3, strcspn(l + 3, " \n"))) {
                        snprintf(why, size, "a catalog entry '%.40s' has no valid id", l);
                        return -EINVAL;
                }
                snprintf(id, sizeof(id), "%.*s", MID_LEN, l + 3);
                m = find(h, id);
                if (!m) {
                        snprintf(why, size, "catalog entry %s is not in evidence.h", id);
                        return -EINVAL;
                }
                if (++seen[m - h->m] > 1) {
                        snprintf(why, size, "catalog has CWS_MID_%s (%s) twice", m->name, id);
                        return -EINVAL;
                }
                next = strstr(l + 3, "\n-- ");
                subject = strstr(l, "\nSubject: ");
                if (!subject || (next && subject > next)) {
                        snprintf(why, size, "catalog entry CWS_MID_%s has no Subject: line", m->name);
                        return -EINVAL;
                }
        }
        for (size_t i = 0; i < h->n; i++)
                if (!seen[i]) {
                        snprintf(why, size, "CWS_MID_%s (%s) has no catalog entry", h->m[i].name,
                                 h->m[i].id);
                        return -EINVAL;
                }
        return 0;
}

static void load_header(mids *h)
{
        char why[256] = "";
        char *text = slurp("include/gate/cws/evidence.h");

        if (parse_header(text, h, why, sizeof(why)) != 0)
                fail_msg("include/gate/cws/evidence.h: %s", why);
        free(text);
}

static void test_header_is_what_the_compiler_reads(void **state)
{
        mids h;
        (void)state;

        load_header(&h);
        assert_true(h.n >= 8);
        assert_non_null(find(&h, CWS_MID_ALLOW));
        assert_non_null(find(&h, CWS_MID_DENY));
        assert_non_null(find(&h, CWS_MID_ALERT_DROPPED));
        assert_string_equal(find(&h, CWS_MID_ALLOW)->name, "ALLOW");
}

static void test_catalog_has_one_entry_per_id(void **state)
{
        char why[256] = "";
        mids h;
        char *cat;
        (void)state;

        load_header(&h);
        cat = slurp("packaging/cws.catalog");
        if (check_catalog(&h, cat, why, sizeof(why)) != 0)
                fail_msg("packaging/cws.catalog: %s", why);
        free(cat);
}

/* The check fails on a catalog that disagrees with the header. */
static void test_a_disagreeing_catalog_is_caught(void **state)
{
        mids h = { .n = 2 };
        char why[256];
        (void)state;

        strcpy(h.m[0].name, "A");
        strcpy(h.m[0].id, "0123456789abcdef0123456789abcdef");
        strcpy(h.m[1].name, "B");
        strcpy(h.m[1].id, "fedcba9876543210fedcba9876543210");
        assert_int_equal(check_catalog(&h, "-- 0123456789abcdef0123456789abcdef\nSubject: a\n"
                                           "-- fedcba9876543210fedcba9876543210\nSubject: b\n",
                                       why, sizeof(why)),
                         0);
        assert_int_equal(check_catalog(&h, "-- 0123456789abcdef0123456789abcdef\nSubject: a\n",
                                       why, sizeof(why)),
                         -EINVAL);
        assert_non_null(strstr(why, "CWS_MID_B"));
        assert_int_equal(check_catalog(&h, "-- 0123456789abcdef0123456789abcdef\nSubject: a\n"
                                           "-- fedcba9876543210fedcba9876543210\nSubject: b\n"
                                           "-- 0123456789abcdef0123456789abcdef\nSubject: a\n",
                                       why, sizeof(why)),
                         -EINVAL);
        assert_int_equal(check_catalog(&h, "-- 0123456789abcdef0123456789abcdef\nSubject: a\n"
                                           "-- fedcba9876543210fedcba9876543210\nSubject: b\n"
                                           "-- 00000000000000000000000000000000\nSubject: c\n",
                                       why, sizeof(why)),
                         -EINVAL);
        assert_int_equal(check_catalog(&h, "-- 0123456789abcdef0123456789abcdef\n\n"
                                           "-- fedcba9876543210fedcba9876543210\nSubject: b\n",
                                       why, sizeof(why)),
                         -EINVAL);
        assert_int_equal(parse_header("#define CWS_MID_X \"0123\"\n", &h, why, sizeof(why)), -EINVAL);
        assert_int_equal(parse_header("#define CWS_MID_X \"0123456789abcdef0123456789abcdef\"\n"
                                      "#define CWS_MID_Y \"0123456789abcdef0123456789abcdef\"\n",
                                      &h, why, sizeof(why)),
                         -EINVAL);
}

/* Scripts under DIR (relative to the top) that type out an id of H. */
static unsigned typed_out(const mids *h, const char *dir)
{
        char path[8192], rel[8192];
        struct dirent *de;
        unsigned bad = 0;
        DIR *d;

        snprintf(path, sizeof(path), "%s/%s", top, dir);
        d = opendir(path);
        if (!d)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char *text;

                if (len < 4 || (strcmp(de->d_name + len - 3, ".sh") != 0 &&
                                strcmp(de->d_name + len - 3, ".py") != 0))
                        continue;
                snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
                text = slurp(rel);
                for (size_t i = 0; i < h->n; i++)
                        if (strstr(text, h->m[i].id)) {
                                print_error("%s types out CWS_MID_%s (%s); take it from the "
                                            "header (message_ids.sh)\n",
                                            rel, h->m[i].name, h->m[i].id);
                                bad++;
                        }
                free(text);
        }
        closedir(d);
        return bad;
}

static void test_tests_take_the_ids_from_the_header(void **state)
{
        mids h;
        (void)state;

        load_header(&h);
        assert_int_equal(typed_out(&h, "tests/integration") + typed_out(&h, "tests") +
                                 typed_out(&h, "tests/bench"),
                         0);
}

/* Ids that TEXT names after "MESSAGE_ID" (within 20 characters: "MESSAGE_ID
 * 62a5...", "MESSAGE_ID=62a5...") and H does not have; each is reported as
 * in REL unless REL is NULL. */
static unsigned unknown_named(const mids *h, const char *rel, const char *text)
{
        unsigned bad = 0;

        for (const char *at = strstr(text, "MESSAGE_ID"); at; at = strstr(at + 1, "MESSAGE_ID")) {
                const char *p = at + strlen("MESSAGE_ID");
                const char *end = p + 20;
                char id[MID_LEN + 1];

                while (p < end && *p && !is_mid(p, strspn(p, "0123456789abcdef")))
                        p++;
                if (p == end || !*p)
                        continue;
                snprintf(id, sizeof(id), "%.*s", MID_LEN, p);
                if (!find(h, id)) {
                        if (rel)
                                print_error("%s names MESSAGE_ID %s, which "
                                            "include/gate/cws/evidence.h does not have\n",
                                            rel, id);
                        bad++;
                }
        }
        return bad;
}

static void test_docs_name_only_header_ids(void **state)
{
        char path[8192], rel[8192];
        struct dirent *de;
        unsigned bad = 0;
        char *text;
        DIR *d;
        mids h;
        (void)state;

        load_header(&h);
        text = slurp("README.md");
        bad += unknown_named(&h, "README.md", text);
        free(text);
        snprintf(path, sizeof(path), "%s/packaging/man", top);
        d = opendir(path);
        if (!d)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(rel, sizeof(rel), "packaging/man/%s", de->d_name);
                text = slurp(rel);
                bad += unknown_named(&h, rel, text);
                free(text);
        }
        closedir(d);
        assert_int_equal(bad, 0);
        /* The scan sees an id that is not there, and one across a line break. */
        assert_int_equal(unknown_named(&h, NULL, "MESSAGE_ID=00000000000000000000000000000000"), 1);
        assert_int_equal(unknown_named(&h, NULL, "MESSAGE_ID\n00000000000000000000000000000001,"), 1);
        assert_int_equal(unknown_named(&h, NULL, "MESSAGE_ID\n" CWS_MID_ALERT ", in"), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_is_what_the_compiler_reads),
                cmocka_unit_test(test_catalog_has_one_entry_per_id),
                cmocka_unit_test(test_a_disagreeing_catalog_is_caught),
                cmocka_unit_test(test_tests_take_the_ids_from_the_header),
                cmocka_unit_test(test_docs_name_only_header_ids),
        };

        find_top();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
