/* What a process keeps of a file it read, to tell at a later call whether
 * the file changed since (libnss_cws.so.2's group snapshot, pam_cws.so's
 * config): its fstat's device, inode, mode, owner, size, mtime and ctime
 * against a stat now — a write, chmod, chown, new link or rename over it
 * each change one. A file changed less than CWS_FILE_SETTLE_S before it
 * was read is not to be kept: file times move in clock ticks (a second on
 * some file systems), so a second write in the tick of the read could
 * leave them all as they were (git's "racily clean" index). Header only:
 * the NSS module links nothing of libcws. */
#pragma once
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#define CWS_FILE_SETTLE_S 2

typedef struct cws_file_stamp {
        dev_t dev;
        ino_t ino;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        struct timespec mtim, ctim;
} cws_file_stamp;

static inline void cws_file_stamp_of(cws_file_stamp *s, const struct stat *st)
{
        *s = (cws_file_stamp){ .dev = st->st_dev, .ino = st->st_ino, .mode = st->st_mode,
                               .uid = st->st_uid, .gid = st->st_gid, .size = st->st_size,
                               .mtim = st->st_mtim, .ctim = st->st_ctim };
}

static inline bool cws_file_time_same(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether st is the file s was taken of, unchanged. */
static inline bool cws_file_stamp_same(const cws_file_stamp *s, const struct stat *st)
{
        return s->dev == st->st_dev && s->ino == st->st_ino && s->mode == st->st_mode &&
               s->uid == st->st_uid && s->gid == st->st_gid && s->size == st->st_size &&
               cws_file_time_same(&s->mtim, &st->st_mtim) &&
               cws_file_time_same(&s->ctim, &st->st_ctim);
}

/* t is at least CWS_FILE_SETTLE_S before now (a clock set back: never). */
static inline bool cws_file_time_settled(const struct timespec *t, const struct timespec *now)
{
        time_t limit = now->tv_sec - CWS_FILE_SETTLE_S;

        return t->tv_sec < limit || (t->tv_sec == limit && t->tv_nsec <= now->tv_nsec);
}

/* Whether st's mtime and ctime are settled now (CLOCK_REALTIME, the file
 * times' clock); false when the clock cannot be read. */
static inline bool cws_file_settled(const struct stat *st)
{
        struct timespec now;

        if (clock_gettime(CLOCK_REALTIME, &now) < 0)
                return false;
        return cws_file_time_settled(&st->st_ctim, &now) && cws_file_time_settled(&st->st_mtim, &now);
}
