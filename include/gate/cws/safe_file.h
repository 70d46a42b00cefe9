/* Files opened without races: open once with O_NOFOLLOW, then fstat the
 * descriptor and check type, owner and mode before a byte is read. Writes go
 * to a temporary file created with O_EXCL and are renamed (atomic) or linked
 * (create-only) into place. */
#pragma once
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "cws/error.h"

enum {
        CWS_FILE_SECRET = 1u << 0,   /* also refuse group/other readable */
        CWS_FILE_PARENTS = 1u << 1,  /* also check every directory above it */
};

/* Owners we trust: root, the effective uid, and the `cws` system user. */
bool cws_owner_trusted(uid_t uid);

/* Walks path from / one directory at a time (openat with O_PATH|O_NOFOLLOW,
 * fstat of each), following symlinks in the middle but not the last
 * component, and refuses (-EPERM, naming the directory) when a directory on
 * the way is not owned by root/cws or is writable by group/others. A sticky
 * directory owned by root/cws (like /tmp) is accepted on the way, never as
 * the directory that holds the file (cws_dir_ensure accepts it as the one
 * holding a directory). -ENOENT when a directory on the way is missing. */
int cws_path_parents_safe(const char *path, cws_error *err);

/* Checks an open descriptor: regular file, trusted owner, not group/other
 * writable (and not readable at all when CWS_FILE_SECRET). */
int cws_file_check_fd(int fd, const char *path, unsigned flags, cws_error *err);
/* The same checks for the directory fd (a directory of a trusted owner,
 * not group/other writable), its fstat in *st (may be NULL); path is for
 * messages. */
int cws_dir_check_fd(int fd, const char *path, struct stat *st, cws_error *err);

/* Opens read-only and checks. Returns the fd or a negative errno
 * (-ENOENT when missing, -ELOOP for a symlink, -EPERM for owner/mode).
 * With CWS_FILE_PARENTS the file is opened from the directory the walk of
 * cws_path_parents_safe() ended in. */
int cws_file_open_checked(const char *path, unsigned flags, cws_error *err);

/* Reads a whole checked file (at most max bytes, else -EFBIG); *buf is
 * NUL-terminated and owned by the caller. */
int cws_file_read_checked(const char *path, size_t max, unsigned flags, char **buf,
                          size_t *len, cws_error *err);

/* Reads an already open descriptor, at most max bytes. */
int cws_fd_read_all(int fd, size_t max, char **buf, size_t *len);

/* Replaces path atomically with data (temp + fsync + rename). */
/* cws_file_replace: the same; without durable, no fsync (a crash may keep
 * the old content, never a mix of both). */
int cws_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                     cws_error *err);
int cws_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          cws_error *err);

/* Creates path with data only if it does not exist (temp + link): -EEXIST
 * if it does. Never exposes a partly written file. */
int cws_file_write_create_only(const char *path, const void *data, size_t len, mode_t mode,
                               cws_error *err);

/* Makes a directory (and missing parents) with mode; an existing one must be
 * a directory (not a symlink) with a trusted owner and not group/other
 * writable, and so must every directory above it (cws_path_parents_safe). */
int cws_dir_ensure(const char *path, mode_t mode, cws_error *err);

/* Opens a directory for reading (O_NOFOLLOW, from its parents' walk) and
 * checks it and its parents as cws_dir_ensure checks an existing one.
 * Returns the fd, -ENOENT when it does not exist, -ELOOP for a symlink,
 * -ENOTDIR, -EPERM for owner/mode. */
int cws_dir_open_checked(const char *dir, cws_error *err);
/* The same for name under dirfd, a directory already checked (dir is its
 * whole path, for messages): one openat and one fstat, no walk. */
int cws_dir_open_checked_at(int dirfd, const char *name, const char *dir, cws_error *err);
/* The same, as a DIR stream for readdir: 0 with *out set, or the errors of
 * cws_dir_open_checked (-ENOENT when it does not exist, err set). Inline,
 * so that pam_cws.so, which links safe_file.o, imports no fdopendir. */
static inline int cws_dir_opendir_checked(const char *dir, DIR **out, cws_error *err)
{
        int fd = cws_dir_open_checked(dir, err), e;

        *out = NULL;
        if (fd < 0)
                return fd;
        *out = fdopendir(fd);
        if (!*out) {
                e = errno;
                close(fd);
                return cws_error_set(err, -e, "%s: cannot read: %s", dir, strerror(e));
        }
        return 0;
}
