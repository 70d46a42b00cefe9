#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/cleanup.h"
#include "cws/group_file.h"
#include "cws/nss_groups.h"
#include "cws/registry.h"
#include "cws/safe_file.h"
#include "cws/seen_revocations.h"

#define US 1000000

/* Whether a counts, and until when (seconds). */
static bool allow_counts(const cws_group_allow *a, bool online, uint32_t grace, uint32_t refresh,
                         int64_t now_us, int64_t *until_s)
{
        int64_t grace_end;

        if (a->type == CWS_TYPE_NONE || a->at_us <= 0 || a->revoked || a->at_us > now_us)
                return false;
        grace_end = a->at_us / US + (int64_t)grace;
        if (!online && now_us - a->at_us > (int64_t)grace * US)
                return false;
        *until_s = grace_end;
        if (online && *until_s < now_us / US + (int64_t)refresh)
                *until_s = now_us / US + (int64_t)refresh;
        return true;
}

cws_inv_type cws_group_member_type(const cws_group_allow *cached, const cws_group_sweep *sweep,
                                   uint32_t offline_grace, uint32_t refresh, int64_t now_us,
                                   int64_t *until_s)
{
        static const cws_group_allow none = { .type = CWS_TYPE_NONE };
        const cws_group_sweep no_sweep = { .outcome = CWS_GROUP_NO_SWEEP };
        bool online;
        cws_group_allow c;
        cws_inv_type best = CWS_TYPE_NONE;
        int64_t u;

        if (!sweep)
                sweep = &no_sweep;
        c = cached ? *cached : none;
        online = sweep->outcome == CWS_GROUP_ALLOWED || sweep->outcome == CWS_GROUP_DENIED;
        /* A verdict after the cached allow overrides it; an offline sweep
         * is none. */
        if (online && c.at_us < sweep->at_us)
                c.type = CWS_TYPE_NONE;
        if (sweep->outcome == CWS_GROUP_DENIED && c.at_us == sweep->at_us)
                c.type = CWS_TYPE_NONE;
        *until_s = 0;
        if (allow_counts(&c, online, offline_grace, refresh, now_us, &u)) {
                best = c.type;
                *until_s = u;
        }
        if (sweep->outcome == CWS_GROUP_ALLOWED &&
            allow_counts(&sweep->best, online, offline_grace, refresh, now_us, &u) &&
            sweep->best.type >= best) {
                if (sweep->best.type > best || u > *until_s)
                        *until_s = u;
                best = sweep->best.type;
        }
        return best;
}

int cws_group_file_format(uint32_t gid_base, unsigned skip, const cws_group_member *m, size_t n,
                          char **out, size_t *len)
{
        _cleanup_free_ char *buf = NULL;
        size_t cap = 256 + n * 128, used = 0;
        int k;

        *out = NULL;
        *len = 0;
        if (gid_base == 0 || gid_base > UINT32_MAX - 1 - CWS_NSS_LEVELS)
                return -EINVAL;
        if (cap > CWS_NSS_FILE_MAX)
                cap = CWS_NSS_FILE_MAX;
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        k = snprintf(buf, cap, "# Written by cwsd: the members of the cws-* groups (nss_cws(8)).\n"
                     CWS_NSS_MAGIC "\n");
        used = (size_t)k;
        for (unsigned l = 1; l <= CWS_NSS_LEVELS; l++) {
                if (skip & (1u << l))
                        continue;
                k = snprintf(buf + used, cap - used, "group %s %u\n", cws_nss_group_name(l),
                             gid_base + l - 1);
                used += (size_t)k;
        }
        for (size_t i = 0; i < n; i++) {
                const char *type = cws_nss_type_name((unsigned)m[i].type);

                if (!type || !cws_name_valid(m[i].user, sizeof(m[i].user)) || m[i].until_s < 0)
                        continue;
                k = snprintf(buf + used, cap - used, "member %s %s %lld\n", m[i].user, type,
                             (long long)m[i].until_s);
                if (k < 0 || (size_t)k >= cap - used)
                        return -E2BIG;
                used += (size_t)k;
        }
        *out = TAKE_PTR(buf);
        *len = used;
        return 0;
}

/* name and gid of a group line; false for a line that is not one. */
static bool group_line(char *line, const char **name, uint64_t *gid)
{
        char *f[3] = { 0 }, *end;
        unsigned n = 0;

        if (line[0] == '+' || line[0] == '-' || line[0] == '#')
                return false;
        /* strsep keeps empty fields (an empty password). */
        for (char *p = line; p && n < 3; n++)
                f[n] = strsep(&p, ":");
        if (n < 3 || !f[0][0] || !f[2] || !f[2][0])
                return false;
        errno = 0;
        *gid = strtoull(f[2], &end, 10);
        if (errno || *end || f[2][0] == '-')
                return false;
        *name = f[0];
        return true;
}

int cws_group_clashes(const char *path, uint32_t gid_base, unsigned *mask, char *why,
                      size_t whysz)
{
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, used = 0;
        ssize_t k;

        *mask = 0;
        if (why && whysz)
                why[0] = '\0';
        if (!f) {
                int e = errno;
                if (why && whysz)
                        snprintf(why, whysz, "%s: cannot read: %s", path, strerror(e));
                return -e;
        }
        while ((k = getline(&line, &cap, f)) > 0) {
                const char *name;
                uint64_t gid;

                if (line[k - 1] == '\n')
                        line[k - 1] = '\0';
                if (!group_line(line, &name, &gid))
                        continue;
                for (unsigned l = 1; l <= CWS_NSS_LEVELS; l++) {
                        bool by_name = strcmp(name, cws_nss_group_name(l)) == 0;
                        bool by_gid = gid == (uint64_t)gid_base + l - 1;
                        int n;

                        if (!by_name && !by_gid)
                                continue;
                        *mask |= 1u << l;
                        if (!why || used >= whysz)
                                continue;
                        if (by_name)
                                n = snprintf(why + used, whysz - used, "%s%s is not served: %s "
                                             "already has a group %s (gid %llu)", used ? "; " : "",
                                             cws_nss_group_name(l), path, name,
                                             (unsigned long long)gid);
                        else
                                n = snprintf(why + used, whysz - used, "%s%s is not served: gid "
                                             "%llu already belongs to group %s in %s",
                                             used ? "; " : "", cws_nss_group_name(l),
                                             (unsigned long long)gid, name, path);
                        if (n > 0)
                                used += (size_t)n;
                }
        }
        if (ferror(f)) {
                if (why && whysz)
                        snprintf(why, whysz, "%s: cannot read: %s", path, strerror(EIO));
                return -EIO;
        }
        return 0;
}

void cws_groups_init(cws_groups *g)
{
        memset(g, 0, sizeof(*g));
}

void cws_groups_free(cws_groups *g)
{
        free(g->users);
        cws_groups_init(g);
}

static cws_groups_user *find_user(cws_groups *g, uid_t uid, bool add)
{
        cws_groups_user *v;

        for (size_t i = 0; i < g->n; i++)
                if (g->users[i].uid == uid)
                        return &g->users[i];
        if (!add)
                return NULL;
        if (g->n == g->cap) {
                size_t cap = g->cap ? 2 * g->cap : 16;
                v = realloc(g->users, cap * sizeof(*v));
                if (!v)
                        return NULL;
                g->users = v;
                g->cap = cap;
        }
        v = &g->users[g->n++];
        memset(v, 0, sizeof(*v));
        v->uid = uid;
        return v;
}

int cws_groups_note_sweep(cws_groups *g, uid_t uid, const cws_cache_entry *cache, bool any_allow,
                          bool unavailable, int64_t now_us)
{
        cws_groups_user *u = find_user(g, uid, true);

        if (!u)
                return -ENOMEM;
        u->sweep = (cws_group_sweep){ .at_us = now_us };
        u->sweep.outcome = any_allow     ? CWS_GROUP_ALLOWED
                           : unavailable ? CWS_GROUP_OFFLINE
                                         : CWS_GROUP_DENIED;
        u->device_id[0] = u->inv_id[0] = '\0';
        /* After an allow in the sweep the cache holds its highest type. */
        if (any_allow && cache->validated_us == now_us) {
                u->sweep.best = (cws_group_allow){ .type = cache->type, .at_us = now_us };
                snprintf(u->device_id, sizeof(u->device_id), "%s", cache->device_id);
                snprintf(u->inv_id, sizeof(u->inv_id), "%s", cache->inv_id);
        }
        return 0;
}

/* Seen revoked, or cannot tell (then it does not count either). */
static bool seen(const char *state_dir, const char *id)
{
        return id[0] && cws_seen_revoked(state_dir, id, NULL) != 0;
}

static void compute_user(cws_groups_user *u, const cws_config *cfg,
                         const uint8_t host_key[CWS_HOST_KEY_LEN], int64_t now_us)
{
        struct passwd pw, *res = NULL;
        char buf[4096], **ids = NULL;
        size_t n = 0;
        cws_cache_entry c;
        cws_group_allow cached = { .type = CWS_TYPE_NONE };
        cws_group_sweep sweep = u->sweep;
        cws_reason why;
        uint32_t refresh = 2 * cfg->monitor_interval + 30;

        memset(&u->member, 0, sizeof(u->member));
        if (getpwuid_r(u->uid, &pw, buf, sizeof(buf), &res) != 0 || !res ||
            !cws_name_valid(res->pw_name, sizeof(u->member.user)))
                return;
        if (cws_binding_list(cfg->state_dir, u->uid, &ids, &n, NULL) < 0 || n == 0) {
                cws_strv_free(ids, n);
                return;
        }
        cws_strv_free(ids, n);
        if (cws_cache_load(cfg->state_dir, host_key, u->uid, res->pw_name, &c, NULL) == 0) {
                /* cws_cache_allows with no age limit: only the revocations. */
                cached.type = c.type;
                cached.at_us = c.validated_us;
                cached.revoked = !cws_cache_allows(&c, cfg->state_dir, CWS_TYPE_NONE, UINT32_MAX,
                                                   now_us, &why) &&
                                 why != CWS_R_REGISTRY_UNAVAILABLE;
        }
        sweep.best.revoked = seen(cfg->state_dir, u->device_id) || seen(cfg->state_dir, u->inv_id);
        u->member.type = cws_group_member_type(&cached, &sweep, cfg->offline_grace, refresh, now_us,
                                               &u->member.until_s);
        snprintf(u->member.user, sizeof(u->member.user), "%s", res->pw_name);
}

/* Every uid with bindings gets an entry; entries of uids without any
 * are dropped. */
static int refresh_all(cws_groups *g, const cws_config *cfg,
                       const uint8_t host_key[CWS_HOST_KEY_LEN], int64_t now_us, cws_error *err)
{
        _cleanup_free_ uid_t *uids = NULL;
        size_t n = 0, kept = 0;
        int r = cws_binding_users(cfg->state_dir, &uids, &n, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!find_user(g, uids[i], true))
                        return cws_error_set(err, -ENOMEM, "groups: out of memory");
        for (size_t i = 0; i < g->n; i++) {
                bool listed = false;

                for (size_t j = 0; j < n && !listed; j++)
                        listed = uids[j] == g->users[i].uid;
                if (!listed)
                        continue;
                g->users[kept] = g->users[i];
                compute_user(&g->users[kept], cfg, host_key, now_us);
                kept++;
        }
        g->n = kept;
        return 0;
}

static bool same_members(const cws_group_member *a, const cws_group_member *b)
{
        return a->type == b->type && strcmp(a->user, b->user) == 0;
}

static int dir_of(const char *path, char dir[PATH_MAX])
{
        char *slash;

        if (snprintf(dir, PATH_MAX, "%s", path) >= PATH_MAX || !(slash = strrchr(dir, '/')))
                return -EINVAL;
        if (slash == dir)
                slash++;
        *slash = '\0';
        return 0;
}

bool cws_groups_served(const char *path)
{
        char dir[PATH_MAX];
        struct stat st;

        return dir_of(path, dir) == 0 && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int cws_groups_publish(cws_groups *g, const cws_config *cfg,
                       const uint8_t host_key[CWS_HOST_KEY_LEN], const char *path,
                       const char *etc_group, bool all, uid_t uid, cws_groups_report *rep,
                       cws_error *err)
{
        _cleanup_free_ cws_group_member *m = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dirfd = -1;
        char dir[PATH_MAX];
        int64_t now_us = cws_cache_now_us();
        unsigned clashes = 0;
        size_t len = 0, n = 0;
        bool changed = all;
        int r;

        memset(rep, 0, sizeof(*rep));
        if (dir_of(path, dir) < 0)
                return cws_error_set(err, -EINVAL, "%s: invalid path", path);
        dirfd = cws_dir_open_checked(dir, err);
        if (dirfd == -ENOENT)
                return 0;       /* no /run/cws: nobody reads the file here */
        if (dirfd < 0)
                return dirfd;
        if (all) {
                r = refresh_all(g, cfg, host_key, now_us, err);
                if (r < 0)
                        return r;
        } else {
                cws_groups_user *u = find_user(g, uid, true);
                cws_group_member before;

                if (!u)
                        return cws_error_set(err, -ENOMEM, "groups: out of memory");
                before = u->member;
                compute_user(u, cfg, host_key, now_us);
                changed = !same_members(&before, &u->member);
        }
        /* /etc/group is read at start and at every sweep, not per request. */
        clashes = g->clashes;
        if ((all || !g->reported) &&
            cws_group_clashes(etc_group, cfg->nss_gid_base, &clashes, rep->why,
                              sizeof(rep->why)) < 0)
                clashes = ((1u << CWS_NSS_LEVELS) - 1) << 1;
        rep->clashes = clashes;
        rep->clashes_changed = !g->reported || clashes != g->clashes;
        changed |= rep->clashes_changed;
        g->clashes = clashes;
        g->reported = true;
        if (!changed)
                return 0;
        m = calloc(g->n ? g->n : 1, sizeof(*m));
        if (!m)
                return cws_error_set(err, -ENOMEM, "groups: out of memory");
        for (size_t i = 0; i < g->n; i++)
                if (g->users[i].member.type != CWS_TYPE_NONE)
                        m[n++] = g->users[i].member;
        r = cws_group_file_format(cfg->nss_gid_base, clashes, m, n, &text, &len);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot format the groups: %s", path, strerror(-r));
        r = cws_file_replace(path, text, len, 0644, false, err);
        if (r < 0)
                return r;
        rep->written = true;
        rep->members = n;
        return 0;
}
