/* lib/posture.c: the weight table and the score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/posture.h"

static void all(cws_posture *p, cws_check_status s)
{
        for (int i = 0; i < _CWS_CHK_MAX; i++)
                cws_check_set(p, (cws_check_id)i, s, NULL, "x");
}

static void test_weights_sum_to_100_and_names_are_stable(void **state)
{
        /* --json consumers key on these; cws-status(8) lists the same. */
        static const struct { const char *name; unsigned w; } expected[_CWS_CHK_MAX] = {
                { "config", 10 }, { "trusted_keys", 8 }, { "state", 8 }, { "agent", 10 },
                { "registry", 8 }, { "tls", 8 }, { "clock", 4 }, { "audit", 10 },
                { "retention", 4 }, { "pam", 10 }, { "monitor", 6 }, { "setuid", 4 },
                { "sandbox", 2 }, { "policy", 6 }, { "alerts", 2 }, { "keychain", 0 },
        };
        unsigned sum = 0;
        (void)state;
        for (int i = 0; i < _CWS_CHK_MAX; i++) {
                const cws_check_spec *s = cws_check_spec_of((cws_check_id)i);
                assert_string_equal(s->name, expected[i].name);
                assert_int_equal(s->weight, expected[i].w);
                sum += s->weight;
        }
        assert_int_equal(sum, 100);
        assert_null(cws_check_spec_of(_CWS_CHK_MAX));
}

static void test_score_rules(void **state)
{
        cws_posture p;
        (void)state;
        memset(&p, 0, sizeof(p));
        all(&p, CWS_CHECK_OK);
        assert_int_equal(cws_posture_score(&p), 100);
        all(&p, CWS_CHECK_FAIL);
        assert_int_equal(cws_posture_score(&p), 0);
        all(&p, CWS_CHECK_UNKNOWN);
        assert_int_equal(cws_posture_score(&p), 0);
        all(&p, CWS_CHECK_NA);
        assert_int_equal(cws_posture_score(&p), 0);

        all(&p, CWS_CHECK_OK);
        cws_check_set(&p, CWS_CHK_AUDIT, CWS_CHECK_FAIL, "start auditd", "disabled");
        assert_int_equal(cws_posture_score(&p), 90);
        cws_check_set(&p, CWS_CHK_TLS, CWS_CHECK_WARN, NULL, "expires in 20 days");
        assert_int_equal(cws_posture_score(&p), 86);
        /* A check that does not apply leaves the total: 84/98 -> 85. */
        cws_check_set(&p, CWS_CHK_SANDBOX, CWS_CHECK_NA, NULL, "not under systemd");
        assert_int_equal(cws_posture_score(&p), 85);
        /* Odd weights: a warning earns half, rounded down. */
        assert_int_equal(cws_check_points(CWS_CHECK_WARN, 5), 2);
        assert_int_equal(cws_check_points(CWS_CHECK_NA, 5), 0);
}

static void test_bands(void **state)
{
        (void)state;
        assert_string_equal(cws_posture_band(0), "Basic");
        assert_string_equal(cws_posture_band(49), "Basic");
        assert_string_equal(cws_posture_band(50), "Standard");
        assert_string_equal(cws_posture_band(74), "Standard");
        assert_string_equal(cws_posture_band(75), "Hardened");
        assert_string_equal(cws_posture_band(89), "Hardened");
        assert_string_equal(cws_posture_band(90), "Enterprise");
        assert_string_equal(cws_posture_band(100), "Enterprise");
}

static void test_losses_most_first(void **state)
{
        cws_posture p;
        cws_check_id out[_CWS_CHK_MAX];
        (void)state;
        memset(&p, 0, sizeof(p));
        all(&p, CWS_CHECK_OK);
        cws_check_set(&p, CWS_CHK_CLOCK, CWS_CHECK_FAIL, NULL, "unsynchronised");      /* -4 */
        cws_check_set(&p, CWS_CHK_PAM, CWS_CHECK_FAIL, NULL, "sshd not gated");        /* -10 */
        cws_check_set(&p, CWS_CHK_TLS, CWS_CHECK_WARN, NULL, "expires soon");          /* -4 */
        cws_check_set(&p, CWS_CHK_SANDBOX, CWS_CHECK_NA, NULL, "not under systemd");
        assert_int_equal(cws_posture_losses(&p, out), 3);
        assert_int_equal(out[0], CWS_CHK_PAM);
        assert_int_equal(out[1], CWS_CHK_TLS);          /* table order among equals */
        assert_int_equal(out[2], CWS_CHK_CLOCK);
        assert_string_equal(p.r[CWS_CHK_PAM].evidence, "sshd not gated");
        assert_string_equal(cws_check_status_to_string(CWS_CHECK_NA), "n/a");
}

/* What cwsd's timer alerts on: a band lower, or a check newly failing;
 * one that stays failing, or gets better, is no change. */
static void test_compare(void **state)
{
        cws_posture before, now;
        cws_posture_change ch;
        (void)state;
        memset(&before, 0, sizeof(before));
        all(&before, CWS_CHECK_OK);
        now = before;
        assert_false(cws_posture_compare(&before, &now, &ch));
        assert_int_equal(ch.score_before, 100);
        now.r[CWS_CHK_CLOCK].status = CWS_CHECK_WARN;           /* 98: no fail, same band */
        assert_false(cws_posture_compare(&before, &now, &ch));
        now.r[CWS_CHK_CLOCK].status = CWS_CHECK_FAIL;           /* 96 */
        assert_true(cws_posture_compare(&before, &now, &ch));
        assert_false(ch.band_dropped);
        assert_int_equal(ch.n_failed, 1);
        assert_int_equal(ch.failed[0], CWS_CHK_CLOCK);
        before = now;
        now.r[CWS_CHK_AGENT].status = CWS_CHECK_WARN;           /* 91 */
        assert_false(cws_posture_compare(&before, &now, &ch));
        now.r[CWS_CHK_AGENT].status = CWS_CHECK_UNKNOWN;        /* 86: Hardened, not a fail */
        assert_true(cws_posture_compare(&before, &now, &ch));
        assert_true(ch.band_dropped);
        assert_int_equal(ch.n_failed, 0);
        assert_int_equal(ch.score_now, 86);
        /* Better is no change. */
        assert_false(cws_posture_compare(&now, &before, &ch));
        assert_int_equal(cws_posture_band_rank(49), 0);
        assert_int_equal(cws_posture_band_rank(50), 1);
        assert_int_equal(cws_posture_band_rank(89), 2);
        assert_int_equal(cws_posture_band_rank(90), 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_weights_sum_to_100_and_names_are_stable),
                cmocka_unit_test(test_score_rules),
                cmocka_unit_test(test_bands),
                cmocka_unit_test(test_losses_most_first),
                cmocka_unit_test(test_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
