/* Registry records: strict JSON (json-c) inside a signed envelope. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/cleanup.h"
#include "cws/json_reader.h"
#include "cws/record.h"

#define RECORD_VERSION 1

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

static int to_json(json_object *o, char **out)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

        *out = s ? strdup(s) : NULL;
        return *out ? 0 : -ENOMEM;
}

static int b64_field(json_object *o, const char *key, const void *data, size_t n)
{
        _cleanup_free_ char *enc = malloc(cws_b64url_encoded_len(n) + 1);
        if (!enc || cws_b64url_encode(data, n, enc, cws_b64url_encoded_len(n) + 1) < 0)
                return -ENOMEM;
        return cws_json_add(o, key, json_object_new_string(enc));
}

int cws_record_seal(cws_record_kind kind, const char *payload,
                    const uint8_t priv[CWS_ED25519_KEY_LEN], char **out, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *env = json_object_new_object();
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
        if (cws_json_add(env, "version", json_object_new_int(RECORD_VERSION)) < 0 ||
            cws_json_add(env, "kind", json_object_new_string(kind_name(kind))) < 0 ||
            b64_field(env, "payload", payload, strlen(payload)) < 0 ||
            b64_field(env, "key", pub, sizeof(pub)) < 0 || b64_field(env, "sig", sig, sizeof(sig)) < 0)
                return cws_error_set(err, -ENOMEM, "out of memory");
        return to_json(env, out) < 0 ? cws_error_set(err, -ENOMEM, "out of memory") : 0;
}

#define RECORD_DEPTH 16

static const cws_json_key envelope_keys[] = {
        { "version", false }, { "kind", false }, { "payload", false }, { "key", false },
        { "sig", false },
};
static const cws_json_key invitation_keys[] = {
        { "version", false },      { "id", false },         { "name", false },
        { "type", false },         { "can_invite", false }, { "transferable", false },
        { "device_bound", false }, { "max_devices", false }, { "created_at", false },
        { "expires_at", false },   { "parent", false },     { "public_key", false },
};
static const cws_json_key device_keys[] = {
        { "version", false }, { "invitation", false },  { "device_id", false },
        { "slot", false },    { "generation", false },  { "user", false },
        { "uid", false },     { "enrolled_at", false }, { "fingerprint", false },
        { "binding_key", false },
};
static const cws_json_key revocation_keys[] = {
        { "version", false }, { "invitation", false }, { "device_id", false },
        { "by", false },      { "why", false },        { "at", false },
};
static const cws_json_key notice_keys[] = {
        { "version", false }, { "invitation", false }, { "device_id", false },
        { "at_us", false },
};

/* A payload of one record kind: the whole text one object with exactly the
 * kind's keys and version RECORD_VERSION. Errors say "malformed <what>". */
static int parse_payload(const char *json, const char *what, const cws_json_key *keys, size_t n,
                         json_object **doc, cws_json_obj *o, cws_error *err)
{
        int64_t v;
        int r = cws_json_parse(json, strlen(json), CWS_RECORD_MAX, RECORD_DEPTH, what, doc, err);

        if (r < 0) {
                if (r == -EBADMSG && err) {
                        char msg[sizeof(err->msg)];
                        memcpy(msg, err->msg, sizeof(msg));
                        cws_error_set(err, r, "malformed %s", msg);
                }
                return r;
        }
        o->o = *doc;
        o->what = what;
        if ((r = cws_json_keys(*o, keys, n, err)) < 0 ||
            (r = cws_json_int64(*o, "version", RECORD_VERSION, RECORD_VERSION, &v, err)) < 0)
                return r;
        return 0;
}

int cws_record_unseal(cws_record_kind kind, const char *data, size_t len,
                      uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        _cleanup_free_ char *msg = NULL, *pl = NULL;
        uint8_t sig[CWS_ED25519_SIG_LEN];
        char what[48], ewhat[64], k[32];
        size_t plen = 0, mlen = 0, enclen;
        cws_json_obj env;
        json_object *v;
        int64_t version;
        int r;

        snprintf(what, sizeof(what), "%s record", kind_name(kind));
        snprintf(ewhat, sizeof(ewhat), "%s record envelope", kind_name(kind));
        r = cws_json_parse(data, len, CWS_RECORD_MAX, RECORD_DEPTH, what, &doc, err);
        if (r < 0)
                return r;
        env = (cws_json_obj){ doc, ewhat };
        if ((r = cws_json_keys(env, envelope_keys, CWS_ELEMENTSOF(envelope_keys), err)) < 0 ||
            (r = cws_json_int64(env, "version", RECORD_VERSION, RECORD_VERSION, &version, err)) < 0 ||
            (r = cws_json_string(env, "kind", k, sizeof(k), err)) < 0)
                return r;
        if (strcmp(k, kind_name(kind)) != 0)
                return cws_error_set(err, -EBADMSG, "malformed %s: it is of kind \"%.31s\"", ewhat,
                                     k);
        if ((r = cws_json_b64(env, "key", signer, CWS_ED25519_KEY_LEN, err)) < 0 ||
            (r = cws_json_b64(env, "sig", sig, sizeof(sig), err)) < 0)
                return r;
        /* The payload is the one long string: read in place, not copied. */
        json_object_object_get_ex(doc, "payload", &v);
        if (!json_object_is_type(v, json_type_string))
                return cws_error_set(err, -EBADMSG, "malformed %s: field \"payload\" is not a string",
                                     ewhat);
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

int cws_invitation_to_json(const cws_invitation *inv, char **out)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (cws_json_add(o, "version", json_object_new_int(RECORD_VERSION)) < 0 ||
            cws_json_add(o, "id", json_object_new_string(inv->id)) < 0 ||
            cws_json_add(o, "name", json_object_new_string(inv->name)) < 0 ||
            cws_json_add(o, "type", json_object_new_string(cws_inv_type_to_string(inv->type))) < 0 ||
            cws_json_add(o, "can_invite", json_object_new_boolean(inv->can_invite)) < 0 ||
            cws_json_add(o, "transferable", json_object_new_boolean(inv->transferable)) < 0 ||
            cws_json_add(o, "device_bound", json_object_new_boolean(inv->device_bound)) < 0 ||
            cws_json_add(o, "max_devices", json_object_new_int64(inv->max_devices)) < 0 ||
            cws_json_add(o, "created_at", json_object_new_int64(inv->created_at)) < 0 ||
            cws_json_add(o, "expires_at", json_object_new_int64(inv->expires_at)) < 0 ||
            cws_json_add(o, "parent", json_object_new_string(inv->parent)) < 0 ||
            b64_field(o, "public_key", inv->pubkey, sizeof(inv->pubkey)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

#define TIME_MAX ((int64_t)1 << 40)

int cws_invitation_from_json(const char *json, cws_invitation *inv, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        char type[32];
        int64_t maxd = 0;
        cws_json_obj o;
        int r;

        memset(inv, 0, sizeof(*inv));
        if ((r = parse_payload(json, "invitation record", invitation_keys,
                               CWS_ELEMENTSOF(invitation_keys), &doc, &o, err)) < 0 ||
            (r = cws_json_string(o, "id", inv->id, sizeof(inv->id), err)) < 0 ||
            (r = cws_json_string(o, "name", inv->name, sizeof(inv->name), err)) < 0 ||
            (r = cws_json_string(o, "type", type, sizeof(type), err)) < 0)
                return r;
        if (cws_inv_type_from_string(type, &inv->type) < 0 || inv->type == CWS_TYPE_NONE)
                return cws_error_set(err, -EBADMSG,
                                     "malformed invitation record: field \"type\" is not a type");
        if ((r = cws_json_bool(o, "can_invite", &inv->can_invite, err)) < 0 ||
            (r = cws_json_bool(o, "transferable", &inv->transferable, err)) < 0 ||
            (r = cws_json_bool(o, "device_bound", &inv->device_bound, err)) < 0 ||
            (r = cws_json_int64(o, "max_devices", 1, CWS_MAX_DEVICES, &maxd, err)) < 0 ||
            (r = cws_json_int64(o, "created_at", 0, TIME_MAX, &inv->created_at, err)) < 0 ||
            (r = cws_json_int64(o, "expires_at", 0, TIME_MAX, &inv->expires_at, err)) < 0 ||
            (r = cws_json_string(o, "parent", inv->parent, sizeof(inv->parent), err)) < 0 ||
            (r = cws_json_b64(o, "public_key", inv->pubkey, sizeof(inv->pubkey), err)) < 0)
                return r;
        inv->max_devices = (unsigned)maxd;
        if (!cws_id_valid("inv", inv->id) || !cws_name_valid(inv->name, sizeof(inv->name)) ||
            (inv->parent[0] && !cws_id_valid("inv", inv->parent)))
                return cws_error_set(err, -EBADMSG, "invitation record has an invalid id or name");
        return 0;
}

int cws_device_reg_to_json(const cws_device_reg *d, char **out)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (cws_json_add(o, "version", json_object_new_int(RECORD_VERSION)) < 0 ||
            cws_json_add(o, "invitation", json_object_new_string(d->inv_id)) < 0 ||
            cws_json_add(o, "device_id", json_object_new_string(d->device_id)) < 0 ||
            cws_json_add(o, "slot", json_object_new_int64(d->slot)) < 0 ||
            cws_json_add(o, "generation", json_object_new_int64(d->gen)) < 0 ||
            cws_json_add(o, "user", json_object_new_string(d->user)) < 0 ||
            cws_json_add(o, "uid", json_object_new_int64(d->uid)) < 0 ||
            cws_json_add(o, "enrolled_at", json_object_new_int64(d->enrolled_at)) < 0 ||
            b64_field(o, "fingerprint", d->fp_digest, sizeof(d->fp_digest)) < 0 ||
            b64_field(o, "binding_key", d->binding_pub, sizeof(d->binding_pub)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

int cws_device_reg_from_json(const char *json, cws_device_reg *d, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        int64_t slot = 0, gen = 0, uid = 0;
        cws_json_obj o;
        int r;

        memset(d, 0, sizeof(*d));
        if ((r = parse_payload(json, "device record", device_keys, CWS_ELEMENTSOF(device_keys),
                               &doc, &o, err)) < 0 ||
            (r = cws_json_string(o, "invitation", d->inv_id, sizeof(d->inv_id), err)) < 0 ||
            (r = cws_json_string(o, "device_id", d->device_id, sizeof(d->device_id), err)) < 0 ||
            (r = cws_json_int64(o, "slot", 1, CWS_MAX_DEVICES, &slot, err)) < 0 ||
            (r = cws_json_int64(o, "generation", 0, 1000000, &gen, err)) < 0 ||
            (r = cws_json_string(o, "user", d->user, sizeof(d->user), err)) < 0 ||
            (r = cws_json_int64(o, "uid", 0, UINT32_MAX - 1, &uid, err)) < 0 ||
            (r = cws_json_int64(o, "enrolled_at", 0, TIME_MAX, &d->enrolled_at, err)) < 0 ||
            (r = cws_json_b64(o, "fingerprint", d->fp_digest, sizeof(d->fp_digest), err)) < 0 ||
            (r = cws_json_b64(o, "binding_key", d->binding_pub, sizeof(d->binding_pub), err)) < 0)
                return r;
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
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (cws_json_add(o, "version", json_object_new_int(RECORD_VERSION)) < 0 ||
            cws_json_add(o, "invitation", json_object_new_string(rv->inv_id)) < 0 ||
            cws_json_add(o, "device_id", json_object_new_string(rv->device_id)) < 0 ||
            cws_json_add(o, "by", json_object_new_string(rv->by)) < 0 ||
            cws_json_add(o, "why", json_object_new_string(rv->why)) < 0 ||
            cws_json_add(o, "at", json_object_new_int64(rv->at)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

int cws_revocation_from_json(const char *json, cws_revocation *rv, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        cws_json_obj o;
        int r;

        memset(rv, 0, sizeof(*rv));
        if ((r = parse_payload(json, "revocation record", revocation_keys,
                               CWS_ELEMENTSOF(revocation_keys), &doc, &o, err)) < 0 ||
            (r = cws_json_string(o, "invitation", rv->inv_id, sizeof(rv->inv_id), err)) < 0 ||
            (r = cws_json_string(o, "device_id", rv->device_id, sizeof(rv->device_id), err)) < 0 ||
            (r = cws_json_string(o, "by", rv->by, sizeof(rv->by), err)) < 0 ||
            (r = cws_json_string(o, "why", rv->why, sizeof(rv->why), err)) < 0 ||
            (r = cws_json_int64(o, "at", 0, TIME_MAX, &rv->at, err)) < 0)
                return r;
        if (!cws_id_valid("inv", rv->inv_id) ||
            (rv->device_id[0] && !cws_id_valid("dev", rv->device_id)))
                return cws_error_set(err, -EBADMSG, "revocation record has an invalid id");
        return 0;
}

int cws_notice_to_json(const cws_notice *n, char **out)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (cws_json_add(o, "version", json_object_new_int(RECORD_VERSION)) < 0 ||
            cws_json_add(o, "invitation", json_object_new_string(n->inv_id)) < 0 ||
            cws_json_add(o, "device_id", json_object_new_string(n->device_id)) < 0 ||
            cws_json_add(o, "at_us", json_object_new_int64(n->at_us)) < 0)
                return -ENOMEM;
        return to_json(o, out);
}

int cws_notice_from_json(const char *json, cws_notice *n, cws_error *err)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        cws_json_obj o;
        int r;

        memset(n, 0, sizeof(*n));
        if ((r = parse_payload(json, "revocation notice", notice_keys, CWS_ELEMENTSOF(notice_keys),
                               &doc, &o, err)) < 0 ||
            (r = cws_json_string(o, "invitation", n->inv_id, sizeof(n->inv_id), err)) < 0 ||
            (r = cws_json_string(o, "device_id", n->device_id, sizeof(n->device_id), err)) < 0 ||
            (r = cws_json_int64(o, "at_us", 0, TIME_MAX * 1000000, &n->at_us, err)) < 0)
                return r;
        if (!cws_id_valid("inv", n->inv_id) ||
            (n->device_id[0] && !cws_id_valid("dev", n->device_id)))
                return cws_error_set(err, -EBADMSG, "revocation notice has an invalid id");
        return 0;
}
