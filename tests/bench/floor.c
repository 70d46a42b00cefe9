/* The floor under (a): what a transaction costs at the least that does
 * what pam_cws must do when cwsd answers from its cache: ask a local
 * daemon once and tell it twice (a validation, then the session_open and
 * session_close notes), and leave the evidence of its two decisions (one
 * audit record and one journal entry each, written by the module's own
 * cws_evidence_emit). No PAM, no cwsd, no config, no decision: a trivial
 * server on a SOCK_SEQPACKET socket answers every request with one fixed
 * reply.
 *
 *   bench-floor serve SOCKET
 *   bench-floor ask SOCKET N [WARMUP]
 *
 * "ask" prints "median_us=... p99_us=... rt_median_us=...
 * evidence_median_us=... notes_median_us=... n=N": a whole floor
 * transaction and its parts (the round trip; both decisions' evidence;
 * both notes). Each step is the module's: socket, connect, send, then
 * poll and recv for the round trip; close. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "bench_clock.h"
#include "cws/evidence.h"

#define MAX_N 1000000L
static const char request[] = "op=validate\nuser=root\nservice=cws\nphase=account\n";
static const char note[] = "op=session_open\nuser=root\n";
static const char reply[] = "status=ok\ndecision=allow\nreason=ok\nuser=root\n";

static int addr(const char *path, struct sockaddr_un *sa)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sa->sun_path))
                return -1;
        memcpy(sa->sun_path, path, strlen(path) + 1);
        return 0;
}

static int serve(const char *path)
{
        struct sockaddr_un sa;
        int l;

        if (addr(path, &sa) < 0)
                return 1;
        l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        (void)unlink(path);
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, SOMAXCONN) < 0) {
                fprintf(stderr, "bench-floor: %s: %s\n", path, strerror(errno));
                return 1;
        }
        for (;;) {
                char buf[8192];
                int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
                ssize_t n;

                if (c < 0)
                        continue;
                n = recv(c, buf, sizeof(buf), 0);
                if (n > 3 && strncmp(buf, "op=validate", 11) == 0)
                        (void)send(c, reply, sizeof(reply) - 1, MSG_NOSIGNAL);
                close(c);
        }
}

/* One step as the module takes it; answer: wait for the reply. */
static int step(const struct sockaddr_un *sa, const char *msg, size_t len, bool answer)
{
        char buf[8192];
        struct pollfd p;
        int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), r = 0;

        if (c < 0)
                return -1;
        if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
            send(c, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
                r = -1;
        if (r == 0 && answer) {
                p = (struct pollfd){ .fd = c, .events = POLLIN };
                if (poll(&p, 1, 5000) != 1 || recv(c, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
                        r = -1;
        }
        close(c);
        return r;
}

/* One decision's evidence, as pam_cws writes an allow. */
static void evidence(void)
{
        cws_event ev = { .kind = CWS_EV_ALLOW, .program = "bench-floor", .user = "root",
                         .profile = "bench", .invitation = "", .device = "", .service = "cws",
                         .reason = CWS_R_OK };
        cws_evidence_result res;

        cws_evidence_emit(&ev, true, &res);
}

static double median_us(int64_t *v, long n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_i64);
        return (double)v[n / 2] / 1000.0;
}

static int ask(const char *path, long n, long warmup)
{
        struct sockaddr_un sa;
        int64_t *part[4];   /* whole, round trip, evidence, notes */
        double whole99;

        if (addr(path, &sa) < 0 || n < 1 || n > MAX_N || warmup < 0)
                return 2;
        for (int k = 0; k < 4; k++)
                if (!(part[k] = calloc((size_t)n, sizeof(int64_t))))
                        return 1;
        for (long i = -warmup; i < n; i++) {
                int64_t t0 = now_ns(), t1, t2, t3, t4, t5;

                if (step(&sa, request, sizeof(request) - 1, true) < 0)
                        goto fail;
                t1 = now_ns();
                evidence();                     /* the account phase's */
                t2 = now_ns();
                if (step(&sa, note, sizeof(note) - 1, false) < 0)
                        goto fail;
                t3 = now_ns();
                evidence();                     /* the session phase's */
                t4 = now_ns();
                if (step(&sa, note, sizeof(note) - 1, false) < 0)
                        goto fail;
                t5 = now_ns();
                if (i >= 0) {
                        part[0][i] = t5 - t0;
                        part[1][i] = t1 - t0;
                        part[2][i] = (t2 - t1) + (t4 - t3);
                        part[3][i] = (t3 - t2) + (t5 - t4);
                }
        }
        qsort(part[0], (size_t)n, sizeof(int64_t), cmp_i64);
        whole99 = (double)part[0][(n * 99) / 100] / 1000.0;
        printf("median_us=%.1f p99_us=%.1f rt_median_us=%.1f evidence_median_us=%.1f "
               "notes_median_us=%.1f n=%ld\n", median_us(part[0], n), whole99, median_us(part[1], n),
               median_us(part[2], n), median_us(part[3], n), n);
        for (int k = 0; k < 4; k++)
                free(part[k]);
        return 0;
fail:
        fprintf(stderr, "bench-floor: %s: %s\n", path, strerror(errno));
        for (int k = 0; k < 4; k++)
                free(part[k]);
        return 1;
}

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[1], "serve") == 0)
                return serve(argv[2]);
        if ((argc == 4 || argc == 5) && strcmp(argv[1], "ask") == 0)
                return ask(argv[2], strtol(argv[3], NULL, 10), argc == 5 ? strtol(argv[4], NULL, 10) : 50);
        fprintf(stderr, "usage: bench-floor serve SOCKET | bench-floor ask SOCKET N [WARMUP]\n");
        return 2;
}
