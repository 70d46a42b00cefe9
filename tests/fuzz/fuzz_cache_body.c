/* The cache body behind the MAC: the input is the body, the harness
 * appends a valid MAC line under the fixed host key (forge.h), so
 * cws_cache_load's parser sees hostile content that authenticates.
 * Properties: a body that loads survives store -> load unchanged, and the
 * offline decision on it is the same before and after, and never allows a
 * device or invitation it (a version-1 body) lists as revoked. */
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

static bool listed(const cws_cache_entry *e, const char *id)
{
        for (unsigned i = 0; id[0] && i < e->n_legacy_revoked; i++)
                if (strcmp(e->legacy_revoked[i], id) == 0)
                        return true;
        return false;
}

static void same_decision(const cws_cache_entry *a, const cws_cache_entry *b)
{
        static const int64_t times[] = { 0, INT64_C(1700000000000000), INT64_MAX };

        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
                for (int t = CWS_TYPE_NONE; t <= CWS_TYPE_ADMIN; t++) {
                        cws_reason wa, wb;
                        bool x = cws_cache_allows(a, cache_state_dir(), (cws_inv_type)t, 86400,
                                                  times[i], &wa);
                        bool y = cws_cache_allows(b, cache_state_dir(), (cws_inv_type)t, 86400,
                                                  times[i], &wb);

                        FUZZ_ASSERT(x == y && wa == wb);
                        if (x)
                                FUZZ_ASSERT(!listed(a, a->device_id) && !listed(a, a->inv_id));
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
        /* What loads, stores; and what was stored loads back the same
         * (a version-1 body's revoked ids are cwsd's to move: the store
         * writes version 2 without them, so compare decisions first). */
        same_decision(&e, &e);
        FUZZ_ASSERT(cws_cache_store(cache_state_dir(), fuzz_host_key, &e, &err) == 0);
        FUZZ_ASSERT(cws_cache_load(cache_state_dir(), fuzz_host_key, FUZZ_UID, FUZZ_USER, &back,
                                   &err) == 0);
        FUZZ_ASSERT(back.validated_us == e.validated_us && back.type == e.type);
        FUZZ_ASSERT(back.n_legacy_revoked == 0);
        e.n_legacy_revoked = 0;
        memset(e.legacy_revoked, 0, sizeof(e.legacy_revoked));
        FUZZ_ASSERT(strcmp(back.profile, e.profile) == 0 && strcmp(back.inv_id, e.inv_id) == 0 &&
                    strcmp(back.device_id, e.device_id) == 0);
        same_decision(&e, &back);
        return 0;
}
