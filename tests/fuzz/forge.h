/* What the harnesses build with the fixed host key so that hostile bytes
 * get past a MAC or an AEAD to the parser behind it: a binding file sealed
 * around any plaintext, a cache file with a valid MAC line. They restate
 * the formats of lib/binding.c and lib/gate/cache.c; forge_check() proves at
 * start-up that they still match the library (and aborts if not), so a
 * format change cannot silently turn a harness into one that only tests
 * the MAC. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "cws/binding.h"

/* This host's id (cws_host_id); aborts when there is none. */
const char *forge_host_id(void);

/* A well-formed binding for FUZZ_UID/FUZZ_USER on this host. */
void forge_sample_binding(cws_binding *b);
/* Field by field, as lib/binding.c reads them back. */
int forge_binding_equal(const cws_binding *a, const cws_binding *b);

/* The sealed file of plaintext pt for (uid, user) under fuzz_host_key, as
 * cws_binding_seal writes it; caller frees. */
char *forge_binding(const void *pt, size_t ptlen, uid_t uid, const char *user, size_t *len);

/* The plaintext inside a sealed binding for (uid, user) on this host, as
 * cws_binding_seal wrote it (caller frees); NULL when it does not open. */
uint8_t *forge_binding_plaintext(const char *text, size_t len, uid_t uid, const char *user,
                                 size_t *ptlen);

/* body followed by the "mac=<hex>\n" line cws_cache_load checks; caller
 * frees. */
char *forge_cache(const void *body, size_t bodylen, size_t *len);

/* The two checks described above; each aborts on a mismatch. */
void forge_check_binding(void);
void forge_check_cache(void);
