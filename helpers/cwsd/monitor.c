/* The revocation monitor: every monitor_interval, every binding on this
 * host validated against the registry (lib/decide.c, the login's code). */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdlib.h>
#include <syslog.h>
#include "cwsd.h"
#include "cws/binding.h"

/* One user: the answers folded into the user's cache, a revocation seen
 * for the first time put on record. With terminate_on_revoke, a user left
 * with a revoked binding and none that validates loses the sessions
 * pam_cws registered; nothing ends while the registry is unreachable. */
static void monitor_user(agent *a, uid_t uid, int64_t now_us)
{
        struct passwd pwbuf, *pw = NULL;
        char buf[4096];
        cws_decide_params p;
        cws_user_verdict v;

        if (getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw ||
            !cws_name_valid(pw->pw_name, CWS_USER_MAX))
                return;   /* no such user any more: nobody to gate */
        decide_params(a, NULL, a->registry, &p);
        p.min_type = CWS_TYPE_NONE;
        p.every_binding = true;
        p.now_us = now_us;
        cws_decide_user(&p, uid, pw->pw_name, &v);
        report_findings(a, pw->pw_name, NULL, &v, true);
        if (a->cfg.terminate_on_revoke && v.any_revoked && !v.any_allow && !v.registry_unavailable)
                terminate_sessions(a, uid, pw->pw_name);
}

static int on_monitor(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        cws_error err = { 0 };
        uid_t *uids = NULL;
        size_t n = 0;
        int64_t now_us = cws_cache_now_us();

        (void)usec;
        if (cws_binding_users(a->cfg.state_dir, &uids, &n, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        for (size_t i = 0; i < n; i++)
                monitor_user(a, uids[i], now_us);
        free(uids);
        sd_event_source_set_time_relative(s, (uint64_t)a->cfg.monitor_interval * 1000000u);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

int monitor_start(agent *a)
{
        return sd_event_add_time_relative(a->event, &a->monitor, CLOCK_MONOTONIC,
                                          (uint64_t)a->cfg.monitor_interval * 1000000u, 100000u,
                                          on_monitor, a);
}
