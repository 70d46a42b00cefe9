/* cws-invite create, list, show and revoke: the invitations in the
 * registry. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws_invite.h"

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

int cmd_create(const options *o, const char *name)
{
        _cleanup_erase_ char *parent = NULL;
        uint8_t priv[CWS_ED25519_KEY_LEN] = { 0 };
        char token[CWS_TOKEN_MAX], exp[32];
        cws_registry *reg = NULL;
        cws_config cfg;
        cws_trust t;
        cws_error err = { 0 };
        cws_invitation settings = o->inv, *inv = &settings;
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

int cmd_list(const options *o)
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

int cmd_show(const options *o, const char *id)
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

int cmd_revoke(const options *o, const char *id)
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
