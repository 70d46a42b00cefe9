/* cwsd's operations. The dispatch table holds, next to each operation,
 * who may call it (SO_PEERCRED) and what it costs for the per-uid rate
 * limit, in the manner of OpenSSH's monitor table: handle() applies both
 * before the operation runs, so no operation can forget them. */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "cwsd.h"
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/cleanup.h"
#include "cws/enroll.h"
#include "cws/fingerprint.h"
#include "cws/nss_groups.h"
#include "cws/revoke.h"
#include "cws/seen_revocations.h"
#include "cws/trust.h"
#include "cws/validate.h"

int reply_error(cws_msg *out, cws_reason reason, const char *message)
{
        cws_msg_init(out);
        cws_msg_add(out, "status", "error");
        cws_msg_add(out, "reason", cws_reason_to_string(reason));
        cws_msg_add(out, "message", message);
        return 0;
}

/* Resolves user= and applies the peer rule: anyone may ask about
 * themselves, only root about others. A root peer (pam_cws in a login
 * program) also says the uid it looked up itself (uid=): root may ask
 * about anyone and can write every file cwsd reads, so its word is taken
 * and the lookup is not done twice. From anyone else uid= is not read. */
static int authorise_user(request *q)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        const char *user = cws_msg_get(q->in, "user");
        int said;

        if (!user || !cws_name_valid(user, CWS_USER_MAX))
                return reply_error(q->out, CWS_R_BAD_REQUEST, "missing or invalid user name"), -EINVAL;
        if (q->peer.uid == 0 && (said = cws_msg_get_uid(q->in, "uid", &q->uid)) != -ENOENT) {
                if (said < 0)
                        return reply_error(q->out, CWS_R_BAD_REQUEST, "invalid uid"), -EINVAL;
                q->user = user;
                return 0;
        }
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
                return reply_error(q->out, CWS_R_BAD_REQUEST, "no such user"), -ENOENT;
        if (q->peer.uid != 0 && q->peer.uid != res->pw_uid) {
                log_line(LOG_WARNING, "refused: uid %u asked about user %s", (unsigned)q->peer.uid,
                         user);
                return reply_error(q->out, CWS_R_PERMISSION_DENIED,
                                   "only root may ask about another user"), -EPERM;
        }
        q->uid = res->pw_uid;
        q->user = user;
        return 0;
}

void decide_params(const agent *a, const char *service, cws_registry *registry,
                   cws_decide_params *p)
{
        *p = (cws_decide_params){
                .state_dir = a->cfg.state_dir,
                .state_fd = a->state_fd,
                .host_key = a->host_key,
                .trusted_keys = a->cfg.trusted_keys,
                .registry = registry,
                .min_type = service ? cws_config_min_type_for_service(&a->cfg, service)
                                    : CWS_TYPE_NONE,
                .max_cache_age = a->cfg.max_cache_age,
                .offline_grace = a->cfg.offline_grace,
                .now_us = cws_cache_now_us(),
                .log = decide_log,
        };
}

/* The seen-revocations rule for one decision outside a whole-user one. */
static void seen_rule(request *q, cws_decision *d)
{
        cws_decide_params p;
        bool tampered = false;

        decide_params(q->a, NULL, q->registry, &p);
        (void)cws_decide_apply_seen(&p, d, &tampered);
        if (tampered)
                report_tampering(q->a, q->user, NULL, d,
                                 "the registry no longer holds a revocation that this host saw");
}

/* The queue of registry work is full: refused at once and loudly (the
 * module decides by its offline rules, as when cwsd does not answer).
 * Logged at most once a minute. */
static int refuse_busy(request *q)
{
        static uint64_t logged;
        uint64_t now = now_usec();

        q->a->refused_full++;
        if (!logged || now - logged > 60 * 1000000ULL) {
                logged = now;
                log_line(LOG_WARNING, "busy: the registry queue is full (%u waiting); refused a %s "
                         "from uid %u (%lu refused so far, logged once a minute)", q->a->queue_max,
                         cws_msg_get(q->in, "op"), (unsigned)q->peer.uid, q->a->refused_full);
        }
        return reply_error(q->out, CWS_R_RATE_LIMITED,
                           "cwsd is busy: too much registry work is queued; try again shortly");
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

/* The answer to one asker of a validation: its own user, service and
 * session phase, the round's decision. */
static void answer_validation(agent *a, conn *c, const cws_user_verdict *v, cws_msg *out)
{
        const cws_decision *d = &v->d;
        request q = { .a = a, .peer = c->peer, .uid = c->uid, .user = c->user };

        put_decision(out, d);
        cws_msg_add(out, "user", c->user);   /* pam_cws takes no answer about another user */
        if (a->registry_down) {
                /* For cws-enroll --check: decided by the offline rules. */
                cws_msg_add(out, "registry", "down");
                cws_msg_addf(out, "registry_down_for", "%lld",
                             (long long)((cws_cache_now_us() - a->down_since_us) / 1000000));
                cws_msg_add(out, "registry_reason", a->down_reason);
        }
        if (d->allow && c->session_phase)
                session_note(a, &q, true);
        cws_correlate_decision(a->corr, c->user, d->device_id, c->service, d->allow, d->reason,
                               (int64_t)time(NULL));
        log_line(d->allow ? LOG_INFO : LOG_NOTICE, "validate user=%s service=%s decision=%s reason=%s%s%s",
                 c->user, c->service, d->allow ? "allow" : "deny", cws_reason_to_string(d->reason),
                 d->allow || !d->detail[0] ? "" : " detail=", d->allow ? "" : d->detail);
}

/* What a round found, on record once, however many asked. */
static void report_round(agent *a, const char *user, const char *service, const cws_user_verdict *v)
{
        report_findings(a, user, service, v, false);
        if (v->unavailable_detail[0])
                log_line(LOG_WARNING, "registry unavailable for %s: %s", user, v->unavailable_detail);
        if (v->offline)
                log_line(LOG_NOTICE, "registry unavailable: %s allowed from a validation %.1fs old",
                         user, (double)v->offline_age_us / 1e6);
}

/* One registry round for a user and a service class (min_type): every
 * validation of the same (uid, min_type) that arrives while it is queued
 * or running waits for it and gets its answer. */
typedef struct validate_job {
        decide_job d;
        cws_inv_type min_type;
        char service[CWS_NAME_MAX];     /* the first asker's, for the record */
} validate_job;

typedef struct validate_key {
        uid_t uid;
        cws_inv_type min_type;
} validate_key;

static bool validate_matches(const job *j, const void *key)
{
        const validate_job *v = (const validate_job *)j;
        const validate_key *k = key;

        return j->uid == k->uid && v->min_type == k->min_type;
}

void decide_job_run(job *j, cws_registry *r)
{
        decide_job *d = (decide_job *)j;

        d->p.registry = r;
        d->p.now_us = cws_cache_now_us();
        cws_decide_user(&d->p, j->uid, d->user, &d->v);
}

static void validate_done(agent *a, job *j)
{
        validate_job *v = (validate_job *)j;
        cws_msg out;

        if (!j->dropped) {
                report_round(a, v->d.user, v->service, &v->d.v);
                if (v->d.v.unavailable_detail[0])
                        registry_failed(a, v->d.v.unavailable_detail);
                groups_publish(a, false, j->uid);
        }
        while (j->waiters) {
                conn *c = j->waiters;

                j->waiters = c->next_waiter;
                answer_validation(a, c, &v->d.v, &out);
                conn_reply(c, &out);
        }
        free(v);
}

/* The decision for (user, service): a cached validation younger than
 * max_cache_age is answered at once, and so is everything while the
 * registry is marked down (by the offline rules: a validation younger
 * than offline_grace with no revocation ever seen); the rest is a
 * registry round on a worker. Never allows on an error. */
static int op_validate(request *q)
{
        const char *service = cws_msg_get(q->in, "service");
        const char *phase = cws_msg_get(q->in, "phase");
        cws_decide_params p;
        cws_user_verdict v;
        conn *c = q->conn;
        validate_job *j;
        validate_key key;
        job *found;

        if (!service || !cws_name_valid(service, CWS_NAME_MAX))
                return reply_error(q->out, CWS_R_BAD_REQUEST, "missing or invalid service name");
        c->uid = q->uid;
        snprintf(c->user, sizeof(c->user), "%s", q->user);
        snprintf(c->service, sizeof(c->service), "%s", service);
        c->session_phase = phase && strcmp(phase, "session") == 0;
        decide_params(q->a, service, NULL, &p);
        if (cws_decide_from_cache(&p, q->a->cache_memo, q->uid, q->user, &v) || q->a->registry_down) {
                if (!v.from_cache) {
                        cws_decide_user(&p, q->uid, q->user, &v);
                        report_round(q->a, q->user, service, &v);
                }
                answer_validation(q->a, c, &v, q->out);
                return 0;
        }
        key = (validate_key){ .uid = q->uid, .min_type = p.min_type };
        found = workers_find(q->a, validate_matches, &key);
        if (found) {
                q->a->coalesced++;
                log_line(LOG_DEBUG, "round: %s joins the registry round in flight for this user "
                         "(%lu joined so far)", q->user, q->a->coalesced);
                workers_wait(found, c);
                return 1;
        }
        j = calloc(1, sizeof(*j));
        if (!j)
                return reply_error(q->out, CWS_R_INTERNAL_ERROR, "out of memory");
        j->d.base = (job){ .serialise = true, .uid = q->uid, .coalesce = true,
                           .run = decide_job_run, .done = validate_done };
        j->min_type = p.min_type;
        j->d.p = p;
        snprintf(j->d.user, sizeof(j->d.user), "%s", q->user);
        snprintf(j->service, sizeof(j->service), "%s", service);
        if (workers_submit(q->a, &j->d.base) < 0) {
                free(j);
                return refuse_busy(q);
        }
        workers_wait(&j->d.base, c);
        return 1;
}

/* pam_cws reused its account phase's verdict for the session and only
 * registers it (pam_cws(8)); it does not wait for this answer. */
static int op_session_open(request *q)
{
        session_note(q->a, q, true);
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        return 0;
}

static int op_session_close(request *q)
{
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

        if (!tok || cws_token_parse(tok, inv_id, secret) < 0)
                return reply_error(q->out, CWS_R_BAD_REQUEST, "the invitation token is malformed");
        cws_wipe(secret, sizeof(secret));
        r = cws_seen_revoked(q->a->cfg.state_dir, inv_id, &err);
        if (r != 0)
                return reply_error(q->out, r < 0 ? CWS_R_INTERNAL_ERROR : CWS_R_INVITATION_REVOKED,
                                   r < 0 ? cws_error_message(&err)
                                         : "this invitation was revoked (seen by this host)");
        if (cws_trust_load(q->a->cfg.trusted_keys, &trust, &err) < 0 ||
            cws_fingerprint_collect(q->uid, q->user, &fp, &err) < 0)
                return reply_error(q->out, CWS_R_INTERNAL_ERROR, cws_error_message(&err));
        /* Re-enrolling over a working binding would waste a slot. */
        {
                cws_binding old;
                cws_reason owhy;
                if (cws_binding_load(q->a->cfg.state_dir, q->a->host_key, q->uid, q->user, inv_id,
                                     &old, &owhy, NULL) == 0) {
                        cws_validate_binding(q->registry, &trust, &old, &fp, CWS_TYPE_NONE,
                                             (int64_t)time(NULL), &existing);
                        cws_wipe(&old, sizeof(old));
                        seen_rule(q, &existing);
                        if (existing.allow)
                                return reply_error(q->out, CWS_R_ALREADY_ENROLLED,
                                                   "this device is already enrolled for this invitation");
                }
        }
        if (cws_enroll(q->registry, &trust, tok, q->uid, q->user, &fp, (int64_t)time(NULL), &b,
                       &why, &err) < 0) {
                cws_event ev = { .kind = CWS_EV_ENROLL, .program = "cwsd", .user = q->user,
                                 .invitation = inv_id, .reason = why, .failed = true };
                emit(q->a, &ev);
                log_line(LOG_NOTICE, "enroll user=%s invitation=%s refused: %s", q->user, inv_id,
                         cws_reason_to_string(why));
                return reply_error(q->out, why, cws_error_message(&err));
        }
        if (cws_binding_save(q->a->cfg.state_dir, q->a->host_key, &b, &err) < 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q->out, CWS_R_INTERNAL_ERROR, cws_error_message(&err));
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
        cws_trust trust;
        cws_reason why;
        int r;

        if (!inv || !cws_id_valid("inv", inv) || (dev && !cws_id_valid("dev", dev)))
                return reply_error(q->out, CWS_R_BAD_REQUEST, "missing or invalid invitation or device id");
        if (cws_binding_load(q->a->cfg.state_dir, q->a->host_key, q->uid, q->user, inv, &b, &why,
                             &err) < 0)
                return reply_error(q->out, why == CWS_R_OK ? CWS_R_NOT_ENROLLED : why,
                                   "no usable binding for this invitation on this device");
        if (dev && strcmp(dev, b.device_id) != 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q->out, CWS_R_PERMISSION_DENIED,
                                   "a user may revoke only this device's own enrollment "
                                   "(administrators: cws-revoke --admin)");
        }
        /* A user revokes with the invitation key their token gives. */
        r = cws_invitation_key(b.inv_id, b.secret, priv, pub);
        if (r == 0)
                r = cws_trust_load(q->a->cfg.trusted_keys, &trust, &err);
        if (r == 0)
                r = cws_revoke_device(q->registry, &trust, b.inv_id, b.device_id, priv, q->user,
                                      cws_msg_get(q->in, "why") ?: "revoked by the user",
                                      (int64_t)time(NULL), &err);
        cws_wipe(priv, sizeof(priv));
        if (r < 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q->out, r == -EALREADY ? CWS_R_DEVICE_REVOKED : CWS_R_REGISTRY_UNAVAILABLE,
                                   cws_error_message(&err));
        }
        if (err.code)   /* the revocation stands; its notice does not */
                log_line(LOG_WARNING, "revoke %s: %s", b.device_id, cws_error_message(&err));
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

/* An operation that does registry work (enroll, revoke), run whole on a
 * worker with the worker's registry handle. The request is copied: the
 * connection's buffer is not the worker's. */
typedef struct op_job {
        job base;
        agent *a;
        struct ucred peer;
        uid_t uid;
        int (*fn)(request *q);
        cws_msg in, out;
} op_job;

static void op_run(job *j, cws_registry *r)
{
        op_job *o = (op_job *)j;
        request q = { .a = o->a, .peer = o->peer, .in = &o->in, .out = &o->out, .uid = o->uid,
                      .user = cws_msg_get(&o->in, "user"), .registry = r };

        o->fn(&q);
}

static int op_enroll(request *q);

static void op_done(agent *a, job *j)
{
        op_job *o = (op_job *)j;
        const char *status = cws_msg_get(&o->out, "status");

        /* The groups learn a new binding's type from a sweep of the user;
         * a revocation is in the seen revocations already. */
        if (status && strcmp(status, "ok") == 0 && cws_groups_served(CWS_NSS_GROUP_FILE)) {
                if (o->fn == op_enroll)
                        monitor_user(a, o->uid);
                else
                        groups_publish(a, false, o->uid);
        }
        if (j->waiters)
                conn_reply(j->waiters, &o->out);
        cws_wipe(&o->in, sizeof(o->in));   /* a token */
        free(o);
}

static int run_on_worker(request *q, int (*fn)(request *q))
{
        char buf[CWS_MSG_MAX];
        size_t len = 0;
        op_job *o = calloc(1, sizeof(*o));
        int r;

        if (!o)
                return reply_error(q->out, CWS_R_INTERNAL_ERROR, "out of memory");
        *o = (op_job){ .base = { .serialise = true, .uid = q->uid, .run = op_run, .done = op_done },
                       .a = q->a, .peer = q->peer, .uid = q->uid, .fn = fn };
        r = cws_msg_encode(q->in, buf, sizeof(buf), &len);
        if (r >= 0)
                r = cws_msg_decode(&o->in, buf, len);
        cws_wipe(buf, sizeof(buf));
        if (r < 0) {
                free(o);
                return reply_error(q->out, CWS_R_BAD_REQUEST, "malformed request");
        }
        if (workers_submit(q->a, &o->base) < 0) {
                cws_wipe(&o->in, sizeof(o->in));
                free(o);
                return refuse_busy(q);
        }
        workers_wait(&o->base, q->conn);
        return 1;
}

/* Who may call an operation. */
typedef enum op_perm {
        PERM_ANYONE,            /* asks nothing about anyone */
        PERM_SELF_OR_ROOT,      /* user= must be the caller, unless the caller is root */
} op_perm;

/* Where an operation runs. */
typedef enum op_where {
        ON_LOOP,                /* answers from memory or local files */
        ON_WORKER,              /* registry work: on a worker, the loop goes on */
} op_where;

static const struct op {
        const char *name;
        op_perm perm;
        bool rate_limited;      /* costs registry work: the per-uid rate limit applies */
        cws_cost cost;
        op_where where;
        bool note;              /* the sender does not wait: done even when it has gone */
        int (*fn)(request *q);
} ops[] = {
        /* Liveness, version and the registry's health: nothing private. */
        { "ping", PERM_ANYONE, false, 0, ON_LOOP, false, op_ping },
        /* A decision about user=; it queues its own registry round (or
         * joins one) when the cache cannot answer. A session is
         * registered only for a root peer (sessions.c). */
        { "validate", PERM_SELF_OR_ROOT, true, CWS_COST_CHECK, ON_LOOP, false, op_validate },
        /* Enroll user= on this device: also needs a valid invitation token. */
        { "enroll", PERM_SELF_OR_ROOT, true, CWS_COST_CHANGE, ON_WORKER, false, op_enroll },
        /* Revoke user='s own enrollment on this device (signed with the
         * invitation key the binding holds); administrators use
         * cws-revoke --admin, checked by signature in the registry. */
        { "revoke", PERM_SELF_OR_ROOT, true, CWS_COST_CHANGE, ON_WORKER, false, op_revoke },
        /* Notes from pam_cws, which sends them without waiting (root
         * peers only register sessions, sessions.c). */
        { "session_open", PERM_SELF_OR_ROOT, false, 0, ON_LOOP, true, op_session_open },
        { "session_close", PERM_SELF_OR_ROOT, false, 0, ON_LOOP, true, op_session_close },
        /* A helper's keychain failure (reports.c): anyone, as themselves
         * (the peer's uid), rate-limited. */
        { "report", PERM_ANYONE, true, CWS_COST_REPORT, ON_LOOP, false, op_report },
};

static const struct op *op_find(const char *name)
{
        for (size_t i = 0; name && i < CWS_ELEMENTSOF(ops); i++)
                if (strcmp(name, ops[i].name) == 0)
                        return &ops[i];
        return NULL;
}

bool op_cost(const char *name, cws_cost *cost)
{
        const struct op *o = op_find(name);

        if (!o || !o->rate_limited)
                return false;
        *cost = o->cost;
        return true;
}

bool op_is_note(const char *name)
{
        const struct op *o = op_find(name);

        return o && o->note;
}

int handle(conn *c, const cws_msg *in, cws_msg *out)
{
        request q = { .a = c->a, .peer = c->peer, .in = in, .out = out, .conn = c,
                      .registry = c->a->registry };
        const struct op *o = op_find(cws_msg_get(in, "op"));

        if (!o)
                return reply_error(out, CWS_R_BAD_REQUEST, "unknown operation");
        if (o->perm == PERM_SELF_OR_ROOT && authorise_user(&q) < 0)
                return 0;
        if (o->where == ON_WORKER)
                return run_on_worker(&q, o->fn);
        return o->fn(&q);
}
