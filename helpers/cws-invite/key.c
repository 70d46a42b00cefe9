/* cws-invite init and pubkey: the administrator key, in the keychain or
 * the keystore file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws_invite.h"

static void print_init(const options *o, const char *line, const char *ks, const char *where,
                       const keychain *kc)
{
        if (o->json) {
                printf("{\"public_key\":");
                cli_json_string(stdout, line);
                printf(",\"keystore\":");
                cli_json_string(stdout, ks);
                printf(",\"keychain\":\"%s\",\"fallback_reason\":", where);
                if (o->key.keychain == KEYCHAIN_AUTO && keychain_get_state(kc) != KEYCHAIN_READY)
                        cli_json_string(stdout, keychain_absence(kc));
                else
                        printf("null");
                printf("}\n");
        } else if (strcmp(where, "secret-service") == 0) {
                printf("Administrator key created in the Secret Service (named %s)\n"
                       "Pin it on every host by adding this line to the trusted_keys file:\n%s\n",
                       ks, line);
        } else {
                printf("Administrator key created in %s\n"
                       "Pin it on every host by adding this line to the trusted_keys file:\n%s\n",
                       ks, line);
        }
}

int cmd_init(const options *o)
{
        _cleanup_erase_ char *pass = NULL;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char ks[ADMIN_KEYSTORE_PATH_MAX], line[128];
        keychain *kc = NULL;
        cws_error err = { 0 };
        int r;

        if ((r = admin_key_open_keychain(&o->key, ks, &kc)))
                return r;
        if (keychain_get_state(kc) == KEYCHAIN_READY) {
                /* One name, one key: never a second one beside a file. */
                if (admin_key_file_exists(ks)) {
                        keychain_free(kc);
                        return cli_fail(CWS_EXIT_REFUSED, "%s: a keystore file already exists "
                                        "there and was left as it is (keeping the existing key); "
                                        "move it away first or choose another path", ks);
                }
                if (cws_ed25519_keygen(priv, pub) < 0) {
                        keychain_free(kc);
                        return cli_fail(CWS_EXIT_CONFIG, "cannot make a key");
                }
                cws_trust_format_key(pub, line, sizeof(line));
                r = keychain_admin_key_store(kc, ks, line, priv, &err);
                cws_wipe(priv, sizeof(priv));
                if (r < 0) {
                        keychain_free(kc);
                        return admin_key_keychain_fail(&o->key, r, &err);
                }
                print_init(o, line, ks, "secret-service", kc);
                keychain_free(kc);
                return CWS_EXIT_OK;
        }
        admin_key_fallback_note(&o->key, kc, ks);
        pass = cli_passphrase(o->key.passfile, "New administrator key passphrase: ", true);
        if (!pass) {
                keychain_free(kc);
                return CWS_EXIT_USAGE;
        }
        if (cws_ed25519_keygen(priv, pub) < 0) {
                keychain_free(kc);
                return cli_fail(CWS_EXIT_CONFIG, "cannot make a key");
        }
        r = cws_keystore_create(ks, pass, priv, &err);
        cws_wipe(priv, sizeof(priv));
        if (r < 0) {
                keychain_free(kc);
                return cli_fail(r == -EEXIST ? CWS_EXIT_REFUSED : CWS_EXIT_CONFIG, "%s%s",
                                cws_error_message(&err),
                                r == -EEXIST ? " (keeping the existing key)" : "");
        }
        cws_trust_format_key(pub, line, sizeof(line));
        print_init(o, line, ks, "file", kc);
        keychain_free(kc);
        return CWS_EXIT_OK;
}

int cmd_pubkey(const options *o)
{
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char line[128];
        int r = admin_key_load(&o->key, priv);

        if (r)
                return r;
        r = cws_ed25519_public(priv, pub);
        cws_wipe(priv, sizeof(priv));
        if (r < 0)
                return cli_fail(CWS_EXIT_CONFIG, "cannot derive the public key");
        cws_trust_format_key(pub, line, sizeof(line));
        if (o->json) {
                printf("{\"public_key\":");
                cli_json_string(stdout, line);
                printf("}\n");
        } else {
                printf("%s\n", line);
        }
        return CWS_EXIT_OK;
}
