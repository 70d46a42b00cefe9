/* lib/health_keychain.c: the keychain check from what a cws-invite says
 * (a script here, printing the documented JSON), bounded, never a fail. */
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
#include "cws/health.h"

static char dir[] = "/tmp/cws-hk.XXXXXX";

/* A fake cws-invite that prints body and exits with rc. */
static const char *fake(const char *name, const char *body, int rc)
{
        static char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\ncat <<'J'\n%s\nJ\nexit %d\n", body, rc);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
        return path;
}

static cws_check_result run(const char *invite)
{
        cws_posture p;
        cws_health_opts o = { .cws_invite = invite };

        memset(&p, 0, sizeof(p));
        cws_health_keychain(&o, &p);
        return p.r[CWS_CHK_KEYCHAIN];
}

static void test_backends(void **state)
{
        cws_check_result r;
        (void)state;
        assert_non_null(mkdtemp(dir));
        r = run(fake("ss", "{\"keychain\":\"secret-service\",\"security_level\":\"high\","
                           "\"locked\":true,\"admin_key\":\"secret-service\",\"keystore\":\"/k\"}", 0));
        assert_int_equal(r.status, CWS_CHECK_OK);
        assert_string_equal(r.evidence, "the administrator key is in the Secret Service "
                                        "(security level high), keyring locked");
        r = run(fake("file", "{\"keychain\":\"file\",\"security_level\":\"medium\",\"locked\":false,"
                             "\"admin_key\":\"file\",\"keystore\":\"/k\",\"fallback_reason\":\"no session bus\"}", 0));
        assert_int_equal(r.status, CWS_CHECK_WARN);
        assert_string_equal(r.evidence, "the administrator key is in the encrypted file /k "
                                        "(security level medium): no session bus");
        assert_true(r.fix[0] != '\0');
        r = run(fake("none", "{\"keychain\":\"file\",\"security_level\":\"medium\",\"admin_key\":\"none\"}", 0));
        assert_int_equal(r.status, CWS_CHECK_NA);
        /* Failing, garbage, absent: unknown or n/a, never fail. */
        assert_int_equal(run(fake("rc3", "{}", 3)).status, CWS_CHECK_UNKNOWN);
        assert_int_equal(run(fake("junk", "not json", 0)).status, CWS_CHECK_UNKNOWN);
        assert_int_equal(run(NULL).status, CWS_CHECK_NA);
        assert_int_equal(run("/nonexistent/cws-invite").status, CWS_CHECK_NA);
        /* The weight: shown, never scored. */
        assert_int_equal(cws_check_spec_of(CWS_CHK_KEYCHAIN)->weight, 0);
}

static int teardown(void **state)
{
        char cmd[64];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_backends, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
