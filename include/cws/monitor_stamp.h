/* state_dir/monitor.last: when cwsd's revocation monitor last finished a
 * sweep (UTC seconds, one line), so cws-status can tell a stalled monitor. */
#pragma once
#include <stdint.h>
#include "cws/error.h"

#define CWS_MONITOR_STAMP "monitor.last"

int cws_monitor_stamp_write(const char *state_dir, int64_t now, cws_error *err);
/* -ENOENT when no sweep ever finished. */
int cws_monitor_stamp_read(const char *state_dir, int64_t *when, cws_error *err);
