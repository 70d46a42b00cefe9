/* lib/correlate.c: patterns, thresholds, alert_threshold, bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cws/correlate.h"

typedef struct seen {
        unsigned n;
        char pattern[8][40];
        cws_risk risk[8];
        unsigned count[8];
        char detail[8][128];
} seen;

static void sink(const cws_alert *a, void *userdata)
{
        seen *s = userdata;
        if (s->n < 8) {
                snprintf(s->pattern[s->n], sizeof(s->pattern[0]), "%s", a->pattern);
                s->risk[s->n] = a->risk;
                s->count[s->n] = a->count;
                snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", a->detail ? a->detail : "");
        }
        s->n++;
}

static cws_correlator *make(seen *s, void (*tweak)(cws_config *))
{
        cws_config cfg;
        cws_config_defaults(&cfg);
        if (tweak)
                tweak(&cfg);
        memset(s, 0, sizeof(*s));
        cws_correlator *c = cws_correlator_new(&cfg, sink, s);
        assert_non_null(c);
        return c;
}

static void deny(cws_correlator *c, const char *user, const char *dev, int64_t t)
{
        cws_correlate_decision_at(c, user, dev, "sshd", false, CWS_R_NOT_ENROLLED, t, 12);
}

static void test_failed_logins_one_high_alert(void **state)
{
        seen s;
        cws_correlator *c = make(&s, NULL);     /* threshold 5, window 5m */
        (void)state;
        for (int i = 0; i < 4; i++)
                deny(c, "alice", NULL, 1000 + i);
        assert_int_equal(s.n, 0);
        deny(c, "alice", NULL, 1010);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "multiple_failed_logins");
        assert_int_equal(s.risk[0], CWS_RISK_HIGH);
        assert_int_equal(s.count[0], 5);
        for (int i = 0; i < 30; i++)
                deny(c, "alice", NULL, 1020 + i);
        assert_int_equal(s.n, 1);                       /* one, not N */
        /* The next window counts again. */
        for (int i = 0; i < 5; i++)
                deny(c, "alice", NULL, 1000 + 300 + i);
        assert_int_equal(s.n, 2);
        /* Allowed logins and malformed requests do not count. */
        for (int i = 0; i < 10; i++) {
                cws_correlate_decision_at(c, "bob", NULL, "sshd", true, CWS_R_OK, 2000 + i, 12);
                cws_correlate_decision_at(c, "bob", NULL, "sshd", false, CWS_R_BAD_REQUEST, 2000 + i, 12);
        }
        assert_int_equal(s.n, 2);
        cws_correlator_free(c);
}

static void t3(cws_config *cfg) { cfg->failed_login_threshold = 3; }

static void test_threshold_and_device_counter(void **state)
{
        seen s;
        cws_correlator *c = make(&s, t3);
        (void)state;
        /* One device, three users: the device's counter reaches 3. */
        deny(c, "u1", "dev-X", 10);
        deny(c, "u2", "dev-X", 11);
        assert_int_equal(s.n, 0);
        deny(c, "u3", "dev-X", 12);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "multiple_failed_logins");
        cws_correlator_free(c);
}

static void test_tamper_critical_at_once(void **state)
{
        seen s;
        cws_correlator *c = make(&s, NULL);
        (void)state;
        cws_correlate_decision_at(c, "alice", "dev-A", "login", false, CWS_R_PROFILE_COPY_DETECTED, 5, 12);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "tamper_detected");
        assert_int_equal(s.risk[0], CWS_RISK_CRITICAL);
        cws_correlator_free(c);
}

static void hours(cws_config *cfg) { cfg->active_hours = (cws_hours){ .set = true, .from = 7, .to = 20 }; }
static void high(cws_config *cfg) { hours(cfg); cfg->alert_threshold = CWS_RISK_HIGH; }
static void off(cws_config *cfg) { cfg->correlation_enabled = false; }

static void test_unusual_hours_and_alert_threshold(void **state)
{
        seen s;
        cws_correlator *c = make(&s, hours);
        (void)state;
        cws_correlate_decision_at(c, "alice", "dev-A", "sshd", true, CWS_R_OK, 100, 12);
        assert_int_equal(s.n, 0);
        cws_correlate_decision_at(c, "alice", "dev-A", "sshd", true, CWS_R_OK, 101, 3);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "unusual_hours");
        assert_int_equal(s.risk[0], CWS_RISK_MEDIUM);
        cws_correlate_decision_at(c, "alice", "dev-A", "sshd", true, CWS_R_OK, 102, 3);
        assert_int_equal(s.n, 1);                       /* once a window */
        cws_correlator_free(c);

        /* alert_threshold = HIGH: MEDIUM patterns stay quiet, HIGH ones not. */
        c = make(&s, high);
        cws_correlate_decision_at(c, "alice", "dev-A", "sshd", true, CWS_R_OK, 101, 3);
        cws_correlate_decision_at(c, "alice", NULL, "sshd", false, CWS_R_REGISTRY_UNAVAILABLE, 102, 12);
        assert_int_equal(s.n, 0);
        for (int i = 0; i < 5; i++)
                deny(c, "alice", NULL, 200 + i);
        assert_int_equal(s.n, 1);
        cws_correlator_free(c);

        /* correlation_enabled = false: nothing at all. */
        c = make(&s, off);
        cws_correlate_decision_at(c, "a", NULL, "sshd", false, CWS_R_TAMPER_DETECTED, 1, 12);
        for (int i = 0; i < 50; i++)
                deny(c, "a", NULL, 2 + i);
        cws_correlate_keychain_failure(c, "a", "locked", 3);
        assert_int_equal(s.n, 0);
        cws_correlator_free(c);
}

static void test_registry_and_keychain(void **state)
{
        seen s;
        cws_correlator *c = make(&s, NULL);
        (void)state;
        for (int i = 0; i < 10; i++)
                cws_correlate_decision_at(c, "u", NULL, "sshd", i % 2, CWS_R_REGISTRY_UNAVAILABLE, 10 + i, 12);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "registry_unavailable");
        assert_int_equal(s.risk[0], CWS_RISK_MEDIUM);
        cws_correlate_keychain_failure(c, "admin", "locked", 30);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.pattern[1], "keychain_failure");
        assert_int_equal(s.risk[1], CWS_RISK_HIGH);
        assert_string_equal(s.detail[1], "locked");
        /* Once per user and window, however often a helper reports. */
        for (int i = 0; i < 100; i++)
                cws_correlate_keychain_failure(c, "admin", "timeout", 31 + i);
        assert_int_equal(s.n, 2);
        cws_correlate_keychain_failure(c, "other", "missing_key", 40);
        assert_int_equal(s.n, 3);
        cws_correlate_keychain_failure(c, "admin", "locked", 30 + 300);
        assert_int_equal(s.n, 4);
        /* The kinds a helper may report: a fixed list, nothing else. */
        assert_true(cws_keychain_failure_kind_valid("locked"));
        assert_true(cws_keychain_failure_kind_valid("bad_passphrase"));
        assert_true(cws_keychain_failure_kind_valid("service_error"));
        assert_false(cws_keychain_failure_kind_valid(NULL));
        assert_false(cws_keychain_failure_kind_valid(""));
        assert_false(cws_keychain_failure_kind_valid("locked "));
        assert_false(cws_keychain_failure_kind_valid("Locked"));
        cws_correlator_free(c);
}

static void set_all(cws_posture *p, cws_check_status st)
{
        memset(p, 0, sizeof(*p));
        for (unsigned i = 0; i < _CWS_CHK_MAX; i++)
                p->r[i].status = st;
}

/* The health timer's changes: one alert per change, HIGH for a band
 * lower, else MEDIUM; alert_threshold applies, correlation_enabled not. */
static void test_posture_alerts(void **state)
{
        seen s;
        cws_posture before, now;
        cws_posture_change ch;
        cws_correlator *c = make(&s, NULL);
        (void)state;

        set_all(&before, CWS_CHECK_OK);
        now = before;
        now.r[CWS_CHK_ALERTS].status = CWS_CHECK_FAIL;      /* 2 points: still Enterprise */
        assert_true(cws_posture_compare(&before, &now, &ch));
        cws_correlate_posture(c, &ch, 100);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.pattern[0], "health_check_failed");
        assert_int_equal(s.risk[0], CWS_RISK_MEDIUM);
        assert_string_equal(s.detail[0], "alerts;score=100->98;band=Enterprise->Enterprise");
        now.r[CWS_CHK_CONFIG].status = CWS_CHECK_FAIL;
        now.r[CWS_CHK_PAM].status = CWS_CHECK_FAIL;         /* 78: Hardened */
        before = now;
        before.r[CWS_CHK_CONFIG].status = CWS_CHECK_OK;
        before.r[CWS_CHK_PAM].status = CWS_CHECK_OK;
        assert_true(cws_posture_compare(&before, &now, &ch));
        cws_correlate_posture(c, &ch, 200);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.pattern[1], "posture_band_drop");
        assert_int_equal(s.risk[1], CWS_RISK_HIGH);
        assert_string_equal(s.detail[1], "config,pam;score=98->78;band=Enterprise->Hardened");
        /* Unchanged: nothing to tell. */
        assert_false(cws_posture_compare(&now, &now, &ch));
        cws_correlate_posture(c, &ch, 300);
        assert_int_equal(s.n, 2);
        cws_correlator_free(c);

        /* alert_threshold HIGH: the band drop only; correlation off: still. */
        c = make(&s, high);
        set_all(&before, CWS_CHECK_OK);
        now = before;
        now.r[CWS_CHK_ALERTS].status = CWS_CHECK_FAIL;
        assert_true(cws_posture_compare(&before, &now, &ch));
        cws_correlate_posture(c, &ch, 100);
        assert_int_equal(s.n, 0);
        cws_correlator_free(c);
        c = make(&s, off);
        cws_correlate_posture(c, &ch, 100);
        assert_int_equal(s.n, 1);
        cws_correlator_free(c);
}

/* 100,000 refusals from invented names: the table never grows (it is a
 * fixed array), one flood alert is raised, and a user who tries twice,
 * then three times 50,000 invented names later, is still caught. */
static void test_memory_bounded_under_flood(void **state)
{
        seen s;
        char name[32];
        cws_correlator *c = make(&s, NULL);
        size_t size = sizeof(*c);
        (void)state;
        for (int i = 0; i < 100000; i++) {
                snprintf(name, sizeof(name), "invented%d", i);
                deny(c, name, NULL, 1000 + i / 1000);   /* all within one 5-minute window */
                if (i == 10000 || i == 10001 || (i >= 60000 && i < 60003))
                        deny(c, "mallory", NULL, 1000 + i / 1000);
        }
        assert_int_equal(sizeof(*c), size);
        assert_true(c->evictions > 90000);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.pattern[0], "refusal_flood");
        assert_string_equal(s.pattern[1], "multiple_failed_logins");    /* mallory's 5th */
        cws_correlator_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_failed_logins_one_high_alert),
                cmocka_unit_test(test_threshold_and_device_counter),
                cmocka_unit_test(test_tamper_critical_at_once),
                cmocka_unit_test(test_unusual_hours_and_alert_threshold),
                cmocka_unit_test(test_registry_and_keychain),
                cmocka_unit_test(test_posture_alerts),
                cmocka_unit_test(test_memory_bounded_under_flood),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
