/* The validation cache, per user, in cwsd's state directory
 * (state_dir/cache/<uid>). cwsd writes it after every registry answer;
 * pam_cws.so reads it when cwsd does not answer in time. It is
 * authenticated with HMAC-SHA256 under a key derived from the host key, so
 * nobody without the host key can forge a fresh validation. Revocations
 * seen are not kept here but in the host's seen_revocations, which the
 * offline decision consults too. Text in the agent protocol's "key=value"
 * form, so the module needs no JSON. Times are microseconds, so that a
 * validation and a revocation in the same second are told apart. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/error.h"
#include "cws/host_key.h"
#include "cws/reason.h"
#include "cws/ids.h"
#include "cws/types.h"
#include "cws/ids.h"
#include "cws/types.h"

#define CWS_CACHE_LEGACY_REVOKED_MAX 16

typedef struct cws_cache_entry {
        uid_t uid;
        char user[CWS_USER_MAX];
        int64_t validated_us;                   /* last allow from the registry, µs; 0 = never */
        char profile[CWS_PROFILE_MAX];
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];
        cws_inv_type type;
        /* Ids a version-1 cache remembered as revoked: cwsd moves them
         * into seen_revocations; until then they deny as well. */
        unsigned n_legacy_revoked;
        char legacy_revoked[CWS_CACHE_LEGACY_REVOKED_MAX][CWS_ID_MAX];
} cws_cache_entry;

/* CLOCK_REALTIME in microseconds. */
int64_t cws_cache_now_us(void);

void cws_cache_init(cws_cache_entry *e, uid_t uid, const char *user);

/* -ENOENT when there is none; -EBADMSG when it does not authenticate or
 * is for another user. */
int cws_cache_load(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid,
                   const char *user, cws_cache_entry *e, cws_error *err);
int cws_cache_store(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                    const cws_cache_entry *e, cws_error *err);
/* Stores e when it differs from before (what was loaded): with fsync when
 * anything but validated_us changed, without when only the time moved on
 * (losing that can only shorten the offline grace); not at all when
 * nothing changed. */
int cws_cache_store_changes(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                            const cws_cache_entry *before, const cws_cache_entry *e,
                            cws_error *err);

/* How many stores this process has made to any user's cache (starting
 * at 0): a copy loaded while it read g is current for as long as it
 * still reads g, when nobody else writes the cache (cwsd's memo). */
uint64_t cws_cache_generation(void);

/* Folds a registry allow in: it refreshes validated_us (of several allows
 * at the same time, the highest type is kept). A denial changes nothing
 * here (revocations go to seen_revocations). */
void cws_cache_note_allow(cws_cache_entry *e, const char *profile, const char *inv_id,
                          const char *device_id, cws_inv_type type, int64_t now_us);

/* The offline decision: allow only a validation younger than max_age
 * seconds (0: never) whose device and invitation this host never saw
 * revoked (state_dir's seen_revocations) and whose type meets min_type.
 * *why says why not (CWS_R_DEVICE_REVOKED, ..., CWS_R_INTERNAL_ERROR when
 * the seen revocations cannot be read, or CWS_R_REGISTRY_UNAVAILABLE when
 * the cache is simply too old). */
bool cws_cache_allows(const cws_cache_entry *e, const char *state_dir, cws_inv_type min_type,
                      uint32_t max_age, int64_t now_us, cws_reason *why);
/* The same, with state_fd a held, checked descriptor of state_dir (> 0),
 * or not (<= 0: the path is walked): cws_seen_revoked_pair_at. */
bool cws_cache_allows_at(const cws_cache_entry *e, int state_fd, const char *state_dir,
                         cws_inv_type min_type, uint32_t max_age, int64_t now_us, cws_reason *why);
