/* The membership file reader of libnss_cws.so.2 (nss/group_parse.c), fed
 * whatever a file could hold. Properties: the result is 0, -EBADMSG or
 * -EFBIG; every entry handed out has a level 1..3, a name the module
 * would serve (one of the three groups, or a valid user) and a gid that
 * is neither 0 nor (gid_t)-1; reading in two pieces, cut anywhere,
 * gives the same result and the same entries as reading it whole; and
 * the module's parsed copy (nss/group_snapshot.c) gives the same result,
 * then the same entries in the same order, in no more bytes than the
 * input. */
#include <errno.h>
#include <string.h>
#include "../../nss/group_snapshot.h"
#include "harness.h"

typedef struct tally {
        unsigned entries;
        uint64_t sum;           /* of gids, levels, names and untils, in order */
} tally;

static int check_entry(void *ctx, const cws_gf_entry *e)
{
        tally *t = ctx;
        size_t n = strlen(e->name);

        FUZZ_ASSERT(e->level >= 1 && e->level <= CWS_NSS_LEVELS);
        if (e->kind == CWS_GF_GROUP) {
                FUZZ_ASSERT(strcmp(e->name, cws_nss_group_name(e->level)) == 0);
                FUZZ_ASSERT(e->gid != 0 && e->gid != UINT32_MAX);
        } else {
                FUZZ_ASSERT(cws_gf_user_valid(e->name, n));
                FUZZ_ASSERT(e->until >= 0);
        }
        t->entries++;
        t->sum = t->sum * 1000003u + e->gid + e->level + n + (uint64_t)e->until;
        for (size_t i = 0; i < n; i++)
                t->sum = t->sum * 31u + (unsigned char)e->name[i];
        return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        tally whole = { 0 }, split = { 0 };
        cws_gf_parser p;
        size_t cut = size ? data[0] % (size + 1) : 0;
        int r, r2;

        r = cws_gf_parse_buffer(text, size, check_entry, &whole);
        FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EFBIG);
        cws_gf_init(&p, check_entry, &split);
        r2 = cws_gf_feed(&p, text, cut);
        if (r2 == 0)
                r2 = cws_gf_feed(&p, text + cut, size - cut);
        if (r2 == 0)
                r2 = cws_gf_finish(&p);
        FUZZ_ASSERT(r2 == r);
        FUZZ_ASSERT(split.entries == whole.entries && split.sum == whole.sum);

        tally replayed = { 0 };
        cws_gs_snapshot *snap = NULL;

        r2 = cws_gs_build_buffer(text, size, &snap);
        FUZZ_ASSERT(r2 == r || r2 == -ENOMEM);
        if (r2 == 0) {
                FUZZ_ASSERT(cws_gs_size(snap) <= size + 256);
                FUZZ_ASSERT(cws_gs_replay(snap, check_entry, &replayed) == 0);
                FUZZ_ASSERT(replayed.entries == whole.entries && replayed.sum == whole.sum);
                cws_gs_free(snap);
        }
        return 0;
}
