/* Registry work off the event loop: a small fixed pool of threads, each
 * with its own registry handle (and so its own libcurl handle and kept-
 * alive connection). The loop queues jobs, bounded, and refuses loudly
 * when the queue is full; a worker takes the first queued job whose user
 * no other worker is busy with (one user's cache is written by one thread
 * at a time), and at most one background job (monitor, probe, health
 * checks) runs at a time, and never on the last idle worker, so one is
 * always free for a login. A job of a paced full sweep waits in
 * workers_pace between its bindings; while it waits it does not count as
 * the one background job, so that a registry probe or the health checks
 * are not held up for the length of the sweep, but another paced job
 * still does not start. A finished job goes on
 * the done list and an eventfd wakes the loop, which answers the job's
 * waiters (every connection that asked the same question: validations of
 * one user and service class share one registry round) and puts the
 * job's findings on record. Workers touch no connection, session or
 * agent state. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "cwsd.h"
#include "cws/cleanup.h"

typedef struct worker {
        struct workers *w;
        pthread_t thread;
        cws_registry *registry;
        job *current;                   /* under w->lock */
        bool pausing;                   /* current waits in workers_pace (under w->lock) */
        bool started;
} worker;

typedef struct workers {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_cond_t pause;           /* a paced job's wait (CLOCK_MONOTONIC) */
        job *queue, *queue_tail;        /* waiting, in order */
        unsigned queued_logins;         /* foreground jobs in queue */
        job *done;                      /* finished, for the loop */
        bool stopping;
        int efd;
        sd_event_source *efd_source;
        unsigned n;
        worker *pool;
        /* Loop thread only. */
        job *inflight;                  /* validations queued or running, for coalescing */
        unsigned queue_max;
} workers;

static void lock(workers *w) { pthread_mutex_lock(&w->lock); }
static void unlock(workers *w) { pthread_mutex_unlock(&w->lock); }

static bool uid_busy(workers *w, const job *j)
{
        if (!j->serialise)
                return false;
        for (unsigned i = 0; i < w->n; i++)
                if (w->pool[i].current && w->pool[i].current->serialise &&
                    w->pool[i].current->uid == j->uid)
                        return true;
        return false;
}

/* Whether background job j must wait for another: one that runs (not
 * one that waits in workers_pace), and for a paced job any paced one. */
static bool background_busy(workers *w, const job *j)
{
        for (unsigned i = 0; i < w->n; i++) {
                const job *c = w->pool[i].current;

                if (c && c->background && (!w->pool[i].pausing || (j->paced && c->paced)))
                        return true;
        }
        return false;
}

static unsigned idle(workers *w)
{
        unsigned n = 0;

        for (unsigned i = 0; i < w->n; i++)
                n += !w->pool[i].current;
        return n;
}

/* Under the lock: the first job this worker (idle itself) may take,
 * unlinked. A background job runs only when none other does and another
 * worker stays idle for logins: it never takes the last one. */
static job *take(workers *w)
{
        job *prev = NULL;
        bool spare = idle(w) >= 2;

        for (job *j = w->queue; j; prev = j, j = j->next) {
                if ((j->background && (!spare || background_busy(w, j))) || uid_busy(w, j))
                        continue;
                if (prev)
                        prev->next = j->next;
                else
                        w->queue = j->next;
                if (w->queue_tail == j)
                        w->queue_tail = prev;
                j->next = NULL;
                if (!j->background)
                        w->queued_logins--;
                return j;
        }
        return NULL;
}

static void *worker_main(void *userdata)
{
        worker *self = userdata;
        workers *w = self->w;
        uint64_t one = 1;

        lock(w);
        for (;;) {
                job *j = NULL;

                while (!w->stopping && !(j = take(w)))
                        pthread_cond_wait(&w->wake, &w->lock);
                if (w->stopping)
                        break;
                self->current = j;
                j->started = true;
                unlock(w);
                j->run(j, self->registry);
                lock(w);
                self->current = NULL;
                j->next = w->done;
                w->done = j;
                (void)!write(w->efd, &one, sizeof(one));
                /* Its user is free again: another worker may take a job. */
                pthread_cond_broadcast(&w->wake);
        }
        unlock(w);
        return NULL;
}

static void finish(agent *a, job *j)
{
        workers *w = a->workers;

        if (j->coalesce) {
                for (job **p = &w->inflight; *p; p = &(*p)->inflight_next)
                        if (*p == j) {
                                *p = j->inflight_next;
                                break;
                        }
        }
        j->done(a, j);
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        agent *a = userdata;
        workers *w = a->workers;
        uint64_t n;
        job *list, *rev = NULL;

        (void)s;
        (void)revents;
        (void)!read(fd, &n, sizeof(n));
        lock(w);
        list = w->done;
        w->done = NULL;
        unlock(w);
        while (list) {                  /* oldest first */
                job *next = list->next;
                list->next = rev;
                rev = list;
                list = next;
        }
        while (rev) {
                job *next = rev->next;
                finish(a, rev);
                rev = next;
        }
        return 0;
}

int workers_submit(agent *a, job *j)
{
        workers *w = a->workers;

        lock(w);
        /* Full: queue_max logins wait, plus one per idle worker. Without
         * counting these, a login that comes before an idle worker has
         * woken up to take the one before it was refused with workers idle
         * (seen under CPU load). An idle worker that cannot take a queued
         * login (its user is busy elsewhere) still counts: the bound is
         * queue_max + workers. */
        if (!j->background && w->queued_logins >= w->queue_max + idle(w)) {
                unlock(w);
                return -EBUSY;
        }
        j->next = NULL;
        if (w->queue_tail)
                w->queue_tail->next = j;
        else
                w->queue = j;
        w->queue_tail = j;
        if (!j->background)
                w->queued_logins++;
        pthread_cond_signal(&w->wake);
        unlock(w);
        if (j->coalesce) {
                j->inflight_next = w->inflight;
                w->inflight = j;
        }
        return 0;
}

/* On a worker: slot k of a paced round (the next one) starts no earlier
 * than start + k * step; a round that is behind does not wait. The wait
 * is on a condition that workers_stop signals, never a sleep that would
 * hold up cwsd's stop. */
int workers_pace(pace *pc)
{
        workers *w = pc->workers;
        worker *self = NULL;
        uint64_t at;
        int r;

        lock(w);
        at = pc->start_usec + pc->step_usec * pc->next++;
        for (unsigned i = 0; i < w->n && now_usec() < at; i++)
                if (w->pool[i].current && w->pool[i].current->paced &&
                    pthread_equal(w->pool[i].thread, pthread_self()))
                        self = &w->pool[i];
        if (self) {
                self->pausing = true;
                pthread_cond_broadcast(&w->wake);   /* a probe may run meanwhile */
        }
        while (!w->stopping && now_usec() < at) {
                struct timespec ts = { .tv_sec = (time_t)(at / 1000000u),
                                       .tv_nsec = (long)(at % 1000000u) * 1000 };

                (void)pthread_cond_timedwait(&w->pause, &w->lock, &ts);
        }
        if (self)
                self->pausing = false;
        r = w->stopping ? -ECANCELED : 0;
        unlock(w);
        return r;
}

job *workers_find(agent *a, bool (*match)(const job *j, const void *key), const void *key)
{
        for (job *j = a->workers->inflight; j; j = j->inflight_next)
                if (match(j, key))
                        return j;
        return NULL;
}

/* A connection that closed while it waited: it leaves the job's waiters,
 * and a job nobody waits for any more that has not started is dropped. */
void workers_detach(agent *a, struct conn *c)
{
        workers *w = a->workers;
        job *j = c->pending;

        c->pending = NULL;
        if (!j)
                return;
        for (struct conn **p = &j->waiters; *p; p = &(*p)->next_waiter)
                if (*p == c) {
                        *p = c->next_waiter;
                        break;
                }
        c->next_waiter = NULL;
        if (j->waiters || j->background)
                return;
        lock(w);
        if (j->started) {
                unlock(w);
                return;   /* finishes, and is answered to nobody */
        }
        for (job **p = &w->queue, *prev = NULL; *p; prev = *p, p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        if (w->queue_tail == j)
                                w->queue_tail = prev;
                        w->queued_logins--;
                        break;
                }
        unlock(w);
        j->dropped = true;
        finish(a, j);
}

void workers_wait(job *j, struct conn *c)
{
        c->pending = j;
        c->next_waiter = j->waiters;
        j->waiters = c;
}

int workers_start(agent *a, unsigned n, unsigned queue_max, cws_error *err)
{
        workers *w = calloc(1, sizeof(*w));
        pthread_condattr_t ca;
        int r;

        if (!w)
                return cws_error_set(err, -ENOMEM, "workers: out of memory");
        a->workers = w;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->pause, &ca);
        pthread_condattr_destroy(&ca);
        w->queue_max = queue_max;
        w->n = n;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->pool = calloc(n, sizeof(*w->pool));
        if (w->efd < 0 || !w->pool)
                return cws_error_set(err, -errno, "workers: %s", strerror(errno));
        r = sd_event_add_io(a->event, &w->efd_source, w->efd, EPOLLIN, on_done, a);
        if (r < 0)
                return cws_error_set(err, r, "workers: event loop: %s", strerror(-r));
        for (unsigned i = 0; i < n; i++) {
                worker *k = &w->pool[i];

                k->w = w;
                /* Each its own handle: its own libcurl easy handle and TLS
                 * connection, never shared between threads. */
                r = cws_registry_open_config(&a->cfg, &k->registry, err);
                if (r < 0)
                        return r;
                r = -pthread_create(&k->thread, NULL, worker_main, k);
                if (r < 0)
                        return cws_error_set(err, r, "workers: cannot start a thread: %s",
                                             strerror(-r));
                k->started = true;
        }
        return 0;
}

/* Workers still inside a registry request past the bound are left to
 * the process's exit. */
void workers_stop(agent *a)
{
        workers *w = a->workers;
        struct timespec until;
        bool all = true;

        if (!w)
                return;
        lock(w);
        w->stopping = true;
        pthread_cond_broadcast(&w->wake);
        pthread_cond_broadcast(&w->pause);
        unlock(w);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 2;
        for (unsigned i = 0; i < w->n; i++) {
                worker *k = &w->pool[i];

                if (!k->started)
                        continue;
                if (pthread_timedjoin_np(k->thread, NULL, &until) != 0) {
                        all = false;
                        continue;
                }
                cws_registry_free(k->registry);
        }
        if (!all) {
                log_line(LOG_WARNING, "workers: some still inside a registry request at stop; "
                         "left to the exit");
                return;
        }
        for (unsigned i = 0; i < w->n; i++)
                if (!w->pool[i].started)
                        cws_registry_free(w->pool[i].registry);
        for (job **list = &w->queue; list; list = list == &w->queue ? &w->done : NULL)
                while (*list) {
                        job *j = *list;

                        *list = j->next;
                        j->dropped = true;
                        finish(a, j);
                }
        sd_event_source_disable_unref(w->efd_source);
        close(w->efd);
        free(w->pool);
        free(w);
        a->workers = NULL;
}
