/* Opens the configured registry with its backend's settings. A file of its
 * own so that only the programs, never pam_cws.so, link the s3: backend
 * and with it libcurl. */
#include <string.h>
#include "cws/config.h"
#include "cws/registry.h"

int cws_registry_open_config(const cws_config *cfg, cws_registry **out, cws_error *err)
{
        return cws_registry_open_config_credentials(cfg, NULL, NULL, out, err);
}

int cws_registry_open_config_credentials(const cws_config *cfg, const char *credentials_text,
                                         const char *credentials_origin, cws_registry **out,
                                         cws_error *err)
{
        if (strncmp(cfg->registry_url, "s3://", 5) == 0) {
                cws_s3_settings s = {
                        .endpoint = cfg->s3_endpoint,
                        .region = cfg->s3_region,
                        .credentials_file = cfg->s3_credentials_file,
                        .credentials_text = credentials_text,
                        .credentials_origin = credentials_origin,
                        .ca_file = cfg->s3_ca_file,
                        .pinned_keys = cfg->s3_pinned_keys,
                        .timeout_ms = cfg->registry_timeout * 1000u,
                        .require_object_lock = cfg->require_object_lock,
                };
                return cws_registry_s3_open(cfg->registry_url, &s, out, err);
        }
        return cws_registry_open(cfg->registry_url, out, err);
}

int cws_registry_require_object_lock(const cws_config *cfg, cws_registry *r, cws_error *err)
{
        if (!cfg->require_object_lock || strncmp(cfg->registry_url, "s3://", 5) != 0)
                return 0;
        return cws_registry_check_object_lock(r, err);
}
