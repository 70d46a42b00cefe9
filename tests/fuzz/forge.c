/* See forge.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/cache.h"
#include "cws/crypto.h"
#include "cws/safe_file.h"
#include "forge.h"
#include "harness.h"

#define BINDING_MAGIC "cws-binding-v1"
#define HOST_HEX (2 * CWS_SHA256_LEN)
#define HEADER_LEN (sizeof(BINDING_MAGIC) + HOST_HEX + 1)

const char *forge_host_id(void)
{
        static char id[HOST_HEX + 1];
        cws_error err = { 0 };

        if (!id[0] && cws_host_id(id, &err) < 0)
                fuzz_fail("no host id (is /etc/machine-id there?)");
        return id;
}

void forge_sample_binding(cws_binding *b)
{
        memset(b, 0, sizeof(*b));
        snprintf(b->profile, sizeof(b->profile), "work-laptop");
        snprintf(b->inv_id, sizeof(b->inv_id), "inv-AAAAAAAAAAAAAAAAAAAAAA");
        snprintf(b->device_id, sizeof(b->device_id), "dev-BBBBBBBBBBBBBBBBBBBBBA");
        memset(b->secret, 0x5a, sizeof(b->secret));
        memset(b->binding_priv, 0x3c, sizeof(b->binding_priv));
        b->slot = 1;
        b->gen = 2;
        b->uid = FUZZ_UID;
        snprintf(b->username, sizeof(b->username), "%s", FUZZ_USER);
        b->enrolled_at = 1700000000;
        snprintf(b->fp.hostname, sizeof(b->fp.hostname), "host.example");
        snprintf(b->fp.machine_id, sizeof(b->fp.machine_id), "0123456789abcdef0123456789abcdef");
        snprintf(b->fp.os, sizeof(b->fp.os), "Debian GNU/Linux 12");
        snprintf(b->fp.arch, sizeof(b->fp.arch), "x86_64");
        snprintf(b->fp.macs[0], sizeof(b->fp.macs[0]), "52:54:00:12:34:56");
        b->fp.n_macs = 1;
        b->fp.uid = FUZZ_UID;
        snprintf(b->fp.username, sizeof(b->fp.username), "%s", FUZZ_USER);
}

int forge_binding_equal(const cws_binding *a, const cws_binding *b)
{
        const cws_fingerprint *f = &a->fp, *g = &b->fp;

        if (strcmp(a->profile, b->profile) || strcmp(a->inv_id, b->inv_id) ||
            memcmp(a->secret, b->secret, sizeof(a->secret)) ||
            strcmp(a->device_id, b->device_id) || a->slot != b->slot || a->gen != b->gen ||
            a->uid != b->uid || strcmp(a->username, b->username) ||
            memcmp(a->binding_priv, b->binding_priv, sizeof(a->binding_priv)) ||
            a->enrolled_at != b->enrolled_at)
                return 0;
        if (strcmp(f->hostname, g->hostname) || strcmp(f->machine_id, g->machine_id) ||
            strcmp(f->system_uuid, g->system_uuid) || strcmp(f->os, g->os) ||
            strcmp(f->arch, g->arch) || f->n_macs != g->n_macs || f->uid != g->uid ||
            strcmp(f->username, g->username))
                return 0;
        for (unsigned i = 0; i < f->n_macs && i < CWS_FP_MAX_MACS; i++)
                if (strcmp(f->macs[i], g->macs[i]))
                        return 0;
        return 1;
}

static void binding_key(uint8_t key[CWS_AEAD_KEY_LEN])
{
        static const char salt[] = BINDING_MAGIC, info[] = "seal";

        if (cws_hkdf_sha256(fuzz_host_key, CWS_HOST_KEY_LEN, salt, sizeof(salt) - 1, info,
                            sizeof(info) - 1, key, CWS_AEAD_KEY_LEN) < 0)
                fuzz_fail("hkdf");
}

/* header "cws-binding-v1 <host id>\n", then NUL, decimal uid, NUL, user. */
static size_t binding_aad(uid_t uid, const char *user, uint8_t *aad, size_t aadsz)
{
        int n = snprintf((char *)aad, aadsz, BINDING_MAGIC " %s\n", forge_host_id());
        size_t off = (size_t)n + 1, ulen = strlen(user);

        n = snprintf((char *)aad + off, aadsz - off, "%u", (unsigned)uid);
        off += (size_t)n + 1;
        if (off + ulen > aadsz)
                fuzz_fail("aad too long");
        memcpy(aad + off, user, ulen);
        return off + ulen;
}

char *forge_binding(const void *pt, size_t ptlen, uid_t uid, const char *user, size_t *len)
{
        uint8_t key[CWS_AEAD_KEY_LEN], aad[256];
        size_t aadlen = binding_aad(uid, user, aad, sizeof(aad));
        size_t sealedlen = ptlen + CWS_AEAD_OVERHEAD, b64 = cws_b64url_encoded_len(sealedlen);
        uint8_t *sealed = malloc(sealedlen);
        char *text = malloc(HEADER_LEN + b64 + 2);

        if (!sealed || !text)
                fuzz_fail("out of memory");
        binding_key(key);
        if (cws_aead_seal(key, aad, aadlen, pt, ptlen, sealed) < 0)
                fuzz_fail("aead seal");
        memcpy(text, aad, HEADER_LEN);
        if (cws_b64url_encode(sealed, sealedlen, text + HEADER_LEN, b64 + 1) < 0)
                fuzz_fail("base64");
        text[HEADER_LEN + b64] = '\n';
        text[HEADER_LEN + b64 + 1] = '\0';
        *len = HEADER_LEN + b64 + 1;
        free(sealed);
        return text;
}

uint8_t *forge_binding_plaintext(const char *text, size_t len, uid_t uid, const char *user,
                                 size_t *ptlen)
{
        uint8_t key[CWS_AEAD_KEY_LEN], aad[256], *sealed, *pt = NULL;
        size_t sealedlen = 0, aadlen = binding_aad(uid, user, aad, sizeof(aad));
        char *body;

        if (len < HEADER_LEN + 2 || memcmp(text, aad, HEADER_LEN) != 0)
                return NULL;
        body = fuzz_strndup(text + HEADER_LEN, len - HEADER_LEN - 1);
        sealed = malloc(len);
        if (!sealed)
                fuzz_fail("out of memory");
        binding_key(key);
        if (cws_b64url_decode(body, sealed, len, &sealedlen) == 0 &&
            sealedlen > CWS_AEAD_OVERHEAD && (pt = malloc(sealedlen)) &&
            cws_aead_open(key, aad, aadlen, sealed, sealedlen, pt) < 0) {
                free(pt);
                pt = NULL;
        }
        *ptlen = pt ? sealedlen - CWS_AEAD_OVERHEAD : 0;
        free(sealed);
        free(body);
        return pt;
}

void forge_check_binding(void)
{
        cws_binding b, back;
        cws_reason why;
        cws_error err = { 0 };
        char *text = NULL, *forged;
        uint8_t *pt;
        size_t len = 0, ptlen = 0, flen = 0;

        forge_sample_binding(&b);
        if (cws_binding_seal(fuzz_host_key, &b, &text, &len, &err) < 0)
                fuzz_fail(err.msg);
        /* Open the library's seal with our key and AAD ... */
        pt = forge_binding_plaintext(text, len, b.uid, b.username, &ptlen);
        if (!pt)
                fuzz_fail("forge: key or AAD no longer match lib/binding.c");
        /* ... and have the library open ours. */
        forged = forge_binding(pt, ptlen, b.uid, b.username, &flen);
        if (cws_binding_open(fuzz_host_key, b.uid, b.username, forged, flen, &back, &why,
                             &err) < 0 || !forge_binding_equal(&b, &back))
                fuzz_fail("forge: lib/binding.c does not open a forged binding");
        free(forged);
        free(pt);
        free(text);
}

static void cache_mac_hex(const void *body, size_t len, char out[2 * CWS_SHA256_LEN + 1])
{
        static const char info[] = "cws-cache-v1";
        uint8_t key[CWS_SHA256_LEN], mac[CWS_SHA256_LEN];

        if (cws_hkdf_sha256(fuzz_host_key, CWS_HOST_KEY_LEN, NULL, 0, info, sizeof(info) - 1, key,
                            sizeof(key)) < 0 ||
            cws_hmac_sha256(key, sizeof(key), body, len, mac) < 0)
                fuzz_fail("hmac");
        for (size_t i = 0; i < sizeof(mac); i++)
                snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

char *forge_cache(const void *body, size_t bodylen, size_t *len)
{
        char mac[2 * CWS_SHA256_LEN + 1];
        char *out = malloc(bodylen + sizeof(mac) + 8);

        if (!out)
                fuzz_fail("out of memory");
        cache_mac_hex(body, bodylen, mac);
        if (bodylen)
                memcpy(out, body, bodylen);
        *len = bodylen + (size_t)sprintf(out + bodylen, "mac=%s\n", mac);
        return out;
}

void forge_check_cache(void)
{
        char dir[4096], path[4200], *data = NULL, *forged;
        cws_cache_entry e, back;
        cws_error err = { 0 };
        size_t len = 0, flen = 0;

        fuzz_path(dir, sizeof(dir), "forge-check");
        cws_cache_init(&e, FUZZ_UID, FUZZ_USER);
        cws_cache_note_allow(&e, "work-laptop", "inv-AAAAAAAAAAAAAAAAAAAAAA",
                             "dev-BBBBBBBBBBBBBBBBBBBBBA", CWS_TYPE_READ_WRITE,
                             INT64_C(1700000000123456));
        if (cws_cache_store(dir, fuzz_host_key, &e, &err) < 0)
                fuzz_fail(err.msg);
        snprintf(path, sizeof(path), "%s/cache/%u", dir, (unsigned)FUZZ_UID);
        if (cws_file_read_checked(path, 1 << 20, CWS_FILE_SECRET, &data, &len, &err) < 0 ||
            len < 2 * CWS_SHA256_LEN + 5)
                fuzz_fail(err.msg);
        /* Our MAC over the library's body must be the library's MAC line. */
        forged = forge_cache(data, len - (2 * CWS_SHA256_LEN + 5), &flen);
        if (flen != len || memcmp(forged, data, len) != 0)
                fuzz_fail("forge: the cache MAC no longer matches lib/gate/cache.c");
        if (cws_cache_load(dir, fuzz_host_key, FUZZ_UID, FUZZ_USER, &back, &err) < 0 ||
            back.validated_us != e.validated_us || back.type != e.type ||
            strcmp(back.device_id, e.device_id) != 0)
                fuzz_fail("forge: lib/gate/cache.c does not load what it stored");
        free(forged);
        free(data);
}
