/* cws-invite — administrators create, list and revoke invitations. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/chain.h"
#include "cws/invitation.h"
#include "cws/invite.h"
#include "cws/revoke.h"
#include "admin_registry.h"
#include "cli.h"
#include "cws/cleanup.h"
#include "cws/keystore.h"
#include "cws/registry_s3.h"
#include "cws/safe_file.h"

typedef struct options {
        const char *config;
        admin_key_source key;      /* --keystore, --passphrase-file, --keychain */
        const char *parent;
        const char *parent_file;
        bool json;
        cws_invitation inv;        /* create's settings */
        uint32_t valid_for;        /* seconds */
} options;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cws-invite [OPTIONS] COMMAND [ARGS]\n"
                "Create, list and revoke CloudWorkstation invitations.\n\n"
                "Commands:\n"
                "  init                 make the administrator key and print its public key\n"
                "  pubkey               print the administrator public key (trusted_keys form)\n"
                "  create NAME          create an invitation for profile NAME; prints the token\n"
                "  list                 list the invitations in the registry\n"
                "  show INV             show one invitation and its chain\n"
                "  revoke INV           revoke an invitation and every device under it\n"
                "  keychain             where the administrator key is kept, and how safely\n"
                "  keychain import-credentials FILE\n"
                "                       keep the registry credentials FILE in the Secret Service\n\n"
                "create options:\n"
                "  --type TYPE          read_only (default), read_write or admin\n"
                "  --can-invite         holders may create sub-invitations (default: admin only)\n"
                "  --transferable       the profile may move between devices\n"
                "  --no-device-bound    do not bind the profile to the device fingerprint\n"
                "  --max-devices N      1-5 devices (default 1)\n"
                "  --valid-days N       days until it expires (default 30)\n"
                "  --valid-for DURATION the same as a duration: 90m, 12h, 7d\n"
                "  --parent TOKEN       create a sub-invitation signed by the parent token\n"
                "  --parent-file PATH   read the parent token from PATH ('-' = stdin)\n\n"
                "Options:\n"
                "  -c, --config PATH    configuration file (default %s)\n"
                "  -k, --keystore PATH  administrator keystore (default ~/.config/cws/admin.key)\n"
                "  -p, --passphrase-file PATH  read the keystore passphrase from PATH\n"
                "  --keychain=MODE      auto (default: the Secret Service when the session has\n"
                "                       one, else the encrypted file), secret-service or file;\n"
                "                       also $CWS_KEYCHAIN\n"
                "  -j, --json           machine-readable output\n"
                "  -h, --help           show this help\n"
                "  -V, --version        show the version\n\n"
                "Exit status: 0 ok, 1 refused, 2 usage, 3 config/key file/keychain, 5 registry,\n"
                "6 wrong passphrase or a keyring that stayed locked.\n",
                CWS_DEFAULT_CONFIG);
}

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

static int cmd_init(const options *o)
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

static int cmd_pubkey(const options *o)
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

static int open_ledger(const options *o, cws_config *cfg, cws_registry **reg, cws_trust *t)
{
        int r = cli_load_config(o->config, cfg);
        if (r)
                return r;
        r = cli_load_trust(cfg, t);
        if (r)
                return r;
        return admin_registry_open(&o->key, cfg, reg);
}

static int cmd_create(options *o, const char *name)
{
        _cleanup_erase_ char *parent = NULL;
        uint8_t priv[CWS_ED25519_KEY_LEN] = { 0 };
        char token[CWS_TOKEN_MAX], exp[32];
        cws_registry *reg = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        cws_invitation *inv = &o->inv;
        int64_t now = (int64_t)time(NULL);
        int r;

        if (strlen(name) >= sizeof(inv->name) || !cws_name_valid(name, sizeof(inv->name)))
                return cli_fail(CWS_EXIT_USAGE, "invalid profile name '%s' (1-63 of A-Z a-z 0-9 . _ @ -)",
                                name);
        snprintf(inv->name, sizeof(inv->name), "%s", name);
        inv->expires_at = now + (int64_t)o->valid_for;
        if (o->parent_file) {
                parent = cli_read_secret_line(o->parent_file);
                if (!parent)
                        return CWS_EXIT_USAGE;
        } else if (o->parent && !(parent = strdup(o->parent))) {
                return cli_fail(CWS_EXIT_CONFIG, "out of memory");
        }
        r = open_ledger(o, &cfg, &reg, &t);
        if (r || (r = cli_require_object_lock(&cfg, reg)))
                goto out;
        if (!parent && (r = admin_key_load(&o->key, priv)))
                goto out;
        r = cws_invitation_create(reg, &t, inv, priv, parent, now, token, &err);
        cws_wipe(priv, sizeof(priv));
        if (r < 0) {
                r = cli_fail(r == -EPERM || r == -EINVAL ? CWS_EXIT_REFUSED : CWS_EXIT_REGISTRY, "%s",
                             cws_error_message(&err));
                goto out;
        }
        strftime(exp, sizeof(exp), "%Y-%m-%d %H:%M UTC", gmtime(&(time_t){ (time_t)inv->expires_at }));
        if (o->json) {
                printf("{\"id\":\"%s\",\"token\":\"%s\",\"name\":", inv->id, token);
                cli_json_string(stdout, inv->name);
                printf(",\"type\":\"%s\",\"expires_at\":%lld}\n", cws_inv_type_to_string(inv->type),
                       (long long)inv->expires_at);
        } else {
                printf("Invitation %s for profile %s (%s, %u device%s, expires %s)\n"
                       "Token (give it to the user; it is shown only once):\n%s\n",
                       inv->id, inv->name, cws_inv_type_to_string(inv->type), inv->max_devices,
                       inv->max_devices == 1 ? "" : "s", exp, token);
        }
        cws_wipe(token, sizeof(token));
        r = CWS_EXIT_OK;
out:
        cws_registry_free(reg);
        return r;
}

static const char *status_of(int r, cws_reason why)
{
        if (r == 0)
                return "active";
        if (why == CWS_R_INVITATION_REVOKED)
                return "revoked";
        if (why == CWS_R_INVITATION_EXPIRED)
                return "expired";
        if (why == CWS_R_REGISTRY_UNAVAILABLE)
                return "unreachable";
        return "invalid";
}

static void print_invitation(const options *o, const cws_invitation *inv, const char *status,
                             bool first)
{
        if (o->json) {
                printf("%s{\"id\":\"%s\",\"name\":", first ? "" : ",", inv->id);
                cli_json_string(stdout, inv->name);
                printf(",\"type\":\"%s\",\"can_invite\":%s,\"transferable\":%s,"
                       "\"device_bound\":%s,\"max_devices\":%u,\"created_at\":%lld,"
                       "\"expires_at\":%lld,\"parent\":",
                       cws_inv_type_to_string(inv->type), inv->can_invite ? "true" : "false",
                       inv->transferable ? "true" : "false", inv->device_bound ? "true" : "false",
                       inv->max_devices, (long long)inv->created_at, (long long)inv->expires_at);
                if (inv->parent[0])
                        printf("\"%s\"", inv->parent);
                else
                        printf("null");
                printf(",\"status\":\"%s\"}", status);
        } else {
                char exp[32];
                strftime(exp, sizeof(exp), "%Y-%m-%d", gmtime(&(time_t){ (time_t)inv->expires_at }));
                printf("%-27s %-20s %-10s %u  %s  %-8s %s\n", inv->id, inv->name,
                       cws_inv_type_to_string(inv->type), inv->max_devices, exp, status,
                       inv->parent[0] ? inv->parent : "-");
        }
}

static int cmd_list(const options *o)
{
        cws_registry *reg = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        char **keys = NULL;
        size_t n = 0, shown = 0;
        int r = open_ledger(o, &cfg, &reg, &t);

        if (r)
                return r;
        if (cws_registry_list(reg, "inv", &keys, &n, &err) < 0) {
                cws_registry_free(reg);
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        }
        if (o->json)
                printf("{\"invitations\":[");
        else
                printf("%-27s %-20s %-10s %s  %-10s  %-8s %s\n", "INVITATION", "PROFILE", "TYPE", "N",
                       "EXPIRES", "STATUS", "PARENT");
        for (size_t i = 0; i < n; i++) {
                const char *id = keys[i] + strlen("inv/");
                cws_chain chain;
                cws_reason why;
                int k = cws_chain_fetch(reg, &t, id, (int64_t)time(NULL), &chain, &why, NULL);
                if (chain.n == 0)
                        continue;   /* unreadable or forged: not an invitation */
                print_invitation(o, &chain.inv[0], status_of(k, why), shown++ == 0);
        }
        if (o->json)
                printf("]}\n");
        cws_strv_free(keys, n);
        cws_registry_free(reg);
        return CWS_EXIT_OK;
}

static int cmd_show(const options *o, const char *id)
{
        cws_registry *reg = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        cws_chain chain;
        cws_reason why;
        int k, r = open_ledger(o, &cfg, &reg, &t);

        if (r)
                return r;
        k = cws_chain_fetch(reg, &t, id, (int64_t)time(NULL), &chain, &why, &err);
        cws_registry_free(reg);
        if (k < 0 && why != CWS_R_INVITATION_EXPIRED && why != CWS_R_INVITATION_REVOKED)
                return cli_fail(cli_exit_for_reason(why) == CWS_EXIT_OK ? CWS_EXIT_REFUSED
                                                                       : cli_exit_for_reason(why),
                                "%s: %s", id, cws_error_message(&err));
        if (o->json) {
                printf("{\"invitation\":");
                print_invitation(o, &chain.inv[0], status_of(k, why), true);
                printf(",\"chain\":[");
                for (unsigned i = 1; i < chain.n; i++)
                        print_invitation(o, &chain.inv[i], "ancestor", i == 1);
                printf("]}\n");
        } else {
                print_invitation(o, &chain.inv[0], status_of(k, why), true);
                for (unsigned i = 1; i < chain.n; i++) {
                        printf("  under: ");
                        print_invitation(o, &chain.inv[i], "ancestor", false);
                }
        }
        return CWS_EXIT_OK;
}

static int cmd_revoke(const options *o, const char *id)
{
        uint8_t priv[CWS_ED25519_KEY_LEN];
        cws_registry *reg = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        int k, r = open_ledger(o, &cfg, &reg, &t);

        if (r)
                return r;
        if (!cws_id_valid("inv", id)) {
                cws_registry_free(reg);
                return cli_fail(CWS_EXIT_USAGE, "'%s' is not an invitation id", id);
        }
        if ((r = cli_require_object_lock(&cfg, reg))) {
                cws_registry_free(reg);
                return r;
        }
        if ((r = admin_key_load(&o->key, priv))) {
                cws_registry_free(reg);
                return r;
        }
        k = cws_revoke_invitation(reg, &t, id, priv, "administrator", "revoked by cws-invite",
                                  (int64_t)time(NULL), &err);
        cws_wipe(priv, sizeof(priv));
        cws_registry_free(reg);
        cli_evidence(CWS_EV_REVOKE, id, NULL, CWS_R_INVITATION_REVOKED, k < 0);
        if (k < 0)
                return cli_fail(k == -EALREADY ? CWS_EXIT_REFUSED : CWS_EXIT_REGISTRY, "%s",
                                cws_error_message(&err));
        if (err.code)   /* revoked; only its notice is missing */
                fprintf(stderr, "cws-invite: warning: %s\n", cws_error_message(&err));
        if (o->json)
                printf("{\"id\":\"%s\",\"status\":\"revoked\"}\n", id);
        else
                printf("Invitation %s revoked; its devices are refused from the next session.\n", id);
        return CWS_EXIT_OK;
}

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

static int cmd_keychain(const options *o)
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
static int cmd_import_credentials(const options *o, const char *file)
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

int main(int argc, char **argv)
{
        enum { OPT_TYPE = 256, OPT_CAN_INVITE, OPT_TRANSFERABLE, OPT_NO_DEVICE_BOUND,
               OPT_MAX_DEVICES, OPT_VALID_DAYS, OPT_VALID_FOR, OPT_PARENT, OPT_PARENT_FILE,
               OPT_KEYCHAIN };
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "keystore", required_argument, NULL, 'k' },
                { "passphrase-file", required_argument, NULL, 'p' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "type", required_argument, NULL, OPT_TYPE },
                { "can-invite", no_argument, NULL, OPT_CAN_INVITE },
                { "transferable", no_argument, NULL, OPT_TRANSFERABLE },
                { "no-device-bound", no_argument, NULL, OPT_NO_DEVICE_BOUND },
                { "max-devices", required_argument, NULL, OPT_MAX_DEVICES },
                { "valid-days", required_argument, NULL, OPT_VALID_DAYS },
                { "valid-for", required_argument, NULL, OPT_VALID_FOR },
                { "parent", required_argument, NULL, OPT_PARENT },
                { "parent-file", required_argument, NULL, OPT_PARENT_FILE },
                { "keychain", required_argument, NULL, OPT_KEYCHAIN },
                { 0 },
        };
        options o = { .valid_for = 30 * 86400 };
        cws_inv_type type = CWS_TYPE_READ_ONLY;
        bool can_invite = false, can_invite_set = false, transferable = false, unbound = false;
        long max_devices = 1;
        const char *cmd, *env_keychain = secure_getenv("CWS_KEYCHAIN");
        char *end;
        int c, r;

        cli_program = "cws-invite";
        if (env_keychain && env_keychain[0] && (r = admin_key_mode(&o.key, env_keychain, "CWS_KEYCHAIN")))
                return r;
        while ((c = getopt_long(argc, argv, "c:k:p:jhV", opts, NULL)) != -1) {
                switch (c) {
                case 'c': o.config = optarg; break;
                case 'k': o.key.keystore = optarg; break;
                case 'p': o.key.passfile = optarg; break;
                case 'j': o.json = true; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                case OPT_TYPE:
                        if (cws_inv_type_from_string(optarg, &type) < 0 || type == CWS_TYPE_NONE)
                                return cli_fail(CWS_EXIT_USAGE, "--type: expected read_only, read_write or admin");
                        break;
                case OPT_CAN_INVITE: can_invite = can_invite_set = true; break;
                case OPT_TRANSFERABLE: transferable = true; break;
                case OPT_NO_DEVICE_BOUND: unbound = true; break;
                case OPT_MAX_DEVICES:
                        max_devices = strtol(optarg, &end, 10);
                        if (*end || max_devices < 1 || max_devices > CWS_MAX_DEVICES)
                                return cli_fail(CWS_EXIT_USAGE, "--max-devices: expected 1-%d", CWS_MAX_DEVICES);
                        break;
                case OPT_VALID_DAYS: {
                        long d = strtol(optarg, &end, 10);
                        if (*end || d < 1 || d > 3650)
                                return cli_fail(CWS_EXIT_USAGE, "--valid-days: expected 1-3650");
                        o.valid_for = (uint32_t)d * 86400;
                        break;
                }
                case OPT_VALID_FOR:
                        if (cws_parse_duration(optarg, &o.valid_for) < 0 || o.valid_for < 1 ||
                            o.valid_for > 3650u * 86400)
                                return cli_fail(CWS_EXIT_USAGE, "--valid-for: expected a duration "
                                                "from 1s to 3650d, such as 90m, 12h or 7d");
                        break;
                case OPT_PARENT:
                        /* Kept in our own copy; wiped from argv so it does
                         * not linger in ps listings. */
                        o.parent = strdup(optarg);
                        cws_wipe(optarg, strlen(optarg));
                        if (!o.parent)
                                return cli_fail(CWS_EXIT_CONFIG, "out of memory");
                        break;
                case OPT_PARENT_FILE: o.parent_file = optarg; break;
                case OPT_KEYCHAIN:
                        if ((r = admin_key_mode(&o.key, optarg, "--keychain")))
                                return r;
                        break;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        o.key.config = o.config;
        if (optind >= argc) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        cmd = argv[optind++];
        cws_invitation_defaults(&o.inv, type, 0);
        if (can_invite_set)
                o.inv.can_invite = can_invite;
        o.inv.transferable = transferable;
        o.inv.device_bound = !unbound;
        o.inv.max_devices = (unsigned)max_devices;

#define NARGS(k) do { if (argc - optind != (k)) { usage(stderr); return CWS_EXIT_USAGE; } } while (0)
        if (strcmp(cmd, "init") == 0) {
                NARGS(0);
                return cmd_init(&o);
        }
        if (strcmp(cmd, "pubkey") == 0) {
                NARGS(0);
                return cmd_pubkey(&o);
        }
        if (strcmp(cmd, "create") == 0) {
                NARGS(1);
                return cmd_create(&o, argv[optind]);
        }
        if (strcmp(cmd, "list") == 0) {
                NARGS(0);
                return cmd_list(&o);
        }
        if (strcmp(cmd, "show") == 0) {
                NARGS(1);
                return cmd_show(&o, argv[optind]);
        }
        if (strcmp(cmd, "revoke") == 0) {
                NARGS(1);
                return cmd_revoke(&o, argv[optind]);
        }
        if (strcmp(cmd, "keychain") == 0) {
                if (argc - optind == 2 && strcmp(argv[optind], "import-credentials") == 0)
                        return cmd_import_credentials(&o, argv[optind + 1]);
                NARGS(0);
                return cmd_keychain(&o);
        }
        return cli_fail(CWS_EXIT_USAGE, "unknown command '%s' (see --help)", cmd);
}
