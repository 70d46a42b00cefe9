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
#include "cws/cleanup.h"
#include "cws/fingerprint.h"
#include "cws/ledger.h"
#include "cws/seen_revocations.h"
#include "cws/trust.h"

int reply_error(cws_msg *out, cws_reason reason, const char *message)
{
        cws_msg_init(out);
        cws_msg_add(out, "status", "error");
        cws_msg_add(out, "reason", cws_reason_to_string(reason));
        cws_msg_add(out, "message", message);
        return 0;
}

/* Resolves user= and applies the peer rule: anyone may ask about
 * themselves, only root about others. */
static int authorise_user(request *q)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        const char *user = cws_msg_get(q->in, "user");

        if (!user || !cws_name_valid(user, CWS_USER_MAX))
                return reply_error(q->out, CWS_R_BAD_REQUEST, "missing or invalid user name"), -EINVAL;
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

        decide_params(q->a, NULL, q->a->registry, &p);
        (void)cws_decide_apply_seen(&p, d, &tampered);
        if (tampered)
                report_tampering(q->a, q->user, NULL, d,
                                 "the registry no longer holds a revocation that this host saw");
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

/* The decision for (user, service): a cached validation younger than
 * max_cache_age, else the registry; when the registry cannot be asked, a
 * validation younger than offline_grace with no revocation ever seen.
 * Never allows on an error. */
static int op_validate(request *q)
{
        const char *service = cws_msg_get(q->in, "service");
        const char *phase = cws_msg_get(q->in, "phase");
        cws_decide_params p;
        cws_user_verdict v;
        const cws_decision *d = &v.d;

        if (!service || !cws_name_valid(service, CWS_NAME_MAX))
                return reply_error(q->out, CWS_R_BAD_REQUEST, "missing or invalid service name");
        decide_params(q->a, service, q->a->registry, &p);
        cws_decide_user(&p, q->uid, q->user, &v);
        report_findings(q->a, q->user, service, &v, false);
        if (v.unavailable_detail[0])
                log_line(LOG_WARNING, "registry unavailable for %s: %s", q->user, v.unavailable_detail);
        if (v.offline)
                log_line(LOG_NOTICE, "registry unavailable: %s allowed from a validation %.1fs old",
                         q->user, (double)v.offline_age_us / 1e6);
        put_decision(q->out, d);
        cws_msg_add(q->out, "user", q->user);   /* pam_cws takes no answer about another user */
        if (d->allow && phase && strcmp(phase, "session") == 0)
                session_note(q->a, q, true);
        log_line(d->allow ? LOG_INFO : LOG_NOTICE, "validate user=%s service=%s decision=%s reason=%s%s%s",
                 q->user, service, d->allow ? "allow" : "deny", cws_reason_to_string(d->reason),
                 d->allow || !d->detail[0] ? "" : " detail=", d->allow ? "" : d->detail);
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
                        cws_validate_binding(q->a->registry, &trust, &old, &fp, CWS_TYPE_NONE,
                                             (int64_t)time(NULL), &existing);
                        cws_wipe(&old, sizeof(old));
                        seen_rule(q, &existing);
                        if (existing.allow)
                                return reply_error(q->out, CWS_R_ALREADY_ENROLLED,
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
                r = cws_revoke_device(q->a->registry, &trust, b.inv_id, b.device_id, priv, q->user,
                                      cws_msg_get(q->in, "why") ?: "revoked by the user",
                                      (int64_t)time(NULL), &err);
        cws_wipe(priv, sizeof(priv));
        if (r < 0) {
                cws_wipe(&b, sizeof(b));
                return reply_error(q->out, r == -EALREADY ? CWS_R_DEVICE_REVOKED : CWS_R_REGISTRY_UNAVAILABLE,
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

/* Who may call an operation. */
typedef enum op_perm {
        PERM_ANYONE,            /* asks nothing about anyone */
        PERM_SELF_OR_ROOT,      /* user= must be the caller, unless the caller is root */
} op_perm;

static const struct op {
        const char *name;
        op_perm perm;
        bool rate_limited;      /* costs registry work: the per-uid rate limit applies */
        cws_cost cost;
        int (*fn)(request *q);
} ops[] = {
        /* Liveness and version: nothing private. */
        { "ping", PERM_ANYONE, false, 0, op_ping },
        /* A decision about user=; a session is registered only for a root
         * peer (sessions.c). */
        { "validate", PERM_SELF_OR_ROOT, true, CWS_COST_CHECK, op_validate },
        /* Enroll user= on this device: also needs a valid invitation token. */
        { "enroll", PERM_SELF_OR_ROOT, true, CWS_COST_CHANGE, op_enroll },
        /* Revoke user='s own enrollment on this device (signed with the
         * invitation key the binding holds); administrators use
         * cws-revoke --admin, checked by signature in the registry. */
        { "revoke", PERM_SELF_OR_ROOT, true, CWS_COST_CHANGE, op_revoke },
        { "session_close", PERM_SELF_OR_ROOT, false, 0, op_session_close },
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

void handle(agent *a, const struct ucred *peer, const cws_msg *in, cws_msg *out)
{
        request q = { .a = a, .peer = *peer, .in = in, .out = out };
        const struct op *o = op_find(cws_msg_get(in, "op"));

        if (!o) {
                reply_error(out, CWS_R_BAD_REQUEST, "unknown operation");
                return;
        }
        if (o->perm == PERM_SELF_OR_ROOT && authorise_user(&q) < 0)
                return;
        o->fn(&q);
}
