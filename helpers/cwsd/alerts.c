/* Alert delivery to the [alerts] webhook on a thread of its own: the
 * correlator's sink (loop thread) writes the alert to the queue in the
 * state directory and wakes the sender; the sender posts the oldest, and
 * removes it only on a 2xx, so alerts go out in order and survive a
 * receiver that is down or a restart. A failure waits with exponential
 * backoff (1 s to 60 s). The network is never touched under the lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "cwsd.h"
#include "cws/alert_queue.h"
#include "cws/webhook.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 60000u

struct alerts {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool stop;
        cws_alert_queue *q;         /* under lock */
        cws_webhook *hook;          /* the sender's only */
        uint32_t window;
        char host[256];
};

static void on_drop(uint64_t dropped, uint32_t max, void *userdata)
{
        (void)userdata;
        log_line(LOG_ERR, "alerts: the queue is full (queue_max %" PRIu32 "): the oldest alert "
                 "dropped, %" PRIu64 " since start; the journal keeps them all", max, dropped);
        cws_alert_queue_record_drop(dropped, max, NULL);
}

/* Waits until woken, stopped or ms pass (ms 0: until woken or stopped). */
static void wait_locked(alerts *s, unsigned ms)
{
        struct timespec until;

        if (!ms) {
                pthread_cond_wait(&s->wake, &s->lock);
                return;
        }
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&s->wake, &s->lock, &until);
}

static void *sender_main(void *userdata)
{
        alerts *s = userdata;
        unsigned backoff = 0;
        bool failing = false;

        pthread_mutex_lock(&s->lock);
        while (!s->stop) {
                cws_error err = { 0 };
                uint64_t seq;
                char *body = NULL;
                size_t len;
                long status;
                int r = cws_alert_queue_peek(s->q, &seq, &body, &len, &err);

                if (r == -ENOENT) {
                        wait_locked(s, 0);
                        continue;
                }
                if (r < 0) {
                        log_line(LOG_ERR, "alerts: an unreadable alert removed from the queue: %s",
                                 cws_error_message(&err));
                        continue;
                }
                pthread_mutex_unlock(&s->lock);
                r = cws_webhook_post(s->hook, body, len, &status, &err);
                free(body);
                pthread_mutex_lock(&s->lock);
                if (r == 0) {
                        cws_alert_queue_remove(s->q, seq);
                        if (failing)
                                log_line(LOG_NOTICE, "alerts: the webhook answers again; %zu alerts "
                                         "still queued", cws_alert_queue_len(s->q));
                        failing = false;
                        backoff = 0;
                        continue;
                }
                backoff = backoff ? backoff * 2 : BACKOFF_FIRST_MS;
                if (backoff > BACKOFF_MAX_MS)
                        backoff = BACKOFF_MAX_MS;
                /* Once per outage, and the backoff at its cap: not one line per try. */
                if (!failing || backoff == BACKOFF_MAX_MS)
                        log_line(LOG_WARNING, "alerts: delivery failed, %zu alerts queued, next try "
                                 "in %u s: %s", cws_alert_queue_len(s->q), backoff / 1000,
                                 cws_error_message(&err));
                failing = true;
                if (!s->stop)
                        wait_locked(s, backoff);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

/* The correlator's sink, on the loop thread: the usual records, then the
 * webhook's queue (a file write, never the network). */
static void alert_sink(const cws_alert *al, void *userdata)
{
        alerts *s = userdata;
        cws_error err = { 0 };
        char *body;
        int r;

        cws_alert_emit(al, NULL);
        body = cws_webhook_body(al, s->window, s->host);
        if (!body) {
                log_line(LOG_ERR, "alerts: out of memory: a %s alert is not sent to the webhook",
                         al->pattern);
                return;
        }
        pthread_mutex_lock(&s->lock);
        r = cws_alert_queue_push(s->q, body, strlen(body), &err);
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        free(body);
        if (r < 0)
                log_line(LOG_ERR, "alerts: a %s alert is not queued for the webhook: %s",
                         al->pattern, cws_error_message(&err));
}

int alerts_start(agent *a, cws_error *err)
{
        pthread_condattr_t ca;
        alerts *s;
        int r;

        if (!a->cfg.alerts_url[0])
                return 0;
        s = calloc(1, sizeof(*s));
        if (!s)
                return cws_error_set(err, -ENOMEM, "alerts: out of memory");
        s->window = a->cfg.analysis_interval;
        if (gethostname(s->host, sizeof(s->host) - 1) < 0)
                snprintf(s->host, sizeof(s->host), "?");
        if ((r = cws_webhook_open(&a->cfg, &s->hook, err)) < 0 ||
            (r = cws_alert_queue_open(a->cfg.state_dir, a->cfg.alerts_queue_max, &s->q, err)) < 0) {
                cws_webhook_free(s->hook);
                free(s);
                return r;
        }
        cws_alert_queue_on_drop(s->q, on_drop, NULL);
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->wake, &ca);
        pthread_condattr_destroy(&ca);
        r = -pthread_create(&s->thread, NULL, sender_main, s);
        if (r < 0) {
                cws_alert_queue_free(s->q);
                cws_webhook_free(s->hook);
                free(s);
                return cws_error_set(err, r, "alerts: cannot start a thread: %s", strerror(-r));
        }
        if (cws_alert_queue_len(s->q))
                log_line(LOG_INFO, "alerts: %zu alerts left from before are sent first",
                         cws_alert_queue_len(s->q));
        a->alerts = s;
        return 0;
}

cws_alert_sink alerts_sink(agent *a, void **userdata)
{
        *userdata = a->alerts;
        return a->alerts ? alert_sink : NULL;
}

/* A request in flight ends within the webhook's timeout; past that bound
 * the thread is left to the process's exit (the alert stays queued). */
void alerts_stop(agent *a)
{
        alerts *s = a->alerts;
        struct timespec until;

        if (!s)
                return;
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += CWS_WEBHOOK_TIMEOUT_MS / 1000 + 2;
        if (pthread_timedjoin_np(s->thread, NULL, &until) != 0)
                return;
        cws_alert_queue_free(s->q);
        cws_webhook_free(s->hook);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        free(s);
        a->alerts = NULL;
}
