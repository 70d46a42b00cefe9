/* cwsd's limits per peer uid (SO_PEERCRED), so that no local user can
 * starve the agent: connections per uid and in all, and a request rate
 * per uid for requests that cost registry work. Rates are GCRA (a token
 * bucket in one timestamp per class): `burst` requests at once, then one
 * per `interval_usec`. Root gets its own, higher connection limit and no
 * rate limit: the login programs that run pam_cws are root. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum cws_cost {
        CWS_COST_CHECK,         /* a validation that may ask the registry */
        CWS_COST_CHANGE,        /* enroll, revoke: registry writes */
        CWS_COST_REPORT,        /* report: a helper's failure, an alert */
        _CWS_COST_MAX,
} cws_cost;

typedef struct cws_rate {
        unsigned burst;
        uint64_t interval_usec;
} cws_rate;

typedef struct cws_peer_policy {
        unsigned conns_per_uid;         /* non-root peers */
        unsigned conns_root;
        unsigned conns_total;
        cws_rate rate[_CWS_COST_MAX];   /* non-root peers */
} cws_peer_policy;

typedef struct cws_peer {
        uid_t uid;
        unsigned conns;
        uint64_t tat[_CWS_COST_MAX];    /* GCRA theoretical arrival times */
} cws_peer;

typedef struct cws_peer_limits {
        cws_peer_policy policy;
        cws_peer *peers;
        size_t n_peers, cap;
        unsigned conns;
} cws_peer_limits;

/* 16 connections per uid, 256 for root, `total` in all; checks: 30 at
 * once then 2 a second; changes: 5 at once then one every 12 s; reports:
 * 3 at once then one a minute. */
void cws_peer_limits_init(cws_peer_limits *l, unsigned total);
void cws_peer_limits_free(cws_peer_limits *l);

/* 0 and counted, -EUSERS over the uid's limit, -ENFILE over the total,
 * -ENOMEM. */
int cws_peer_conn_open(cws_peer_limits *l, uid_t uid);
void cws_peer_conn_close(cws_peer_limits *l, uid_t uid, uint64_t now_usec);

/* Whether uid may make a request of this cost now; when not, *retry_usec
 * says in how long it may. */
bool cws_peer_take(cws_peer_limits *l, uid_t uid, cws_cost cost, uint64_t now_usec,
                   uint64_t *retry_usec);
