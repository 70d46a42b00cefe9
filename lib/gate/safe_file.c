/* Paranoid file handling after OpenSSH and pam-u2f: open once with
 * O_NOFOLLOW, then judge the descriptor, never the path. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/safe_file.h"

#define CWS_SYSTEM_USER "cws"

bool cws_owner_trusted(uid_t uid)
{
        struct passwd pw, *res = NULL;
        char buf[1024];

        if (uid == 0 || uid == geteuid())
                return true;
        if (getpwnam_r(CWS_SYSTEM_USER, &pw, buf, sizeof(buf), &res) == 0 && res)
                return res->pw_uid == uid;
        return false;
}

static int check_stat(const struct stat *st, const char *path, unsigned flags, bool dir,
                      cws_error *err)
{
        if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
                return cws_error_set(err, -EPERM, "%s: refused, not a %s", path,
                                     dir ? "directory" : "regular file");
        if (!cws_owner_trusted(st->st_uid))
                return cws_error_set(err, -EPERM,
                                     "%s: refused, owned by uid %u (must be root or cws; "
                                     "chown it)", path, (unsigned)st->st_uid);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return cws_error_set(err, -EPERM,
                                     "%s: refused, mode %04o is group/other writable "
                                     "(chmod go-w)", path, (unsigned)(st->st_mode & 07777));
        if ((flags & CWS_FILE_SECRET) && (st->st_mode & (S_IRWXG | S_IRWXO)))
                return cws_error_set(err, -EPERM,
                                     "%s: refused, secret file has mode %04o (chmod 600)", path,
                                     (unsigned)(st->st_mode & 07777));
        return 0;
}

/* Policy on sticky directories. OpenSSH's safe_path refuses any directory
 * on the way that others can write. What others must not do is rename or
 * replace a component we walk through; in a sticky directory only the owner
 * of an entry (or of the directory) may rename or remove it, so a sticky
 * /tmp owned by root is safe to pass through when the next component is
 * itself owned by root/cws, which the walk checks. It is refused as the
 * directory holding a file (holder): there others can still put a hard link
 * to another root-owned file under the name we open. A directory cannot be
 * hard linked and is itself checked, so a sticky holder is fine for it. */
static int check_parent(const struct stat *st, const char *dir, const char *path, bool holder,
                        cws_error *err)
{
        if (!S_ISDIR(st->st_mode))
                return cws_error_set(err, -ENOTDIR, "%s: refused, not a directory (parent of %s)",
                                     dir, path);
        if (!cws_owner_trusted(st->st_uid))
                return cws_error_set(err, -EPERM,
                                     "%s: owned by uid %u (parent of %s); must be root or cws, "
                                     "fix with chown root %s", dir, (unsigned)st->st_uid, path,
                                     dir);
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) && (holder || !(st->st_mode & S_ISVTX)))
                return cws_error_set(err, -EPERM,
                                     "%s: writable by group/others (parent of %s); fix with "
                                     "chmod go-w %s", dir, path, dir);
        return 0;
}

/* Appends name to the real path walked so far, or drops its last part for "..". */
static int real_step(char *real, size_t sz, const char *name)
{
        size_t n = strlen(real);

        if (strcmp(name, "..") == 0) {
                char *slash = strrchr(real, '/');
                if (slash)
                        slash[slash == real ? 1 : 0] = '\0';
                return 0;
        }
        if (n + 1 + strlen(name) >= sz)
                return -ENAMETOOLONG;
        snprintf(real + n, sz - n, "%s%s", n > 1 ? "/" : "", name);
        return 0;
}

#define WALK_MAX_SYMLINKS 40

/* The walk behind cws_path_parents_safe: every directory from / to the one
 * holding path's last component is opened O_PATH|O_NOFOLLOW from the one
 * before and judged by fstat, so what is judged is what is walked; symlinks
 * on the way are read from their descriptor and walked in turn. Returns that
 * last directory's descriptor and the last component's name. */
static int walk_parents(const char *path, bool for_file, int *dirfd, char *last, size_t lastsz,
                        cws_error *err)
{
        char todo[PATH_MAX], real[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
        _cleanup_close_ int cur = -1;
        struct stat st = { 0 };
        unsigned links = 0;
        char *p;
        int r;

        if (!path || !path[0])
                return cws_error_set(err, -EINVAL, "empty path");
        if (path[0] == '/')
                r = snprintf(todo, sizeof(todo), "%s", path);
        else if (getcwd(next, sizeof(next)))
                r = snprintf(todo, sizeof(todo), "%s/%s", next, path);
        else
                return cws_error_set(err, -errno, "%s: cannot find the current directory: %s",
                                     path, strerror(errno));
        if (r < 0 || (size_t)r >= sizeof(todo))
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
        p = todo;
        for (;;) {
                char *name, *rest;
                size_t len;
                _cleanup_close_ int fd = -1;

                if (*p == '/') {
                        closep(&cur);
                        cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (cur < 0 || fstat(cur, &st) < 0)
                                return cws_error_set(err, -errno, "/: cannot open: %s",
                                                     strerror(errno));
                        strcpy(real, "/");
                        r = check_parent(&st, real, path, false, err);
                        if (r < 0)
                                return r;
                        while (*p == '/')
                                p++;
                }
                name = p;
                len = strcspn(p, "/");
                for (rest = p + len; *rest == '/'; rest++)
                        ;
                if (!*rest)
                        break;
                name[len] = '\0';
                p = rest;
                if (strcmp(name, ".") == 0)
                        continue;
                fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0) {
                        int e = errno;
                        real_step(real, sizeof(real), name);
                        return cws_error_set(err, -e, "%s: cannot open: %s (parent of %s)", real,
                                             strerror(e), path);
                }
                if (S_ISLNK(st.st_mode)) {
                        /* The link's owner may replace it in a sticky directory. */
                        ssize_t k = readlinkat(fd, "", target, sizeof(target));
                        int e = k < 0 ? errno : ENAMETOOLONG;
                        if (!cws_owner_trusted(st.st_uid))
                                return cws_error_set(err, -EPERM,
                                                     "%s/%s: symbolic link owned by uid %u (on the "
                                                     "way to %s); must be root or cws", real,
                                                     name, (unsigned)st.st_uid, path);
                        if (++links > WALK_MAX_SYMLINKS)
                                return cws_error_set(err, -ELOOP, "%s: too many symbolic links",
                                                     path);
                        if (k < 0 || (size_t)k >= sizeof(target))
                                return cws_error_set(err, -e, "%s/%s: cannot read the symbolic "
                                                     "link: %s", real, name, strerror(e));
                        target[k] = '\0';
                        r = snprintf(next, sizeof(next), "%s/%s", target, rest);
                        if (r < 0 || (size_t)r >= sizeof(next))
                                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long",
                                                     path);
                        memcpy(todo, next, (size_t)r + 1);
                        p = todo;
                        continue;
                }
                if (real_step(real, sizeof(real), name) < 0)
                        return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
                r = check_parent(&st, real, path, false, err);
                if (r < 0)
                        return r;
                closep(&cur);
                cur = TAKE_FD(fd);
        }
        if (!*p || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
                return cws_error_set(err, -EINVAL, "%s: refused, does not end in a name", path);
        /* st may be a symlink's by now ("link -> ." then the name): ask cur. */
        if (fstat(cur, &st) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s (parent of %s)", real,
                                     strerror(errno), path);
        r = check_parent(&st, real, path, for_file, err);
        if (r < 0)
                return r;
        p[strcspn(p, "/")] = '\0';
        if (strlen(p) >= lastsz)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
        strcpy(last, p);
        *dirfd = TAKE_FD(cur);
        return 0;
}

int cws_path_parents_safe(const char *path, cws_error *err)
{
        char last[NAME_MAX + 1];
        _cleanup_close_ int dirfd = -1;

        return walk_parents(path, true, &dirfd, last, sizeof(last), err);
}

int cws_file_check_fd(int fd, const char *path, unsigned flags, cws_error *err)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
        return check_stat(&st, path, flags, false, err);
}

int cws_dir_check_fd(int fd, const char *path, struct stat *st, cws_error *err)
{
        struct stat own;

        if (!st)
                st = &own;
        if (fstat(fd, st) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
        return check_stat(st, path, 0, true, err);
}

int cws_file_open_checked(const char *path, unsigned flags, cws_error *err)
{
        const int oflags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        _cleanup_close_ int fd = -1, dirfd = -1;
        char last[NAME_MAX + 1];
        int r;

        if (flags & CWS_FILE_PARENTS) {
                r = walk_parents(path, true, &dirfd, last, sizeof(last), err);
                if (r < 0)
                        return r;
                fd = openat(dirfd, last, oflags);
        } else {
                fd = open(path, oflags);
        }
        if (fd < 0) {
                if (errno == ELOOP)
                        return cws_error_set(err, -ELOOP, "%s: refused, is a symbolic link", path);
                return cws_error_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
        }
        r = cws_file_check_fd(fd, path, flags, err);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

int cws_fd_read_all(int fd, size_t max, char **buf, size_t *len)
{
        _cleanup_free_ char *b = NULL;
        size_t n = 0, cap = 0;

        for (;;) {
                ssize_t k;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        if (ncap <= n)
                                return -EFBIG;
                        char *nb = realloc(b, ncap + 1);
                        if (!nb)
                                return -ENOMEM;
                        b = nb;
                        cap = ncap;
                }
                k = read(fd, b + n, cap - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
                if (n > max)
                        return -EFBIG;
        }
        if (!b && !(b = malloc(1)))
                return -ENOMEM;
        b[n] = '\0';
        *buf = TAKE_PTR(b);
        if (len)
                *len = n;
        return 0;
}

int cws_file_read_checked(const char *path, size_t max, unsigned flags, char **buf, size_t *len,
                          cws_error *err)
{
        _cleanup_close_ int fd = cws_file_open_checked(path, flags, err);
        int r;

        if (fd < 0)
                return fd;
        r = cws_fd_read_all(fd, max, buf, len);
        if (r == -EFBIG)
                return cws_error_set(err, r, "%s: refused, larger than %zu bytes", path, max);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot read: %s", path, strerror(-r));
        return 0;
}

/* Writes data to a fresh temporary file beside path and returns its name. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                      char *tmp, size_t tmpsz, cws_error *err)
{
        _cleanup_close_ int fd = -1;
        const char *p = data;
        uint8_t rnd[8];

        for (int tries = 0; tries < 16 && fd < 0; tries++) {
                /* The kernel's, not libcrypto's: pam_cws.so links this file
                 * and not libcrypto (a temporary name needs no more). */
                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return cws_error_set(err, -EIO, "%s: no randomness", path);
                int k = snprintf(tmp, tmpsz, "%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x", path,
                                 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
                if (k < 0 || (size_t)k >= tmpsz)
                        return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
                if (fd < 0 && errno != EEXIST)
                        return cws_error_set(err, -errno, "%s: cannot create: %s", tmp,
                                             strerror(errno));
        }
        if (fd < 0)
                return cws_error_set(err, -EEXIST, "%s: cannot create a temporary file", path);
        if (fchmod(fd, mode) < 0)
                goto fail;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                p += k;
                len -= (size_t)k;
        }
        if (durable && fsync(fd) < 0)
                goto fail;
        return 0;
fail:
        {
                int e = errno;
                unlink(tmp);
                return cws_error_set(err, -e, "%s: cannot write: %s", tmp, strerror(e));
        }
}

int cws_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          cws_error *err)
{
        return cws_file_replace(path, data, len, mode, true, err);
}

int cws_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                     cws_error *err)
{
        char tmp[PATH_MAX];
        int r = write_temp(path, data, len, mode, durable, tmp, sizeof(tmp), err);

        if (r < 0)
                return r;
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return cws_error_set(err, -e, "%s: cannot replace: %s", path, strerror(e));
        }
        return 0;
}

int cws_file_write_create_only(const char *path, const void *data, size_t len, mode_t mode,
                               cws_error *err)
{
        char tmp[PATH_MAX];
        int r = write_temp(path, data, len, mode, true, tmp, sizeof(tmp), err);

        if (r < 0)
                return r;
        /* link() fails with EEXIST atomically, even on NFS, and the target
         * is never seen half-written. */
        r = link(tmp, path) < 0 ? -errno : 0;
        unlink(tmp);
        if (r == -EEXIST)
                return cws_error_set(err, r, "%s: already exists", path);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot create: %s", path, strerror(-r));
        return 0;
}

int cws_dir_ensure(const char *path, mode_t mode, cws_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct stat st;
        char buf[PATH_MAX], last[NAME_MAX + 1];
        size_t n = strlen(path);
        int r;

        if (n == 0 || n >= sizeof(buf))
                return cws_error_set(err, -EINVAL, "%s: invalid directory path", path);
        memcpy(buf, path, n + 1);
        /* Create missing parents; all of them are judged below. */
        for (char *s = buf + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return cws_error_set(err, -errno, "%s: cannot create: %s", buf,
                                             strerror(errno));
                *s = '/';
        }
        if (mkdir(path, mode) == 0) {
                /* The mode asked for, whatever the umask (a socket directory
                 * must be searchable by every user). */
                if (chmod(path, mode) < 0)
                        return cws_error_set(err, -errno, "%s: cannot chmod: %s", path,
                                             strerror(errno));
        } else if (errno != EEXIST) {
                return cws_error_set(err, -errno, "%s: cannot create: %s", path, strerror(errno));
        }
        r = walk_parents(path, false, &dirfd, last, sizeof(last), err);
        if (r < 0)
                return r;
        if (fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
        if (S_ISLNK(st.st_mode))
                return cws_error_set(err, -ELOOP, "%s: refused, is a symbolic link", path);
        return check_stat(&st, path, 0, true, err);
}

int cws_dir_open_checked(const char *dir, cws_error *err)
{
        _cleanup_close_ int dirfd = -1;
        char last[NAME_MAX + 1];
        int r;

        r = walk_parents(dir, false, &dirfd, last, sizeof(last), err);
        if (r < 0)
                return r;
        return cws_dir_open_checked_at(dirfd, last, dir, err);
}

int cws_dir_open_checked_at(int dirfd, const char *name, const char *dir, cws_error *err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR) {
                        /* O_NOFOLLOW|O_DIRECTORY says ENOTDIR for a symlink
                         * too; -ELOOP for one, as for files. */
                        bool is_link = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                       S_ISLNK(st.st_mode);
                        return cws_error_set(err, is_link ? -ELOOP : -ENOTDIR, "%s: refused, %s",
                                             dir, is_link ? "is a symbolic link" : "not a directory");
                }
                return cws_error_set(err, -errno, "%s: cannot open: %s", dir, strerror(errno));
        }
        if (fstat(fd, &st) < 0)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", dir, strerror(errno));
        r = check_stat(&st, dir, 0, true, err);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}
