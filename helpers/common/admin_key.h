/* Where cws-invite and cws-revoke find the administrator key: the Secret
 * Service or the encrypted keystore file, as --keychain (or $CWS_KEYCHAIN)
 * says. Every function prints why it failed and returns an exit code
 * (cli.h), 0 on success. Free of glib types, like keychain.h. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/crypto.h"
#include "cws/error.h"
#include "keychain.h"

#define ADMIN_KEYSTORE_PATH_MAX 4096

typedef struct admin_key_source {
        const char *keystore;          /* --keystore; NULL = the default path */
        const char *passfile;          /* --passphrase-file; NULL = ask on the terminal */
        keychain_mode keychain;        /* --keychain, else $CWS_KEYCHAIN */
        const char *config;            /* --config, for cwsd's socket (admin_report.c) */
} admin_key_source;

/* Sets src->keychain from value, which came from where ("--keychain" or
 * "CWS_KEYCHAIN"); CWS_EXIT_USAGE when it is not a mode. */
int admin_key_mode(admin_key_source *src, const char *value, const char *where);

/* The keystore path, made absolute because it also names the key in the
 * Secret Service, and the keychain as src->keychain says. */
int admin_key_open_keychain(const admin_key_source *src, char ks[ADMIN_KEYSTORE_PATH_MAX],
                            keychain **kc);

/* Auto mode found no keychain: says so on stderr, every time, never silently. */
void admin_key_fallback_note(const admin_key_source *src, const keychain *kc, const char *ks);

/* A keychain call failed with r: prints err, reports the failure to cwsd
 * (admin_key_report), returns the exit code. */
int admin_key_keychain_fail(const admin_key_source *src, int r, const cws_error *err);

/* Whether something is at the keystore path (an unreadable one counts). */
bool admin_key_file_exists(const char *ks);

/* The administrator key from the Secret Service, or from the encrypted
 * file: the file when there is no keychain (auto mode, said on stderr),
 * with --keychain=file, or when the keychain has no key under this name
 * but the file exists (made with --keychain=file, or before). */
int admin_key_load(const admin_key_source *src, uint8_t priv[CWS_ED25519_KEY_LEN]);

/* admin_report.c: the kind of keychain failure r is (locked, no_answer,
 * unavailable, missing_key, bad_item, unsafe_file, bad_passphrase is the
 * caller's, service_error), NULL when r is no failure of the keychain. */
const char *admin_key_failure_kind(int r);
/* Tells cwsd (op=report) so that it raises keychain_failure; a note on
 * stderr when it cannot. Nothing when kind is NULL. */
void admin_key_report(const admin_key_source *src, const char *kind);
