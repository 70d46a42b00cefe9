/* lib/alert_queue.c: order, bound, drops on record once per burst, the
 * files' mode, and a restart finding what was left. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/alert_queue.h"

typedef struct drops {
        unsigned calls;
        uint64_t last;
} drops;

static void on_drop(uint64_t dropped, uint32_t max, void *userdata)
{
        drops *d = userdata;
        (void)max;
        d->calls++;
        d->last = dropped;
}


static cws_alert_queue *open_q(const char *dir, uint32_t max, drops *d)
{
        cws_alert_queue *q = NULL;
        cws_error err = { 0 };
        assert_int_equal(cws_alert_queue_open(dir, max, &q, &err), 0);
        if (d)
                cws_alert_queue_on_drop(q, on_drop, d);
        return q;
}

static void push(cws_alert_queue *q, const char *s)
{
        cws_error err = { 0 };
        assert_int_equal(cws_alert_queue_push(q, s, strlen(s), &err), 0);
}

/* Peeks the oldest, checks it is want, removes it. */
static void pop_expect(cws_alert_queue *q, const char *want)
{
        cws_error err = { 0 };
        uint64_t seq;
        char *body = NULL;
        size_t len;
        assert_int_equal(cws_alert_queue_peek(q, &seq, &body, &len, &err), 0);
        assert_string_equal(body, want);
        assert_int_equal(len, strlen(want));
        free(body);
        cws_alert_queue_remove(q, seq);
}

static void expect_empty(cws_alert_queue *q)
{
        cws_error err = { 0 };
        uint64_t seq;
        char *body = NULL;
        size_t len;
        assert_int_equal(cws_alert_queue_peek(q, &seq, &body, &len, &err), -ENOENT);
        assert_int_equal(cws_alert_queue_len(q), 0);
}

static void test_order(void **state)
{
        drops d = { 0 };
        cws_alert_queue *q = open_q(*state, 10, &d);
        char path[512];
        struct stat st;

        expect_empty(q);
        push(q, "{\"n\":1}");
        push(q, "{\"n\":2}");
        push(q, "{\"n\":3}");
        assert_int_equal(cws_alert_queue_len(q), 3);
        snprintf(path, sizeof(path), "%s/alerts/%020u.json", (char *)*state, 0u);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* A peek without remove (delivery failed) gives the same one again. */
        cws_error err = { 0 };
        uint64_t s1, s2;
        char *b = NULL;
        size_t len;
        assert_int_equal(cws_alert_queue_peek(q, &s1, &b, &len, &err), 0);
        free(b);
        assert_int_equal(cws_alert_queue_peek(q, &s2, &b, &len, &err), 0);
        free(b);
        assert_int_equal(s1, s2);
        pop_expect(q, "{\"n\":1}");
        pop_expect(q, "{\"n\":2}");
        push(q, "{\"n\":4}");
        pop_expect(q, "{\"n\":3}");
        pop_expect(q, "{\"n\":4}");
        expect_empty(q);
        assert_int_equal(d.calls, 0);
        cws_alert_queue_free(q);
}

static void test_bound_and_drop(void **state)
{
        drops d = { 0 };
        cws_alert_queue *q = open_q(*state, 3, &d);
        char b[16];

        for (int i = 1; i <= 7; i++) {
                snprintf(b, sizeof(b), "%d", i);
                push(q, b);
                assert_true(cws_alert_queue_len(q) <= 3);
        }
        /* 4 dropped in one burst: one record. */
        assert_int_equal(cws_alert_queue_dropped(q), 4);
        assert_int_equal(d.calls, 1);
        assert_int_equal(d.last, 1);
        pop_expect(q, "5");
        /* Room again: the burst is over; the next drop starts another. */
        push(q, "8");
        assert_int_equal(d.calls, 1);
        push(q, "9");
        assert_int_equal(d.calls, 2);
        assert_int_equal(d.last, 5);
        pop_expect(q, "7");
        pop_expect(q, "8");
        pop_expect(q, "9");
        expect_empty(q);
        cws_alert_queue_free(q);
}

static void test_drop_while_delivering(void **state)
{
        drops d = { 0 };
        cws_alert_queue *q = open_q(*state, 2, &d);
        cws_error err = { 0 };
        uint64_t seq;
        char *b = NULL;
        size_t len;

        push(q, "a");
        push(q, "b");
        assert_int_equal(cws_alert_queue_peek(q, &seq, &b, &len, &err), 0);
        free(b);
        push(q, "c");                           /* drops "a" while it is sent */
        cws_alert_queue_remove(q, seq);         /* its remove must not take "b" */
        pop_expect(q, "b");
        pop_expect(q, "c");
        expect_empty(q);
        cws_alert_queue_free(q);
}

static void test_restart(void **state)
{
        cws_alert_queue *q = open_q(*state, 5, NULL);
        char path[512];
        FILE *f;

        push(q, "one");
        push(q, "two");
        push(q, "three");
        pop_expect(q, "one");
        cws_alert_queue_free(q);
        /* A temporary file left by a crash is not an alert. */
        snprintf(path, sizeof(path), "%s/alerts/%020u.json.tmp.0011223344556677", (char *)*state, 9u);
        assert_non_null(f = fopen(path, "w"));
        fputs("junk", f);
        fclose(f);

        q = open_q(*state, 5, NULL);
        assert_int_equal(cws_alert_queue_len(q), 2);
        push(q, "four");
        cws_alert_queue_free(q);
        q = open_q(*state, 5, NULL);
        pop_expect(q, "two");
        pop_expect(q, "three");
        pop_expect(q, "four");
        expect_empty(q);
        cws_alert_queue_free(q);
}

static void test_bad_file_skipped(void **state)
{
        cws_alert_queue *q = open_q(*state, 5, NULL);
        cws_error err = { 0 };
        char path[512];
        uint64_t seq;
        char *b = NULL;
        size_t len;

        push(q, "x");
        push(q, "y");
        snprintf(path, sizeof(path), "%s/alerts/%020u.json", (char *)*state, 0u);
        assert_int_equal(chmod(path, 0644), 0);   /* readable by others: refused */
        assert_int_equal(cws_alert_queue_peek(q, &seq, &b, &len, &err), -EBADMSG);
        pop_expect(q, "y");
        expect_empty(q);
        cws_alert_queue_free(q);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_order, fixture_dir_setup, fixture_dir_teardown),
                cmocka_unit_test_setup_teardown(test_bound_and_drop, fixture_dir_setup, fixture_dir_teardown),
                cmocka_unit_test_setup_teardown(test_drop_while_delivering, fixture_dir_setup, fixture_dir_teardown),
                cmocka_unit_test_setup_teardown(test_restart, fixture_dir_setup, fixture_dir_teardown),
                cmocka_unit_test_setup_teardown(test_bad_file_skipped, fixture_dir_setup, fixture_dir_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
