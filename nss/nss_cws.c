/* libnss_cws.so.2: the invitation types as groups (cws-read_only,
 * cws-read_write, cws-admin), from the membership file cwsd keeps under
 * /run/cws. It runs inside every process that looks a group up, so it
 * opens no socket, starts no thread, reads a bounded file through a
 * fixed buffer, and allocates only the groups array glibc hands to
 * initgroups and a parsed copy of the file no larger than the file
 * (group_snapshot.c). It checks the file on every call and parses it
 * again only when it has changed. Its state (getgrent's position, the
 * copy) is under mutexes. A missing, unsafe or malformed file is
 * NSS_STATUS_UNAVAIL: the next source decides. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "group_snapshot.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT enum nss_status _nss_cws_getgrnam_r(const char *name, struct group *grp, char *buf,
                                           size_t buflen, int *errnop);
EXPORT enum nss_status _nss_cws_getgrgid_r(gid_t gid, struct group *grp, char *buf,
                                           size_t buflen, int *errnop);
EXPORT enum nss_status _nss_cws_setgrent(int stayopen);
EXPORT enum nss_status _nss_cws_getgrent_r(struct group *grp, char *buf, size_t buflen,
                                           int *errnop);
EXPORT enum nss_status _nss_cws_endgrent(void);
EXPORT enum nss_status _nss_cws_initgroups_dyn(const char *user, gid_t skip, long int *start,
                                               long int *size, gid_t **groupsp, long int limit,
                                               int *errnop);

/* struct group in the caller's buffer: strings from the end down,
 * the member pointers from the (aligned) start up. */
typedef struct filler {
        struct group *grp;
        char *buf;
        size_t ptrs;            /* offset of the pointer array */
        size_t n;               /* members so far */
        size_t top;             /* strings live in [top, buflen) */
} filler;

static int fill_string(filler *f, const char *s, char **out)
{
        size_t len = strlen(s) + 1;
        size_t need = f->ptrs + (f->n + 1) * sizeof(char *);

        if (f->top < need || f->top - need < len)
                return -ERANGE;
        f->top -= len;
        memcpy(f->buf + f->top, s, len);
        *out = f->buf + f->top;
        return 0;
}

static int fill_init(filler *f, struct group *grp, char *buf, size_t buflen)
{
        size_t pad = (alignof(char *) - (uintptr_t)buf % alignof(char *)) % alignof(char *);

        *f = (filler){ .grp = grp, .buf = buf, .ptrs = pad, .top = buflen };
        return pad + sizeof(char *) <= buflen ? 0 : -ERANGE;
}

static int fill_member(filler *f, const char *user)
{
        char *s, **mem;

        /* Room for this pointer and the final NULL besides the string. */
        if (f->top < f->ptrs + (f->n + 2) * sizeof(char *))
                return -ERANGE;
        f->n++;
        if (fill_string(f, user, &s) < 0)
                return -ERANGE;
        mem = (char **)(void *)(f->buf + f->ptrs);
        mem[f->n - 1] = s;
        return 0;
}

static void fill_done(filler *f)
{
        char **mem = (char **)(void *)(f->buf + f->ptrs);

        mem[f->n] = NULL;
        f->grp->gr_mem = mem;
}

/* One group by level or by gid. */
typedef struct lookup {
        unsigned want_level;    /* 0: by gid */
        gid_t want_gid;
        unsigned level;         /* found: its level, else 0 */
        int64_t now;
        filler f;
} lookup;

static int on_lookup(void *ctx, const cws_gf_entry *e)
{
        lookup *q = ctx;
        int r;

        if (e->kind == CWS_GF_GROUP) {
                if (q->level || (q->want_level ? e->level != q->want_level : e->gid != q->want_gid))
                        return 0;
                q->level = e->level;
                q->f.grp->gr_gid = e->gid;
                r = fill_string(&q->f, e->name, &q->f.grp->gr_name);
                return r < 0 ? r : fill_string(&q->f, "*", &q->f.grp->gr_passwd);
        }
        if (!q->level || e->level < q->level || e->until <= q->now)
                return 0;
        return fill_member(&q->f, e->name);
}

static enum nss_status status_of(int r, int *errnop)
{
        if (r == -ERANGE) {
                *errnop = ERANGE;
                return NSS_STATUS_TRYAGAIN;
        }
        *errnop = ENOENT;
        return NSS_STATUS_UNAVAIL;
}

/* Every entry of the membership file through fn (checked on every call,
 * parsed when it has changed). */
static enum nss_status read_groups(cws_gf_fn fn, void *ctx, int *errnop)
{
        int r = cws_gs_read(CWS_NSS_GROUP_FILE, fn, ctx);

        return r < 0 ? status_of(r, errnop) : NSS_STATUS_SUCCESS;
}

static enum nss_status get_group(unsigned level, gid_t gid, struct group *grp, char *buf,
                                 size_t buflen, int *errnop)
{
        lookup q = { .want_level = level, .want_gid = gid, .now = (int64_t)time(NULL) };
        enum nss_status s;

        if (fill_init(&q.f, grp, buf, buflen) < 0)
                return status_of(-ERANGE, errnop);
        s = read_groups(on_lookup, &q, errnop);
        if (s != NSS_STATUS_SUCCESS)
                return s;
        if (!q.level) {
                *errnop = ENOENT;
                return NSS_STATUS_NOTFOUND;
        }
        fill_done(&q.f);
        return NSS_STATUS_SUCCESS;
}

static unsigned level_of_group(const char *name)
{
        for (unsigned l = 1; name && l <= CWS_NSS_LEVELS; l++)
                if (strcmp(name, cws_nss_group_name(l)) == 0)
                        return l;
        return 0;
}

enum nss_status _nss_cws_getgrnam_r(const char *name, struct group *grp, char *buf,
                                    size_t buflen, int *errnop)
{
        unsigned level = level_of_group(name);

        /* Any other name is not ours: no file to read. */
        if (!level) {
                *errnop = ENOENT;
                return NSS_STATUS_NOTFOUND;
        }
        return get_group(level, 0, grp, buf, buflen, errnop);
}

enum nss_status _nss_cws_getgrgid_r(gid_t gid, struct group *grp, char *buf, size_t buflen,
                                    int *errnop)
{
        return get_group(0, gid, grp, buf, buflen, errnop);
}

static pthread_mutex_t ent_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned ent_next = 1;   /* the level getgrent_r returns next */

enum nss_status _nss_cws_setgrent(int stayopen)
{
        (void)stayopen;
        pthread_mutex_lock(&ent_lock);
        ent_next = 1;
        pthread_mutex_unlock(&ent_lock);
        return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_cws_endgrent(void)
{
        return _nss_cws_setgrent(0);
}

/* A too-small buffer leaves the position where it was: glibc calls
 * again with a larger one for the same entry. */
enum nss_status _nss_cws_getgrent_r(struct group *grp, char *buf, size_t buflen, int *errnop)
{
        enum nss_status s = NSS_STATUS_NOTFOUND;

        pthread_mutex_lock(&ent_lock);
        *errnop = ENOENT;
        for (; ent_next <= CWS_NSS_LEVELS; ent_next++) {
                s = get_group(ent_next, 0, grp, buf, buflen, errnop);
                if (s != NSS_STATUS_NOTFOUND)
                        break;
        }
        if (s == NSS_STATUS_SUCCESS)
                ent_next++;
        pthread_mutex_unlock(&ent_lock);
        return s;
}

typedef struct user_groups {
        const char *user;
        unsigned level;         /* the user's highest type, 0 when not a member */
        int64_t now;
        gid_t gids[CWS_NSS_LEVELS + 1];
        unsigned present;       /* bit per level served */
} user_groups;

static int on_user(void *ctx, const cws_gf_entry *e)
{
        user_groups *u = ctx;

        if (e->kind == CWS_GF_GROUP) {
                u->gids[e->level] = e->gid;
                u->present |= 1u << e->level;
        } else if (e->level > u->level && e->until > u->now && strcmp(e->name, u->user) == 0) {
                u->level = e->level;
        }
        return 0;
}

static bool has_gid(const gid_t *v, long int n, gid_t g)
{
        for (long int i = 0; i < n; i++)
                if (v[i] == g)
                        return true;
        return false;
}

/* Appends g to glibc's array, growing it as nss_files does (doubling,
 * never past limit when there is one). */
static int add_gid(gid_t g, long int *start, long int *size, gid_t **groupsp, long int limit)
{
        if (*start == *size) {
                long int want = *size > 0 ? 2 * *size : CWS_NSS_LEVELS;
                gid_t *v;

                if (limit > 0 && *size >= limit)
                        return 0;       /* full: the caller asked for no more */
                if (limit > 0 && want > limit)
                        want = limit;
                v = realloc(*groupsp, (size_t)want * sizeof(gid_t));
                if (!v)
                        return -ENOMEM;
                *groupsp = v;
                *size = want;
        }
        (*groupsp)[(*start)++] = g;
        return 0;
}

enum nss_status _nss_cws_initgroups_dyn(const char *user, gid_t skip, long int *start,
                                        long int *size, gid_t **groupsp, long int limit,
                                        int *errnop)
{
        user_groups u = { .user = user, .now = (int64_t)time(NULL) };
        enum nss_status s;

        if (!user || !cws_gf_user_valid(user, strlen(user))) {
                *errnop = ENOENT;
                return NSS_STATUS_NOTFOUND;
        }
        s = read_groups(on_user, &u, errnop);
        if (s != NSS_STATUS_SUCCESS)
                return s;
        if (!u.level) {
                *errnop = ENOENT;
                return NSS_STATUS_NOTFOUND;
        }
        for (unsigned l = 1; l <= u.level; l++) {
                gid_t g = u.gids[l];

                if (!(u.present & (1u << l)) || g == skip || has_gid(*groupsp, *start, g))
                        continue;
                if (add_gid(g, start, size, groupsp, limit) < 0) {
                        *errnop = ENOMEM;
                        return NSS_STATUS_TRYAGAIN;
                }
        }
        return NSS_STATUS_SUCCESS;
}
