/* pam_cws_offline.so, the offline decision pam_cws.so loads only when cwsd
 * does not answer (pam/offline.h): it dlopens, it exports its one entry
 * point and its interface token and nothing else (pam/pam_cws_offline.map), libcws stays inside,
 * and it links libcrypto (the cache's MAC) and libc only. The checks are
 * in tests/module_symbols.h. */
#define _GNU_SOURCE
#include <stddef.h>

static const char module_file[] = "pam_cws_offline.so";
static const char allowed_desc[] = "libcrypto, libc";

static const char *const entry_points[] = { "cws_offline_decide_v1" };
/* And its interface token, a constant pam_cws.so compares with its own. */
#define MODULE_DATA_EXPORT "cws_offline_abi_v1"

static const char *const internal[] = {
        "cws_cache_load", "cws_cache_allows", "cws_host_key_load", "cws_hmac_sha256",
};

static const char required_lib[] = "libcrypto.so.3";
static const char *const allowed_libs[] = {
        "libcrypto.so.", "libc.so.",
#ifdef __SANITIZE_ADDRESS__
        "libasan.so.", "libubsan.so.",
#endif
};
static const char *const banned_libs[] = {
        "libpam", "libaudit", "libcurl", "libsecret", "libglib", "libjson-c", "libsystemd",
};

#include "module_symbols.h"

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dlopen_finds_entry_points),
                cmocka_unit_test(test_dynsym_exports_exactly_entry_points),
                cmocka_unit_test(test_internal_symbols_hidden),
                cmocka_unit_test(test_needed_libraries),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
