/* Times group lookups as glibc makes them on a host whose nsswitch.conf
 * says "group: files cws": the cws part is libnss_cws.so.2's own entry
 * points called directly (dlopen, dlsym), the files part is glibc's
 * getgrnam_r and getgrouplist with "group: files" alone (the caller
 * arranges that nsswitch.conf), so the first figure is what the module
 * adds to every such call.
 *
 *   bench-nss MODULE GROUP USER N
 *
 * The module reads the fixed path /run/cws/groups: the caller writes it
 * (in a private mount namespace, tests/bench/run.sh). Runs N/10 untimed
 * calls, then N timed ones of each kind; prints one line per kind:
 *   KIND median_us=... p99_us=... n=N
 * with KIND cws_getgrnam, cws_initgroups, files_getgrnam and
 * files_initgroups. A call of the module that does not answer SUCCESS is a
 * failure: it is printed and the program exits 1 without figures. */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#define MAX_N 10000000L
#define BUF_SIZE 65536
#define MAX_GROUPS 1024

typedef enum nss_status (*getgrnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long int *, long int *, gid_t **,
                                         long int, int *);

struct bench {
        const char *group, *user;
        getgrnam_fn getgrnam;
        initgroups_fn initgroups;
        char buf[BUF_SIZE];
        gid_t *gids;
        long int gids_size;
};

static int cws_getgrnam(struct bench *b)
{
        struct group grp;
        int err = 0;
        enum nss_status st = b->getgrnam(b->group, &grp, b->buf, sizeof(b->buf), &err);

        if (st == NSS_STATUS_SUCCESS)
                return 0;
        fprintf(stderr, "bench-nss: _nss_cws_getgrnam_r(%s): status %d, %s\n", b->group, (int)st,
                strerror(err));
        return -1;
}

static int cws_initgroups(struct bench *b)
{
        long int start = 0;
        int err = 0;
        enum nss_status st = b->initgroups(b->user, (gid_t)-1, &start, &b->gids_size, &b->gids,
                                           MAX_GROUPS, &err);

        if (st == NSS_STATUS_SUCCESS && start > 0)
                return 0;
        fprintf(stderr, "bench-nss: _nss_cws_initgroups_dyn(%s): status %d, %ld groups, %s\n",
                b->user, (int)st, start, strerror(err));
        return -1;
}

/* As glibc's files source answers for a name /etc/group does not have:
 * the whole file is read, the answer is "not found". */
static int files_getgrnam(struct bench *b)
{
        struct group grp, *res = NULL;

        return getgrnam_r(b->group, &grp, b->buf, sizeof(b->buf), &res) == 0 ? 0 : -1;
}

static int files_initgroups(struct bench *b)
{
        gid_t g[MAX_GROUPS];
        int n = MAX_GROUPS;

        return getgrouplist(b->user, 0, g, &n) >= 0 ? 0 : -1;
}

static int run(const char *kind, int (*call)(struct bench *), struct bench *b, long n, int64_t *lat)
{
        for (long i = 0; i < n / 10; i++)
                if (call(b) < 0)
                        return -1;
        for (long i = 0; i < n; i++) {
                int64_t t0 = now_ns();

                if (call(b) < 0)
                        return -1;
                lat[i] = now_ns() - t0;
        }
        qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
        printf("%s median_us=%.2f p99_us=%.2f n=%ld\n", kind, (double)lat[n / 2] / 1000.0,
               (double)lat[(n * 99) / 100] / 1000.0, n);
        return 0;
}

int main(int argc, char **argv)
{
        static struct bench b;
        void *mod;
        int64_t *lat;
        long n;
        int rc = 1;

        if (argc != 5) {
                fprintf(stderr, "usage: bench-nss MODULE GROUP USER N\n");
                return 2;
        }
        n = strtol(argv[4], NULL, 10);
        if (n < 10 || n > MAX_N) {
                fprintf(stderr, "bench-nss: N must be 10 to %ld, not %s\n", MAX_N, argv[4]);
                return 2;
        }
        mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!mod) {
                fprintf(stderr, "bench-nss: cannot load %s: %s\n", argv[1], dlerror());
                return 1;
        }
        /* POSIX dlsym returns an object pointer; the cast through a union
         * keeps -Wpedantic's function-pointer rule quiet. */
        union { void *p; getgrnam_fn f; } gn = { .p = dlsym(mod, "_nss_cws_getgrnam_r") };
        union { void *p; initgroups_fn f; } ig = { .p = dlsym(mod, "_nss_cws_initgroups_dyn") };
        if (!gn.p || !ig.p) {
                fprintf(stderr, "bench-nss: %s lacks _nss_cws_getgrnam_r or _nss_cws_initgroups_dyn\n",
                        argv[1]);
                dlclose(mod);
                return 1;
        }
        b.group = argv[2];
        b.user = argv[3];
        b.getgrnam = gn.f;
        b.initgroups = ig.f;
        b.gids_size = MAX_GROUPS;
        b.gids = calloc(MAX_GROUPS, sizeof(*b.gids));
        lat = calloc((size_t)n, sizeof(*lat));
        if (!b.gids || !lat) {
                fprintf(stderr, "bench-nss: out of memory for %ld samples\n", n);
                goto out;
        }
        if (run("cws_getgrnam", cws_getgrnam, &b, n, lat) < 0 ||
            run("cws_initgroups", cws_initgroups, &b, n, lat) < 0 ||
            run("files_getgrnam", files_getgrnam, &b, n, lat) < 0 ||
            run("files_initgroups", files_initgroups, &b, n, lat) < 0)
                goto out;
        rc = 0;
out:
        free(lat);
        free(b.gids);
        dlclose(mod);
        return rc;
}
