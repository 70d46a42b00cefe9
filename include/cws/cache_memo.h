/* cwsd's copy in memory of the users' validation caches, so that a
 * validation the cache answers does not read and authenticate
 * state_dir/cache/<uid> again. cwsd is the only writer of those files
 * and every write bumps cws_cache_generation(), which drops every copy:
 * a copy is used only while nothing has been stored since it was read.
 * Only what the cache file holds is kept; the seen revocations are still
 * looked up on disk for every answer. One thread (cwsd's event loop). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/cache.h"

#define CWS_CACHE_MEMO_SLOTS 64

typedef struct cws_cache_memo {
        struct {
                bool used;
                uint64_t generation;    /* cws_cache_generation() before it was read */
                cws_cache_entry e;
        } slot[CWS_CACHE_MEMO_SLOTS];
} cws_cache_memo;

/* The current copy of (uid, user)'s cache into *e: true, or false when
 * there is none (read it from disk, then cws_cache_memo_put). */
bool cws_cache_memo_get(const cws_cache_memo *m, uid_t uid, const char *user, cws_cache_entry *e);

/* Keeps e, read from disk while cws_cache_generation() read generation. */
void cws_cache_memo_put(cws_cache_memo *m, const cws_cache_entry *e, uint64_t generation);
