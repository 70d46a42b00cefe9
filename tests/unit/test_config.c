/* lib/gate/config.c: the file loader and the one setter behind it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "fixture.h"
#include "cws/config.h"

typedef struct fixture {
        char dir[FIXTURE_DIR_MAX];
        char path[PATH_MAX];    /* the config file of the test */
} fixture;

static int setup(void **state)
{
        fixture *fx = calloc(1, sizeof(*fx));

        if (!fx)
                return -1;
        if (fixture_dir_make(fx->dir, sizeof(fx->dir)) < 0) {
                free(fx);
                return -1;
        }
        snprintf(fx->path, sizeof(fx->path), "%s/cws.conf", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        fixture *fx = *state;

        assert_int_equal(fixture_dir_remove(fx->dir), 0);
        free(fx);
        return 0;
}

/* Writes len bytes with exactly mode (no umask). */
static void write_bytes(const char *path, const char *data, size_t len, mode_t mode)
{
        fixture_write(path, data, len, mode);
}

static void write_conf(const fixture *fx, const char *text)
{
        write_bytes(fx->path, text, strlen(text), 0644);
}

/* Loads fx->path into cfg, which starts from non-default values so that a
 * failed load visibly resets it. */
static int load(const fixture *fx, cws_config *cfg, cws_error *err)
{
        memset(err, 0, sizeof(*err));
        cws_config_defaults(cfg);
        cfg->fail_mode = CWS_FAIL_OPEN;
        cfg->registry_timeout = 77;
        return cws_config_load(cfg, fx->path, err);
}

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

static void assert_defaults(const cws_config *cfg)
{
        assert_string_equal(cfg->registry_url, CWS_DEFAULT_REGISTRY);
        assert_string_equal(cfg->trusted_keys, CWS_DEFAULT_TRUSTED_KEYS);
        assert_int_equal(cfg->registry_timeout, 5);
        assert_string_equal(cfg->socket_path, CWS_DEFAULT_SOCKET);
        assert_string_equal(cfg->state_dir, CWS_DEFAULT_STATE_DIR);
        assert_int_equal(cfg->monitor_interval, 30);
        assert_false(cfg->terminate_on_revoke);
        assert_int_equal(cfg->fail_mode, CWS_FAIL_CLOSED);
        assert_int_equal(cfg->offline_grace, 86400);
        assert_int_equal(cfg->max_cache_age, 0);
        assert_string_equal(cfg->gate_group, "");
        assert_false(cfg->audit_required);
        assert_int_equal(cfg->default_min_type, CWS_TYPE_READ_ONLY);
        assert_int_equal(cfg->alert_threshold, CWS_RISK_MEDIUM);
        assert_true(cfg->correlation_enabled);
        assert_int_equal(cfg->analysis_interval, 300);
        assert_int_equal(cfg->full_sweep_interval, 3600);
        assert_int_equal(cfg->health_check_interval, 900);
        assert_int_equal(cfg->log_retention_days, 90);
        assert_int_equal(cfg->n_services, 0);
        assert_int_equal(cfg->nss_gid_base, 110000);
}

/* ---- defaults and a good file ---- */

static void test_defaults(void **state)
{
        cws_config cfg;
        (void)state;

        memset(&cfg, 0xa5, sizeof(cfg));
        cws_config_defaults(&cfg);
        assert_defaults(&cfg);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sshd"), CWS_TYPE_READ_ONLY);
}

static void test_load_full_file(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_conf(fx,
                   "; a comment\n"
                   "# another comment\n"
                   "\n"
                   "[registry]\n"
                   "url = s3://lab-bucket/cws\n"
                   "trusted_keys = /etc/cws/admins.pub\n"
                   "timeout = 10s ; inline comment\n"
                   "[agent]\n"
                   "socket = /run/cws/other.sock\n"
                   "state_dir = /var/lib/cws/other\n"
                   "monitor_interval = 2m\n"
                   "terminate_on_revoke = true\n"
                   "[policy]\n"
                   "fail_mode = open\n"
                   "offline_grace = 12h\n"
                   "max_cache_age = 5m\n"
                   "gate = group:cws-users\n"
                   "audit_required = yes\n"
                   "default_type = none\n"
                   "[monitor]\n"
                   "alert_threshold = HIGH\n"
                   "correlation_enabled = false\n"
                   "analysis_interval = 10m\n"
                   "health_check_interval = 1h\n"
                   "full_sweep_interval = 6h\n"
                   "log_retention_days = 30\n"
                   "[services]\n"
                   "sudo = admin\n"
                   "sshd = read_write\n"
                   "login = read_only\n"
                   "cron = none\n"
                   "[nss]\n"
                   "gid_base = 65531\n");
        assert_int_equal(load(fx, &cfg, &err), 0);
        assert_int_equal(cfg.nss_gid_base, 65531);
        assert_string_equal(cfg.registry_url, "s3://lab-bucket/cws");
        assert_string_equal(cfg.trusted_keys, "/etc/cws/admins.pub");
        assert_int_equal(cfg.registry_timeout, 10);
        assert_string_equal(cfg.socket_path, "/run/cws/other.sock");
        assert_string_equal(cfg.state_dir, "/var/lib/cws/other");
        assert_int_equal(cfg.monitor_interval, 120);
        assert_true(cfg.terminate_on_revoke);
        assert_int_equal(cfg.fail_mode, CWS_FAIL_OPEN);
        assert_int_equal(cfg.offline_grace, 12 * 3600);
        assert_int_equal(cfg.max_cache_age, 300);
        assert_string_equal(cfg.gate_group, "cws-users");
        assert_true(cfg.audit_required);
        assert_int_equal(cfg.default_min_type, CWS_TYPE_NONE);
        assert_int_equal(cfg.alert_threshold, CWS_RISK_HIGH);
        assert_false(cfg.correlation_enabled);
        assert_int_equal(cfg.analysis_interval, 600);
        assert_int_equal(cfg.full_sweep_interval, 6 * 3600);
        assert_int_equal(cfg.health_check_interval, 3600);
        assert_int_equal(cfg.log_retention_days, 30);
        assert_int_equal(cfg.n_services, 4);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sudo"), CWS_TYPE_ADMIN);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sshd"), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "login"), CWS_TYPE_READ_ONLY);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "cron"), CWS_TYPE_NONE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "su"), CWS_TYPE_NONE);
}

static void test_load_empty_file_gives_defaults(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_conf(fx, "");
        assert_int_equal(load(fx, &cfg, &err), 0);
        assert_defaults(&cfg);
}

static void test_load_last_line_without_newline(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_conf(fx, "[policy]\r\nfail_mode = open\r\noffline_grace = 2d");
        assert_int_equal(load(fx, &cfg, &err), 0);
        assert_int_equal(cfg.fail_mode, CWS_FAIL_OPEN);
        assert_int_equal(cfg.offline_grace, 2 * 86400);
}

/* ---- refused files ---- */

static void test_load_missing_file(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        assert_int_equal(load(fx, &cfg, &err), -ENOENT);
        assert_int_equal(err.code, -ENOENT);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "not found");
        assert_defaults(&cfg);
}

static void test_load_symlink_refused(void **state)
{
        fixture *fx = *state;
        char target[PATH_MAX];
        cws_config cfg;
        cws_error err;

        snprintf(target, sizeof(target), "%s/real.conf", fx->dir);
        write_bytes(target, "[policy]\nfail_mode = open\n", 26, 0644);
        assert_int_equal(symlink(target, fx->path), 0);
        assert_int_equal(load(fx, &cfg, &err), -ELOOP);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "symbolic link");
        assert_defaults(&cfg);
}

static void test_load_group_writable_refused(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_bytes(fx->path, "[policy]\nfail_mode = open\n", 26, 0664);
        assert_int_equal(load(fx, &cfg, &err), -EPERM);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "writable");
        assert_defaults(&cfg);
}

static void test_load_other_writable_refused(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_bytes(fx->path, "[policy]\nfail_mode = open\n", 26, 0646);
        assert_int_equal(load(fx, &cfg, &err), -EPERM);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "writable");
        assert_defaults(&cfg);
}

static void test_load_foreign_owner_refused(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        if (geteuid() != 0)
                skip();
        write_bytes(fx->path, "[policy]\nfail_mode = open\n", 26, 0644);
        assert_int_equal(chown(fx->path, 65534, 65534), 0);
        assert_int_equal(load(fx, &cfg, &err), -EPERM);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "uid 65534");
        assert_defaults(&cfg);
}

static void test_load_directory_refused(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        assert_int_equal(mkdir(fx->path, 0755), 0);
        assert_int_equal(load(fx, &cfg, &err), -EPERM);
        assert_contains(err.msg, fx->path);
        assert_contains(err.msg, "regular file");
}

static void test_load_null_path(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_config_load(&cfg, NULL, &err), -EINVAL);
        assert_int_not_equal(err.msg[0], '\0');
}

/* ---- errors inside the file name file, line and key ---- */

/* Loads text, expects -EINVAL with every needle in the message and the
 * defaults in cfg (nothing from a failed file is used). */
static void expect_file_error(const fixture *fx, const char *text, const char *const *needles)
{
        cws_config cfg;
        cws_error err;

        write_conf(fx, text);
        assert_int_equal(load(fx, &cfg, &err), -EINVAL);
        assert_int_equal(err.code, -EINVAL);
        assert_contains(err.msg, fx->path);
        for (; *needles; needles++)
                assert_contains(err.msg, *needles);
        assert_defaults(&cfg);
}

static void test_file_bad_value(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:5: ", fx->path);
        expect_file_error(fx,
                          "[registry]\n"
                          "timeout = 10\n"
                          "\n"
                          "[policy]\n"
                          "fail_mode = opn\n",
                          (const char *const[]){ pl, "[policy] fail_mode", "'opn'",
                                                 "expected closed or open", NULL });
}

static void test_file_unknown_key(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:3: ", fx->path);
        expect_file_error(fx,
                          "[policy]\n"
                          "fail_mode = open\n"
                          "failmode = closed\n",
                          (const char *const[]){ pl, "[policy] failmode", "unknown key",
                                                 "fail_mode", NULL });
}

static void test_file_unknown_section(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, "[polcy]\nfail_mode = open\n",
                          (const char *const[]){ pl, "[polcy] fail_mode", "unknown section",
                                                 NULL });
}

static void test_file_key_outside_section(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, "; top\nfail_mode = open\n",
                          (const char *const[]){ pl, "fail_mode", "outside any section", NULL });
}

static void test_file_syntax_error_line(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:3: ", fx->path);
        expect_file_error(fx, "[policy]\nfail_mode = open\njust some words\n",
                          (const char *const[]){ pl, "syntax error", NULL });
}

static void test_file_unterminated_section(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, "[policy]\n[registry\ntimeout = 9\n",
                          (const char *const[]){ pl, "syntax error", NULL });
}

static void test_file_first_error_wins(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];
        cws_config cfg;
        cws_error err;

        /* A syntax error (line 2) before a bad value (line 3). */
        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, "[policy]\nnonsense\nfail_mode = maybe\n",
                          (const char *const[]){ pl, "syntax error", NULL });
        assert_int_equal(unlink(fx->path), 0);
        /* A bad value (line 2) before a syntax error (line 3). */
        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        write_conf(fx, "[policy]\nfail_mode = maybe\nnonsense\n");
        assert_int_equal(load(fx, &cfg, &err), -EINVAL);
        assert_contains(err.msg, pl);
        assert_contains(err.msg, "fail_mode");
        assert_null(strstr(err.msg, "syntax"));
        assert_int_equal(unlink(fx->path), 0);
        /* A bad value (line 2) before an overlong line (line 3). */
        {
                char text[512];
                int n = snprintf(text, sizeof(text), "[policy]\nfail_mode = maybe\n#");
                memset(text + n, 'y', 300);
                text[n + 300] = '\0';
                write_conf(fx, text);
        }
        assert_int_equal(load(fx, &cfg, &err), -EINVAL);
        assert_contains(err.msg, pl);
        assert_contains(err.msg, "'maybe'");
}

static void test_file_overlong_line_refused(void **state)
{
        fixture *fx = *state;
        char text[1024], pl[PATH_MAX + 8];
        int n;

        /* inih reads 200-byte lines; without our reader the tail of this
         * comment would be parsed as "fail_mode = open". */
        n = snprintf(text, sizeof(text), "[policy]\n#");
        memset(text + n, 'x', 250);
        snprintf(text + n + 250, sizeof(text) - (size_t)n - 250, "fail_mode = open\n");
        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, text, (const char *const[]){ pl, "line longer than", NULL });
}

static void test_file_longest_line_accepted(void **state)
{
        fixture *fx = *state;
        char text[512];
        cws_config cfg;
        cws_error err;
        int n;

        /* 199 characters before the newline is the most inih takes. */
        n = snprintf(text, sizeof(text), "[agent]\nstate_dir = /");
        memset(text + n, 'd', 199 - 13);
        snprintf(text + n + 199 - 13, sizeof(text) - (size_t)n - 199 + 13, "\n");
        write_conf(fx, text);
        assert_int_equal(load(fx, &cfg, &err), 0);
        assert_int_equal(strlen(cfg.state_dir), 199 - 12);
}

static void test_file_nul_byte_refused(void **state)
{
        fixture *fx = *state;
        static const char text[] = "[policy]\nfail_mode = closed\0\nfail_mode = open\n";
        char pl[PATH_MAX + 8];
        cws_config cfg;
        cws_error err;

        write_bytes(fx->path, text, sizeof(text) - 1, 0644);
        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        assert_int_equal(load(fx, &cfg, &err), -EINVAL);
        assert_contains(err.msg, pl);
        assert_contains(err.msg, "NUL");
        assert_defaults(&cfg);
}

static void test_file_hash_inline_comment_refused(void **state)
{
        fixture *fx = *state;
        char pl[PATH_MAX + 8];

        snprintf(pl, sizeof(pl), "%s:2: ", fx->path);
        expect_file_error(fx, "[registry]\ntrusted_keys = /etc/cws/keys # admins\n",
                          (const char *const[]){ pl, "[registry] trusted_keys", "';'", NULL });
}

static void test_file_later_value_overrides(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_error err;

        write_conf(fx, "[policy]\nfail_mode = open\n[policy]\nfail_mode = closed\n"
                       "[services]\nsudo = read_only\nsudo = admin\n");
        assert_int_equal(load(fx, &cfg, &err), 0);
        assert_int_equal(cfg.fail_mode, CWS_FAIL_CLOSED);
        assert_int_equal(cfg.n_services, 1);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sudo"), CWS_TYPE_ADMIN);
}

/* ---- cws_config_set: every key, good and bad ---- */

typedef struct bad_case {
        const char *section, *key, *value;
} bad_case;

static void test_set_bad_values_keep_old(void **state)
{
        static const bad_case bad[] = {
                { "registry", "url", "" },
                { "registry", "url", "http://example.org/r" },
                { "registry", "url", "file://relative/path" },
                { "registry", "url", "file:///" },
                { "registry", "url", "s3://" },
                { "registry", "url", "s3+http://" },
                { "registry", "url", "/var/lib/cws/registry" },
                { "registry", "url", "s3://bucket name" },
                { "registry", "url", "s3://bucket\x01" },
                { "registry", "url", "S3://bucket" },
                { "registry", "trusted_keys", "" },
                { "registry", "trusted_keys", "etc/cws/keys" },
                { "registry", "trusted_keys", "/etc/cws/ke\nys" },
                { "registry", "trusted_keys", "/etc/cws/\x7fkeys" },
                { "registry", "timeout", "0" },
                { "registry", "timeout", "301" },
                { "registry", "timeout", "6m" },
                { "registry", "timeout", "" },
                { "registry", "timeout", "-5" },
                { "registry", "timeout", "5 s" },
                { "registry", "timeout", "five" },
                { "agent", "socket", "cwsd.sock" },
                { "agent", "socket", "/run/cws/\tcwsd.sock" },
                { "agent", "state_dir", "./state" },
                { "agent", "monitor_interval", "4" },
                { "agent", "monitor_interval", "86401" },
                { "agent", "monitor_interval", "2d" },
                { "policy", "fail_mode", "Open" },
                { "policy", "fail_mode", "" },
                { "policy", "fail_mode", "closed " },
                { "policy", "fail_mode", "1" },
                { "policy", "offline_grace", "31d" },
                { "policy", "offline_grace", "2592001" },
                { "policy", "offline_grace", "1w" },
                { "policy", "max_cache_age", "25h" },
                { "policy", "max_cache_age", "86401s" },
                { "policy", "gate", "" },
                { "policy", "gate", "wheel" },
                { "policy", "gate", "group:" },
                { "policy", "gate", "group:-wheel" },
                { "policy", "gate", "group:a b" },
                { "policy", "gate", "group:a/b" },
                { "policy", "gate", "user:alice" },
                { "policy", "gate", "ALL" },
                { "policy", "gate",
                  "group:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
                { "policy", "audit_required", "True" },
                { "policy", "audit_required", "on" },
                { "policy", "audit_required", "2" },
                { "policy", "audit_required", "" },
                { "policy", "default_type", "root" },
                { "policy", "default_type", "ADMIN" },
                { "policy", "default_type", "" },
                { "monitor", "alert_threshold", "NONE" },
                { "monitor", "alert_threshold", "SEVERE" },
                { "monitor", "alert_threshold", "" },
                { "monitor", "correlation_enabled", "maybe" },
                { "monitor", "analysis_interval", "59s" },
                { "monitor", "full_sweep_interval", "4s" },
                { "monitor", "full_sweep_interval", "8d" },
                { "monitor", "full_sweep_interval", "0" },
                { "monitor", "analysis_interval", "2d" },
                { "monitor", "health_check_interval", "0" },
                { "monitor", "health_check_interval", "4s" },
                { "monitor", "health_check_interval", "86401" },
                { "monitor", "log_retention_days", "0" },
                { "monitor", "log_retention_days", "3651" },
                { "monitor", "log_retention_days", "10d" },
                { "monitor", "log_retention_days", "-1" },
                { "monitor", "log_retention_days", "99999999999" },
                { "services", "sudo", "root" },
                { "services", "sudo", "" },
                { "services", "sudo", "Admin" },
                { "nss", "gid_base", "99" },
                { "nss", "gid_base", "0" },
                { "nss", "gid_base", "65532" },       /* 65534 */
                { "nss", "gid_base", "65535" },
                { "nss", "gid_base", "2147483646" },
                { "nss", "gid_base", "-5" },
                { "nss", "gid_base", "1e5" },
                { "nss", "gid_base", "" },
        };
        cws_config cfg, before;
        cws_error err;
        (void)state;

        cws_config_defaults(&cfg);
        assert_int_equal(cws_config_set(&cfg, "services", "sudo", "admin", "x", NULL), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memcpy(&before, &cfg, sizeof(cfg));
                memset(&err, 0, sizeof(err));
                if (cws_config_set(&cfg, bad[i].section, bad[i].key, bad[i].value,
                                   "test.conf:9", &err) != -EINVAL)
                        fail_msg("[%s] %s = '%s' was accepted", bad[i].section, bad[i].key,
                                 bad[i].value);
                assert_int_equal(err.code, -EINVAL);
                assert_contains(err.msg, "test.conf:9: ");
                assert_contains(err.msg, bad[i].key);
                assert_contains(err.msg, "expected");
                /* Printable values are quoted as they are. */
                if (strspn(bad[i].value, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTU"
                                         "VWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") ==
                    strlen(bad[i].value)) {
                        char quoted[128];
                        snprintf(quoted, sizeof(quoted), "'%.60s", bad[i].value);
                        assert_contains(err.msg, quoted);
                }
                /* The previous value is kept, to the byte. */
                if (memcmp(&before, &cfg, sizeof(cfg)) != 0)
                        fail_msg("[%s] %s = '%s' changed the config", bad[i].section,
                                 bad[i].key, bad[i].value);
        }
}

static void test_set_control_characters_escaped(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        assert_int_equal(cws_config_set(&cfg, "agent", "socket", "/run/x\x1b[31m", "arg", &err),
                         -EINVAL);
        assert_contains(err.msg, "'/run/x\\x1b[31m'");
        assert_null(strchr(err.msg, '\x1b'));
        assert_string_equal(cfg.socket_path, CWS_DEFAULT_SOCKET);
}

static void test_set_long_value_cut_in_message(void **state)
{
        static char value[2048];
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        memset(value, 'z', sizeof(value) - 1);
        cws_config_defaults(&cfg);
        assert_int_equal(cws_config_set(&cfg, "policy", "fail_mode", value, "arg", &err),
                         -EINVAL);
        assert_contains(err.msg, "zzz...'");
        /* The rest of the sentence is still there. */
        assert_contains(err.msg, "expected closed or open");
}

static void test_set_unknown_key_and_section(void **state)
{
        cws_config cfg, before;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        memcpy(&before, &cfg, sizeof(cfg));
        assert_int_equal(cws_config_set(&cfg, "registry", "uri", "file:///x", "arg", &err),
                         -EINVAL);
        assert_contains(err.msg, "arg: [registry] uri: unknown key");
        assert_contains(err.msg, "url, trusted_keys, timeout");
        assert_int_equal(cws_config_set(&cfg, "Registry", "url", "file:///x", "arg", &err),
                         -EINVAL);
        assert_contains(err.msg, "[Registry] url: unknown section");
        assert_int_equal(cws_config_set(&cfg, "", "url", "file:///x", "arg", &err), -EINVAL);
        assert_contains(err.msg, "url: key outside any section");
        assert_int_equal(cws_config_set(&cfg, NULL, "url", "file:///x", "arg", &err), -EINVAL);
        assert_contains(err.msg, "outside any section");
        assert_int_equal(cws_config_set(&cfg, "policy", "", "open", "arg", &err), -EINVAL);
        assert_contains(err.msg, "unknown key");
        assert_int_equal(cws_config_set(&cfg, "policy", NULL, "open", "arg", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "policy", "fail_mode", NULL, "arg", &err),
                         -EINVAL);
        assert_int_equal(memcmp(&before, &cfg, sizeof(cfg)), 0);
}

static void test_set_where_null_and_err_null(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        assert_int_equal(cws_config_set(&cfg, "policy", "fail_mode", "x", NULL, &err), -EINVAL);
        assert_contains(err.msg, "configuration: [policy] fail_mode");
        /* No error record wanted: still refused. */
        assert_int_equal(cws_config_set(&cfg, "policy", "fail_mode", "x", NULL, NULL), -EINVAL);
        assert_int_equal(cfg.fail_mode, CWS_FAIL_CLOSED);
}


static void test_set_good_values(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

#define SET(s, k, v) assert_int_equal(cws_config_set(&cfg, s, k, v, "arg", &err), 0)
        cws_config_defaults(&cfg);
        SET("registry", "url", "file:///srv/registry");
        assert_string_equal(cfg.registry_url, "file:///srv/registry");
        /* Plain HTTP is the endpoint's business (loopback only), not a scheme. */
        assert_int_equal(cws_config_set(&cfg, "registry", "url", "s3+http://127.0.0.1:9000/bucket", "arg",
                                        &err), -EINVAL);
        SET("registry", "url", "s3://b");
        assert_string_equal(cfg.registry_url, "s3://b");
        SET("registry", "timeout", "1s");
        assert_int_equal(cfg.registry_timeout, 1);
        SET("registry", "timeout", "5m");
        assert_int_equal(cfg.registry_timeout, 300);
        SET("agent", "monitor_interval", "5");
        assert_int_equal(cfg.monitor_interval, 5);
        SET("agent", "monitor_interval", "1d");
        assert_int_equal(cfg.monitor_interval, 86400);
        SET("agent", "socket", "/tmp/with space/cwsd.sock");
        assert_string_equal(cfg.socket_path, "/tmp/with space/cwsd.sock");
        SET("policy", "offline_grace", "0");
        assert_int_equal(cfg.offline_grace, 0);
        SET("policy", "offline_grace", "30d");
        assert_int_equal(cfg.offline_grace, 30 * 86400);
        SET("policy", "max_cache_age", "1d");
        assert_int_equal(cfg.max_cache_age, 86400);
        SET("policy", "max_cache_age", "0s");
        assert_int_equal(cfg.max_cache_age, 0);
        SET("policy", "gate", "group:domain_users@example.org");
        assert_string_equal(cfg.gate_group, "domain_users@example.org");
        SET("policy", "gate", "all");
        assert_string_equal(cfg.gate_group, "");
        SET("policy", "gate",
            "group:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_int_equal(strlen(cfg.gate_group), 63);
        SET("policy", "fail_mode", "open");
        assert_int_equal(cfg.fail_mode, CWS_FAIL_OPEN);
        SET("policy", "fail_mode", "closed");
        assert_int_equal(cfg.fail_mode, CWS_FAIL_CLOSED);
        SET("policy", "default_type", "admin");
        assert_int_equal(cfg.default_min_type, CWS_TYPE_ADMIN);
        SET("policy", "default_type", "read_write");
        assert_int_equal(cfg.default_min_type, CWS_TYPE_READ_WRITE);
        SET("monitor", "alert_threshold", "low");
        assert_int_equal(cfg.alert_threshold, CWS_RISK_LOW);
        SET("monitor", "alert_threshold", "CRITICAL");
        assert_int_equal(cfg.alert_threshold, CWS_RISK_CRITICAL);
        SET("monitor", "full_sweep_interval", "5s");
        assert_int_equal(cfg.full_sweep_interval, 5);
        SET("monitor", "full_sweep_interval", "7d");
        assert_int_equal(cfg.full_sweep_interval, 7 * 86400);
        SET("monitor", "analysis_interval", "1m");
        assert_int_equal(cfg.analysis_interval, 60);
        SET("monitor", "health_check_interval", "24h");
        assert_int_equal(cfg.health_check_interval, 86400);
        SET("monitor", "health_check_interval", "5s");
        assert_int_equal(cfg.health_check_interval, 5);
        SET("monitor", "log_retention_days", "1");
        assert_int_equal(cfg.log_retention_days, 1);
        SET("monitor", "log_retention_days", "3650");
        assert_int_equal(cfg.log_retention_days, 3650);
}

static void test_set_bools(void **state)
{
        static const struct { const char *v; bool b; } cases[] = {
                { "true", true }, { "false", false }, { "yes", true },
                { "no", false },  { "1", true },      { "0", false },
        };
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                SET("policy", "audit_required", cases[i].v);
                assert_int_equal(cfg.audit_required, cases[i].b);
                SET("monitor", "correlation_enabled", cases[i].v);
                assert_int_equal(cfg.correlation_enabled, cases[i].b);
        }
}

static void test_set_path_length_limit(void **state)
{
        static char path[CWS_CONFIG_PATH_MAX + 1];
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        path[0] = '/';
        memset(path + 1, 'p', CWS_CONFIG_PATH_MAX - 1);
        path[CWS_CONFIG_PATH_MAX] = '\0';     /* 4096 characters: one too many */
        assert_int_equal(cws_config_set(&cfg, "agent", "state_dir", path, "arg", &err), -EINVAL);
        assert_string_equal(cfg.state_dir, CWS_DEFAULT_STATE_DIR);
        path[CWS_CONFIG_PATH_MAX - 1] = '\0'; /* 4095: fits with its NUL */
        SET("agent", "state_dir", path);
        assert_int_equal(strlen(cfg.state_dir), CWS_CONFIG_PATH_MAX - 1);

        memcpy(path, "s3://", 5);
        path[CWS_CONFIG_PATH_MAX - 1] = 'b';
        assert_int_equal(cws_config_set(&cfg, "registry", "url", path, "arg", &err), -EINVAL);
        assert_string_equal(cfg.registry_url, CWS_DEFAULT_REGISTRY);
        path[CWS_CONFIG_PATH_MAX - 1] = '\0';
        SET("registry", "url", path);
        assert_int_equal(strlen(cfg.registry_url), CWS_CONFIG_PATH_MAX - 1);
}

/* ---- services ---- */

static void test_services_mapping(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;

        cws_config_defaults(&cfg);
        SET("services", "sudo", "admin");
        SET("services", "sshd", "read_write");
        SET("services", "gdm-password", "none");
        SET("services", "polkit-1.x_y", "read_only");
        assert_int_equal(cfg.n_services, 4);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sudo"), CWS_TYPE_ADMIN);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sshd"), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "gdm-password"), CWS_TYPE_NONE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "polkit-1.x_y"),
                         CWS_TYPE_READ_ONLY);
        /* Exact match only: no prefixes, no case folding. */
        cfg.default_min_type = CWS_TYPE_READ_WRITE;
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sud"), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sudo-i"), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "SUDO"), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, ""), CWS_TYPE_READ_WRITE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, NULL), CWS_TYPE_READ_WRITE);
        /* Setting a service again overrides it in place. */
        SET("services", "sudo", "read_only");
        assert_int_equal(cfg.n_services, 4);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "sudo"), CWS_TYPE_READ_ONLY);
}

static void test_services_bad_names(void **state)
{
        static const char *const bad[] = {
                "", "bad name", "a/b", "../etc", "sudo\n", "s\xc3\xa9",
                "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss",
        };
        cws_config cfg, before;
        cws_error err;
        (void)state;

        cws_config_defaults(&cfg);
        memcpy(&before, &cfg, sizeof(cfg));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&err, 0, sizeof(err));
                assert_int_equal(cws_config_set(&cfg, "services", bad[i], "admin", "f:4", &err),
                                 -EINVAL);
                assert_contains(err.msg, "f:4: [services] ");
                assert_contains(err.msg, "invalid PAM service name");
        }
        assert_int_equal(memcmp(&before, &cfg, sizeof(cfg)), 0);
        /* 63 characters is the longest name. */
        SET("services", "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss", "admin");
        assert_int_equal(cfg.n_services, 1);
}

static void test_services_limit(void **state)
{
        cws_config cfg, before;
        cws_error err = { 0 };
        char name[16];
        (void)state;

        cws_config_defaults(&cfg);
        for (int i = 0; i < CWS_MAX_SERVICES; i++) {
                snprintf(name, sizeof(name), "svc%d", i);
                SET("services", name, i % 2 ? "admin" : "read_write");
        }
        assert_int_equal(cfg.n_services, CWS_MAX_SERVICES);
        memcpy(&before, &cfg, sizeof(cfg));
        assert_int_equal(cws_config_set(&cfg, "services", "one-more", "admin", "f:40", &err),
                         -EINVAL);
        assert_contains(err.msg, "f:40: [services] one-more: too many services");
        assert_int_equal(memcmp(&before, &cfg, sizeof(cfg)), 0);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "one-more"), CWS_TYPE_READ_ONLY);
        /* A full table still takes overrides of listed services. */
        SET("services", "svc0", "none");
        assert_int_equal(cws_config_min_type_for_service(&cfg, "svc0"), CWS_TYPE_NONE);
        assert_int_equal(cws_config_min_type_for_service(&cfg, "svc31"), CWS_TYPE_ADMIN);
        assert_int_equal(cfg.n_services, CWS_MAX_SERVICES);
}
#undef SET

static void test_file_too_many_services(void **state)
{
        fixture *fx = *state;
        char text[4096], pl[PATH_MAX + 8];
        size_t n;

        n = (size_t)snprintf(text, sizeof(text), "[services]\n");
        for (int i = 0; i <= CWS_MAX_SERVICES; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "svc%d = admin\n", i);
        snprintf(pl, sizeof(pl), "%s:%d: ", fx->path, CWS_MAX_SERVICES + 2);
        expect_file_error(fx, text, (const char *const[]){ pl, "too many services", NULL });
}

/* ---- durations ---- */

static void test_duration_good(void **state)
{
        static const struct { const char *s; uint32_t v; } cases[] = {
                { "0", 0 },          { "30", 30 },           { "30s", 30 },
                { "5m", 300 },       { "2h", 7200 },         { "1d", 86400 },
                { "007", 7 },        { "0d", 0 },            { "4294967295", UINT32_MAX },
                { "4294967295s", UINT32_MAX },               { "71582788m", 4294967280u },
                { "1193046h", 4294965600u },                 { "49710d", 4294944000u },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t v = 12345;
                assert_int_equal(cws_parse_duration(cases[i].s, &v), 0);
                assert_int_equal(v, cases[i].v);
        }
}

static void test_duration_bad(void **state)
{
        static const struct { const char *s; int r; } cases[] = {
                { "", -EINVAL },      { "s", -EINVAL },     { "-1", -EINVAL },
                { "+1", -EINVAL },    { " 1", -EINVAL },    { "1 ", -EINVAL },
                { "1 s", -EINVAL },   { "1x", -EINVAL },    { "1ss", -EINVAL },
                { "1S", -EINVAL },    { "1.5h", -EINVAL },  { "0x10", -EINVAL },
                { "1w", -EINVAL },    { "1d1h", -EINVAL },  { "1ms", -EINVAL },
                { "4294967296", -ERANGE },                  { "4294967296s", -ERANGE },
                { "99999999999999999999", -ERANGE },        { "71582789m", -ERANGE },
                { "1193047h", -ERANGE },                    { "49711d", -ERANGE },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t v = 12345;
                if (cws_parse_duration(cases[i].s, &v) != cases[i].r)
                        fail_msg("'%s' did not give %d", cases[i].s, cases[i].r);
                assert_int_equal(v, 12345);
        }
        assert_int_equal(cws_parse_duration(NULL, (uint32_t[]){ 0 }), -EINVAL);
        assert_int_equal(cws_parse_duration("5", NULL), -EINVAL);
}

/* [monitor] correlation keys and [alerts]: values, bounds, hours. */
static void test_alert_and_correlation_keys(void **state)
{
        cws_config cfg;
        cws_error err = { 0 };
        (void)state;
        cws_config_defaults(&cfg);
        assert_int_equal(cfg.failed_login_threshold, 5);
        assert_false(cfg.active_hours.set);
        assert_int_equal(cfg.alerts_queue_max, 1000);
        assert_string_equal(cfg.alerts_url, "");
        assert_true(cws_hours_contain(&cfg.active_hours, 3));

        assert_int_equal(cws_config_set(&cfg, "monitor", "active_hours", "07-20", "t", &err), 0);
        assert_true(cws_hours_contain(&cfg.active_hours, 7));
        assert_true(cws_hours_contain(&cfg.active_hours, 19));
        assert_false(cws_hours_contain(&cfg.active_hours, 20));
        assert_false(cws_hours_contain(&cfg.active_hours, 3));
        assert_int_equal(cws_config_set(&cfg, "monitor", "active_hours", "22-06", "t", &err), 0);
        assert_true(cws_hours_contain(&cfg.active_hours, 23));
        assert_true(cws_hours_contain(&cfg.active_hours, 5));
        assert_false(cws_hours_contain(&cfg.active_hours, 12));
        static const char *const bad_hours[] = { "7-20", "07-25", "07-07", "24-01", "07-20x", "", "-" };
        for (size_t i = 0; i < sizeof(bad_hours) / sizeof(bad_hours[0]); i++) {
                assert_int_equal(cws_config_set(&cfg, "monitor", "active_hours", bad_hours[i], "t", &err),
                                 -EINVAL);
                assert_contains(err.msg, "HH-HH");
        }
        assert_true(cfg.active_hours.set && cfg.active_hours.from == 22);   /* kept */
        assert_int_equal(cws_config_set(&cfg, "monitor", "active_hours", "all", "t", &err), 0);
        assert_false(cfg.active_hours.set);

        assert_int_equal(cws_config_set(&cfg, "monitor", "failed_login_threshold", "1", "t", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "monitor", "failed_login_threshold", "3", "t", &err), 0);
        assert_int_equal(cfg.failed_login_threshold, 3);

        assert_int_equal(cws_config_set(&cfg, "alerts", "url", "http://siem.example/hook", "t", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "alerts", "url", "https:///x", "t", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "alerts", "url", "https://siem.example:8443/hook", "t", &err), 0);
        assert_int_equal(cws_config_set(&cfg, "alerts", "url", "http://127.0.0.1:9/hook", "t", &err), 0);
        assert_int_equal(cws_config_set(&cfg, "alerts", "secret_file", "relative", "t", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "alerts", "queue_max", "0", "t", &err), -EINVAL);
        assert_int_equal(cws_config_set(&cfg, "alerts", "nope", "1", "t", &err), -EINVAL);
        assert_contains(err.msg, "known in [alerts]: url, secret_file, ca_file, pinned_keys, queue_max");
}

/* cws-status config: every key formatted as the file would hold it, and
 * the line each value came from (0: the default). */
static void test_origins_and_format(void **state)
{
        fixture *fx = *state;
        cws_config cfg;
        cws_config_origins o;
        cws_error err = { 0 };
        const char *sec, *key;
        char buf[4200];
        size_t i, n = cws_config_key_count();

        write_conf(fx, "# comment\n[monitor]\nanalysis_interval = 10m\n\n[policy]\nfail_mode = closed\n"
                       "offline_grace = 7200\n[services]\nsudo = admin\n[monitor]\nalert_threshold = high\n");
        assert_int_equal(cws_config_load_origins(&cfg, fx->path, &o, &err), 0);
        for (i = 0; i < n; i++) {
                assert_int_equal(cws_config_key_at(i, &sec, &key), 0);
                assert_int_equal(cws_config_format(&cfg, i, buf, sizeof(buf)), 0);
                if (!strcmp(key, "analysis_interval")) {
                        assert_int_equal(o.key_line[i], 3);
                        assert_string_equal(buf, "10m");
                } else if (!strcmp(key, "fail_mode")) {
                        assert_int_equal(o.key_line[i], 6);
                        assert_string_equal(buf, "closed");
                } else if (!strcmp(key, "offline_grace")) {
                        assert_int_equal(o.key_line[i], 7);
                        assert_string_equal(buf, "2h");
                } else if (!strcmp(key, "alert_threshold")) {
                        assert_int_equal(o.key_line[i], 11);
                        assert_string_equal(buf, "HIGH");
                } else {
                        assert_int_equal(o.key_line[i], 0);
                }
                /* What is printed parses back to the same value ("" is unset). */
                if (!buf[0])
                        continue;
                cws_config back = cfg;
                assert_int_equal(cws_config_set(&back, sec, key, buf, "t", &err), 0);
                assert_memory_equal(&back, &cfg, sizeof(cfg));
        }
        assert_int_equal(cfg.n_services, 1);
        assert_int_equal(o.service_line[0], 9);
        assert_int_equal(cws_config_key_at(n, &sec, &key), -ENOENT);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_alert_and_correlation_keys),
                T(test_origins_and_format),
                T(test_load_full_file),
                T(test_load_empty_file_gives_defaults),
                T(test_load_last_line_without_newline),
                T(test_load_missing_file),
                T(test_load_symlink_refused),
                T(test_load_group_writable_refused),
                T(test_load_other_writable_refused),
                T(test_load_foreign_owner_refused),
                T(test_load_directory_refused),
                cmocka_unit_test(test_load_null_path),
                T(test_file_bad_value),
                T(test_file_unknown_key),
                T(test_file_unknown_section),
                T(test_file_key_outside_section),
                T(test_file_syntax_error_line),
                T(test_file_unterminated_section),
                T(test_file_first_error_wins),
                T(test_file_overlong_line_refused),
                T(test_file_longest_line_accepted),
                T(test_file_nul_byte_refused),
                T(test_file_hash_inline_comment_refused),
                T(test_file_later_value_overrides),
                T(test_file_too_many_services),
                cmocka_unit_test(test_set_bad_values_keep_old),
                cmocka_unit_test(test_set_control_characters_escaped),
                cmocka_unit_test(test_set_long_value_cut_in_message),
                cmocka_unit_test(test_set_unknown_key_and_section),
                cmocka_unit_test(test_set_where_null_and_err_null),
                cmocka_unit_test(test_set_good_values),
                cmocka_unit_test(test_set_bools),
                cmocka_unit_test(test_set_path_length_limit),
                cmocka_unit_test(test_services_mapping),
                cmocka_unit_test(test_services_bad_names),
                cmocka_unit_test(test_services_limit),
                cmocka_unit_test(test_duration_good),
                cmocka_unit_test(test_duration_bad),
        };
#undef T
        return cmocka_run_group_tests(tests, NULL, NULL);
}
