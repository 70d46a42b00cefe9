/* Hexadecimal text of bytes: the one encoder (host ids, cache MACs, S3 and
 * webhook digests, the evidence encoding of untrusted strings). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Writes the hex of as many whole bytes of in[0..n) as fit in outsz
 * (lowercase, or uppercase as the audit log writes it) and a NUL; returns
 * the number of characters written. outsz >= 2 * n + 1 writes them all. */
size_t cws_hex_encode(const void *in, size_t n, char *out, size_t outsz, bool upper);

/* s[0..n) is all lowercase hex digits. */
bool cws_hex_is_lower(const char *s, size_t n);
