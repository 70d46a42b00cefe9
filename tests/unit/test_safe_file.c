/* safe_file: every refusal (symlink, mode, owner, type, size) and the two
 * write paths (atomic replace, create-only), in a private temporary directory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/safe_file.h"

#define NOBODY 65534

static char dir[64];

static char *at(const char *name)
{
        static char paths[8][PATH_MAX];
        static unsigned next;
        char *p = paths[next++ % 8];
        int n = snprintf(p, PATH_MAX, "%s/%s", dir, name);
        assert_true(n > 0 && n < PATH_MAX);
        return p;
}

static void put(const char *path, const char *content, mode_t mode)
{
        fixture_write(path, content, strlen(content), mode);
}

static char *slurp(const char *path)
{
        static char buf[4096];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf) - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
        return buf;
}

/* Entries in dir other than `keep`: leftover temporary files show here. */
static int count_others(const char *keep)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        assert_non_null(d);
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                    (keep && !strcmp(e->d_name, keep)))
                        continue;
                n++;
        }
        closedir(d);
        return n;
}

static int setup(void **state)
{
        (void)state;
        umask(022);
        return fixture_dir_make(dir, sizeof(dir)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void test_read_checked_ok(void **state)
{
        char *p = at("ok"), *buf = NULL;
        size_t len = 0;
        cws_error err = { 0 };
        (void)state;

        put(p, "hello\nworld\n", 0644);
        assert_int_equal(cws_file_read_checked(p, 100, 0, &buf, &len, &err), 0);
        assert_int_equal(len, 12);
        assert_string_equal(buf, "hello\nworld\n");
        free(buf);
        buf = NULL;
        /* a secret file at 0600 passes the stricter check */
        assert_int_equal(chmod(p, 0600), 0);
        assert_int_equal(cws_file_read_checked(p, 100, CWS_FILE_SECRET, &buf, &len, &err), 0);
        free(buf);
        buf = NULL;
        /* empty file: a valid empty string */
        put(p, "", 0644);
        assert_int_equal(cws_file_read_checked(p, 100, 0, &buf, &len, &err), 0);
        assert_int_equal(len, 0);
        assert_string_equal(buf, "");
        free(buf);
}

static void expect_refused(const char *path, unsigned flags, int code, const char *needle)
{
        char *buf = NULL;
        size_t len = 0;
        cws_error err = { 0 };

        assert_int_equal(cws_file_read_checked(path, 1024, flags, &buf, &len, &err), code);
        assert_null(buf);
        assert_int_equal(err.code, code);
        assert_non_null(strstr(err.msg, path));
        if (needle)
                assert_non_null(strstr(err.msg, needle));
        /* open_checked refuses the same way and leaks no descriptor */
        assert_int_equal(cws_file_open_checked(path, flags, NULL), code);
}

static void test_symlink_refused(void **state)
{
        char *target = at("target"), *link = at("link");
        (void)state;

        put(target, "data", 0644);
        assert_int_equal(symlink(target, link), 0);
        expect_refused(link, 0, -ELOOP, "symbolic link");
}

static void test_group_or_other_writable_refused(void **state)
{
        char *p = at("w");
        (void)state;

        put(p, "data", 0664);
        expect_refused(p, 0, -EPERM, "writable");
        put(p, "data", 0646);
        expect_refused(p, 0, -EPERM, "writable");
        put(p, "data", 0620);
        expect_refused(p, 0, -EPERM, "writable");
}

static void test_secret_readable_refused(void **state)
{
        char *p = at("s");
        (void)state;

        put(p, "secret", 0640);
        expect_refused(p, CWS_FILE_SECRET, -EPERM, "0640");
        put(p, "secret", 0604);
        expect_refused(p, CWS_FILE_SECRET, -EPERM, "0604");
        put(p, "secret", 0610);
        expect_refused(p, CWS_FILE_SECRET, -EPERM, NULL);
        /* the same mode is fine for a file that is not a secret */
        put(p, "secret", 0640);
        char *buf = NULL;
        assert_int_equal(cws_file_read_checked(p, 100, 0, &buf, NULL, NULL), 0);
        free(buf);
}

static void test_foreign_owner_refused(void **state)
{
        char *p = at("foreign");
        (void)state;

        if (geteuid() != 0)
                skip();
        put(p, "data", 0644);
        assert_int_equal(chown(p, NOBODY, NOBODY), 0);
        expect_refused(p, 0, -EPERM, "65534");
}

static void test_directory_and_fifo_refused(void **state)
{
        char *d = at("subdir"), *f = at("fifo");
        (void)state;

        assert_int_equal(mkdir(d, 0755), 0);
        expect_refused(d, 0, -EPERM, "regular file");
        /* a FIFO must be refused, not block the reader */
        assert_int_equal(mkfifo(f, 0644), 0);
        expect_refused(f, 0, -EPERM, "regular file");
}

static void test_too_large(void **state)
{
        char *p = at("big"), *buf = NULL, content[101];
        size_t len = 0;
        cws_error err = { 0 };
        (void)state;

        memset(content, 'a', 100);
        content[100] = '\0';
        put(p, content, 0644);
        assert_int_equal(cws_file_read_checked(p, 99, 0, &buf, &len, &err), -EFBIG);
        assert_null(buf);
        assert_non_null(strstr(err.msg, p));
        /* exactly the limit is fine */
        assert_int_equal(cws_file_read_checked(p, 100, 0, &buf, &len, &err), 0);
        assert_int_equal(len, 100);
        free(buf);
        buf = NULL;
        /* and past the first internal buffer */
        char large[10000];
        memset(large, 'b', sizeof(large) - 1);
        large[sizeof(large) - 1] = '\0';
        put(p, large, 0644);
        assert_int_equal(cws_file_read_checked(p, 9998, 0, &buf, &len, &err), -EFBIG);
        assert_int_equal(cws_file_read_checked(p, 9999, 0, &buf, &len, &err), 0);
        assert_int_equal(len, 9999);
        assert_string_equal(buf, large);
        free(buf);
}

static void test_missing(void **state)
{
        char *p = at("nope");
        (void)state;
        expect_refused(p, 0, -ENOENT, NULL);
}

static void test_write_atomic_replaces(void **state)
{
        char *p = at("atomic");
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        assert_int_equal(cws_file_write_atomic(p, "first", 5, 0640, &err), 0);
        assert_string_equal(slurp(p), "first");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(cws_file_write_atomic(p, "second, longer", 14, 0600, &err), 0);
        assert_string_equal(slurp(p), "second, longer");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(count_others("atomic"), 0);
        /* the mode is exactly what was asked for, whatever the umask */
        mode_t old = umask(077);
        assert_int_equal(cws_file_write_atomic(p, "third", 5, 0644, &err), 0);
        umask(old);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        /* a missing directory fails cleanly and names the path */
        char *q = at("no/such/file");
        assert_true(cws_file_write_atomic(q, "x", 1, 0600, &err) < 0);
        assert_non_null(strstr(err.msg, dir));
}

static void test_write_create_only(void **state)
{
        char *p = at("once");
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        mode_t old = umask(077);
        assert_int_equal(cws_file_write_create_only(p, "original", 8, 0640, &err), 0);
        umask(old);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(cws_file_write_create_only(p, "intruder", 8, 0600, &err), -EEXIST);
        assert_non_null(strstr(err.msg, p));
        assert_string_equal(slurp(p), "original");
        assert_int_equal(count_others("once"), 0);
}

static void test_create_only_concurrent(void **state)
{
        enum { WRITERS = 20 };
        char *p = at("race");
        pid_t pids[WRITERS];
        int go[2], won = -1, lost = 0;
        (void)state;

        assert_int_equal(pipe(go), 0);
        for (int i = 0; i < WRITERS; i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        char c, msg[32];
                        close(go[1]);
                        /* all start together when the parent closes the pipe */
                        (void)!read(go[0], &c, 1);
                        snprintf(msg, sizeof(msg), "writer %d", i);
                        int r = cws_file_write_create_only(p, msg, strlen(msg), 0600, NULL);
                        _exit(r == 0 ? 0 : r == -EEXIST ? 1 : 2);
                }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < WRITERS; i++) {
                int status;
                assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
                assert_true(WIFEXITED(status));
                if (WEXITSTATUS(status) == 0) {
                        assert_int_equal(won, -1);
                        won = i;
                } else {
                        assert_int_equal(WEXITSTATUS(status), 1);
                        lost++;
                }
        }
        assert_true(won >= 0);
        assert_int_equal(lost, WRITERS - 1);
        char want[32];
        snprintf(want, sizeof(want), "writer %d", won);
        assert_string_equal(slurp(p), want);
        assert_int_equal(count_others("race"), 0);
}

static void test_dir_ensure(void **state)
{
        char *deep = at("a/b/c"), *a = at("a"), *ab = at("a/b");
        cws_error err = { 0 };
        struct stat st;
        (void)state;

        assert_int_equal(cws_dir_ensure(deep, 0700, &err), 0);
        for (const char *d2[] = { a, ab, deep, NULL }, **q = d2; *q; q++) {
                assert_int_equal(lstat(*q, &st), 0);
                assert_true(S_ISDIR(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0700);
        }
        /* existing and fine: again succeeds */
        assert_int_equal(cws_dir_ensure(deep, 0700, &err), 0);
}

static void test_dir_ensure_refuses_symlink(void **state)
{
        char *real = at("real"), *link = at("linked");
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(mkdir(real, 0700), 0);
        assert_int_equal(symlink(real, link), 0);
        assert_int_equal(cws_dir_ensure(link, 0700, &err), -ELOOP);
        assert_non_null(strstr(err.msg, link));
}

static void test_dir_ensure_refuses_group_writable(void **state)
{
        char *gw = at("gw"), *f = at("plainfile");
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(mkdir(gw, 0700), 0);
        assert_int_equal(chmod(gw, 0770), 0);
        assert_int_equal(cws_dir_ensure(gw, 0700, &err), -EPERM);
        assert_non_null(strstr(err.msg, gw));
        assert_int_equal(chmod(gw, 0702), 0);
        assert_int_equal(cws_dir_ensure(gw, 0700, &err), -EPERM);
        assert_int_equal(chmod(gw, 0755), 0);
        assert_int_equal(cws_dir_ensure(gw, 0700, &err), 0);
        /* a file where the directory should be */
        put(f, "x", 0600);
        assert_true(cws_dir_ensure(f, 0700, &err) < 0);
}

static void test_dir_ensure_refuses_foreign_owner(void **state)
{
        char *d = at("foreign-dir");
        cws_error err = { 0 };
        (void)state;

        if (geteuid() != 0)
                skip();
        assert_int_equal(mkdir(d, 0700), 0);
        assert_int_equal(chown(d, NOBODY, NOBODY), 0);
        assert_int_equal(cws_dir_ensure(d, 0700, &err), -EPERM);
        assert_non_null(strstr(err.msg, "65534"));
}

static void test_owner_trusted(void **state)
{
        (void)state;
        assert_true(cws_owner_trusted(0));
        assert_true(cws_owner_trusted(geteuid()));
        struct passwd *cws = getpwnam("cws");
        /* the cws system user is trusted too; nobody else is */
        if (cws)
                assert_true(cws_owner_trusted(cws->pw_uid));
        if (geteuid() != NOBODY && !(cws && cws->pw_uid == NOBODY))
                assert_false(cws_owner_trusted(NOBODY));
        assert_false(cws_owner_trusted(12345));
}

/* ---- parent directories (OpenSSH's safe_path) ---- */

/* path's parents are refused with code, the message naming want_dir. */
static void expect_parents_refused(const char *path, int code, const char *want_dir,
                                   const char *needle)
{
        cws_error err = { 0 };
        char *buf = NULL;

        assert_int_equal(cws_path_parents_safe(path, &err), code);
        assert_non_null(strstr(err.msg, want_dir));
        assert_non_null(strstr(err.msg, path));
        if (needle)
                assert_non_null(strstr(err.msg, needle));
        assert_int_equal(cws_file_read_checked(path, 100, CWS_FILE_PARENTS, &buf, NULL, NULL),
                         code);
        assert_null(buf);
}

static void test_parents_ok(void **state)
{
        char *f = at("sub/deeper/file");
        cws_error err = { 0 };
        char *buf = NULL;
        (void)state;

        assert_int_equal(cws_dir_ensure(at("sub/deeper"), 0755, &err), 0);
        put(f, "data", 0644);
        assert_int_equal(cws_path_parents_safe(f, &err), 0);
        assert_int_equal(cws_file_read_checked(f, 100, CWS_FILE_PARENTS, &buf, NULL, &err), 0);
        assert_string_equal(buf, "data");
        free(buf);
        /* . and .. on the way are walked, not skipped */
        assert_int_equal(cws_path_parents_safe(at("sub/./deeper/../deeper/file"), &err), 0);
        /* a name that is not a file name */
        assert_int_equal(cws_path_parents_safe(at("sub/.."), &err), -EINVAL);
        assert_int_equal(cws_path_parents_safe("", &err), -EINVAL);
}

/* at() hands out 8 rotating buffers; these tests keep their names longer. */
#define KEEP(var, name) char var[128]; snprintf(var, sizeof(var), "%s", at(name))

static void test_parents_writable_refused(void **state)
{
        KEEP(gw, "gw");
        KEEP(f, "gw/below/file");
        char want[512];
        (void)state;

        assert_int_equal(mkdir(gw, 0755), 0);
        assert_int_equal(mkdir(at("gw/below"), 0755), 0);
        put(f, "data", 0644);
        for (mode_t m = 0; m < 2; m++) {
                assert_int_equal(chmod(gw, m ? 0757 : 0775), 0);
                snprintf(want, sizeof(want), "%s: writable by group/others (parent of %s); "
                         "fix with chmod go-w %s", gw, f, gw);
                expect_parents_refused(f, -EPERM, want, NULL);
                /* without CWS_FILE_PARENTS only the file itself is judged */
                assert_int_equal(cws_file_open_checked(f, 0, NULL) >= 0, 1);
        }
        /* the directory holding the file counts too */
        assert_int_equal(chmod(gw, 0755), 0);
        assert_int_equal(chmod(at("gw/below"), 0770), 0);
        expect_parents_refused(f, -EPERM, at("gw/below"), "writable by group/others");
        assert_int_equal(chmod(at("gw/below"), 0755), 0);
        assert_int_equal(cws_path_parents_safe(f, NULL), 0);
}

static void test_parents_sticky(void **state)
{
        KEEP(st, "sticky");
        KEEP(f, "sticky/own/file");
        KEEP(direct, "sticky/file");
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(mkdir(st, 0755), 0);
        assert_int_equal(chmod(st, 01777), 0);
        assert_int_equal(mkdir(at("sticky/own"), 0755), 0);
        put(f, "data", 0644);
        put(direct, "data", 0644);
        /* sticky and owned by us (like /tmp by root): passes on the way */
        assert_int_equal(cws_path_parents_safe(f, &err), 0);
        /* ... but not as the directory holding a file (a hard link can be put there) */
        expect_parents_refused(direct, -EPERM, st, "writable by group/others");
        /* ... while it may hold a directory: cws_dir_ensure checks that one itself */
        assert_int_equal(cws_dir_ensure(at("sticky/state"), 0700, &err), 0);
        /* without the sticky bit, neither */
        assert_int_equal(chmod(st, 0777), 0);
        expect_parents_refused(f, -EPERM, st, "writable by group/others");
        assert_int_equal(cws_dir_ensure(at("sticky/state"), 0700, &err), -EPERM);
        assert_non_null(strstr(err.msg, st));
        assert_non_null(strstr(err.msg, "chmod go-w"));
}

static void test_parents_foreign_owner(void **state)
{
        KEEP(d, "theirs");
        KEEP(f, "theirs/file");
        KEEP(st, "sticky");
        KEEP(link, "sticky/link");
        cws_error err = { 0 };
        (void)state;

        if (geteuid() != 0)
                skip();
        assert_int_equal(mkdir(d, 0755), 0);
        put(f, "data", 0644);
        assert_int_equal(chown(d, NOBODY, NOBODY), 0);
        expect_parents_refused(f, -EPERM, d, "owned by uid 65534");
        expect_parents_refused(f, -EPERM, d, "fix with chown root");
        /* a sticky directory owned by someone else is no shelter */
        assert_int_equal(mkdir(st, 0755), 0);
        assert_int_equal(chmod(st, 01777), 0);
        assert_int_equal(mkdir(at("sticky/own"), 0755), 0);
        put(at("sticky/own/file"), "data", 0644);
        assert_int_equal(cws_path_parents_safe(at("sticky/own/file"), &err), 0);
        assert_int_equal(chown(st, NOBODY, NOBODY), 0);
        expect_parents_refused(at("sticky/own/file"), -EPERM, st, "owned by uid 65534");
        assert_int_equal(chown(st, 0, 0), 0);
        /* a symlink there belongs to whoever made it, who may repoint it */
        assert_int_equal(symlink(at("sticky/own"), link), 0);
        assert_int_equal(cws_path_parents_safe(at("sticky/link/file"), &err), 0);
        assert_int_equal(lchown(link, NOBODY, NOBODY), 0);
        assert_int_equal(cws_path_parents_safe(at("sticky/link/file"), &err), -EPERM);
        assert_non_null(strstr(err.msg, "symbolic link owned by uid 65534"));
        /* a directory owned by nobody below which cws_dir_ensure is asked */
        assert_int_equal(cws_dir_ensure(at("theirs/state"), 0700, &err), -EPERM);
        assert_non_null(strstr(err.msg, d));
}

static void test_parents_symlinks_walked(void **state)
{
        KEEP(real, "real");
        KEEP(bad, "bad");
        KEEP(f, "real/file");
        cws_error err = { 0 };
        char *buf = NULL, rel[PATH_MAX];
        (void)state;

        assert_int_equal(mkdir(real, 0755), 0);
        assert_int_equal(mkdir(bad, 0755), 0);
        put(f, "data", 0644);
        put(at("bad/file"), "evil", 0644);
        assert_int_equal(chmod(bad, 0777), 0);
        /* a symlink on the way is followed and its target judged */
        assert_int_equal(symlink(real, at("abs")), 0);
        assert_int_equal(cws_path_parents_safe(at("abs/file"), &err), 0);
        assert_int_equal(cws_file_read_checked(at("abs/file"), 100, CWS_FILE_PARENTS, &buf, NULL,
                                               &err), 0);
        assert_string_equal(buf, "data");
        free(buf);
        /* a link to "." ends the walk in the directory it is in */
        assert_int_equal(symlink(".", at("real/self")), 0);
        assert_int_equal(cws_path_parents_safe(at("real/self/file"), &err), 0);
        snprintf(rel, sizeof(rel), "../%s/real", strrchr(dir, '/') + 1);
        assert_int_equal(symlink(rel, at("rel")), 0);
        assert_int_equal(cws_path_parents_safe(at("rel/file"), &err), 0);
        /* the message names the real directory, the one to chmod */
        assert_int_equal(symlink(bad, at("tobad")), 0);
        assert_int_equal(cws_path_parents_safe(at("tobad/file"), &err), -EPERM);
        assert_non_null(strstr(err.msg, bad));
        assert_non_null(strstr(err.msg, "chmod go-w"));
        /* the last component is not followed: the opener refuses it */
        assert_int_equal(symlink(at("bad/file"), at("real/last")), 0);
        assert_int_equal(cws_path_parents_safe(at("real/last"), &err), 0);
        assert_int_equal(cws_file_open_checked(at("real/last"), CWS_FILE_PARENTS, &err), -ELOOP);
        /* loops end */
        assert_int_equal(symlink(at("loop2"), at("loop1")), 0);
        assert_int_equal(symlink(at("loop1"), at("loop2")), 0);
        assert_int_equal(cws_path_parents_safe(at("loop1/file"), &err), -ELOOP);
}

static void test_parents_missing_and_relative(void **state)
{
        KEEP(sub, "cwd");
        char cwd[PATH_MAX];
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_path_parents_safe(at("nope/file"), &err), -ENOENT);
        assert_non_null(strstr(err.msg, at("nope")));
        assert_int_equal(cws_file_open_checked(at("nope/file"), CWS_FILE_PARENTS, &err), -ENOENT);
        /* a relative path is judged from / through the current directory */
        assert_int_equal(mkdir(at("cwd"), 0755), 0);
        assert_int_equal(mkdir(at("cwd/sub"), 0755), 0);
        put(at("cwd/sub/file"), "data", 0644);
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(at("cwd")), 0);
        assert_int_equal(cws_path_parents_safe("sub/file", &err), 0);
        assert_int_equal(chmod(at("cwd"), 0777), 0);
        assert_int_equal(cws_path_parents_safe("sub/file", &err), -EPERM);
        assert_non_null(strstr(err.msg, sub));
        assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_read_checked_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_group_or_other_writable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_secret_readable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_foreign_owner_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory_and_fifo_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_atomic_replaces, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_create_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_only_concurrent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_ensure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_ensure_refuses_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_ensure_refuses_group_writable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_ensure_refuses_foreign_owner, setup, teardown),
                cmocka_unit_test(test_owner_trusted),
                cmocka_unit_test_setup_teardown(test_parents_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_writable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_sticky, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_foreign_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_symlinks_walked, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parents_missing_and_relative, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
