/* lib/registry_file.c: the file: backend. Create-only really is
 * create-only (also under a race of processes), reads are paranoid about
 * modes and symlinks, listings show only keys, and an administrator
 * running as root hands what it creates to the registry's owner. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/record.h"
#include "cws/registry.h"

#define INV "inv-AAAAAAAAAAAAAAAAAAAAAA"
#define NOBODY ((uid_t)65534)
#define RACERS 20

typedef struct fixture {
        char base[FIXTURE_DIR_MAX];     /* fixture_dir_make; holds the registry and scratch files */
        char root[PATH_MAX];    /* the registry directory */
        cws_registry *r;
} fixture;

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

static int setup(void **state)
{
        fixture *fx = calloc(1, sizeof(*fx));
        cws_error err = { 0 };

        if (!fx)
                return -1;
        if (fixture_dir_make(fx->base, sizeof(fx->base)) < 0) {
                free(fx);
                return -1;
        }
        snprintf(fx->root, sizeof(fx->root), "%s/reg", fx->base);
        if (cws_registry_file_open(fx->root, &fx->r, &err) < 0) {
                fprintf(stderr, "setup: %s\n", err.msg);
                free(fx);
                return -1;
        }
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        fixture *fx = *state;

        cws_registry_free(fx->r);
        assert_int_equal(fixture_dir_remove(fx->base), 0);
        free(fx);
        return 0;
}

static void path_of(const fixture *fx, const char *key, char *out, size_t size)
{
        int n = snprintf(out, size, "%s/%s", fx->root, key);
        assert_true(n > 0 && (size_t)n < size);
}

static void put_ok(const fixture *fx, const char *key, const char *data)
{
        cws_error err = { 0 };

        if (cws_registry_put_create_only(fx->r, key, data, strlen(data), &err) != 0)
                fail_msg("put %s: %s", key, err.msg);
}

/* Writes a file under the registry root directly, making its directory. */
static void write_raw(const fixture *fx, const char *key, const void *data, size_t len,
                      mode_t mode)
{
        char path[PATH_MAX], cmd[PATH_MAX + 32];
        int fd;

        path_of(fx, key, path, sizeof(path));
        *strrchr(path, '/') = '\0';
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
        assert_int_equal(system(cmd), 0);
        path_of(fx, key, path, sizeof(path));
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* ---- put and get ---- */

static void test_put_then_get(void **state)
{
        static const char rec[] = "{\"version\":1}\nsecond line\t";
        fixture *fx = *state;
        char path[PATH_MAX], *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;
        struct stat st;

        put_ok(fx, "inv/" INV "/invitation", rec);
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/invitation", &data, &len, &err), 0);
        assert_int_equal(len, sizeof(rec) - 1);
        assert_memory_equal(data, rec, len);
        assert_int_equal(data[len], '\0');
        free(data);
        /* A public record, at the path the key names. */
        path_of(fx, "inv/" INV "/invitation", path, sizeof(path));
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_put_empty_record(void **state)
{
        fixture *fx = *state;
        char *data = NULL;
        cws_error err = { 0 };
        size_t len = 99;

        put_ok(fx, "empty", "");
        assert_int_equal(cws_registry_get(fx->r, "empty", &data, &len, &err), 0);
        assert_int_equal(len, 0);
        assert_string_equal(data, "");
        free(data);
}

static void test_put_twice_eexist(void **state)
{
        fixture *fx = *state;
        char dir[PATH_MAX], *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        put_ok(fx, "inv/" INV "/slot/1/0", "first");
        assert_int_equal(cws_registry_put_create_only(fx->r, "inv/" INV "/slot/1/0", "second!", 7,
                                                      &err), -EEXIST);
        assert_int_equal(err.code, -EEXIST);
        assert_contains(err.msg, "already exists");
        assert_contains(err.msg, "slot/1/0");
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/slot/1/0", &data, &len, &err), 0);
        assert_int_equal(len, 5);
        assert_string_equal(data, "first");
        free(data);
        /* The loser's temporary file is gone. */
        path_of(fx, "inv/" INV "/slot/1", dir, sizeof(dir));
        assert_int_equal(count_entries(dir), 1);
}

static void test_get_missing(void **state)
{
        fixture *fx = *state;
        char *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/invitation", &data, &len, &err),
                         -ENOENT);
        assert_int_equal(err.code, -ENOENT);
        assert_contains(err.msg, "inv/" INV "/invitation: no such record");
        assert_null(data);
}

static void test_get_directory_refused(void **state)
{
        fixture *fx = *state;
        char *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        put_ok(fx, "inv/" INV "/invitation", "x");
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV, &data, &len, &err), -EPERM);
        assert_contains(err.msg, "not a regular file");
        assert_null(data);
}

static void test_get_size_limit(void **state)
{
        fixture *fx = *state;
        char *big = malloc(CWS_RECORD_MAX + 1), *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        assert_non_null(big);
        memset(big, 'r', CWS_RECORD_MAX + 1);
        write_raw(fx, "at-limit", big, CWS_RECORD_MAX, 0644);
        write_raw(fx, "over-limit", big, CWS_RECORD_MAX + 1, 0644);
        assert_int_equal(cws_registry_get(fx->r, "at-limit", &data, &len, &err), 0);
        assert_int_equal(len, CWS_RECORD_MAX);
        free(data);
        data = NULL;
        assert_int_equal(cws_registry_get(fx->r, "over-limit", &data, &len, &err), -EFBIG);
        assert_contains(err.msg, "larger than");
        assert_null(data);
        free(big);
}

static void test_put_under_a_file_refused(void **state)
{
        fixture *fx = *state;
        cws_error err = { 0 };

        put_ok(fx, "inv/" INV, "a file where a directory should be");
        assert_int_equal(cws_registry_put_create_only(fx->r, "inv/" INV "/invitation", "x", 1, &err),
                         -ENOTDIR);
        assert_contains(err.msg, "not a directory");
}

/* ---- reads are paranoid ---- */

static void test_get_group_writable_refused(void **state)
{
        fixture *fx = *state;
        char path[PATH_MAX], *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        put_ok(fx, "inv/" INV "/invitation", "rec");
        path_of(fx, "inv/" INV "/invitation", path, sizeof(path));
        assert_int_equal(chmod(path, 0664), 0);
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/invitation", &data, &len, &err), -EPERM);
        assert_int_equal(err.code, -EPERM);
        assert_contains(err.msg, "group/other writable");
        assert_null(data);
        assert_int_equal(chmod(path, 0646), 0);
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/invitation", &data, &len, &err), -EPERM);
        assert_contains(err.msg, "group/other writable");
        /* Back to 0644, it reads again: the mode was the reason. */
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/invitation", &data, &len, &err), 0);
        free(data);
}

static void test_get_untrusted_owner_refused(void **state)
{
        fixture *fx = *state;
        char path[PATH_MAX], *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        if (geteuid() != 0)
                skip();
        put_ok(fx, "rec", "x");
        path_of(fx, "rec", path, sizeof(path));
        assert_int_equal(chown(path, 12345, 12345), 0);
        assert_int_equal(cws_registry_get(fx->r, "rec", &data, &len, &err), -EPERM);
        assert_contains(err.msg, "owned by uid 12345");
        assert_null(data);
}

static void test_get_symlink_refused(void **state)
{
        fixture *fx = *state;
        char target[PATH_MAX], link_path[PATH_MAX], *data = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        put_ok(fx, "inv/" INV "/invitation", "the real one");
        path_of(fx, "inv/" INV "/invitation", target, sizeof(target));
        path_of(fx, "inv/" INV "/revoked", link_path, sizeof(link_path));
        assert_int_equal(symlink(target, link_path), 0);
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/revoked", &data, &len, &err), -ELOOP);
        assert_int_equal(err.code, -ELOOP);
        assert_contains(err.msg, "symbolic link");
        assert_null(data);
}

/* ---- listing ---- */

static void test_list_sorted_one_level(void **state)
{
        fixture *fx = *state;
        char **keys = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        put_ok(fx, "inv/" INV "/slot/1/2", "a");
        put_ok(fx, "inv/" INV "/slot/1/0", "b");
        put_ok(fx, "inv/" INV "/slot/1/10", "c");
        put_ok(fx, "inv/" INV "/slot/1/deeper/x", "d");
        put_ok(fx, "inv/" INV "/slot/2/0", "e");

        assert_int_equal(cws_registry_list(fx->r, "inv/" INV "/slot/1", &keys, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_string_equal(keys[0], "inv/" INV "/slot/1/0");
        assert_string_equal(keys[1], "inv/" INV "/slot/1/10");
        assert_string_equal(keys[2], "inv/" INV "/slot/1/2");
        assert_string_equal(keys[3], "inv/" INV "/slot/1/deeper");
        cws_strv_free(keys, n);

        assert_int_equal(cws_registry_list(fx->r, "inv/" INV "/slot", &keys, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(keys[0], "inv/" INV "/slot/1");
        assert_string_equal(keys[1], "inv/" INV "/slot/2");
        cws_strv_free(keys, n);
}

static void test_list_skips_foreign_names(void **state)
{
        fixture *fx = *state;
        char **keys = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        put_ok(fx, "inv/" INV "/slot/1/0", "a");
        write_raw(fx, "inv/" INV "/slot/1/1.tmp.0011223344556677", "t", 1, 0644);
        write_raw(fx, "inv/" INV "/slot/1/.hidden", "h", 1, 0644);
        write_raw(fx, "inv/" INV "/slot/1/with space", "s", 1, 0644);
        write_raw(fx, "inv/" INV "/slot/1/ctl\x01", "c", 1, 0644);
        write_raw(fx, "inv/" INV "/slot/1/caf\xc3\xa9", "u", 1, 0644);
        write_raw(fx, "inv/" INV "/slot/1/3", "b", 1, 0644);

        assert_int_equal(cws_registry_list(fx->r, "inv/" INV "/slot/1", &keys, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(keys[0], "inv/" INV "/slot/1/0");
        assert_string_equal(keys[1], "inv/" INV "/slot/1/3");
        cws_strv_free(keys, n);
}

static void test_list_missing_prefix(void **state)
{
        fixture *fx = *state;
        char **keys = (char **)1;
        size_t n = 42;
        cws_error err = { 0 };

        assert_int_equal(cws_registry_list(fx->r, "inv/" INV "/slot/3", &keys, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(keys);
}

static void test_list_many(void **state)
{
        fixture *fx = *state;
        char **keys = NULL, key[64];
        size_t n = 0;
        cws_error err = { 0 };

        /* More than the first allocation (16) so the array has to grow. */
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "many/k%02d", 39 - i);
                put_ok(fx, key, "x");
        }
        assert_int_equal(cws_registry_list(fx->r, "many", &keys, &n, &err), 0);
        assert_int_equal(n, 40);
        for (size_t i = 0; i < n; i++) {
                snprintf(key, sizeof(key), "many/k%02zu", i);
                assert_string_equal(keys[i], key);
        }
        cws_strv_free(keys, n);
}

/* ---- opening ---- */

static void test_open_relative_refused(void **state)
{
        cws_registry *r = NULL;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_registry_file_open("relative/reg", &r, &err), -EINVAL);
        assert_null(r);
        assert_contains(err.msg, "'relative/reg' is not absolute");
        assert_int_equal(cws_registry_file_open("", &r, &err), -EINVAL);
        assert_null(r);
}

static void test_open_trailing_slashes(void **state)
{
        fixture *fx = *state;
        char path[PATH_MAX + 4], *data = NULL;
        cws_registry *r = NULL;
        cws_error err = { 0 };
        size_t len = 0;

        snprintf(path, sizeof(path), "%s///", fx->root);
        assert_int_equal(cws_registry_file_open(path, &r, &err), 0);
        assert_int_equal(cws_registry_put_create_only(r, "k", "v", 1, &err), 0);
        cws_registry_free(r);
        /* The same store as the fixture's registry. */
        assert_int_equal(cws_registry_get(fx->r, "k", &data, &len, &err), 0);
        assert_string_equal(data, "v");
        free(data);
}

static void test_open_unsafe_root_refused(void **state)
{
        fixture *fx = *state;
        char path[PATH_MAX], link_path[PATH_MAX];
        cws_registry *r = NULL;
        cws_error err = { 0 };

        snprintf(path, sizeof(path), "%s/open", fx->base);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(cws_registry_file_open(path, &r, &err), -EPERM);
        assert_contains(err.msg, "group/other writable");
        assert_null(r);

        snprintf(link_path, sizeof(link_path), "%s/link", fx->base);
        assert_int_equal(symlink(fx->root, link_path), 0);
        assert_int_equal(cws_registry_file_open(link_path, &r, &err), -ELOOP);
        assert_contains(err.msg, "symbolic link");
        assert_null(r);
}

/* ---- the race that max_devices rests on ---- */

static void test_put_race(void **state)
{
        fixture *fx = *state;
        pid_t pids[RACERS];
        int go[2], winners = 0, losers = 0, winner = -1;
        char dir[PATH_MAX], *data = NULL, want[32];
        cws_error err = { 0 };
        size_t len = 0;

        assert_int_equal(pipe(go), 0);
        for (int i = 0; i < RACERS; i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        char buf[32], c;
                        cws_error e = { 0 };
                        int k;

                        close(go[1]);
                        /* All start together when the parent closes the pipe. */
                        while (read(go[0], &c, 1) < 0 && errno == EINTR)
                                ;
                        snprintf(buf, sizeof(buf), "writer-%d", i);
                        k = cws_registry_put_create_only(fx->r, "inv/" INV "/slot/1/0", buf,
                                                         strlen(buf), &e);
                        _exit(k == 0 ? 0 : k == -EEXIST ? 1 : 2);
                }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < RACERS; i++) {
                int st = 0;
                assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
                assert_true(WIFEXITED(st));
                if (WEXITSTATUS(st) == 0) {
                        winners++;
                        winner = i;
                } else if (WEXITSTATUS(st) == 1) {
                        losers++;
                }
        }
        assert_int_equal(winners, 1);
        assert_int_equal(losers, RACERS - 1);
        /* The record is the winner's, whole, and no temporary file is left. */
        assert_int_equal(cws_registry_get(fx->r, "inv/" INV "/slot/1/0", &data, &len, &err), 0);
        snprintf(want, sizeof(want), "writer-%d", winner);
        assert_string_equal(data, want);
        free(data);
        path_of(fx, "inv/" INV "/slot/1", dir, sizeof(dir));
        assert_int_equal(count_entries(dir), 1);
}

/* ---- root hands what it creates to the registry's owner ---- */

static void test_root_owned_registry_stays_root(void **state)
{
        fixture *fx = *state;
        char path[PATH_MAX];
        struct stat st;

        if (geteuid() != 0)
                skip();
        put_ok(fx, "inv/" INV "/invitation", "x");
        path_of(fx, "inv/" INV "/invitation", path, sizeof(path));
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);
        path_of(fx, "inv", path, sizeof(path));
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);
}

/* The registry owner must be one the backend trusts (root, us, or the
 * `cws` user). The test machine may have no `cws` user, so the check runs
 * in a child whose private mount namespace shows an /etc/passwd that names
 * uid 65534 `cws`; the host's file is never touched. */
enum {
        HANDOFF_SKIP = 77,
        HANDOFF_NS = 100,
        HANDOFF_OPEN,
        HANDOFF_PUT,
        HANDOFF_OWNER,
        HANDOFF_GET,
        HANDOFF_PUT2,
};

static const char *const handoff_paths[] = {
        "inv", "inv/" INV, "inv/" INV "/slot", "inv/" INV "/slot/1", "inv/" INV "/slot/1/0",
        "inv/" INV "/slot/1/1",
};

static int handoff_child(const fixture *fx, const char *passwd)
{
        cws_registry *r = NULL;
        cws_error err = { 0 };
        char *data = NULL;
        size_t len = 0;
        struct passwd *pw = getpwnam("cws");

        if (!pw || pw->pw_uid != NOBODY) {
                if (pw)
                        return HANDOFF_SKIP;     /* a real cws user with another uid */
                if (unshare(CLONE_NEWNS) < 0)
                        return errno == EPERM ? HANDOFF_SKIP : HANDOFF_NS;
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0)
                        return HANDOFF_NS;
                /* nscd or another NSS source may not read the file. */
                pw = getpwnam("cws");
                if (!pw || pw->pw_uid != NOBODY) {
                        fprintf(stderr, "handoff: NSS does not see the bind-mounted passwd\n");
                        return HANDOFF_SKIP;
                }
        }
        if (cws_registry_open(fx->root, &r, &err) < 0) {
                fprintf(stderr, "handoff open: %s\n", err.msg);
                return HANDOFF_OPEN;
        }
        if (cws_registry_put_create_only(r, "inv/" INV "/slot/1/0", "rec", 3, &err) < 0) {
                fprintf(stderr, "handoff put: %s\n", err.msg);
                return HANDOFF_PUT;
        }
        /* A second record into directories that are no longer root's. */
        if (cws_registry_put_create_only(r, "inv/" INV "/slot/1/1", "rec2", 4, &err) < 0) {
                fprintf(stderr, "handoff put 2: %s\n", err.msg);
                return HANDOFF_PUT2;
        }
        if (cws_registry_get(r, "inv/" INV "/slot/1/0", &data, &len, &err) < 0 || len != 3 ||
            memcmp(data, "rec", 3) != 0) {
                fprintf(stderr, "handoff get: %s\n", err.msg);
                return HANDOFF_GET;
        }
        free(data);
        cws_registry_free(r);
        return 0;
}

static void test_root_hands_records_to_owner(void **state)
{
        fixture *fx = *state;
        char passwd[128], path[PATH_MAX], cmd[512];
        pid_t pid;
        int st = 0;

        if (geteuid() != 0)
                skip();
        snprintf(passwd, sizeof(passwd), "%s/passwd", fx->base);
        snprintf(cmd, sizeof(cmd),
                 "cp /etc/passwd '%s' && echo 'cws:x:65534:65534:cws test:/nonexistent:"
                 "/usr/sbin/nologin' >> '%s' && chmod 0644 '%s'", passwd, passwd, passwd);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(chown(fx->root, NOBODY, NOBODY), 0);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(handoff_child(fx, passwd));
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) == HANDOFF_SKIP)
                skip();
        assert_int_equal(WEXITSTATUS(st), 0);

        /* Seen from outside the namespace: every directory and record the
         * child made belongs to the registry's owner. */
        for (size_t i = 0; i < sizeof(handoff_paths) / sizeof(handoff_paths[0]); i++) {
                struct stat sb;
                path_of(fx, handoff_paths[i], path, sizeof(path));
                assert_int_equal(lstat(path, &sb), 0);
                if (sb.st_uid != NOBODY || sb.st_gid != NOBODY)
                        fail_msg("%s is owned by %u:%u, not 65534:65534", path,
                                 (unsigned)sb.st_uid, (unsigned)sb.st_gid);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_put_then_get, setup, teardown),
                cmocka_unit_test_setup_teardown(test_put_empty_record, setup, teardown),
                cmocka_unit_test_setup_teardown(test_put_twice_eexist, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_directory_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_size_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_put_under_a_file_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_group_writable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_untrusted_owner_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_symlink_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_sorted_one_level, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_skips_foreign_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_missing_prefix, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_many, setup, teardown),
                cmocka_unit_test(test_open_relative_refused),
                cmocka_unit_test_setup_teardown(test_open_trailing_slashes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_unsafe_root_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_put_race, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_owned_registry_stays_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_hands_records_to_owner, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
