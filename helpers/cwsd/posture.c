/* The host's posture on a timer: every [monitor] health_check_interval
 * the checks of cws_health_local() (local files and settings only: no
 * registry, no cwsd socket, no audit netlink, no systemctl) run as a
 * background job on a worker, never on the loop, so a slow disk delays no
 * login. The loop compares the result with the last run's and raises at
 * most one alert per run that found something worse (lib/correlate.c:
 * posture_band_drop or health_check_failed). The first run, shortly after
 * start, is the baseline and raises nothing. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "cwsd.h"
#include "cws/health.h"

#define FIRST_RUN_USEC (5 * 1000 * 1000ULL)

typedef struct posture_job {
        job base;
        cws_health_opts o;
        const cws_config *cfg;          /* the agent's: read-only once running */
        cws_posture p;
} posture_job;

static void posture_run(job *j, cws_registry *r)
{
        posture_job *pj = (posture_job *)j;

        (void)r;
        pj->o.now = (int64_t)time(NULL);
        cws_health_local(&pj->o, pj->cfg, &pj->p);
}

/* "config,pam" for the checks that fail in p. */
static void failing(const cws_posture *p, char *out, size_t n)
{
        size_t w = 0;

        out[0] = '\0';
        for (unsigned i = 0; i < _CWS_CHK_MAX && w < n; i++)
                if (p->r[i].status == CWS_CHECK_FAIL)
                        w += (size_t)snprintf(out + w, n - w, "%s%s", w ? "," : "",
                                              cws_check_spec_of((cws_check_id)i)->name);
}

static void posture_done(agent *a, job *j)
{
        posture_job *pj = (posture_job *)j;
        unsigned score = cws_posture_score(&pj->p);
        cws_posture_change ch;
        char fails[256];

        a->posture_pending = false;
        if (j->dropped || (!a->posture_last && !(a->posture_last = malloc(sizeof(cws_posture))))) {
                free(pj);
                return;
        }
        failing(&pj->p, fails, sizeof(fails));
        if (!a->posture_baseline) {
                a->posture_baseline = true;
                log_line(LOG_INFO, "health: baseline score %u (%s) of the checks cwsd runs; "
                         "failing: %s", score, cws_posture_band(score), fails[0] ? fails : "none");
        } else if (cws_posture_compare(a->posture_last, &pj->p, &ch)) {
                log_line(LOG_WARNING, "health: score %u (%s), was %u (%s)%s; failing now: %s",
                         score, cws_posture_band(score), ch.score_before,
                         cws_posture_band(ch.score_before), ch.band_dropped ? ", a band lower" : "",
                         fails[0] ? fails : "none");
                cws_correlate_posture(a->corr, &ch, (int64_t)time(NULL));
        } else {
                log_line(LOG_DEBUG, "health: score %u (%s); failing: %s", score,
                         cws_posture_band(score), fails[0] ? fails : "none");
        }
        memcpy(a->posture_last, &pj->p, sizeof(pj->p));
        free(pj);
}

static int on_posture(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        posture_job *pj;

        (void)usec;
        sd_event_source_set_time_relative(s, (uint64_t)a->cfg.health_check_interval * 1000000ULL);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (a->posture_pending)
                return 0;       /* the last run is not done: not doubled */
        pj = calloc(1, sizeof(*pj));
        if (!pj) {
                log_line(LOG_ERR, "health: out of memory: this run of the checks is skipped");
                return 0;
        }
        pj->base = (job){ .background = true, .run = posture_run, .done = posture_done };
        pj->o = (cws_health_opts){ .config_path = a->config_path, .project_files = a->project_files };
        pj->cfg = &a->cfg;
        if (workers_submit(a, &pj->base) < 0) {
                log_line(LOG_WARNING, "health: the work queue is full: this run of the checks is skipped");
                free(pj);
                return 0;
        }
        a->posture_pending = true;
        return 0;
}

int posture_start(agent *a)
{
        uint64_t first = (uint64_t)a->cfg.health_check_interval * 1000000ULL;

        a->project_files = cws_health_project_files(&a->files);
        return sd_event_add_time_relative(a->event, &a->posture, CLOCK_MONOTONIC,
                                          first < FIRST_RUN_USEC ? first : FIRST_RUN_USEC,
                                          100000, on_posture, a);
}

void posture_free(agent *a)
{
        sd_event_source_disable_unref(a->posture);
        a->posture = NULL;
        free(a->posture_last);
        a->posture_last = NULL;
}
