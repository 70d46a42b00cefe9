/* lib/pam_stack.c on copies of Debian 12's stock /etc/pam.d (tests/unit/pam.d)
 * with pam_cws added the ways administrators do, right and wrong. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/pam_stack.h"

static char dir[FIXTURE_DIR_MAX];

/* The fixtures sit next to this file; the tests run from the top of the tree. */
static int setup(void **state)
{
        char cmd[8192], src[4096];
        const char *here = __FILE__, *slash = strrchr(here, '/');

        (void)state;
        snprintf(src, sizeof(src), "%.*s/pam.d", slash ? (int)(slash - here) : 1, slash ? here : ".");
        if (fixture_dir_make(dir, sizeof(dir)) < 0)
                return -1;
        snprintf(cmd, sizeof(cmd), "cp %s/* %s/", src, dir);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void write_file(const char *name, const char *content, const char *mode)
{
        char path[4200];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, mode);
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void reset(void)
{
        assert_int_equal(teardown(NULL), 0);
        strcpy(dir, "/tmp/cws-pamstack.XXXXXX");
        assert_int_equal(setup(NULL), 0);
}

static cws_pam_result check(const char *service, int want_rc)
{
        cws_pam_result res;
        cws_error err = { 0 };

        assert_int_equal(cws_pam_stack_check(dir, service, &res, &err), want_rc);
        return res;
}

static void test_stock_debian_is_not_gated(void **state)
{
        static const char *const services[] = { "sshd", "login", "sudo", "su", "sudo-i", "runuser" };
        (void)state;
        reset();
        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
                cws_pam_result r = check(services[i], 0);
                assert_int_equal(r.gate, CWS_PAM_NOT_GATED);
                assert_non_null(strstr(r.detail, "no pam_cws.so"));
        }
}

/* What pam-auth-update does with our profile: a line in the additional
 * block of common-account, which sshd, login, sudo and su @include. */
static void test_common_account_line_gates_every_includer(void **state)
{
        static const char *const services[] = { "sshd", "login", "sudo", "su" };
        (void)state;
        reset();
        write_file("common-account", "account\trequired\t\t\tpam_cws.so\n", "a");
        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
                cws_pam_result r = check(services[i], 0);
                assert_int_equal(r.gate, CWS_PAM_GATED);
                assert_non_null(strstr(r.detail, "common-account:"));
        }
        /* runuser includes no common-account. */
        assert_int_equal(check("runuser", 0).gate, CWS_PAM_NOT_GATED);
}

/* Debian's pam_unix line jumps one line (over pam_deny); a pam_cws line
 * put right after it is jumped over on success. */
static void test_jump_over_pam_cws_is_weak(void **state)
{
        (void)state;
        reset();
        write_file("common-account",
                   "account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\n"
                   "account required /lib/x86_64-linux-gnu/security/pam_cws.so\n"
                   "account requisite pam_deny.so\n"
                   "account required pam_permit.so\n", "w");
        cws_pam_result r = check("sshd", 0);
        assert_int_equal(r.gate, CWS_PAM_WEAK);
        assert_non_null(strstr(r.detail, "pam_unix.so can skip"));
}

static void test_sufficient_before_is_weak(void **state)
{
        (void)state;
        reset();
        write_file("sudo", "account sufficient pam_permit.so\naccount required pam_cws.so\n", "w");
        assert_int_equal(check("sudo", 0).gate, CWS_PAM_WEAK);
        write_file("sudo", "account optional pam_cws.so\n", "w");
        assert_int_equal(check("sudo", 0).gate, CWS_PAM_WEAK);
        write_file("sudo", "-account required pam_cws.so\n", "w");
        assert_int_equal(check("sudo", 0).gate, CWS_PAM_WEAK);
        write_file("sudo", "account requisite pam_cws.so\n@include common-account\n", "w");
        assert_int_equal(check("sudo", 0).gate, CWS_PAM_GATED);
        /* Only the account phase counts: a session line does not gate. */
        write_file("sudo", "session required pam_cws.so\n@include common-account\n", "w");
        assert_int_equal(check("sudo", 0).gate, CWS_PAM_NOT_GATED);
}

/* `include` and `substack` too; a sufficient line inside a substack ends
 * only the substack. */
static void test_include_and_substack(void **state)
{
        (void)state;
        reset();
        write_file("cws-acct", "account required pam_cws.so\n", "w");
        write_file("svc1", "account include cws-acct\n", "w");
        assert_int_equal(check("svc1", 0).gate, CWS_PAM_GATED);
        write_file("sub", "account sufficient pam_permit.so\n", "w");
        write_file("svc2", "account substack sub\naccount required pam_cws.so\n", "w");
        assert_int_equal(check("svc2", 0).gate, CWS_PAM_GATED);
        write_file("svc3", "account include sub\naccount required pam_cws.so\n", "w");
        assert_int_equal(check("svc3", 0).gate, CWS_PAM_WEAK);
        /* A continued line is one line. */
        write_file("svc4", "account \\\n  required \\\n  pam_cws.so\n", "w");
        assert_int_equal(check("svc4", 0).gate, CWS_PAM_GATED);
}

static void test_missing_service_uses_other_and_loops_are_bounded(void **state)
{
        (void)state;
        reset();
        cws_pam_result r = check("no-such-service", 0);
        assert_string_equal(r.file, "other");
        assert_int_equal(r.gate, CWS_PAM_NOT_GATED);
        write_file("loop", "@include loop\n", "w");
        check("loop", -ELOOP);
        write_file("broken", "@include does-not-exist\n", "w");
        check("broken", -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stock_debian_is_not_gated),
                cmocka_unit_test(test_common_account_line_gates_every_includer),
                cmocka_unit_test(test_jump_over_pam_cws_is_weak),
                cmocka_unit_test(test_sufficient_before_is_weak),
                cmocka_unit_test(test_include_and_substack),
                cmocka_unit_test(test_missing_service_uses_other_and_loops_are_bounded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
