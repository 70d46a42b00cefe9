#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cws/name_rule.h"
#include "group_parse.h"

/* The last directory may belong to a system account (Debian: 100-999). */
#define SYSTEM_UID_MAX 999u

bool cws_gf_user_valid(const char *s, size_t n)
{
        return n < CWS_NSS_USER_MAX && cws_name_rule(s, n);
}

/* 1 to 12 decimal digits, no sign or space, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;
        size_t n = 0;

        for (; s[n]; n++) {
                if (s[n] < '0' || s[n] > '9' || n == 12)
                        return -EBADMSG;
                v = v * 10 + (uint64_t)(s[n] - '0');
        }
        if (n == 0 || v > max)
                return -EBADMSG;
        *out = v;
        return 0;
}

static unsigned level_of(const char *s, const char *(*name)(unsigned))
{
        for (unsigned l = 1; l <= CWS_NSS_LEVELS; l++)
                if (strcmp(s, name(l)) == 0)
                        return l;
        return 0;
}

/* Splits line at single spaces into exactly n fields. */
static bool split(char *line, char **f, unsigned n)
{
        unsigned k = 0;

        f[k++] = line;
        for (char *p = line; *p; p++) {
                if (*p != ' ')
                        continue;
                if (k == n)
                        return false;
                *p = '\0';
                f[k++] = p + 1;
        }
        for (unsigned i = 0; i < k; i++)
                if (!*f[i])
                        return false;
        return k == n;
}

static int group_line(cws_gf_parser *p, char *rest)
{
        char *f[2];
        uint64_t gid;
        unsigned level;
        cws_gf_entry e = { .kind = CWS_GF_GROUP };

        if (p->members || !split(rest, f, 2))
                return -EBADMSG;
        level = level_of(f[0], cws_nss_group_name);
        if (!level || (p->levels & (1u << level)) || parse_u64(f[1], UINT32_MAX - 1, &gid) < 0 ||
            gid == 0)
                return -EBADMSG;
        for (unsigned l = 1; l <= CWS_NSS_LEVELS; l++)
                if ((p->levels & (1u << l)) && p->gids[l] == gid)
                        return -EBADMSG;
        p->levels |= 1u << level;
        p->gids[level] = (uint32_t)gid;
        e.level = level;
        e.name = f[0];
        e.gid = (uint32_t)gid;
        return p->fn(p->ctx, &e);
}

static int member_line(cws_gf_parser *p, char *rest)
{
        char *f[3];
        uint64_t until;
        cws_gf_entry e = { .kind = CWS_GF_MEMBER };

        p->members = true;
        if (!split(rest, f, 3) || !cws_gf_user_valid(f[0], strlen(f[0])))
                return -EBADMSG;
        e.level = level_of(f[1], cws_nss_type_name);
        if (!e.level || parse_u64(f[2], INT64_MAX, &until) < 0)
                return -EBADMSG;
        e.name = f[0];
        e.until = (int64_t)until;
        return p->fn(p->ctx, &e);
}

static int parse_line(cws_gf_parser *p)
{
        char *line = p->line;

        line[p->len] = '\0';
        if (memchr(line, '\0', p->len))
                return -EBADMSG;
        if (p->len == 0 || line[0] == '#')
                return 0;
        if (!p->header) {
                if (strcmp(line, CWS_NSS_MAGIC) != 0)
                        return -EBADMSG;
                p->header = true;
                return 0;
        }
        if (strncmp(line, "group ", 6) == 0)
                return group_line(p, line + 6);
        if (strncmp(line, "member ", 7) == 0)
                return member_line(p, line + 7);
        return -EBADMSG;
}

void cws_gf_init(cws_gf_parser *p, cws_gf_fn fn, void *ctx)
{
        memset(p, 0, sizeof(*p));
        p->fn = fn;
        p->ctx = ctx;
}

int cws_gf_feed(cws_gf_parser *p, const char *data, size_t n)
{
        if (n > CWS_NSS_FILE_MAX - p->total)
                return -EFBIG;
        p->total += n;
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t k = nl ? (size_t)(nl - data) : n;
                int r;

                /* The line and its NUL must fit. */
                if (k >= sizeof(p->line) - p->len)
                        return -EBADMSG;
                memcpy(p->line + p->len, data, k);
                p->len += k;
                if (!nl)
                        return 0;
                r = parse_line(p);
                if (r < 0)
                        return r;
                p->len = 0;
                data += k + 1;
                n -= k + 1;
        }
        return 0;
}

int cws_gf_finish(const cws_gf_parser *p)
{
        return p->header && p->len == 0 ? 0 : -EBADMSG;
}

int cws_gf_parse_buffer(const char *data, size_t n, cws_gf_fn fn, void *ctx)
{
        cws_gf_parser p;
        int r;

        cws_gf_init(&p, fn, ctx);
        r = cws_gf_feed(&p, data, n);
        return r < 0 ? r : cws_gf_finish(&p);
}

int cws_gf_parse_fd(int fd, cws_gf_fn fn, void *ctx)
{
        cws_gf_parser p;
        char buf[4096];

        cws_gf_init(&p, fn, ctx);
        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));
                int r;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -EIO;
                if (k == 0)
                        return cws_gf_finish(&p);
                r = cws_gf_feed(&p, buf, (size_t)k);
                if (r < 0)
                        return r;
        }
}

static bool writable_by_others(const struct stat *st)
{
        return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* Opens one component below dirfd (a directory, or the file when last). */
static int open_below(int dirfd, const char *name, bool last, uid_t dir_owner, bool holder,
                      struct stat *st)
{
        int flags = last ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH | O_DIRECTORY;
        int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
        bool ok;

        if (fd < 0)
                return errno == ENOENT ? -ENOENT : errno == ELOOP || errno == ENOTDIR ? -ELOOP : -EPERM;
        if (fstat(fd, st) < 0) {
                close(fd);
                return -EPERM;
        }
        if (last)
                ok = S_ISREG(st->st_mode) && (st->st_uid == 0 || st->st_uid == dir_owner);
        else
                ok = S_ISDIR(st->st_mode) &&
                     (st->st_uid == 0 || (holder && st->st_uid <= SYSTEM_UID_MAX));
        if (!ok || writable_by_others(st)) {
                close(fd);
                return -EPERM;
        }
        if (last && st->st_size > (off_t)CWS_NSS_FILE_MAX) {
                close(fd);
                return -EFBIG;
        }
        return fd;
}

static bool dot_or_dotdot(const char *s, size_t n)
{
        return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int cws_gf_open(const char *path, struct stat *st_out)
{
        char name[NAME_MAX + 1];
        struct stat st;
        const char *p;
        int dirfd, fd;

        if (!path || path[0] != '/' || path[strlen(path) - 1] == '/')
                return -EINVAL;
        dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -EPERM;
        if (fstat(dirfd, &st) < 0 || st.st_uid != 0 || writable_by_others(&st)) {
                close(dirfd);
                return -EPERM;
        }
        for (p = path + 1;; p++) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                bool last = *end == '\0';
                /* The directory that holds the file: the next one is last. */
                bool holder = !last && strchr(end + 1, '/') == NULL;

                if (n == 0 || n > NAME_MAX || dot_or_dotdot(p, n)) {
                        close(dirfd);
                        return -EINVAL;
                }
                memcpy(name, p, n);
                name[n] = '\0';
                fd = open_below(dirfd, name, last, st.st_uid, holder, &st);
                close(dirfd);
                if (fd >= 0 && last)
                        *st_out = st;
                if (fd < 0 || last)
                        return fd;
                dirfd = fd;
                p = end;
        }
}
