/* The monotonic clock in nanoseconds and a comparison for qsort, shared
 * by the bench programs that report medians (validate.c, nss.c). */
#ifndef CWS_BENCH_CLOCK_H
#define CWS_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int cmp_i64(const void *x, const void *y)
{
        int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

        return (a > b) - (a < b);
}

#endif
