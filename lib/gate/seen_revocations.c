#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cws/cleanup.h"
#include "cws/ids.h"
#include "cws/safe_file.h"
#include "cws/seen_revocations.h"

static int seen_dir(char out[PATH_MAX], const char *state_dir, cws_error *err)
{
        int n = snprintf(out, PATH_MAX, "%s/revoked", state_dir ? state_dir : "");

        if (!state_dir || !*state_dir || n < 0 || n >= PATH_MAX)
                return cws_error_set(err, -EINVAL, "%s: invalid state directory", state_dir ?: "");
        return 0;
}

static bool id_ok(const char *id)
{
        return cws_id_valid("dev", id) || cws_id_valid("inv", id);
}

int cws_seen_revoked_add(const char *state_dir, const char *id, cws_error *err)
{
        char dir[PATH_MAX], path[PATH_MAX], body[64];
        int r, n;

        if (!id || !id_ok(id))
                return cws_error_set(err, -EINVAL, "seen revocations: invalid id");
        r = seen_dir(dir, state_dir, err);
        if (r < 0)
                return r;
        r = cws_dir_ensure(dir, 0700, err);
        if (r < 0)
                return r;
        r = cws_seen_revoked(state_dir, id, err);
        if (r != 0)
                return r < 0 ? r : 0;
        n = snprintf(path, sizeof(path), "%s/%s", dir, id);
        if (n < 0 || (size_t)n >= sizeof(path))
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", dir);
        n = snprintf(body, sizeof(body), "seen_at=%lld\n", (long long)time(NULL));
        r = cws_file_write_create_only(path, body, (size_t)n, 0600, err);
        if (r == -EEXIST)
                return 0;   /* a concurrent writer was first */
        return r < 0 ? r : 1;
}

/* 1 when id is in the directory fd, 0 when not, <0 cannot tell. */
static int seen_in(int fd, const char *dir, const char *id, cws_error *err)
{
        struct stat st;

        if (!id || !*id)
                return 0;
        if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 1;   /* whatever it is, only root or cws put it there */
        if (errno == ENOENT)
                return 0;
        return cws_error_set(err, -errno, "%s/%s: cannot stat: %s", dir, id, strerror(errno));
}

int cws_seen_revoked_pair(const char *state_dir, const char *device, const char *inv,
                          cws_error *err)
{
        return cws_seen_revoked_pair_at(-1, state_dir, device, inv, err);
}

/* Whether the held descriptor may stand for state_dir now: still a safe
 * directory (someone may have loosened its mode since it was opened,
 * and then could rename revoked/ away), and still the directory the path
 * names (root may have moved another one into its place). Else the path
 * is walked and checked as without it. */
static bool held_ok(int state_fd, const char *state_dir)
{
        struct stat held, now;

        return state_fd > 0 && cws_dir_check_fd(state_fd, state_dir, &held, NULL) == 0 &&
               fstatat(AT_FDCWD, state_dir, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
               held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

int cws_seen_revoked_pair_at(int state_fd, const char *state_dir, const char *device,
                             const char *inv, cws_error *err)
{
        _cleanup_close_ int fd = -1;
        char dir[PATH_MAX];
        int r, d, i;

        if ((!device || !*device) && (!inv || !*inv))
                return 0;
        if ((device && *device && !id_ok(device)) || (inv && *inv && !id_ok(inv)))
                return cws_error_set(err, -EINVAL, "seen revocations: invalid id");
        r = seen_dir(dir, state_dir, err);
        if (r < 0)
                return r;
        fd = held_ok(state_fd, state_dir) ? cws_dir_open_checked_at(state_fd, "revoked", dir, err)
                                          : cws_dir_open_checked(dir, err);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        d = seen_in(fd, dir, device, err);
        if (d < 0)
                return d;
        i = seen_in(fd, dir, inv, err);
        if (i < 0)
                return i;
        return d | (i << 1);
}

int cws_seen_revoked(const char *state_dir, const char *id, cws_error *err)
{
        return cws_seen_revoked_pair(state_dir, id, NULL, err);
}
