/* base64url without padding (RFC 4648 §5), strict on input. */
#pragma once
#include <stddef.h>

/* Length of the encoding of n bytes, without the NUL. */
size_t cws_b64url_encoded_len(size_t n);

/* Encodes into out (outsz must hold encoded_len + 1). Returns 0 or -ENOBUFS. */
int cws_b64url_encode(const void *in, size_t n, char *out, size_t outsz);

/* Decodes a NUL-terminated string; any character outside the alphabet,
 * padding, or non-canonical trailing bits give -EINVAL; -ENOBUFS if out is
 * too small. */
int cws_b64url_decode(const char *in, void *out, size_t outsz, size_t *outlen);
