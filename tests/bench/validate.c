/* Times single validations as pam_cws asks for them: one "validate"
 * request to cwsd over its socket (connect, send, answer), with no PAM
 * around it, so the figure is cwsd's own cost plus one local round trip.
 *
 *   bench-validate SOCKET USER SERVICE N [WARMUP [SAMPLES]]
 *
 * The request carries the user's uid, looked up once, as pam_cws's does.
 * Runs WARMUP untimed requests (default 20), then N timed ones; prints
 * "median_us=... p99_us=... min_us=... max_us=... n=N". SAMPLES names a
 * file to which every timed latency is appended, in microseconds, one per
 * line. BENCH_VALIDATE_GAP_US, if set, sleeps that long before each timed
 * request (an idle gap, as between logins). A request cwsd does not answer with decision=allow is a failure:
 * it is printed and the program exits 1 without any figures. */
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cws/error.h"
#include "cws/protocol.h"

#include "bench_clock.h"

#define TIMEOUT_MS 30000
#define MAX_N 10000000L

/* One validation; 0, or -1 after printing what failed. */
static int one(const char *sock, const char *user, uid_t uid, const char *service, long index)
{
        cws_msg req, resp;
        cws_error err = { 0 };
        const char *decision, *reason;
        int r;

        cws_msg_init(&req);
        if (cws_msg_add(&req, "op", "validate") < 0 || cws_msg_add(&req, "user", user) < 0 ||
            cws_msg_add(&req, "service", service) < 0 || cws_msg_add(&req, "phase", "account") < 0 ||
            cws_msg_addf(&req, "uid", "%u", (unsigned)uid) < 0) {
                fprintf(stderr, "bench-validate: cannot build the request\n");
                return -1;
        }
        r = cws_agent_call(sock, &req, &resp, TIMEOUT_MS, &err);
        if (r < 0) {
                fprintf(stderr, "bench-validate: request %ld: %s\n", index, cws_error_message(&err));
                return -1;
        }
        decision = cws_msg_get(&resp, "decision");
        reason = cws_msg_get(&resp, "reason");
        if (!decision || strcmp(decision, "allow") != 0) {
                fprintf(stderr, "bench-validate: request %ld: decision=%s reason=%s\n", index,
                        decision ? decision : "(none)", reason ? reason : "(none)");
                return -1;
        }
        return 0;
}

static long parse_n(const char *s, const char *what)
{
        char *end;
        long v = strtol(s, &end, 10);

        if (!*s || *end || v < 0 || v > MAX_N) {
                fprintf(stderr, "bench-validate: bad %s: %s\n", what, s);
                return -1;
        }
        return v;
}

int main(int argc, char **argv)
{
        long n, warmup = 20, i, gap_us = 0;
        const char *gap = getenv("BENCH_VALIDATE_GAP_US");
        int64_t *v, t0;
        FILE *samples = NULL;
        struct passwd *pw;

        if (argc < 5 || argc > 7) {
                fprintf(stderr, "usage: bench-validate SOCKET USER SERVICE N [WARMUP [SAMPLES]]\n");
                return 2;
        }
        if ((n = parse_n(argv[4], "N")) < 1 || (argc >= 6 && (warmup = parse_n(argv[5], "WARMUP")) < 0))
                return 2;
        if (gap && (gap_us = parse_n(gap, "BENCH_VALIDATE_GAP_US")) < 0)
                return 2;
        if (argc == 7 && !(samples = fopen(argv[6], "a"))) {
                perror(argv[6]);
                return 2;
        }
        if (!(v = calloc((size_t)n, sizeof(*v))))
                return 2;
        /* The uid as pam_cws sends it: its own lookup, once. */
        if (!(pw = getpwnam(argv[2]))) {
                fprintf(stderr, "bench-validate: no user %s\n", argv[2]);
                return 2;
        }
        for (i = 1; i <= warmup; i++)
                if (one(argv[1], argv[2], pw->pw_uid, argv[3], -i) < 0)
                        return 1;
        for (i = 0; i < n; i++) {
                if (gap_us > 0)
                        usleep((useconds_t)gap_us);
                t0 = now_ns();
                if (one(argv[1], argv[2], pw->pw_uid, argv[3], i + 1) < 0)
                        return 1;
                v[i] = (now_ns() - t0) / 1000;
        }
        if (samples) {
                for (i = 0; i < n; i++)
                        fprintf(samples, "%lld\n", (long long)v[i]);
                if (fclose(samples) != 0) {
                        perror(argv[6]);
                        return 2;
                }
        }
        qsort(v, (size_t)n, sizeof(*v), cmp_i64);
        printf("median_us=%lld p99_us=%lld min_us=%lld max_us=%lld n=%ld\n",
               (long long)v[(n * 50 + 99) / 100 - 1], (long long)v[(n * 99 + 99) / 100 - 1],
               (long long)v[0], (long long)v[n - 1], n);
        free(v);
        return 0;
}
