/* libnss_cws.so.2 as glibc sees it: it dlopens, it exports the six NSS
 * group entry points and nothing else (nss/nss_cws.map), the file reader
 * stays inside, and it links libc alone: it runs in every process that
 * looks a group up. The checks are in tests/module_symbols.h. */
#define _GNU_SOURCE
#include <grp.h>
#include <nss.h>
#include <stddef.h>

static const char module_file[] = "libnss_cws.so.2";
static const char allowed_desc[] = "libc";

static const char *const entry_points[] = {
        "_nss_cws_getgrnam_r", "_nss_cws_getgrgid_r", "_nss_cws_setgrent",
        "_nss_cws_getgrent_r", "_nss_cws_endgrent",   "_nss_cws_initgroups_dyn",
};

static const char *const internal[] = {
        "cws_gf_open", "cws_gf_parse_fd", "cws_gf_feed", "cws_gf_user_valid",
};

static const char required_lib[] = "libc.so.6";
static const char *const allowed_libs[] = {
        "libc.so.",
#ifdef __SANITIZE_ADDRESS__
        "libasan.so.", "libubsan.so.",
#endif
};
static const char *const banned_libs[] = {
        "libcrypto", "libssl", "libcurl", "libsystemd", "libaudit", "libpam", "libjson-c",
        "libpthread", "libdl",
};

#include "module_symbols.h"

typedef enum nss_status (*getgrnam_fn)(const char *, struct group *, char *, size_t, int *);

/* A name that is not one of ours is NOTFOUND at once, whatever the file. */
static void test_other_names_not_found(void **state)
{
        struct group g;
        char buf[256];
        int e = 0;
        getgrnam_fn fn;
        void *p;
        (void)state;

        require_dl();
        p = dlsym(mod.dl, "_nss_cws_getgrnam_r");
        assert_non_null(p);
        memcpy(&fn, &p, sizeof(fn));
        assert_int_equal(fn("root", &g, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
        assert_int_equal(e, ENOENT);
        assert_int_equal(fn("cws-admins", &g, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dlopen_finds_entry_points),
                cmocka_unit_test(test_dynsym_exports_exactly_entry_points),
                cmocka_unit_test(test_internal_symbols_hidden),
                cmocka_unit_test(test_needed_libraries),
                cmocka_unit_test(test_other_names_not_found),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
