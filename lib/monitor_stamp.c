#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "cws/cleanup.h"
#include "cws/monitor_stamp.h"
#include "cws/safe_file.h"

static int stamp_path(const char *state_dir, char *out, size_t n, cws_error *err)
{
        if ((size_t)snprintf(out, n, "%s/" CWS_MONITOR_STAMP, state_dir) >= n)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", state_dir);
        return 0;
}

int cws_monitor_stamp_write(const char *state_dir, int64_t now, cws_error *err)
{
        char path[4200], line[32];
        int n = snprintf(line, sizeof(line), "%" PRId64 "\n", now);
        int r = stamp_path(state_dir, path, sizeof(path), err);

        if (r < 0)
                return r;
        /* Not durable: after a crash an older time only looks staler. */
        return cws_file_replace(path, line, (size_t)n, 0644, false, err);
}

int cws_monitor_stamp_read(const char *state_dir, int64_t *when, cws_error *err)
{
        _cleanup_free_ char *buf = NULL;
        char path[4200], *end;
        size_t len;
        long long v;
        int r = stamp_path(state_dir, path, sizeof(path), err);

        if (r < 0)
                return r;
        r = cws_file_read_checked(path, 64, 0, &buf, &len, err);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno || end == buf || (*end && *end != '\n') || v < 0)
                return cws_error_set(err, -EBADMSG, "%s: not a time", path);
        *when = (int64_t)v;
        return 0;
}
