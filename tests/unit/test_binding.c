/* Sealed bindings: a binding opens only on the host, for the account and
 * under the host key it was sealed with; one changed byte, a copy to
 * another machine (a private mount namespace with another
 * /etc/machine-id), or a hostile file is refused without a crash. */
#define _GNU_SOURCE   /* unshare() */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
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
#include "cws/base64.h"
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/registry.h"
#include "cws/safe_file.h"
#include "machine_id_ns.h"

#define HEADER_LEN 80   /* "cws-binding-v1 " + 64 hex + "\n" */
#define OTHER_MACHINE_ID "0123456789abcdef0123456789abcdef\n"

typedef struct fixture {
        char dir[FIXTURE_DIR_MAX];
        uint8_t key[CWS_HOST_KEY_LEN];
        cws_binding b;
        char *text;   /* b sealed under key */
        size_t len;
} fixture;

static void make_binding(cws_binding *b, uid_t uid, const char *user)
{
        cws_error err = { 0 };

        memset(b, 0, sizeof(*b));
        strcpy(b->profile, "genomics-lab");
        assert_int_equal(cws_id_new("inv", b->inv_id), 0);
        assert_int_equal(cws_id_new("dev", b->device_id), 0);
        assert_int_equal(cws_random(b->secret, sizeof(b->secret)), 0);
        assert_int_equal(cws_random(b->binding_priv, sizeof(b->binding_priv)), 0);
        b->slot = 2;
        b->gen = 7;
        b->uid = uid;
        strcpy(b->username, user);
        assert_int_equal(cws_fingerprint_collect(uid, user, &b->fp, &err), 0);
        b->enrolled_at = 1700000000;
}

static int setup(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        cws_error err = { 0 };

        assert_non_null(f);
        assert_int_equal(fixture_dir_make(f->dir, sizeof(f->dir)), 0);
        assert_int_equal(cws_host_key_load(f->dir, f->key, true, &err), 0);
        make_binding(&f->b, 1000, "alice");
        assert_int_equal(cws_binding_seal(f->key, &f->b, &f->text, &f->len, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture *f = *state;

        assert_int_equal(fixture_dir_remove(f->dir), 0);
        free(f->text);
        free(f);
        return 0;
}

static void assert_fp_equal(const cws_fingerprint *a, const cws_fingerprint *b)
{
        assert_string_equal(a->hostname, b->hostname);
        assert_string_equal(a->machine_id, b->machine_id);
        assert_string_equal(a->system_uuid, b->system_uuid);
        assert_string_equal(a->os, b->os);
        assert_string_equal(a->arch, b->arch);
        assert_int_equal(a->n_macs, b->n_macs);
        for (unsigned i = 0; i < a->n_macs; i++)
                assert_string_equal(a->macs[i], b->macs[i]);
        assert_int_equal(a->uid, b->uid);
        assert_string_equal(a->username, b->username);
}

static void assert_binding_equal(const cws_binding *a, const cws_binding *b)
{
        assert_string_equal(a->profile, b->profile);
        assert_string_equal(a->inv_id, b->inv_id);
        assert_memory_equal(a->secret, b->secret, sizeof(a->secret));
        assert_string_equal(a->device_id, b->device_id);
        assert_int_equal(a->slot, b->slot);
        assert_int_equal(a->gen, b->gen);
        assert_int_equal(a->uid, b->uid);
        assert_string_equal(a->username, b->username);
        assert_fp_equal(&a->fp, &b->fp);
        assert_memory_equal(a->binding_priv, b->binding_priv, sizeof(a->binding_priv));
        assert_int_equal(a->enrolled_at, b->enrolled_at);
}

/* Opens an exact-size heap copy, so a read past len is caught under ASan. */
static int open_copy(const uint8_t *key, uid_t uid, const char *user, const void *data,
                     size_t len, cws_binding *out, cws_reason *why, cws_error *err)
{
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, data, len);
        r = cws_binding_open(key, uid, user, copy, len, out, why, err);
        free(copy);
        return r;
}

static void assert_refused(const fixture *f, const void *data, size_t len, cws_reason want)
{
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;

        memset(&out, 0, sizeof(out));
        assert_int_equal(open_copy(f->key, 1000, "alice", data, len, &out, &why, &err), -EBADMSG);
        assert_int_equal(why, want);
        assert_true(err.msg[0] != '\0');
        /* Nothing leaks out of a refused binding. */
        assert_true(out.inv_id[0] == '\0' && out.secret[0] == 0 && out.binding_priv[0] == 0);
}

/* ---- host key ---- */

static void test_host_key_created_once(void **state)
{
        fixture *f = *state;
        uint8_t again[CWS_HOST_KEY_LEN];
        cws_error err = { 0 };
        char path[PATH_MAX];
        struct stat st;

        snprintf(path, sizeof(path), "%s/host.key", f->dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, CWS_HOST_KEY_LEN);
        assert_int_equal(cws_host_key_load(f->dir, again, true, &err), 0);
        assert_memory_equal(again, f->key, sizeof(again));
        assert_int_equal(cws_host_key_load(f->dir, again, false, &err), 0);
        assert_memory_equal(again, f->key, sizeof(again));
}

static void test_host_key_missing_without_create(void **state)
{
        fixture *f = *state;
        uint8_t k[CWS_HOST_KEY_LEN];
        cws_error err = { 0 };
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/host.key", f->dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(cws_host_key_load(f->dir, k, false, &err), -ENOENT);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(access(path, F_OK), -1);
}

static void test_host_key_refused_when_unsafe(void **state)
{
        fixture *f = *state;
        uint8_t k[CWS_HOST_KEY_LEN];
        cws_error err = { 0 };
        char path[PATH_MAX], real[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "%s/host.key", f->dir);

        assert_int_equal(chmod(path, 0640), 0);
        assert_int_equal(cws_host_key_load(f->dir, k, true, &err), -EPERM);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(chmod(path, 0604), 0);
        assert_int_equal(cws_host_key_load(f->dir, k, true, &err), -EPERM);
        assert_int_equal(chmod(path, 0600), 0);

        /* A symlink to a perfectly good key is still refused. */
        snprintf(real, sizeof(real), "%s/real.key", f->dir);
        assert_int_equal(rename(path, real), 0);
        assert_int_equal(symlink(real, path), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_host_key_load(f->dir, k, true, &err), -ELOOP);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(unlink(path), 0);

        /* Wrong size: neither truncated nor padded keys are used. */
        for (size_t n = 0; n < 2 * CWS_HOST_KEY_LEN; n += 31) {
                uint8_t junk[2 * CWS_HOST_KEY_LEN] = { 0 };
                if (n == CWS_HOST_KEY_LEN)
                        continue;
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, junk, n), (ssize_t)n);
                close(fd);
                memset(&err, 0, sizeof(err));
                assert_int_equal(cws_host_key_load(f->dir, k, true, &err), -EBADMSG);
                assert_non_null(strstr(err.msg, path));
                assert_int_equal(unlink(path), 0);
        }
}

static void test_host_key_creation_race(void **state)
{
        fixture *f = *state;
        enum { N = 8 };
        char dir[PATH_MAX];
        uint8_t keys[N][CWS_HOST_KEY_LEN];
        int fds[N][2];
        pid_t pids[N];
        (void)state;

        /* A fresh, not yet existing state dir: every child races to make it. */
        snprintf(dir, sizeof(dir), "%s/race/state", f->dir);
        for (int i = 0; i < N; i++) {
                assert_int_equal(pipe(fds[i]), 0);
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        uint8_t k[CWS_HOST_KEY_LEN];
                        int ok = cws_host_key_load(dir, k, true, NULL) == 0 &&
                                 write(fds[i][1], k, sizeof(k)) == (ssize_t)sizeof(k);
                        _exit(ok ? 0 : 1);
                }
                close(fds[i][1]);
        }
        for (int i = 0; i < N; i++) {
                int status;
                assert_int_equal(read(fds[i][0], keys[i], CWS_HOST_KEY_LEN), CWS_HOST_KEY_LEN);
                close(fds[i][0]);
                assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                assert_memory_equal(keys[i], keys[0], CWS_HOST_KEY_LEN);
        }
}

/* ---- host identity ---- */

static void test_host_id(void **state)
{
        char id[2 * CWS_SHA256_LEN + 1], again[sizeof(id)], mid[33], uuid[CWS_FP_FIELD_MAX];
        char want[sizeof(id)];
        uint8_t buf[512], h[CWS_SHA256_LEN];
        size_t n = 0;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_host_id(id, &err), 0);
        assert_int_equal(cws_host_id(again, &err), 0);
        assert_string_equal(id, again);

        /* hex SHA-256("cws-host-v1\0" machine_id "\0" system_uuid) */
        assert_int_equal(cws_machine_id(mid, &err), 0);
        cws_system_uuid(uuid);
        memcpy(buf, "cws-host-v1", 12);
        n = 12;
        memcpy(buf + n, mid, 33);
        n += 33;
        memcpy(buf + n, uuid, strlen(uuid));
        n += strlen(uuid);
        assert_int_equal(cws_sha256(buf, n, h), 0);
        for (size_t i = 0; i < sizeof(h); i++)
                snprintf(want + 2 * i, 3, "%02x", h[i]);
        assert_string_equal(id, want);
}

/* ---- seal and open ---- */

static void test_round_trip(void **state)
{
        fixture *f = *state;
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        char id[2 * CWS_SHA256_LEN + 1], secret_b64[64], *again = NULL;
        size_t len2 = 0;

        assert_int_equal(cws_host_id(id, &err), 0);
        assert_true(f->len > HEADER_LEN + 2);
        assert_int_equal(strlen(f->text), f->len);
        assert_memory_equal(f->text, "cws-binding-v1 ", 15);
        assert_memory_equal(f->text + 15, id, 64);
        assert_int_equal(f->text[HEADER_LEN - 1], '\n');
        assert_int_equal(f->text[f->len - 1], '\n');
        assert_null(memchr(f->text + HEADER_LEN, '\n', f->len - HEADER_LEN - 1));

        /* The secret never appears in clear. */
        assert_int_equal(cws_b64url_encode(f->b.secret, sizeof(f->b.secret), secret_b64,
                                           sizeof(secret_b64)), 0);
        assert_null(strstr(f->text, secret_b64));
        assert_null(strstr(f->text, f->b.inv_id));

        assert_int_equal(open_copy(f->key, 1000, "alice", f->text, f->len, &out, &why, &err), 0);
        assert_int_equal(why, CWS_R_OK);
        assert_binding_equal(&out, &f->b);

        /* A fresh nonce every time. */
        assert_int_equal(cws_binding_seal(f->key, &f->b, &again, &len2, &err), 0);
        assert_string_not_equal(again, f->text);
        free(again);
}

static void test_seal_refuses_bad_binding(void **state)
{
        fixture *f = *state;
        cws_binding b;
        cws_error err = { 0 };
        char *text = NULL;
        size_t len = 0;

        b = f->b;
        strcpy(b.inv_id, "../x");
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        strcpy(b.device_id, b.inv_id);   /* an inv id where a dev id belongs */
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        b.slot = 0;
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        b.slot = CWS_MAX_DEVICES + 1;
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        strcpy(b.username, "bob");   /* fingerprint taken for alice */
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        strcpy(b.username, "../../etc");
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        b.fp.n_macs = CWS_FP_MAX_MACS + 1;
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        b = f->b;
        memset(b.profile, 'p', sizeof(b.profile));   /* no NUL */
        assert_int_equal(cws_binding_seal(f->key, &b, &text, &len, &err), -EINVAL);
        assert_null(text);
}

static void test_every_body_byte_is_sealed(void **state)
{
        fixture *f = *state;
        char *copy = strdup(f->text);

        assert_non_null(copy);
        /* Every position of the base64 body, and its final newline. */
        for (size_t i = HEADER_LEN; i < f->len; i++) {
                char saved = copy[i];
                copy[i] = saved == 'A' ? 'B' : 'A';
                assert_refused(f, copy, f->len, CWS_R_TAMPER_DETECTED);
                copy[i] = '!';
                assert_refused(f, copy, f->len, CWS_R_TAMPER_DETECTED);
                copy[i] = saved;
        }
        /* Bytes added or removed at the end. */
        assert_refused(f, f->text, f->len - 1, CWS_R_TAMPER_DETECTED);
        copy = realloc(copy, f->len + 3);
        assert_non_null(copy);
        memcpy(copy + f->len, "A\n", 3);
        assert_refused(f, copy, f->len + 2, CWS_R_TAMPER_DETECTED);
        free(copy);
}

static void test_header_changes(void **state)
{
        fixture *f = *state;
        char *copy = strdup(f->text);

        assert_non_null(copy);
        /* Another host id in the header: reported as a copy. */
        for (size_t i = 15; i < 15 + 64; i += 9) {
                char saved = copy[i];
                copy[i] = saved == '0' ? '1' : '0';
                assert_refused(f, copy, f->len, CWS_R_PROFILE_COPY_DETECTED);
                copy[i] = saved;
        }
        /* A malformed header is an edit. */
        copy[13] = '2';   /* cws-binding-v2 */
        assert_refused(f, copy, f->len, CWS_R_TAMPER_DETECTED);
        copy[13] = '1';
        copy[20] = (char)(copy[20] >= 'a' ? copy[20] - 'a' + 'A' : 'G');
        assert_refused(f, copy, f->len, CWS_R_TAMPER_DETECTED);
        strcpy(copy, f->text);
        copy[HEADER_LEN - 1] = ' ';
        assert_refused(f, copy, f->len, CWS_R_TAMPER_DETECTED);
        free(copy);
}

static void test_other_account_refused(void **state)
{
        fixture *f = *state;
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why;

        memset(&out, 0, sizeof(out));
        assert_int_equal(open_copy(f->key, 1001, "alice", f->text, f->len, &out, &why, &err),
                         -EBADMSG);
        assert_int_equal(why, CWS_R_TAMPER_DETECTED);
        assert_int_equal(open_copy(f->key, 1000, "alicf", f->text, f->len, &out, &why, &err),
                         -EBADMSG);
        assert_int_equal(why, CWS_R_TAMPER_DETECTED);
        assert_int_equal(open_copy(f->key, 0, "root", f->text, f->len, &out, &why, &err),
                         -EBADMSG);
        assert_true(out.inv_id[0] == '\0');
        /* Bad arguments are a bad request, not tampering. */
        assert_int_equal(cws_binding_open(f->key, 1000, "", f->text, f->len, &out, &why, &err),
                         -EINVAL);
        assert_int_equal(why, CWS_R_BAD_REQUEST);
        assert_int_equal(cws_binding_open(f->key, 1000, NULL, f->text, f->len, &out, &why, &err),
                         -EINVAL);
}

static void test_wrong_host_key_refused(void **state)
{
        fixture *f = *state;
        uint8_t other[CWS_HOST_KEY_LEN];
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why;

        memcpy(other, f->key, sizeof(other));
        other[31] ^= 1;
        assert_int_equal(open_copy(other, 1000, "alice", f->text, f->len, &out, &why, &err),
                         -EBADMSG);
        assert_int_equal(why, CWS_R_TAMPER_DETECTED);
}

static void test_truncated_and_garbage(void **state)
{
        fixture *f = *state;
        char buf[4 * HEADER_LEN];
        char *big;

        for (size_t n = 0; n < f->len; n++) {
                cws_binding out;
                cws_reason why;
                memset(&out, 0, sizeof(out));
                assert_int_equal(open_copy(f->key, 1000, "alice", f->text, n, &out, &why, NULL),
                                 -EBADMSG);
                assert_true(why == CWS_R_TAMPER_DETECTED);
        }
        assert_refused(f, "", 0, CWS_R_TAMPER_DETECTED);
        assert_refused(f, "\n", 1, CWS_R_TAMPER_DETECTED);
        assert_refused(f, "{}", 2, CWS_R_TAMPER_DETECTED);
        /* Header alone, header with an empty body, header with a short body. */
        assert_refused(f, f->text, HEADER_LEN, CWS_R_TAMPER_DETECTED);
        memcpy(buf, f->text, HEADER_LEN);
        memcpy(buf + HEADER_LEN, "\n", 1);
        assert_refused(f, buf, HEADER_LEN + 1, CWS_R_TAMPER_DETECTED);
        memcpy(buf + HEADER_LEN, "AAAA\n", 5);
        assert_refused(f, buf, HEADER_LEN + 5, CWS_R_TAMPER_DETECTED);
        memcpy(buf + HEADER_LEN, "AA\0A\n", 5);
        assert_refused(f, buf, HEADER_LEN + 5, CWS_R_TAMPER_DETECTED);
        memcpy(buf + HEADER_LEN, "AA\nA\n", 5);
        assert_refused(f, buf, HEADER_LEN + 5, CWS_R_TAMPER_DETECTED);
        /* Random bytes, with and without a valid header in front. */
        for (int round = 0; round < 200; round++) {
                size_t n = (size_t)round % sizeof(buf);
                assert_int_equal(cws_random(buf, sizeof(buf)), 0);
                assert_refused(f, buf, n, CWS_R_TAMPER_DETECTED);
                memcpy(buf, f->text, HEADER_LEN);
                buf[sizeof(buf) - 1] = '\n';
                assert_refused(f, buf, sizeof(buf), CWS_R_TAMPER_DETECTED);
        }
        /* Over the size limit. */
        big = malloc(CWS_BINDING_MAX + 2);
        assert_non_null(big);
        memcpy(big, f->text, f->len);
        memset(big + f->len, 'A', CWS_BINDING_MAX + 1 - f->len);
        big[CWS_BINDING_MAX] = '\n';
        assert_refused(f, big, CWS_BINDING_MAX + 1, CWS_R_TAMPER_DETECTED);
        free(big);
}

/* ---- the sealed JSON itself, sealed here with the documented format so
 * the strict parser can be fed what only a broken sealer would write ---- */

static void derive(const uint8_t host_key[CWS_HOST_KEY_LEN], uint8_t key[CWS_AEAD_KEY_LEN])
{
        assert_int_equal(cws_hkdf_sha256(host_key, CWS_HOST_KEY_LEN, "cws-binding-v1", 14, "seal", 4,
                                         key, CWS_AEAD_KEY_LEN), 0);
}

static size_t aad_of(const char *header, uid_t uid, const char *user, uint8_t *aad)
{
        size_t n = HEADER_LEN;
        memcpy(aad, header, HEADER_LEN);
        aad[n++] = '\0';
        n += (size_t)sprintf((char *)aad + n, "%u", (unsigned)uid);
        aad[n++] = '\0';
        memcpy(aad + n, user, strlen(user));
        return n + strlen(user);
}

static char *reveal(const fixture *f)
{
        uint8_t key[CWS_AEAD_KEY_LEN], aad[256], sealed[CWS_BINDING_MAX];
        char body[CWS_BINDING_MAX];
        size_t n = 0, aadlen;
        char *plain;

        memcpy(body, f->text + HEADER_LEN, f->len - HEADER_LEN - 1);
        body[f->len - HEADER_LEN - 1] = '\0';
        assert_int_equal(cws_b64url_decode(body, sealed, sizeof(sealed), &n), 0);
        plain = calloc(1, n);
        assert_non_null(plain);
        derive(f->key, key);
        aadlen = aad_of(f->text, 1000, "alice", aad);
        assert_int_equal(cws_aead_open(key, aad, aadlen, sealed, n, (uint8_t *)plain), 0);
        return plain;
}

static char *reseal(const fixture *f, uid_t uid, const char *user, const char *json, size_t *len)
{
        uint8_t key[CWS_AEAD_KEY_LEN], aad[256];
        size_t jl = strlen(json), sl = jl + CWS_AEAD_OVERHEAD, aadlen;
        uint8_t *sealed = malloc(sl);
        char *text = malloc(HEADER_LEN + cws_b64url_encoded_len(sl) + 2);

        assert_non_null(sealed);
        assert_non_null(text);
        derive(f->key, key);
        aadlen = aad_of(f->text, uid, user, aad);
        assert_int_equal(cws_aead_seal(key, aad, aadlen, json, jl, sealed), 0);
        memcpy(text, f->text, HEADER_LEN);
        assert_int_equal(cws_b64url_encode(sealed, sl, text + HEADER_LEN,
                                           cws_b64url_encoded_len(sl) + 1), 0);
        strcat(text, "\n");
        *len = strlen(text);
        free(sealed);
        return text;
}

static void open_json(const fixture *f, const char *json, int want, cws_reason want_why)
{
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        size_t len;
        char *text = reseal(f, 1000, "alice", json, &len);

        assert_int_equal(open_copy(f->key, 1000, "alice", text, len, &out, &why, &err), want);
        assert_int_equal(why, want_why);
        free(text);
}

typedef void (*json_edit)(json_object *root);

static void edit_and_open(const fixture *f, const char *plain, json_edit edit, cws_reason want)
{
        json_object *root = json_tokener_parse(plain);
        assert_non_null(root);
        edit(root);
        open_json(f, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN),
                  want == CWS_R_OK ? 0 : -EBADMSG, want);
        json_object_put(root);
}

static void del_gen(json_object *o) { json_object_object_del(o, "gen"); }
static void add_extra(json_object *o) { json_object_object_add(o, "admin", json_object_new_boolean(1)); }
static void slot_as_string(json_object *o) { json_object_object_add(o, "slot", json_object_new_string("2")); }
static void slot_too_big(json_object *o) { json_object_object_add(o, "slot", json_object_new_int(6)); }
static void bad_inv_id(json_object *o) { json_object_object_add(o, "inv_id", json_object_new_string("../../x")); }
static void bad_secret(json_object *o) { json_object_object_add(o, "secret", json_object_new_string("AAAA")); }
static void version_2(json_object *o) { json_object_object_add(o, "version", json_object_new_int(2)); }
static void uid_negative(json_object *o) { json_object_object_add(o, "uid", json_object_new_int(-1)); }
static void uid_as_double(json_object *o) { json_object_object_add(o, "uid", json_object_new_double(1000.0)); }
static void no_macs(json_object *o)
{
        json_object_object_del(json_object_object_get(o, "fingerprint"), "macs");
}
static void too_many_macs(json_object *o)
{
        json_object *macs = json_object_object_get(json_object_object_get(o, "fingerprint"), "macs");
        for (int i = 0; i <= CWS_FP_MAX_MACS; i++)
                json_object_array_add(macs, json_object_new_string("02:00:00:00:00:01"));
}
static void mac_too_long(json_object *o)
{
        json_object *macs = json_object_object_get(json_object_object_get(o, "fingerprint"), "macs");
        json_object_array_add(macs, json_object_new_string("02:00:00:00:00:01:02"));
}
static void fp_extra(json_object *o)
{
        json_object_object_add(json_object_object_get(o, "fingerprint"), "serial",
                               json_object_new_string("x"));
}
static void nul_in_profile(json_object *o)
{
        json_object_object_add(o, "profile", json_object_new_string_len("lab\0x", 5));
}
static void no_change(json_object *o) { (void)o; }

/* The record names another user than the AAD it was sealed with. */
static void other_user(json_object *o)
{
        json_object_object_add(o, "username", json_object_new_string("mallory"));
        json_object_object_add(json_object_object_get(o, "fingerprint"), "username",
                               json_object_new_string("mallory"));
}
static void other_uid(json_object *o)
{
        json_object_object_add(o, "uid", json_object_new_int(1001));
        json_object_object_add(json_object_object_get(o, "fingerprint"), "uid",
                               json_object_new_int(1001));
}

static void test_sealed_json_is_parsed_strictly(void **state)
{
        fixture *f = *state;
        char *plain = reveal(f);
        char *extended;

        edit_and_open(f, plain, no_change, CWS_R_OK);   /* the harness itself works */
        edit_and_open(f, plain, del_gen, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, add_extra, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, slot_as_string, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, slot_too_big, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, bad_inv_id, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, bad_secret, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, version_2, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, uid_negative, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, uid_as_double, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, no_macs, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, too_many_macs, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, mac_too_long, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, fp_extra, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, nul_in_profile, CWS_R_TAMPER_DETECTED);
        edit_and_open(f, plain, other_user, CWS_R_USER_MISMATCH);
        edit_and_open(f, plain, other_uid, CWS_R_USER_MISMATCH);

        open_json(f, "", -EBADMSG, CWS_R_TAMPER_DETECTED);
        open_json(f, "not json", -EBADMSG, CWS_R_TAMPER_DETECTED);
        open_json(f, "[]", -EBADMSG, CWS_R_TAMPER_DETECTED);
        open_json(f, "{}", -EBADMSG, CWS_R_TAMPER_DETECTED);
        extended = malloc(strlen(plain) + 3);
        assert_non_null(extended);
        sprintf(extended, "%s{}", plain);   /* trailing data after the object */
        open_json(f, extended, -EBADMSG, CWS_R_TAMPER_DETECTED);
        sprintf(extended, "%s", plain);
        extended[strlen(extended) - 1] = ',';   /* unterminated */
        open_json(f, extended, -EBADMSG, CWS_R_TAMPER_DETECTED);
        free(extended);
        cws_wipe(plain, strlen(plain));
        free(plain);
}

/* plain with what put in front of the first member of the object that
 * starts at the first occurrence of at ("{" for the top level). */
static char *insert_after(const char *plain, const char *at, const char *what)
{
        const char *p = strstr(plain, at);
        size_t off, al = strlen(at);
        char *s = malloc(strlen(plain) + strlen(what) + 1);

        assert_non_null(p);
        assert_non_null(s);
        off = (size_t)(p - plain) + al;
        memcpy(s, plain, off);
        strcpy(s + off, what);
        strcat(s, plain + off);
        return s;
}

/* Opens plain (sealed as the fixture's) and wants it refused as tampered,
 * with part in the reason. */
static void assert_body_refused(const fixture *f, char *plain, const char *part)
{
        cws_binding out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;
        size_t len;
        char *text = reseal(f, 1000, "alice", plain, &len);

        assert_int_equal(open_copy(f->key, 1000, "alice", text, len, &out, &why, &err), -EBADMSG);
        assert_int_equal(why, CWS_R_TAMPER_DETECTED);
        if (!strstr(err.msg, part))
                fail_msg("'%s' not found in '%s'", part, err.msg);
        free(text);
        cws_wipe(plain, strlen(plain));
        free(plain);
}

static char *edited(const char *plain, json_edit edit)
{
        json_object *root = json_tokener_parse(plain);
        char *s;

        assert_non_null(root);
        edit(root);
        s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
        assert_non_null(s);
        json_object_put(root);
        return s;
}

static void profile_too_long(json_object *o)
{
        char name[CWS_PROFILE_MAX + 1];

        memset(name, 'p', CWS_PROFILE_MAX);
        name[CWS_PROFILE_MAX] = '\0';
        json_object_object_add(o, "profile", json_object_new_string(name));
}

/* The strict reader's reasons on a binding body, the fingerprint included. */
static void test_sealed_json_reasons(void **state)
{
        fixture *f = *state;
        char *plain = reveal(f);

        edit_and_open(f, plain, no_change, CWS_R_OK);
        assert_body_refused(f, edited(plain, add_extra),
                            "malformed binding: unknown field \"admin\"");
        assert_body_refused(f, edited(plain, fp_extra),
                            "malformed binding fingerprint: unknown field \"serial\"");
        assert_body_refused(f, edited(plain, del_gen), "malformed binding: field \"gen\" is missing");
        assert_body_refused(f, edited(plain, no_macs),
                            "malformed binding fingerprint: field \"macs\" is missing");
        assert_body_refused(f, insert_after(plain, "{", "\"gen\":9,"), "a key appears twice");
        assert_body_refused(f, insert_after(plain, "\"fingerprint\":{", "\"os\":\"x\","),
                            "a key appears twice");
        assert_body_refused(f, edited(plain, slot_as_string), "field \"slot\" is not an integer");
        assert_body_refused(f, edited(plain, uid_as_double), "field \"uid\" is not an integer");
        assert_body_refused(f, edited(plain, profile_too_long),
                            "field \"profile\" is longer than 63 bytes");
        assert_body_refused(f, edited(plain, bad_secret),
                            "field \"secret\" is not base64url of 32 bytes");
        assert_body_refused(f, edited(plain, too_many_macs), "elements (at most 16)");
        cws_wipe(plain, strlen(plain));
        free(plain);
}

/* ---- the store ---- */

static void path_of(const fixture *f, uid_t uid, const char *inv, char out[PATH_MAX])
{
        snprintf(out, PATH_MAX, "%s/bindings/%u/%s.bind", f->dir, (unsigned)uid, inv);
}

static void test_store_save_load_list_remove(void **state)
{
        fixture *f = *state;
        cws_binding second, out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        char path[PATH_MAX], dir[256], junk[PATH_MAX];
        char **ids = NULL;
        size_t n = 99;
        struct stat st;

        /* Nothing yet: zero entries, not an error. */
        assert_int_equal(cws_binding_list(f->dir, 1000, &ids, &n, &err), 0);
        assert_int_equal(n, 0);
        cws_strv_free(ids, n);

        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);
        path_of(f, 1000, f->b.inv_id, path);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        snprintf(dir, sizeof(dir), "%s/bindings/1000", f->dir);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        snprintf(dir, sizeof(dir), "%s/bindings", f->dir);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);

        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", f->b.inv_id, &out, &why,
                                          &err), 0);
        assert_int_equal(why, CWS_R_OK);
        assert_binding_equal(&out, &f->b);

        /* Saving again replaces it. */
        f->b.gen = 8;
        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", f->b.inv_id, &out, &why,
                                          &err), 0);
        assert_int_equal(out.gen, 8);

        make_binding(&second, 1000, "alice");
        assert_int_equal(cws_binding_save(f->dir, f->key, &second, &err), 0);
        /* Strays the list must ignore. */
        snprintf(dir, sizeof(dir), "%s/bindings/1000", f->dir);
        const char *strays[] = { "junk", "inv-short.bind", ".bind", "x.bind.tmp.0011223344556677" };
        for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
                snprintf(junk, sizeof(junk), "%s/%s", dir, strays[i]);
                assert_int_equal(close(open(junk, O_WRONLY | O_CREAT, 0600)), 0);
        }
        snprintf(junk, sizeof(junk), "%s/%s.bind.tmp.0011223344556677", dir, second.inv_id);
        assert_int_equal(close(open(junk, O_WRONLY | O_CREAT, 0600)), 0);

        assert_int_equal(cws_binding_list(f->dir, 1000, &ids, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_true(strcmp(ids[0], ids[1]) < 0);
        assert_true(strcmp(ids[0], f->b.inv_id) == 0 || strcmp(ids[1], f->b.inv_id) == 0);
        assert_true(strcmp(ids[0], second.inv_id) == 0 || strcmp(ids[1], second.inv_id) == 0);
        cws_strv_free(ids, n);

        /* Another user sees none of them. */
        assert_int_equal(cws_binding_list(f->dir, 1001, &ids, &n, &err), 0);
        assert_int_equal(n, 0);
        cws_strv_free(ids, n);
        assert_int_equal(cws_binding_load(f->dir, f->key, 1001, "alice", f->b.inv_id, &out, &why,
                                          &err), -ENOENT);
        assert_int_equal(why, CWS_R_NOT_ENROLLED);

        assert_int_equal(cws_binding_remove(f->dir, 1000, f->b.inv_id, &err), 0);
        assert_int_equal(access(path, F_OK), -1);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_binding_remove(f->dir, 1000, f->b.inv_id, &err), -ENOENT);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", f->b.inv_id, &out, &why,
                                          &err), -ENOENT);
        assert_int_equal(why, CWS_R_NOT_ENROLLED);
        assert_int_equal(cws_binding_list(f->dir, 1000, &ids, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(ids[0], second.inv_id);
        cws_strv_free(ids, n);
}

static void test_store_refuses_path_tricks(void **state)
{
        fixture *f = *state;
        cws_binding b = f->b, out;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;
        char outside[PATH_MAX];
        const char *bad[] = { "../x", "..", "", "inv-../../../../etc/passwd",
                              "inv-AAAAAAAAAAAAAAAAAAAAA/", "dev-AAAAAAAAAAAAAAAAAAAAAA" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why = CWS_R_OK;
                assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", bad[i], &out, &why,
                                                  &err), -EINVAL);
                assert_int_equal(why, CWS_R_BAD_REQUEST);
                assert_int_equal(cws_binding_remove(f->dir, 1000, bad[i], &err), -EINVAL);
        }
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", NULL, &out, &why, &err),
                         -EINVAL);
        strcpy(b.inv_id, "../x");
        assert_int_equal(cws_binding_save(f->dir, f->key, &b, &err), -EINVAL);
        snprintf(outside, sizeof(outside), "%s/bindings/x.bind", f->dir);
        assert_int_equal(access(outside, F_OK), -1);
}

static void test_store_refuses_unsafe_files(void **state)
{
        fixture *f = *state;
        cws_binding out, other;
        cws_error err = { 0 };
        cws_reason why;
        char path[PATH_MAX], moved[PATH_MAX], dir[PATH_MAX];
        char **ids = NULL;
        size_t n;

        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);
        path_of(f, 1000, f->b.inv_id, path);

        assert_int_equal(chmod(path, 0640), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", f->b.inv_id, &out, &why,
                                          &err), -EPERM);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(chmod(path, 0600), 0);

        /* A binding renamed to another invitation's file does not pass for it. */
        make_binding(&other, 1000, "alice");
        path_of(f, 1000, other.inv_id, moved);
        assert_int_equal(link(path, moved), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", other.inv_id, &out, &why,
                                          &err), -EBADMSG);
        assert_int_equal(why, CWS_R_TAMPER_DETECTED);
        assert_non_null(strstr(err.msg, moved));
        assert_int_equal(unlink(moved), 0);

        /* Symlinked file. */
        assert_int_equal(symlink(path, moved), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", other.inv_id, &out, &why,
                                          &err), -ELOOP);
        assert_non_null(strstr(err.msg, moved));
        assert_int_equal(unlink(moved), 0);

        /* An edited file: the error names it. */
        {
                char *edited = strdup(f->text);
                assert_non_null(edited);
                edited[HEADER_LEN + 10] = edited[HEADER_LEN + 10] == 'A' ? 'B' : 'A';
                assert_int_equal(cws_file_write_atomic(path, edited, f->len, 0600, &err), 0);
                free(edited);
                memset(&err, 0, sizeof(err));
                assert_int_equal(cws_binding_load(f->dir, f->key, 1000, "alice", f->b.inv_id, &out,
                                                  &why, &err), -EBADMSG);
                assert_int_equal(why, CWS_R_TAMPER_DETECTED);
                assert_non_null(strstr(err.msg, path));
        }

        /* A group-writable or symlinked user directory is not listed. */
        snprintf(dir, sizeof(dir), "%s/bindings/1000", f->dir);
        assert_int_equal(chmod(dir, 0770), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_binding_list(f->dir, 1000, &ids, &n, &err), -EPERM);
        assert_non_null(strstr(err.msg, dir));
        assert_int_equal(chmod(dir, 0700), 0);
        snprintf(moved, sizeof(moved), "%s/bindings/1001", f->dir);
        assert_int_equal(symlink(dir, moved), 0);
        assert_int_equal(cws_binding_list(f->dir, 1001, &ids, &n, &err), -ELOOP);
        assert_null(ids);
}

/* ---- another machine: a private mount namespace with another machine id ---- */

struct copy_case {
        const fixture *f;
        const char *path;        /* the saved binding, read from the store */
        const char *state_dir;
        int want;                /* 0: opens; else must be PROFILE_COPY_DETECTED */
        const char *out_file;    /* seal here under the other machine id */
};

static int check_open_elsewhere(void *arg)
{
        const struct copy_case *c = arg;
        const fixture *f = c->f;
        cws_binding out;
        cws_reason why = CWS_R_OK;
        cws_error err = { 0 };
        int r;

        memset(&out, 0, sizeof(out));
        r = cws_binding_open(f->key, 1000, "alice", f->text, f->len, &out, &why, &err);
        if (c->want == 0)
                return r == 0 && why == CWS_R_OK && memcmp(out.secret, f->b.secret, 32) == 0 ? 0 : 1;
        if (r != -EBADMSG)
                return 2;
        if (why != CWS_R_PROFILE_COPY_DETECTED)
                return 3;
        if (out.inv_id[0] != '\0' || out.secret[0] != 0)
                return 4;
        if (!strstr(err.msg, "another host"))
                return 5;
        /* The same through the store, as cwsd does it. */
        why = CWS_R_OK;
        r = cws_binding_load(c->state_dir, f->key, 1000, "alice", f->b.inv_id, &out, &why, &err);
        if (r != -EBADMSG || why != CWS_R_PROFILE_COPY_DETECTED)
                return 6;
        return 0;
}

static void test_binding_does_not_open_on_another_machine(void **state)
{
        fixture *f = *state;
        cws_error err = { 0 };
        char real[64] = "";
        struct copy_case c = { .f = f, .state_dir = f->dir };
        int rc, fd;

        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);

        /* Control: the same machine id in a namespace still opens, so the
         * refusal below comes from the machine id and nothing else. */
        fd = open("/etc/machine-id", O_RDONLY);
        assert_true(fd >= 0);
        assert_true(read(fd, real, sizeof(real) - 1) > 0);
        close(fd);
        if (strcmp(real, OTHER_MACHINE_ID) == 0)
                skip();
        c.want = 0;
        rc = run_with_machine_id(real, strlen(real), 0444, check_open_elsewhere, &c);
        if (rc == MNS_SKIP)
                skip();
        assert_int_equal(rc, 0);

        /* THE test: another /etc/machine-id, same host key, same user. */
        c.want = 1;
        rc = run_with_machine_id(OTHER_MACHINE_ID, strlen(OTHER_MACHINE_ID), 0444,
                                 check_open_elsewhere, &c);
        assert_int_equal(rc, 0);
}

/* Child: seals f->b on "another machine" and leaves it in out_file. */
static int seal_elsewhere(void *arg)
{
        const struct copy_case *c = arg;
        char *text = NULL;
        size_t len = 0;

        if (cws_binding_seal(c->f->key, &c->f->b, &text, &len, NULL) < 0)
                return 1;
        if (cws_file_write_atomic(c->out_file, text, len, 0600, NULL) < 0)
                return 2;
        free(text);
        return 0;
}

static void test_copied_binding_with_rewritten_header(void **state)
{
        fixture *f = *state;
        struct copy_case c = { .f = f };
        char path[PATH_MAX], *text = NULL;
        size_t len = 0;
        cws_error err = { 0 };
        int rc;

        snprintf(path, sizeof(path), "%s/elsewhere.bind", f->dir);
        c.out_file = path;
        rc = run_with_machine_id(OTHER_MACHINE_ID, strlen(OTHER_MACHINE_ID), 0444,
                                 seal_elsewhere, &c);
        if (rc == MNS_SKIP)
                skip();
        assert_int_equal(rc, 0);

        /* Sealed with the very same host key, but on another machine. */
        assert_int_equal(cws_file_read_checked(path, CWS_BINDING_MAX, CWS_FILE_SECRET, &text, &len,
                                               &err), 0);
        assert_refused(f, text, len, CWS_R_PROFILE_COPY_DETECTED);
        /* Rewriting its header to this host's id does not help: the host
         * id is in the associated data. */
        memcpy(text + 15, f->text + 15, 64);
        assert_refused(f, text, len, CWS_R_TAMPER_DETECTED);
        free(text);
}

static void test_users(void **state)
{
        fixture *f = *state;
        cws_error err = { 0 };
        uid_t *uids = (uid_t *)1;
        size_t n = 99;
        char path[PATH_MAX];
        bool saw0 = false, saw1000 = false;

        /* No bindings directory yet: none, not an error. */
        assert_int_equal(cws_binding_users(f->dir, &uids, &n, &err), 0);
        assert_null(uids);
        assert_int_equal(n, 0);

        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);
        make_binding(&f->b, 0, "root");
        assert_int_equal(cws_binding_save(f->dir, f->key, &f->b, &err), 0);
        /* Entries that are not uids are skipped. */
        snprintf(path, sizeof(path), "%s/bindings/alice", f->dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/bindings/12x", f->dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/bindings/99999999999999999999", f->dir);
        assert_int_equal(mkdir(path, 0700), 0);

        assert_int_equal(cws_binding_users(f->dir, &uids, &n, &err), 0);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
                saw0 |= uids[i] == 0;
                saw1000 |= uids[i] == 1000;
        }
        assert_true(saw0 && saw1000);
        free(uids);
        assert_int_equal(cws_binding_users(f->dir, NULL, &n, &err), -EINVAL);

        /* The same checks as every other part of the store. */
        snprintf(path, sizeof(path), "%s/bindings", f->dir);
        assert_int_equal(chmod(path, 0770), 0);
        assert_int_equal(cws_binding_users(f->dir, &uids, &n, &err), -EPERM);
        assert_non_null(strstr(err.msg, "group/other writable"));
        assert_int_equal(chmod(path, 0700), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_host_key_created_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_key_missing_without_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_key_refused_when_unsafe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_key_creation_race, setup, teardown),
                cmocka_unit_test(test_host_id),
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_seal_refuses_bad_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_body_byte_is_sealed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_header_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_account_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_host_key_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sealed_json_is_parsed_strictly, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sealed_json_reasons, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_save_load_list_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_refuses_path_tricks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_refuses_unsafe_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_users, setup, teardown),
                cmocka_unit_test_setup_teardown(test_binding_does_not_open_on_another_machine, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_copied_binding_with_rewritten_header, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
