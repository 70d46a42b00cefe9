/* The binding store (lib/binding_store.c): one sealed binding per (user,
 * invitation) in cwsd's state directory, never in $HOME. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/binding.h"
#include "cws/error.h"
#include "cws/host_key.h"
#include "cws/reason.h"

/* state_dir/bindings/<uid>/<inv id>.bind (dirs 0700, file 0600). load adds
 * CWS_R_NOT_ENROLLED (-ENOENT) when there is no file, and refuses a file
 * whose sealed invitation id differs from its name. */
int cws_binding_save(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                     const cws_binding *b, cws_error *err);
int cws_binding_load(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid,
                     const char *username, const char *inv_id, cws_binding *b, cws_reason *why,
                     cws_error *err);
/* Invitation ids the user has bindings for (sorted); caller frees with
 * cws_strv_free. */
int cws_binding_list(const char *state_dir, uid_t uid, char ***ids, size_t *n, cws_error *err);
/* The uids that have a bindings directory (state_dir/bindings/<uid>), for
 * the revocation monitor; entries that are not decimal uids are skipped.
 * *uids is malloc'd (NULL and 0 when there are none). */
int cws_binding_users(const char *state_dir, uid_t **uids, size_t *n, cws_error *err);
int cws_binding_remove(const char *state_dir, uid_t uid, const char *inv_id, cws_error *err);
