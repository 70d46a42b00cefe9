/* cwsd — the host agent. Owns everything slow or secret (registry client,
 * host key, binding store) so that pam_cws.so stays thin. Listens only on
 * a UNIX SOCK_SEQPACKET socket and authorises every request by SO_PEERCRED:
 * anyone may ask about themselves, only root about others. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "cws/binding.h"
#include "cws/cleanup.h"
#include "cws/cache.h"
#include "cws/config.h"
#include "cws/evidence.h"
#include "cws/ledger.h"
#include "cws/peer_limits.h"
#include "cws/safe_file.h"
#include "cws/seen_revocations.h"
#include "cws/session.h"

/* How long a connection may sit without a request, and how long the
 * listening socket rests after accept() ran out of descriptors. */
#define CONN_IDLE_USEC (10 * 1000000ULL)
#define ACCEPT_PAUSE_USEC (200 * 1000ULL)
/* Descriptors kept free of connections: the monitor, the registry, the
 * binding store and the journal need their own. */
#define FD_RESERVE 128

typedef struct agent {
        cws_config cfg;
        cws_peer_limits limits;
        sd_event_source *listener, *accept_pause;
        struct conn *conns;             /* open connections, a list */
        uint64_t refusal_logged_usec;
        cws_session sessions[1024];     /* open sessions pam_cws told us about */
        size_t n_sessions;
        bool audit_failure_reported;
        uint8_t host_key[CWS_HOST_KEY_LEN];
        cws_registry *registry;
        sd_event *event;
        bool socket_activated;
} agent;

typedef struct request {
        agent *a;
        struct ucred peer;
        const cws_msg *in;
        cws_msg *out;
        uid_t uid;               /* the user asked about */
        const char *user;
} request;

static void log_line(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(int prio, const char *fmt, ...)
{
        va_list ap;
        /* stderr goes to the journal under systemd; the <N> prefix keeps
         * the priority. Evidence records proper come with the gate issue. */
        fprintf(stderr, "<%d>", prio);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static int reply_error(request *q, cws_reason reason, const char *message)
{
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "error");
        cws_msg_add(q->out, "reason", cws_reason_to_string(reason));
        cws_msg_add(q->out, "message", message);
        return 0;
}

/* Resolves user= and applies the peer rule. */
static int authorise_user(request *q)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        const char *user = cws_msg_get(q->in, "user");

        if (!user || !cws_name_valid(user, CWS_USER_MAX))
                return reply_error(q, CWS_R_BAD_REQUEST, "missing or invalid user name"), -EINVAL;
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
                return reply_error(q, CWS_R_BAD_REQUEST, "no such user"), -ENOENT;
        if (q->peer.uid != 0 && q->peer.uid != res->pw_uid) {
                log_line(LOG_WARNING, "refused: uid %u asked about user %s", (unsigned)q->peer.uid,
                         user);
                return reply_error(q, CWS_R_PERMISSION_DENIED,
                                   "only root may ask about another user"), -EPERM;
        }
        q->uid = res->pw_uid;
        q->user = user;
        return 0;
}

static int load_trust(agent *a, cws_trust *t, cws_error *err)
{
        /* Read at every request: pinning a new administrator key needs no
         * restart, and the file is small. */
        return cws_trust_load(a->cfg.trusted_keys, t, err);
}

static void put_decision(cws_msg *out, const cws_decision *d)
{
        char drift[256] = "";

        cws_msg_init(out);
        cws_msg_add(out, "status", "ok");
        cws_msg_add(out, "decision", d->allow ? "allow" : "deny");
        cws_msg_add(out, "reason", cws_reason_to_string(d->reason));
        if (d->profile[0])
                cws_msg_add(out, "profile", d->profile);
        if (d->inv_id[0])
                cws_msg_add(out, "invitation", d->inv_id);
        if (d->device_id[0])
                cws_msg_add(out, "device", d->device_id);
        if (d->type != CWS_TYPE_NONE)
                cws_msg_add(out, "type", cws_inv_type_to_string(d->type));
        cws_violations_format(d->violations, drift, sizeof(drift));
        if (drift[0])
                cws_msg_add(out, "violations", drift);
}

static void emit(agent *a, const cws_event *ev);

/* A fingerprint that differs from the enrolled one at or above
 * alert_threshold is a violation on record, allowed (drift) or not. */
static void report_drift(agent *a, const char *user, const char *service, const cws_decision *d)
{
        char list[256];
        cws_risk risk = cws_violation_risk(d->violations);

        if (!d->violations || risk < a->cfg.alert_threshold)
                return;
        cws_violations_format(d->violations, list, sizeof(list));
        cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd", .user = user,
                         .profile = d->profile, .invitation = d->inv_id, .device = d->device_id,
                         .service = service, .reason = d->reason, .violation = list,
                         .risk = cws_risk_to_string(risk) };
        emit(a, &ev);
}

static void emit(agent *a, const cws_event *ev)
{
        cws_evidence_result res;

        cws_evidence_emit(ev, true, &res);
        if (res.audit < 0 && !a->audit_failure_reported) {
                a->audit_failure_reported = true;
                log_line(LOG_ERR, "cannot write audit records: %s (reported once)", strerror(-res.audit));
        }
}

static bool revoked_reason(cws_reason r)
{
        return r == CWS_R_DEVICE_REVOKED || r == CWS_R_INVITATION_REVOKED;
}

/* A revocation seen once is final on this host: a binding whose device or
 * invitation this host saw revoked is refused whatever the registry says
 * now (an allow, or no answer: no offline grace for it), and a registry
 * that allows it again has lost the record (a storage writer deleted it?),
 * which is put on record as tampering. A revocation the registry reports
 * is remembered. True when it is new to this host. */
static bool apply_seen_revocations(agent *a, const char *user, const char *service,
                                   cws_decision *d)
{
        cws_error err = { 0 };
        const char *id = d->reason == CWS_R_DEVICE_REVOKED ? d->device_id : d->inv_id;
        int dev, inv, r;

        if (revoked_reason(d->reason)) {
                r = cws_seen_revoked_add(a->cfg.state_dir, id, &err);
                if (r < 0)
                        log_line(LOG_ERR, "cannot remember the revocation of %s: %s", id,
                                 cws_error_message(&err));
                return r == 1;
        }
        /* Any other denial from the registry stands as it is. */
        if (!d->allow && d->reason != CWS_R_REGISTRY_UNAVAILABLE)
                return false;
        dev = cws_seen_revoked(a->cfg.state_dir, d->device_id, &err);
        inv = dev < 0 ? dev : cws_seen_revoked(a->cfg.state_dir, d->inv_id, &err);
        if (dev < 0 || inv < 0) {
                log_line(LOG_ERR, "%s", cws_error_message(&err));
                d->allow = false;
                d->reason = CWS_R_INTERNAL_ERROR;
                snprintf(d->detail, sizeof(d->detail), "cannot read the seen revocations");
                return false;
        }
        if (!dev && !inv)
                return false;
        if (d->allow) {
                id = dev ? d->device_id : d->inv_id;
                log_line(LOG_WARNING, "the registry no longer holds the revocation of %s that this "
                         "host saw (record deleted: possible tampering); still refused", id);
                cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd", .user = user,
                                 .profile = d->profile, .invitation = d->inv_id,
                                 .device = d->device_id, .service = service,
                                 .reason = CWS_R_RECORD_MISSING, .violation = "record_missing",
                                 .risk = cws_risk_to_string(CWS_RISK_CRITICAL) };
                emit(a, &ev);
        }
        d->allow = false;
        d->reason = dev ? CWS_R_DEVICE_REVOKED : CWS_R_INVITATION_REVOKED;
        snprintf(d->detail, sizeof(d->detail), "%s revoked (seen by this host)",
                 dev ? "device" : "invitation");
        return false;
}

/* The user's cache, or a new one, and in *before what was on disk. Ids a
 * version-1 cache remembered as revoked move into the seen revocations
 * (the next store drops them). */
static void load_cache(agent *a, uid_t uid, const char *user, cws_cache_entry *cache,
                       cws_cache_entry *before)
{
        cws_error err = { 0 };
        int r = cws_cache_load(a->cfg.state_dir, a->host_key, uid, user, cache, &err);

        if (r < 0 && r != -ENOENT)
                log_line(LOG_WARNING, "%s (starting a new cache)", cws_error_message(&err));
        if (r < 0)
                cws_cache_init(cache, uid, user);
        *before = *cache;
        for (unsigned i = 0; i < cache->n_legacy_revoked; i++)
                if (cws_seen_revoked_add(a->cfg.state_dir, cache->legacy_revoked[i], &err) < 0) {
                        log_line(LOG_ERR, "%s", cws_error_message(&err));
                        return;   /* kept in the cache until it can move */
                }
        cache->n_legacy_revoked = 0;
        memset(cache->legacy_revoked, 0, sizeof(cache->legacy_revoked));
}

/* Asks the registry about every binding of the user; the first allow
 * wins. Otherwise a tamper or copy finding is reported before anything
 * else, then a binding the registry could not be asked about (the
 * offline rules may still allow it), then the denial of the newest
 * enrollment (the one a person is most likely asking about). Every
 * registry allow is folded into the cache. */
static void validate_bindings(agent *a, uid_t uid, const char *user, const char *service,
                              cws_inv_type min, int64_t now_us, cws_cache_entry *cache,
                              cws_decision *d)
{
        char **ids = NULL;
        size_t n = 0;
        cws_error err = { 0 };
        cws_fingerprint fp;
        cws_trust trust;
        int64_t newest = -1;
        bool security_finding = false, unavailable = false;
        cws_decision offline = { .allow = false };

        if (cws_binding_list(a->cfg.state_dir, uid, &ids, &n, &err) < 0) {
                d->reason = CWS_R_INTERNAL_ERROR;
                log_line(LOG_ERR, "%s", cws_error_message(&err));
                return;
        }
        if (n == 0)
                return;
        if (load_trust(a, &trust, &err) < 0 || cws_fingerprint_collect(uid, user, &fp, &err) < 0) {
                log_line(LOG_ERR, "%s", cws_error_message(&err));
                d->reason = CWS_R_INTERNAL_ERROR;
                cws_strv_free(ids, n);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                cws_binding b;
                cws_decision cur = { .allow = false };
                cws_reason why = CWS_R_INTERNAL_ERROR;
                int64_t enrolled_at = 0;

                if (cws_binding_load(a->cfg.state_dir, a->host_key, uid, user, ids[i], &b, &why,
                                     &err) < 0) {
                        cur.reason = why;
                        snprintf(cur.inv_id, sizeof(cur.inv_id), "%s", ids[i]);
                        if (why == CWS_R_PROFILE_COPY_DETECTED)
                                cur.violations = CWS_FP_PROFILE_COPY_DETECTED;
                        log_line(LOG_WARNING, "binding %s of %s: %s", ids[i], user,
                                 cws_error_message(&err));
                        if (why == CWS_R_PROFILE_COPY_DETECTED || why == CWS_R_TAMPER_DETECTED) {
                                /* A binding that does not open is critical
                                 * whatever alert_threshold says. */
                                cws_event ev = { .kind = CWS_EV_VIOLATION, .program = "cwsd",
                                                 .user = user, .invitation = ids[i],
                                                 .service = service, .reason = why,
                                                 .violation = cws_reason_to_string(why),
                                                 .risk = cws_risk_to_string(CWS_RISK_CRITICAL) };
                                emit(a, &ev);
                        }
                } else {
                        cws_validate_binding(a->registry, &trust, &b, &fp, min,
                                             now_us / 1000000, &cur);
                        enrolled_at = b.enrolled_at;
                        report_drift(a, user, service, &cur);
                        cws_wipe(&b, sizeof(b));
                        apply_seen_revocations(a, user, service, &cur);
                        if (cur.allow)
                                cws_cache_note_allow(cache, cur.profile, cur.inv_id,
                                                     cur.device_id, cur.type, now_us);
                }
                if (cur.allow) {
                        *d = cur;
                        break;
                }
                if (security_finding)
                        continue;
                if (cur.reason == CWS_R_REGISTRY_UNAVAILABLE && !unavailable) {
                        offline = cur;
                        unavailable = true;
                }
                security_finding = cur.reason == CWS_R_TAMPER_DETECTED ||
                                   cur.reason == CWS_R_PROFILE_COPY_DETECTED;
                if (security_finding || enrolled_at > newest) {
                        *d = cur;
                        newest = enrolled_at;
                }
        }
        if (!d->allow && !security_finding && unavailable)
                *d = offline;
        cws_strv_free(ids, n);
}

static void decision_from_cache(const cws_cache_entry *c, cws_decision *d)
{
        d->allow = true;
        d->reason = CWS_R_OK;
        d->type = c->type;
        snprintf(d->profile, sizeof(d->profile), "%s", c->profile);
        snprintf(d->inv_id, sizeof(d->inv_id), "%s", c->inv_id);
        snprintf(d->device_id, sizeof(d->device_id), "%s", c->device_id);
}

/* The decision for (user, service): a cached validation younger than
 * max_cache_age, else the registry; when the registry cannot be asked, a
 * validation younger than offline_grace with no revocation ever seen.
 * Never allows on an error. */
static void validate_user(agent *a, uid_t uid, const char *user, const char *service,
                          cws_decision *d)
{
        cws_inv_type min = cws_config_min_type_for_service(&a->cfg, service);
        int64_t now_us = cws_cache_now_us();
        cws_cache_entry cache, before;
        cws_error err = { 0 };
        cws_reason why;

        memset(d, 0, sizeof(*d));
        d->reason = CWS_R_NOT_ENROLLED;
        load_cache(a, uid, user, &cache, &before);
        if (a->cfg.max_cache_age > 0 &&
            cws_cache_allows(&cache, a->cfg.state_dir, min, a->cfg.max_cache_age, now_us, &why)) {
                decision_from_cache(&cache, d);
                goto store;
        }
        validate_bindings(a, uid, user, service, min, now_us, &cache, d);
        if (!d->allow && d->reason == CWS_R_REGISTRY_UNAVAILABLE) {
                log_line(LOG_WARNING, "registry unavailable for %s: %s", user, d->detail);
                if (cws_cache_allows(&cache, a->cfg.state_dir, min, a->cfg.offline_grace, now_us,
                                     &why)) {
                        decision_from_cache(&cache, d);
                        log_line(LOG_NOTICE, "registry unavailable: %s allowed from a validation %.1fs old",
                                 user, (double)(now_us - cache.validated_us) / 1e6);
                } else if (why != CWS_R_REGISTRY_UNAVAILABLE) {
                        d->reason = why;
                }
        }
store:
        if (cws_cache_store_changes(a->cfg.state_dir, a->host_key, &before, &cache, &err) < 0)
                log_line(LOG_ERR, "%s", cws_error_message(&err));
}

/* The session's process is the peer the kernel reports (pam_cws runs in
 * it), never a pid the client claims: a later revocation will signal it.
 * Only root peers register sessions: login programs run PAM as root, and
 * a user must not be able to fill the table with processes of their own
 * (pushing out their real sessions) or to register a process whose pid
 * the kernel has since given to someone else. An entry whose leader is
 * gone is dropped before anything is evicted. */
static void session_note(agent *a, const request *q, bool open)
{
        cws_session s;
        cws_error err = { 0 };
        uint64_t start;

        if (q->peer.pid <= 0 || q->peer.uid != 0)
                return;
        if (cws_session_init(&s, q->uid, q->peer.pid, (int64_t)time(NULL), &err) < 0) {
                log_line(LOG_WARNING, "%s (session not registered)", cws_error_message(&err));
                return;
        }
        for (size_t i = 0; i < a->n_sessions; i++)
                if (a->sessions[i].uid == s.uid && a->sessions[i].pid == s.pid &&
                    a->sessions[i].start_time == s.start_time) {
                        if (!open)
                                a->sessions[i] = a->sessions[--a->n_sessions];
                        return;
                }
        if (!open)
                return;
        if (a->n_sessions == CWS_ELEMENTSOF(a->sessions)) {
                for (size_t i = 0; i < a->n_sessions;) {
                        if (cws_process_start_time(a->sessions[i].pid, &start) < 0 ||
                            start != a->sessions[i].start_time)
                                a->sessions[i] = a->sessions[--a->n_sessions];
                        else
                                i++;
                }
        }
        if (a->n_sessions == CWS_ELEMENTSOF(a->sessions)) {
                log_line(LOG_WARNING, "%zu sessions registered: forgetting the oldest", a->n_sessions);
                memmove(&a->sessions[0], &a->sessions[1], sizeof(a->sessions[0]) * (a->n_sessions-- - 1));
        }
        a->sessions[a->n_sessions++] = s;
}

/* Ends every registered session of uid (terminate_on_revoke). */
static void terminate_sessions(agent *a, uid_t uid, const char *user)
{
        cws_error err = { 0 };
        size_t i = 0;

        while (i < a->n_sessions) {
                cws_session s = a->sessions[i];
                int r;

                if (s.uid != uid) {
                        i++;
                        continue;
                }
                r = cws_session_terminate(&s, true, &err);
                if (r < 0) {
                        /* Kept: the next sweep tries again. */
                        log_line(LOG_ERR, "cannot end the session of %s: %s", user, cws_error_message(&err));
                        i++;
                        continue;
                }
                a->sessions[i] = a->sessions[--a->n_sessions];
                if (r != CWS_SESSION_GONE)
                        log_line(LOG_NOTICE, "ended the session of %s (leader pid %ld, %s)", user,
                                 (long)s.pid, r == CWS_SESSION_LOGIND ? "through logind" : "SIGTERM");
        }
}

/* The revocation monitor for one user: every binding validated against
 * the registry, the answers folded into the user's cache. A revocation
 * seen for the first time is put on record. With terminate_on_revoke, a
 * user left with a revoked binding and none that validates loses the
 * sessions pam_cws registered; nothing ends while the registry is
 * unreachable. */
static void monitor_user(agent *a, uid_t uid, int64_t now_us)
{
        struct passwd pwbuf, *pw = NULL;
        char buf[4096], **ids = NULL;
        size_t n = 0;
        cws_error err = { 0 };
        cws_cache_entry cache, before;
        cws_fingerprint fp;
        cws_trust trust;
        bool any_allow = false, any_revoked = false, unavailable = false;
        const char *user;

        if (getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw ||
            !cws_name_valid(pw->pw_name, CWS_USER_MAX))
                return;   /* no such user any more: nobody to gate */
        user = pw->pw_name;
        if (cws_binding_list(a->cfg.state_dir, uid, &ids, &n, &err) < 0 || n == 0 ||
            load_trust(a, &trust, &err) < 0 || cws_fingerprint_collect(uid, user, &fp, &err) < 0) {
                if (err.code)
                        log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
                cws_strv_free(ids, n);
                return;
        }
        load_cache(a, uid, user, &cache, &before);
        for (size_t i = 0; i < n; i++) {
                cws_binding b;
                cws_decision cur = { .allow = false };
                cws_reason why;

                /* A binding that does not open is reported when someone
                 * logs in with it; the monitor has nothing to add. */
                if (cws_binding_load(a->cfg.state_dir, a->host_key, uid, user, ids[i], &b, &why,
                                     NULL) < 0)
                        continue;
                cws_validate_binding(a->registry, &trust, &b, &fp, CWS_TYPE_NONE, now_us / 1000000,
                                     &cur);
                cws_wipe(&b, sizeof(b));
                bool is_new = apply_seen_revocations(a, user, NULL, &cur);
                if (cur.allow)
                        cws_cache_note_allow(&cache, cur.profile, cur.inv_id, cur.device_id,
                                             cur.type, now_us);
                any_allow |= cur.allow;
                unavailable |= cur.reason == CWS_R_REGISTRY_UNAVAILABLE;
                if (!revoked_reason(cur.reason))
                        continue;
                any_revoked = true;
                if (!is_new)
                        continue;
                log_line(LOG_NOTICE, "monitor: user=%s invitation=%s device=%s reason=%s", user,
                         cur.inv_id, cur.device_id, cws_reason_to_string(cur.reason));
                cws_event ev = { .kind = CWS_EV_REVOCATION_SEEN, .program = "cwsd", .user = user,
                                 .profile = cur.profile, .invitation = cur.inv_id,
                                 .device = cur.device_id, .reason = cur.reason };
                emit(a, &ev);
        }
        cws_strv_free(ids, n);
        if (cws_cache_store_changes(a->cfg.state_dir, a->host_key, &before, &cache, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        if (a->cfg.terminate_on_revoke && any_revoked && !any_allow && !unavailable)
                terminate_sessions(a, uid, user);
}

static int on_monitor(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        cws_error err = { 0 };
        uid_t *uids = NULL;
        size_t n = 0;
        int64_t now_us = cws_cache_now_us();

        (void)usec;
        if (cws_binding_users(a->cfg.state_dir, &uids, &n, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        for (size_t i = 0; i < n; i++)
                monitor_user(a, uids[i], now_us);
        free(uids);
        sd_event_source_set_time_relative(s, (uint64_t)a->cfg.monitor_interval * 1000000u);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int op_validate(request *q)
{
        const char *service = cws_msg_get(q->in, "service");
        const char *phase = cws_msg_get(q->in, "phase");
        cws_decision d;

        if (authorise_user(q) < 0)
                return 0;
        if (!service || !cws_name_valid(service, CWS_NAME_MAX))
                return reply_error(q, CWS_R_BAD_REQUEST, "missing or invalid service name");
        validate_user(q->a, q->uid, q->user, service, &d);
        put_decision(q->out, &d);
        if (d.allow && phase && strcmp(phase, "session") == 0)
                session_note(q->a, q, true);
        log_line(d.allow ? LOG_INFO : LOG_NOTICE, "validate user=%s service=%s decision=%s reason=%s%s%s",
                 q->user, service, d.allow ? "allow" : "deny", cws_reason_to_string(d.reason),
                 d.allow || !d.detail[0] ? "" : " detail=", d.allow ? "" : d.detail);
        return 0;
}

static int op_session_close(request *q)
{
        if (authorise_user(q) < 0)
                return 0;
        session_note(q->a, q, false);
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        return 0;
}

static int op_enroll(request *q)
{
        _cleanup_erase_ char *token = NULL;
        const char *tok = cws_msg_get(q->in, "token");
        cws_error err = { 0 };
        cws_fingerprint fp;
        cws_binding b;
        cws_trust trust;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        cws_decision existing;
        char inv_id[CWS_ID_MAX];
        uint8_t secret[CWS_SECRET_LEN];
        int r;

        if (authorise_user(q) < 0)
                return 0;
        if (!tok || cws_token_parse(tok, inv_id, secret) < 0)
                return reply_error(q, CWS_R_BAD_REQUEST, "the invitation token is malformed");
        cws_wipe(secret, sizeof(secret));
        r = cws_seen_revoked(q->a->cfg.state_dir, inv_id, &err);
        if (r != 0)
                return reply_error(q, r < 0 ? CWS_R_INTERNAL_ERROR : CWS_R_INVITATION_REVOKED,
                                   r < 0 ? cws_error_message(&err)
                                         : "this invitation was revoked (seen by this host)");
        if (load_trust(q->a, &trust, &err) < 0 ||
            cws_fingerprint_collect(q->uid, q->user, &fp, &err) < 0)
                return reply_error(q, CWS_R_INTERNAL_ERROR, cws_error_message(&err));
        /* Re-enrolling over a working binding would waste a slot. */
        {
                cws_binding old;
                cws_reason owhy;
                if (cws_binding_load(q->a->cfg.state_dir, q->a->host_key, q->uid, q->user, inv_id,
                                     &old, &owhy, NULL) == 0) {
                        cws_validate_binding(q->a->registry, &trust, &old, &fp, CWS_TYPE_NONE,
                                             (int64_t)time(NULL), &existing);
                        cws_wipe(&old, sizeof(old));
                        apply_seen_revocations(q->a, q->user, NULL, &existing);
                        if (existing.allow)
                                return reply_error(q, CWS_R_ALREADY_ENROLLED,
                                                   "this device is already enrolled for this invitation");
                }
        }
        if (cws_enroll(q->a->registry, &trust, tok, q->uid, q->user, &fp, (int64_t)time(NULL), &b,
                       &why, &err) < 0) {
                cws_event ev = { .kind = CWS_EV_ENROLL, .program = "cwsd", .user = q->user,
                                 .invitation = inv_id, .reason = why, .failed = true };
                emit(q->a, &ev);
                log_line(LOG_NOTICE, "enroll user=%s invitation=%s refused: %s", q->user, inv_id,
                         cws_reason_to_string(why));
                return reply_error(q, why, cws_error_message(&err));
        }
        if (cws_binding_save(q->a->cfg.state_dir, q->a->host_key, &b, &err) < 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q, CWS_R_INTERNAL_ERROR, cws_error_message(&err));
        }
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        cws_msg_add(q->out, "device", b.device_id);
        cws_msg_add(q->out, "invitation", b.inv_id);
        cws_msg_add(q->out, "profile", b.profile);
        cws_msg_addf(q->out, "slot", "%u", b.slot);
        {
                cws_event ev = { .kind = CWS_EV_ENROLL, .program = "cwsd", .user = q->user,
                                 .profile = b.profile, .invitation = b.inv_id,
                                 .device = b.device_id, .reason = CWS_R_OK };
                emit(q->a, &ev);
        }
        log_line(LOG_INFO, "enroll user=%s invitation=%s device=%s slot=%u", q->user, b.inv_id,
                 b.device_id, b.slot);
        cws_wipe(&b, sizeof(b));
        return 0;
}

static int op_revoke(request *q)
{
        const char *inv = cws_msg_get(q->in, "invitation");
        const char *dev = cws_msg_get(q->in, "device");
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_error err = { 0 };
        cws_binding b;
        cws_reason why;
        int r;

        if (authorise_user(q) < 0)
                return 0;
        if (!inv || !cws_id_valid("inv", inv) || (dev && !cws_id_valid("dev", dev)))
                return reply_error(q, CWS_R_BAD_REQUEST, "missing or invalid invitation or device id");
        if (cws_binding_load(q->a->cfg.state_dir, q->a->host_key, q->uid, q->user, inv, &b, &why,
                             &err) < 0)
                return reply_error(q, why == CWS_R_OK ? CWS_R_NOT_ENROLLED : why,
                                   "no usable binding for this invitation on this device");
        if (dev && strcmp(dev, b.device_id) != 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q, CWS_R_PERMISSION_DENIED,
                                   "a user may revoke only this device's own enrollment "
                                   "(administrators: cws-revoke --admin)");
        }
        /* A user revokes with the invitation key their token gives. */
        r = cws_invitation_key(b.inv_id, b.secret, priv, pub);
        if (r == 0)
                r = cws_revoke_device(q->a->registry, b.inv_id, b.device_id, priv, q->user,
                                      cws_msg_get(q->in, "why") ?: "revoked by the user",
                                      (int64_t)time(NULL), &err);
        cws_wipe(priv, sizeof(priv));
        if (r < 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q, r == -EALREADY ? CWS_R_DEVICE_REVOKED : CWS_R_REGISTRY_UNAVAILABLE,
                                   cws_error_message(&err));
        }
        /* Final on this host at once, before any validation reads it back. */
        if (cws_seen_revoked_add(q->a->cfg.state_dir, b.device_id, &err) < 0)
                log_line(LOG_ERR, "cannot remember the revocation of %s: %s", b.device_id,
                         cws_error_message(&err));
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        cws_msg_add(q->out, "invitation", b.inv_id);
        cws_msg_add(q->out, "device", b.device_id);
        {
                cws_event ev = { .kind = CWS_EV_REVOKE, .program = "cwsd", .user = q->user,
                                 .profile = b.profile, .invitation = b.inv_id,
                                 .device = b.device_id, .reason = CWS_R_DEVICE_REVOKED };
                emit(q->a, &ev);
        }
        log_line(LOG_NOTICE, "revoke user=%s invitation=%s device=%s", q->user, b.inv_id, b.device_id);
        cws_wipe(&b, sizeof(b));
        return 0;
}

static int op_ping(request *q)
{
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        cws_msg_add(q->out, "version", CWS_VERSION);
        return 0;
}

static void handle(agent *a, const struct ucred *peer, const cws_msg *in, cws_msg *out)
{
        static const struct {
                const char *op;
                int (*fn)(request *q);
        } ops[] = {
                { "ping", op_ping },
                { "validate", op_validate },
                { "enroll", op_enroll },
                { "revoke", op_revoke },
                { "session_close", op_session_close },
        };
        request q = { .a = a, .peer = *peer, .in = in, .out = out };
        const char *op = cws_msg_get(in, "op");

        for (size_t i = 0; op && i < CWS_ELEMENTSOF(ops); i++)
                if (strcmp(op, ops[i].op) == 0) {
                        ops[i].fn(&q);
                        return;
                }
        reply_error(&q, CWS_R_BAD_REQUEST, "unknown operation");
}

/* One accepted connection: its peer as the kernel reported it at
 * connect time, an idle timer, and its place in the per-uid limits. */
typedef struct conn {
        agent *a;
        sd_event_source *io, *idle;
        struct ucred peer;
        struct conn *prev, *next;
} conn;

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void conn_close(conn *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                c->a->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        cws_peer_conn_close(&c->a->limits, c->peer.uid, now_usec());
        sd_event_source_disable_unref(c->idle);
        sd_event_source_disable_unref(c->io);   /* owns and closes the fd */
        free(c);
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s;
        (void)usec;
        conn_close(userdata);
        return 0;
}

/* A client that has gone (closed after sending) gets no work done: its
 * request could only cost registry time that others are waiting for. */
static bool client_gone(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLRDHUP };

        return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Requests that may cost registry work are rate-limited per uid (root,
 * the login programs, is not). */
static bool rate_allows(agent *a, const struct ucred *peer, const cws_msg *in, cws_msg *out)
{
        const char *op = cws_msg_get(in, "op") ?: "";
        cws_cost cost;
        uint64_t retry;

        if (strcmp(op, "enroll") == 0 || strcmp(op, "revoke") == 0)
                cost = CWS_COST_CHANGE;
        else if (strcmp(op, "validate") == 0)
                cost = CWS_COST_CHECK;
        else
                return true;
        if (cws_peer_take(&a->limits, peer->uid, cost, now_usec(), &retry))
                return true;
        cws_msg_init(out);
        cws_msg_add(out, "status", "error");
        cws_msg_add(out, "reason", cws_reason_to_string(CWS_R_RATE_LIMITED));
        cws_msg_addf(out, "message", "too many %s requests from uid %u; try again in %llu s", op,
                     (unsigned)peer->uid, (unsigned long long)(retry + 999999) / 1000000);
        log_line(LOG_WARNING, "rate limit: refused %s from uid %u (pid %ld)", op,
                 (unsigned)peer->uid, (long)peer->pid);
        return false;
}

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        conn *c = userdata;
        cws_msg in, out;
        int r;

        (void)s;
        if (!(revents & EPOLLIN)) {
                conn_close(c);
                return 0;
        }
        r = cws_msg_recv(fd, &in, 0);
        if (r == -ETIMEDOUT || r == -EAGAIN)
                return 0;
        if (r == -EBADMSG) {
                cws_msg_init(&out);
                cws_msg_add(&out, "status", "error");
                cws_msg_add(&out, "reason", cws_reason_to_string(CWS_R_BAD_REQUEST));
                cws_msg_add(&out, "message", "malformed request");
                (void)cws_msg_send(fd, &out);
        }
        if (r < 0 || client_gone(fd)) {
                conn_close(c);
                return 0;
        }
        if (rate_allows(c->a, &c->peer, &in, &out))
                handle(c->a, &c->peer, &in, &out);
        if (cws_msg_send(fd, &out) < 0) {
                conn_close(c);
                return 0;
        }
        sd_event_source_set_time_relative(c->idle, CONN_IDLE_USEC);
        return 0;
}

/* Over a limit: told why in one message, then closed. Logged at most
 * once a minute, so a user hammering the socket cannot flood the log. */
static void refuse_conn(agent *a, int fd, const struct ucred *peer, int why)
{
        cws_msg out;
        uint64_t now = now_usec();

        cws_msg_init(&out);
        cws_msg_add(&out, "status", "error");
        cws_msg_add(&out, "reason", cws_reason_to_string(CWS_R_RATE_LIMITED));
        cws_msg_add(&out, "message", why == -EUSERS ? "too many connections from this user"
                                                    : "cwsd is at its connection limit");
        (void)cws_msg_send(fd, &out);
        close(fd);
        if (now - a->refusal_logged_usec < 60 * 1000000ULL && a->refusal_logged_usec)
                return;
        a->refusal_logged_usec = now;
        log_line(LOG_WARNING, "refused a connection from uid %u (pid %ld): %s (logged once a minute)",
                 (unsigned)peer->uid, (long)peer->pid,
                 why == -EUSERS ? "too many connections from this uid" : "connection limit reached");
}

static int on_accept_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;

        (void)s;
        (void)usec;
        sd_event_source_set_enabled(a->listener, SD_EVENT_ON);
        return 0;
}

/* Out of descriptors: stop watching the listening socket for a moment
 * instead of spinning on it (it stays readable), then try again. */
static void pause_accepting(agent *a, int e)
{
        log_line(LOG_ERR, "accept: %s; pausing new connections for %llu ms", strerror(e),
                 ACCEPT_PAUSE_USEC / 1000);
        sd_event_source_set_enabled(a->listener, SD_EVENT_OFF);
        if (!a->accept_pause) {
                if (sd_event_add_time_relative(a->event, &a->accept_pause, CLOCK_MONOTONIC,
                                               ACCEPT_PAUSE_USEC, 10000, on_accept_resume, a) < 0)
                        sd_event_source_set_enabled(a->listener, SD_EVENT_ON);
                return;
        }
        sd_event_source_set_time_relative(a->accept_pause, ACCEPT_PAUSE_USEC);
        sd_event_source_set_enabled(a->accept_pause, SD_EVENT_ONESHOT);
}

static void add_conn(agent *a, int cfd)
{
        struct ucred peer;
        socklen_t len = sizeof(peer);
        conn *c;
        int r;

        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
                close(cfd);
                return;
        }
        r = cws_peer_conn_open(&a->limits, peer.uid);
        if (r < 0) {
                refuse_conn(a, cfd, &peer, r);
                return;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                cws_peer_conn_close(&a->limits, peer.uid, now_usec());
                close(cfd);
                return;
        }
        *c = (conn){ .a = a, .peer = peer, .next = a->conns };
        if (a->conns)
                a->conns->prev = c;
        a->conns = c;
        if (sd_event_add_io(a->event, &c->io, cfd, EPOLLIN | EPOLLRDHUP, on_request, c) < 0) {
                close(cfd);
                conn_close(c);
                return;
        }
        sd_event_source_set_io_fd_own(c->io, 1);
        if (sd_event_add_time_relative(a->event, &c->idle, CLOCK_MONOTONIC, CONN_IDLE_USEC,
                                       100000, on_idle, c) < 0)
                conn_close(c);
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        agent *a = userdata;

        (void)s;
        (void)revents;
        /* A bounded batch per wake-up: the loop keeps answering. */
        for (int i = 0; i < 64; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                if (cfd >= 0) {
                        add_conn(a, cfd);
                        continue;
                }
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        pause_accepting(a, errno);
                else if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                        continue;
                break;
        }
        return 0;
}

/* As many descriptors as the hard limit allows; connections may use all
 * but FD_RESERVE of them. */
static unsigned raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 1024 - FD_RESERVE;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        (void)getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
                rl.rlim_cur = 65536;
        return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)rl.rlim_cur - FD_RESERVE : FD_RESERVE;
}

static int listen_socket(const char *path, bool *activated)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[sizeof(sa.sun_path)];
        cws_error err = { 0 };
        int fd, n = sd_listen_fds(1);

        if (n > 1)
                return cli_fail(-1, "expected one socket from systemd, got %d", n);
        *activated = n == 1;
        if (n == 1) {
                fd = SD_LISTEN_FDS_START;
                if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
                        return cli_fail(-1, "the socket from systemd is not a listening "
                                        "SOCK_SEQPACKET UNIX socket (ListenSequentialPacket= "
                                        "in cwsd.socket)");
                /* systemd passes it blocking; on_accept accepts until EAGAIN. */
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return cli_fail(-1, "socket from systemd: %s", strerror(errno));
                return fd;
        }
        if (strlen(path) >= sizeof(sa.sun_path))
                return cli_fail(-1, "%s: socket path too long", path);
        snprintf(dir, sizeof(dir), "%s", path);
        if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
                *strrchr(dir, '/') = '\0';
                if (cws_dir_ensure(dir, 0755, &err) < 0)
                        return cli_fail(-1, "%s", cws_error_message(&err));
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cli_fail(-1, "socket: %s", strerror(errno));
        (void)unlink(path);   /* a stale socket from a previous run */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
            listen(fd, SOMAXCONN) < 0) {
                int e = errno;
                close(fd);
                return cli_fail(-1, "%s: cannot listen: %s", path, strerror(e));
        }
        return fd;
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cwsd [--config PATH]\n"
                "The pam_cws host agent: validates device bindings for pam_cws.so and\n"
                "the cws-* helpers over a UNIX socket.\n\n"
                "  -c, --config PATH   configuration file (default %s)\n"
                "  -h, --help          show this help\n"
                "  -V, --version       show the version\n",
                CWS_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { 0 },
        };
        const char *config = NULL;
        agent a = { 0 };
        cws_error err = { 0 };
        sigset_t ss;
        int c, fd, r;

        cli_program = "cwsd";
        while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
                switch (c) {
                case 'c': config = optarg; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        umask(077);
        cws_peer_limits_init(&a.limits, raise_fd_limit());
        if (cli_load_config(config, &a.cfg) != 0)
                return CWS_EXIT_CONFIG;
        if (cws_dir_ensure(a.cfg.state_dir, 0700, &err) < 0 ||
            cws_host_key_load(a.cfg.state_dir, a.host_key, true, &err) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        if (cws_registry_open_config(&a.cfg, &a.registry, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        fd = listen_socket(a.cfg.socket_path, &a.socket_activated);
        if (fd < 0)
                return CWS_EXIT_CONFIG;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        if ((r = sd_event_default(&a.event)) < 0 ||
            (r = sd_event_add_signal(a.event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(a.event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_io(a.event, &a.listener, fd, EPOLLIN, on_accept, &a)) < 0 ||
            (r = sd_event_add_time_relative(a.event, NULL, CLOCK_MONOTONIC,
                                            (uint64_t)a.cfg.monitor_interval * 1000000u, 100000u,
                                            on_monitor, &a)) < 0 ||
            (r = sd_event_set_watchdog(a.event, true)) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "event loop: %s", strerror(-r));
        log_line(LOG_INFO, "cwsd %s listening on %s (registry %s)", CWS_VERSION,
                 a.cfg.socket_path, a.cfg.registry_url);
        sd_notify(0, "READY=1\nSTATUS=Serving");
        r = sd_event_loop(a.event);
        sd_notify(0, "STOPPING=1");
        if (!a.socket_activated)
                (void)unlink(a.cfg.socket_path);
        cws_wipe(a.host_key, sizeof(a.host_key));
        cws_registry_free(a.registry);
        while (a.conns)
                conn_close(a.conns);
        sd_event_source_disable_unref(a.accept_pause);
        sd_event_source_disable_unref(a.listener);
        sd_event_unref(a.event);
        cws_peer_limits_free(&a.limits);
        return r < 0 ? CWS_EXIT_CONFIG : CWS_EXIT_OK;
}
