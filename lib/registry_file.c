/* file: backend — a directory, local or on a shared filesystem. Records are
 * public signed data; create-only is link(2), which is atomic even on NFS. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/safe_file.h"

typedef struct file_registry {
        cws_registry base;
        char root[PATH_MAX];
        uid_t owner;            /* of the root directory */
        gid_t group;
} file_registry;

static int path_of(file_registry *f, const char *key, char *out, size_t outsz)
{
        int n = snprintf(out, outsz, "%s/%s", f->root, key);
        return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

/* O_NOFOLLOW guards only the last component: refuse a symlinked
 * directory anywhere below the root, so whoever can write the storage
 * cannot make us read or write (or chown) outside it. */
static int check_no_symlinks(file_registry *f, const char *key, cws_error *err)
{
        char path[PATH_MAX];
        size_t rootlen = strlen(f->root);
        struct stat st;

        if (path_of(f, key, path, sizeof(path)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", key);
        for (char *s = path + rootlen + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
                        return cws_error_set(err, S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR,
                                             "%s: refused, %s is not a directory%s", key, path,
                                             S_ISLNK(st.st_mode) ? " (a symlink in the registry)" : "");
                }
                *s = '/';
        }
        return 0;
}

/* The path of key under the root, with no symlinked directory on the way. */
static int key_path(file_registry *f, const char *key, char *path, size_t size, cws_error *err)
{
        if (path_of(f, key, path, size) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", key);
        return check_no_symlinks(f, key, err);
}

static int file_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        file_registry *f = (file_registry *)r;
        char path[PATH_MAX];
        int k = key_path(f, key, path, sizeof(path), err);

        if (k < 0)
                return k;
        k = cws_file_read_checked(path, CWS_RECORD_MAX, 0, data, len, err);
        if (k == -ENOENT)
                return cws_error_set(err, -ENOENT, "%s: no such record", key);
        return k;
}

/* The registry belongs to the owner of its root directory: when root (an
 * administrator) adds records to a registry owned by cws, what it creates
 * is handed to cws, so cwsd can still add slots and revocations. */
static int give_to_owner(file_registry *f, const char *path, cws_error *err)
{
        if (geteuid() == 0 && f->owner != 0 && lchown(path, f->owner, f->group) < 0)
                return cws_error_set(err, -errno, "%s: cannot hand to the registry owner: %s",
                                     path, strerror(errno));
        return 0;
}

static int ensure_parent(file_registry *f, const char *key, cws_error *err)
{
        char dir[PATH_MAX];
        size_t rootlen = strlen(f->root);
        int r;

        if (path_of(f, key, dir, sizeof(dir)) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", key);
        *strrchr(dir, '/') = '\0';
        r = cws_dir_ensure(dir, 0755, err);
        if (r < 0)
                return r;
        for (char *s = dir + rootlen + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                r = give_to_owner(f, dir, err);
                *s = '/';
                if (r < 0)
                        return r;
        }
        return give_to_owner(f, dir, err);
}

static int file_put_create_only(cws_registry *r, const char *key, const void *data, size_t len,
                                cws_error *err)
{
        file_registry *f = (file_registry *)r;
        char path[PATH_MAX];
        int k = key_path(f, key, path, sizeof(path), err);

        if (k < 0)
                return k;
        k = ensure_parent(f, key, err);
        if (k < 0)
                return k;
        k = cws_file_write_create_only(path, data, len, 0644, err);
        if (k == 0)
                k = give_to_owner(f, path, err);
        return k;
}

/* Lists the names directly under prefix (one level), as full keys. */
static int file_list(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                     cws_error *err)
{
        file_registry *f = (file_registry *)r;
        char path[PATH_MAX];
        DIR *d;
        struct dirent *e;
        char **v = NULL;
        size_t cnt = 0, cap = 0;
        int k;

        *keys = NULL;
        *n = 0;
        k = key_path(f, prefix, path, sizeof(path), err);
        if (k < 0)
                return k;
        {
                struct stat st;
                if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
                        return cws_error_set(err, -ELOOP, "%s: refused, a symlink in the registry", path);
        }
        d = opendir(path);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return cws_error_set(err, -errno, "%s: cannot list: %s", path, strerror(errno));
        }
        while ((e = readdir(d))) {
                char key[CWS_KEY_MAX];
                if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
                        continue;
                if (snprintf(key, sizeof(key), "%s/%s", prefix, e->d_name) >= (int)sizeof(key) ||
                    !cws_registry_key_valid(key))
                        continue;   /* not ours; never a path we build */
                if (cnt == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        char **nv = realloc(v, ncap * sizeof(*v));
                        if (!nv)
                                goto oom;
                        v = nv;
                        cap = ncap;
                }
                if (!(v[cnt] = strdup(key)))
                        goto oom;
                cnt++;
        }
        closedir(d);
        if (cnt)
                cws_strv_sort(v, cnt);
        *keys = v;
        *n = cnt;
        return 0;
oom:
        closedir(d);
        cws_strv_free(v, cnt);
        return cws_error_set(err, -ENOMEM, "out of memory");
}

static void file_free(cws_registry *r)
{
        free(r);
}

static const struct cws_registry_ops file_ops = {
        .get = file_get,
        .put_create_only = file_put_create_only,
        .list = file_list,
        .free = file_free,
};

int cws_registry_file_open(const char *path, cws_registry **out, cws_error *err)
{
        file_registry *f;
        struct stat st;
        size_t n = strlen(path);
        int r;

        if (path[0] != '/')
                return cws_error_set(err, -EINVAL, "file registry path '%s' is not absolute", path);
        if (n >= sizeof(f->root))
                return cws_error_set(err, -ENAMETOOLONG, "file registry path too long");
        r = cws_dir_ensure(path, 0755, err);
        if (r < 0)
                return r;
        f = calloc(1, sizeof(*f));
        if (!f)
                return cws_error_set(err, -ENOMEM, "out of memory");
        if (stat(path, &st) < 0) {
                free(f);
                return cws_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
        }
        f->owner = st.st_uid;
        f->group = st.st_gid;
        f->base.ops = &file_ops;
        snprintf(f->base.url, sizeof(f->base.url), "file://%s", path);
        memcpy(f->root, path, n + 1);
        while (n > 1 && f->root[n - 1] == '/')
                f->root[--n] = '\0';
        *out = &f->base;
        return 0;
}
