/* cwsd's parts, one concern per file:
 *   server.c    the socket, connections, per-uid limits
 *   ops.c       the dispatch table: each operation with its permission rule
 *   sessions.c  the sessions pam_cws registered, ended on revocation
 *   monitor.c   the revocation monitor
 *   report.c    log lines and evidence (audit + journal) of findings
 *   main.c      arguments, set-up, the event loop
 * Everything runs on the event loop's thread. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include "cws/config.h"
#include "cws/decide.h"
#include "cws/evidence.h"
#include "cws/host_key.h"
#include "cws/peer_limits.h"
#include "cws/protocol.h"
#include "cws/session.h"

struct conn;

typedef struct agent {
        cws_config cfg;
        cws_peer_limits limits;
        sd_event_source *listener, *accept_pause, *monitor;
        struct conn *conns;             /* open connections, a list */
        uint64_t refusal_logged_usec;
        cws_session sessions[1024];     /* open sessions pam_cws told us about */
        size_t n_sessions;
        bool audit_failure_reported;
        uint8_t host_key[CWS_HOST_KEY_LEN];
        cws_registry *registry;         /* the loop thread's own handle */
        sd_event *event;
        bool socket_activated;
} agent;

/* One request being answered: who asks (SO_PEERCRED), about whom. */
typedef struct request {
        agent *a;
        struct ucred peer;
        const cws_msg *in;
        cws_msg *out;
        uid_t uid;               /* the user asked about */
        const char *user;
} request;

/* report.c */
void log_line(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit(agent *a, const cws_event *ev);
/* The findings of a decision put on record: drift at or above
 * alert_threshold, broken bindings, tampering; a new revocation only when
 * monitor is set (a login's decision is its own record). */
void report_findings(agent *a, const char *user, const char *service,
                     const cws_user_verdict *v, bool monitor);
void report_tampering(agent *a, const char *user, const char *service, const cws_decision *d,
                      const char *what);
/* decide.c's log hook: log_line. */
void decide_log(void *userdata, int prio, const char *msg);

/* ops.c */
void handle(agent *a, const struct ucred *peer, const cws_msg *in, cws_msg *out);
/* The cost class of an operation for the per-uid rate limit; false when
 * it is not rate-limited. */
bool op_cost(const char *op, cws_cost *cost);
int reply_error(cws_msg *out, cws_reason reason, const char *message);
/* The decision parameters of this agent for (service, registry). */
void decide_params(const agent *a, const char *service, cws_registry *registry,
                   cws_decide_params *p);

/* sessions.c */
void session_note(agent *a, const request *q, bool open);
void terminate_sessions(agent *a, uid_t uid, const char *user);

/* monitor.c */
int monitor_start(agent *a);

/* server.c */
uint64_t now_usec(void);
unsigned raise_fd_limit(void);
int listen_socket(const char *path, bool *activated);
int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata);
void server_close_all(agent *a);
