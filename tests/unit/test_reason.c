/* lib/gate/reason.c: stable reason names and advice for people. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/reason.h"

/* The wire names, in enum order: changing one breaks agents, audit
 * searches and journal queries, so they are spelled out here. */
static const char *const expected[_CWS_R_MAX] = {
        "ok", "not_enrolled", "device_revoked", "invitation_revoked", "invitation_expired",
        "insufficient_type", "tamper_detected", "profile_copy_detected", "system_id_mismatch",
        "user_mismatch", "record_invalid", "record_missing", "registry_unavailable",
        "invitation_full", "permission_denied", "bad_request", "internal_error",
        "already_enrolled", "rate_limited",
};

static void test_to_string_every_reason(void **state)
{
        (void)state;
        assert_int_equal(_CWS_R_MAX, 19);
        for (int r = 0; r < _CWS_R_MAX; r++) {
                assert_non_null(expected[r]);
                assert_string_equal(cws_reason_to_string((cws_reason)r), expected[r]);
        }
}

static void test_from_string_round_trip(void **state)
{
        (void)state;
        for (int r = 0; r < _CWS_R_MAX; r++) {
                cws_reason back = (cws_reason)-1;
                assert_int_equal(cws_reason_from_string(expected[r], &back), 0);
                assert_int_equal(back, r);
        }
}

static void test_from_string_rejects(void **state)
{
        static const char *const bad[] = {
                "", "OK", "Not_Enrolled", "not-enrolled", "not_enrolled ", "device_revoke",
                "unknown", "internal_error\n",
        };
        cws_reason r = CWS_R_DEVICE_REVOKED;
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(cws_reason_from_string(bad[i], &r), -EINVAL);
                assert_int_equal(r, CWS_R_DEVICE_REVOKED);
        }
        assert_int_equal(cws_reason_from_string(NULL, &r), -EINVAL);
        assert_int_equal(cws_reason_from_string("ok", NULL), -EINVAL);
}

static void test_out_of_range_is_internal_error(void **state)
{
        const char *internal = cws_reason_advice(CWS_R_INTERNAL_ERROR);
        (void)state;

        assert_string_equal(cws_reason_to_string(_CWS_R_MAX), "internal_error");
        assert_string_equal(cws_reason_to_string((cws_reason)-1), "internal_error");
        assert_string_equal(cws_reason_to_string((cws_reason)12345), "internal_error");
        assert_string_equal(cws_reason_advice(_CWS_R_MAX), internal);
        assert_string_equal(cws_reason_advice((cws_reason)-1), internal);
}

static void test_advice_one_line_each(void **state)
{
        (void)state;
        for (int r = 0; r < _CWS_R_MAX; r++) {
                const char *a = cws_reason_advice((cws_reason)r);
                assert_non_null(a);
                assert_true(strlen(a) > 5);
                assert_true(strlen(a) < 120);
                assert_null(strchr(a, '\n'));
                /* Every advice is its own sentence. */
                for (int o = 0; o < r; o++)
                        assert_string_not_equal(a, cws_reason_advice((cws_reason)o));
        }
}

static void test_advice_says_what_to_do(void **state)
{
        (void)state;
        assert_non_null(strstr(cws_reason_advice(CWS_R_NOT_ENROLLED), "not enrolled"));
        assert_non_null(strstr(cws_reason_advice(CWS_R_NOT_ENROLLED), "cws-enroll"));
        assert_non_null(strstr(cws_reason_advice(CWS_R_DEVICE_REVOKED), "revoked"));
        assert_non_null(strstr(cws_reason_advice(CWS_R_INVITATION_EXPIRED), "expired"));
        assert_non_null(strstr(cws_reason_advice(CWS_R_INVITATION_FULL), "cws-revoke"));
        assert_non_null(strstr(cws_reason_advice(CWS_R_REGISTRY_UNAVAILABLE), "try again"));
        /* Advice on a refusal always tells the person where to go next. */
        for (int r = 1; r < _CWS_R_MAX; r++)
                assert_non_null(strchr(cws_reason_advice((cws_reason)r), '('));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_to_string_every_reason),
                cmocka_unit_test(test_from_string_round_trip),
                cmocka_unit_test(test_from_string_rejects),
                cmocka_unit_test(test_out_of_range_is_internal_error),
                cmocka_unit_test(test_advice_one_line_each),
                cmocka_unit_test(test_advice_says_what_to_do),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
