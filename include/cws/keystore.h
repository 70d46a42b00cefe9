/* The administrator's keystore: an Ed25519 private key in a file encrypted
 * with AES-256-GCM under a key derived from a passphrase (scrypt). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "cws/crypto.h"
#include "cws/error.h"

/* Writes a new keystore at path (mode 0600, create-only: -EEXIST). */
int cws_keystore_create(const char *path, const char *passphrase,
                        const uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err);
/* Opens it (checked: owner, 0600, no symlink); wrong passphrase or a
 * changed file is -EBADMSG. */
int cws_keystore_open(const char *path, const char *passphrase,
                      uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err);
/* $XDG_CONFIG_HOME/cws/admin.key or ~/.config/cws/admin.key. */
int cws_keystore_default_path(char *out, size_t outsz);
