/* The decision for one user over all of the user's bindings on this host,
 * for a login (the first binding that validates wins) and for the
 * revocation monitor (every binding, or only those a revocation notice
 * names). The request path and the monitor of cwsd share it.
 *
 * It reads and writes files in the state directory (the user's cache, the
 * seen revocations: both safe to write from several threads, each write a
 * new file renamed or linked into place) and asks the registry, and
 * touches nothing else: what must be put on record (audit, journal) comes
 * back as findings for the caller to emit on its own thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/cache.h"
#include "cws/cache_memo.h"
#include "cws/registry.h"
#include "cws/validate.h"

typedef enum cws_finding_kind {
        CWS_FIND_BINDING_BROKEN,  /* a binding that does not open: tamper or copy (critical) */
        CWS_FIND_DRIFT,           /* fingerprint violations (the caller applies alert_threshold) */
        CWS_FIND_TAMPERING,       /* a revocation deleted or written over in the registry */
        CWS_FIND_REVOCATION_NEW,  /* a revocation this host had not seen before */
} cws_finding_kind;

typedef struct cws_finding {
        cws_finding_kind kind;
        cws_decision d;           /* the binding's own decision */
        const char *what;         /* a static sentence, for TAMPERING */
} cws_finding;

#define CWS_FINDINGS_MAX 16

typedef struct cws_user_verdict {
        cws_decision d;           /* the decision (first allow, or the denial that matters) */
        bool from_cache;          /* a validation younger than max_cache_age */
        bool offline;             /* allowed by the offline rules (registry unavailable) */
        int64_t offline_age_us;   /* ... from a validation this old */
        bool registry_unavailable;/* some binding could not be asked (availability) */
        char unavailable_detail[256]; /* why, for the first binding that could not be asked */
        bool any_allow, any_revoked;
        unsigned n_bindings;      /* bindings looked at */
        size_t n_findings;
        unsigned findings_dropped;/* more than CWS_FINDINGS_MAX */
        cws_finding findings[CWS_FINDINGS_MAX];
} cws_user_verdict;

typedef struct cws_decide_params {
        const char *state_dir;
        int state_fd;                     /* > 0: a held, checked descriptor of state_dir for
                                           * the seen revocations; <= 0: walk the path */
        const uint8_t *host_key;          /* CWS_HOST_KEY_LEN bytes */
        const char *trusted_keys;         /* read at every decision: a new key needs no restart */
        cws_registry *registry;           /* NULL: known to be down, decide offline at once */
        cws_inv_type min_type;
        uint32_t max_cache_age;           /* seconds, 0: always ask (login only) */
        uint32_t offline_grace;           /* seconds, 0: nothing offline */
        int64_t now_us;                   /* CLOCK_REALTIME, µs */
        bool every_binding;               /* the monitor: no first-allow stop, no cache or
                                           * offline answer, no BINDING_BROKEN or DRIFT */
        const char *const *only_ids;      /* monitor: only bindings whose invitation or device
                                           * is one of these (NULL: all) */
        size_t n_only_ids;
        const cws_fingerprint *fp;        /* this device now (NULL: collected; tests set it) */
        /* Before each binding the registry is asked about (may be NULL):
         * the monitor's pacing, which may wait and sets *now_us to the time
         * after; nonzero stops the round there (cwsd is stopping). */
        int (*pace)(void *pace_data, int64_t *now_us);
        void *pace_data;
        /* Log lines (may be NULL); called on the deciding thread. */
        void (*log)(void *userdata, int prio, const char *msg);
        void *userdata;
} cws_decide_params;

/* Never allows on an error: every failure is a denial with a reason. A
 * user without bindings is CWS_R_NOT_ENROLLED. The user's cache is loaded
 * and, when an answer changed it, stored again. */
void cws_decide_user(const cws_decide_params *p, uid_t uid, const char *user,
                     cws_user_verdict *v);

/* Only the cache: true with *v filled when a validation younger than
 * max_cache_age answers (no registry request, no binding opened); false,
 * with nothing stored, when the registry must be asked. With memo (not
 * NULL), the cache comes from memo while it is current (cache_memo.h);
 * the seen revocations are read from disk either way. */
bool cws_decide_from_cache(const cws_decide_params *p, cws_cache_memo *memo, uid_t uid,
                           const char *user, cws_user_verdict *v);

/* A revocation seen once is final on this host: the rule of
 * seen_revocations applied to one binding's decision d (see decide.c).
 * Returns 1 when d reports a revocation new to this host, 0 otherwise;
 * sets *tampered when the registry allowed what this host saw revoked. */
int cws_decide_apply_seen(const cws_decide_params *p, cws_decision *d, bool *tampered);

static inline bool cws_reason_is_revoked(cws_reason r)
{
        return r == CWS_R_DEVICE_REVOKED || r == CWS_R_INVITATION_REVOKED;
}
