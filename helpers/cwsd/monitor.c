/* The revocation monitor: every monitor_interval, every binding on this
 * host validated against the registry (lib/decide.c, the login's code).
 * Each user is a background job: one runs at a time, beside the logins'
 * jobs and never in front of them, so a sweep is spread over its users
 * instead of holding every worker. A sweep that has not finished when
 * the next is due is not doubled; none runs while the registry is down
 * (the probe brings it back). */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include "cwsd.h"
#include "cws/binding.h"
#include "cws/monitor_stamp.h"

/* A revocation seen for the first time is put on record. With
 * terminate_on_revoke, a user left with a revoked binding and none that
 * validates loses the sessions pam_cws registered; nothing ends while
 * the registry is unreachable. */
static void monitor_done(agent *a, job *j)
{
        decide_job *m = (decide_job *)j;

        a->monitor_pending--;
        if (!j->dropped) {
                report_findings(a, m->user, NULL, &m->v, true);
                if (m->v.registry_unavailable)
                        registry_failed(a, m->v.unavailable_detail);
                if (a->cfg.terminate_on_revoke && m->v.any_revoked && !m->v.any_allow &&
                    !m->v.registry_unavailable)
                        terminate_sessions(a, j->uid, m->user);
                groups_note_sweep(a, j->uid, m->user, &m->v, m->p.now_us);
        }
        if (a->monitor_pending == 0)
                groups_publish(a, true, 0);
        free(m);
}

void monitor_user(agent *a, uid_t uid)
{
        struct passwd pwbuf, *pw = NULL;
        char buf[4096];
        decide_job *m;

        if (getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw ||
            !cws_name_valid(pw->pw_name, CWS_USER_MAX))
                return;   /* no such user any more: nobody to gate */
        m = calloc(1, sizeof(*m));
        if (!m)
                return;
        m->base = (job){ .background = true, .serialise = true, .uid = uid, .run = decide_job_run,
                         .done = monitor_done };
        snprintf(m->user, sizeof(m->user), "%s", pw->pw_name);
        decide_params(a, NULL, NULL, &m->p);
        m->p.every_binding = true;
        if (workers_submit(a, &m->base) < 0) {
                free(m);
                return;
        }
        a->monitor_pending++;
}

static int on_monitor(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        cws_error err = { 0 };
        uid_t *uids = NULL;
        size_t n = 0;

        (void)usec;
        if (a->monitor_pending)
                log_line(LOG_WARNING, "monitor: the last sweep has %u users left; not starting "
                         "another", a->monitor_pending);
        else if (!a->registry_down && cws_binding_users(a->cfg.state_dir, &uids, &n, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        for (size_t i = 0; i < n; i++)
                monitor_user(a, uids[i]);
        free(uids);
        /* cws-status: when a sweep last started (state_dir/monitor.last). */
        if (!a->monitor_pending || n) {
                if (cws_monitor_stamp_write(a->cfg.state_dir, cws_cache_now_us() / 1000000, &err) < 0)
                        log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        }
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
