/* Hexadecimal text (cws/hex.h). */
#include <stdint.h>
#include "cws/hex.h"

size_t cws_hex_encode(const void *in, size_t n, char *out, size_t outsz, bool upper)
{
        const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        const uint8_t *p = in;
        size_t o = 0;

        if (outsz == 0)
                return 0;
        for (size_t i = 0; i < n && o + 2 < outsz; i++) {
                out[o++] = digits[p[i] >> 4];
                out[o++] = digits[p[i] & 0xf];
        }
        out[o] = '\0';
        return o;
}

bool cws_hex_is_lower(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}
