/* The part the two cache harnesses share: put bytes where cws_cache_load
 * looks for FUZZ_UID's cache (a 0600 file in a scratch state directory),
 * load it, and check what a load promises. */
#pragma once
#include <stddef.h>
#include "cws/cache.h"

/* Returns cws_cache_load's result; e holds what it loaded. */
int cache_load_bytes(const void *data, size_t len, cws_cache_entry *e);
/* The scratch state directory. */
const char *cache_state_dir(void);
