/* Shared by the libFuzzer harnesses in tests/fuzz: a fixed host key, a
 * private scratch directory and small file helpers. A harness aborts
 * (a finding) only when a property of the code under test fails. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/host_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The host key every harness (and tests/fuzz/gen_corpus.c) seals and MACs with. */
extern const uint8_t fuzz_host_key[CWS_HOST_KEY_LEN];

/* The Ed25519 key the record harnesses and the seeds sign with. */
extern const uint8_t fuzz_signer_priv[32];

/* The user and uid the cache and binding harnesses load for. */
#define FUZZ_USER "fuzzuser"
#define FUZZ_UID ((uid_t)4242)

/* A directory of our own under $TMPDIR (make fuzz points that into
 * build/fuzz/tmp), created on first use, removed at exit. */
const char *fuzz_tmpdir(void);
/* "<tmpdir>/<name>"; aborts when it does not fit. */
void fuzz_path(char *out, size_t outsz, const char *name);
/* Creates (or replaces) path with data and mode; aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* The NUL-terminated field at *p (before end), moving *p past it; NULL
 * when no NUL follows. */
const char *fuzz_next_field(const char **p, const char *end);
/* A NUL-terminated copy (caller frees); aborts when out of memory. */
char *fuzz_strndup(const void *data, size_t len);
/* Aborts with a message naming the property that failed. */
void fuzz_fail(const char *what) __attribute__((noreturn));
#define FUZZ_ASSERT(c) do { if (!(c)) fuzz_fail(#c); } while (0)
