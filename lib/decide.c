/* The per-user decision over all of a user's bindings (decide.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/cleanup.h"
#include "cws/decide.h"
#include "cws/fingerprint.h"
#include "cws/seen_revocations.h"
#include "cws/trust.h"

static void say(const cws_decide_params *p, int prio, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(const cws_decide_params *p, int prio, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (!p->log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->log(p->userdata, prio, msg);
}

static void add_finding(cws_user_verdict *v, cws_finding_kind kind, const cws_decision *d,
                        const char *what)
{
        if (v->n_findings == CWS_FINDINGS_MAX) {
                v->findings_dropped++;
                return;
        }
        v->findings[v->n_findings++] = (cws_finding){ .kind = kind, .d = *d, .what = what };
}

/* A revocation the registry reports is remembered; a binding whose device
 * or invitation this host saw revoked is refused whatever the registry
 * says now (an allow, or no answer: no offline grace for it), and a
 * registry that allows it again has lost the record (a storage writer
 * deleted it?): *tampered. */
int cws_decide_apply_seen(const cws_decide_params *p, cws_decision *d, bool *tampered)
{
        cws_error err = { 0 };
        const char *id = d->reason == CWS_R_DEVICE_REVOKED ? d->device_id : d->inv_id;
        int dev, inv, r;

        *tampered = false;
        if (cws_reason_is_revoked(d->reason)) {
                r = cws_seen_revoked_add(p->state_dir, id, &err);
                if (r < 0)
                        say(p, LOG_ERR, "cannot remember the revocation of %s: %s", id,
                            cws_error_message(&err));
                return r == 1;
        }
        /* Any other denial from the registry stands as it is. */
        if (!d->allow && d->reason != CWS_R_REGISTRY_UNAVAILABLE)
                return 0;
        r = cws_seen_revoked_pair_at(p->state_fd, p->state_dir, d->device_id, d->inv_id, &err);
        dev = r < 0 ? r : r & 1;
        inv = r < 0 ? r : r & 2;
        if (r < 0) {
                say(p, LOG_ERR, "%s", cws_error_message(&err));
                d->allow = false;
                d->reason = CWS_R_INTERNAL_ERROR;
                snprintf(d->detail, sizeof(d->detail), "cannot read the seen revocations");
                return 0;
        }
        if (!dev && !inv)
                return 0;
        *tampered = d->allow;
        d->allow = false;
        d->reason = dev ? CWS_R_DEVICE_REVOKED : CWS_R_INVITATION_REVOKED;
        snprintf(d->detail, sizeof(d->detail), "%s revoked (seen by this host)",
                 dev ? "device" : "invitation");
        return 0;
}

/* The user's cache, or a new one, and in *before what was on disk; true
 * when it was read from disk. Ids a
 * version-1 cache remembered as revoked move into the seen revocations
 * (the next store drops them). */
static bool load_cache(const cws_decide_params *p, uid_t uid, const char *user,
                       cws_cache_entry *cache, cws_cache_entry *before)
{
        cws_error err = { 0 };
        int r = cws_cache_load(p->state_dir, p->host_key, uid, user, cache, &err);
        bool loaded = r == 0;

        if (r < 0 && r != -ENOENT)
                say(p, LOG_WARNING, "%s (starting a new cache)", cws_error_message(&err));
        if (r < 0)
                cws_cache_init(cache, uid, user);
        *before = *cache;
        for (unsigned i = 0; i < cache->n_legacy_revoked; i++)
                if (cws_seen_revoked_add(p->state_dir, cache->legacy_revoked[i], &err) < 0) {
                        say(p, LOG_ERR, "%s", cws_error_message(&err));
                        return loaded;   /* kept in the cache until it can move */
                }
        cache->n_legacy_revoked = 0;
        memset(cache->legacy_revoked, 0, sizeof(cache->legacy_revoked));
        return loaded;
}

static bool wanted(const cws_decide_params *p, const cws_binding *b)
{
        if (!p->only_ids)
                return true;
        for (size_t i = 0; i < p->n_only_ids; i++)
                if (strcmp(p->only_ids[i], b->inv_id) == 0 ||
                    strcmp(p->only_ids[i], b->device_id) == 0)
                        return true;
        return false;
}

/* One binding that opened: the registry's answer (or, with no registry,
 * "unavailable"), then the seen revocations. */
static void decide_binding(const cws_decide_params *p, const cws_trust *trust,
                           const cws_binding *b, const cws_fingerprint *fp, cws_user_verdict *v,
                           cws_decision *cur)
{
        bool tampered = false;

        if (p->registry) {
                cws_validate_binding(p->registry, trust, b, fp, p->min_type,
                                     p->now_us / 1000000, cur);
        } else {
                bool stable_deny = false;

                memset(cur, 0, sizeof(*cur));
                cur->reason = CWS_R_REGISTRY_UNAVAILABLE;
                cur->violations = cws_fingerprint_compare(&b->fp, fp, &stable_deny);
                snprintf(cur->profile, sizeof(cur->profile), "%s", b->profile);
                snprintf(cur->inv_id, sizeof(cur->inv_id), "%s", b->inv_id);
                snprintf(cur->device_id, sizeof(cur->device_id), "%s", b->device_id);
                snprintf(cur->detail, sizeof(cur->detail), "the registry is marked down");
        }
        if (cur->tampered)
                add_finding(v, CWS_FIND_TAMPERING, cur,
                            "a revocation in the registry was deleted or written over");
        if (!p->every_binding && cur->violations)
                add_finding(v, CWS_FIND_DRIFT, cur, NULL);
        if (cws_decide_apply_seen(p, cur, &tampered) == 1)
                add_finding(v, CWS_FIND_REVOCATION_NEW, cur, NULL);
        if (tampered)
                add_finding(v, CWS_FIND_TAMPERING, cur,
                            cur->reason == CWS_R_DEVICE_REVOKED
                                    ? "the registry no longer holds the revocation of this "
                                      "device that this host saw"
                                    : "the registry no longer holds the revocation of this "
                                      "invitation that this host saw");
}

/* Asks about every binding of the user; for a login the first allow wins.
 * Otherwise a tamper or copy finding is reported before anything else,
 * then a binding the registry could not be asked about (the offline rules
 * may still allow it), then the denial of the newest enrollment (the one
 * a person is most likely asking about). Every registry allow is folded
 * into the cache. */
static void decide_bindings(const cws_decide_params *p, uid_t uid, const char *user,
                            cws_cache_entry *cache, cws_user_verdict *v)
{
        char **ids = NULL;
        size_t n = 0;
        cws_error err = { 0 };
        cws_fingerprint fp;
        cws_trust trust;
        int64_t newest = -1;
        bool security_finding = false;
        cws_decision offline = { .allow = false };
        cws_decision *d = &v->d;
        cws_decide_params paced = *p;   /* its now_us moves on with the pacing */

        if (cws_binding_list(p->state_dir, uid, &ids, &n, &err) < 0) {
                d->reason = CWS_R_INTERNAL_ERROR;
                say(p, LOG_ERR, "%s", cws_error_message(&err));
                return;
        }
        if (n == 0)
                return;
        if (p->fp)
                fp = *p->fp;
        if (cws_trust_load(p->trusted_keys, &trust, &err) < 0 ||
            (!p->fp && cws_fingerprint_collect(uid, user, &fp, &err) < 0)) {
                say(p, LOG_ERR, "%s", cws_error_message(&err));
                d->reason = CWS_R_INTERNAL_ERROR;
                cws_strv_free(ids, n);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                cws_binding b;
                cws_decision cur = { .allow = false };
                cws_reason why = CWS_R_INTERNAL_ERROR;
                int64_t enrolled_at = 0;

                if (cws_binding_load(p->state_dir, p->host_key, uid, user, ids[i], &b, &why,
                                     &err) < 0) {
                        /* The monitor leaves a binding that does not open
                         * to the login that uses it. */
                        if (p->every_binding)
                                continue;
                        cur.reason = why;
                        snprintf(cur.inv_id, sizeof(cur.inv_id), "%s", ids[i]);
                        if (why == CWS_R_PROFILE_COPY_DETECTED)
                                cur.violations = CWS_FP_PROFILE_COPY_DETECTED;
                        say(p, LOG_WARNING, "binding %s of %s: %s", ids[i], user,
                            cws_error_message(&err));
                        if (why == CWS_R_PROFILE_COPY_DETECTED || why == CWS_R_TAMPER_DETECTED)
                                add_finding(v, CWS_FIND_BINDING_BROKEN, &cur, NULL);
                } else {
                        if (!wanted(p, &b)) {
                                cws_wipe(&b, sizeof(b));
                                continue;
                        }
                        if (p->registry && p->pace && p->pace(p->pace_data, &paced.now_us)) {
                                cws_wipe(&b, sizeof(b));
                                break;
                        }
                        decide_binding(&paced, &trust, &b, &fp, v, &cur);
                        enrolled_at = b.enrolled_at;
                        cws_wipe(&b, sizeof(b));
                        if (cur.allow)
                                cws_cache_note_allow(cache, cur.profile, cur.inv_id,
                                                     cur.device_id, cur.type, paced.now_us);
                }
                v->n_bindings++;
                v->any_allow |= cur.allow;
                v->any_revoked |= cws_reason_is_revoked(cur.reason);
                if (cur.reason == CWS_R_REGISTRY_UNAVAILABLE && !v->registry_unavailable) {
                        v->registry_unavailable = true;
                        snprintf(v->unavailable_detail, sizeof(v->unavailable_detail), "%s",
                                 cur.detail);
                }
                if (d->allow)
                        continue;   /* the monitor goes on after an allow */
                if (cur.allow) {
                        *d = cur;
                        if (p->every_binding)
                                continue;
                        break;
                }
                if (security_finding)
                        continue;
                if (cur.reason == CWS_R_REGISTRY_UNAVAILABLE && offline.reason == CWS_R_OK)
                        offline = cur;
                security_finding = cur.reason == CWS_R_TAMPER_DETECTED ||
                                   cur.reason == CWS_R_PROFILE_COPY_DETECTED;
                if (security_finding || enrolled_at > newest) {
                        *d = cur;
                        newest = enrolled_at;
                }
        }
        if (!d->allow && !security_finding && offline.reason == CWS_R_REGISTRY_UNAVAILABLE)
                *d = offline;
        cws_strv_free(ids, n);
}


static void decision_from_cache(const cws_cache_entry *c, cws_decision *d)
{
        memset(d, 0, sizeof(*d));
        d->allow = true;
        d->reason = CWS_R_OK;
        d->type = c->type;
        snprintf(d->profile, sizeof(d->profile), "%s", c->profile);
        snprintf(d->inv_id, sizeof(d->inv_id), "%s", c->inv_id);
        snprintf(d->device_id, sizeof(d->device_id), "%s", c->device_id);
}

static bool cache_answers(const cws_decide_params *p, cws_cache_entry *cache,
                          cws_user_verdict *v)
{
        cws_reason why;

        if (p->every_binding || p->max_cache_age == 0 ||
            !cws_cache_allows_at(cache, p->state_fd, p->state_dir, p->min_type, p->max_cache_age,
                                 p->now_us, &why))
                return false;
        decision_from_cache(cache, &v->d);
        v->from_cache = true;
        return true;
}

bool cws_decide_from_cache(const cws_decide_params *p, cws_cache_memo *memo, uid_t uid,
                           const char *user, cws_user_verdict *v)
{
        cws_cache_entry cache, before;
        cws_error err = { 0 };

        memset(v, 0, sizeof(*v));
        v->d.reason = CWS_R_NOT_ENROLLED;
        if (p->every_binding || p->max_cache_age == 0)
                return false;
        if (memo && cws_cache_memo_get(memo, uid, user, &cache)) {
                before = cache;
        } else {
                uint64_t generation = cws_cache_generation();

                if (load_cache(p, uid, user, &cache, &before) && memo)
                        cws_cache_memo_put(memo, &before, generation);
        }
        if (!cache_answers(p, &cache, v))
                return false;
        if (cws_cache_store_changes(p->state_dir, p->host_key, &before, &cache, &err) < 0)
                say(p, LOG_ERR, "%s", cws_error_message(&err));
        return true;
}

/* A cached validation younger than max_cache_age, else the registry; when
 * the registry cannot be asked, a validation younger than offline_grace
 * with no revocation ever seen. */
void cws_decide_user(const cws_decide_params *p, uid_t uid, const char *user,
                     cws_user_verdict *v)
{
        cws_cache_entry cache, before;
        cws_error err = { 0 };
        cws_reason why;

        memset(v, 0, sizeof(*v));
        v->d.reason = CWS_R_NOT_ENROLLED;
        load_cache(p, uid, user, &cache, &before);
        if (cache_answers(p, &cache, v))
                goto store;
        decide_bindings(p, uid, user, &cache, v);
        if (!p->every_binding && !v->d.allow && v->d.reason == CWS_R_REGISTRY_UNAVAILABLE) {
                if (cws_cache_allows_at(&cache, p->state_fd, p->state_dir, p->min_type,
                                        p->offline_grace, p->now_us, &why)) {
                        decision_from_cache(&cache, &v->d);
                        v->offline = true;
                        v->offline_age_us = p->now_us - cache.validated_us;
                } else if (why != CWS_R_REGISTRY_UNAVAILABLE) {
                        v->d.reason = why;
                }
        }
store:
        if (cws_cache_store_changes(p->state_dir, p->host_key, &before, &cache, &err) < 0)
                say(p, LOG_ERR, "%s", cws_error_message(&err));
}
