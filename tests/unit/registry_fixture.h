/* Shared fixture of the tests of the signed records (chain, invite, enroll,
 * revoke, devices, slot, validate, notice, decide): a file registry in a
 * fresh mkdtemp directory, an administrator key pinned in a trusted_keys
 * file, a hand-filled fingerprint, and helpers that create invitations and
 * reach into the registry files on disk. Include after defining _GNU_SOURCE. */
#pragma once
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any include (nftw)"
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "cws/base64.h"
#include "cws/cleanup.h"
#include "cws/enroll.h"
#include "cws/fingerprint.h"
#include "cws/invitation.h"
#include "cws/invite.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/trust.h"

/* A fixed clock: every record is made at FX_NOW unless a test says so. */
#define FX_NOW ((int64_t)1700000000)
#define FX_DAY ((int64_t)24 * 60 * 60)
#define FX_USER "alice"
#define FX_UID ((uid_t)1000)
#define FX_MACHINE_ID "0123456789abcdef0123456789abcdef"
#define FX_PROFILE "team-dev"

typedef struct registry_fx {
        char dir[128];                          /* the mkdtemp directory */
        char regdir[160];                       /* dir/registry */
        char url[192];                          /* file://dir/registry */
        char trust_path[160];                   /* dir/trusted_keys */
        cws_registry *reg;
        uint8_t admin_priv[CWS_ED25519_KEY_LEN];
        uint8_t admin_pub[CWS_ED25519_KEY_LEN];
        cws_trust trust;
        cws_fingerprint fp;                     /* this "device" */
} registry_fx;

static inline void fx_fingerprint(cws_fingerprint *fp)
{
        memset(fp, 0, sizeof(*fp));
        snprintf(fp->hostname, sizeof(fp->hostname), "%s", "ws-alice.example.org");
        snprintf(fp->machine_id, sizeof(fp->machine_id), "%s", FX_MACHINE_ID);
        snprintf(fp->system_uuid, sizeof(fp->system_uuid), "%s",
                 "4c4c4544-0042-3510-8052-b2c04f4e4d32");
        snprintf(fp->os, sizeof(fp->os), "%s", "Debian GNU/Linux 12 (bookworm)");
        snprintf(fp->arch, sizeof(fp->arch), "%s", "x86_64");
        snprintf(fp->macs[0], sizeof(fp->macs[0]), "%s", "52:54:00:12:34:56");
        snprintf(fp->macs[1], sizeof(fp->macs[1]), "%s", "52:54:00:ab:cd:ef");
        fp->n_macs = 2;
        fp->uid = FX_UID;
        snprintf(fp->username, sizeof(fp->username), "%s", FX_USER);
}

static inline int fx_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

/* Tests make directories unreadable; open them up again before removal. */
static inline int fx_open_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_D || flag == FTW_DNR)
                (void)chmod(path, 0700);
        return 0;
}

static inline int fx_rm_tree(const char *dir)
{
        (void)nftw(dir, fx_open_dir, 16, FTW_PHYS);
        return nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int fx_setup(void **state)
{
        registry_fx *fx = calloc(1, sizeof(*fx));
        cws_error err = { 0 };
        char line[128];
        FILE *f;

        if (!fx)
                return -1;
        umask(022);
        snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/cws-registry-test-XXXXXX");
        if (!mkdtemp(fx->dir)) {
                print_error("mkdtemp: %s\n", strerror(errno));
                free(fx);
                return -1;
        }
        snprintf(fx->regdir, sizeof(fx->regdir), "%s/registry", fx->dir);
        snprintf(fx->url, sizeof(fx->url), "file://%s", fx->regdir);
        snprintf(fx->trust_path, sizeof(fx->trust_path), "%s/trusted_keys", fx->dir);
        if (cws_ed25519_keygen(fx->admin_priv, fx->admin_pub) < 0 ||
            cws_trust_format_key(fx->admin_pub, line, sizeof(line)) < 0)
                goto fail;
        f = fopen(fx->trust_path, "w");
        if (!f)
                goto fail;
        fprintf(f, "# test administrator\n%s admin@test\n", line);
        if (fchmod(fileno(f), 0644) < 0 || fclose(f) != 0)
                goto fail;
        if (cws_trust_load(fx->trust_path, &fx->trust, &err) < 0 || fx->trust.n != 1 ||
            cws_registry_open(fx->url, &fx->reg, &err) < 0)
                goto fail;
        fx_fingerprint(&fx->fp);
        *state = fx;
        return 0;
fail:
        print_error("registry fixture: %s\n", err.msg[0] ? err.msg : strerror(errno));
        cws_registry_free(fx->reg);
        fx_rm_tree(fx->dir);
        free(fx);
        return -1;
}

static inline int fx_teardown(void **state)
{
        registry_fx *fx = *state;
        int r;

        if (!fx)
                return 0;
        cws_registry_free(fx->reg);
        r = fx_rm_tree(fx->dir);
        if (r != 0)
                print_error("cannot remove %s: %s\n", fx->dir, strerror(errno));
        cws_wipe(fx->admin_priv, sizeof(fx->admin_priv));
        free(fx);
        *state = NULL;
        return r == 0 ? 0 : -1;
}

/* The defaults (cws_invitation_defaults) made at FX_NOW, with a profile name. */
static inline void fx_inv_defaults(cws_invitation *inv, cws_inv_type type)
{
        cws_invitation_defaults(inv, type, FX_NOW);
        snprintf(inv->name, sizeof(inv->name), "%s", FX_PROFILE);
}

/* The library call, as is: for tests that expect a refusal. */
static inline int fx_create_root(registry_fx *fx, cws_invitation *inv, char token[CWS_TOKEN_MAX],
                                 cws_error *err)
{
        return cws_invitation_create(fx->reg, &fx->trust, inv, fx->admin_priv, NULL, FX_NOW, token,
                                     err);
}

static inline int fx_create_sub(registry_fx *fx, const char *parent_token, cws_invitation *inv,
                                char token[CWS_TOKEN_MAX], cws_error *err)
{
        return cws_invitation_create(fx->reg, &fx->trust, inv, NULL, parent_token, FX_NOW, token,
                                     err);
}

/* A root invitation of type (defaults otherwise) with max_devices; the
 * record is written and the token returned. */
static inline void fx_root(registry_fx *fx, cws_inv_type type, unsigned max_devices,
                           cws_invitation *inv, char token[CWS_TOKEN_MAX])
{
        cws_error err = { 0 };

        fx_inv_defaults(inv, type);
        inv->max_devices = max_devices;
        if (fx_create_root(fx, inv, token, &err) != 0)
                fail_msg("root invitation: %s", err.msg);
}

/* A sub-invitation of type under parent_token (defaults otherwise). */
static inline void fx_sub(registry_fx *fx, const char *parent_token, cws_inv_type type,
                          cws_invitation *inv, char token[CWS_TOKEN_MAX])
{
        cws_error err = { 0 };

        fx_inv_defaults(inv, type);
        if (fx_create_sub(fx, parent_token, inv, token, &err) != 0)
                fail_msg("sub-invitation: %s", err.msg);
}

/* The invitation key pair a token stands for. */
static inline void fx_token_key(const char *token, uint8_t priv[CWS_ED25519_KEY_LEN],
                                uint8_t pub[CWS_ED25519_KEY_LEN])
{
        char id[CWS_ID_MAX];
        uint8_t secret[CWS_SECRET_LEN];

        assert_int_equal(cws_token_parse(token, id, secret), 0);
        assert_int_equal(cws_invitation_key(id, secret, priv, pub), 0);
}

/* A fresh id, secret and key pair for a record written by hand: fills
 * inv->id and inv->pubkey and returns the matching token. */
static inline void fx_new_identity(cws_invitation *inv, char token[CWS_TOKEN_MAX])
{
        uint8_t secret[CWS_SECRET_LEN], priv[CWS_ED25519_KEY_LEN];

        assert_int_equal(cws_id_new("inv", inv->id), 0);
        assert_int_equal(cws_random(secret, sizeof(secret)), 0);
        assert_int_equal(cws_invitation_key(inv->id, secret, priv, inv->pubkey), 0);
        assert_int_equal(cws_token_format(inv->id, secret, token), 0);
}

/* Seals payload as kind with priv and stores it at key, create-only. */
static inline void fx_put(registry_fx *fx, const char *key, cws_record_kind kind,
                          const char *payload, const uint8_t priv[CWS_ED25519_KEY_LEN])
{
        cws_error err = { 0 };
        char *rec = NULL;

        if (cws_record_seal(kind, payload, priv, &rec, &err) != 0)
                fail_msg("seal: %s", err.msg);
        if (cws_registry_put_create_only(fx->reg, key, rec, strlen(rec), &err) != 0)
                fail_msg("put %s: %s", key, err.msg);
        free(rec);
}

/* Writes an invitation record by hand, signed by priv, at its own key. */
static inline void fx_put_invitation(registry_fx *fx, const cws_invitation *inv,
                                     const uint8_t priv[CWS_ED25519_KEY_LEN])
{
        char key[CWS_KEY_MAX], *payload = NULL;

        assert_int_equal(cws_key_invitation(key, inv->id), 0);
        assert_int_equal(cws_invitation_to_json(inv, &payload), 0);
        fx_put(fx, key, CWS_REC_INVITATION, payload, priv);
        free(payload);
}

/* A revocation record written by hand, signed by priv, stored at key. */
static inline void fx_put_revocation(registry_fx *fx, const char *key, const char *inv_id,
                                     const char *device_id,
                                     const uint8_t priv[CWS_ED25519_KEY_LEN])
{
        cws_revocation rv = { .at = FX_NOW };
        char *payload = NULL;

        snprintf(rv.inv_id, sizeof(rv.inv_id), "%s", inv_id);
        snprintf(rv.device_id, sizeof(rv.device_id), "%s", device_id);
        snprintf(rv.by, sizeof(rv.by), "%s", "test");
        assert_int_equal(cws_revocation_to_json(&rv, &payload), 0);
        fx_put(fx, key, CWS_REC_REVOCATION, payload, priv);
        free(payload);
}

/* The file behind a registry key. */
static inline void fx_path(const registry_fx *fx, const char *key, char out[PATH_MAX])
{
        int n = snprintf(out, PATH_MAX, "%s/%s", fx->regdir, key);
        assert_true(n > 0 && n < PATH_MAX);
}

static inline char *fx_read(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = calloc(1, CWS_RECORD_MAX + 1);
        size_t n;

        if (!f)
                fail_msg("open %s: %s", path, strerror(errno));
        assert_non_null(buf);
        n = fread(buf, 1, CWS_RECORD_MAX, f);
        fclose(f);
        *len = n;
        return buf;
}

/* Rewrites a registry file in place; it stays 0644 as the registry made it. */
static inline void fx_write(const char *path, const void *data, size_t len)
{
        int fd;

        assert_int_equal(chmod(path, 0644), 0);
        fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(path, 0644), 0);
}

/* Changes the byte at offset (xor mask) in a registry file. */
static inline void fx_flip_byte(const char *path, size_t offset, uint8_t mask)
{
        size_t len = 0;
        char *buf = fx_read(path, &len);

        assert_true(offset < len);
        buf[offset] = (char)(buf[offset] ^ (char)mask);
        fx_write(path, buf, len);
        free(buf);
}

/* Offset of the first byte after needle in a file (must be there). */
static inline size_t fx_offset_after(const char *path, const char *needle)
{
        size_t len = 0;
        char *buf = fx_read(path, &len);
        char *p = strstr(buf, needle);
        size_t off;

        if (!p)
                fail_msg("%s: no '%s'", path, needle);
        off = (size_t)(p - buf) + strlen(needle);
        free(buf);
        return off;
}

static inline void fx_copy_file(const char *from, const char *to)
{
        size_t len = 0;
        char *buf = fx_read(from, &len);

        fx_write(to, buf, len);
        free(buf);
}

/* Enrolls this fixture's user and fingerprint at FX_NOW, asserting success. */
static inline void fx_enroll(registry_fx *fx, const char *token, cws_binding *b)
{
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;

        if (cws_enroll(fx->reg, &fx->trust, token, FX_UID, FX_USER, &fx->fp, FX_NOW, b, &why,
                       &err) != 0)
                fail_msg("enroll: %s (%s)", err.msg, cws_reason_to_string(why));
        assert_int_equal(why, CWS_R_OK);
}

/* How many invitation records the registry holds. */
static inline size_t fx_count_invitations(registry_fx *fx)
{
        char **keys = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        if (access(fx->regdir, F_OK) != 0)
                return 0;
        assert_int_equal(cws_registry_list(fx->reg, "inv", &keys, &n, &err), 0);
        cws_strv_free(keys, n);
        return n;
}

/* A registry in front of another (the fixture's): it counts the calls,
 * times every one out while down, and lets a test answer a get itself
 * (get_hook: > 0 passes the get on; otherwise its result is the answer). */
typedef struct fx_wrap {
        cws_registry base;
        cws_registry *inner;
        bool down;
        unsigned calls;
        int (*get_hook)(struct fx_wrap *w, const char *key, cws_error *err);
        int hook_left;          /* for the hook's own counting */
        unsigned hook_calls;
} fx_wrap;

static inline int fx_wrap_enter(cws_registry *r, cws_error *err)
{
        fx_wrap *w = (fx_wrap *)r;

        w->calls++;
        return w->down ? cws_error_set(err, -ETIMEDOUT, "test registry: timed out") : 0;
}

static inline int fx_wrap_get(cws_registry *r, const char *key, char **data, size_t *len,
                              cws_error *err)
{
        fx_wrap *w = (fx_wrap *)r;
        int k = fx_wrap_enter(r, err);

        if (k < 0)
                return k;
        if (w->get_hook && (k = w->get_hook(w, key, err)) <= 0)
                return k;
        return cws_registry_get(w->inner, key, data, len, err);
}

static inline int fx_wrap_put(cws_registry *r, const char *key, const void *data, size_t len,
                              cws_error *err)
{
        int k = fx_wrap_enter(r, err);

        return k < 0 ? k : cws_registry_put_create_only(((fx_wrap *)r)->inner, key, data, len, err);
}

static inline int fx_wrap_list(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                               cws_error *err)
{
        int k = fx_wrap_enter(r, err);

        return k < 0 ? k : cws_registry_list(((fx_wrap *)r)->inner, prefix, keys, n, err);
}

static inline void fx_wrap_free(cws_registry *r)
{
        (void)r;
}

/* A wrapper in front of inner, passing everything on. */
static inline fx_wrap fx_wrap_of(cws_registry *inner)
{
        static const struct cws_registry_ops ops = {
                .get = fx_wrap_get, .put_create_only = fx_wrap_put, .list = fx_wrap_list,
                .free = fx_wrap_free,
        };
        fx_wrap w = { .base = { .ops = &ops }, .inner = inner };

        snprintf(w.base.url, sizeof(w.base.url), "%s", inner->url);
        return w;
}
