/* cws-invite — administrators create, list and revoke invitations. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws_invite.h"

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

/* Each command takes no argument (run) or one (run_arg). */
static const struct command {
        const char *name;
        int (*run)(const options *o);
        int (*run_arg)(const options *o, const char *arg);
} commands[] = {
        { "init", cmd_init, NULL },
        { "pubkey", cmd_pubkey, NULL },
        { "create", NULL, cmd_create },
        { "list", cmd_list, NULL },
        { "show", NULL, cmd_show },
        { "revoke", NULL, cmd_revoke },
        { "keychain", cmd_keychain, NULL },
};

static int run_command(const options *o, const char *cmd, int nargs, char **args)
{
        size_t i;

        if (strcmp(cmd, "keychain") == 0 && nargs == 2 && strcmp(args[0], "import-credentials") == 0)
                return cmd_import_credentials(o, args[1]);
        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                const struct command *c = &commands[i];

                if (strcmp(cmd, c->name) != 0)
                        continue;
                if (nargs != (c->run_arg ? 1 : 0)) {
                        usage(stderr);
                        return CWS_EXIT_USAGE;
                }
                return c->run_arg ? c->run_arg(o, args[0]) : c->run(o);
        }
        return cli_fail(CWS_EXIT_USAGE, "unknown command '%s' (see --help)", cmd);
}

int main(int argc, char **argv)
{
        enum { OPT_TYPE = 256, OPT_CAN_INVITE, OPT_TRANSFERABLE, OPT_NO_DEVICE_BOUND,
               OPT_MAX_DEVICES, OPT_VALID_DAYS, OPT_VALID_FOR, OPT_PARENT, OPT_PARENT_FILE,
               OPT_KEYCHAIN };
        static const struct option opts[] = {
                { "keystore", required_argument, NULL, 'k' },
                { "passphrase-file", required_argument, NULL, 'p' },
                CLI_COMMON_OPTIONS,
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
        return run_command(&o, cmd, argc - optind, argv + optind);
}
