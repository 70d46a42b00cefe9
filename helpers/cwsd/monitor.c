/* The revocation monitor. Every monitor_interval it lists the revocation
 * notices after the last one it saw (lib/notice.c: one registry request
 * when nothing changed) and re-validates only the bindings they name;
 * every full_sweep_interval, and first after a start, every binding on
 * this host is validated against the registry (lib/decide.c, the login's
 * code): the backstop for a notice that was never written or was deleted.
 * Each user is a background job: one runs at a time, beside the logins'
 * jobs and never in front of them, so a sweep is spread over its users
 * instead of holding every worker. A full sweep is paced besides: of its
 * N bindings, binding k is asked about no earlier than k * PACE_SPAN of
 * monitor_interval / N after the sweep began (one that is behind does not
 * wait), so its requests are spread over the interval instead of one
 * burst at the registry's full speed. The notices' re-validations are few
 * and not paced. A sweep that has not finished when the next is due is
 * not doubled; none runs while the registry is down (the probe brings it
 * back). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "cwsd.h"
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/cleanup.h"
#include "cws/monitor_stamp.h"
#include "cws/notice.h"
#include "cws/nss_groups.h"

/* More notices than this in one interval: a full sweep instead. */
#define NOTICES_MAX 64
/* A full sweep is spread over this part of monitor_interval (in tenths),
 * so that it has ended when the next round is due. */
#define PACE_SPAN_TENTHS 9u

/* A user's monitor job, with the ids it is limited to (none: every
 * binding). decide_job first: decide_job_run takes it as one. */
typedef struct monitor_job {
        decide_job d;
        char ids[2 * NOTICES_MAX][CWS_ID_MAX];
        const char *idp[2 * NOTICES_MAX];
} monitor_job;

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
                /* Limited to a notice's bindings, the verdict does not say
                 * whether the user keeps another that validates: where
                 * sessions or groups hang on that, a revocation found
                 * brings the user's whole round. */
                if (m->p.only_ids) {
                        if (m->v.any_revoked && !m->v.registry_unavailable &&
                            (a->cfg.terminate_on_revoke || cws_groups_served(CWS_NSS_GROUP_FILE)))
                                monitor_user(a, j->uid);
                } else {
                        if (a->cfg.terminate_on_revoke && m->v.any_revoked && !m->v.any_allow &&
                            !m->v.registry_unavailable)
                                terminate_sessions(a, j->uid, m->user);
                        groups_note_sweep(a, j->uid, m->user, &m->v, m->p.now_us);
                }
        }
        if (a->monitor_pending == 0) {
                if (a->sweep_pace.start_usec && !j->dropped)
                        log_line(LOG_INFO, "monitor: the full sweep ended after %" PRIu64 " ms",
                                 (now_usec() - a->sweep_pace.start_usec) / 1000u);
                a->sweep_pace.start_usec = 0;
                groups_publish(a, true, 0);
        }
        free(m);
}

/* ids NULL: every binding of uid; else only those whose invitation or
 * device is one of ids[0..n). */
static int monitor_pace(void *data, int64_t *now_us)
{
        int r = workers_pace(data);

        *now_us = cws_cache_now_us();
        return r;
}

static void monitor_user_only(agent *a, uid_t uid, const char (*ids)[CWS_ID_MAX], size_t n,
                              bool paced)
{
        struct passwd pwbuf, *pw = NULL;
        char buf[4096];
        monitor_job *m;

        if (getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw ||
            !cws_name_valid(pw->pw_name, CWS_USER_MAX) || n > 2 * NOTICES_MAX)
                return;   /* no such user any more: nobody to gate */
        m = calloc(1, sizeof(*m));
        if (!m)
                return;
        m->d.base = (job){ .background = true, .serialise = true, .uid = uid, .run = decide_job_run,
                           .done = monitor_done };
        snprintf(m->d.user, sizeof(m->d.user), "%s", pw->pw_name);
        decide_params(a, NULL, NULL, &m->d.p);
        m->d.p.every_binding = true;
        if (paced) {
                m->d.base.paced = true;
                m->d.p.pace = monitor_pace;
                m->d.p.pace_data = &a->sweep_pace;
        }
        if (ids) {
                for (size_t i = 0; i < n; i++) {
                        memcpy(m->ids[i], ids[i], CWS_ID_MAX);
                        m->idp[i] = m->ids[i];
                }
                m->d.p.only_ids = m->idp;
                m->d.p.n_only_ids = n;
        }
        if (workers_submit(a, &m->d.base) < 0) {
                free(m);
                return;
        }
        a->monitor_pending++;
}

void monitor_user(agent *a, uid_t uid)
{
        monitor_user_only(a, uid, NULL, 0, false);
}

/* One listing of the notices after the cursor, each read and verified. */
typedef struct notice_job {
        job base;
        char trusted_keys[CWS_CONFIG_PATH_MAX];
        char after[CWS_KEY_MAX];
        char last[CWS_KEY_MAX];         /* the new cursor */
        int64_t now_us;
        size_t n;
        cws_notice notices[NOTICES_MAX];
        bool full_sweep;                /* too many, or a listing that is not one */
        bool unavailable;
        cws_error err;
} notice_job;

static bool availability_error(int k)
{
        return k != -EBADMSG && k != -E2BIG && k != -ELOOP && k != -ENOMEM && k != -EINVAL &&
               k != -EPERM && k != -EFBIG && k != -ENOENT;
}

static void notice_run(job *j, cws_registry *r)
{
        notice_job *nj = (notice_job *)j;
        char **keys = NULL;
        size_t n = 0;
        cws_trust trust;
        int k;

        snprintf(nj->last, sizeof(nj->last), "%s", nj->after);
        k = cws_registry_list_after(r, CWS_NOTICE_PREFIX, nj->after, &keys, &n, &nj->err);
        if (k < 0) {
                nj->unavailable = availability_error(k);
                nj->full_sweep = !nj->unavailable;
                return;
        }
        if (n > 0 && cws_trust_load(nj->trusted_keys, &trust, &nj->err) < 0) {
                nj->full_sweep = true;   /* nothing verifies; the sweep says why */
                cws_strv_free(keys, n);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                cws_error err = { 0 };
                int64_t at;

                if (cws_notice_key_parse(keys[i], &at) < 0) {
                        /* Never the cursor: "notice/zzz" would hide every
                         * notice after it. */
                        log_line(LOG_WARNING, "monitor: %s under %s/ is not a notice key; skipped",
                                 keys[i], CWS_NOTICE_PREFIX);
                        continue;
                }
                /* Sorted: this and every later key claim a time to come. */
                if (at > nj->now_us + CWS_NOTICE_FUTURE_MAX_US) {
                        log_line(LOG_WARNING, "monitor: notice %s is dated in the future; not "
                                 "taken as the cursor (check the writer's clock)", keys[i]);
                        break;
                }
                if (nj->n == NOTICES_MAX) {
                        nj->full_sweep = true;
                        break;
                }
                k = cws_notice_read(r, &trust, keys[i], nj->now_us / 1000000,
                                    &nj->notices[nj->n], &err);
                if (k < 0 && availability_error(k)) {
                        nj->unavailable = true;
                        nj->err = err;
                        break;          /* the cursor stays before it: read again */
                }
                if (k < 0)
                        log_line(LOG_WARNING, "monitor: notice %s ignored: %s", keys[i],
                                 cws_error_message(&err));
                else
                        nj->n++;
                snprintf(nj->last, sizeof(nj->last), "%s", keys[i]);
        }
        cws_strv_free(keys, n);
}

static bool id_listed(char (*ids)[CWS_ID_MAX], size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(ids[i], id))
                        return true;
        return false;
}

static void notice_done(agent *a, job *j)
{
        notice_job *nj = (notice_job *)j;
        static char ids[2 * NOTICES_MAX][CWS_ID_MAX];
        cws_error err = { 0 };
        uid_t *uids = NULL;
        size_t nids = 0, nu = 0;

        a->notice_pending = false;
        if (j->dropped) {
                free(nj);
                return;
        }
        if (nj->unavailable)
                registry_failed(a, cws_error_message(&nj->err));
        else if (nj->full_sweep && nj->err.code)
                log_line(LOG_ERR, "monitor: notices: %s; a full sweep instead", cws_error_message(&nj->err));
        if (nj->full_sweep)
                a->full_sweep_usec = 0;      /* at the next tick */
        if (strcmp(nj->last, a->notice_cursor) != 0) {
                snprintf(a->notice_cursor, sizeof(a->notice_cursor), "%s", nj->last);
                if (cws_notice_cursor_write(a->cfg.state_dir, a->notice_cursor, &err) < 0)
                        log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        }
        for (size_t i = 0; i < nj->n; i++) {
                const cws_notice *no = &nj->notices[i];

                log_line(LOG_NOTICE, "monitor: notice of a revocation: invitation=%s device=%s; "
                         "re-validating the bindings it names", no->inv_id,
                         no->device_id[0] ? no->device_id : "(all)");
                if (!id_listed(ids, nids, no->inv_id))
                        memcpy(ids[nids++], no->inv_id, CWS_ID_MAX);
                if (no->device_id[0] && !id_listed(ids, nids, no->device_id))
                        memcpy(ids[nids++], no->device_id, CWS_ID_MAX);
        }
        if (nids && cws_binding_users(a->cfg.state_dir, &uids, &nu, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
        for (size_t i = 0; i < nu; i++)
                monitor_user_only(a, uids[i], (const char (*)[CWS_ID_MAX])ids, nids, false);
        free(uids);
        free(nj);
        /* A round with nothing to re-validate still refreshes the groups
         * (their members' until, a clash in /etc/group that came or went). */
        if (a->monitor_pending == 0)
                groups_publish(a, true, 0);
}

static void notices_submit(agent *a)
{
        notice_job *nj = calloc(1, sizeof(*nj));

        if (!nj)
                return;
        nj->base = (job){ .background = true, .run = notice_run, .done = notice_done };
        snprintf(nj->trusted_keys, sizeof(nj->trusted_keys), "%s", a->cfg.trusted_keys);
        snprintf(nj->after, sizeof(nj->after), "%s", a->notice_cursor);
        nj->now_us = cws_cache_now_us();
        if (workers_submit(a, &nj->base) < 0) {
                free(nj);
                return;
        }
        a->notice_pending = true;
}

/* How many bindings the users hold (a binding that does not open still
 * takes its slot: the pacing only runs later, never faster). */
static size_t bindings_of(agent *a, const uid_t *uids, size_t n)
{
        size_t total = 0;

        for (size_t i = 0; i < n; i++) {
                cws_error err = { 0 };
                char **ids = NULL;
                size_t k = 0;

                if (cws_binding_list(a->cfg.state_dir, uids[i], &ids, &k, &err) < 0)
                        continue;   /* its job says why */
                total += k;
                cws_strv_free(ids, k);
        }
        return total;
}

static void full_sweep(agent *a)
{
        cws_error err = { 0 };
        uid_t *uids = NULL;
        size_t n = 0, nb;
        uint64_t span = (uint64_t)a->cfg.monitor_interval * 100000u * PACE_SPAN_TENTHS;

        if (cws_binding_users(a->cfg.state_dir, &uids, &n, &err) < 0) {
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
                return;
        }
        nb = bindings_of(a, uids, n);
        log_line(LOG_INFO, "monitor: full sweep of %zu users (%zu bindings, spread over %" PRIu64
                 " ms)", n, nb, span / 1000u);
        /* No job of the last sweep is queued or running (on_monitor). */
        a->sweep_pace = (pace){ .workers = a->workers, .start_usec = now_usec(),
                                .step_usec = nb ? span / nb : 0 };
        for (size_t i = 0; i < n; i++)
                monitor_user_only(a, uids[i], NULL, 0, true);
        if (!a->monitor_pending)
                a->sweep_pace.start_usec = 0;   /* nothing to sweep */
        free(uids);
        a->full_sweep_usec = now_usec();
}

static int on_monitor(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        cws_error err = { 0 };
        uint64_t now = now_usec();

        (void)usec;
        if (a->monitor_pending || a->notice_pending) {
                log_line(LOG_WARNING, "monitor: the last round has %u users%s left; not starting "
                         "another", a->monitor_pending, a->notice_pending ? " and its notices" : "");
        } else if (!a->registry_down) {
                /* cws-status: when the monitor last started a round
                 * (state_dir/monitor.last), written before the round's
                 * first registry request. */
                if (cws_monitor_stamp_write(a->cfg.state_dir, cws_cache_now_us() / 1000000, &err) < 0)
                        log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
                if (!a->full_sweep_usec ||
                    now - a->full_sweep_usec >= (uint64_t)a->cfg.full_sweep_interval * 1000000u)
                        full_sweep(a);
                else
                        notices_submit(a);
        }
        sd_event_source_set_time_relative(s, (uint64_t)a->cfg.monitor_interval * 1000000u);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* The cursor: where the last run left it, else now (the first round is
 * a full sweep, which covers everything before). */
static void notice_cursor_init(agent *a)
{
        cws_error err = { 0 };
        int k = cws_notice_cursor_read(a->cfg.state_dir, a->notice_cursor, &err);

        if (k == 0)
                return;
        if (k != -ENOENT)
                log_line(LOG_WARNING, "monitor: %s", cws_error_message(&err));
        cws_notice_key(a->notice_cursor, cws_cache_now_us(), 0);
        err = (cws_error){ 0 };
        if (cws_notice_cursor_write(a->cfg.state_dir, a->notice_cursor, &err) < 0)
                log_line(LOG_ERR, "monitor: %s", cws_error_message(&err));
}

int monitor_start(agent *a)
{
        notice_cursor_init(a);
        a->full_sweep_usec = 0;
        return sd_event_add_time_relative(a->event, &a->monitor, CLOCK_MONOTONIC,
                                          (uint64_t)a->cfg.monitor_interval * 1000000u, 100000u,
                                          on_monitor, a);
}
