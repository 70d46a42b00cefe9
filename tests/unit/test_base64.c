/* base64url without padding: RFC 4648 §10 vectors in the url alphabet, and
 * every way the strict decoder must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cws/base64.h"

static const struct {
        const char *raw, *enc;
} rfc4648[] = {
        { "", "" },         { "f", "Zg" },          { "fo", "Zm8" },         { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void test_rfc4648_vectors(void **state)
{
        char enc[32];
        uint8_t dec[32];
        size_t n;
        (void)state;

        for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
                size_t len = strlen(rfc4648[i].raw);
                assert_int_equal(cws_b64url_encoded_len(len), strlen(rfc4648[i].enc));
                assert_int_equal(cws_b64url_encode(rfc4648[i].raw, len, enc, sizeof(enc)), 0);
                assert_string_equal(enc, rfc4648[i].enc);
                n = 999;
                assert_int_equal(cws_b64url_decode(rfc4648[i].enc, dec, sizeof(dec), &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(dec, rfc4648[i].raw, len);
        }
}

static void test_url_alphabet(void **state)
{
        /* Standard base64 would give "+/+/": the url alphabet uses '-' and '_'. */
        const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
        char enc[8];
        uint8_t dec[3];
        size_t n = 0;
        (void)state;

        assert_int_equal(cws_b64url_encode(raw, sizeof(raw), enc, sizeof(enc)), 0);
        assert_string_equal(enc, "-_-_");
        assert_int_equal(cws_b64url_decode("-_-_", dec, sizeof(dec), &n), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(dec, raw, 3);
        assert_int_equal(cws_b64url_decode("+/+/", dec, sizeof(dec), &n), -EINVAL);
}

static void test_round_trip_0_to_64(void **state)
{
        uint8_t raw[64], dec[64];
        char enc[128];
        (void)state;

        for (size_t len = 0; len <= 64; len++) {
                for (size_t i = 0; i < len; i++)
                        raw[i] = (uint8_t)(i * 37 + len * 101 + 0x5a);
                size_t elen = cws_b64url_encoded_len(len), n = 999;
                assert_int_equal(elen, (len * 4 + 2) / 3);
                assert_int_equal(cws_b64url_encode(raw, len, enc, elen + 1), 0);
                assert_int_equal(strlen(enc), elen);
                assert_null(strchr(enc, '='));
                memset(dec, 0xee, sizeof(dec));
                assert_int_equal(cws_b64url_decode(enc, dec, len, &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(dec, raw, len);
        }
        /* every byte value survives */
        for (size_t i = 0; i < 64; i++)
                raw[i] = (uint8_t)(0xff - i);
        assert_int_equal(cws_b64url_encode(raw, 64, enc, sizeof(enc)), 0);
        assert_int_equal(cws_b64url_decode(enc, dec, sizeof(dec), NULL), 0);
        assert_memory_equal(dec, raw, 64);
}

static void expect_einval(const char *in)
{
        uint8_t dec[64];
        size_t n = 12345;
        assert_int_equal(cws_b64url_decode(in, dec, sizeof(dec), &n), -EINVAL);
        assert_int_equal(n, 12345);   /* length untouched on failure */
}

static void test_decode_refuses_bad_characters(void **state)
{
        (void)state;
        expect_einval("Zm9+");
        expect_einval("Zm9/");
        expect_einval("Zm.v");
        expect_einval("Zm9v YmFy");
        expect_einval(" Zm9v");
        expect_einval("Zm9v\n");
        expect_einval("Zm9v\r");
        expect_einval("\xc3\xa9" "AA");
        expect_einval("Zm9\x80");
}

static void test_decode_refuses_padding(void **state)
{
        (void)state;
        expect_einval("Zg==");
        expect_einval("Zm8=");
        expect_einval("Zg=");
        expect_einval("====");
}

static void test_decode_refuses_length_mod4_1(void **state)
{
        (void)state;
        expect_einval("Z");
        expect_einval("Zm9vY");
        expect_einval("Zm9vYmFyZ");
}

static void test_decode_non_canonical_trailing_bits(void **state)
{
        uint8_t dec[4];
        size_t n = 0;
        (void)state;

        /* "AA" is the one encoding of {0x00}; "AB" sets bits past the byte. */
        assert_int_equal(cws_b64url_decode("AA", dec, sizeof(dec), &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(dec[0], 0);
        expect_einval("AB");
        expect_einval("AP");
        assert_int_equal(cws_b64url_decode("AQ", dec, sizeof(dec), &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(dec[0], 1);
        /* "f" is Zg; Zh..Zv carry stray low bits */
        expect_einval("Zh");
        expect_einval("Zv");
        /* "fo" is Zm8; Zm9 leaves bits set in the last character */
        expect_einval("Zm9");
        expect_einval("Zm9vYh");
        expect_einval("Zm9vYmF");
}

static void test_encode_enobufs(void **state)
{
        char out[16];
        (void)state;

        memset(out, '#', sizeof(out));
        /* "foo" needs 4 characters and the NUL */
        assert_int_equal(cws_b64url_encode("foo", 3, out, 4), -ENOBUFS);
        assert_int_equal(out[0], '#');
        assert_int_equal(cws_b64url_encode("foo", 3, out, 0), -ENOBUFS);
        assert_int_equal(cws_b64url_encode("foo", 3, out, 5), 0);
        assert_string_equal(out, "Zm9v");
        assert_int_equal(cws_b64url_encode("", 0, out, 0), -ENOBUFS);
        assert_int_equal(cws_b64url_encode("", 0, out, 1), 0);
        assert_string_equal(out, "");
}

static void test_decode_enobufs(void **state)
{
        uint8_t out[8];
        size_t n = 77;
        (void)state;

        assert_int_equal(cws_b64url_decode("Zm9vYmFy", out, 5, &n), -ENOBUFS);
        assert_int_equal(n, 77);
        assert_int_equal(cws_b64url_decode("Zm9vYmE", out, 4, &n), -ENOBUFS);
        assert_int_equal(cws_b64url_decode("Zm9vYmE", out, 5, &n), 0);
        assert_int_equal(n, 5);
        assert_int_equal(cws_b64url_decode("Zg", out, 0, &n), -ENOBUFS);
        assert_int_equal(cws_b64url_decode("", out, 0, &n), 0);
        assert_int_equal(n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_url_alphabet),
                cmocka_unit_test(test_round_trip_0_to_64),
                cmocka_unit_test(test_decode_refuses_bad_characters),
                cmocka_unit_test(test_decode_refuses_padding),
                cmocka_unit_test(test_decode_refuses_length_mod4_1),
                cmocka_unit_test(test_decode_non_canonical_trailing_bits),
                cmocka_unit_test(test_encode_enobufs),
                cmocka_unit_test(test_decode_enobufs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
