/* Cryptography against published vectors, and every way verification and
 * authenticated decryption must fail. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cws/crypto.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
        assert_int_equal(strlen(hex), 2 * n);
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
                out[i] = (uint8_t)v;
        }
}

static bool all_zero(const uint8_t *p, size_t n)
{
        uint8_t acc = 0;
        for (size_t i = 0; i < n; i++)
                acc |= p[i];
        return acc == 0;
}

/* RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte). */
#define T1_SK "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define T1_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define T1_SIG "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
#define T2_SK "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
#define T2_PK "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define T2_SIG "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"

static void test_ed25519_rfc8032_vector1(void **state)
{
        uint8_t sk[32], pk[32], want_pk[32], sig[64], want_sig[64];
        (void)state;

        unhex(T1_SK, sk, 32);
        unhex(T1_PK, want_pk, 32);
        unhex(T1_SIG, want_sig, 64);
        assert_int_equal(cws_ed25519_public(sk, pk), 0);
        assert_memory_equal(pk, want_pk, 32);
        assert_int_equal(cws_ed25519_sign(sk, "", 0, sig), 0);
        assert_memory_equal(sig, want_sig, 64);
        assert_int_equal(cws_ed25519_verify(pk, "", 0, sig), 0);
}

static void test_ed25519_rfc8032_vector2(void **state)
{
        uint8_t sk[32], pk[32], want_pk[32], sig[64], want_sig[64], msg = 0x72;
        (void)state;

        unhex(T2_SK, sk, 32);
        unhex(T2_PK, want_pk, 32);
        unhex(T2_SIG, want_sig, 64);
        assert_int_equal(cws_ed25519_public(sk, pk), 0);
        assert_memory_equal(pk, want_pk, 32);
        assert_int_equal(cws_ed25519_sign(sk, &msg, 1, sig), 0);
        assert_memory_equal(sig, want_sig, 64);
        assert_int_equal(cws_ed25519_verify(pk, &msg, 1, sig), 0);
}

static void test_ed25519_verify_refuses_any_flipped_bit(void **state)
{
        uint8_t sk[32], pk[32], sig[64], msg[] = "grant read_only on host-a";
        size_t mlen = sizeof(msg) - 1;
        (void)state;

        assert_int_equal(cws_ed25519_keygen(sk, pk), 0);
        assert_int_equal(cws_ed25519_sign(sk, msg, mlen, sig), 0);
        assert_int_equal(cws_ed25519_verify(pk, msg, mlen, sig), 0);
        for (size_t bit = 0; bit < mlen * 8; bit++) {
                msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(cws_ed25519_verify(pk, msg, mlen, sig), -EBADMSG);
                msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 64 * 8; bit++) {
                sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(cws_ed25519_verify(pk, msg, mlen, sig), -EBADMSG);
                sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 32 * 8; bit++) {
                pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(cws_ed25519_verify(pk, msg, mlen, sig), -EBADMSG);
                pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* shorter and longer messages */
        assert_int_equal(cws_ed25519_verify(pk, msg, mlen - 1, sig), -EBADMSG);
        assert_int_equal(cws_ed25519_verify(pk, msg, mlen + 1, sig), -EBADMSG);
        assert_int_equal(cws_ed25519_verify(pk, msg, mlen, sig), 0);
}

static void test_ed25519_keygen(void **state)
{
        uint8_t sk1[32], pk1[32], sk2[32], pk2[32], pk[32];
        (void)state;

        assert_int_equal(cws_ed25519_keygen(sk1, pk1), 0);
        assert_int_equal(cws_ed25519_keygen(sk2, pk2), 0);
        assert_memory_not_equal(sk1, sk2, 32);
        assert_memory_not_equal(pk1, pk2, 32);
        assert_int_equal(cws_ed25519_public(sk1, pk), 0);
        assert_memory_equal(pk, pk1, 32);
}

static void test_sha256_abc(void **state)
{
        uint8_t out[32], want[32];
        (void)state;

        unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
        assert_int_equal(cws_sha256("abc", 3, out), 0);
        assert_memory_equal(out, want, 32);
        unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
        assert_int_equal(cws_sha256("", 0, out), 0);
        assert_memory_equal(out, want, 32);
}

static void test_hmac_rfc4231_case2(void **state)
{
        const char data[] = "what do ya want for nothing?";
        uint8_t out[32], want[32];
        (void)state;

        unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
        assert_int_equal(cws_hmac_sha256("Jefe", 4, data, strlen(data), out), 0);
        assert_memory_equal(out, want, 32);
        assert_int_equal(cws_hmac_sha256("Jeff", 4, data, strlen(data), out), 0);
        assert_memory_not_equal(out, want, 32);
}

static void test_hkdf_rfc5869_case1(void **state)
{
        uint8_t ikm[22], salt[13], info[10], okm[42], want[42];
        (void)state;

        memset(ikm, 0x0b, sizeof(ikm));
        unhex("000102030405060708090a0b0c", salt, sizeof(salt));
        unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
        unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
              want, sizeof(want));
        assert_int_equal(cws_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info),
                                         okm, sizeof(okm)),
                         0);
        assert_memory_equal(okm, want, sizeof(want));
}

static void test_hkdf_rfc5869_case3_empty_salt_info(void **state)
{
        uint8_t ikm[22], okm[42], want[42];
        (void)state;

        memset(ikm, 0x0b, sizeof(ikm));
        unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
              want, sizeof(want));
        assert_int_equal(cws_hkdf_sha256(ikm, sizeof(ikm), "", 0, "", 0, okm, sizeof(okm)), 0);
        assert_memory_equal(okm, want, sizeof(want));
        memset(okm, 0, sizeof(okm));
        assert_int_equal(cws_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0, okm, sizeof(okm)), 0);
        assert_memory_equal(okm, want, sizeof(want));
}

static void test_hkdf_bad_params(void **state)
{
        uint8_t okm[32];
        (void)state;
        assert_int_equal(cws_hkdf_sha256("", 0, "s", 1, "i", 1, okm, sizeof(okm)), -EINVAL);
        assert_int_equal(cws_hkdf_sha256("k", 1, "s", 1, "i", 1, okm, 0), -EINVAL);
}

static void test_scrypt_rfc7914_vector1(void **state)
{
        uint8_t out[64], want[64];
        (void)state;

        unhex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
              "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
              want, 64);
        assert_int_equal(cws_scrypt("", 0, "", 0, 16, 1, 1, out, sizeof(out)), 0);
        assert_memory_equal(out, want, 64);
}

static void test_scrypt_rfc7914_vector2(void **state)
{
        uint8_t out[64], want[64];
        (void)state;

        unhex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
              "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
              want, 64);
        assert_int_equal(cws_scrypt("password", 8, "NaCl", 4, 1024, 8, 16, out, sizeof(out)), 0);
        assert_memory_equal(out, want, 64);
}

static void test_scrypt_bad_params(void **state)
{
        uint8_t out[32];
        (void)state;

        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 0, 1, 1, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 1, 1, 1, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 3, 1, 1, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 24, 1, 1, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 16, 0, 1, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 16, 1, 0, out, 32), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 16, 1, 1, out, 0), -EINVAL);
        assert_int_equal(cws_scrypt("pw", 2, "salt", 4, 16, 1, 1, out, 32), 0);
}

static void seal_sample(uint8_t key[32], uint8_t *sealed, const char *pt, const char *aad)
{
        assert_int_equal(cws_random(key, 32), 0);
        assert_int_equal(cws_aead_seal(key, aad, strlen(aad), pt, strlen(pt), sealed), 0);
}

static void test_aead_round_trip(void **state)
{
        const char pt[] = "the binding private key", aad[] = "host-id-1";
        uint8_t key[32], sealed[sizeof(pt) - 1 + CWS_AEAD_OVERHEAD], out[sizeof(pt)] = { 0 };
        uint8_t sealed2[sizeof(sealed)];
        (void)state;

        seal_sample(key, sealed, pt, aad);
        /* ciphertext is not the plaintext */
        assert_null(memmem(sealed, sizeof(sealed), pt, 8));
        assert_int_equal(cws_aead_open(key, aad, strlen(aad), sealed, sizeof(sealed), out), 0);
        assert_memory_equal(out, pt, strlen(pt));
        /* fresh nonce every time */
        assert_int_equal(cws_aead_seal(key, aad, strlen(aad), pt, strlen(pt), sealed2), 0);
        assert_memory_not_equal(sealed, sealed2, CWS_AEAD_NONCE_LEN);
        /* no AAD and empty plaintext work too */
        uint8_t empty[CWS_AEAD_OVERHEAD];
        assert_int_equal(cws_aead_seal(key, NULL, 0, "", 0, empty), 0);
        assert_int_equal(cws_aead_open(key, NULL, 0, empty, sizeof(empty), out), 0);
        assert_int_equal(cws_aead_open(key, "x", 1, empty, sizeof(empty), out), -EBADMSG);
}

/* A failed open must return -EBADMSG and leave no plaintext behind: GCM
 * decrypts before it checks the tag, so without the wipe `out` would hold
 * the real plaintext. */
static void expect_open_fails(const uint8_t key[32], const char *aad, size_t aadlen,
                              const uint8_t *in, size_t inlen, size_t ptlen)
{
        uint8_t out[128];
        memset(out, 0xa5, sizeof(out));
        assert_int_equal(cws_aead_open(key, aad, aadlen, in, inlen, out), -EBADMSG);
        assert_true(all_zero(out, ptlen));
}

static void test_aead_open_refuses_flipped_bits(void **state)
{
        const char pt[] = "the binding private key", aad[] = "host-id-1";
        const size_t ptlen = sizeof(pt) - 1, total = ptlen + CWS_AEAD_OVERHEAD;
        uint8_t key[32], sealed[sizeof(pt) - 1 + CWS_AEAD_OVERHEAD];
        char aad2[sizeof(aad)];
        (void)state;

        seal_sample(key, sealed, pt, aad);
        /* every bit of nonce, ciphertext and tag */
        for (size_t bit = 0; bit < total * 8; bit++) {
                sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                expect_open_fails(key, aad, strlen(aad), sealed, total, ptlen);
                sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* every bit of the associated data */
        memcpy(aad2, aad, sizeof(aad));
        for (size_t bit = 0; bit < strlen(aad) * 8; bit++) {
                aad2[bit / 8] = (char)(aad2[bit / 8] ^ (1 << (bit % 8)));
                expect_open_fails(key, aad2, strlen(aad), sealed, total, ptlen);
                aad2[bit / 8] = (char)(aad2[bit / 8] ^ (1 << (bit % 8)));
        }
        expect_open_fails(key, aad, strlen(aad) - 1, sealed, total, ptlen);
        expect_open_fails(key, NULL, 0, sealed, total, ptlen);
        /* the wrong key */
        key[31] ^= 1;
        expect_open_fails(key, aad, strlen(aad), sealed, total, ptlen);
        key[31] ^= 1;
        /* a truncated or extended message */
        expect_open_fails(key, aad, strlen(aad), sealed, total - 1, ptlen - 1);
        uint8_t longer[sizeof(sealed) + 1];
        memcpy(longer, sealed, sizeof(sealed));
        longer[sizeof(sealed)] = 0;
        expect_open_fails(key, aad, strlen(aad), longer, sizeof(longer), ptlen + 1);
        /* and the untouched message still opens */
        uint8_t out[sizeof(pt)];
        assert_int_equal(cws_aead_open(key, aad, strlen(aad), sealed, total, out), 0);
        assert_memory_equal(out, pt, ptlen);
}

static void test_aead_open_short_input(void **state)
{
        uint8_t key[32] = { 1 }, in[CWS_AEAD_OVERHEAD] = { 0 }, out[8];
        (void)state;

        for (size_t n = 0; n < CWS_AEAD_OVERHEAD; n++)
                assert_int_equal(cws_aead_open(key, NULL, 0, in, n, out), -EBADMSG);
        /* exactly the overhead is a (forged) empty message */
        assert_int_equal(cws_aead_open(key, NULL, 0, in, sizeof(in), out), -EBADMSG);
}

static void test_ct_equal(void **state)
{
        uint8_t a[32], b[32];
        (void)state;

        memset(a, 0x42, sizeof(a));
        memcpy(b, a, sizeof(a));
        assert_true(cws_ct_equal(a, b, sizeof(a)));
        b[0] ^= 1;
        assert_false(cws_ct_equal(a, b, sizeof(a)));
        b[0] ^= 1;
        b[31] ^= 0x80;
        assert_false(cws_ct_equal(a, b, sizeof(a)));
        assert_true(cws_ct_equal(a, b, 31));
        assert_true(cws_ct_equal(a, b, 0));
}

static void test_random_does_not_repeat(void **state)
{
        uint8_t seen[64][32];
        (void)state;

        for (size_t i = 0; i < 64; i++) {
                assert_int_equal(cws_random(seen[i], 32), 0);
                assert_false(all_zero(seen[i], 32));
                for (size_t j = 0; j < i; j++)
                        assert_memory_not_equal(seen[i], seen[j], 32);
        }
        assert_int_equal(cws_random(seen[0], 0), 0);
}

static void test_wipe(void **state)
{
        uint8_t buf[16];
        (void)state;

        memset(buf, 0xff, sizeof(buf));
        cws_wipe(buf, 8);
        assert_true(all_zero(buf, 8));
        assert_int_equal(buf[8], 0xff);
        cws_wipe(NULL, 8);   /* must not crash */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ed25519_rfc8032_vector1),
                cmocka_unit_test(test_ed25519_rfc8032_vector2),
                cmocka_unit_test(test_ed25519_verify_refuses_any_flipped_bit),
                cmocka_unit_test(test_ed25519_keygen),
                cmocka_unit_test(test_sha256_abc),
                cmocka_unit_test(test_hmac_rfc4231_case2),
                cmocka_unit_test(test_hkdf_rfc5869_case1),
                cmocka_unit_test(test_hkdf_rfc5869_case3_empty_salt_info),
                cmocka_unit_test(test_hkdf_bad_params),
                cmocka_unit_test(test_scrypt_rfc7914_vector1),
                cmocka_unit_test(test_scrypt_rfc7914_vector2),
                cmocka_unit_test(test_scrypt_bad_params),
                cmocka_unit_test(test_aead_round_trip),
                cmocka_unit_test(test_aead_open_refuses_flipped_bits),
                cmocka_unit_test(test_aead_open_short_input),
                cmocka_unit_test(test_ct_equal),
                cmocka_unit_test(test_random_does_not_repeat),
                cmocka_unit_test(test_wipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
