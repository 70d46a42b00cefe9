/* The sealed binding format (docs/design.md §3.4): the JSON body, sealed with AES-GCM
 * under the host key. The host identity and the user are in the AEAD's
 * associated data, so a binding opens only on the host, and for the
 * account, it was sealed for. Where bindings are kept: binding_store.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/binding.h"
#include "cws/cleanup.h"
#include "cws/hex.h"
#include "cws/json_reader.h"

#define BINDING_MAGIC "cws-binding-v1"
#define BINDING_VERSION 1
#define HOST_ID_HEX CWS_HOST_ID_HEX
/* "cws-binding-v1 <64 hex>\n"; sizeof counts the NUL, which stands for the space. */
#define HEADER_LEN (sizeof(BINDING_MAGIC) + HOST_ID_HEX + 1)
/* Header, NUL, decimal uid, NUL, user name. */
#define AAD_MAX (HEADER_LEN + 1 + 10 + 1 + CWS_USER_MAX)
#define JSON_DEPTH 8

/* A heap buffer that is wiped before it is freed. */
typedef struct wiped_buf {
        uint8_t *p;
        size_t n;
} wiped_buf;

static void wiped_buf_free(wiped_buf *w)
{
        if (w->p) {
                cws_wipe(w->p, w->n);
                free(w->p);
        }
}

static void aead_key_wipe(uint8_t (*k)[CWS_AEAD_KEY_LEN])
{
        cws_wipe(*k, sizeof(*k));
}

static void binding_wipe(cws_binding *b)
{
        cws_wipe(b, sizeof(*b));
}

static void set_why(cws_reason *why, cws_reason r)
{
        if (why)
                *why = r;
}

static bool str_fits(const char *s, size_t max)
{
        return strnlen(s, max) < max;
}

/* ---- sealing ---- */

static int seal_key(const uint8_t host_key[CWS_HOST_KEY_LEN], uint8_t key[CWS_AEAD_KEY_LEN])
{
        static const char salt[] = BINDING_MAGIC, info[] = "seal";

        return cws_hkdf_sha256(host_key, CWS_HOST_KEY_LEN, salt, sizeof(salt) - 1, info,
                               sizeof(info) - 1, key, CWS_AEAD_KEY_LEN);
}

static void header_format(const char host_id[HOST_ID_HEX + 1], char out[HEADER_LEN + 1])
{
        memcpy(out, BINDING_MAGIC " ", sizeof(BINDING_MAGIC));
        memcpy(out + sizeof(BINDING_MAGIC), host_id, HOST_ID_HEX);
        out[HEADER_LEN - 1] = '\n';
        out[HEADER_LEN] = '\0';
}

/* The header line, then NUL, decimal uid, NUL, user name. */
static size_t aad_format(const char header[HEADER_LEN + 1], uid_t uid, const char *username,
                         uint8_t out[AAD_MAX])
{
        size_t n = HEADER_LEN, ulen = strnlen(username, CWS_USER_MAX - 1);
        int k;

        memcpy(out, header, HEADER_LEN);
        out[n++] = '\0';
        k = snprintf((char *)out + n, AAD_MAX - n, "%u", (unsigned)uid);
        n += (size_t)k;
        out[n++] = '\0';
        memcpy(out + n, username, ulen);
        return n + ulen;
}

static bool machine_id_valid(const char *s)
{
        return strnlen(s, 33) == 32 && cws_hex_is_lower(s, 32);
}

/* Field sanity, the same on both sides, so we never seal what we would
 * refuse to open. */
static int binding_check(const cws_binding *b, cws_error *err)
{
        const cws_fingerprint *fp = &b->fp;

        if (!str_fits(b->profile, sizeof(b->profile)) ||
            !cws_name_valid(b->profile, sizeof(b->profile)))
                return cws_error_set(err, -EINVAL, "binding: invalid profile name");
        if (!str_fits(b->inv_id, sizeof(b->inv_id)) || !cws_id_valid("inv", b->inv_id))
                return cws_error_set(err, -EINVAL, "binding: invalid invitation id");
        if (!str_fits(b->device_id, sizeof(b->device_id)) || !cws_id_valid("dev", b->device_id))
                return cws_error_set(err, -EINVAL, "binding: invalid device id");
        if (b->slot < 1 || b->slot > CWS_MAX_DEVICES)
                return cws_error_set(err, -EINVAL, "binding: slot %u out of range 1..%d", b->slot,
                                     CWS_MAX_DEVICES);
        if (b->uid == (uid_t)-1)
                return cws_error_set(err, -EINVAL, "binding: invalid uid");
        if (!str_fits(b->username, sizeof(b->username)) ||
            !cws_name_valid(b->username, sizeof(b->username)))
                return cws_error_set(err, -EINVAL, "binding: invalid user name");
        if (b->enrolled_at < 0)
                return cws_error_set(err, -EINVAL, "binding: invalid enrollment time");
        if (!machine_id_valid(fp->machine_id))
                return cws_error_set(err, -EINVAL, "binding: fingerprint has no valid machine id");
        if (!str_fits(fp->hostname, sizeof(fp->hostname)) ||
            !str_fits(fp->system_uuid, sizeof(fp->system_uuid)) ||
            !str_fits(fp->os, sizeof(fp->os)) || !str_fits(fp->arch, sizeof(fp->arch)) ||
            !str_fits(fp->username, sizeof(fp->username)))
                return cws_error_set(err, -EINVAL, "binding: fingerprint field too long");
        if (fp->n_macs > CWS_FP_MAX_MACS)
                return cws_error_set(err, -EINVAL, "binding: fingerprint has %u MAC addresses "
                                     "(at most %d)", fp->n_macs, CWS_FP_MAX_MACS);
        for (unsigned i = 0; i < fp->n_macs; i++)
                if (strnlen(fp->macs[i], sizeof(fp->macs[i])) != sizeof(fp->macs[i]) - 1)
                        return cws_error_set(err, -EINVAL, "binding: invalid MAC address");
        if (fp->uid != b->uid || strcmp(fp->username, b->username) != 0)
                return cws_error_set(err, -EINVAL,
                                     "binding: fingerprint was taken for another user");
        return 0;
}

static int fingerprint_to_json(const cws_fingerprint *fp, json_object **out)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *macs;
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = cws_json_add(o, "hostname", json_object_new_string(fp->hostname))) < 0 ||
            (r = cws_json_add(o, "machine_id", json_object_new_string(fp->machine_id))) < 0 ||
            (r = cws_json_add(o, "system_uuid", json_object_new_string(fp->system_uuid))) < 0 ||
            (r = cws_json_add(o, "os", json_object_new_string(fp->os))) < 0 ||
            (r = cws_json_add(o, "arch", json_object_new_string(fp->arch))) < 0 ||
            (r = cws_json_add(o, "macs", json_object_new_array())) < 0 ||
            (r = cws_json_add(o, "uid", json_object_new_int64((int64_t)fp->uid))) < 0 ||
            (r = cws_json_add(o, "username", json_object_new_string(fp->username))) < 0)
                return r;
        macs = json_object_object_get(o, "macs");
        for (unsigned i = 0; i < fp->n_macs; i++) {
                json_object *m = json_object_new_string(fp->macs[i]);
                if (!m)
                        return -ENOMEM;
                if (json_object_array_add(macs, m) < 0) {
                        json_object_put(m);
                        return -ENOMEM;
                }
        }
        *out = TAKE_PTR(o);
        return 0;
}

static int binding_to_json(const cws_binding *b, json_object **out)
{
        _cleanup_(cws_json_put_wipedp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *fp = NULL;
        char secret[64], priv[64];
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = cws_b64url_encode(b->secret, sizeof(b->secret), secret, sizeof(secret))) < 0 ||
            (r = cws_b64url_encode(b->binding_priv, sizeof(b->binding_priv), priv,
                                   sizeof(priv))) < 0 ||
            (r = fingerprint_to_json(&b->fp, &fp)) < 0)
                goto out;
        if ((r = cws_json_add(o, "version", json_object_new_int(BINDING_VERSION))) < 0 ||
            (r = cws_json_add(o, "profile", json_object_new_string(b->profile))) < 0 ||
            (r = cws_json_add(o, "inv_id", json_object_new_string(b->inv_id))) < 0 ||
            (r = cws_json_add(o, "secret", json_object_new_string(secret))) < 0 ||
            (r = cws_json_add(o, "device_id", json_object_new_string(b->device_id))) < 0 ||
            (r = cws_json_add(o, "slot", json_object_new_int64(b->slot))) < 0 ||
            (r = cws_json_add(o, "gen", json_object_new_int64(b->gen))) < 0 ||
            (r = cws_json_add(o, "uid", json_object_new_int64((int64_t)b->uid))) < 0 ||
            (r = cws_json_add(o, "username", json_object_new_string(b->username))) < 0 ||
            (r = cws_json_add(o, "fingerprint", TAKE_PTR(fp))) < 0 ||
            (r = cws_json_add(o, "binding_priv", json_object_new_string(priv))) < 0 ||
            (r = cws_json_add(o, "enrolled_at", json_object_new_int64(b->enrolled_at))) < 0)
                goto out;
        *out = TAKE_PTR(o);
out:
        cws_wipe(secret, sizeof(secret));
        cws_wipe(priv, sizeof(priv));
        return r;
}

int cws_binding_seal(const uint8_t host_key[CWS_HOST_KEY_LEN], const cws_binding *b, char **out,
                     size_t *len, cws_error *err)
{
        _cleanup_(aead_key_wipe) uint8_t key[CWS_AEAD_KEY_LEN] = { 0 };
        _cleanup_(cws_json_put_wipedp) json_object *root = NULL;
        _cleanup_free_ uint8_t *sealed = NULL;
        _cleanup_free_ char *text = NULL;
        char host_id[HOST_ID_HEX + 1], header[HEADER_LEN + 1];
        uint8_t aad[AAD_MAX];
        size_t aadlen, jslen, sealedlen, b64len, total;
        const char *js;
        int r;

        if (!host_key || !b || !out)
                return cws_error_set(err, -EINVAL, "binding: nothing to seal");
        r = binding_check(b, err);
        if (r < 0)
                return r;
        r = cws_host_id(host_id, err);
        if (r < 0)
                return r;
        r = binding_to_json(b, &root);
        if (r < 0)
                return cws_error_set(err, r, "binding: cannot serialize: %s", strerror(-r));
        js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!js)
                return cws_error_set(err, -ENOMEM, "binding: cannot serialize: out of memory");
        jslen = strlen(js);
        sealedlen = jslen + CWS_AEAD_OVERHEAD;
        b64len = cws_b64url_encoded_len(sealedlen);
        total = HEADER_LEN + b64len + 1;
        if (total > CWS_BINDING_MAX) {
                cws_wipe((char *)js, jslen);
                return cws_error_set(err, -EFBIG, "binding: sealed form would exceed %d bytes",
                                     CWS_BINDING_MAX);
        }

        header_format(host_id, header);
        aadlen = aad_format(header, b->uid, b->username, aad);
        sealed = malloc(sealedlen);
        text = malloc(total + 1);
        r = !sealed || !text ? -ENOMEM : seal_key(host_key, key);
        if (r == 0)
                r = cws_aead_seal(key, aad, aadlen, js, jslen, sealed);
        /* json-c's serialization buffer holds the secrets in clear. */
        cws_wipe((char *)js, jslen);
        if (r < 0)
                return cws_error_set(err, r, "binding: cannot seal: %s", strerror(-r));

        memcpy(text, header, HEADER_LEN);
        r = cws_b64url_encode(sealed, sealedlen, text + HEADER_LEN, total + 1 - HEADER_LEN);
        if (r < 0)
                return cws_error_set(err, r, "binding: cannot encode: %s", strerror(-r));
        text[total - 1] = '\n';
        text[total] = '\0';
        if (len)
                *len = total;
        *out = TAKE_PTR(text);
        return 0;
}

/* ---- opening ---- */

static const cws_json_key fingerprint_keys[] = {
        { "hostname", false }, { "machine_id", false }, { "system_uuid", false },
        { "os", false },       { "arch", false },       { "macs", false },
        { "uid", false },      { "username", false },
};
static const cws_json_key binding_keys[] = {
        { "version", false },     { "profile", false },     { "inv_id", false },
        { "secret", false },      { "device_id", false },   { "slot", false },
        { "gen", false },         { "uid", false },         { "username", false },
        { "fingerprint", false }, { "binding_priv", false }, { "enrolled_at", false },
};

static int fingerprint_from_json(cws_json_obj b, cws_fingerprint *fp, cws_error *err)
{
        json_object *macs;
        cws_json_obj o;
        int64_t uid;
        size_t n;
        int r;

        if ((r = cws_json_object(b, "fingerprint", "binding fingerprint", fingerprint_keys,
                                 CWS_ELEMENTSOF(fingerprint_keys), &o, err)) < 0 ||
            (r = cws_json_string(o, "hostname", fp->hostname, sizeof(fp->hostname), err)) < 0 ||
            (r = cws_json_string(o, "machine_id", fp->machine_id, sizeof(fp->machine_id), err)) < 0 ||
            (r = cws_json_string(o, "system_uuid", fp->system_uuid, sizeof(fp->system_uuid),
                                 err)) < 0 ||
            (r = cws_json_string(o, "os", fp->os, sizeof(fp->os), err)) < 0 ||
            (r = cws_json_string(o, "arch", fp->arch, sizeof(fp->arch), err)) < 0 ||
            (r = cws_json_int64(o, "uid", 0, (int64_t)UINT32_MAX - 1, &uid, err)) < 0 ||
            (r = cws_json_string(o, "username", fp->username, sizeof(fp->username), err)) < 0 ||
            (r = cws_json_array(o, "macs", CWS_FP_MAX_MACS, &macs, &n, err)) < 0)
                return r;
        fp->uid = (uid_t)uid;
        for (size_t i = 0; i < n; i++)
                if ((r = cws_json_array_string(o, "macs", macs, i, fp->macs[i],
                                               sizeof(fp->macs[i]) - 1, err)) < 0)
                        return r;
        fp->n_macs = (unsigned)n;
        return 0;
}

static int binding_from_json(const char *js, size_t len, cws_binding *b, cws_error *err)
{
        _cleanup_(cws_json_put_wipedp) json_object *doc = NULL;
        int64_t version, slot, gen, uid, at;
        cws_json_obj o;
        int r;

        r = cws_json_parse(js, len, CWS_BINDING_MAX, JSON_DEPTH, "binding", &doc, err);
        if (r < 0)
                return r;
        o = (cws_json_obj){ doc, "binding" };
        if ((r = cws_json_keys(o, binding_keys, CWS_ELEMENTSOF(binding_keys), err)) < 0 ||
            (r = cws_json_int64(o, "version", BINDING_VERSION, BINDING_VERSION, &version, err)) < 0 ||
            (r = cws_json_string(o, "profile", b->profile, sizeof(b->profile), err)) < 0 ||
            (r = cws_json_string(o, "inv_id", b->inv_id, sizeof(b->inv_id), err)) < 0 ||
            (r = cws_json_b64(o, "secret", b->secret, sizeof(b->secret), err)) < 0 ||
            (r = cws_json_string(o, "device_id", b->device_id, sizeof(b->device_id), err)) < 0 ||
            (r = cws_json_int64(o, "slot", 1, CWS_MAX_DEVICES, &slot, err)) < 0 ||
            (r = cws_json_int64(o, "gen", 0, UINT_MAX, &gen, err)) < 0 ||
            (r = cws_json_int64(o, "uid", 0, (int64_t)UINT32_MAX - 1, &uid, err)) < 0 ||
            (r = cws_json_string(o, "username", b->username, sizeof(b->username), err)) < 0 ||
            (r = fingerprint_from_json(o, &b->fp, err)) < 0 ||
            (r = cws_json_b64(o, "binding_priv", b->binding_priv, sizeof(b->binding_priv),
                              err)) < 0 ||
            (r = cws_json_int64(o, "enrolled_at", 0, INT64_MAX, &at, err)) < 0)
                return r;
        b->slot = (unsigned)slot;
        b->gen = (unsigned)gen;
        b->uid = (uid_t)uid;
        b->enrolled_at = at;
        r = binding_check(b, err);
        return r < 0 ? -EBADMSG : 0;
}

int cws_binding_open(const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid, const char *username,
                     const char *data, size_t len, cws_binding *b, cws_reason *why,
                     cws_error *err)
{
        _cleanup_(aead_key_wipe) uint8_t key[CWS_AEAD_KEY_LEN] = { 0 };
        _cleanup_(wiped_buf_free) wiped_buf plain = { 0 };
        _cleanup_(binding_wipe) cws_binding tmp = { 0 };
        _cleanup_free_ uint8_t *sealed = NULL;
        _cleanup_free_ char *body = NULL;
        char host_id[HOST_ID_HEX + 1], header[HEADER_LEN + 1];
        uint8_t aad[AAD_MAX];
        size_t bodylen, sealedlen = 0, aadlen;
        int r;

        set_why(why, CWS_R_BAD_REQUEST);
        if (!host_key || !username || !data || !b)
                return cws_error_set(err, -EINVAL, "binding: nothing to open");
        if (!str_fits(username, CWS_USER_MAX) || !*username)
                return cws_error_set(err, -EINVAL, "binding: user name too long or empty");

        set_why(why, CWS_R_TAMPER_DETECTED);
        if (len > CWS_BINDING_MAX)
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u: larger than %d bytes, not a binding; "
                                     "enroll this device again",
                                     (unsigned)uid, CWS_BINDING_MAX);
        if (len < HEADER_LEN + 2 || memcmp(data, BINDING_MAGIC " ", sizeof(BINDING_MAGIC)) != 0 ||
            !cws_hex_is_lower(data + sizeof(BINDING_MAGIC), HOST_ID_HEX) ||
            data[HEADER_LEN - 1] != '\n')
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u: not a sealed binding (bad header); "
                                     "enroll this device again",
                                     (unsigned)uid);

        set_why(why, CWS_R_INTERNAL_ERROR);
        r = cws_host_id(host_id, err);
        if (r < 0)
                return r;
        if (memcmp(data + sizeof(BINDING_MAGIC), host_id, HOST_ID_HEX) != 0) {
                set_why(why, CWS_R_PROFILE_COPY_DETECTED);
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u was sealed on another host (host id "
                                     "%.12s..., this host %.12s...); bindings never move between "
                                     "machines: enroll this device with cws-enroll",
                                     (unsigned)uid, data + sizeof(BINDING_MAGIC), host_id);
        }

        set_why(why, CWS_R_TAMPER_DETECTED);
        /* The body is base64url and a single final newline, nothing else. */
        bodylen = len - HEADER_LEN;
        if (data[len - 1] != '\n' || memchr(data + HEADER_LEN, '\n', bodylen - 1) ||
            memchr(data + HEADER_LEN, '\0', bodylen - 1))
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u: malformed body; enroll this device "
                                     "again",
                                     (unsigned)uid);
        body = strndup(data + HEADER_LEN, bodylen - 1);
        sealed = malloc(bodylen);
        if (!body || !sealed) {
                set_why(why, CWS_R_INTERNAL_ERROR);
                return cws_error_set(err, -ENOMEM, "binding: out of memory");
        }
        r = cws_b64url_decode(body, sealed, bodylen, &sealedlen);
        if (r < 0 || sealedlen <= CWS_AEAD_OVERHEAD)
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u: malformed body; enroll this device "
                                     "again",
                                     (unsigned)uid);

        plain.n = sealedlen - CWS_AEAD_OVERHEAD;
        plain.p = malloc(plain.n + 1);
        if (!plain.p) {
                set_why(why, CWS_R_INTERNAL_ERROR);
                return cws_error_set(err, -ENOMEM, "binding: out of memory");
        }
        header_format(host_id, header);
        aadlen = aad_format(header, uid, username, aad);
        r = seal_key(host_key, key);
        if (r == 0)
                r = cws_aead_open(key, aad, aadlen, sealed, sealedlen, plain.p);
        if (r == -EBADMSG)
                /* Wrong host key, another user, or an edit: AES-GCM cannot
                 * tell which, and we must not guess. */
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u (%s) does not authenticate: it was "
                                     "altered, made for another account, or sealed under "
                                     "another host key; enroll this device again",
                                     (unsigned)uid, username);
        if (r < 0) {
                set_why(why, CWS_R_INTERNAL_ERROR);
                return cws_error_set(err, r, "binding: cannot decrypt: %s", strerror(-r));
        }
        plain.p[plain.n] = '\0';

        r = binding_from_json((const char *)plain.p, plain.n, &tmp, err);
        if (r == -ENOMEM)
                set_why(why, CWS_R_INTERNAL_ERROR);
        if (r < 0)
                return r;
        /* The AAD already names the user; this catches a sealer that put
         * one user in the AAD and another in the record. */
        if (tmp.uid != uid || strcmp(tmp.username, username) != 0) {
                set_why(why, CWS_R_USER_MISMATCH);
                return cws_error_set(err, -EBADMSG,
                                     "binding for uid %u (%s) belongs to another user; enroll "
                                     "this device again",
                                     (unsigned)uid, username);
        }
        memcpy(b, &tmp, sizeof(*b));
        set_why(why, CWS_R_OK);
        return 0;
}
