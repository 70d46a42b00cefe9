/* Pinned administrator public keys: the trusted_keys file, one
 * "ed25519 <base64url key> [comment]" per line, '#' comments. */
#pragma once
#include <stdbool.h>
#include "cws/crypto.h"
#include "cws/error.h"

#define CWS_TRUST_MAX 16

typedef struct cws_trust {
        unsigned n;
        uint8_t keys[CWS_TRUST_MAX][CWS_ED25519_KEY_LEN];
} cws_trust;

int cws_trust_load(const char *path, cws_trust *t, cws_error *err);
bool cws_trust_contains(const cws_trust *t, const uint8_t pub[CWS_ED25519_KEY_LEN]);
/* "ed25519 <b64url>" into out (at least 64 bytes). */
int cws_trust_format_key(const uint8_t pub[CWS_ED25519_KEY_LEN], char *out, size_t outsz);
