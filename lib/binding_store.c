/* The binding store (docs/design.md §3.4): one sealed binding (cws/binding.h) per
 * (user, invitation) in cwsd's state directory, never in $HOME. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cws/binding_store.h"
#include "cws/cleanup.h"
#include "cws/registry.h"
#include "cws/safe_file.h"

static void set_why(cws_reason *why, cws_reason r)
{
        if (why)
                *why = r;
}

/* A NULL-terminated vector of strings. */
static void strv_freep(char ***v)
{
        if (*v) {
                for (char **p = *v; *p; p++)
                        free(*p);
                free(*v);
        }
}

static int bindings_dir(char *out, size_t outsz, const char *state_dir, bool with_uid, uid_t uid,
                        cws_error *err)
{
        int k = with_uid ? snprintf(out, outsz, "%s/bindings/%u", state_dir, (unsigned)uid)
                         : snprintf(out, outsz, "%s/bindings", state_dir);

        if (k < 0 || (size_t)k >= outsz)
                return cws_error_set(err, -ENAMETOOLONG, "%s: state directory path too long",
                                     state_dir);
        return 0;
}

/* The invitation id becomes a path component: it must be a well-formed
 * id first, so "../x" and friends never reach the file system. */
static int binding_path(char out[PATH_MAX], const char *state_dir, uid_t uid, const char *inv_id,
                        cws_error *err)
{
        int k;

        if (!state_dir || !*state_dir)
                return cws_error_set(err, -EINVAL, "binding: no state directory given");
        if (!inv_id || strnlen(inv_id, CWS_ID_MAX) == CWS_ID_MAX || !cws_id_valid("inv", inv_id))
                return cws_error_set(err, -EINVAL, "binding: invalid invitation id refused");
        k = snprintf(out, PATH_MAX, "%s/bindings/%u/%s.bind", state_dir, (unsigned)uid, inv_id);
        if (k < 0 || k >= PATH_MAX)
                return cws_error_set(err, -ENAMETOOLONG, "%s: state directory path too long",
                                     state_dir);
        return 0;
}

int cws_binding_save(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                     const cws_binding *b, cws_error *err)
{
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX], dir[PATH_MAX];
        size_t len = 0;
        int r;

        /* Sealing checks every field, the invitation id included. */
        r = cws_binding_seal(host_key, b, &text, &len, err);
        if (r < 0)
                return r;
        if ((r = binding_path(path, state_dir, b->uid, b->inv_id, err)) < 0 ||
            (r = bindings_dir(dir, sizeof(dir), state_dir, false, 0, err)) < 0 ||
            (r = cws_dir_ensure(dir, 0700, err)) < 0 ||
            (r = bindings_dir(dir, sizeof(dir), state_dir, true, b->uid, err)) < 0 ||
            (r = cws_dir_ensure(dir, 0700, err)) < 0)
                return r;
        return cws_file_write_atomic(path, text, len, 0600, err);
}

int cws_binding_load(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid,
                     const char *username, const char *inv_id, cws_binding *b, cws_reason *why,
                     cws_error *err)
{
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len = 0;
        int r;

        set_why(why, CWS_R_BAD_REQUEST);
        r = binding_path(path, state_dir, uid, inv_id, err);
        if (r < 0)
                return r;
        r = cws_file_read_checked(path, CWS_BINDING_MAX, CWS_FILE_SECRET | CWS_FILE_PARENTS, &text,
                                  &len, err);
        if (r == -ENOENT) {
                set_why(why, CWS_R_NOT_ENROLLED);
                return cws_error_set(err, r,
                                     "%s: no binding for invitation %s; enroll this device "
                                     "with cws-enroll",
                                     path, inv_id);
        }
        if (r == -EFBIG) {
                set_why(why, CWS_R_TAMPER_DETECTED);
                return cws_error_set(err, -EBADMSG,
                                     "%s: larger than %d bytes, not a binding; remove it and "
                                     "enroll this device again",
                                     path, CWS_BINDING_MAX);
        }
        if (r < 0) {
                set_why(why, CWS_R_INTERNAL_ERROR);
                return r;
        }
        r = cws_binding_open(host_key, uid, username, text, len, b, why, err);
        if (r < 0) {
                if (err) {
                        char msg[sizeof(err->msg)];
                        memcpy(msg, err->msg, sizeof(msg));
                        cws_error_set(err, r, "%s: %s", path, msg);
                }
                return r;
        }
        /* The file name is not sealed: a binding renamed to another
         * invitation's file must not pass for it. */
        if (strcmp(b->inv_id, inv_id) != 0) {
                cws_wipe(b, sizeof(*b));
                set_why(why, CWS_R_TAMPER_DETECTED);
                return cws_error_set(err, -EBADMSG,
                                     "%s: holds the binding of another invitation; remove it "
                                     "and enroll this device again",
                                     path);
        }
        return 0;
}

/* A directory of the store, for reading (checked, cws/safe_file.h): 1 with
 * *d open, 0 when it does not exist, <0 on refusal or error. */
static int open_store_dir(char dir[PATH_MAX], const char *state_dir, bool with_uid, uid_t uid,
                          DIR **d, cws_error *err)
{
        int r = bindings_dir(dir, PATH_MAX, state_dir, with_uid, uid, err);

        if (r < 0)
                return r;
        r = cws_dir_opendir_checked(dir, d, err);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}

int cws_binding_list(const char *state_dir, uid_t uid, char ***ids, size_t *n, cws_error *err)
{
        _cleanup_(strv_freep) char **v = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        char dir[PATH_MAX];
        size_t count = 0, cap = 0;
        struct dirent *de;
        int r;

        if (!ids || !n)
                return cws_error_set(err, -EINVAL, "binding list: no output given");
        *ids = NULL;
        *n = 0;
        if (!state_dir || !*state_dir)
                return cws_error_set(err, -EINVAL, "binding list: no state directory given");
        r = open_store_dir(dir, state_dir, true, uid, &d, err);
        if (r <= 0)
                return r;

        v = calloc(1, sizeof(char *));
        if (!v)
                return cws_error_set(err, -ENOMEM, "binding list: out of memory");
        cap = 1;
        errno = 0;
        while ((de = readdir(d))) {
                size_t nl = strlen(de->d_name);
                char id[CWS_ID_MAX];

                /* Skips temporaries of atomic writes and anything else. */
                if (nl <= 5 || nl - 5 >= sizeof(id) || strcmp(de->d_name + nl - 5, ".bind") != 0)
                        continue;
                memcpy(id, de->d_name, nl - 5);
                id[nl - 5] = '\0';
                if (!cws_id_valid("inv", id))
                        continue;
                if (count + 1 >= cap) {
                        char **nv = reallocarray(v, cap * 2, sizeof(char *));
                        if (!nv)
                                return cws_error_set(err, -ENOMEM, "binding list: out of memory");
                        v = nv;
                        cap *= 2;
                }
                v[count] = strdup(id);
                if (!v[count])
                        return cws_error_set(err, -ENOMEM, "binding list: out of memory");
                v[++count] = NULL;
                errno = 0;
        }
        if (errno != 0)
                return cws_error_set(err, -errno, "%s: cannot read: %s", dir, strerror(errno));
        cws_strv_sort(v, count);
        *ids = TAKE_PTR(v);
        *n = count;
        return 0;
}

int cws_binding_remove(const char *state_dir, uid_t uid, const char *inv_id, cws_error *err)
{
        char path[PATH_MAX];
        int r = binding_path(path, state_dir, uid, inv_id, err);

        if (r < 0)
                return r;
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return cws_error_set(err, -ENOENT, "%s: no binding for invitation %s",
                                             path, inv_id);
                return cws_error_set(err, -errno, "%s: cannot remove: %s", path, strerror(errno));
        }
        return 0;
}

int cws_binding_users(const char *state_dir, uid_t **uids, size_t *n, cws_error *err)
{
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ uid_t *v = NULL;
        char dir[PATH_MAX];
        size_t count = 0, cap = 0;
        struct dirent *de;
        int r;

        if (!uids || !n || !state_dir || !*state_dir)
                return cws_error_set(err, -EINVAL, "binding users: bad arguments");
        *uids = NULL;
        *n = 0;
        r = open_store_dir(dir, state_dir, false, 0, &d, err);
        if (r <= 0)
                return r;
        /* errno is reset before each readdir: strtoul below sets it too. */
        while ((errno = 0, de = readdir(d))) {
                char *end;
                unsigned long u;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                errno = 0;
                u = strtoul(de->d_name, &end, 10);
                if (errno || *end || u >= (unsigned long)(uid_t)-1)
                        continue;
                if (count == cap) {
                        size_t nc = cap ? cap * 2 : 16;
                        uid_t *nv = reallocarray(v, nc, sizeof(*v));
                        if (!nv)
                                return cws_error_set(err, -ENOMEM, "%s: out of memory", dir);
                        v = nv;
                        cap = nc;
                }
                v[count++] = (uid_t)u;
        }
        if (errno != 0)
                return cws_error_set(err, -errno, "%s: cannot read: %s", dir, strerror(errno));
        *uids = TAKE_PTR(v);
        *n = count;
        return 0;
}
