/* pam_cws.so as a loader sees it: it dlopens, it exports the six PAM
 * entry points and nothing else (pam/pam_cws.map), libcws and inih stay
 * inside, and it links libpam and libaudit only (besides libc) — never
 * libcrypto (only pam_cws_offline.so does, loaded on the offline path:
 * test_pam_offline_symbols.c), libsystemd (journal entries go over
 * journald's native protocol, lib/gate/journal.c), libcurl, libsecret, glib or
 * json-c. The checks are in tests/module_symbols.h. */
#define _GNU_SOURCE
#include <stddef.h>
#include <security/pam_appl.h>

static const char module_file[] = "pam_cws.so";
static const char allowed_desc[] = "libpam, libaudit, libc";

typedef int (*pam_sm_fn)(pam_handle_t *pamh, int flags, int argc, const char **argv);

static const char *const entry_points[] = {
        "pam_sm_authenticate", "pam_sm_setcred",       "pam_sm_acct_mgmt",
        "pam_sm_open_session", "pam_sm_close_session", "pam_sm_chauthtok",
};

/* Internal functions that are linked into the module (from libcws.a and
 * libinih.a) and must not be reachable from outside it. */
static const char *const internal[] = {
        "cws_config_load", "cws_config_set", "cws_msg_decode",  "cws_reason_to_string",
        "cws_error_message", "ini_parse",    "ini_parse_string",
};

/* DT_NEEDED prefixes: the required one, the allowed ones, the banned ones. */
static const char required_lib[] = "libpam.so.0";
static const char *const allowed_libs[] = {
        "libpam.so.", "libaudit.so.", "libc.so.",
#ifdef __SANITIZE_ADDRESS__
        /* make SANITIZE=1 links the module with the sanitizer runtimes. */
        "libasan.so.", "libubsan.so.",
#endif
};
static const char *const banned_libs[] = {
        "libcrypto", "libsystemd", "libcurl", "libsecret", "libglib", "libgio", "libgobject",
        "libjson-c",
};

#include "module_symbols.h"

/* pam_sm_authenticate, pam_sm_setcred and pam_sm_chauthtok are no-ops
 * that never look at their arguments, so a NULL handle is safe here. */
static void test_noop_entry_points_ignore(void **state)
{
        static const char *const noop[] = {
                "pam_sm_authenticate", "pam_sm_setcred", "pam_sm_chauthtok",
        };
        const char *argv[] = { "debug", NULL };
        (void)state;

        require_dl();
        for (size_t i = 0; i < ARRAY_LEN(noop); i++) {
                pam_sm_fn fn;
                void *p = dlsym(mod.dl, noop[i]);

                if (!p)
                        fail_msg("dlsym(%s) failed", noop[i]);
                memcpy(&fn, &p, sizeof(fn));
                assert_int_equal(fn(NULL, 0, 0, NULL), PAM_IGNORE);
                assert_int_equal(fn(NULL, PAM_SILENT, 1, argv), PAM_IGNORE);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dlopen_finds_entry_points),
                cmocka_unit_test(test_dynsym_exports_exactly_entry_points),
                cmocka_unit_test(test_internal_symbols_hidden),
                cmocka_unit_test(test_needed_libraries),
                cmocka_unit_test(test_noop_entry_points_ignore),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
