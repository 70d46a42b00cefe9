/* Calls libnss_cws.so.2's entry points directly, the way glibc does, and
 * prints what came back, for tests/integration/test_nss.sh:
 *   nss_call MODULE getgrnam NAME BUFLEN
 *   nss_call MODULE getgrgid GID BUFLEN
 *   nss_call MODULE getgrent BUFLEN        (every group, retrying ERANGE)
 *   nss_call MODULE initgroups USER SKIPGID
 * Output: "status=NAME errno=N" then the group(s) as NAME:GID:M1,M2 or
 * the gids one a line. Exit 0 when the call returned, 2 on bad usage. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *status_name(enum nss_status s)
{
        switch (s) {
        case NSS_STATUS_TRYAGAIN: return "TRYAGAIN";
        case NSS_STATUS_UNAVAIL: return "UNAVAIL";
        case NSS_STATUS_NOTFOUND: return "NOTFOUND";
        case NSS_STATUS_SUCCESS: return "SUCCESS";
        default: return "OTHER";
        }
}

static void *sym(void *dl, const char *name)
{
        void *p = dlsym(dl, name);

        if (!p) {
                fprintf(stderr, "nss_call: %s: %s\n", name, dlerror());
                exit(2);
        }
        return p;
}

static void print_group(const struct group *g)
{
        printf("%s:%u:", g->gr_name, (unsigned)g->gr_gid);
        for (char **m = g->gr_mem; *m; m++)
                printf("%s%s", m == g->gr_mem ? "" : ",", *m);
        putchar('\n');
}

typedef enum nss_status (*byname_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*bygid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*ent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*set_fn)(int);
typedef enum nss_status (*init_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

int main(int argc, char **argv)
{
        struct group g;
        enum nss_status s;
        int e = 0;
        void *dl, *p;
        char *buf;
        size_t len;

        if (argc < 4)
                return 2;
        dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, "nss_call: %s\n", dlerror());
                return 2;
        }
        if (strcmp(argv[2], "initgroups") == 0 && argc == 5) {
                long start = 0, size = 1;
                gid_t *v = malloc(sizeof(gid_t));
                init_fn fn;

                p = sym(dl, "_nss_cws_initgroups_dyn");
                memcpy(&fn, &p, sizeof(fn));
                s = fn(argv[3], (gid_t)strtoul(argv[4], NULL, 10), &start, &size, &v, 0, &e);
                printf("status=%s errno=%d\n", status_name(s), s == NSS_STATUS_SUCCESS ? 0 : e);
                for (long i = 0; i < start; i++)
                        printf("%u\n", (unsigned)v[i]);
                free(v);
                return 0;
        }
        if (strcmp(argv[2], "getgrent") == 0) {
                set_fn set;
                ent_fn ent;

                len = strtoul(argv[3], NULL, 10);
                p = sym(dl, "_nss_cws_setgrent");
                memcpy(&set, &p, sizeof(set));
                p = sym(dl, "_nss_cws_getgrent_r");
                memcpy(&ent, &p, sizeof(ent));
                set(0);
                for (;;) {
                        buf = malloc(len ? len : 1);
                        s = ent(&g, buf, len, &e);
                        if (s == NSS_STATUS_TRYAGAIN && e == ERANGE) {
                                printf("status=TRYAGAIN errno=ERANGE buflen=%zu\n", len);
                                free(buf);
                                len = len * 2 + 16;
                                continue;
                        }
                        printf("status=%s errno=%d\n", status_name(s), s == NSS_STATUS_SUCCESS ? 0 : e);
                        if (s == NSS_STATUS_SUCCESS)
                                print_group(&g);
                        free(buf);
                        if (s != NSS_STATUS_SUCCESS)
                                return 0;
                }
        }
        if (argc != 5)
                return 2;
        len = strtoul(argv[4], NULL, 10);
        buf = malloc(len ? len : 1);
        if (strcmp(argv[2], "getgrnam") == 0) {
                byname_fn fn;

                p = sym(dl, "_nss_cws_getgrnam_r");
                memcpy(&fn, &p, sizeof(fn));
                s = fn(argv[3], &g, buf, len, &e);
        } else if (strcmp(argv[2], "getgrgid") == 0) {
                bygid_fn fn;

                p = sym(dl, "_nss_cws_getgrgid_r");
                memcpy(&fn, &p, sizeof(fn));
                s = fn((gid_t)strtoul(argv[3], NULL, 10), &g, buf, len, &e);
        } else {
                return 2;
        }
        printf("status=%s errno=%s\n", status_name(s),
               s == NSS_STATUS_SUCCESS ? "0" : e == ERANGE ? "ERANGE" : e == ENOENT ? "ENOENT" : "other");
        if (s == NSS_STATUS_SUCCESS)
                print_group(&g);
        free(buf);
        return 0;
}
