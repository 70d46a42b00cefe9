/* pam_cws.so's parts (pam_cws.c the entry points and the decision,
 * txn.c what a PAM transaction keeps between its phases, offline_load.c
 * the offline decision in pam_cws_offline.so): their shared types. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <security/pam_modules.h>
#include "cws/config.h"
#include "cws/error.h"
#include "cws/ids.h"
#include "cws/reason.h"
#include "cws/types.h"

/* How old the account phase's allow may be for the session phase of the
 * same transaction to take it instead of asking cwsd again (pam_cws(8)). */
#define SESSION_REUSE_MS 10000

typedef struct module_args {
        const char *conf;
        bool debug;
        bool noaudit;
        int timeout_ms;
} module_args;

typedef struct session_info {
        const char *user;
        const char *service;
        const char *rhost;
        const char *tty;
        uid_t uid;
        gid_t gid;
} session_info;

typedef struct verdict {
        bool allow;
        cws_reason reason;
        char profile[CWS_PROFILE_MAX];
        char invitation[CWS_ID_MAX];
        char device[CWS_ID_MAX];
        bool offline;
        bool answered;  /* a running cwsd answered about this user */
        bool reused;    /* the session phase took the account phase's */
} verdict;

/* What this PAM transaction has already read, so that the session and
 * close phases do not read it again: the config file (keyed by its path,
 * before module-argument overrides) and the user's ids (keyed by name).
 * Only successful reads are kept; without it (pam_set_data refused) every
 * phase reads for itself. And the account phase's allow, when cwsd
 * answered it, for the session phase (SESSION_REUSE_MS). */
#define DATA_TXN "pam_cws_txn"
typedef struct txn_cache {
        bool have_cfg;
        char conf_path[CWS_CONFIG_PATH_MAX];
        cws_config cfg;
        bool have_user;
        char user[CWS_USER_MAX];
        uid_t uid;
        gid_t gid;
        bool have_allow;
        char allow_conf[CWS_CONFIG_PATH_MAX];
        char allow_user[CWS_USER_MAX];
        char allow_service[CWS_NAME_MAX];
        int64_t allow_at_ms;    /* CLOCK_MONOTONIC */
        verdict allow;
} txn_cache;

/* The cleanup of what the module keeps with pam_set_data (free). */
void gate_free_data(pam_handle_t *pamh, void *data, int error_status);
/* This transaction's cache, created on first use; NULL without one. */
txn_cache *gate_txn(pam_handle_t *pamh);
/* The config at path, read once per transaction. */
int gate_load_config(pam_handle_t *pamh, const char *path, cws_config *cfg, cws_error *err);
/* Keeps the account phase's allow (under conf) for the session phase. */
void gate_remember_allow(pam_handle_t *pamh, const char *conf, const session_info *si,
                         const verdict *v);
/* The session phase takes it and registers the session: see txn.c. */
bool gate_reuse_allow(pam_handle_t *pamh, const char *conf, const cws_config *cfg,
                      const module_args *a, const session_info *si, verdict *v);
/* cwsd did not answer: the decision from its authenticated cache. */
void gate_decide_offline(pam_handle_t *pamh, const cws_config *cfg, const session_info *si,
                         verdict *v);
/* snprintf of src (or "") into dst. */
void gate_copy(char *dst, size_t n, const char *src);
