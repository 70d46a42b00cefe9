/* cwsd's parts, one concern per file:
 *   server.c    the socket, connections, per-uid limits
 *   ops.c       the dispatch table: each operation with its permission rule
 *   workers.c   registry work on a small pool of threads, coalesced per user
 *   health.c    the registry marked down on failure, probed with backoff
 *   sessions.c  the sessions pam_cws registered, ended on revocation
 *   monitor.c   the revocation monitor
 *   report.c    log lines and evidence (audit + journal) of findings
 *   groups.c    nss_cws's membership file
 *   alerts.c    alerts to the [alerts] webhook, from a queue, on a thread
 *   posture.c   the local health checks every health_check_interval
 *   reports.c   the report op: a helper's keychain failure, an alert
 *   main.c      arguments, set-up, the event loop
 * Everything runs on the event loop's thread but a job's run() (workers.c)
 * and the webhook's sender (alerts.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include "cws/config.h"
#include "cws/correlate.h"
#include "cws/decide.h"
#include "cws/evidence.h"
#include "cws/group_file.h"
#include "cws/health.h"
#include "cws/host_key.h"
#include "cws/peer_limits.h"
#include "cws/protocol.h"
#include "cws/session.h"
#include "cws/validate.h"

struct conn;
struct workers;
typedef struct alerts alerts;
typedef struct agent agent;

/* A paced round of background work (monitor.c's full sweep): slot k
 * starts no earlier than start_usec + k * step_usec (CLOCK_MONOTONIC).
 * Set on the loop before the round's jobs are queued; next is taken on
 * the workers, under their lock (workers_pace). */
typedef struct pace {
        struct workers *workers;
        uint64_t start_usec, step_usec;
        unsigned next;
} pace;

struct agent {
        cws_config cfg;
        cws_peer_limits limits;
        sd_event_source *listener, *accept_pause, *monitor;
        struct conn *conns;             /* open connections, a list */
        uint64_t refusal_logged_usec;
        cws_session sessions[1024];     /* open sessions pam_cws told us about */
        size_t n_sessions;
        bool audit_failure_reported;
        uint8_t host_key[CWS_HOST_KEY_LEN];
        int state_fd;                   /* cfg.state_dir, checked and held from the start */
        cws_registry *registry;         /* the loop thread's own handle */
        cws_cache_memo *cache_memo;     /* the users' caches, for the loop thread (NULL: none) */
        sd_event *event;
        bool socket_activated;
        struct workers *workers;
        unsigned n_workers, queue_max;
        unsigned monitor_pending;       /* monitor jobs of the last sweep not done */
        /* monitor.c: revocation notices and the full sweep behind them */
        bool notice_pending;            /* a listing of notices in flight */
        char notice_cursor[256];        /* the last notice key seen (CWS_KEY_MAX) */
        uint64_t full_sweep_usec;       /* CLOCK_MONOTONIC of the last full sweep, 0: none */
        pace sweep_pace;                /* the full sweep's bindings, spread over the interval */
        /* health.c: the registry's availability, as the last request found it */
        bool registry_down;
        int64_t down_since_us;
        char down_reason[256];
        uint64_t probe_delay_usec;
        sd_event_source *probe;
        unsigned long coalesced, refused_full;   /* counters, for the log */
        cws_groups groups;              /* groups.c: nss_cws's cws-* groups */
        cws_correlator *corr;           /* lib/correlate.c (NULL: off) */
        alerts *alerts;                 /* alerts.c (NULL: no webhook) */
        /* posture.c: the health timer */
        const char *config_path;        /* --config, NULL: the default */
        cws_health_files files;
        const char *const *project_files;
        sd_event_source *posture;
        bool posture_pending, posture_baseline;
        cws_posture *posture_last;      /* the last run's results */
};

/* A unit of registry work (workers.c). Specific jobs embed it first. */
typedef struct job job;
struct job {
        job *next;                      /* queue or done list (under the workers' lock) */
        job *inflight_next;             /* loop thread: validations in flight */
        bool background;                /* monitor, probe: one at a time */
        bool paced;                     /* a full sweep's: waits in workers_pace */
        bool serialise;                 /* one job of uid at a time */
        uid_t uid;
        bool coalesce;                  /* others may join it (workers_find) */
        bool started;                   /* taken by a worker (under the lock) */
        bool dropped;                   /* nobody waits any more: done() only frees */
        struct conn *waiters;           /* loop thread */
        void (*run)(job *j, cws_registry *r);   /* on a worker */
        void (*done)(agent *a, job *j);         /* on the loop; frees j */
};

/* A job that decides about one user (validation, monitor). */
typedef struct decide_job {
        job base;
        char user[CWS_USER_MAX];
        cws_decide_params p;            /* registry and time are the worker's */
        cws_user_verdict v;
} decide_job;
void decide_job_run(job *j, cws_registry *r);

/* One accepted connection: its peer as the kernel reported it at connect
 * time, an idle timer, its place in the per-uid limits, and while a
 * request waits for a job, what its own answer needs. */
typedef struct conn {
        agent *a;
        sd_event_source *io, *idle;
        struct ucred peer;
        struct conn *prev, *next;
        job *pending;
        struct conn *next_waiter;
        uid_t uid;
        char user[CWS_USER_MAX];
        char service[CWS_NAME_MAX];
        bool session_phase;
} conn;

/* One request being answered: who asks (SO_PEERCRED), about whom. */
typedef struct request {
        agent *a;
        struct ucred peer;
        const cws_msg *in;
        cws_msg *out;
        uid_t uid;               /* the user asked about */
        const char *user;
        cws_registry *registry;  /* the worker's handle (ops that run on one) */
        conn *conn;
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

/* ops.c: 0 when out is the answer, 1 when the connection waits for a job. */
int handle(conn *c, const cws_msg *in, cws_msg *out);
/* The cost class of an operation for the per-uid rate limit; false when
 * it is not rate-limited. */
bool op_cost(const char *op, cws_cost *cost);
/* Whether op is a note: its sender does not wait for the answer. */
bool op_is_note(const char *op);
int reply_error(cws_msg *out, cws_reason reason, const char *message);
/* The decision parameters of this agent for (service, registry). */
void decide_params(const agent *a, const char *service, cws_registry *registry,
                   cws_decide_params *p);

/* reports.c: op=report kind=keychain_failure detail=KIND. */
int op_report(request *q);

/* sessions.c */
void session_note(agent *a, const request *q, bool open);
void terminate_sessions(agent *a, uid_t uid, const char *user);

/* monitor.c */
int monitor_start(agent *a);
/* One user's sweep, as a background job (also after an enrollment, so
 * that the groups learn the new binding's type). */
void monitor_user(agent *a, uid_t uid);

/* groups.c */
void groups_publish(agent *a, bool all, uid_t uid);
void groups_note_sweep(agent *a, uid_t uid, const char *user, const cws_user_verdict *v,
                       int64_t now_us);

/* workers.c */
int workers_start(agent *a, unsigned n, unsigned queue_max, cws_error *err);
void workers_stop(agent *a);
/* Queues j; -EBUSY when the queue of login work is full. */
int workers_submit(agent *a, job *j);
/* A coalescing job in flight that match() says answers key. */
job *workers_find(agent *a, bool (*match)(const job *j, const void *key), const void *key);
void workers_wait(job *j, conn *c);
/* On a worker, in a paced job: waits for its next slot; -ECANCELED at
 * once when the workers stop. */
int workers_pace(pace *pc);
void workers_detach(agent *a, conn *c);

/* alerts.c: nothing without [alerts] url; else the sender's thread, or
 * an error for a bad secret_file or ca_file. */
int alerts_start(agent *a, cws_error *err);
/* The correlator's sink for the webhook (NULL without one: the default). */
cws_alert_sink alerts_sink(agent *a, void **userdata);
void alerts_stop(agent *a);

/* posture.c: the first run 5 s after start (the baseline), then every
 * health_check_interval; background jobs on the workers. */
int posture_start(agent *a);
void posture_free(agent *a);

/* health.c */
/* After a request failed for availability: marked down (logged once),
 * probed in the background with bounded backoff. */
void registry_failed(agent *a, const char *why);
void registry_health_free(agent *a);

/* server.c */
/* Sends out on a connection that waited, and lets it ask again. */
void conn_reply(conn *c, const cws_msg *out);
uint64_t now_usec(void);
unsigned raise_fd_limit(void);
int listen_socket(const char *path, bool *activated);
int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata);
void server_close_all(agent *a);
