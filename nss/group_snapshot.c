#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cws/file_stamp.h"
#include "group_snapshot.h"

/* A member record: level, name length, until (host order), the name and
 * its NUL: 11 bytes plus the name, where its line takes at least 16
 * ("member " N " admin 0\n"). */
#define REC_HEAD (2 + sizeof(int64_t))

struct cws_gs_snapshot {
        unsigned n_groups;
        struct { unsigned level; uint32_t gid; } groups[CWS_NSS_LEVELS];
        size_t used, cap;
        char *pool;             /* the member records, back to back */
};

static int grow(cws_gs_snapshot *s, size_t need)
{
        size_t cap = s->cap ? s->cap : 256;
        char *p;

        while (cap - s->used < need)
                cap *= 2;
        p = realloc(s->pool, cap);
        if (!p)
                return -ENOMEM;
        s->pool = p;
        s->cap = cap;
        return 0;
}

static int on_build(void *ctx, const cws_gf_entry *e)
{
        cws_gs_snapshot *s = ctx;
        size_t len = strlen(e->name);
        char *rec;

        if (e->kind == CWS_GF_GROUP) {
                /* The parser allows one line per level. */
                if (s->n_groups == CWS_NSS_LEVELS)
                        return -EBADMSG;
                s->groups[s->n_groups].level = e->level;
                s->groups[s->n_groups++].gid = e->gid;
                return 0;
        }
        if (len >= CWS_NSS_USER_MAX)
                return -EBADMSG;
        if (REC_HEAD + len + 1 > s->cap - s->used && grow(s, REC_HEAD + len + 1) < 0)
                return -ENOMEM;
        rec = s->pool + s->used;
        rec[0] = (char)e->level;
        rec[1] = (char)len;
        memcpy(rec + 2, &e->until, sizeof(e->until));
        memcpy(rec + REC_HEAD, e->name, len + 1);
        s->used += REC_HEAD + len + 1;
        return 0;
}

static int build(const char *data, size_t n, int fd, size_t size, cws_gs_snapshot **out)
{
        cws_gs_snapshot *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        if (size > 0 && grow(s, size < CWS_NSS_FILE_MAX ? size : CWS_NSS_FILE_MAX) < 0) {
                cws_gs_free(s);
                return -ENOMEM;
        }
        r = data ? cws_gf_parse_buffer(data, n, on_build, s) : cws_gf_parse_fd(fd, on_build, s);
        if (r < 0) {
                cws_gs_free(s);
                return r;
        }
        /* The hint counted comments and line overhead too. */
        if (s->used == 0) {
                free(s->pool);
                s->pool = NULL;
                s->cap = 0;
        } else if (s->used < s->cap) {
                char *p = realloc(s->pool, s->used);

                if (p) {
                        s->pool = p;
                        s->cap = s->used;
                }
        }
        *out = s;
        return 0;
}

int cws_gs_build_fd(int fd, size_t size, cws_gs_snapshot **out)
{
        return build(NULL, 0, fd, size, out);
}

int cws_gs_build_buffer(const char *data, size_t n, cws_gs_snapshot **out)
{
        return build(data, n, -1, n, out);
}

int cws_gs_replay(const cws_gs_snapshot *s, cws_gf_fn fn, void *ctx)
{
        cws_gf_entry e = { .kind = CWS_GF_GROUP };
        int r;

        for (unsigned i = 0; i < s->n_groups; i++) {
                e.level = s->groups[i].level;
                e.gid = s->groups[i].gid;
                e.name = cws_nss_group_name(e.level);
                r = fn(ctx, &e);
                if (r < 0)
                        return r;
        }
        e = (cws_gf_entry){ .kind = CWS_GF_MEMBER };
        for (size_t off = 0; off < s->used;) {
                const char *rec = s->pool + off;

                e.level = (unsigned char)rec[0];
                memcpy(&e.until, rec + 2, sizeof(e.until));
                e.name = rec + REC_HEAD;
                off += REC_HEAD + (unsigned char)rec[1] + 1;
                r = fn(ctx, &e);
                if (r < 0)
                        return r;
        }
        return 0;
}

size_t cws_gs_size(const cws_gs_snapshot *s)
{
        return sizeof(*s) + s->cap;
}

void cws_gs_free(cws_gs_snapshot *s)
{
        if (!s)
                return;
        free(s->pool);
        free(s);
}

/* The process's snapshot, and the file it was taken of (cws/file_stamp.h:
 * a file changed in the last CWS_FILE_SETTLE_S seconds might be changed
 * again without its times moving; its snapshot answers this call only). */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        cws_gs_snapshot *snap;
        bool reusable;
        cws_file_stamp stamp;
} cache;

static bool cache_matches(const struct stat *st)
{
        return cache.snap && cache.reusable && cws_file_stamp_same(&cache.stamp, st);
}

/* Under cache_lock: the snapshot of the open file fd. */
static int cache_refresh(int fd, const struct stat *st)
{
        cws_gs_snapshot *s = NULL;
        bool reusable;
        int r;

        if (cache_matches(st))
                return 0;
        /* Before the read: a write during it makes the file unsettled. */
        reusable = cws_file_settled(st);
        cws_gs_free(cache.snap);
        cache.snap = NULL;
        r = cws_gs_build_fd(fd, (size_t)st->st_size, &s);
        if (r < 0)
                return r;
        cache.snap = s;
        cache.reusable = reusable;
        cws_file_stamp_of(&cache.stamp, st);
        return 0;
}

/* Without the snapshot: the file read through fn from its start. */
static int read_through(int fd, cws_gf_fn fn, void *ctx)
{
        if (lseek(fd, 0, SEEK_SET) != 0)
                return -EIO;
        return cws_gf_parse_fd(fd, fn, ctx);
}

int cws_gs_read(const char *path, cws_gf_fn fn, void *ctx)
{
        struct stat st;
        int fd = cws_gf_open(path, &st), r;

        if (fd < 0)
                return fd;
        /* Never wait: a thread that finds another one here (or a child
         * forked while one was) reads the file itself, as before. */
        if (pthread_mutex_trylock(&cache_lock) != 0) {
                r = read_through(fd, fn, ctx);
                close(fd);
                return r;
        }
        r = cache_refresh(fd, &st);
        if (r == 0)
                r = cws_gs_replay(cache.snap, fn, ctx);
        else if (r == -ENOMEM)
                r = read_through(fd, fn, ctx);
        pthread_mutex_unlock(&cache_lock);
        close(fd);
        return r;
}

/* dlclose (or glibc's freeres at exit) leaves nothing behind. */
__attribute__((destructor)) static void cache_drop(void)
{
        cws_gs_free(cache.snap);
        cache.snap = NULL;
}
