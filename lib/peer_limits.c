#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/peer_limits.h"

void cws_peer_limits_init(cws_peer_limits *l, unsigned total)
{
        memset(l, 0, sizeof(*l));
        l->policy = (cws_peer_policy){
                .conns_per_uid = 16,
                .conns_root = 256,
                .conns_total = total,
                .rate = {
                        [CWS_COST_CHECK] = { .burst = 30, .interval_usec = 500000 },
                        [CWS_COST_CHANGE] = { .burst = 5, .interval_usec = 12000000 },
                        [CWS_COST_REPORT] = { .burst = 3, .interval_usec = 60000000 },
                },
        };
}

void cws_peer_limits_free(cws_peer_limits *l)
{
        free(l->peers);
        memset(l, 0, sizeof(*l));
}

static cws_peer *find(cws_peer_limits *l, uid_t uid)
{
        for (size_t i = 0; i < l->n_peers; i++)
                if (l->peers[i].uid == uid)
                        return &l->peers[i];
        return NULL;
}

static cws_peer *find_or_add(cws_peer_limits *l, uid_t uid)
{
        cws_peer *p = find(l, uid);

        if (p)
                return p;
        if (l->n_peers == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 16;
                cws_peer *np = reallocarray(l->peers, ncap, sizeof(*np));
                if (!np)
                        return NULL;
                l->peers = np;
                l->cap = ncap;
        }
        p = &l->peers[l->n_peers++];
        memset(p, 0, sizeof(*p));
        p->uid = uid;
        return p;
}

/* A peer with no connection and no debt is forgotten: the table holds only
 * uids that are connected or were recently busy. */
static void forget_if_idle(cws_peer_limits *l, cws_peer *p, uint64_t now_usec)
{
        if (p->conns)
                return;
        for (int c = 0; c < _CWS_COST_MAX; c++)
                if (p->tat[c] > now_usec)
                        return;
        *p = l->peers[--l->n_peers];
}

int cws_peer_conn_open(cws_peer_limits *l, uid_t uid)
{
        cws_peer *p;

        if (l->conns >= l->policy.conns_total)
                return -ENFILE;
        p = find_or_add(l, uid);
        if (!p)
                return -ENOMEM;
        if (p->conns >= (uid == 0 ? l->policy.conns_root : l->policy.conns_per_uid))
                return -EUSERS;
        p->conns++;
        l->conns++;
        return 0;
}

void cws_peer_conn_close(cws_peer_limits *l, uid_t uid, uint64_t now_usec)
{
        cws_peer *p = find(l, uid);

        if (!p || !p->conns)
                return;
        p->conns--;
        l->conns--;
        forget_if_idle(l, p, now_usec);
}

bool cws_peer_take(cws_peer_limits *l, uid_t uid, cws_cost cost, uint64_t now_usec,
                   uint64_t *retry_usec)
{
        const cws_rate *rate;
        cws_peer *p;
        uint64_t tat, allowance;

        *retry_usec = 0;
        if (uid == 0)
                return true;
        if ((unsigned)cost >= _CWS_COST_MAX)
                return false;
        rate = &l->policy.rate[cost];
        p = find_or_add(l, uid);
        if (!p) {
                *retry_usec = rate->interval_usec;
                return false;
        }
        tat = p->tat[cost] > now_usec ? p->tat[cost] : now_usec;
        allowance = (uint64_t)(rate->burst ? rate->burst - 1 : 0) * rate->interval_usec;
        if (tat - now_usec > allowance) {
                *retry_usec = tat - now_usec - allowance;
                return false;
        }
        p->tat[cost] = tat + rate->interval_usec;
        return true;
}
