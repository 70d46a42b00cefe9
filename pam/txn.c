/* What a PAM transaction keeps between its phases (pam_set_data): the
 * config and the user's ids read once, and the account phase's allow that
 * the session phase may take (pam_cws(8)); and what the process keeps
 * between transactions: the config, while the file is unchanged. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_ext.h>
#include "cws/file_stamp.h"
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

/* The config as this process last read it, kept because pam_cws.so is
 * never unloaded (-z nodelete): a process that runs many transactions (a
 * display manager, a screen locker, a test harness) reads the file once,
 * and again only when it changed (cws/file_stamp.h: the fstat of the
 * descriptor it was read from against an lstat of the path now; a file
 * not settled when read is not kept). The walk that checked the parents
 * is not repeated on a hit: they were root-owned and writable by root only
 * when it ran, so only root can have changed them since. The lock is only
 * ever tried: a thread that finds it taken reads the file as without the
 * memo, and so does the child of a fork() taken while another thread held
 * it (the lock would stay taken there for good). */
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        bool have;
        char path[CWS_CONFIG_PATH_MAX];
        cws_file_stamp stamp;
        cws_config cfg;
} memo;

/* The config at path as this process read it last, if the file has not
 * changed since. */
static bool memo_get(const char *path, cws_config *cfg)
{
        struct stat st;
        bool hit;

        if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
            pthread_mutex_trylock(&memo_lock) != 0)
                return false;
        hit = memo.have && strcmp(memo.path, path) == 0 && cws_file_stamp_same(&memo.stamp, &st);
        if (hit)
                *cfg = memo.cfg;
        pthread_mutex_unlock(&memo_lock);
        return hit;
}

static void memo_put(const char *path, const struct stat *st, const cws_config *cfg)
{
        if (strlen(path) >= sizeof(memo.path) || !cws_file_settled(st) ||
            pthread_mutex_trylock(&memo_lock) != 0)
                return;
        snprintf(memo.path, sizeof(memo.path), "%s", path);
        cws_file_stamp_of(&memo.stamp, st);
        memo.cfg = *cfg;
        memo.have = true;
        pthread_mutex_unlock(&memo_lock);
}

int gate_load_config(pam_handle_t *pamh, const char *path, cws_config *cfg, cws_error *err)
{
        txn_cache *t = gate_txn(pamh);
        struct stat st;
        int r = 0;

        if (t && t->have_cfg && strcmp(t->conf_path, path) == 0) {
                *cfg = t->cfg;
                return 0;
        }
        if (!memo_get(path, cfg)) {
                r = cws_config_load_stat(cfg, path, NULL, &st, err);
                if (r == 0)
                        memo_put(path, &st, cfg);
        }
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
        if (cws_msg_add(&note, "op", "session_open") < 0 ||
            cws_msg_add(&note, "user", si->user) < 0 ||
            cws_msg_addf(&note, "uid", "%u", (unsigned)si->uid) < 0)
                return false;
        if (cws_agent_notify(cfg->socket_path, &note, a->timeout_ms, &err) < 0) {
                pam_syslog(pamh, LOG_WARNING, "%s", cws_error_message(&err));
                return false;
        }
        *v = t->allow;
        v->reused = true;
        return true;
}
