/* The membership file of the cws-* groups (cws/nss_groups.h), which cwsd
 * writes and libnss_cws.so.2 serves: who is a member, computed from what
 * cwsd knows (each user's validation cache, the revocations this host has
 * seen, the monitor's last verdict per user), and the writer.
 *
 * A user is a member of the groups of type T and below when a registry
 * allow of type T still counts (cws_group_member_type). cwsd recomputes
 * and rewrites the file at start, after every monitor sweep and after a
 * validation, enrollment or revocation whose outcome changed it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/cache.h"
#include "cws/config.h"
#include "cws/error.h"
#include "cws/host_key.h"
#include "cws/ids.h"
#include "cws/record.h"
#include "cws/types.h"

#define CWS_ETC_GROUP "/etc/group"

typedef enum cws_group_outcome {
        CWS_GROUP_NO_SWEEP = 0,         /* none since cwsd started */
        CWS_GROUP_ALLOWED,              /* the registry allowed a binding */
        CWS_GROUP_DENIED,               /* it allowed none, and was reachable */
        CWS_GROUP_OFFLINE,              /* it allowed none, and could not be asked */
} cws_group_outcome;

/* A registry allow: of which type, when, and whether its device or
 * invitation has been seen revoked since. */
typedef struct cws_group_allow {
        cws_inv_type type;              /* CWS_TYPE_NONE: there is none */
        int64_t at_us;
        bool revoked;
} cws_group_allow;

/* The monitor's last verdict on a user; best is the highest type allowed. */
typedef struct cws_group_sweep {
        cws_group_outcome outcome;
        int64_t at_us;
        cws_group_allow best;
} cws_group_sweep;

/* The type whose groups (it and every lower one) the user is in at now_us,
 * CWS_TYPE_NONE for none, from the cached allow (the user's validation
 * cache) and the last sweep:
 *  - an allow that was seen revoked, lies in the future, or is older than
 *    a sweep that came after it never counts;
 *  - while the registry answers (the last sweep allowed or denied), an
 *    allow counts until the next verdict;
 *  - when it does not (offline, or no sweep yet), an allow counts within
 *    offline_grace, as pam_cws.so would allow it offline.
 * *until_s is when the module must stop serving it unless cwsd writes the
 * file again: the offline grace, but no sooner than now + refresh. */
cws_inv_type cws_group_member_type(const cws_group_allow *cached, const cws_group_sweep *sweep,
                                   uint32_t offline_grace, uint32_t refresh, int64_t now_us,
                                   int64_t *until_s);

typedef struct cws_group_member {
        char user[CWS_USER_MAX];
        cws_inv_type type;              /* CWS_TYPE_NONE: left out */
        int64_t until_s;
} cws_group_member;

/* The file's text: every group but those in skip (bit 1 << level), then
 * the members of a type (invalid names are left out). *out is malloc'd.
 * -E2BIG past CWS_NSS_FILE_MAX, -EINVAL for a gid_base out of range. */
int cws_group_file_format(uint32_t gid_base, unsigned skip, const cws_group_member *m, size_t n,
                          char **out, size_t *len);

/* The levels (bit 1 << level) whose group name or gid the group file at
 * path (/etc/group) already has, with a sentence naming them in why.
 * A line is name:password:gid:members; NIS "+"/"-" lines are skipped.
 * -errno when it cannot be read. For cws-status as well as cwsd. */
int cws_group_clashes(const char *path, uint32_t gid_base, unsigned *mask, char *why,
                      size_t whysz);

/* cwsd's memory of the last sweep of each user, and of what it wrote. */
typedef struct cws_groups_user {
        uid_t uid;
        cws_group_sweep sweep;
        char device_id[CWS_ID_MAX];     /* of sweep.best */
        char inv_id[CWS_ID_MAX];
        cws_group_member member;        /* as last computed */
} cws_groups_user;

typedef struct cws_groups {
        cws_groups_user *users;
        size_t n, cap;
        unsigned clashes;               /* as last reported */
        bool reported;
} cws_groups;

typedef struct cws_groups_report {
        bool written;                   /* the file was replaced */
        bool clashes_changed;           /* log why (and cws-status shows it) */
        unsigned clashes;
        char why[512];
        size_t members;
} cws_groups_report;

void cws_groups_init(cws_groups *g);
void cws_groups_free(cws_groups *g);

/* The monitor's verdict on uid after its sweep (cache as it stored it). */
int cws_groups_note_sweep(cws_groups *g, uid_t uid, const cws_cache_entry *cache, bool any_allow,
                          bool unavailable, int64_t now_us);

/* Whether the directory of path exists (cwsd's RuntimeDirectory): where
 * it does not, nothing reads the file and nothing is written. */
bool cws_groups_served(const char *path);

/* Recomputes every user with bindings (all), or uid alone, and writes
 * the file at path (CWS_NSS_GROUP_FILE) when it changed, or always with
 * all (the members' until moves on). A missing directory is not an
 * error: nothing is written (no RuntimeDirectory, as in the tests).
 * etc_group is CWS_ETC_GROUP; a clashing group is left out, and an
 * unreadable etc_group leaves out every group. */
int cws_groups_publish(cws_groups *g, const cws_config *cfg,
                       const uint8_t host_key[CWS_HOST_KEY_LEN], const char *path,
                       const char *etc_group, bool all, uid_t uid, cws_groups_report *rep,
                       cws_error *err);
