/* evidence: audit record types, plain-value filter, emit with hostile input. */
#include <libaudit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/evidence.h"

static int type_of(cws_event_kind kind, cws_reason reason)
{
        cws_event ev = { .kind = kind, .reason = reason };
        return cws_evidence_audit_type(&ev);
}

static void test_audit_type(void **state)
{
        (void)state;
        assert_int_equal(type_of(CWS_EV_ALLOW, CWS_R_OK), AUDIT_USER_ACCT);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_NOT_ENROLLED), AUDIT_ANOM_LOGIN_LOCATION);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_TAMPER_DETECTED), AUDIT_ANOM_LOGIN_LOCATION);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_PROFILE_COPY_DETECTED), AUDIT_ANOM_LOGIN_LOCATION);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_INTERNAL_ERROR), AUDIT_USER_ERR);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_REGISTRY_UNAVAILABLE), AUDIT_USER_ERR);
        assert_int_equal(type_of(CWS_EV_DENY, CWS_R_DEVICE_REVOKED), AUDIT_USER_ACCT);
        assert_int_equal(type_of(CWS_EV_ENROLL, CWS_R_OK), AUDIT_USER_MGMT);
        assert_int_equal(type_of(CWS_EV_REVOKE, CWS_R_OK), AUDIT_USER_MGMT);
        assert_int_equal(type_of(CWS_EV_VIOLATION, CWS_R_TAMPER_DETECTED), AUDIT_ANOM_LOGIN_LOCATION);
}

static void test_plain(void **state)
{
        char long_s[257];
        (void)state;
        const char *ok[] = { "127.0.0.1", "pts/1", "host.example-1", "::1", "a_b@c" };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                assert_ptr_equal(cws_evidence_plain(ok[i]), ok[i]);
        assert_null(cws_evidence_plain(NULL));
        assert_null(cws_evidence_plain(""));
        assert_null(cws_evidence_plain("a b"));
        assert_null(cws_evidence_plain("x\n"));
        assert_null(cws_evidence_plain("a\"b"));
        assert_null(cws_evidence_plain("a=b"));
        memset(long_s, 'a', 256);
        long_s[256] = '\0';
        assert_null(cws_evidence_plain(long_s));
        long_s[255] = '\0';
        assert_ptr_equal(cws_evidence_plain(long_s), long_s);
}

static void test_encode(void **state)
{
        char out[300], big[400];
        (void)state;
        assert_false(cws_evidence_encode("alice.b-c_1@x", out, sizeof(out)));
        assert_string_equal(out, "alice.b-c_1@x");
        assert_true(cws_evidence_encode("a b", out, sizeof(out)));
        assert_string_equal(out, "612062");
        assert_true(cws_evidence_encode("x\"'\\", out, sizeof(out)));
        assert_string_equal(out, "7822275C");
        assert_true(cws_evidence_encode("r\xffo\x01\n", out, sizeof(out)));
        assert_string_equal(out, "72FF6F010A");
        assert_false(cws_evidence_encode(NULL, out, sizeof(out)));
        assert_string_equal(out, "");
        /* Cut at 128 bytes of input, whichever way it is shown. */
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_false(cws_evidence_encode(big, out, sizeof(out)));
        assert_int_equal(strlen(out), 128);
        big[0] = ' ';
        assert_true(cws_evidence_encode(big, out, sizeof(out)));
        assert_int_equal(strlen(out), 256);
        assert_memory_equal(out, "2061", 4);
        /* A short buffer is never overrun and always terminated. */
        assert_true(cws_evidence_encode("   ", out, 4));
        assert_string_equal(out, "20");
        assert_false(cws_evidence_encode("abc", out, 2));
        assert_string_equal(out, "a");
}

static void test_emit_hostile(void **state)
{
        char big[4096];
        (void)state;
        memset(big, 'A', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cws_event ev = {
                .kind = CWS_EV_DENY,
                .program = "test_evidence",
                .user = "evil\" acct=root res=success\nMESSAGE=forged\x01",
                .profile = "p",
                .service = "sshd\nx",
                .rhost = "1.2.3.4 addr=5.6.7.8",
                .tty = "pts/1\n",
                .reason = CWS_R_NOT_ENROLLED,
        };
        cws_evidence_result res = { .audit = 12345, .journal = 12345 };
        cws_evidence_emit(&ev, false, &res);
        assert_true(res.journal <= 0);
        assert_int_equal(res.audit, 0); /* audit skipped */

        cws_event ev2 = { .kind = CWS_EV_VIOLATION, .user = big, .reason = CWS_R_TAMPER_DETECTED,
                          .violation = "tamper_detected", .risk = "CRITICAL" };
        res.journal = 12345;
        cws_evidence_emit(&ev2, false, &res);
        assert_true(res.journal <= 0);

        cws_event ev3 = { .kind = CWS_EV_ENROLL }; /* all strings NULL */
        res.journal = 12345;
        cws_evidence_emit(&ev3, false, &res);
        assert_true(res.journal <= 0);
        cws_evidence_emit(&ev3, false, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_audit_type),
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_emit_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
