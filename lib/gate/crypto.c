/* Every primitive goes through OpenSSL 3 EVP; nothing hand-rolled. */
#include <errno.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "cws/cleanup.h"
#include "cws/crypto.h"

CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_KDF *, EVP_KDF_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_KDF_CTX *, EVP_KDF_CTX_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MAC *, EVP_MAC_free);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MAC_CTX *, EVP_MAC_CTX_free);

bool cws_ct_equal(const void *a, const void *b, size_t n)
{
        return CRYPTO_memcmp(a, b, n) == 0;
}

int cws_random(void *buf, size_t n)
{
        if (n > INT_MAX)
                return -EINVAL;
        return RAND_bytes(buf, (int)n) == 1 ? 0 : -EIO;
}

int cws_ed25519_public(const uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN])
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k =
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, CWS_ED25519_KEY_LEN);
        size_t len = CWS_ED25519_KEY_LEN;

        if (!k)
                return -EIO;
        if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 || len != CWS_ED25519_KEY_LEN)
                return -EIO;
        return 0;
}

int cws_ed25519_pair(uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN])
{
        int r = cws_ed25519_public(priv, pub);
        if (r < 0)
                cws_wipe(priv, CWS_ED25519_KEY_LEN);
        return r;
}

int cws_ed25519_keygen(uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN])
{
        int r = cws_random(priv, CWS_ED25519_KEY_LEN);
        return r < 0 ? r : cws_ed25519_pair(priv, pub);
}

int cws_ed25519_sign(const uint8_t priv[CWS_ED25519_KEY_LEN], const void *msg, size_t len,
                     uint8_t sig[CWS_ED25519_SIG_LEN])
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k =
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, CWS_ED25519_KEY_LEN);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t siglen = CWS_ED25519_SIG_LEN;

        if (!k || !ctx)
                return -ENOMEM;
        if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
            EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != CWS_ED25519_SIG_LEN)
                return -EIO;
        return 0;
}

int cws_ed25519_verify(const uint8_t pub[CWS_ED25519_KEY_LEN], const void *msg, size_t len,
                       const uint8_t sig[CWS_ED25519_SIG_LEN])
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k =
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CWS_ED25519_KEY_LEN);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!k)
                return -EBADMSG;   /* not a valid point */
        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) != 1)
                return -EIO;
        return EVP_DigestVerify(ctx, sig, CWS_ED25519_SIG_LEN, msg, len) == 1 ? 0 : -EBADMSG;
}

int cws_sha256(const void *data, size_t len, uint8_t out[CWS_SHA256_LEN])
{
        unsigned int n = 0;
        if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != CWS_SHA256_LEN)
                return -EIO;
        return 0;
}

int cws_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[CWS_SHA256_LEN])
{
        _cleanup_(EVP_MAC_freep) EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        _cleanup_(EVP_MAC_CTX_freep) EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                OSSL_PARAM_construct_end(),
        };
        size_t n = 0;

        if (!ctx)
                return -ENOMEM;
        if (EVP_MAC_init(ctx, key, keylen, params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
            EVP_MAC_final(ctx, out, &n, CWS_SHA256_LEN) != 1 || n != CWS_SHA256_LEN)
                return -EIO;
        return 0;
}

static int kdf_derive(const char *name, OSSL_PARAM *params, void *out, size_t outlen)
{
        _cleanup_(EVP_KDF_freep) EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
        _cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;

        if (!ctx)
                return -ENOMEM;
        return EVP_KDF_derive(ctx, out, outlen, params) == 1 ? 0 : -EIO;
}

int cws_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
                    const void *info, size_t infolen, void *out, size_t outlen)
{
        /* RFC 5869 makes the salt optional, but OpenSSL refuses a NULL one. */
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                  (void *)(salt ? salt : ""), saltlen),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen),
                OSSL_PARAM_construct_end(),
        };
        if (ikmlen == 0 || outlen == 0)
                return -EINVAL;
        return kdf_derive("HKDF", params, out, outlen);
}

int cws_scrypt(const char *pass, size_t passlen, const void *salt, size_t saltlen, uint64_t n,
               uint32_t r, uint32_t p, void *out, size_t outlen)
{
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, passlen),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
                OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
                OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
                OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
                OSSL_PARAM_construct_end(),
        };
        if (n < 2 || (n & (n - 1)) || r == 0 || p == 0 || outlen == 0)
                return -EINVAL;
        return kdf_derive("SCRYPT", params, out, outlen);
}

int cws_aead_seal(const uint8_t key[CWS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *pt, size_t ptlen, uint8_t *out)
{
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        uint8_t *nonce = out, *ct = out + CWS_AEAD_NONCE_LEN, *tag = ct + ptlen;
        int n = 0;

        if (!ctx)
                return -ENOMEM;
        if (ptlen > INT_MAX || aadlen > INT_MAX)
                return -EFBIG;
        if (cws_random(nonce, CWS_AEAD_NONCE_LEN) < 0)
                return -EIO;
        if (EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1 ||
            (aadlen && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
            EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1 ||
            EVP_EncryptFinal_ex(ctx, ct + n, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CWS_AEAD_TAG_LEN, tag) != 1)
                return -EIO;
        return 0;
}

int cws_aead_open(const uint8_t key[CWS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const uint8_t *in, size_t inlen, uint8_t *out)
{
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        const uint8_t *nonce = in, *ct = in + CWS_AEAD_NONCE_LEN;
        size_t ctlen;
        uint8_t tag[CWS_AEAD_TAG_LEN];
        int n = 0;

        if (!ctx)
                return -ENOMEM;
        if (inlen < CWS_AEAD_OVERHEAD)
                return -EBADMSG;
        ctlen = inlen - CWS_AEAD_OVERHEAD;
        if (ctlen > INT_MAX || aadlen > INT_MAX)
                return -EFBIG;
        memcpy(tag, ct + ctlen, sizeof(tag));
        if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1 ||
            (aadlen && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
            EVP_DecryptUpdate(ctx, out, &n, ct, (int)ctlen) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CWS_AEAD_TAG_LEN, tag) != 1)
                return -EIO;
        if (EVP_DecryptFinal_ex(ctx, out + n, &n) != 1) {
                cws_wipe(out, ctlen);   /* never hand out unauthenticated plaintext */
                return -EBADMSG;
        }
        return 0;
}
