/* What a PAM transaction keeps between its phases (pam_set_data): the
 * config and the user's ids read once, and the account phase's allow that
 * the session phase may take (pam_cws(8)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_ext.h>
#include "cws/protocol.h"
#include "gate.h"

static int64_t monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gate_free_data(pam_handle_t *pamh, void *data, int error_status)
{
        (void)pamh; (void)error_status;
        free(data);
}

txn_cache *gate_txn(pam_handle_t *pamh)
{
        const void *d = NULL;
        txn_cache *t;

        if (pam_get_data(pamh, DATA_TXN, &d) == PAM_SUCCESS && d)
                return (txn_cache *)d;
        t = calloc(1, sizeof(*t));
        if (!t || pam_set_data(pamh, DATA_TXN, t, gate_free_data) != PAM_SUCCESS) {
                free(t);
                return NULL;
        }
        return t;
}

int gate_load_config(pam_handle_t *pamh, const char *path, cws_config *cfg, cws_error *err)
{
        txn_cache *t = gate_txn(pamh);
        int r;

        if (t && t->have_cfg && strcmp(t->conf_path, path) == 0) {
                *cfg = t->cfg;
                return 0;
        }
        r = cws_config_load(cfg, path, err);
        if (r == 0 && t && strlen(path) < sizeof(t->conf_path)) {
                t->cfg = *cfg;
                snprintf(t->conf_path, sizeof(t->conf_path), "%s", path);
                t->have_cfg = true;
        }
        return r;
}

/* The account phase's allow, kept for the session phase when cwsd gave
 * it and the module let the user in on it. */
void gate_remember_allow(pam_handle_t *pamh, const char *conf, const session_info *si,
                         const verdict *v)
{
        txn_cache *t = gate_txn(pamh);

        if (!t || !v->allow || !v->answered || v->offline || strlen(conf) >= sizeof(t->allow_conf))
                return;
        snprintf(t->allow_conf, sizeof(t->allow_conf), "%s", conf);
        snprintf(t->allow_user, sizeof(t->allow_user), "%s", si->user);
        snprintf(t->allow_service, sizeof(t->allow_service), "%s", si->service);
        t->allow_at_ms = monotonic_ms();
        t->allow = *v;
        t->have_allow = true;
}

/* The session phase takes the account phase's allow of this transaction,
 * for the same config, user and service and at most SESSION_REUSE_MS old, and
 * only registers the session with cwsd (a note, not awaited). false when
 * there is none or cwsd cannot take the note: then the session phase
 * asks, or decides offline, as the account phase does. */
bool gate_reuse_allow(pam_handle_t *pamh, const char *conf, const cws_config *cfg,
                      const module_args *a, const session_info *si, verdict *v)
{
        const void *d = NULL;
        const txn_cache *t;
        cws_error err = { 0 };
        cws_msg note;
        int64_t age;

        if (pam_get_data(pamh, DATA_TXN, &d) != PAM_SUCCESS || !d)
                return false;
        t = d;
        age = monotonic_ms() - t->allow_at_ms;
        if (!t->have_allow || strcmp(t->allow_conf, conf) != 0 || strcmp(t->allow_user, si->user) != 0 ||
            strcmp(t->allow_service, si->service) != 0 || age < 0 || age > SESSION_REUSE_MS)
                return false;
        cws_msg_init(&note);
        /* No pid: cwsd registers the process SO_PEERCRED names. */
        if (cws_msg_add(&note, "op", "session_open") < 0 || cws_msg_add(&note, "user", si->user) < 0)
                return false;
        if (cws_agent_notify(cfg->socket_path, &note, a->timeout_ms, &err) < 0) {
                pam_syslog(pamh, LOG_WARNING, "%s", cws_error_message(&err));
                return false;
        }
        *v = t->allow;
        v->reused = true;
        return true;
}
