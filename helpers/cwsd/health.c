/* The registry's health. A request that fails for availability (timeout,
 * refused, TLS or pin, 5xx, a 404 that is not the store's) marks the
 * registry down: validations are then answered at once by the offline
 * rules instead of each waiting for its own timeout, and a background
 * probe asks the store again after 1 s, doubling up to PROBE_MAX_USEC.
 * The first answer from the store marks it up again. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "cwsd.h"

#define PROBE_FIRST_USEC (1000 * 1000ULL)
#define PROBE_MAX_USEC (30 * 1000 * 1000ULL)
/* A key that never exists: the store's "no such key" is an answer. */
#define PROBE_KEY "probe/cwsd"

typedef struct probe_job {
        job base;
        int result;
        cws_error err;
} probe_job;

static void probe_run(job *j, cws_registry *r)
{
        probe_job *p = (probe_job *)j;
        char *data = NULL;
        size_t len = 0;

        p->result = cws_registry_get(r, PROBE_KEY, &data, &len, &p->err);
        free(data);
        if (p->result == -ENOENT)
                p->result = 0;
}

static void schedule_probe(agent *a);

static void probe_done(agent *a, job *j)
{
        probe_job *p = (probe_job *)j;

        if (!j->dropped && a->registry_down) {
                if (p->result >= 0) {
                        log_line(LOG_NOTICE, "registry %s is available again after %.1f s; "
                                 "validations ask it again", a->cfg.registry_url,
                                 (double)(cws_cache_now_us() - a->down_since_us) / 1e6);
                        a->registry_down = false;
                        a->down_reason[0] = '\0';
                        a->probe_delay_usec = 0;
                } else {
                        snprintf(a->down_reason, sizeof(a->down_reason), "%s",
                                 cws_error_message(&p->err));
                        a->probe_delay_usec = a->probe_delay_usec * 2 > PROBE_MAX_USEC
                                                      ? PROBE_MAX_USEC
                                                      : a->probe_delay_usec * 2;
                        schedule_probe(a);
                }
        }
        free(p);
}

static int on_probe(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;
        probe_job *p = calloc(1, sizeof(*p));

        (void)s;
        (void)usec;
        if (p) {
                p->base = (job){ .background = true, .run = probe_run, .done = probe_done };
                if (workers_submit(a, &p->base) == 0)
                        return 0;
        }
        free(p);
        schedule_probe(a);
        return 0;
}

static void schedule_probe(agent *a)
{
        if (!a->probe) {
                if (sd_event_add_time_relative(a->event, &a->probe, CLOCK_MONOTONIC,
                                               a->probe_delay_usec, 10000, on_probe, a) < 0)
                        log_line(LOG_ERR, "cannot schedule a registry probe");
                return;
        }
        sd_event_source_set_time_relative(a->probe, a->probe_delay_usec);
        sd_event_source_set_enabled(a->probe, SD_EVENT_ONESHOT);
}

void registry_failed(agent *a, const char *why)
{
        if (a->registry_down)
                return;
        a->registry_down = true;
        a->down_since_us = cws_cache_now_us();
        a->probe_delay_usec = PROBE_FIRST_USEC;
        snprintf(a->down_reason, sizeof(a->down_reason), "%s", why);
        log_line(LOG_WARNING, "registry %s marked down: %s; validations are answered by the "
                 "offline rules until a probe (every 1 s, backing off to %llu s) reaches it",
                 a->cfg.registry_url, why, PROBE_MAX_USEC / 1000000);
        schedule_probe(a);
}

void registry_health_free(agent *a)
{
        sd_event_source_disable_unref(a->probe);
        a->probe = NULL;
}
