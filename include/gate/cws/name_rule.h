/* The rule for user and profile names, header only so that
 * libnss_cws.so.2 (libc alone) applies the very rule libcws does
 * (cws_name_valid): 1 to 63 of A-Z a-z 0-9 . _ - @, not starting with - or . */
#pragma once
#include <stdbool.h>
#include <stddef.h>

static inline bool cws_name_rule(const char *s, size_t n)
{
        if (n == 0 || n > 63 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == '@'))
                        return false;
        }
        return true;
}
