/* Error reporting: functions return 0 or a negative errno and, when given a
 * cws_error, leave one human sentence naming the object and what failed. */
#pragma once
#include <stddef.h>

typedef struct cws_error {
        int code;        /* negative errno, 0 when unset */
        char msg[512];
} cws_error;

/* Sets e (when non-NULL) and returns code, which must be negative. */
int cws_error_set(cws_error *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The message, or strerror(-code) when none was recorded. */
const char *cws_error_message(const cws_error *e);
