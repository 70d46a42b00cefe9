/* lib/record.c: identifiers, names, the signed envelope and the strict
 * payload parsers. Every refusal is checked for its code, and the ones that
 * could pass by accident (spliced signatures, NUL tricks) are built so that
 * they would pass if the check they aim at were missing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json.h>
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/record.h"

#define ID_ZEROS "AAAAAAAAAAAAAAAAAAAAAA"      /* 16 zero bytes, 22 characters */
#define INV_A "inv-" ID_ZEROS
#define INV_B "inv-AQIDBAUGBwgJCgsMDQ4PEA"    /* bytes 1..16 */
#define DEV_A "dev-" ID_ZEROS

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

/* ---- helpers: sample records and JSON surgery ---- */

static void sample_invitation(cws_invitation *inv)
{
        memset(inv, 0, sizeof(*inv));
        snprintf(inv->id, sizeof(inv->id), "%s", INV_B);
        snprintf(inv->name, sizeof(inv->name), "lab-access");
        inv->type = CWS_TYPE_READ_WRITE;
        inv->can_invite = true;
        inv->transferable = false;
        inv->device_bound = true;
        inv->max_devices = 3;
        inv->created_at = 1700000000;
        inv->expires_at = 1702592000;
        snprintf(inv->parent, sizeof(inv->parent), "%s", INV_A);
        for (size_t i = 0; i < sizeof(inv->pubkey); i++)
                inv->pubkey[i] = (uint8_t)(i * 7 + 1);
}

static void sample_device(cws_device_reg *d)
{
        memset(d, 0, sizeof(*d));
        snprintf(d->inv_id, sizeof(d->inv_id), "%s", INV_B);
        snprintf(d->device_id, sizeof(d->device_id), "%s", DEV_A);
        d->slot = 2;
        d->gen = 7;
        snprintf(d->user, sizeof(d->user), "alice@lab");
        d->uid = 1001;
        for (size_t i = 0; i < sizeof(d->fp_digest); i++)
                d->fp_digest[i] = (uint8_t)(0xf0 ^ i);
        for (size_t i = 0; i < sizeof(d->binding_pub); i++)
                d->binding_pub[i] = (uint8_t)(3 * i);
        d->enrolled_at = 1700000100;
}

static void sample_revocation(cws_revocation *rv)
{
        memset(rv, 0, sizeof(*rv));
        snprintf(rv->inv_id, sizeof(rv->inv_id), "%s", INV_B);
        snprintf(rv->device_id, sizeof(rv->device_id), "%s", DEV_A);
        snprintf(rv->by, sizeof(rv->by), "admin");
        snprintf(rv->why, sizeof(rv->why), "laptop stolen");
        rv->at = 1700000200;
}

static char *invitation_json(void)
{
        cws_invitation inv;
        char *s = NULL;

        sample_invitation(&inv);
        assert_int_equal(cws_invitation_to_json(&inv, &s), 0);
        return s;
}

static char *device_json(void)
{
        cws_device_reg d;
        char *s = NULL;

        sample_device(&d);
        assert_int_equal(cws_device_reg_to_json(&d, &s), 0);
        return s;
}

static char *revocation_json(void)
{
        cws_revocation rv;
        char *s = NULL;

        sample_revocation(&rv);
        assert_int_equal(cws_revocation_to_json(&rv, &s), 0);
        return s;
}

/* json with field set to val (which it takes), or removed when val is NULL. */
static char *json_with(const char *json, const char *field, json_object *val)
{
        json_object *o = json_tokener_parse(json);
        char *s;

        assert_non_null(o);
        if (val)
                assert_int_equal(json_object_object_add(o, field, val), 0);
        else
                json_object_object_del(o, field);
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        assert_non_null(s);
        return s;
}

static char *json_with_string(const char *json, const char *field, const char *v)
{
        return json_with(json, field, json_object_new_string(v));
}

static char *json_with_int(const char *json, const char *field, int64_t v)
{
        return json_with(json, field, json_object_new_int64(v));
}

/* The string value of a field of an envelope (caller frees). */
static char *field_of(const char *json, const char *field)
{
        json_object *o = json_tokener_parse(json), *v;
        char *s;

        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, field, &v));
        s = strdup(json_object_get_string(v));
        json_object_put(o);
        assert_non_null(s);
        return s;
}

/* Decodes a base64url field of an envelope into buf; returns its length. */
static size_t field_bytes(const char *env, const char *field, uint8_t *buf, size_t size)
{
        char *enc = field_of(env, field);
        size_t n = 0;

        assert_int_equal(cws_b64url_decode(enc, buf, size, &n), 0);
        free(enc);
        return n;
}

/* env with the base64url field replaced by the encoding of len bytes. */
static char *with_bytes(const char *env, const char *field, const uint8_t *data, size_t len)
{
        size_t enclen = cws_b64url_encoded_len(len) + 1;
        char *enc = malloc(enclen), *s;

        assert_non_null(enc);
        assert_int_equal(cws_b64url_encode(data, len, enc, enclen), 0);
        s = json_with_string(env, field, enc);
        free(enc);
        return s;
}

/* env with one byte of a decoded base64url field flipped. */
static char *flip_byte(const char *env, const char *field, size_t at)
{
        static uint8_t buf[CWS_RECORD_MAX];
        size_t n = field_bytes(env, field, buf, sizeof(buf));

        assert_true(at < n);
        buf[at] ^= 0x01;
        return with_bytes(env, field, buf, n);
}

typedef struct keys {
        uint8_t priv[CWS_ED25519_KEY_LEN];
        uint8_t pub[CWS_ED25519_KEY_LEN];
} keys;

static void make_keys(keys *k)
{
        assert_int_equal(cws_ed25519_keygen(k->priv, k->pub), 0);
}

static char *seal(cws_record_kind kind, const char *payload, const keys *k)
{
        cws_error err = { 0 };
        char *env = NULL;

        assert_int_equal(cws_record_seal(kind, payload, k->priv, &env, &err), 0);
        assert_non_null(env);
        return env;
}

/* Unseals and expects refusal with -EBADMSG and a message naming the kind. */
static void assert_unseal_refused(cws_record_kind kind, const char *data, size_t len,
                                  const char *msg_part)
{
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char *payload = NULL;
        cws_error err = { 0 };

        assert_int_equal(cws_record_unseal(kind, data, len, signer, &payload, &err), -EBADMSG);
        assert_null(payload);
        assert_int_equal(err.code, -EBADMSG);
        assert_contains(err.msg, msg_part);
}

static void assert_unseal_refused_str(cws_record_kind kind, const char *data, const char *part)
{
        assert_unseal_refused(kind, data, strlen(data), part);
}

/* ---- identifiers ---- */

static void test_id_new(void **state)
{
        char a[CWS_ID_MAX], b[CWS_ID_MAX];
        (void)state;

        assert_int_equal(cws_id_new("inv", a), 0);
        assert_int_equal(cws_id_new("inv", b), 0);
        assert_int_equal(strlen(a), 4 + 22);
        assert_int_equal(strncmp(a, "inv-", 4), 0);
        assert_true(cws_id_valid("inv", a));
        assert_false(cws_id_valid("dev", a));
        assert_string_not_equal(a, b);

        assert_int_equal(cws_id_new("dev", a), 0);
        assert_int_equal(strncmp(a, "dev-", 4), 0);
        assert_true(cws_id_valid("dev", a));
}

static void test_id_new_prefix_too_long(void **state)
{
        char out[CWS_ID_MAX];
        (void)state;

        /* "invitation-" + 22 characters does not fit in CWS_ID_MAX. */
        assert_int_equal(cws_id_new("invitation", out), -ENAMETOOLONG);
}

static void test_id_valid_good(void **state)
{
        (void)state;
        assert_true(cws_id_valid("inv", INV_A));
        assert_true(cws_id_valid("inv", INV_B));
        assert_true(cws_id_valid("dev", DEV_A));
        assert_true(cws_id_valid("inv", "inv-_____________________w"));
}

static void test_id_valid_wrong_prefix(void **state)
{
        (void)state;
        assert_false(cws_id_valid("dev", INV_A));
        assert_false(cws_id_valid("inv", DEV_A));
        assert_false(cws_id_valid("in", INV_A));          /* prefix must end at '-' */
        assert_false(cws_id_valid("inv", "INV-" ID_ZEROS));
        assert_false(cws_id_valid("inv", "inv_" ID_ZEROS));
        assert_false(cws_id_valid("inv", "inv" ID_ZEROS));
        assert_false(cws_id_valid("inv", NULL));
}

static void test_id_valid_wrong_length(void **state)
{
        (void)state;
        assert_false(cws_id_valid("inv", "inv-"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAAA"));     /* 21 */
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAAAAA"));   /* 23 */
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAAAAAA"));  /* 24 = 18 bytes */
        assert_false(cws_id_valid("inv", ""));
}

static void test_id_valid_bad_chars(void **state)
{
        (void)state;
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA+A"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA/A"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA=="));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA A"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA.A"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAA\nA"));
        /* Right length, alphabet, but non-canonical trailing bits: two
         * spellings of one id must not both be valid. */
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAAAAAB"));
}

static void test_id_valid_path_traversal(void **state)
{
        (void)state;
        assert_false(cws_id_valid("inv", "inv-../../x"));
        assert_false(cws_id_valid("inv", "inv-../../../../../../etc/pas"));
        assert_false(cws_id_valid("inv", "inv-AAAAAAAAAAAAAAAAAA/../"));
}

/* ---- names ---- */

static void test_name_valid_good(void **state)
{
        char n63[64];
        (void)state;

        assert_true(cws_name_valid("lab-access", CWS_PROFILE_MAX));
        assert_true(cws_name_valid("a", CWS_PROFILE_MAX));
        assert_true(cws_name_valid("alice@example.org", CWS_USER_MAX));
        assert_true(cws_name_valid("A_b.c-9", CWS_PROFILE_MAX));
        assert_true(cws_name_valid("x-", CWS_PROFILE_MAX));
        memset(n63, 'a', 63);
        n63[63] = '\0';
        assert_true(cws_name_valid(n63, CWS_PROFILE_MAX));
}

static void test_name_valid_empty_and_null(void **state)
{
        (void)state;
        assert_false(cws_name_valid("", CWS_PROFILE_MAX));
        assert_false(cws_name_valid(NULL, CWS_PROFILE_MAX));
}

static void test_name_valid_leading(void **state)
{
        (void)state;
        assert_false(cws_name_valid("-rf", CWS_PROFILE_MAX));
        assert_false(cws_name_valid(".hidden", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("..", CWS_PROFILE_MAX));
        assert_false(cws_name_valid(".", CWS_PROFILE_MAX));
}

static void test_name_valid_bad_chars(void **state)
{
        (void)state;
        assert_false(cws_name_valid("a/b", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a b", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a\tb", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a\nb", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a\x01", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a\x7f", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("caf\xc3\xa9", CWS_PROFILE_MAX));   /* UTF-8 e-acute */
        assert_false(cws_name_valid("\xff", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a;b", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a:b", CWS_PROFILE_MAX));
        assert_false(cws_name_valid("a%b", CWS_PROFILE_MAX));
}

static void test_name_valid_length(void **state)
{
        char n64[65];
        (void)state;

        memset(n64, 'a', 64);
        n64[64] = '\0';
        assert_false(cws_name_valid(n64, CWS_PROFILE_MAX));
        assert_false(cws_name_valid(n64, 1000));       /* 63 is the hard limit */
        /* The buffer size given is honoured too. */
        assert_false(cws_name_valid("abcd", 4));
        assert_true(cws_name_valid("abcd", 5));
}

/* ---- envelope ---- */

static void round_trip(cws_record_kind kind, const char *payload)
{
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char *env, *out = NULL;
        cws_error err = { 0 };
        keys k;

        make_keys(&k);
        env = seal(kind, payload, &k);
        assert_int_equal(cws_record_unseal(kind, env, strlen(env), signer, &out, &err), 0);
        assert_string_equal(out, payload);
        assert_memory_equal(signer, k.pub, sizeof(signer));
        free(out);
        free(env);
}

static void test_seal_round_trip_invitation(void **state)
{
        char *p = invitation_json();
        (void)state;
        round_trip(CWS_REC_INVITATION, p);
        free(p);
}

static void test_seal_round_trip_device(void **state)
{
        char *p = device_json();
        (void)state;
        round_trip(CWS_REC_DEVICE, p);
        free(p);
}

static void test_seal_round_trip_revocation(void **state)
{
        char *p = revocation_json();
        (void)state;
        round_trip(CWS_REC_REVOCATION, p);
        free(p);
}

static void test_seal_envelope_shape(void **state)
{
        char *env, *kind, *pl;
        uint8_t buf[256];
        keys k;
        json_object *o, *v;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        o = json_tokener_parse(env);
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "version", &v));
        assert_int_equal(json_object_get_int(v), 1);
        json_object_put(o);
        kind = field_of(env, "kind");
        assert_string_equal(kind, "device");
        pl = field_of(env, "payload");
        assert_string_equal(pl, "eyJhIjoxfQ");
        assert_int_equal(field_bytes(env, "key", buf, sizeof(buf)), CWS_ED25519_KEY_LEN);
        assert_memory_equal(buf, k.pub, CWS_ED25519_KEY_LEN);
        assert_int_equal(field_bytes(env, "sig", buf, sizeof(buf)), CWS_ED25519_SIG_LEN);
        free(kind);
        free(pl);
        free(env);
}

static void test_unseal_trailing_whitespace_ok(void **state)
{
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char *env, *padded, *out = NULL;
        cws_error err = { 0 };
        size_t n;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_INVITATION, "{}", &k);
        n = strlen(env);
        padded = malloc(n + 5);
        assert_non_null(padded);
        memcpy(padded, env, n);
        memcpy(padded + n, " \t\r\n", 5);
        assert_int_equal(cws_record_unseal(CWS_REC_INVITATION, padded, n + 4, signer, &out, &err), 0);
        assert_string_equal(out, "{}");
        free(out);
        free(padded);
        free(env);
}

static void test_unseal_wrong_kind(void **state)
{
        char *p = invitation_json(), *env, *relabelled;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_INVITATION, p, &k);
        assert_unseal_refused_str(CWS_REC_DEVICE, env, "malformed device record envelope");
        assert_unseal_refused_str(CWS_REC_REVOCATION, env, "revocation");
        /* Relabelling the envelope does not help: the kind is signed. */
        relabelled = json_with_string(env, "kind", "device");
        assert_unseal_refused_str(CWS_REC_DEVICE, relabelled, "signature does not verify");
        free(relabelled);
        relabelled = json_with_string(env, "kind", "Invitation");
        assert_unseal_refused_str(CWS_REC_INVITATION, relabelled, "malformed");
        free(relabelled);
        free(env);
        free(p);
}

static void test_unseal_flipped_payload(void **state)
{
        char *p = device_json(), *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, p, &k);
        bad = flip_byte(env, "payload", 0);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "signature does not verify");
        free(bad);
        bad = flip_byte(env, "payload", strlen(p) / 2);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "signature does not verify");
        free(bad);
        bad = flip_byte(env, "payload", strlen(p) - 1);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "signature does not verify");
        free(bad);
        free(env);
        free(p);
}

static void test_unseal_flipped_key(void **state)
{
        char *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_REVOCATION, "{\"x\":true}", &k);
        for (size_t at = 0; at < CWS_ED25519_KEY_LEN; at += 13) {
                bad = flip_byte(env, "key", at);
                assert_unseal_refused_str(CWS_REC_REVOCATION, bad, "revocation record");
                free(bad);
        }
        free(env);
}

static void test_unseal_flipped_sig(void **state)
{
        char *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_INVITATION, "{\"x\":true}", &k);
        bad = flip_byte(env, "sig", 0);
        assert_unseal_refused_str(CWS_REC_INVITATION, bad, "signature does not verify");
        free(bad);
        bad = flip_byte(env, "sig", CWS_ED25519_SIG_LEN - 1);
        assert_unseal_refused_str(CWS_REC_INVITATION, bad, "signature does not verify");
        free(bad);
        free(env);
}

static void test_unseal_flipped_base64_char(void **state)
{
        char *env, *sig;
        const char *fields[] = { "payload", "key", "sig" };
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":\"b\"}", &k);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                char *enc = field_of(env, fields[i]), *bad;
                enc[1] = enc[1] == 'Q' ? 'R' : 'Q';
                bad = json_with_string(env, fields[i], enc);
                assert_unseal_refused_str(CWS_REC_DEVICE, bad, "device record");
                free(bad);
                free(enc);
        }
        /* A character outside the alphabet in the signature. */
        sig = field_of(env, "sig");
        sig[5] = '+';
        {
                char *bad = json_with_string(env, "sig", sig);
                assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
                free(bad);
        }
        free(sig);
        free(env);
}

static void test_unseal_spliced_signature(void **state)
{
        uint8_t sig[CWS_ED25519_SIG_LEN], pub[CWS_ED25519_KEY_LEN], signer[CWS_ED25519_KEY_LEN];
        char *p = invitation_json(), *mine, *theirs, *bad, *both, *out = NULL;
        cws_error err = { 0 };
        keys a, b;
        (void)state;

        make_keys(&a);
        make_keys(&b);
        mine = seal(CWS_REC_INVITATION, p, &a);
        theirs = seal(CWS_REC_INVITATION, p, &b);
        /* Another key's signature of the same payload under my key. */
        assert_int_equal(field_bytes(theirs, "sig", sig, sizeof(sig)), sizeof(sig));
        bad = with_bytes(mine, "sig", sig, sizeof(sig));
        assert_unseal_refused_str(CWS_REC_INVITATION, bad, "signature does not verify");
        free(bad);
        /* My signature under another key's name. */
        assert_int_equal(field_bytes(theirs, "key", pub, sizeof(pub)), sizeof(pub));
        bad = with_bytes(mine, "key", pub, sizeof(pub));
        assert_unseal_refused_str(CWS_REC_INVITATION, bad, "signature does not verify");
        free(bad);
        /* Key and signature moved together verify, but unseal reports the
         * key that signed, which is how callers catch a foreign signer. */
        both = with_bytes(bad = with_bytes(mine, "key", pub, sizeof(pub)), "sig", sig, sizeof(sig));
        assert_int_equal(cws_record_unseal(CWS_REC_INVITATION, both, strlen(both), signer, &out, &err),
                         0);
        assert_memory_equal(signer, b.pub, sizeof(signer));
        assert_memory_not_equal(signer, a.pub, sizeof(signer));
        free(out);
        free(both);
        free(bad);
        free(theirs);
        free(mine);
        free(p);
}

static void test_unseal_truncated(void **state)
{
        char *env;
        size_t n;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        n = strlen(env);
        assert_unseal_refused(CWS_REC_DEVICE, env, n - 1, "device record is not valid JSON");
        assert_unseal_refused(CWS_REC_DEVICE, env, n / 2, "device record is not valid JSON");
        assert_unseal_refused(CWS_REC_DEVICE, env, 1, "device record is not valid JSON");
        assert_unseal_refused(CWS_REC_DEVICE, env, 0, "device record is not valid JSON");
        free(env);
}

static void test_unseal_trailing_garbage(void **state)
{
        const char *tails[] = { "x", "{}", "[]", "1", " ,", "\"s\"", "}" };
        char *env;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
                size_t n = strlen(env), t = strlen(tails[i]);
                char *bad = malloc(n + t + 1);
                assert_non_null(bad);
                memcpy(bad, env, n);
                memcpy(bad + n, tails[i], t + 1);
                assert_unseal_refused_str(CWS_REC_DEVICE, bad, "not valid JSON");
                free(bad);
        }
        free(env);
}

static void test_unseal_not_an_object(void **state)
{
        char *env, *arr;
        size_t n;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        n = strlen(env);
        arr = malloc(n + 3);
        assert_non_null(arr);
        arr[0] = '[';
        memcpy(arr + 1, env, n);
        arr[n + 1] = ']';
        arr[n + 2] = '\0';
        assert_unseal_refused_str(CWS_REC_DEVICE, arr, "not valid JSON");
        assert_unseal_refused_str(CWS_REC_DEVICE, "\"string\"", "not valid JSON");
        assert_unseal_refused_str(CWS_REC_DEVICE, "42", "not valid JSON");
        assert_unseal_refused_str(CWS_REC_DEVICE, "null", "not valid JSON");
        free(arr);
        free(env);
}

static void test_unseal_version(void **state)
{
        char *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        bad = json_with_int(env, "version", 2);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        bad = json_with_int(env, "version", 0);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        bad = json_with_string(env, "version", "1");
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        bad = json_with(env, "version", json_object_new_double(1.0));
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        free(env);
}

static void test_unseal_missing_fields(void **state)
{
        const char *fields[] = { "version", "kind", "payload", "key", "sig" };
        char *env;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_REVOCATION, "{\"a\":1}", &k);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                char *bad = json_with(env, fields[i], NULL);
                assert_null(strstr(bad, fields[i]));
                assert_unseal_refused_str(CWS_REC_REVOCATION, bad,
                                          "malformed revocation record envelope");
                free(bad);
        }
        free(env);
}

static void test_unseal_wrong_field_types(void **state)
{
        const char *fields[] = { "kind", "payload", "key", "sig" };
        char *env;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_REVOCATION, "{\"a\":1}", &k);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                char *bad = json_with_int(env, fields[i], 5);
                assert_unseal_refused_str(CWS_REC_REVOCATION, bad, "malformed revocation record");
                free(bad);
        }
        free(env);
}

static void test_unseal_short_key_and_sig(void **state)
{
        uint8_t buf[CWS_ED25519_SIG_LEN + 1];
        char *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        assert_int_equal(field_bytes(env, "key", buf, sizeof(buf)), CWS_ED25519_KEY_LEN);
        bad = with_bytes(env, "key", buf, CWS_ED25519_KEY_LEN - 1);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        assert_int_equal(field_bytes(env, "sig", buf, sizeof(buf)), CWS_ED25519_SIG_LEN);
        bad = with_bytes(env, "sig", buf, CWS_ED25519_SIG_LEN - 1);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        buf[CWS_ED25519_SIG_LEN] = 0;
        bad = with_bytes(env, "sig", buf, CWS_ED25519_SIG_LEN + 1);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record envelope");
        free(bad);
        free(env);
}

/* A payload with a NUL after the signed text: signed_message() works on C
 * strings, so without the NUL check the signature over the part before
 * the NUL would verify the whole thing. */
static void test_unseal_payload_with_nul(void **state)
{
        static const char text[] = "{\"a\":1}";
        uint8_t smuggled[sizeof(text) + 8];
        char *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, text, &k);
        memcpy(smuggled, text, sizeof(text));           /* includes the NUL */
        memcpy(smuggled + sizeof(text), "{\"b\":2}", 7);
        bad = with_bytes(env, "payload", smuggled, sizeof(text) + 7);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "malformed device record payload");
        free(bad);
        free(env);
}

static void test_unseal_envelope_with_nul(void **state)
{
        char *env, *bad;
        size_t n;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        n = strlen(env);
        bad = malloc(n + 2);
        assert_non_null(bad);
        memcpy(bad, env, n + 1);      /* the envelope, its NUL, then one more byte */
        bad[n + 1] = ' ';
        assert_unseal_refused(CWS_REC_DEVICE, bad, n + 1, "not valid JSON");
        assert_unseal_refused(CWS_REC_DEVICE, bad, n + 2, "not valid JSON");
        free(bad);
        free(env);
}

static void test_unseal_size_limit(void **state)
{
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char *env, *big, *out = NULL;
        cws_error err = { 0 };
        size_t n;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, "{\"a\":1}", &k);
        n = strlen(env);
        big = malloc(CWS_RECORD_MAX + 2);
        assert_non_null(big);
        memset(big, ' ', CWS_RECORD_MAX + 1);
        memcpy(big, env, n);
        big[CWS_RECORD_MAX + 1] = '\0';
        /* Exactly the limit (the envelope and white space) is accepted. */
        assert_int_equal(cws_record_unseal(CWS_REC_DEVICE, big, CWS_RECORD_MAX, signer, &out, &err), 0);
        assert_string_equal(out, "{\"a\":1}");
        free(out);
        out = NULL;
        /* One byte more is refused. */
        assert_unseal_refused(CWS_REC_DEVICE, big, CWS_RECORD_MAX + 1, "not valid JSON");
        free(big);
        free(env);
}

/* ---- payloads: round trips ---- */

static void assert_invitation_equal(const cws_invitation *a, const cws_invitation *b)
{
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->can_invite, b->can_invite);
        assert_int_equal(a->transferable, b->transferable);
        assert_int_equal(a->device_bound, b->device_bound);
        assert_int_equal(a->max_devices, b->max_devices);
        assert_int_equal(a->created_at, b->created_at);
        assert_int_equal(a->expires_at, b->expires_at);
        assert_string_equal(a->parent, b->parent);
        assert_memory_equal(a->pubkey, b->pubkey, sizeof(a->pubkey));
}

static void test_invitation_json_round_trip(void **state)
{
        cws_invitation in, out;
        cws_error err = { 0 };
        char *s = NULL;
        (void)state;

        sample_invitation(&in);
        assert_int_equal(cws_invitation_to_json(&in, &s), 0);
        memset(&out, 0x5a, sizeof(out));
        assert_int_equal(cws_invitation_from_json(s, &out, &err), 0);
        assert_invitation_equal(&in, &out);
        free(s);

        /* A root invitation (no parent), other booleans and type. */
        in.parent[0] = '\0';
        in.type = CWS_TYPE_ADMIN;
        in.can_invite = false;
        in.transferable = true;
        in.device_bound = false;
        in.max_devices = 5;
        in.created_at = 0;
        assert_int_equal(cws_invitation_to_json(&in, &s), 0);
        assert_int_equal(cws_invitation_from_json(s, &out, &err), 0);
        assert_invitation_equal(&in, &out);
        assert_string_equal(out.parent, "");
        free(s);

        in.type = CWS_TYPE_READ_ONLY;
        in.max_devices = 1;
        assert_int_equal(cws_invitation_to_json(&in, &s), 0);
        assert_int_equal(cws_invitation_from_json(s, &out, &err), 0);
        assert_invitation_equal(&in, &out);
        free(s);
}

static void test_device_json_round_trip(void **state)
{
        cws_device_reg in, out;
        cws_error err = { 0 };
        char *s = NULL;
        (void)state;

        sample_device(&in);
        assert_int_equal(cws_device_reg_to_json(&in, &s), 0);
        memset(&out, 0x5a, sizeof(out));
        assert_int_equal(cws_device_reg_from_json(s, &out, &err), 0);
        assert_string_equal(out.inv_id, in.inv_id);
        assert_string_equal(out.device_id, in.device_id);
        assert_int_equal(out.slot, 2);
        assert_int_equal(out.gen, 7);
        assert_string_equal(out.user, "alice@lab");
        assert_int_equal(out.uid, 1001);
        assert_memory_equal(out.fp_digest, in.fp_digest, sizeof(in.fp_digest));
        assert_memory_equal(out.binding_pub, in.binding_pub, sizeof(in.binding_pub));
        assert_int_equal(out.enrolled_at, 1700000100);
        free(s);

        /* Edges of the ranges. */
        in.slot = CWS_MAX_DEVICES;
        in.gen = 1000000;
        in.uid = 0;
        assert_int_equal(cws_device_reg_to_json(&in, &s), 0);
        assert_int_equal(cws_device_reg_from_json(s, &out, &err), 0);
        assert_int_equal(out.slot, CWS_MAX_DEVICES);
        assert_int_equal(out.gen, 1000000);
        assert_int_equal(out.uid, 0);
        free(s);
}

static void test_revocation_json_round_trip(void **state)
{
        cws_revocation in, out;
        cws_error err = { 0 };
        char *s = NULL;
        (void)state;

        sample_revocation(&in);
        assert_int_equal(cws_revocation_to_json(&in, &s), 0);
        memset(&out, 0x5a, sizeof(out));
        assert_int_equal(cws_revocation_from_json(s, &out, &err), 0);
        assert_string_equal(out.inv_id, INV_B);
        assert_string_equal(out.device_id, DEV_A);
        assert_string_equal(out.by, "admin");
        assert_string_equal(out.why, "laptop stolen");
        assert_int_equal(out.at, 1700000200);
        free(s);

        /* Invitation-level: no device. */
        in.device_id[0] = '\0';
        assert_int_equal(cws_revocation_to_json(&in, &s), 0);
        assert_int_equal(cws_revocation_from_json(s, &out, &err), 0);
        assert_string_equal(out.device_id, "");
        free(s);
}

/* ---- payloads: refusals ---- */

typedef int (*from_json_fn)(const char *json, void *out, cws_error *err);

static int inv_from(const char *json, void *out, cws_error *err)
{
        return cws_invitation_from_json(json, out, err);
}

static int dev_from(const char *json, void *out, cws_error *err)
{
        return cws_device_reg_from_json(json, out, err);
}

static int rev_from(const char *json, void *out, cws_error *err)
{
        return cws_revocation_from_json(json, out, err);
}

/* Expects -EBADMSG and a message containing part; frees json. */
static void assert_from_refused(from_json_fn fn, char *json, const char *part)
{
        union {
                cws_invitation inv;
                cws_device_reg dev;
                cws_revocation rev;
        } u;
        cws_error err = { 0 };

        if (fn(json, &u, &err) != -EBADMSG)
                fail_msg("accepted or wrong code for: %s", json);
        assert_int_equal(err.code, -EBADMSG);
        assert_contains(err.msg, part);
        free(json);
}

static void test_invitation_from_json_missing_fields(void **state)
{
        const char *fields[] = { "version", "id", "name", "type", "can_invite", "transferable",
                                 "device_bound", "max_devices", "created_at", "expires_at",
                                 "parent", "public_key" };
        char *good = invitation_json();
        (void)state;

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                assert_from_refused(inv_from, json_with(good, fields[i], NULL),
                                    "malformed invitation record");
        free(good);
}

static void test_invitation_from_json_wrong_types(void **state)
{
        char *good = invitation_json();
        (void)state;

        assert_from_refused(inv_from, json_with_string(good, "max_devices", "1"), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "created_at", "1700000000"),
                            "malformed");
        assert_from_refused(inv_from, json_with(good, "expires_at", json_object_new_double(1.7e9)),
                            "malformed");
        assert_from_refused(inv_from, json_with_int(good, "can_invite", 1), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "transferable", 0), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "device_bound", "true"), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "name", 5), "malformed");
        assert_from_refused(inv_from, json_with(good, "id", json_object_new_boolean(1)), "malformed");
        assert_from_refused(inv_from, json_with(good, "parent", json_object_new_array()),
                            "malformed");
        assert_from_refused(inv_from, json_with_int(good, "type", 2), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "version", 2), "malformed");
        free(good);
}

static void test_invitation_from_json_ranges(void **state)
{
        char *good = invitation_json();
        (void)state;

        assert_from_refused(inv_from, json_with_int(good, "max_devices", 0), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "max_devices", 6), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "max_devices", -1), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "max_devices", 4294967297LL), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "created_at", -1), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "expires_at", -1), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "expires_at", INT64_MIN), "malformed");
        assert_from_refused(inv_from, json_with_int(good, "expires_at", ((int64_t)1 << 40) + 1),
                            "malformed");
        free(good);
}

static void test_invitation_from_json_bad_values(void **state)
{
        char *good = invitation_json();
        (void)state;

        assert_from_refused(inv_from, json_with_string(good, "type", "superuser"), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "type", "none"), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "type", "ADMIN"), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "type", ""), "malformed");
        assert_from_refused(inv_from, json_with_string(good, "id", "inv-../../x"),
                            "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "id", DEV_A), "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "id", ""), "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "parent", DEV_A), "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "parent", "inv-x"),
                            "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "name", "../etc"),
                            "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "name", ""), "invalid id or name");
        assert_from_refused(inv_from, json_with_string(good, "name", "a b"), "invalid id or name");
        /* An id with an embedded NUL would read as a valid id in C. */
        assert_from_refused(inv_from,
                            json_with(good, "id", json_object_new_string_len(INV_A "\0x", 28)),
                            "malformed");
        /* Longer than the field holds. */
        assert_from_refused(inv_from, json_with_string(good, "id", INV_A INV_A), "malformed");
        /* public key of the wrong size or not base64url. */
        assert_from_refused(inv_from, json_with_string(good, "public_key", "AAAA"), "malformed");
        assert_from_refused(inv_from,
                            json_with_string(good, "public_key",
                                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"),
                            "malformed");
        free(good);
}

static void test_from_json_not_one_object(void **state)
{
        char *good = invitation_json(), *s;
        cws_invitation inv;
        cws_error err = { 0 };
        (void)state;

        assert_from_refused(inv_from, strdup("[]"), "malformed");
        assert_from_refused(inv_from, strdup(""), "malformed");
        assert_from_refused(dev_from, strdup("{\"version\":1"), "malformed");
        s = malloc(strlen(good) + 3);
        assert_non_null(s);
        sprintf(s, "%s{}", good);
        assert_from_refused(inv_from, s, "malformed");
        /* The untouched payload still parses: the refusals above are ours. */
        assert_int_equal(cws_invitation_from_json(good, &inv, &err), 0);
        free(good);
}

/* text with "key":value put in front of its first member: a second copy of
 * a key the object already has, as a writer that wanted two could send. */
static char *with_first_member(const char *json, const char *member)
{
        char *s = malloc(strlen(json) + strlen(member) + 2);

        assert_non_null(s);
        assert_true(json[0] == '{');
        sprintf(s, "{%s,%s", member, json + 1);
        return s;
}

/* The strict reader (lib/json_reader.c) on a registry record: each way a
 * record can be wrong is refused, and the reason names the field. */
static void test_device_record_strict_reasons(void **state)
{
        char *good = device_json(), *long_user;
        cws_device_reg d;
        cws_error err = { 0 };
        (void)state;

        assert_int_equal(cws_device_reg_from_json(good, &d, &err), 0);
        assert_from_refused(dev_from, json_with(good, "admin", json_object_new_boolean(1)),
                            "malformed device record: unknown field \"admin\"");
        assert_from_refused(dev_from, json_with(good, "slot", NULL),
                            "malformed device record: field \"slot\" is missing");
        assert_from_refused(dev_from, with_first_member(good, "\"slot\":3"),
                            "a key appears twice");
        /* Escaped, the same key is still the same key. */
        assert_from_refused(dev_from, with_first_member(good, "\"sl\\u006ft\":2"),
                            "a key appears twice");
        assert_from_refused(dev_from, json_with_string(good, "slot", "2"),
                            "field \"slot\" is not an integer");
        assert_from_refused(dev_from, json_with(good, "user", json_object_new_boolean(0)),
                            "field \"user\" is not a string");
        long_user = calloc(1, CWS_USER_MAX + 1);
        assert_non_null(long_user);
        memset(long_user, 'a', CWS_USER_MAX);
        assert_from_refused(dev_from, json_with_string(good, "user", long_user),
                            "field \"user\" is longer than 63 bytes");
        assert_from_refused(dev_from, json_with_int(good, "slot", 9),
                            "field \"slot\" is out of range 1..5");
        assert_from_refused(dev_from, json_with_string(good, "binding_key", "AAAA"),
                            "field \"binding_key\" is not base64url of 32 bytes");
        /* The untouched record still parses: every refusal above is ours. */
        assert_int_equal(cws_device_reg_from_json(good, &d, &err), 0);
        free(long_user);
        free(good);
}

/* Colons, quotes and braces inside strings are not members: a revocation
 * whose reason is full of them is read as it was written. */
static void test_record_strings_with_json_syntax(void **state)
{
        cws_revocation rv, back;
        cws_error err = { 0 };
        char *s = NULL;
        (void)state;

        sample_revocation(&rv);
        snprintf(rv.why, sizeof(rv.why), "a:b \"c\":{d} \\\":e");
        assert_int_equal(cws_revocation_to_json(&rv, &s), 0);
        assert_int_equal(cws_revocation_from_json(s, &back, &err), 0);
        assert_string_equal(back.why, rv.why);
        free(s);
}

/* The envelope is read as strictly as the payload. */
static void test_envelope_strict_reasons(void **state)
{
        char *p = device_json(), *env, *bad;
        keys k;
        (void)state;

        make_keys(&k);
        env = seal(CWS_REC_DEVICE, p, &k);
        bad = with_first_member(env, "\"sig\":\"AAAA\"");
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "a key appears twice");
        free(bad);
        bad = json_with(env, "note", json_object_new_string("x"));
        assert_unseal_refused_str(CWS_REC_DEVICE, bad,
                                  "malformed device record envelope: unknown field \"note\"");
        free(bad);
        bad = json_with(env, "kind", NULL);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad,
                                  "malformed device record envelope: field \"kind\" is missing");
        free(bad);
        /* Comments and single quotes are not JSON (json-c's strict mode). */
        bad = malloc(strlen(env) + 8);
        assert_non_null(bad);
        sprintf(bad, "/**/%s", env);
        assert_unseal_refused_str(CWS_REC_DEVICE, bad, "not valid JSON");
        free(bad);
        free(env);
        free(p);
}

static void test_device_from_json_missing_fields(void **state)
{
        const char *fields[] = { "version", "invitation", "device_id", "slot", "generation",
                                 "user", "uid", "enrolled_at", "fingerprint", "binding_key" };
        char *good = device_json();
        (void)state;

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                assert_from_refused(dev_from, json_with(good, fields[i], NULL),
                                    "malformed device record");
        free(good);
}

static void test_device_from_json_bad_values(void **state)
{
        char *good = device_json();
        (void)state;

        assert_from_refused(dev_from, json_with_int(good, "slot", 0), "malformed device record");
        assert_from_refused(dev_from, json_with_int(good, "slot", 6), "malformed device record");
        assert_from_refused(dev_from, json_with_string(good, "slot", "1"), "malformed device record");
        assert_from_refused(dev_from, json_with_int(good, "generation", -1), "malformed");
        assert_from_refused(dev_from, json_with_int(good, "generation", 1000001), "malformed");
        assert_from_refused(dev_from, json_with_int(good, "uid", -1), "malformed");
        assert_from_refused(dev_from, json_with_int(good, "uid", 4294967295LL), "malformed");
        assert_from_refused(dev_from, json_with_int(good, "enrolled_at", -1), "malformed");
        assert_from_refused(dev_from, json_with(good, "enrolled_at", json_object_new_boolean(1)),
                            "malformed");
        assert_from_refused(dev_from, json_with_string(good, "fingerprint", "AAAA"), "malformed");
        assert_from_refused(dev_from, json_with_string(good, "binding_key", ""), "malformed");
        assert_from_refused(dev_from, json_with_string(good, "invitation", DEV_A),
                            "invalid id or user");
        assert_from_refused(dev_from, json_with_string(good, "device_id", INV_A),
                            "invalid id or user");
        assert_from_refused(dev_from, json_with_string(good, "device_id", ""), "invalid id or user");
        assert_from_refused(dev_from, json_with_string(good, "user", "-root"), "invalid id or user");
        assert_from_refused(dev_from, json_with_string(good, "user", "a/b"), "invalid id or user");
        assert_from_refused(dev_from, json_with_int(good, "version", 2), "malformed");
        free(good);
}

static void test_revocation_from_json_missing_fields(void **state)
{
        const char *fields[] = { "version", "invitation", "device_id", "by", "why", "at" };
        char *good = revocation_json();
        (void)state;

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                assert_from_refused(rev_from, json_with(good, fields[i], NULL),
                                    "malformed revocation record");
        free(good);
}

static void test_revocation_from_json_bad_values(void **state)
{
        char why[300];
        char *good = revocation_json();
        (void)state;

        assert_from_refused(rev_from, json_with_int(good, "at", -1), "malformed revocation record");
        assert_from_refused(rev_from, json_with_string(good, "at", "now"), "malformed");
        assert_from_refused(rev_from, json_with_int(good, "why", 1), "malformed");
        assert_from_refused(rev_from, json_with(good, "by", json_object_new_boolean(0)), "malformed");
        memset(why, 'w', sizeof(why) - 1);
        why[sizeof(why) - 1] = '\0';
        assert_from_refused(rev_from, json_with_string(good, "why", why), "malformed");
        assert_from_refused(rev_from, json_with_string(good, "invitation", "inv-../../x"),
                            "revocation record has an invalid id");
        assert_from_refused(rev_from, json_with_string(good, "invitation", ""),
                            "revocation record has an invalid id");
        assert_from_refused(rev_from, json_with_string(good, "device_id", INV_A),
                            "revocation record has an invalid id");
        assert_from_refused(rev_from, json_with_int(good, "version", 2), "malformed");
        free(good);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_new),
                cmocka_unit_test(test_id_new_prefix_too_long),
                cmocka_unit_test(test_id_valid_good),
                cmocka_unit_test(test_id_valid_wrong_prefix),
                cmocka_unit_test(test_id_valid_wrong_length),
                cmocka_unit_test(test_id_valid_bad_chars),
                cmocka_unit_test(test_id_valid_path_traversal),
                cmocka_unit_test(test_name_valid_good),
                cmocka_unit_test(test_name_valid_empty_and_null),
                cmocka_unit_test(test_name_valid_leading),
                cmocka_unit_test(test_name_valid_bad_chars),
                cmocka_unit_test(test_name_valid_length),
                cmocka_unit_test(test_seal_round_trip_invitation),
                cmocka_unit_test(test_seal_round_trip_device),
                cmocka_unit_test(test_seal_round_trip_revocation),
                cmocka_unit_test(test_seal_envelope_shape),
                cmocka_unit_test(test_unseal_trailing_whitespace_ok),
                cmocka_unit_test(test_unseal_wrong_kind),
                cmocka_unit_test(test_unseal_flipped_payload),
                cmocka_unit_test(test_unseal_flipped_key),
                cmocka_unit_test(test_unseal_flipped_sig),
                cmocka_unit_test(test_unseal_flipped_base64_char),
                cmocka_unit_test(test_unseal_spliced_signature),
                cmocka_unit_test(test_unseal_truncated),
                cmocka_unit_test(test_unseal_trailing_garbage),
                cmocka_unit_test(test_unseal_not_an_object),
                cmocka_unit_test(test_unseal_version),
                cmocka_unit_test(test_unseal_missing_fields),
                cmocka_unit_test(test_unseal_wrong_field_types),
                cmocka_unit_test(test_unseal_short_key_and_sig),
                cmocka_unit_test(test_unseal_payload_with_nul),
                cmocka_unit_test(test_unseal_envelope_with_nul),
                cmocka_unit_test(test_unseal_size_limit),
                cmocka_unit_test(test_invitation_json_round_trip),
                cmocka_unit_test(test_device_json_round_trip),
                cmocka_unit_test(test_revocation_json_round_trip),
                cmocka_unit_test(test_invitation_from_json_missing_fields),
                cmocka_unit_test(test_invitation_from_json_wrong_types),
                cmocka_unit_test(test_invitation_from_json_ranges),
                cmocka_unit_test(test_invitation_from_json_bad_values),
                cmocka_unit_test(test_from_json_not_one_object),
                cmocka_unit_test(test_device_from_json_missing_fields),
                cmocka_unit_test(test_device_record_strict_reasons),
                cmocka_unit_test(test_record_strings_with_json_syntax),
                cmocka_unit_test(test_envelope_strict_reasons),
                cmocka_unit_test(test_device_from_json_bad_values),
                cmocka_unit_test(test_revocation_from_json_missing_fields),
                cmocka_unit_test(test_revocation_from_json_bad_values),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
