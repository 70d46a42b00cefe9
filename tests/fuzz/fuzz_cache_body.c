/* The cache body behind the MAC: the input is the body, the harness
 * appends a valid MAC line under the fixed host key (forge.h), so
 * cws_cache_load's parser sees hostile content that authenticates.
 * Properties: a body that loads survives store -> load unchanged, and the
 * offline decision on it is the same before and after, and never allows a
 * device or invitation it lists as revoked. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cache_load.h"
#include "forge.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        forge_check_cache();
        return 0;
}

static void same_decision(const cws_cache_entry *a, const cws_cache_entry *b)
{
        static const int64_t times[] = { 0, 1700000000, INT64_MAX };

        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
                for (int t = CWS_TYPE_NONE; t <= CWS_TYPE_ADMIN; t++) {
                        cws_reason wa, wb;
                        bool x = cws_cache_allows(a, (cws_inv_type)t, 86400, times[i], &wa);
                        bool y = cws_cache_allows(b, (cws_inv_type)t, 86400, times[i], &wb);

                        FUZZ_ASSERT(x == y && wa == wb);
                        if (x)
                                FUZZ_ASSERT(!cws_cache_is_revoked(a, a->device_id) &&
                                            !cws_cache_is_revoked(a, a->inv_id));
                }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cws_cache_entry e, back;
        cws_error err = { 0 };
        size_t len = 0;
        char *file = forge_cache(data, size, &len);
        int r = cache_load_bytes(file, len, &e);

        free(file);
        if (r < 0)
                return 0;
        /* What loads, stores; and what was stored loads back the same. */
        FUZZ_ASSERT(cws_cache_store(cache_state_dir(), fuzz_host_key, &e, &err) == 0);
        FUZZ_ASSERT(cws_cache_load(cache_state_dir(), fuzz_host_key, FUZZ_UID, FUZZ_USER, &back,
                                   &err) == 0);
        FUZZ_ASSERT(back.validated_at == e.validated_at && back.type == e.type);
        FUZZ_ASSERT(strcmp(back.profile, e.profile) == 0 && strcmp(back.inv_id, e.inv_id) == 0 &&
                    strcmp(back.device_id, e.device_id) == 0);
        same_decision(&e, &back);
        return 0;
}
