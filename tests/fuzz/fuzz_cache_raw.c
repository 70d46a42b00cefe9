/* The offline cache file as raw bytes: whatever is in state_dir/cache/<uid>
 * (a torn write, a copy from elsewhere, an edit). Almost everything stops
 * at the MAC; the format checks before it are what this reaches. */
#include "cache_load.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        (void)cache_state_dir();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cws_cache_entry e;

        (void)cache_load_bytes(data, size, &e);
        return 0;
}
