#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cws/error.h"

int cws_error_set(cws_error *e, int code, const char *fmt, ...)
{
        if (e) {
                va_list ap;
                e->code = code;
                va_start(ap, fmt);
                vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
                va_end(ap);
        }
        return code;
}

const char *cws_error_message(const cws_error *e)
{
        if (!e)
                return "unknown error";
        if (e->msg[0])
                return e->msg;
        return strerror(e->code < 0 ? -e->code : EIO);
}
