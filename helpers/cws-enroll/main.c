/* cws-enroll — enroll this device for the calling user, or check what the
 * PAM module would decide. Both go through cwsd. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "cws/cleanup.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cws-enroll [OPTIONS] TOKEN\n"
                "       cws-enroll [OPTIONS] --token-file PATH\n"
                "       cws-enroll [OPTIONS] --check [--service NAME]\n"
                "Enroll this device for your CloudWorkstation profile, or check whether a\n"
                "session would be allowed and why.\n\n"
                "  -t, --token-file PATH  read the token from PATH ('-' = stdin); safer than argv\n"
                "      --check            ask cwsd to validate exactly as pam_cws will\n"
                "  -s, --service NAME     the PAM service to check for (default login)\n"
                "  -u, --user NAME        another user (root only)\n"
                "  -c, --config PATH      configuration file (default %s)\n"
                "  -j, --json             machine-readable output\n"
                "  -h, --help             show this help\n"
                "  -V, --version          show the version\n\n"
                "Exit status: 0 enrolled/allowed, 1 refused/denied, 2 usage, 3 config,\n"
                "4 cwsd unreachable, 5 registry unreachable.\n",
                CWS_DEFAULT_CONFIG);
}

static int current_user(char *out, size_t outsz)
{
        struct passwd pw, *res = NULL;
        char buf[4096];

        if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0 || !res)
                return cli_fail(CWS_EXIT_CONFIG, "cannot find the calling user");
        snprintf(out, outsz, "%s", res->pw_name);
        return 0;
}


static int do_check(const cws_config *cfg, const char *user, const char *service, bool json)
{
        cws_msg req, resp;
        const char *decision, *reason;
        cws_reason r = CWS_R_INTERNAL_ERROR;

        cws_msg_init(&req);
        if (cws_msg_add(&req, "op", "validate") < 0 || cws_msg_add(&req, "user", user) < 0 ||
            cws_msg_add(&req, "service", service) < 0)
                return cli_fail(CWS_EXIT_USAGE, "invalid user or service name");
        if (cli_agent_call(cfg, &req, &resp) < 0)
                return CWS_EXIT_AGENT;
        if (strcmp(cws_msg_get(&resp, "status") ?: "", "ok") != 0)
                return cli_agent_refusal(&resp, json);
        decision = cws_msg_get(&resp, "decision");
        reason = cws_msg_get(&resp, "reason");
        if (!decision || !reason || cws_reason_from_string(reason, &r) < 0)
                return cli_fail(CWS_EXIT_AGENT, "cwsd sent a malformed reply");
        if (json) {
                printf("{\"decision\":\"%s\",\"reason\":\"%s\"", decision, reason);
                static const char *extra[] = { "profile", "invitation", "device", "type", "violations",
                                               "registry", "registry_reason" };
                for (size_t i = 0; i < CWS_ELEMENTSOF(extra); i++) {
                        const char *v = cws_msg_get(&resp, extra[i]);
                        if (v) {
                                printf(",\"%s\":", extra[i]);
                                cli_json_string(stdout, v);
                        }
                }
                printf("}\n");
        } else if (strcmp(decision, "allow") == 0) {
                printf("allow: %s may start a %s session with profile %s\n", user, service,
                       cws_msg_get(&resp, "profile") ?: "?");
        } else {
                printf("deny (%s): %s\n", reason, cws_reason_advice(r));
        }
        if (!json && cws_msg_get(&resp, "registry"))
                printf("registry: down for %s s (%s); decided by the offline rules, cwsd probes "
                       "it in the background\n", cws_msg_get(&resp, "registry_down_for") ?: "?",
                       cws_msg_get(&resp, "registry_reason") ?: "?");
        return strcmp(decision, "allow") == 0 ? CWS_EXIT_OK : CWS_EXIT_REFUSED;
}

static int do_enroll(const cws_config *cfg, const char *user, const char *token, bool json)
{
        cws_msg req, resp;
        int r;

        cws_msg_init(&req);
        if (cws_msg_add(&req, "op", "enroll") < 0 || cws_msg_add(&req, "user", user) < 0 ||
            cws_msg_add(&req, "token", token) < 0)
                return cli_fail(CWS_EXIT_USAGE, "invalid user name or token");
        r = cli_agent_call(cfg, &req, &resp);
        cws_wipe(req.buf, sizeof(req.buf));
        if (r < 0)
                return CWS_EXIT_AGENT;
        if (strcmp(cws_msg_get(&resp, "status") ?: "", "ok") != 0)
                return cli_agent_refusal(&resp, json);
        if (json) {
                printf("{\"device_id\":");
                cli_json_string(stdout, cws_msg_get(&resp, "device") ?: "");
                printf(",\"invitation\":");
                cli_json_string(stdout, cws_msg_get(&resp, "invitation") ?: "");
                printf(",\"profile\":");
                cli_json_string(stdout, cws_msg_get(&resp, "profile") ?: "");
                printf(",\"slot\":%s}\n", cws_msg_get(&resp, "slot") ?: "0");
        } else {
                printf("Enrolled device %s for profile %s (invitation %s, slot %s)\n",
                       cws_msg_get(&resp, "device") ?: "?", cws_msg_get(&resp, "profile") ?: "?",
                       cws_msg_get(&resp, "invitation") ?: "?", cws_msg_get(&resp, "slot") ?: "?");
        }
        return CWS_EXIT_OK;
}

int main(int argc, char **argv)
{
        enum { OPT_CHECK = 256 };
        static const struct option opts[] = {
                { "token-file", required_argument, NULL, 't' },
                { "check", no_argument, NULL, OPT_CHECK },
                { "service", required_argument, NULL, 's' },
                { "user", required_argument, NULL, 'u' },
                CLI_COMMON_OPTIONS,
                { 0 },
        };
        _cleanup_erase_ char *token = NULL;
        const char *config = NULL, *token_file = NULL, *service = "login", *user = NULL;
        char self[256];
        bool check = false, json = false;
        cws_config cfg;
        int c, r;

        cli_program = "cws-enroll";
        while ((c = getopt_long(argc, argv, "t:s:u:c:jhV", opts, NULL)) != -1) {
                switch (c) {
                case 't': token_file = optarg; break;
                case OPT_CHECK: check = true; break;
                case 's': service = optarg; break;
                case 'u': user = optarg; break;
                case 'c': config = optarg; break;
                case 'j': json = true; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (check ? optind != argc : (optind + (token_file ? 0 : 1)) != argc) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        if (!user) {
                if ((r = current_user(self, sizeof(self))))
                        return r;
                user = self;
        }
        if ((r = cli_load_config(config, &cfg)))
                return r;
        if (check)
                return do_check(&cfg, user, service, json);
        token = token_file ? cli_read_secret_line(token_file) : strdup(argv[optind]);
        if (!token)
                return CWS_EXIT_USAGE;
        if (!token_file)
                cws_wipe(argv[optind], strlen(argv[optind]));   /* out of ps listings */
        return do_enroll(&cfg, user, token, json);
}
