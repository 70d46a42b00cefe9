/* cws-invite keychain: where the administrator key is kept and how
 * safely; keychain import-credentials. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws_invite.h"

static const char *state_name(keychain_state st)
{
        switch (st) {
        case KEYCHAIN_NO_BUS: return "no_bus";
        case KEYCHAIN_UNAVAILABLE: return "unavailable";
        case KEYCHAIN_NO_ANSWER: return "no_answer";
        case KEYCHAIN_READY: return "ready";
        default: return "not_tried";
        }
}

/* What `cws-invite keychain` found. */
typedef struct keychain_report {
        keychain_state state;
        const char *backend;            /* where the key is, or where init would put it */
        const char *level, *security;
        const char *admin_key;          /* "secret-service", "file" or "none" */
        bool keyring_known, keyring_locked, key_locked, credentials;
        char keyring[256];
} keychain_report;

static void print_report(const options *o, const keychain *kc, const keychain_report *k,
                         const char *ks, const char *registry)
{
        const char *absence = keychain_absence(kc);
        bool fallback = o->key.keychain == KEYCHAIN_AUTO && k->state != KEYCHAIN_READY;

        if (o->json) {
                printf("{\"keychain\":\"%s\",\"mode\":\"%s\",\"security_level\":\"%s\","
                       "\"security\":", k->backend, keychain_mode_to_string(o->key.keychain), k->level);
                cli_json_string(stdout, k->security);
                printf(",\"secret_service\":\"%s\",\"fallback_reason\":", state_name(k->state));
                if (fallback)
                        cli_json_string(stdout, absence);
                else
                        printf("null");
                printf(",\"keyring\":");
                if (k->keyring_known)
                        cli_json_string(stdout, k->keyring);
                else
                        printf("null");
                printf(",\"locked\":%s,\"admin_key\":\"%s\",\"keystore\":",
                       k->keyring_locked || k->key_locked ? "true" : "false", k->admin_key);
                cli_json_string(stdout, ks);
                printf(",\"registry\":");
                cli_json_string(stdout, registry);
                printf(",\"registry_credentials\":\"%s\"}\n",
                       k->credentials ? "secret-service" : "none");
                return;
        }
        printf("Keychain:             %s (%s%s)\n", k->backend,
               o->key.keychain == KEYCHAIN_AUTO ? "chosen automatically" : "--keychain=",
               o->key.keychain == KEYCHAIN_AUTO ? "" : keychain_mode_to_string(o->key.keychain));
        printf("Security level:       %s (%s)\n", k->level, k->security);
        if (k->state == KEYCHAIN_READY)
                printf("Secret Service:       answering%s%s%s\n",
                       k->keyring_known ? "; default keyring '" : "",
                       k->keyring_known ? k->keyring : "",
                       !k->keyring_known ? "" : k->keyring_locked ? "', locked" : "', unlocked");
        else if (k->state == KEYCHAIN_NOT_TRIED)
                printf("Secret Service:       not used (--keychain=file)\n");
        else
                printf("Secret Service:       none: %s%s\n", absence,
                       fallback ? " (falling back to the encrypted file)" : "");
        if (strcmp(k->admin_key, "secret-service") == 0)
                printf("Administrator key:    in the Secret Service, named %s%s\n", ks,
                       k->key_locked ? " (locked: unlock the keyring to use it)" : "");
        else if (strcmp(k->admin_key, "file") == 0)
                printf("Administrator key:    in the encrypted file %s\n", ks);
        else if (k->state != KEYCHAIN_READY && k->state != KEYCHAIN_NOT_TRIED)
                printf("Administrator key:    no keystore file at %s (and the Secret Service "
                       "could not be asked)\n", ks);
        else
                printf("Administrator key:    none yet (run 'cws-invite init'; it goes in the %s)\n",
                       strcmp(k->backend, "secret-service") == 0 ? "Secret Service"
                                                                 : "encrypted file");
        printf("Registry credentials: %s (%s)\n",
               k->credentials ? "in the Secret Service" : "not in the keychain", registry);
}

int cmd_keychain(const options *o)
{
        keychain_report k = { .admin_key = "none" };
        keychain *kc = NULL;
        cws_config cfg;
        cws_error err = { 0 };
        char ks[ADMIN_KEYSTORE_PATH_MAX];
        bool found = false;
        int r;

        if ((r = cli_load_config(o->config, &cfg)) || (r = admin_key_open_keychain(&o->key, ks, &kc)))
                return r;
        k.state = keychain_get_state(kc);
        if (k.state == KEYCHAIN_READY) {
                r = keychain_default_collection(kc, k.keyring, sizeof(k.keyring), &k.keyring_locked,
                                                &err);
                k.keyring_known = r == 0;
                if (r < 0 && r != -ENOENT)
                        goto fail;
                if ((r = keychain_admin_key_find(kc, ks, &found, &k.key_locked, &err)) < 0 ||
                    (r = keychain_credentials_find(kc, cfg.registry_url, &k.credentials, &err)) < 0)
                        goto fail;
        }
        if (found)
                k.admin_key = "secret-service";
        else if (admin_key_file_exists(ks))
                k.admin_key = "file";
        k.backend = found || (k.state == KEYCHAIN_READY && !admin_key_file_exists(ks)) ? "secret-service" : "file";
        if (strcmp(k.backend, "secret-service") == 0) {
                k.level = "high";
                k.security = k.keyring_locked || k.key_locked
                        ? "Secret Service; the keyring is locked now"
                        : "Secret Service, unlocked by the user's session";
        } else {
                k.level = "medium";
                k.security = "encrypted file, passphrase: AES-256-GCM under a scrypt-derived key";
        }
        print_report(o, kc, &k, ks, cfg.registry_url);
        keychain_free(kc);
        return CWS_EXIT_OK;
fail:
        keychain_free(kc);
        return admin_key_keychain_fail(&o->key, r, &err);
}

/* The registry credentials file goes into the Secret Service, named by the
 * registry URL; the file itself is left for the administrator to remove.
 * It is parsed first, as the s3: backend will read it: a typo is found
 * now, not at the next use. */
int cmd_import_credentials(const options *o, const char *file)
{
        _cleanup_free_ char *buf = NULL;
        keychain *kc = NULL;
        cws_config cfg;
        cws_error err = { 0 };
        char ks[ADMIN_KEYSTORE_PATH_MAX], access[CWS_S3_CRED_MAX], secret[CWS_S3_CRED_MAX];
        size_t len = 0;
        int r;

        if ((r = cli_load_config(o->config, &cfg)))
                return r;
        r = cws_file_read_checked(file, KEYCHAIN_CREDENTIALS_MAX, CWS_FILE_SECRET, &buf, &len, &err);
        if (r < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        if (strlen(buf) != len)
                r = cws_error_set(&err, -EINVAL, "%s: contains a NUL byte", file);
        else
                r = cws_s3_parse_credentials(buf, file, access, secret, &err);
        cws_wipe(secret, sizeof(secret));
        if (r < 0) {
                r = cli_fail(CWS_EXIT_CONFIG, "%s (nothing was stored)", cws_error_message(&err));
                goto out;
        }
        if ((r = admin_key_open_keychain(&o->key, ks, &kc)))
                goto out;
        if (keychain_get_state(kc) != KEYCHAIN_READY) {
                r = cli_fail(CWS_EXIT_CONFIG, "%s: the registry credentials can only be kept in the "
                             "Secret Service; without one they stay in their file",
                             o->key.keychain == KEYCHAIN_FILE ? "--keychain=file"
                                                          : keychain_absence(kc));
                goto out;
        }
        r = keychain_credentials_store(kc, cfg.registry_url, buf, len, &err);
        if (r < 0) {
                r = admin_key_keychain_fail(&o->key, r, &err);
                goto out;
        }
        if (o->json) {
                printf("{\"registry\":");
                cli_json_string(stdout, cfg.registry_url);
                printf(",\"registry_credentials\":\"secret-service\"}\n");
        } else {
                printf("Registry credentials for %s are now in the Secret Service.\n"
                       "%s was left as it is: remove it once nothing else reads it.\n",
                       cfg.registry_url, file);
        }
        r = CWS_EXIT_OK;
out:
        if (buf)
                cws_wipe(buf, len);
        keychain_free(kc);
        return r;
}
