/* cws-revoke — take a device's access away: by an administrator with the
 * administrator key, or by a user for their own device through cwsd. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cws/devices.h"
#include "cws/revoke.h"
#include "admin_registry.h"
#include "cli.h"
#include "cws/cleanup.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cws-revoke [OPTIONS] INV DEVICE      revoke one device\n"
                "       cws-revoke [OPTIONS] INV             revoke this device (as its user)\n"
                "       cws-revoke --all [OPTIONS] INV       revoke the invitation and all its devices\n\n"
                "Without --admin the request goes through cwsd and may only revoke the\n"
                "calling user's own enrollment on this device. With --admin (implied by\n"
                "--all) it is signed with the administrator key.\n\n"
                "  -a, --admin            sign with the administrator key\n"
                "      --all              revoke the whole invitation (administrators)\n"
                "  -k, --keystore PATH    administrator keystore (default ~/.config/cws/admin.key)\n"
                "  -p, --passphrase-file PATH  read the keystore passphrase from PATH\n"
                "      --keychain=MODE    where the administrator key is: auto (default: the\n"
                "                         Secret Service when the session has one, else the\n"
                "                         encrypted file), secret-service or file; also\n"
                "                         $CWS_KEYCHAIN\n"
                "  -r, --reason TEXT      why (recorded in the registry)\n"
                "  -u, --user NAME        another user's enrollment (root only, through cwsd)\n"
                "  -c, --config PATH      configuration file (default %s)\n"
                "  -j, --json             machine-readable output\n"
                "  -h, --help             show this help\n"
                "  -V, --version          show the version\n\n"
                "Exit status: 0 revoked, 1 refused or already revoked, 2 usage,\n"
                "3 config/key file/keychain, 4 cwsd unreachable, 5 registry, 6 wrong\n"
                "passphrase or a keyring that stayed locked.\n",
                CWS_DEFAULT_CONFIG);
}

static void print_done(bool json, const char *inv, const char *dev)
{
        if (json) {
                printf("{\"invitation\":\"%s\",\"device\":", inv);
                if (dev)
                        printf("\"%s\"", dev);
                else
                        printf("null");
                printf(",\"status\":\"revoked\"}\n");
        } else if (dev) {
                printf("Device %s of invitation %s revoked; it is refused from the next session.\n",
                       dev, inv);
        } else {
                printf("Invitation %s and all its devices revoked.\n", inv);
        }
}

/* A mistyped id must not "succeed": the invitation must verify (expired
 * or revoked is fine) and the device must be one of its registrations. */
static int check_target(const cws_config *cfg, cws_registry *reg, const char *inv, const char *dev)
{
        cws_device_entry *v = NULL;
        cws_error err = { 0 };
        cws_trust t;
        size_t n = 0;
        bool found = !dev;
        int r = cli_load_trust(cfg, &t);

        if (r)
                return r;
        if (cws_devices_list(reg, &t, inv, (int64_t)time(NULL), &v, &n, &err) < 0)
                return cli_fail(CWS_EXIT_REFUSED, "%s: %s", inv, cws_error_message(&err));
        for (size_t i = 0; dev && i < n; i++)
                found = found || strcmp(v[i].reg.device_id, dev) == 0;
        free(v);
        if (!found)
                return cli_fail(CWS_EXIT_REFUSED, "%s is not a device of invitation %s (see cws-devices %s)",
                                dev, inv, inv);
        return 0;
}

static int by_admin(const cws_config *cfg, const admin_key_source *key, const char *inv,
                    const char *dev, const char *why, bool json)
{
        uint8_t priv[CWS_ED25519_KEY_LEN];
        cws_registry *reg = NULL;
        cws_error err = { 0 };
        cws_trust t;
        int k, r = admin_registry_open(key, cfg, &reg);

        if (r)
                return r;
        if ((r = cli_require_object_lock(cfg, reg)) || (r = cli_load_trust(cfg, &t)) ||
            (r = admin_key_load(key, priv)) || (r = check_target(cfg, reg, inv, dev))) {
                cws_wipe(priv, sizeof(priv));
                cws_registry_free(reg);
                return r;
        }
        if (dev)
                k = cws_revoke_device(reg, &t, inv, dev, priv, "administrator", why, (int64_t)time(NULL), &err);
        else
                k = cws_revoke_invitation(reg, &t, inv, priv, "administrator", why, (int64_t)time(NULL), &err);
        cws_wipe(priv, sizeof(priv));
        cws_registry_free(reg);
        cli_evidence(CWS_EV_REVOKE, inv, dev, dev ? CWS_R_DEVICE_REVOKED : CWS_R_INVITATION_REVOKED,
                     k < 0);
        if (k < 0)
                return cli_fail(k == -EALREADY || k == -EINVAL ? CWS_EXIT_REFUSED : CWS_EXIT_REGISTRY,
                                "%s", cws_error_message(&err));
        if (err.code)   /* revoked; only its notice is missing */
                fprintf(stderr, "cws-revoke: warning: %s\n", cws_error_message(&err));
        print_done(json, inv, dev);
        return CWS_EXIT_OK;
}

static int by_user(const cws_config *cfg, const char *user, const char *inv, const char *dev,
                   const char *why, bool json)
{
        cws_msg req, resp;

        cws_msg_init(&req);
        if (cws_msg_add(&req, "op", "revoke") < 0 || cws_msg_add(&req, "user", user) < 0 ||
            cws_msg_add(&req, "invitation", inv) < 0 || (dev && cws_msg_add(&req, "device", dev) < 0) ||
            (why && cws_msg_add(&req, "why", why) < 0))
                return cli_fail(CWS_EXIT_USAGE, "invalid user, invitation or device");
        if (cli_agent_call(cfg, &req, &resp) < 0)
                return CWS_EXIT_AGENT;
        if (strcmp(cws_msg_get(&resp, "status") ?: "", "ok") == 0) {
                print_done(json, inv, cws_msg_get(&resp, "device") ?: dev);
                return CWS_EXIT_OK;
        }
        return cli_agent_refusal(&resp, json);
}

int main(int argc, char **argv)
{
        enum { OPT_ALL = 256, OPT_KEYCHAIN };
        static const struct option opts[] = {
                { "admin", no_argument, NULL, 'a' },
                { "all", no_argument, NULL, OPT_ALL },
                { "keystore", required_argument, NULL, 'k' },
                { "passphrase-file", required_argument, NULL, 'p' },
                { "keychain", required_argument, NULL, OPT_KEYCHAIN },
                { "reason", required_argument, NULL, 'r' },
                { "user", required_argument, NULL, 'u' },
                CLI_COMMON_OPTIONS,
                { 0 },
        };
        const char *config = NULL, *user = NULL, *why = NULL, *inv, *dev = NULL;
        const char *env_keychain = secure_getenv("CWS_KEYCHAIN");
        admin_key_source key = { 0 };
        bool admin = false, all = false, json = false;
        cws_config cfg;
        int c, r;

        cli_program = "cws-revoke";
        if (env_keychain && env_keychain[0] && (r = admin_key_mode(&key, env_keychain, "CWS_KEYCHAIN")))
                return r;
        while ((c = getopt_long(argc, argv, "ak:p:r:u:c:jhV", opts, NULL)) != -1) {
                switch (c) {
                case 'a': admin = true; break;
                case OPT_ALL: all = admin = true; break;
                case 'k': key.keystore = optarg; break;
                case 'p': key.passfile = optarg; break;
                case OPT_KEYCHAIN:
                        if ((r = admin_key_mode(&key, optarg, "--keychain")))
                                return r;
                        break;
                case 'r': why = optarg; break;
                case 'u': user = optarg; break;
                case 'c': config = optarg; break;
                case 'j': json = true; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (argc - optind < 1 || argc - optind > (all ? 1 : 2) || (admin && !all && argc - optind != 2)) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        inv = argv[optind];
        if (argc - optind == 2)
                dev = argv[optind + 1];
        if (!cws_id_valid("inv", inv) || (dev && !cws_id_valid("dev", dev)))
                return cli_fail(CWS_EXIT_USAGE, "expected an invitation id (inv-…) and a device id (dev-…)");
        if (why && strlen(why) > 200)
                return cli_fail(CWS_EXIT_USAGE, "--reason: at most 200 characters");
        key.config = config;
        if ((r = cli_load_config(config, &cfg)))
                return r;
        if (admin)
                return by_admin(&cfg, &key, inv, dev, why ? why : "revoked by an administrator", json);
        if (!user) {
                struct passwd *pw = getpwuid(getuid());
                if (!pw)
                        return cli_fail(CWS_EXIT_CONFIG, "cannot find the calling user");
                user = pw->pw_name;
        }
        return by_user(&cfg, user, inv, dev, why, json);
}
