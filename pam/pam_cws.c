/* pam_cws.so — the gate. At account and session time it asks cwsd whether
 * this user's profile is bound to this device and still authorised, and
 * turns the answer into a PAM code, one line for the user, one audit
 * record and one journal entry. It never touches the network: when cwsd
 * does not answer in time it decides from cwsd's authenticated cache,
 * within the offline grace and never beyond. Every path that is not an
 * explicit allow is a denial. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#define PAM_SM_AUTH
#define PAM_SM_PASSWORD
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "cws/cleanup.h"
#include "cws/config.h"
#include "cws/evidence.h"
#include "cws/protocol.h"
#include "cws/reason.h"
#include "cws/ids.h"
#include "cws/types.h"
#include "gate.h"

#define PUBLIC __attribute__((visibility("default")))
#define DEFAULT_TIMEOUT_MS 3000
#define MAX_TIMEOUT_MS 60000
#define ITEM_MAX 255
#define DATA_ACCOUNT_USER "pam_cws_account_user"

/* The rest of s after prefix, or NULL (Linux-PAM's pam_str_skip_prefix,
 * which its headers do not export). */
#define skip_prefix(s, prefix) \
        (strncmp((s), (prefix), sizeof(prefix) - 1) == 0 ? (s) + sizeof(prefix) - 1 : NULL)

/* An audit failure is reported at most once a minute per process (the
 * module stays loaded: a display manager would otherwise say it once in
 * its life), not once per login. CLOCK_MONOTONIC seconds; a race between
 * threads costs one line more. */
#define AUDIT_REPORT_EVERY_S 60
static int64_t audit_failure_reported_s = -AUDIT_REPORT_EVERY_S;

static bool audit_report_due(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        if ((int64_t)ts.tv_sec - audit_failure_reported_s < AUDIT_REPORT_EVERY_S)
                return false;
        audit_failure_reported_s = (int64_t)ts.tv_sec;
        return true;
}

/* Parses module arguments. Policy overrides go through the same parser as
 * the config file (cws_config_set). Unknown arguments are errors: a typo
 * in a security setting must not pass silently. */
static int parse_args(pam_handle_t *pamh, int argc, const char **argv, module_args *a,
                      cws_config *overrides, bool *have_fail_mode)
{
        cws_error err = { 0 };

        for (int i = 0; i < argc; i++) {
                const char *s = argv[i], *v;
                if ((v = skip_prefix(s, "conf=")) && v[0] == '/') {
                        a->conf = v;
                } else if (strcmp(s, "debug") == 0) {
                        a->debug = true;
                } else if (strcmp(s, "noaudit") == 0) {
                        a->noaudit = true;
                } else if ((v = skip_prefix(s, "timeout_ms="))) {
                        char *end;
                        long ms = strtol(v, &end, 10);
                        if (!v[0] || *end || ms < 1 || ms > MAX_TIMEOUT_MS) {
                                pam_syslog(pamh, LOG_ERR, "bad module argument %s (1-%d)", s, MAX_TIMEOUT_MS);
                                return -EINVAL;
                        }
                        a->timeout_ms = (int)ms;
                } else if ((v = skip_prefix(s, "fail_mode="))) {
                        if (cws_config_set(overrides, "policy", "fail_mode", v, "module argument",
                                           &err) < 0) {
                                pam_syslog(pamh, LOG_ERR, "%s", cws_error_message(&err));
                                return -EINVAL;
                        }
                        *have_fail_mode = true;
                } else {
                        pam_syslog(pamh, LOG_ERR, "unknown module argument '%s'", s);
                        return -EINVAL;
                }
        }
        return 0;
}

/* A PAM item we pass on: printable ASCII, bounded, may be absent. */
static bool item_ok(const char *s)
{
        if (!s)
                return true;
        if (strnlen(s, ITEM_MAX + 1) > ITEM_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p >= 0x7f)
                        return false;
        return true;
}

/* The profile's user: PAM_USER. The account phase always checks PAM_USER
 * and remembers it. A later phase checks the remembered user instead only
 * when PAM_USER moved to a target and PAM_RUSER names the remembered user:
 * sudo sets PAM_USER to the target (root) and PAM_RUSER to the invoking
 * user before opening the session, and the profile whose session starts is
 * the invoking user's. Any other change of PAM_USER is checked as it is. */
static int get_user(pam_handle_t *pamh, const char **user, bool account, bool may_ask)
{
        const void *d = NULL, *ruser = NULL;
        int r;

        r = may_ask ? pam_get_user(pamh, user, NULL)
                    : pam_get_item(pamh, PAM_USER, (const void **)user);
        if (r != PAM_SUCCESS || !*user)
                return -EINVAL;
        if (account)
                return 0;
        if (pam_get_data(pamh, DATA_ACCOUNT_USER, &d) == PAM_SUCCESS && d &&
            strcmp(d, *user) != 0 && pam_get_item(pamh, PAM_RUSER, &ruser) == PAM_SUCCESS &&
            ruser && strcmp(ruser, d) == 0)
                *user = d;
        return 0;
}

static int get_items(pam_handle_t *pamh, bool account, session_info *si)
{
        const void *v = NULL;
        struct passwd pwbuf, *pw = NULL;
        txn_cache *t;
        char buf[4096];

        if (get_user(pamh, &si->user, account, true) < 0 || !cws_name_valid(si->user, CWS_USER_MAX))
                return -EINVAL;
        if (pam_get_item(pamh, PAM_SERVICE, &v) != PAM_SUCCESS || !v ||
            !cws_name_valid(v, CWS_NAME_MAX))
                return -EINVAL;
        si->service = v;
        v = NULL;
        if (pam_get_item(pamh, PAM_RHOST, &v) != PAM_SUCCESS || !item_ok(v))
                return -EINVAL;
        si->rhost = v;
        v = NULL;
        if (pam_get_item(pamh, PAM_TTY, &v) != PAM_SUCCESS || !item_ok(v))
                return -EINVAL;
        si->tty = v;
        t = gate_txn(pamh);
        if (t && t->have_user && strcmp(t->user, si->user) == 0) {
                si->uid = t->uid;
                si->gid = t->gid;
                return 0;
        }
        if (getpwnam_r(si->user, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw)
                return -ENOENT;
        si->uid = pw->pw_uid;
        si->gid = pw->pw_gid;
        if (t && strlen(si->user) < sizeof(t->user)) {
                snprintf(t->user, sizeof(t->user), "%s", si->user);
                t->uid = si->uid;
                t->gid = si->gid;
                t->have_user = true;
        }
        return 0;
}

/* The gid of group name (getgrnam_r, with a buffer that grows for a
 * group of many members). */
static int group_gid(const char *name, gid_t *gid)
{
        _cleanup_free_ char *buf = NULL;
        struct group gr, *res = NULL;
        size_t size = 4096;

        for (;;) {
                char *b = realloc(buf, size);
                int r;

                if (!b)
                        return -ENOMEM;
                buf = b;
                r = getgrnam_r(name, &gr, buf, size, &res);
                if (r == 0 && res) {
                        *gid = res->gr_gid;
                        return 0;
                }
                if (r != ERANGE || size >= (1u << 24))
                        return r ? -r : -ENOENT;
                size *= 2;
        }
}

/* 1 = gated, 0 = outside the gate, <0 = cannot tell. The group list
 * grows to whatever the user is in (getgrouplist says how many). */
static int user_is_gated(const cws_config *cfg, const session_info *si)
{
        _cleanup_free_ gid_t *groups = NULL;
        gid_t gate = (gid_t)-1;
        int n = 64, r;

        if (!cfg->gate_group[0])
                return 1;
        r = group_gid(cfg->gate_group, &gate);
        if (r < 0)
                return r;
        for (int tries = 0;; tries++) {
                int want = n;
                gid_t *g = reallocarray(groups, (size_t)n, sizeof(*g));

                if (!g)
                        return -ENOMEM;
                groups = g;
                if (getgrouplist(si->user, si->gid, groups, &n) >= 0)
                        break;
                if (tries == 4 || n <= want || n > 1 << 20)
                        return -E2BIG;
        }
        for (int i = 0; i < n; i++)
                if (groups[i] == gate)
                        return 1;
        return 0;
}

void gate_copy(char *dst, size_t n, const char *src)
{
        snprintf(dst, n, "%s", src ? src : "");
}

/* Why cwsd's reply cannot be taken as a decision about user, or NULL when
 * it can: status ok, a known reason, the user asked about, and allow with
 * ok and only with ok. */
static const char *reply_problem(const cws_msg *resp, const char *user, cws_reason *reason)
{
        const char *status = cws_msg_get(resp, "status");
        const char *decision = cws_msg_get(resp, "decision");
        const char *r = cws_msg_get(resp, "reason");
        const char *about = cws_msg_get(resp, "user");

        if (!status || strcmp(status, "ok") != 0)
                return "a refusal";
        if (!r || cws_reason_from_string(r, reason) < 0)
                return "no known reason";
        if (!decision || (strcmp(decision, "allow") != 0 && strcmp(decision, "deny") != 0))
                return "no decision";
        if (!about || strcmp(about, user) != 0)
                return "an answer about another user";
        if ((strcmp(decision, "allow") == 0) != (*reason == CWS_R_OK))
                return "a decision that contradicts its reason";
        return NULL;
}

/* cwsd's answer. Returns <0 when cwsd could not be asked, did not answer
 * in time or closed without answering, so the caller falls back to the
 * cache. An answer that does not decode came from the verified cwsd
 * (socket owner and SO_PEERCRED checked): that is no outage but a fault,
 * and denies. */
static int ask_agent(pam_handle_t *pamh, const cws_config *cfg, const module_args *a,
                     const session_info *si, const char *phase, verdict *v)
{
        cws_msg req, resp;
        cws_error err = { 0 };
        const char *problem;
        int r;

        cws_msg_init(&req);
        /* uid: what getpwnam said here, taken by cwsd from a root peer only. */
        if (cws_msg_add(&req, "op", "validate") < 0 || cws_msg_add(&req, "user", si->user) < 0 ||
            cws_msg_addf(&req, "uid", "%u", (unsigned)si->uid) < 0 ||
            cws_msg_add(&req, "service", si->service) < 0 || cws_msg_add(&req, "phase", phase) < 0 ||
            (si->rhost && cws_msg_add(&req, "rhost", si->rhost) < 0) ||
            (si->tty && cws_msg_add(&req, "tty", si->tty) < 0))
                return -EINVAL;
        r = cws_agent_call(cfg->socket_path, &req, &resp, a->timeout_ms, &err);
        if (r == -EBADMSG) {
                pam_syslog(pamh, LOG_ERR, "%s; denying", cws_error_message(&err));
                v->reason = CWS_R_INTERNAL_ERROR;
                return 0;
        }
        if (r < 0) {
                pam_syslog(pamh, LOG_WARNING, "%s", cws_error_message(&err));
                return r;
        }
        problem = reply_problem(&resp, si->user, &v->reason);
        if (problem) {
                pam_syslog(pamh, LOG_ERR, "cwsd at %s sent %s for %s (reason %s); denying",
                           cfg->socket_path, problem, si->user,
                           cws_msg_get(&resp, "reason") ? cws_msg_get(&resp, "reason") : "none");
                v->reason = CWS_R_INTERNAL_ERROR;
                return 0;   /* cwsd answered: a denial, not a cache lookup */
        }
        v->allow = v->reason == CWS_R_OK;
        v->answered = true;
        gate_copy(v->profile, sizeof(v->profile), cws_msg_get(&resp, "profile"));
        gate_copy(v->invitation, sizeof(v->invitation), cws_msg_get(&resp, "invitation"));
        gate_copy(v->device, sizeof(v->device), cws_msg_get(&resp, "device"));
        return 0;
}

/* The PAM code for a verdict. Only an explicit allow, or fail_mode=open
 * when a running cwsd says the registry cannot be asked, is PAM_SUCCESS.
 * cwsd says so only for a user with bindings; the module's own cache
 * fallback (cwsd unreachable, silent or talking nonsense) never fails
 * open, so nobody can open the gate by stopping or starving cwsd. */
static int pam_code(const cws_config *cfg, const verdict *v)
{
        if (v->allow)
                return PAM_SUCCESS;
        switch (v->reason) {
        case CWS_R_INVITATION_EXPIRED:
                return PAM_ACCT_EXPIRED;
        case CWS_R_REGISTRY_UNAVAILABLE:
                return cfg->fail_mode == CWS_FAIL_OPEN && v->answered && !v->offline ?
                       PAM_SUCCESS : PAM_AUTHINFO_UNAVAIL;
        case CWS_R_INTERNAL_ERROR:
        case CWS_R_BAD_REQUEST:
        case CWS_R_RATE_LIMITED:
                return PAM_AUTHINFO_UNAVAIL;
        case CWS_R_OK:          /* "deny" with ok cannot happen; never allow it */
        default:
                return PAM_PERM_DENIED;
        }
}

/* Returns whether the audit record was written (or audit is off or absent
 * from the kernel). */
static bool record(pam_handle_t *pamh, const cws_config *cfg, const module_args *a,
                   const session_info *si, const verdict *v, int code)
{
        cws_event ev = {
                .kind = code == PAM_SUCCESS ? CWS_EV_ALLOW : CWS_EV_DENY,
                .program = "pam_cws",
                .user = si->user,
                .profile = v->profile,
                .invitation = v->invitation,
                .device = v->device,
                .service = si->service,
                .rhost = si->rhost,
                .tty = si->tty,
                .reason = v->reason,
        };
        cws_evidence_result res;

        cws_evidence_emit(&ev, !a->noaudit, &res);
        if (res.audit < 0 && audit_report_due()) {
                pam_syslog(pamh, LOG_ERR, "cannot write the audit record: %s%s", strerror(-res.audit),
                           cfg->audit_required ? " (audit_required: denying)" : "");
        }
        if (res.journal < 0 && a->debug)
                pam_syslog(pamh, LOG_WARNING, "cannot write the journal entry: %s", strerror(-res.journal));
        return res.audit == 0;
}

static void tell_user(pam_handle_t *pamh, int flags, const verdict *v)
{
        if ((unsigned)flags & PAM_SILENT)
                return;
        if (v->profile[0] && cws_name_valid(v->profile, CWS_PROFILE_MAX))
                pam_error(pamh, "pam_cws: access denied for profile %s: %s", v->profile,
                          cws_reason_advice(v->reason));
        else
                pam_error(pamh, "pam_cws: access denied: %s", cws_reason_advice(v->reason));
}

static int check(pam_handle_t *pamh, int flags, int argc, const char **argv, const char *phase)
{
        module_args a = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        cws_config cfg, overrides;
        cws_error err = { 0 };
        session_info si = { 0 };
        verdict v = { .allow = false, .reason = CWS_R_INTERNAL_ERROR };
        bool have_fail_mode = false, audited, account = strcmp(phase, "account") == 0;
        const char *conf;
        int r, code;

        cws_config_defaults(&overrides);
        if (parse_args(pamh, argc, argv, &a, &overrides, &have_fail_mode) < 0)
                return PAM_AUTHINFO_UNAVAIL;
        conf = a.conf ? a.conf : CWS_DEFAULT_CONFIG;
        r = gate_load_config(pamh, conf, &cfg, &err);
        if (r == -ENOENT && !a.conf) {
                cws_config_defaults(&cfg);
        } else if (r < 0) {
                /* A config that failed to load decides nothing, and no fail
                 * mode read from it applies: deny. */
                pam_syslog(pamh, LOG_ERR, "%s; denying", cws_error_message(&err));
                return PAM_AUTHINFO_UNAVAIL;
        }
        if (have_fail_mode)
                cfg.fail_mode = overrides.fail_mode;

        r = get_items(pamh, account, &si);
        if (r < 0) {
                pam_syslog(pamh, LOG_NOTICE, "refusing a request with a missing, unknown or malformed "
                           "user, service, rhost or tty");
                v.reason = CWS_R_BAD_REQUEST;
                /* The user, rhost and tty go on as they are: the evidence
                 * shows a hostile value hex-encoded and cut, never verbatim. */
                si.service = si.service && cws_name_valid(si.service, CWS_NAME_MAX) ? si.service : NULL;
                record(pamh, &cfg, &a, &si, &v, PAM_PERM_DENIED);
                tell_user(pamh, flags, &v);
                return PAM_PERM_DENIED;
        }
        if (account) {
                /* Not fatal: without it the session checks PAM_USER. */
                char *u = strdup(si.user);
                if (!u || pam_set_data(pamh, DATA_ACCOUNT_USER, u, gate_free_data) != PAM_SUCCESS) {
                        free(u);
                        pam_syslog(pamh, LOG_WARNING, "cannot remember the account user; "
                                   "the session will check PAM_USER");
                }
        }
        r = user_is_gated(&cfg, &si);
        if (r == 0) {
                if (a.debug)
                        pam_syslog(pamh, LOG_DEBUG, "%s is outside the gate group %s: ignoring",
                                   si.user, cfg.gate_group);
                return PAM_IGNORE;
        }
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot tell whether %s is in group %s; denying", si.user,
                           cfg.gate_group);
                record(pamh, &cfg, &a, &si, &v, PAM_AUTHINFO_UNAVAIL);
                return PAM_AUTHINFO_UNAVAIL;
        }

        if (account || !gate_reuse_allow(pamh, conf, &cfg, &a, &si, &v)) {
                if (ask_agent(pamh, &cfg, &a, &si, phase, &v) < 0)
                        gate_decide_offline(pamh, &cfg, &si, &v);
        }
        code = pam_code(&cfg, &v);
        if (code == PAM_SUCCESS && !v.allow)
                pam_syslog(pamh, LOG_WARNING, "fail_mode=open: allowing %s without a decision (%s)",
                           si.user, cws_reason_to_string(v.reason));
        audited = record(pamh, &cfg, &a, &si, &v, code);
        if (code == PAM_SUCCESS && cfg.audit_required && !audited) {
                pam_syslog(pamh, LOG_ERR, "denying %s: no audit trail (audit_required)", si.user);
                return PAM_AUTHINFO_UNAVAIL;
        }
        if (code != PAM_SUCCESS)
                tell_user(pamh, flags, &v);
        else if (account)
                gate_remember_allow(pamh, conf, &si, &v);
        if (a.debug)
                pam_syslog(pamh, LOG_DEBUG, "%s %s service=%s decision=%s reason=%s%s", phase, si.user,
                           si.service, code == PAM_SUCCESS ? "allow" : "deny",
                           cws_reason_to_string(v.reason),
                           v.offline ? " (offline cache)" : v.reused ? " (the account phase's)" : "");
        return code;
}

PUBLIC int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return check(pamh, flags, argc, argv, "account");
}

PUBLIC int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return check(pamh, flags, argc, argv, "session");
}

/* Tells cwsd the session ended, so a later revocation does not look for
 * it: a note, not awaited. Not a gate: nothing to deny here. */
PUBLIC int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        module_args a = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        cws_config cfg, overrides;
        bool have_fail_mode = false;
        const char *user = NULL;
        const txn_cache *t;
        cws_msg req;

        (void)flags;
        cws_config_defaults(&overrides);
        if (parse_args(pamh, argc, argv, &a, &overrides, &have_fail_mode) < 0 ||
            gate_load_config(pamh, a.conf ? a.conf : CWS_DEFAULT_CONFIG, &cfg, NULL) < 0)
                cws_config_defaults(&cfg);
        if (get_user(pamh, &user, false, false) < 0 || !cws_name_valid(user, CWS_USER_MAX))
                return PAM_SUCCESS;
        cws_msg_init(&req);
        /* No pid: cwsd knows the session's process from SO_PEERCRED. The
         * uid when this transaction looked it up for this user. */
        t = gate_txn(pamh);
        if (cws_msg_add(&req, "op", "session_close") == 0 && cws_msg_add(&req, "user", user) == 0 &&
            (!t || !t->have_user || strcmp(t->user, user) != 0 ||
             cws_msg_addf(&req, "uid", "%u", (unsigned)t->uid) == 0))
                (void)cws_agent_notify(cfg.socket_path, &req, a.timeout_ms, NULL);
        return PAM_SUCCESS;
}

/* Not an authenticator. */
PUBLIC int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        (void)pamh; (void)flags; (void)argc; (void)argv;
        return PAM_IGNORE;
}

PUBLIC int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        (void)pamh; (void)flags; (void)argc; (void)argv;
        return PAM_IGNORE;
}

PUBLIC int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        (void)pamh; (void)flags; (void)argc; (void)argv;
        return PAM_IGNORE;
}
