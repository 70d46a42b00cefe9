/* peer_limits: connections per uid and in all, GCRA request rates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "cws/peer_limits.h"

#define SEC UINT64_C(1000000)

static void test_connections_per_uid(void **state)
{
        cws_peer_limits l;
        (void)state;
        cws_peer_limits_init(&l, 1000);
        for (unsigned i = 0; i < l.policy.conns_per_uid; i++)
                assert_int_equal(cws_peer_conn_open(&l, 1000), 0);
        assert_int_equal(cws_peer_conn_open(&l, 1000), -EUSERS);
        /* Another user and root are not held up by uid 1000. */
        assert_int_equal(cws_peer_conn_open(&l, 1001), 0);
        assert_int_equal(cws_peer_conn_open(&l, 0), 0);
        cws_peer_conn_close(&l, 1000, 0);
        assert_int_equal(cws_peer_conn_open(&l, 1000), 0);
        assert_int_equal(l.conns, l.policy.conns_per_uid + 2);
        cws_peer_limits_free(&l);
}

static void test_root_has_a_higher_limit_and_the_total_holds(void **state)
{
        cws_peer_limits l;
        (void)state;
        cws_peer_limits_init(&l, 300);
        for (unsigned i = 0; i < l.policy.conns_root; i++)
                assert_int_equal(cws_peer_conn_open(&l, 0), 0);
        assert_int_equal(cws_peer_conn_open(&l, 0), -EUSERS);
        for (uid_t u = 1; l.conns < 300; u++)
                assert_int_equal(cws_peer_conn_open(&l, u), 0);
        assert_int_equal(cws_peer_conn_open(&l, 5000), -ENFILE);
        cws_peer_limits_free(&l);
}

static void test_rate_burst_then_interval(void **state)
{
        cws_peer_limits l;
        uint64_t retry, now = 100 * SEC;
        (void)state;
        cws_peer_limits_init(&l, 100);
        for (unsigned i = 0; i < l.policy.rate[CWS_COST_CHANGE].burst; i++)
                assert_true(cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry));
        assert_false(cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry));
        assert_int_equal(retry, l.policy.rate[CWS_COST_CHANGE].interval_usec);
        /* Checks have their own budget; other users theirs; root none. */
        assert_true(cws_peer_take(&l, 1000, CWS_COST_CHECK, now, &retry));
        assert_true(cws_peer_take(&l, 1001, CWS_COST_CHANGE, now, &retry));
        for (int i = 0; i < 1000; i++)
                assert_true(cws_peer_take(&l, 0, CWS_COST_CHANGE, now, &retry));
        /* Reports: their own bucket, 3 then one a minute. */
        for (unsigned i = 0; i < 3; i++)
                assert_true(cws_peer_take(&l, 1000, CWS_COST_REPORT, now, &retry));
        assert_false(cws_peer_take(&l, 1000, CWS_COST_REPORT, now, &retry));
        assert_int_equal(retry, 60000000);
        /* One interval later, one more. */
        now += l.policy.rate[CWS_COST_CHANGE].interval_usec;
        assert_true(cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry));
        assert_false(cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry));
        cws_peer_limits_free(&l);
}

/* Closing the last connection does not reset the budget while it is in
 * debt: reconnecting does not buy new requests. */
static void test_reconnecting_keeps_the_debt(void **state)
{
        cws_peer_limits l;
        uint64_t retry, now = 100 * SEC;
        (void)state;
        cws_peer_limits_init(&l, 100);
        assert_int_equal(cws_peer_conn_open(&l, 1000), 0);
        while (cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry))
                ;
        cws_peer_conn_close(&l, 1000, now);
        assert_int_equal(cws_peer_conn_open(&l, 1000), 0);
        assert_false(cws_peer_take(&l, 1000, CWS_COST_CHANGE, now, &retry));
        cws_peer_conn_close(&l, 1000, now);
        /* Long after, the entry is forgotten on close. */
        now += 3600 * SEC;
        assert_int_equal(cws_peer_conn_open(&l, 1000), 0);
        cws_peer_conn_close(&l, 1000, now);
        assert_int_equal(l.n_peers, 0);
        cws_peer_limits_free(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_connections_per_uid),
                cmocka_unit_test(test_root_has_a_higher_limit_and_the_total_holds),
                cmocka_unit_test(test_rate_burst_then_interval),
                cmocka_unit_test(test_reconnecting_keeps_the_debt),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
