/* cws-devices — the devices of an invitation, with status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/devices.h"
#include "cli.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cws-devices [OPTIONS] INV\n"
                "List the devices enrolled under an invitation: slot, user, enrollment\n"
                "time and status (active or revoked). Records that do not verify are\n"
                "not shown.\n\n"
                "  -c, --config PATH   configuration file (default %s)\n"
                "  -j, --json          machine-readable output\n"
                "  -h, --help          show this help\n"
                "  -V, --version       show the version\n\n"
                "Exit status: 0 ok, 1 invitation missing or invalid, 2 usage, 3 config,\n"
                "5 registry.\n",
                CWS_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS,
                { 0 },
        };
        const char *config = NULL, *inv;
        bool json = false;
        cws_registry *reg = NULL;
        cws_device_entry *v = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        size_t n = 0;
        int c, r;

        cli_program = "cws-devices";
        while ((c = getopt_long(argc, argv, "c:jhV", opts, NULL)) != -1) {
                switch (c) {
                case 'c': config = optarg; break;
                case 'j': json = true; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (argc - optind != 1) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        inv = argv[optind];
        if (!cws_id_valid("inv", inv))
                return cli_fail(CWS_EXIT_USAGE, "'%s' is not an invitation id", inv);
        if ((r = cli_load_config(config, &cfg)) || (r = cli_load_trust(&cfg, &t)) ||
            (r = cli_open_registry(&cfg, &reg)))
                return r;
        r = cws_devices_list(reg, &t, inv, (int64_t)time(NULL), &v, &n, &err);
        cws_registry_free(reg);
        if (r < 0)
                return cli_fail(CWS_EXIT_REFUSED, "%s", cws_error_message(&err));
        if (json)
                printf("{\"invitation\":\"%s\",\"devices\":[", inv);
        else
                printf("%-4s %-27s %-16s %-20s %s\n", "SLOT", "DEVICE", "USER", "ENROLLED", "STATUS");
        for (size_t i = 0; i < n; i++) {
                const cws_device_reg *d = &v[i].reg;
                const char *status = v[i].revoked ? "revoked" : "active";
                if (json) {
                        printf("%s{\"slot\":%u,\"generation\":%u,\"device_id\":\"%s\",\"user\":",
                               i ? "," : "", d->slot, d->gen, d->device_id);
                        cli_json_string(stdout, d->user);
                        printf(",\"uid\":%u,\"enrolled_at\":%lld,\"status\":\"%s\"}", (unsigned)d->uid,
                               (long long)d->enrolled_at, status);
                } else {
                        char when[32];
                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
                                 gmtime(&(time_t){ (time_t)d->enrolled_at }));
                        printf("%-4u %-27s %-16s %-20s %s\n", d->slot, d->device_id, d->user, when,
                               status);
                }
        }
        if (json)
                printf("]}\n");
        free(v);
        return CWS_EXIT_OK;
}
