/* The shared fixture of the unit tests: a private temporary directory,
 * /tmp/cws-<test file>.XXXXXX (mode 0700), removed with everything in it,
 * a subdirectory a test left unreadable or unwritable included.
 *   fixture_dir_make(dir, size) / fixture_dir_remove(dir): for a directory
 *     kept in a test's own state or in a file-scope buffer;
 *   fixture_dir_setup / fixture_dir_teardown: a cmocka setup/teardown
 *     pair (per test or per group) whose state is the directory's path;
 *   fixture_write(path, data, len, mode): a file with exactly that content
 *     and mode, or the test fails.
 * Functions return 0 or a negative errno, as the code under test does.
 * Include after cmocka.h. */
#pragma once
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef cmocka_unit_test
#error "include cmocka.h before fixture.h"
#endif

#define FIXTURE_DIR_MAX 96

/* Makes the directory, its path in DIR (SIZE bytes); DIR is "" on failure,
 * so that a teardown after a failed setup removes nothing. */
static inline int fixture_dir_make(char *dir, size_t size)
{
        const char *name = strrchr(__BASE_FILE__, '/');
        int n, e;

        name = name ? name + 1 : __BASE_FILE__;
        n = snprintf(dir, size, "/tmp/cws-%.*s.XXXXXX", (int)strcspn(name, "."), name);
        if (n < 0 || (size_t)n >= size) {
                if (size)
                        dir[0] = '\0';
                return -ENAMETOOLONG;
        }
        if (!mkdtemp(dir)) {
                e = errno;
                dir[0] = '\0';
                return -e;
        }
        return 0;
}

static inline int fixture_remove_at(int parent, const char *name);

/* Removes what directory FD holds; FD is closed. */
static inline int fixture_empty_dir(int fd)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int rc = 0, r;

        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        r = fixture_remove_at(dirfd(d), de->d_name);
                        if (r < 0 && rc == 0)
                                rc = r;
                }
        closedir(d);
        return rc;
}

/* Removes NAME in directory PARENT and, for a directory, all it holds;
 * symlinks are removed, never followed. */
static inline int fixture_remove_at(int parent, const char *name)
{
        struct stat st;
        int fd, rc;

        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(parent, name, 0) < 0 ? -errno : 0;
        /* A test may have left it mode 0 to see a refusal. */
        if ((st.st_mode & 0700) != 0700 && fchmodat(parent, name, 0700, 0) < 0)
                return -errno;
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        rc = fixture_empty_dir(fd);
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && rc == 0)
                rc = -errno;
        return rc;
}

/* Removes DIR with everything in it; "" (a setup that failed) is nothing
 * to remove. */
static inline int fixture_dir_remove(const char *dir)
{
        if (!dir || !dir[0])
                return 0;
        return fixture_remove_at(AT_FDCWD, dir);
}

/* cmocka setup: *state is the directory's path (FIXTURE_DIR_MAX bytes). */
static inline int fixture_dir_setup(void **state)
{
        char *dir = calloc(1, FIXTURE_DIR_MAX);

        if (!dir || fixture_dir_make(dir, FIXTURE_DIR_MAX) < 0) {
                free(dir);
                return -1;
        }
        *state = dir;
        return 0;
}

static inline int fixture_dir_teardown(void **state)
{
        char *dir = *state;
        int rc = fixture_dir_remove(dir);

        free(dir);
        *state = NULL;
        return rc < 0 ? -1 : 0;
}

/* PATH (made or truncated) holds LEN bytes of DATA and has MODE, whatever
 * the umask; the test fails otherwise. */
static inline void fixture_write(const char *path, const void *data, size_t len, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                fail_msg("cannot write %s: %s", path, strerror(errno));
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}
