/* The administrators' keychain: the Secret Service (libsecret) when the
 * session has one, else the encrypted-file keystore (cws/keystore.h).
 * Only cws-invite and cws-revoke link its two files, keychain.c and
 * keychain_items.c (with admin_key.c and admin_registry.c), and so
 * libsecret and glib: neither the PAM module, cwsd nor the other helpers
 * ever do. This header is free of glib types.
 *
 * What is an absence of keychain (auto mode falls back to the file, and
 * says so): no session bus; a bus that cannot be connected to; no
 * org.freedesktop.secrets on it; no answer within KEYCHAIN_TIMEOUT_MS.
 * Everything else once the service answered is an error, never a
 * fallback: a locked keyring that could not be unlocked, no default
 * keyring, a refused or failed call. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cws/crypto.h"
#include "cws/error.h"

#define KEYCHAIN_TIMEOUT_MS 5000        /* any call to the service */
#define KEYCHAIN_PROMPT_MS 120000       /* a person typing the keyring password */

typedef enum keychain_mode {
        KEYCHAIN_AUTO = 0,
        KEYCHAIN_SECRET_SERVICE,
        KEYCHAIN_FILE,
} keychain_mode;

typedef enum keychain_state {
        KEYCHAIN_NOT_TRIED = 0,         /* --keychain=file */
        KEYCHAIN_NO_BUS,                /* no session bus in the environment */
        KEYCHAIN_UNAVAILABLE,           /* bus unreachable, or no Secret Service on it */
        KEYCHAIN_NO_ANSWER,             /* no answer within KEYCHAIN_TIMEOUT_MS */
        KEYCHAIN_READY,
} keychain_state;

typedef struct keychain keychain;

int keychain_mode_from_string(const char *s, keychain_mode *out);
const char *keychain_mode_to_string(keychain_mode m);

/* Connects as mode says. In auto mode an absence of keychain is not an
 * error: the keychain is returned with a state other than READY and
 * keychain_absence() saying why. With KEYCHAIN_SECRET_SERVICE an absence
 * is -ENXIO. Any other failure is a negative errno with err set. */
int keychain_open(keychain_mode mode, keychain **out, cws_error *err);
void keychain_free(keychain *kc);

keychain_state keychain_get_state(const keychain *kc);
/* Why there is no Secret Service, for the user ("" when READY). */
const char *keychain_absence(const keychain *kc);

/* The default collection: its label and whether it is locked. -ENOENT
 * when the service has none. */
int keychain_default_collection(keychain *kc, char *label, size_t labelsz, bool *locked,
                                cws_error *err);

/* The administrator key is one item, named by the absolute keystore path
 * (so several keys can coexist, like several keystore files).
 * find: *found, and *locked when it is in a locked collection.
 * store: create-only (-EEXIST), in the default collection, unlocking it
 *   through the service's prompt if it must (-EACCES if that fails).
 * load: -ENOENT when absent, -EACCES when locked and not unlocked. */
int keychain_admin_key_find(keychain *kc, const char *name, bool *found, bool *locked,
                            cws_error *err);
int keychain_admin_key_store(keychain *kc, const char *name, const char *public_line,
                             const uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err);
int keychain_admin_key_load(keychain *kc, const char *name, uint8_t priv[CWS_ED25519_KEY_LEN],
                            cws_error *err);

/* The registry credentials file's contents, named by the registry URL.
 * store replaces an older copy; load gives a NUL-terminated buffer the
 * caller wipes and frees (-ENOENT when absent). */
#define KEYCHAIN_CREDENTIALS_MAX 65536
int keychain_credentials_find(keychain *kc, const char *registry, bool *found, cws_error *err);
int keychain_credentials_store(keychain *kc, const char *registry, const char *data, size_t len,
                               cws_error *err);
int keychain_credentials_load(keychain *kc, const char *registry, char **data, size_t *len,
                              cws_error *err);
