/* LD_PRELOAD shim for the clock-skew test: moves CLOCK_REALTIME (time(),
 * gettimeofday(), clock_gettime()) by CWS_TEST_TIME_SHIFT seconds for one
 * process, as a host with a wrong clock would see it. Built by the test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long shift(void)
{
        const char *s = getenv("CWS_TEST_TIME_SHIFT");
        return s ? strtol(s, NULL, 10) : 0;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
        static int (*real)(clockid_t, struct timespec *);
        int r;

        if (!real)
                real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
        r = real(clk, ts);
        if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
                ts->tv_sec += shift();
        return r;
}

time_t time(time_t *t)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}

int gettimeofday(struct timeval *tv, void *tz)
{
        struct timespec ts;

        (void)tz;
        clock_gettime(CLOCK_REALTIME, &ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
        return 0;
}
