/* The registry credentials of cws-invite and cws-revoke: the Secret
 * Service first, for an s3: registry, then credentials_file. cwsd never
 * gets here: it runs as a system user with no session bus. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "admin_registry.h"
#include "cli.h"
#include "cws/cleanup.h"

static void file_note(const admin_key_source *src, const keychain *kc, const cws_config *cfg)
{
        if (src->keychain == KEYCHAIN_AUTO && keychain_get_state(kc) != KEYCHAIN_READY)
                fprintf(stderr, "%s: note: %s; using the registry credentials file %s instead\n",
                        cli_program, keychain_absence(kc),
                        cfg->s3_credentials_file[0] ? cfg->s3_credentials_file
                                                    : "(credentials_file is not set)");
}

int admin_registry_open(const admin_key_source *src, const cws_config *cfg, cws_registry **reg)
{
        _cleanup_erase_ char *text = NULL;
        char origin[CWS_CONFIG_PATH_MAX + 64];
        keychain *kc = NULL;
        cws_error err = { 0 };
        size_t len = 0;
        int r;

        if (strncmp(cfg->registry_url, "s3://", 5) != 0 || src->keychain == KEYCHAIN_FILE)
                return cli_open_registry(cfg, reg);
        if ((r = keychain_open(src->keychain, &kc, &err)) < 0) {
                keychain_free(kc);
                return admin_key_keychain_fail(src, r, &err);
        }
        if (keychain_get_state(kc) != KEYCHAIN_READY) {
                file_note(src, kc, cfg);
                keychain_free(kc);
                return cli_open_registry(cfg, reg);
        }
        r = keychain_credentials_load(kc, cfg->registry_url, &text, &len, &err);
        keychain_free(kc);
        if (r == -ENOENT)
                return cli_open_registry(cfg, reg);
        if (r < 0)
                return admin_key_keychain_fail(src, r, &err);
        snprintf(origin, sizeof(origin), "the Secret Service item for %s", cfg->registry_url);
        if (cws_registry_open_config_credentials(cfg, text, origin, reg, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        return 0;
}
