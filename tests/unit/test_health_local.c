/* lib/health.c: cws_health_local, the set cwsd's timer runs: only the
 * local checks, the others n/a; the config file checked again on disk. */
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

static void test_local_set(void **state)
{
        char dir[] = "/tmp/cws-hl.XXXXXX", conf[64], cmd[64];
        cws_config cfg;
        cws_posture p;
        FILE *f;
        (void)state;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        snprintf(conf, sizeof(conf), "%s/cws.conf", dir);
        f = fopen(conf, "w");
        assert_non_null(f);
        fprintf(f, "[policy]\nfail_mode = closed\n");
        fclose(f);
        assert_int_equal(chmod(conf, 0644), 0);
        cws_config_defaults(&cfg);
        cws_health_opts o = { .config_path = conf, .pam_dir = dir, .now = 1000 };
        cws_health_local(&o, &cfg, &p);
        if (geteuid() == 0)
                assert_int_equal(p.r[CWS_CHK_CONFIG].status, CWS_CHECK_OK);
        static const cws_check_id never[] = { CWS_CHK_AGENT, CWS_CHK_REGISTRY, CWS_CHK_TLS,
                                              CWS_CHK_AUDIT, CWS_CHK_SANDBOX, CWS_CHK_KEYCHAIN };
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
                assert_int_equal(p.r[never[i]].status, CWS_CHECK_NA);
        static const cws_check_id run[] = { CWS_CHK_TRUSTED_KEYS, CWS_CHK_STATE, CWS_CHK_CLOCK,
                                            CWS_CHK_RETENTION, CWS_CHK_PAM, CWS_CHK_MONITOR,
                                            CWS_CHK_SETUID, CWS_CHK_POLICY, CWS_CHK_ALERTS };
        for (size_t i = 0; i < sizeof(run) / sizeof(run[0]); i++)
                assert_int_not_equal(p.r[run[i]].status, CWS_CHECK_NA);
        /* No service in this pam.d: the pam check fails; no url: alerts fails. */
        assert_int_equal(p.r[CWS_CHK_PAM].status, CWS_CHECK_FAIL);
        assert_int_equal(p.r[CWS_CHK_ALERTS].status, CWS_CHECK_FAIL);
        /* World-writable on disk: the config check fails, whatever cfg says. */
        assert_int_equal(chmod(conf, 0666), 0);
        cws_health_local(&o, &cfg, &p);
        assert_int_equal(p.r[CWS_CHK_CONFIG].status, CWS_CHECK_FAIL);
        assert_non_null(strstr(p.r[CWS_CHK_CONFIG].evidence, conf));
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_local_set),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
