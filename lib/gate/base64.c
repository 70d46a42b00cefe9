#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "cws/base64.h"

static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t cws_b64url_encoded_len(size_t n)
{
        return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

int cws_b64url_encode(const void *in, size_t n, char *out, size_t outsz)
{
        const uint8_t *p = in;
        size_t o = 0;

        if (outsz < cws_b64url_encoded_len(n) + 1)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16;
                size_t left = n - i;
                if (left > 1)
                        v |= (uint32_t)p[i + 1] << 8;
                if (left > 2)
                        v |= p[i + 2];
                out[o++] = alphabet[(v >> 18) & 63];
                out[o++] = alphabet[(v >> 12) & 63];
                if (left > 1)
                        out[o++] = alphabet[(v >> 6) & 63];
                if (left > 2)
                        out[o++] = alphabet[v & 63];
        }
        out[o] = '\0';
        return 0;
}

static int value_of(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

int cws_b64url_decode(const char *in, void *out, size_t outsz, size_t *outlen)
{
        size_t n = strlen(in), o = 0;
        uint8_t *q = out;

        if (n % 4 == 1)
                return -EINVAL;
        if (outsz < (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0))
                return -ENOBUFS;
        for (size_t i = 0; i < n; i += 4) {
                size_t left = n - i < 4 ? n - i : 4;
                uint32_t v = 0;
                for (size_t k = 0; k < 4; k++) {
                        int d = 0;
                        if (k < left) {
                                d = value_of(in[i + k]);
                                if (d < 0)
                                        return -EINVAL;
                        }
                        v = (v << 6) | (uint32_t)d;
                }
                q[o++] = (uint8_t)(v >> 16);
                if (left > 2)
                        q[o++] = (uint8_t)(v >> 8);
                if (left > 3)
                        q[o++] = (uint8_t)v;
                /* Non-canonical: bits below the last full byte must be zero,
                 * so each byte string has exactly one encoding. */
                if ((left == 2 && (v & 0xffff)) || (left == 3 && (v & 0xff)))
                        return -EINVAL;
        }
        if (outlen)
                *outlen = o;
        return 0;
}
