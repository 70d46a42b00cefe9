/* cws_config_set, the one setter behind the file and the module
 * arguments, with hostile section, key and value strings. The input is a
 * sequence of NUL-separated "section\0key\0value\0" triples applied to one
 * configuration. Properties: a refused setting leaves the configuration
 * byte for byte as it was and says why in a message without control
 * characters (hostile bytes are escaped); an accepted one is idempotent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/config.h"
#include "harness.h"

static cws_config cfg, before;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

static void set_one(const char *section, const char *key, const char *value)
{
        cws_error err = { 0 };
        uint32_t secs;
        int r;

        memcpy(&before, &cfg, sizeof(cfg));
        r = cws_config_set(&cfg, section[0] ? section : NULL, key, value, "fuzz", &err);
        if (r < 0) {
                FUZZ_ASSERT(r == -EINVAL && err.code == r && err.msg[0]);
                FUZZ_ASSERT(memcmp(&cfg, &before, sizeof(cfg)) == 0);
                for (const char *m = err.msg; *m; m++)
                        FUZZ_ASSERT((unsigned char)*m >= 0x20 && (unsigned char)*m != 0x7f);
        } else {
                FUZZ_ASSERT(r == 0);
                memcpy(&before, &cfg, sizeof(cfg));
                FUZZ_ASSERT(cws_config_set(&cfg, section, key, value, "fuzz", &err) == 0);
                FUZZ_ASSERT(memcmp(&cfg, &before, sizeof(cfg)) == 0);
        }
        (void)cws_config_min_type_for_service(&cfg, key);
        if (cws_parse_duration(value, &secs) == 0)
                FUZZ_ASSERT(value[0] >= '0' && value[0] <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        const char *section, *key, *value;

        cws_config_defaults(&cfg);
        while ((section = fuzz_next_field(&p, end)) && (key = fuzz_next_field(&p, end)) &&
               (value = fuzz_next_field(&p, end)))
                set_one(section, key, value);
        return 0;
}
