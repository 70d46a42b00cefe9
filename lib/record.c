/* Registry records: strict JSON (json-c) inside a signed envelope. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json.h>
#include "cws/base64.h"
#include "cws/cleanup.h"
#include "cws/record.h"

#define RECORD_VERSION 1

static void json_putp(json_object **o) { json_object_put(*o); }
#define _cleanup_json_ _cleanup_(json_putp)

static const char *kind_name(cws_record_kind k)
{
        switch (k) {
        case CWS_REC_INVITATION: return "invitation";
        case CWS_REC_DEVICE: return "device";
        case CWS_REC_REVOCATION: return "revocation";
        case CWS_REC_NOTICE: return "notice";
        }
        return "?";
}

/* What is signed: a domain tag, the kind and the exact payload bytes. */
static char *signed_message(cws_record_kind kind, const char *payload, size_t *len)
{
        static const char tag[] = "cws-record-v1";
        const char *k = kind_name(kind);
        size_t tl = sizeof(tag), kl = strlen(k) + 1, pl = strlen(payload);
        char *m = malloc(tl + kl + pl);

        if (!m)
                return NULL;
        memcpy(m, tag, tl);
        memcpy(m + tl, k, kl);
        memcpy(m + tl + kl, payload, pl);
        *len = tl + kl + pl;
        return m;
}

static int b64_field(json_object *o, const char *key, const void *data, size_t n)
{
        _cleanup_free_ char *enc = malloc(cws_b64url_encoded_len(n) + 1);
        if (!enc || cws_b64url_encode(data, n, enc, cws_b64url_encoded_len(n) + 1) < 0)
                return -ENOMEM;
        return json_object_object_add(o, key, json_object_new_string(enc)) == 0 ? 0 : -ENOMEM;
}

int cws_record_seal(cws_record_kind kind, const char *payload,
                    const uint8_t priv[CWS_ED25519_KEY_LEN], char **out, cws_error *err)
{
        _cleanup_json_ json_object *env = json_object_new_object();
        _cleanup_free_ char *msg = NULL;
        uint8_t pub[CWS_ED25519_KEY_LEN], sig[CWS_ED25519_SIG_LEN];
        size_t mlen = 0;
        int r;

        if (!env || !(msg = signed_message(kind, payload, &mlen)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        r = cws_ed25519_public(priv, pub);
        if (r >= 0)
                r = cws_ed25519_sign(priv, msg, mlen, sig);
        if (r < 0)
                return cws_error_set(err, r, "cannot sign %s record", kind_name(kind));
        json_object_object_add(env, "version", json_object_new_int(RECORD_VERSION));
        json_object_object_add(env, "kind", json_object_new_string(kind_name(kind)));
        if (b64_field(env, "payload", payload, strlen(payload)) < 0 ||
            b64_field(env, "key", pub, sizeof(pub)) < 0 || b64_field(env, "sig", sig, sizeof(sig)) < 0)
                return cws_error_set(err, -ENOMEM, "out of memory");
        *out = strdup(json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN));
        return *out ? 0 : cws_error_set(err, -ENOMEM, "out of memory");
}

/* Parses exactly one JSON object spanning the whole buffer (trailing
 * white space allowed): no second document, no other top-level type. */
static int parse_object(const char *data, size_t len, json_object **out)
{
        json_tokener *tok;
        json_object *o;
        bool ok;

        if (len == 0 || len > CWS_RECORD_MAX || memchr(data, '\0', len))
                return -EBADMSG;
        tok = json_tokener_new_ex(16);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, data, (int)len);
        ok = o && json_tokener_get_error(tok) == json_tokener_success &&
             json_object_is_type(o, json_type_object);
        for (size_t i = json_tokener_get_parse_end(tok); ok && i < len; i++)
                ok = data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r';
        json_tokener_free(tok);
        if (!ok) {
                json_object_put(o);
                return -EBADMSG;
        }
        *out = o;
        return 0;
}

static int get_field(json_object *o, const char *key, json_type t, json_object **v)
{
        if (!json_object_object_get_ex(o, key, v) || !json_object_is_type(*v, t))
                return -EBADMSG;
        return 0;
}

static int get_string(json_object *o, const char *key, char *buf, size_t size)
{
        json_object *v;
        const char *s;
        size_t n;

        if (get_field(o, key, json_type_string, &v) < 0)
                return -EBADMSG;
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (n >= size || strlen(s) != n)
                return -EBADMSG;
        memcpy(buf, s, n + 1);
        return 0;
}

static int get_b64(json_object *o, const char *key, void *buf, size_t want)
{
        char enc[256];
        size_t n = 0;

        if (get_string(o, key, enc, sizeof(enc)) < 0 ||
            cws_b64url_decode(enc, buf, want, &n) < 0 || n != want)
                return -EBADMSG;
        return 0;
}

static int get_int64(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
        json_object *v;
        int64_t x;

        if (get_field(o, key, json_type_int, &v) < 0)
                return -EBADMSG;
        errno = 0;
        x = json_object_get_int64(v);
        if (errno || x < min || x > max)
                return -EBADMSG;
        *out = x;
        return 0;
}

static int get_bool(json_object *o, const char *key, bool *out)
{
        json_object *v;
        if (get_field(o, key, json_type_boolean, &v) < 0)
                return -EBADMSG;
        *out = json_object_get_boolean(v);
        return 0;
}

static int check_version(json_object *o)
{
        int64_t v;
        return get_int64(o, "version", RECORD_VERSION, RECORD_VERSION, &v);
}

int cws_record_unseal(cws_record_kind kind, const char *data, size_t len,
                      uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err)
{
        _cleanup_json_ json_object *env = NULL;
        _cleanup_free_ char *msg = NULL, *pl = NULL;
        uint8_t sig[CWS_ED25519_SIG_LEN];
        char k[32];
        size_t plen = 0, mlen = 0, enclen;
        json_object *v;

        if (parse_object(data, len, &env) < 0)
                return cws_error_set(err, -EBADMSG, "%s record is not valid JSON", kind_name(kind));
        if (check_version(env) < 0 || get_string(env, "kind", k, sizeof(k)) < 0 ||
            strcmp(k, kind_name(kind)) != 0 || get_b64(env, "key", signer, CWS_ED25519_KEY_LEN) < 0 ||
            get_b64(env, "sig", sig, sizeof(sig)) < 0 ||
            get_field(env, "payload", json_type_string, &v) < 0)
                return cws_error_set(err, -EBADMSG, "malformed %s record envelope", kind_name(kind));
        enclen = (size_t)json_object_get_string_len(v);
        if (!(pl = malloc(enclen + 1)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        if (cws_b64url_decode(json_object_get_string(v), pl, enclen, &plen) < 0 ||
            memchr(pl, '\0', plen))
                return cws_error_set(err, -EBADMSG, "malformed %s record payload", kind_name(kind));
        pl[plen] = '\0';
        if (!(msg = signed_message(kind, pl, &mlen)))
                return cws_error_set(err, -ENOMEM, "out of memory");
        if (cws_ed25519_verify(signer, msg, mlen, sig) < 0)
                return cws_error_set(err, -EBADMSG, "%s record signature does not verify",
                                     kind_name(kind));
        *payload = TAKE_PTR(pl);
        return 0;
}

static int to_json(json_object *o, char **out)
{
        *out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        return *out ? 0 : -ENOMEM;
}

int cws_invitation_to_json(const cws_invitation *inv, char **out)
{
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "version", json_object_new_int(RECORD_VERSION));
        json_object_object_add(o, "id", json_object_new_string(inv->id));
        json_object_object_add(o, "name", json_object_new_string(inv->name));
        json_object_object_add(o, "type", json_object_new_string(cws_inv_type_to_string(inv->type)));
        json_object_object_add(o, "can_invite", json_object_new_boolean(inv->can_invite));
        json_object_object_add(o, "transferable", json_object_new_boolean(inv->transferable));
        json_object_object_add(o, "device_bound", json_object_new_boolean(inv->device_bound));
        json_object_object_add(o, "max_devices", json_object_new_int64(inv->max_devices));
        json_object_object_add(o, "created_at", json_object_new_int64(inv->created_at));
        json_object_object_add(o, "expires_at", json_object_new_int64(inv->expires_at));
        json_object_object_add(o, "parent", json_object_new_string(inv->parent));
        if (b64_field(o, "public_key", inv->pubkey, sizeof(inv->pubkey)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

#define TIME_MAX ((int64_t)1 << 40)

int cws_invitation_from_json(const char *json, cws_invitation *inv, cws_error *err)
{
        _cleanup_json_ json_object *o = NULL;
        char type[32];
        int64_t maxd = 0;

        memset(inv, 0, sizeof(*inv));
        if (parse_object(json, strlen(json), &o) < 0 || check_version(o) < 0 ||
            get_string(o, "id", inv->id, sizeof(inv->id)) < 0 ||
            get_string(o, "name", inv->name, sizeof(inv->name)) < 0 ||
            get_string(o, "type", type, sizeof(type)) < 0 ||
            cws_inv_type_from_string(type, &inv->type) < 0 || inv->type == CWS_TYPE_NONE ||
            get_bool(o, "can_invite", &inv->can_invite) < 0 ||
            get_bool(o, "transferable", &inv->transferable) < 0 ||
            get_bool(o, "device_bound", &inv->device_bound) < 0 ||
            get_int64(o, "max_devices", 1, CWS_MAX_DEVICES, &maxd) < 0 ||
            get_int64(o, "created_at", 0, TIME_MAX, &inv->created_at) < 0 ||
            get_int64(o, "expires_at", 0, TIME_MAX, &inv->expires_at) < 0 ||
            get_string(o, "parent", inv->parent, sizeof(inv->parent)) < 0 ||
            get_b64(o, "public_key", inv->pubkey, sizeof(inv->pubkey)) < 0)
                return cws_error_set(err, -EBADMSG, "malformed invitation record");
        inv->max_devices = (unsigned)maxd;
        if (!cws_id_valid("inv", inv->id) || !cws_name_valid(inv->name, sizeof(inv->name)) ||
            (inv->parent[0] && !cws_id_valid("inv", inv->parent)))
                return cws_error_set(err, -EBADMSG, "invitation record has an invalid id or name");
        return 0;
}

int cws_device_reg_to_json(const cws_device_reg *d, char **out)
{
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "version", json_object_new_int(RECORD_VERSION));
        json_object_object_add(o, "invitation", json_object_new_string(d->inv_id));
        json_object_object_add(o, "device_id", json_object_new_string(d->device_id));
        json_object_object_add(o, "slot", json_object_new_int64(d->slot));
        json_object_object_add(o, "generation", json_object_new_int64(d->gen));
        json_object_object_add(o, "user", json_object_new_string(d->user));
        json_object_object_add(o, "uid", json_object_new_int64(d->uid));
        json_object_object_add(o, "enrolled_at", json_object_new_int64(d->enrolled_at));
        if (b64_field(o, "fingerprint", d->fp_digest, sizeof(d->fp_digest)) < 0 ||
            b64_field(o, "binding_key", d->binding_pub, sizeof(d->binding_pub)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

int cws_device_reg_from_json(const char *json, cws_device_reg *d, cws_error *err)
{
        _cleanup_json_ json_object *o = NULL;
        int64_t slot = 0, gen = 0, uid = 0;

        memset(d, 0, sizeof(*d));
        if (parse_object(json, strlen(json), &o) < 0 || check_version(o) < 0 ||
            get_string(o, "invitation", d->inv_id, sizeof(d->inv_id)) < 0 ||
            get_string(o, "device_id", d->device_id, sizeof(d->device_id)) < 0 ||
            get_int64(o, "slot", 1, CWS_MAX_DEVICES, &slot) < 0 ||
            get_int64(o, "generation", 0, 1000000, &gen) < 0 ||
            get_string(o, "user", d->user, sizeof(d->user)) < 0 ||
            get_int64(o, "uid", 0, UINT32_MAX - 1, &uid) < 0 ||
            get_int64(o, "enrolled_at", 0, TIME_MAX, &d->enrolled_at) < 0 ||
            get_b64(o, "fingerprint", d->fp_digest, sizeof(d->fp_digest)) < 0 ||
            get_b64(o, "binding_key", d->binding_pub, sizeof(d->binding_pub)) < 0)
                return cws_error_set(err, -EBADMSG, "malformed device record");
        d->slot = (unsigned)slot;
        d->gen = (unsigned)gen;
        d->uid = (uid_t)uid;
        if (!cws_id_valid("inv", d->inv_id) || !cws_id_valid("dev", d->device_id) ||
            !cws_name_valid(d->user, sizeof(d->user)))
                return cws_error_set(err, -EBADMSG, "device record has an invalid id or user");
        return 0;
}

int cws_revocation_to_json(const cws_revocation *rv, char **out)
{
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "version", json_object_new_int(RECORD_VERSION));
        json_object_object_add(o, "invitation", json_object_new_string(rv->inv_id));
        json_object_object_add(o, "device_id", json_object_new_string(rv->device_id));
        json_object_object_add(o, "by", json_object_new_string(rv->by));
        json_object_object_add(o, "why", json_object_new_string(rv->why));
        json_object_object_add(o, "at", json_object_new_int64(rv->at));
        return to_json(o, out);
}

int cws_revocation_from_json(const char *json, cws_revocation *rv, cws_error *err)
{
        _cleanup_json_ json_object *o = NULL;

        memset(rv, 0, sizeof(*rv));
        if (parse_object(json, strlen(json), &o) < 0 || check_version(o) < 0 ||
            get_string(o, "invitation", rv->inv_id, sizeof(rv->inv_id)) < 0 ||
            get_string(o, "device_id", rv->device_id, sizeof(rv->device_id)) < 0 ||
            get_string(o, "by", rv->by, sizeof(rv->by)) < 0 ||
            get_string(o, "why", rv->why, sizeof(rv->why)) < 0 ||
            get_int64(o, "at", 0, TIME_MAX, &rv->at) < 0)
                return cws_error_set(err, -EBADMSG, "malformed revocation record");
        if (!cws_id_valid("inv", rv->inv_id) ||
            (rv->device_id[0] && !cws_id_valid("dev", rv->device_id)))
                return cws_error_set(err, -EBADMSG, "revocation record has an invalid id");
        return 0;
}

int cws_notice_to_json(const cws_notice *n, char **out)
{
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "version", json_object_new_int(RECORD_VERSION));
        json_object_object_add(o, "invitation", json_object_new_string(n->inv_id));
        json_object_object_add(o, "device_id", json_object_new_string(n->device_id));
        json_object_object_add(o, "at_us", json_object_new_int64(n->at_us));
        return to_json(o, out);
}

int cws_notice_from_json(const char *json, cws_notice *n, cws_error *err)
{
        _cleanup_json_ json_object *o = NULL;

        memset(n, 0, sizeof(*n));
        if (parse_object(json, strlen(json), &o) < 0 || check_version(o) < 0 ||
            get_string(o, "invitation", n->inv_id, sizeof(n->inv_id)) < 0 ||
            get_string(o, "device_id", n->device_id, sizeof(n->device_id)) < 0 ||
            get_int64(o, "at_us", 0, TIME_MAX * 1000000, &n->at_us) < 0)
                return cws_error_set(err, -EBADMSG, "malformed revocation notice");
        if (!cws_id_valid("inv", n->inv_id) ||
            (n->device_id[0] && !cws_id_valid("dev", n->device_id)))
                return cws_error_set(err, -EBADMSG, "revocation notice has an invalid id");
        return 0;
}
