/* cwsd's copy in memory of the users' validation caches (cache_memo.h):
 * one slot per uid modulo the table's size, a newer user overwriting. */
#include <string.h>
#include "cws/cache_memo.h"

bool cws_cache_memo_get(const cws_cache_memo *m, uid_t uid, const char *user, cws_cache_entry *e)
{
        const typeof(m->slot[0]) *s = &m->slot[uid % CWS_CACHE_MEMO_SLOTS];

        if (!s->used || s->generation != cws_cache_generation() || s->e.uid != uid ||
            strcmp(s->e.user, user) != 0)
                return false;
        *e = s->e;
        return true;
}

void cws_cache_memo_put(cws_cache_memo *m, const cws_cache_entry *e, uint64_t generation)
{
        typeof(m->slot[0]) *s = &m->slot[e->uid % CWS_CACHE_MEMO_SLOTS];

        /* A version-1 cache still holding revoked ids is left to the disk
         * until cwsd has moved them (decide.c). */
        if (e->n_legacy_revoked) {
                s->used = false;
                return;
        }
        s->used = true;
        s->generation = generation;
        s->e = *e;
}
