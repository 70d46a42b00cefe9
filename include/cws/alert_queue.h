/* Alerts waiting for the webhook, kept in the state directory so that a
 * restart or a receiver that is down loses none: one file per alert,
 * state_dir/alerts/<seq, 20 digits>.json, mode 0600, created whole
 * (temp + link). Bounded by queue_max: when full, the oldest is dropped and
 * counted, and the loss is put on record (audit + journal, MESSAGE_ID
 * CWS_MID_ALERT_DROPPED) once per burst of drops; a burst ends when an
 * alert is queued without a drop. Not thread-safe: the caller locks. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cws/error.h"

typedef struct cws_alert_queue cws_alert_queue;

/* Called at the first drop of a burst: dropped is the number lost since
 * the queue was opened, max the bound. Default: cws_alert_queue_record_drop. */
typedef void (*cws_alert_drop_hook)(uint64_t dropped, uint32_t max, void *userdata);

/* Opens (creating it 0700) state_dir/alerts and finds the alerts left
 * there, oldest first; max >= 1. */
int cws_alert_queue_open(const char *state_dir, uint32_t max, cws_alert_queue **q,
                         cws_error *err);
void cws_alert_queue_free(cws_alert_queue *q);
void cws_alert_queue_on_drop(cws_alert_queue *q, cws_alert_drop_hook hook, void *userdata);

/* Appends body (dropping the oldest when full). */
int cws_alert_queue_push(cws_alert_queue *q, const char *body, size_t len, cws_error *err);
/* The oldest alert: its seq and body (NUL-terminated, the caller frees).
 * -ENOENT when the queue is empty. An unreadable file is removed, said in
 * err, and -EBADMSG returned (the next call goes on with the next one). */
int cws_alert_queue_peek(cws_alert_queue *q, uint64_t *seq, char **body, size_t *len,
                         cws_error *err);
/* Removes alert seq once delivered; nothing when it is no longer there
 * (dropped meanwhile). */
void cws_alert_queue_remove(cws_alert_queue *q, uint64_t seq);
size_t cws_alert_queue_len(const cws_alert_queue *q);
uint64_t cws_alert_queue_dropped(const cws_alert_queue *q);

/* The default hook: one audit record and one journal entry. */
void cws_alert_queue_record_drop(uint64_t dropped, uint32_t max, void *userdata);
