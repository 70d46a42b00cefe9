/* The configuration file (cws_config_load, inih with our line reader and
 * cws_config_set) with hostile contents. Properties: a file that fails to
 * load leaves exactly the compiled-in defaults (no fail mode from a file
 * that failed); one that loads gives bounded, NUL-terminated values. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "cws/config.h"
#include "harness.h"

static char path[PATH_MAX];
static cws_config defaults, cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        fuzz_path(path, sizeof(path), "cws.conf");
        cws_config_defaults(&defaults);
        return 0;
}

#define FITS(f) FUZZ_ASSERT(strnlen(cfg.f, sizeof(cfg.f)) < sizeof(cfg.f))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cws_error err = { 0 };
        int r;

        fuzz_write_file(path, data, size, 0644);
        memset(&cfg, 0x5a, sizeof(cfg));
        r = cws_config_load(&cfg, path, &err);
        if (r < 0) {
                FUZZ_ASSERT(err.code == r && err.msg[0]);
                FUZZ_ASSERT(memcmp(&cfg, &defaults, sizeof(cfg)) == 0);
                return 0;
        }
        FITS(registry_url);
        FITS(trusted_keys);
        FITS(s3_endpoint);
        FITS(s3_region);
        FITS(s3_credentials_file);
        FITS(s3_ca_file);
        FITS(s3_pinned_keys);
        FITS(socket_path);
        FITS(state_dir);
        FITS(gate_group);
        FUZZ_ASSERT(cfg.fail_mode == CWS_FAIL_CLOSED || cfg.fail_mode == CWS_FAIL_OPEN);
        FUZZ_ASSERT(cfg.default_min_type <= CWS_TYPE_ADMIN);
        FUZZ_ASSERT(cfg.n_services <= CWS_MAX_SERVICES);
        for (unsigned i = 0; i < cfg.n_services; i++) {
                FITS(services[i].service);
                FUZZ_ASSERT(cfg.services[i].service[0] != '\0');
                FUZZ_ASSERT(cws_config_min_type_for_service(&cfg, cfg.services[i].service) ==
                            cfg.services[i].min_type);
        }
        return 0;
}
