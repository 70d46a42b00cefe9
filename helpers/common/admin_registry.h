/* The registry for cws-invite and cws-revoke: an s3: registry's
 * credentials come from the Secret Service when it holds some for the
 * configured URL (cws-invite keychain import-credentials), else from
 * credentials_file as for every other program. Free of glib types. */
#pragma once
#include "admin_key.h"
#include "cws/config.h"
#include "cws/registry.h"

/* Opens cfg's registry; prints why and returns an exit code (cli.h) on
 * failure, 0 on success. src->keychain chooses as for the key: auto mode
 * without a Secret Service says so on stderr and reads the file;
 * --keychain=file reads the file without asking D-Bus; once the service
 * has answered, a failure (a locked keyring) is an error, not the file. */
int admin_registry_open(const admin_key_source *src, const cws_config *cfg, cws_registry **reg);
