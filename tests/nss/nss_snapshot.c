/* libnss_cws.so.2's parsed copy of /run/cws/groups, from inside one
 * process as glibc keeps the module loaded, for
 * tests/integration/test_nss_snapshot.sh (which gives it a private /run):
 *   nss_snapshot MODULE
 * It writes the file itself and checks that a settled file is answered
 * without reading it again, that a fresh one is read on every call, that
 * a rename or an in-place rewrite of the same size and mtime is seen at
 * once, that an unsafe or missing file is UNAVAIL at once although a copy
 * is kept, and that threads looking up while the file changes get whole
 * answers of one version or the other. Prints "ok - ..." or
 * "not ok - ..." per check and "# done" at its end; exit 0 when all
 * passed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIR "/run/cws"
#define FILE_PATH DIR "/groups"
#define HEAD "cws-groups 1\ngroup cws-read_only 110000\ngroup cws-read_write 110001\n" \
             "group cws-admin 110002\n"
#define PAD_LINES 400   /* comments: the file is well over 4 KiB */

typedef enum nss_status (*byname_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*bygid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*init_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

static byname_fn getgrnam_cws;
static bygid_fn getgrgid_cws;
static init_fn initgroups_cws;
static int failures;

static void check(bool ok, const char *what)
{
        printf("%s - %s\n", ok ? "ok" : "not ok", what);
        if (!ok)
                failures++;
}

/* The text of a file with the given members ("NAME TYPE" lines). */
static void compose(char *out, size_t n, const char *const *members)
{
        size_t len = (size_t)snprintf(out, n, "%s", HEAD);

        for (; *members; members++)
                len += (size_t)snprintf(out + len, n - len, "member %s 4000000000\n", *members);
        for (int i = 0; i < PAD_LINES; i++)
                len += (size_t)snprintf(out + len, n - len, "# padding line %04d\n", i);
}

static int write_all(int fd, const char *text)
{
        size_t len = strlen(text);

        return pwrite(fd, text, len, 0) == (ssize_t)len ? 0 : -1;
}

/* By rename, as cwsd writes it; mtime, when given, copied onto the new file. */
static int put_rename(const char *text, const struct timespec *mtime)
{
        int fd = open(DIR "/groups.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
        int r;

        if (fd < 0)
                return -1;
        if (mtime)
                t[1] = *mtime;
        r = write_all(fd, text) | fchmod(fd, 0644) | futimens(fd, t);
        close(fd);
        return r == 0 ? rename(DIR "/groups.new", FILE_PATH) : -1;
}

/* In place, over the same inode, keeping the size and the mtime. */
static int put_in_place(const char *text)
{
        int fd = open(FILE_PATH, O_WRONLY | O_CLOEXEC);
        struct stat st;
        struct timespec t[2] = { { .tv_nsec = UTIME_OMIT } };
        int r;

        if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != strlen(text)) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        t[1] = st.st_mtim;
        r = write_all(fd, text) | futimens(fd, t);
        close(fd);
        return r;
}

static int64_t file_ctime(void)
{
        struct stat st;

        return stat(FILE_PATH, &st) == 0 ? (int64_t)st.st_ctim.tv_sec : -1;
}

/* Until the file's last change is 3 s past (the module keeps a copy of a
 * file changed over 2 s ago); bounded. */
static bool wait_settled(void)
{
        for (int i = 0; i < 200; i++) {
                if (file_ctime() >= 0 && (int64_t)time(NULL) - file_ctime() >= 3)
                        return true;
                usleep(50000);
        }
        return false;
}

/* Bytes this process has read so far (/proc/self/io rchar). */
static long long rchar(void)
{
        char line[128];
        long long v = -1;
        FILE *f = fopen("/proc/self/io", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "rchar: %lld", &v) == 1)
                        break;
        fclose(f);
        return v;
}

/* "STATUS m1,m2" of cws-admin (by name, or by gid when bygid). */
static void admin(char *out, size_t n, size_t buflen, bool bygid)
{
        char buf[8192];
        struct group g;
        int e = 0;
        enum nss_status s = bygid ? getgrgid_cws(110002, &g, buf, buflen, &e)
                                  : getgrnam_cws("cws-admin", &g, buf, buflen, &e);
        size_t len;

        len = (size_t)snprintf(out, n, "%s", s == NSS_STATUS_SUCCESS ? "SUCCESS" :
                               s == NSS_STATUS_UNAVAIL ? "UNAVAIL" :
                               s == NSS_STATUS_TRYAGAIN && e == ERANGE ? "ERANGE" : "OTHER");
        if (s != NSS_STATUS_SUCCESS)
                return;
        for (char **m = g.gr_mem; *m && len < n; m++)
                len += (size_t)snprintf(out + len, n - len, "%c%s", m == g.gr_mem ? ' ' : ',', *m);
}

static bool admin_is(const char *want)
{
        char got[512];

        admin(got, sizeof(got), 8192, false);
        if (strcmp(got, want) != 0)
                printf("#   cws-admin: \"%s\", wanted \"%s\"\n", got, want);
        return strcmp(got, want) == 0;
}

/* How many of the cws gids initgroups gives user; -1 when not SUCCESS. */
static int user_gids(const char *user)
{
        long start = 0, size = 4;
        gid_t *v = calloc(4, sizeof(gid_t));
        int e = 0, n = -1;
        enum nss_status s = v ? initgroups_cws(user, 0, &start, &size, &v, 0, &e) : NSS_STATUS_UNAVAIL;

        if (s == NSS_STATUS_SUCCESS)
                n = (int)start;
        else if (s == NSS_STATUS_NOTFOUND)
                n = 0;
        free(v);
        return n;
}

static char text_a[65536], text_b[65536];
static const char *const members_a[] = { "alice admin", "bobby admin", "carol read_only", NULL };
/* The same size as text_a, other members. */
static const char *const members_b[] = { "alice read_only", "dave1 admin", "erin2 admin", NULL };

/* The copy is used: a lookup of a settled file reads far less than it. */
static void test_settled(void)
{
        long long r0, r1;
        struct stat st;

        check(put_rename(text_a, NULL) == 0 && stat(FILE_PATH, &st) == 0, "write the file");
        r0 = rchar();
        admin_is("SUCCESS alice,bobby");
        r1 = rchar();
        admin_is("SUCCESS alice,bobby");
        /* Unchecked when this machine stalled long enough for it to settle. */
        if ((int64_t)time(NULL) - file_ctime() <= 1)
                check(rchar() - r1 >= st.st_size && r1 - r0 >= st.st_size,
                      "a file changed in the last 2 s is read on every call");
        else
                printf("ok - a file changed in the last 2 s is read on every call # SKIP too slow\n");
        check(wait_settled(), "the file settles (bounded wait)");
        check(admin_is("SUCCESS alice,bobby"), "settled: cws-admin answers");
        r0 = rchar();
        check(admin_is("SUCCESS alice,bobby"), "settled: cws-admin again, from the copy");
        check(user_gids("alice") == 3, "settled: initgroups alice, from the copy: 3 gids");
        check(rchar() - r0 < st.st_size / 4, "settled: those two lookups did not read the file");
}

static void test_changes(void)
{
        struct stat st;

        check(strlen(text_a) == strlen(text_b), "the two versions have the same size");
        /* In place, same size, same mtime: only ctime (and the bytes) move. */
        check(put_rename(text_a, NULL) == 0 && wait_settled() && admin_is("SUCCESS alice,bobby"),
              "settled copy of version A");
        check(put_in_place(text_b) == 0, "rewrite in place: same inode, size and mtime");
        check(admin_is("SUCCESS dave1,erin2"), "... seen at once");
        check(user_gids("alice") == 1, "... initgroups too: alice is read_only now");
        check(wait_settled() && admin_is("SUCCESS dave1,erin2"), "... and still once settled");
        /* By rename, the new file with the old one's mtime. */
        check(stat(FILE_PATH, &st) == 0 && put_rename(text_a, &st.st_mtim) == 0,
              "replace by rename (same size and mtime, a new inode)");
        check(admin_is("SUCCESS alice,bobby"), "... seen at once");
        check(wait_settled() && admin_is("SUCCESS alice,bobby") && user_gids("alice") == 3,
              "... and once settled");
}

/* With a settled copy kept, every unsafe state is UNAVAIL at once. */
static void unsafe(const char *what, int (*make)(void), int (*undo)(void))
{
        char msg[160];

        snprintf(msg, sizeof(msg), "%s: UNAVAIL at once, with a settled copy kept", what);
        if (!(put_rename(text_a, NULL) == 0 && wait_settled() && admin_is("SUCCESS alice,bobby"))) {
                check(false, msg);
                return;
        }
        check(make() == 0 && admin_is("UNAVAIL") && user_gids("alice") == -1, msg);
        snprintf(msg, sizeof(msg), "%s undone: served again", what);
        check(undo() == 0 && admin_is("SUCCESS alice,bobby"), msg);
}

static int world_writable(void) { return chmod(FILE_PATH, 0666); }
static int group_writable_dir(void) { return chmod(DIR, 0775); }
static int dir_back(void) { return chmod(DIR, 0755); }
static int user_owned(void) { return chown(FILE_PATH, 64999, (gid_t)-1); }
static int mode_back(void) { return chmod(FILE_PATH, 0644) | chown(FILE_PATH, 0, (gid_t)-1); }
static int symlinked(void)
{
        return rename(FILE_PATH, DIR "/groups.real") | symlink(DIR "/groups.real", FILE_PATH);
}
static int unlinked(void) { return unlink(FILE_PATH); }
static int restore(void)
{
        unlink(FILE_PATH);
        unlink(DIR "/groups.real");
        return put_rename(text_a, NULL);
}
static int malformed(void)
{
        char bad[65536];

        memcpy(bad, text_a, sizeof(bad));
        bad[strlen(HEAD)] = 'X';        /* "Xember": not a line the file may hold */
        return put_in_place(bad);
}

static void test_erange(void)
{
        char got[256];

        check(put_rename(text_a, NULL) == 0 && wait_settled() && admin_is("SUCCESS alice,bobby"),
              "settled copy for the buffer checks");
        admin(got, sizeof(got), 24, false);
        check(strcmp(got, "ERANGE") == 0, "a small buffer is ERANGE from the copy");
        admin(got, sizeof(got), 8192, true);
        check(strcmp(got, "SUCCESS alice,bobby") == 0, "getgrgid 110002 from the copy");
}

/* Threads look up while the main thread swaps the versions. */
static int stop, thread_bad;

static void *looker(void *arg)
{
        char got[512];
        long i = (long)arg;
        int bad = 0;

        for (; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
                int n;

                admin(got, sizeof(got), 8192, i % 2 == 0);
                if (strcmp(got, "SUCCESS alice,bobby") != 0 && strcmp(got, "SUCCESS dave1,erin2") != 0)
                        bad++;
                n = user_gids("alice");
                if (n != 3 && n != 1)
                        bad++;
        }
        __atomic_add_fetch(&thread_bad, bad, __ATOMIC_RELAXED);
        return NULL;
}

static void test_threads(void)
{
        pthread_t t[6];
        int started = 0, swaps_ok = 1;

        check(put_rename(text_a, NULL) == 0 && wait_settled(), "settled file for the threads");
        for (long i = 0; i < 6; i++)
                if (pthread_create(&t[i], NULL, looker, (void *)i) == 0)
                        started++;
        /* First from the settled copy, then while it is replaced (by
         * rename, as cwsd does: a read beside an in-place write may see
         * half of each). */
        usleep(200000);
        for (int i = 0; i < 200; i++) {
                if (put_rename(i % 2 ? text_a : text_b, NULL))
                        swaps_ok = 0;
                usleep(2000);
        }
        __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < started; i++)
                pthread_join(t[i], NULL);
        check(started == 6 && swaps_ok, "6 threads looked up from the copy, then while the file was replaced 200 times");
        check(thread_bad == 0, "every answer was whole: one version or the other");
        if (thread_bad)
                printf("#   %d wrong answers\n", thread_bad);
}

int main(int argc, char **argv)
{
        void *dl, *p;

        if (argc != 2)
                return 2;
        dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, "nss_snapshot: %s\n", dlerror());
                return 2;
        }
        p = dlsym(dl, "_nss_cws_getgrnam_r");
        memcpy(&getgrnam_cws, &p, sizeof(p));
        p = dlsym(dl, "_nss_cws_getgrgid_r");
        memcpy(&getgrgid_cws, &p, sizeof(p));
        p = dlsym(dl, "_nss_cws_initgroups_dyn");
        memcpy(&initgroups_cws, &p, sizeof(p));
        if (!getgrnam_cws || !getgrgid_cws || !initgroups_cws)
                return 2;
        compose(text_a, sizeof(text_a), members_a);
        compose(text_b, sizeof(text_b), members_b);
        test_settled();
        test_changes();
        unsafe("made world-writable", world_writable, mode_back);
        unsafe("owned by a user (uid 64999)", user_owned, mode_back);
        unsafe("replaced by a symlink to the same content", symlinked, restore);
        unsafe("/run/cws made group-writable (the file itself unchanged)", group_writable_dir,
               dir_back);
        unsafe("removed", unlinked, restore);
        unsafe("rewritten in place with a malformed line (same size)", malformed, restore);
        test_erange();
        test_threads();
        restore();
        dlclose(dl);
        printf("# done\n");
        return failures ? 1 : 0;
}
