/* The webhook's queue of alerts on disk (cws/alert_queue.h). Sequence
 * numbers only grow: the files' names give the order after a restart. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cws/alert_queue.h"
#include "cws/cleanup.h"
#include "cws/evidence.h"
#include "cws/safe_file.h"

#define SEQ_DIGITS 20
#define ALERT_BODY_MAX (64 * 1024)

struct cws_alert_queue {
        char dir[PATH_MAX];
        uint32_t max;
        uint64_t head, tail;    /* oldest present; next to write */
        uint64_t dropped;
        bool in_burst;
        cws_alert_drop_hook hook;
        void *hook_data;
};

static int seq_path(const cws_alert_queue *q, uint64_t seq, char *out, size_t n)
{
        int k = snprintf(out, n, "%s/%020" PRIu64 ".json", q->dir, seq);
        return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

/* "<20 digits>.json" and nothing else (temporary files are skipped). */
static bool parse_name(const char *name, uint64_t *seq)
{
        uint64_t v = 0;

        if (strlen(name) != SEQ_DIGITS + 5 || strcmp(name + SEQ_DIGITS, ".json") != 0)
                return false;
        for (int i = 0; i < SEQ_DIGITS; i++) {
                if (name[i] < '0' || name[i] > '9')
                        return false;
                uint64_t d = (uint64_t)(name[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *seq = v;
        return true;
}

int cws_alert_queue_open(const char *state_dir, uint32_t max, cws_alert_queue **out,
                         cws_error *err)
{
        _cleanup_free_ cws_alert_queue *q = calloc(1, sizeof(*q));
        _cleanup_(closedirp) DIR *d = NULL;
        bool any = false;
        int r;

        if (!q)
                return cws_error_set(err, -ENOMEM, "alert queue: out of memory");
        if (max < 1)
                return cws_error_set(err, -EINVAL, "alert queue: queue_max must be at least 1");
        r = snprintf(q->dir, sizeof(q->dir), "%s/alerts", state_dir);
        if (r < 0 || (size_t)r >= sizeof(q->dir))
                return cws_error_set(err, -ENAMETOOLONG, "%s/alerts: path too long", state_dir);
        if ((r = cws_dir_ensure(q->dir, 0700, err)) < 0)
                return r;
        if ((r = cws_dir_opendir_checked(q->dir, &d, err)) < 0)
                return r;
        for (struct dirent *e; (errno = 0, e = readdir(d));) {
                uint64_t seq;
                if (!parse_name(e->d_name, &seq))
                        continue;
                if (!any || seq < q->head)
                        q->head = seq;
                if (!any || seq >= q->tail)
                        q->tail = seq + 1;
                any = true;
        }
        if (errno != 0)
                return cws_error_set(err, -errno, "%s: cannot read: %s", q->dir, strerror(errno));
        q->max = max;
        q->hook = cws_alert_queue_record_drop;
        *out = TAKE_PTR(q);
        return 0;
}

void cws_alert_queue_free(cws_alert_queue *q)
{
        free(q);
}

void cws_alert_queue_on_drop(cws_alert_queue *q, cws_alert_drop_hook hook, void *userdata)
{
        q->hook = hook;
        q->hook_data = userdata;
}

size_t cws_alert_queue_len(const cws_alert_queue *q)
{
        return (size_t)(q->tail - q->head);
}

uint64_t cws_alert_queue_dropped(const cws_alert_queue *q)
{
        return q->dropped;
}

static void unlink_seq(cws_alert_queue *q, uint64_t seq)
{
        char p[PATH_MAX];

        if (seq_path(q, seq, p, sizeof(p)) == 0)
                (void)unlink(p);
}

int cws_alert_queue_push(cws_alert_queue *q, const char *body, size_t len, cws_error *err)
{
        char p[PATH_MAX];
        bool dropping = false;
        int r;

        if (len > ALERT_BODY_MAX)
                return cws_error_set(err, -EFBIG, "alert queue: an alert of %zu bytes is too big", len);
        while (cws_alert_queue_len(q) >= q->max) {
                unlink_seq(q, q->head++);
                q->dropped++;
                dropping = true;
        }
        if (dropping && !q->in_burst && q->hook)
                q->hook(q->dropped, q->max, q->hook_data);
        q->in_burst = dropping;
        if ((r = seq_path(q, q->tail, p, sizeof(p))) < 0)
                return cws_error_set(err, r, "%s: path too long", q->dir);
        r = cws_file_write_create_only(p, body, len, 0600, err);
        if (r < 0)
                return r;
        q->tail++;
        return 0;
}

int cws_alert_queue_peek(cws_alert_queue *q, uint64_t *seq, char **body, size_t *len,
                         cws_error *err)
{
        char p[PATH_MAX];
        int r;

        for (; q->head < q->tail; q->head++) {
                if ((r = seq_path(q, q->head, p, sizeof(p))) < 0)
                        return cws_error_set(err, r, "%s: path too long", q->dir);
                r = cws_file_read_checked(p, ALERT_BODY_MAX, CWS_FILE_SECRET, body, len, err);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        (void)unlink(p);
                        q->head++;
                        return -EBADMSG;
                }
                *seq = q->head;
                return 0;
        }
        return -ENOENT;
}

void cws_alert_queue_remove(cws_alert_queue *q, uint64_t seq)
{
        if (seq != q->head || q->head >= q->tail)
                return;
        unlink_seq(q, seq);
        q->head++;
}

void cws_alert_queue_record_drop(uint64_t dropped, uint32_t max, void *userdata)
{
        char n[24];

        (void)max;
        (void)userdata;
        snprintf(n, sizeof(n), "%" PRIu64, dropped);
        cws_event ev = { .kind = CWS_EV_ALERT_DROPPED, .program = "cwsd", .count = n,
                         .reason = CWS_R_INTERNAL_ERROR };
        cws_evidence_emit(&ev, true, NULL);
}
