#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cws/cache.h"
#include "cws/cleanup.h"
#include "cws/crypto.h"
#include "cws/hex.h"
#include "cws/protocol.h"
#include "cws/safe_file.h"
#include "cws/seen_revocations.h"

#define CACHE_VERSION "2"
#define CACHE_VERSION_SECONDS "1"   /* validated_at in seconds, revoked ids inside */
#define MAC_KEY "mac"
#define HEX_MAC (2 * CWS_SHA256_LEN)

int64_t cws_cache_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cws_cache_init(cws_cache_entry *e, uid_t uid, const char *user)
{
        memset(e, 0, sizeof(*e));
        e->uid = uid;
        snprintf(e->user, sizeof(e->user), "%s", user);
}

static int cache_path(char out[PATH_MAX], const char *state_dir, uid_t uid, bool dir_only)
{
        int n = dir_only ? snprintf(out, PATH_MAX, "%s/cache", state_dir)
                         : snprintf(out, PATH_MAX, "%s/cache/%u", state_dir, (unsigned)uid);
        return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int mac_hex(const uint8_t host_key[CWS_HOST_KEY_LEN], const char *body, size_t len,
                   char out[HEX_MAC + 1])
{
        static const char info[] = "cws-cache-v1";
        uint8_t key[CWS_SHA256_LEN], mac[CWS_SHA256_LEN];
        int r = cws_hkdf_sha256(host_key, CWS_HOST_KEY_LEN, NULL, 0, info, sizeof(info) - 1, key,
                                sizeof(key));

        if (r == 0)
                r = cws_hmac_sha256(key, sizeof(key), body, len, mac);
        cws_wipe(key, sizeof(key));
        if (r < 0)
                return r;
        cws_hex_encode(mac, sizeof(mac), out, HEX_MAC + 1, false);
        return 0;
}

/* Exactly the fields of each version, each once. */
static const char *const keys[] = { "version", "uid",        "user",   "validated_us",
                                    "profile", "invitation", "device", "type" };
static const char *const keys_seconds[] = { "version", "uid",        "user",   "validated_at",
                                            "profile", "invitation", "device", "type",
                                            "revoked" };

static int encode_body(const cws_cache_entry *e, char *out, size_t outsz, size_t *len)
{
        cws_msg m;

        cws_msg_init(&m);
        if (cws_msg_add(&m, "version", CACHE_VERSION) < 0 ||
            cws_msg_addf(&m, "uid", "%u", (unsigned)e->uid) < 0 ||
            cws_msg_add(&m, "user", e->user) < 0 ||
            cws_msg_addf(&m, "validated_us", "%lld", (long long)e->validated_us) < 0 ||
            cws_msg_add(&m, "profile", e->profile) < 0 ||
            cws_msg_add(&m, "invitation", e->inv_id) < 0 ||
            cws_msg_add(&m, "device", e->device_id) < 0 ||
            cws_msg_add(&m, "type", cws_inv_type_to_string(e->type)) < 0)
                return -EINVAL;
        return cws_msg_encode(&m, out, outsz, len);
}

/* Bumped by every store in this process (any thread). */
static _Atomic uint64_t generation;

static int store(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                 const cws_cache_entry *e, bool durable, cws_error *err)
{
        char path[PATH_MAX], buf[CWS_MSG_MAX + 128], mac[HEX_MAC + 1];
        size_t len = 0;
        int r;

        if (cache_path(path, state_dir, 0, true) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", state_dir);
        r = cws_dir_ensure(path, 0700, err);
        if (r < 0)
                return r;
        cache_path(path, state_dir, e->uid, false);
        if (encode_body(e, buf, sizeof(buf) - HEX_MAC - 8, &len) < 0)
                return cws_error_set(err, -EINVAL, "%s: cannot encode the cache", path);
        r = mac_hex(host_key, buf, len, mac);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot authenticate the cache", path);
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, MAC_KEY "=%s\n", mac);
        r = cws_file_replace(path, buf, len, 0600, durable, err);
        /* After the write, whether or not it went through: a copy read
         * before this point is stale (cws_cache_generation). */
        atomic_fetch_add(&generation, 1);
        return r;
}

uint64_t cws_cache_generation(void)
{
        return atomic_load(&generation);
}

int cws_cache_store(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                    const cws_cache_entry *e, cws_error *err)
{
        return store(state_dir, host_key, e, true, err);
}

int cws_cache_store_changes(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN],
                            const cws_cache_entry *before, const cws_cache_entry *e,
                            cws_error *err)
{
        cws_cache_entry same_time;

        /* Both come from cws_cache_init (zeroed, padding included). */
        if (memcmp(before, e, sizeof(*e)) == 0)
                return 0;
        same_time = *e;
        same_time.validated_us = before->validated_us;
        return store(state_dir, host_key, e, memcmp(before, &same_time, sizeof(*e)) != 0, err);
}

static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
        char *end;
        long long v;

        if (!s || !*s)
                return -EBADMSG;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -EBADMSG;
        *out = v;
        return 0;
}

/* A version-1 cache's "revoked" list (at most 16 ids). */
static int parse_legacy_revoked(const char *s, cws_cache_entry *e)
{
        char copy[CWS_CACHE_LEGACY_REVOKED_MAX * CWS_ID_MAX];
        char *save = NULL;

        if (!s || strlen(s) >= sizeof(copy))
                return -EBADMSG;
        strcpy(copy, s);
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (e->n_legacy_revoked == CWS_CACHE_LEGACY_REVOKED_MAX ||
                    (!cws_id_valid("dev", t) && !cws_id_valid("inv", t)))
                        return -EBADMSG;
                strcpy(e->legacy_revoked[e->n_legacy_revoked++], t);
        }
        return 0;
}

static int copy_field(const cws_msg *m, const char *key, char *out, size_t outsz)
{
        const char *v = cws_msg_get(m, key);
        if (!v || strlen(v) >= outsz)
                return -EBADMSG;
        strcpy(out, v);
        return 0;
}

/* An id field is empty (never validated) or an id the writer would write. */
static int copy_id(const cws_msg *m, const char *key, const char *prefix, char out[CWS_ID_MAX])
{
        if (copy_field(m, key, out, CWS_ID_MAX) < 0 || (out[0] && !cws_id_valid(prefix, out)))
                return -EBADMSG;
        return 0;
}

static int parse_time(const cws_msg *m, bool seconds, int64_t *us)
{
        int64_t v;

        if (!seconds)
                return parse_i64(cws_msg_get(m, "validated_us"), 0, INT64_MAX, us);
        if (parse_i64(cws_msg_get(m, "validated_at"), 0, INT64_MAX / 1000000, &v) < 0)
                return -EBADMSG;
        *us = v * 1000000;
        return 0;
}

int cws_cache_load(const char *state_dir, const uint8_t host_key[CWS_HOST_KEY_LEN], uid_t uid,
                   const char *user, cws_cache_entry *e, cws_error *err)
{
        _cleanup_free_ char *data = NULL;
        char path[PATH_MAX], mac[HEX_MAC + 1], *tail;
        size_t len = 0, body;
        const char *version, *bad = "";
        int64_t v = 0;
        bool seconds;
        cws_msg m;
        int r;

        cws_cache_init(e, uid, user);
        if (cache_path(path, state_dir, uid, false) < 0)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", state_dir);
        r = cws_file_read_checked(path, CWS_MSG_MAX + 128, CWS_FILE_SECRET | CWS_FILE_PARENTS, &data,
                                  &len, err);
        if (r < 0)
                return r;
        /* The MAC line is last; it covers every byte before it. */
        tail = len > HEX_MAC + 5 ? data + len - (HEX_MAC + 5) : NULL;
        if (!tail || strncmp(tail, MAC_KEY "=", 4) != 0 || (tail > data && tail[-1] != '\n') ||
            data[len - 1] != '\n')
                return cws_error_set(err, -EBADMSG, "%s: not a cache file", path);
        body = (size_t)(tail - data);
        r = mac_hex(host_key, data, body, mac);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot authenticate the cache", path);
        if (!cws_ct_equal(mac, tail + 4, HEX_MAC))
                return cws_error_set(err, -EBADMSG, "%s: does not authenticate (altered?)", path);
        if (cws_msg_decode(&m, data, body) < 0)
                return cws_error_set(err, -EBADMSG, "%s: malformed cache", path);
        version = cws_msg_get(&m, "version") ?: "";
        seconds = strcmp(version, CACHE_VERSION_SECONDS) == 0;
        if (!seconds && strcmp(version, CACHE_VERSION) != 0)
                return cws_error_set(err, -EBADMSG, "%s: unknown cache version", path);
        if (cws_msg_keys_exact(&m, seconds ? keys_seconds : keys,
                               seconds ? CWS_ELEMENTSOF(keys_seconds) : CWS_ELEMENTSOF(keys),
                               &bad) < 0)
                return cws_error_set(err, -EBADMSG, "%s: malformed cache (field \"%.32s\" missing or "
                                     "unknown)", path, bad);
        if (parse_i64(cws_msg_get(&m, "uid"), 0, UINT32_MAX - 1, &v) < 0 || (uid_t)v != uid ||
            strcmp(cws_msg_get(&m, "user") ?: "", user) != 0)
                return cws_error_set(err, -EBADMSG, "%s: cache is for another user", path);
        if (parse_time(&m, seconds, &e->validated_us) < 0 ||
            copy_field(&m, "profile", e->profile, sizeof(e->profile)) < 0 ||
            copy_id(&m, "invitation", "inv", e->inv_id) < 0 ||
            copy_id(&m, "device", "dev", e->device_id) < 0 || !cws_msg_get(&m, "type") ||
            (seconds && parse_legacy_revoked(cws_msg_get(&m, "revoked"), e) < 0))
                return cws_error_set(err, -EBADMSG, "%s: malformed cache", path);
        if (strcmp(cws_msg_get(&m, "type"), "none") == 0)
                e->type = CWS_TYPE_NONE;
        else if (cws_inv_type_from_string(cws_msg_get(&m, "type"), &e->type) < 0)
                return cws_error_set(err, -EBADMSG, "%s: malformed cache", path);
        return 0;
}

static bool legacy_revoked(const cws_cache_entry *e, const char *id)
{
        for (unsigned i = 0; id[0] && i < e->n_legacy_revoked; i++)
                if (strcmp(e->legacy_revoked[i], id) == 0)
                        return true;
        return false;
}

void cws_cache_note_allow(cws_cache_entry *e, const char *profile, const char *inv_id,
                          const char *device_id, cws_inv_type type, int64_t now_us)
{
        /* Several bindings validated at the same time (the monitor's
         * sweep): the offline decision keeps the highest type. */
        if (e->validated_us == now_us && type < e->type)
                return;
        e->validated_us = now_us;
        e->type = type;
        snprintf(e->profile, sizeof(e->profile), "%s", profile ? profile : "");
        snprintf(e->inv_id, sizeof(e->inv_id), "%s", inv_id ? inv_id : "");
        snprintf(e->device_id, sizeof(e->device_id), "%s", device_id ? device_id : "");
}

/* The device and invitation are looked up among the seen revocations
 * (one look at the directory) and in a version-1 cache's own list. */
bool cws_cache_allows(const cws_cache_entry *e, const char *state_dir, cws_inv_type min_type,
                      uint32_t max_age, int64_t now_us, cws_reason *why)
{
        return cws_cache_allows_at(e, -1, state_dir, min_type, max_age, now_us, why);
}

bool cws_cache_allows_at(const cws_cache_entry *e, int state_fd, const char *state_dir,
                         cws_inv_type min_type, uint32_t max_age, int64_t now_us, cws_reason *why)
{
        int seen, dev, inv;

        *why = CWS_R_REGISTRY_UNAVAILABLE;
        if (e->validated_us <= 0 || !e->device_id[0])
                return false;
        seen = cws_seen_revoked_pair_at(state_fd, state_dir, e->device_id, e->inv_id, NULL);
        dev = legacy_revoked(e, e->device_id) || (seen > 0 && (seen & 1));
        inv = legacy_revoked(e, e->inv_id) || (seen > 0 && (seen & 2));
        if (seen < 0) {
                *why = CWS_R_INTERNAL_ERROR;
                return false;
        }
        if (dev) {
                *why = CWS_R_DEVICE_REVOKED;
                return false;
        }
        if (inv) {
                *why = CWS_R_INVITATION_REVOKED;
                return false;
        }
        /* No grace allows nothing; a clock set back must not stretch it. */
        if (max_age == 0 || now_us < e->validated_us ||
            now_us - e->validated_us > (int64_t)max_age * 1000000)
                return false;
        if (e->type < min_type) {
                *why = CWS_R_INSUFFICIENT_TYPE;
                return false;
        }
        *why = CWS_R_OK;
        return true;
}
