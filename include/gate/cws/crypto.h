/* Cryptography, through OpenSSL 3 EVP only. Return 0 or a negative errno;
 * verification and authenticated decryption failures are -EBADMSG. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CWS_ED25519_KEY_LEN 32   /* private seed and public key */
#define CWS_ED25519_SIG_LEN 64
#define CWS_AEAD_KEY_LEN 32
#define CWS_AEAD_NONCE_LEN 12
#define CWS_AEAD_TAG_LEN 16
#define CWS_AEAD_OVERHEAD (CWS_AEAD_NONCE_LEN + CWS_AEAD_TAG_LEN)
#define CWS_SHA256_LEN 32

int cws_random(void *buf, size_t n);

/* The public key of priv; priv is wiped when that fails. */
int cws_ed25519_pair(uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN]);
int cws_ed25519_keygen(uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN]);
int cws_ed25519_public(const uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN]);
int cws_ed25519_sign(const uint8_t priv[CWS_ED25519_KEY_LEN], const void *msg, size_t len,
                     uint8_t sig[CWS_ED25519_SIG_LEN]);
int cws_ed25519_verify(const uint8_t pub[CWS_ED25519_KEY_LEN], const void *msg, size_t len,
                       const uint8_t sig[CWS_ED25519_SIG_LEN]);

int cws_sha256(const void *data, size_t len, uint8_t out[CWS_SHA256_LEN]);
int cws_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[CWS_SHA256_LEN]);
int cws_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
                    const void *info, size_t infolen, void *out, size_t outlen);
/* Passphrase-based key derivation (scrypt). */
int cws_scrypt(const char *pass, size_t passlen, const void *salt, size_t saltlen,
               uint64_t n, uint32_t r, uint32_t p, void *out, size_t outlen);

/* AES-256-GCM. out of seal holds nonce || ciphertext || tag (ptlen +
 * CWS_AEAD_OVERHEAD bytes); open takes that and writes inlen -
 * CWS_AEAD_OVERHEAD bytes. */
int cws_aead_seal(const uint8_t key[CWS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *pt, size_t ptlen, uint8_t *out);
int cws_aead_open(const uint8_t key[CWS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const uint8_t *in, size_t inlen, uint8_t *out);

bool cws_ct_equal(const void *a, const void *b, size_t n);
void cws_wipe(void *p, size_t n);
