/* Times whole PAM transactions through the real libpam with a private
 * service directory:
 *   pam_start_confdir -> pam_acct_mgmt -> pam_open_session
 *   -> pam_close_session -> pam_end
 *
 *   bench CONFDIR SERVICE USER N CONCURRENCY [WARMUP [SAMPLES]]
 *
 * CONCURRENCY 1: N timed transactions after WARMUP untimed ones (default
 * 50); prints "median_us=... p99_us=... min_us=... max_us=... n=N tps=..."
 * (tps: N over the summed transaction times).
 * CONCURRENCY > 1: that many processes each run WARMUP then N
 * transactions, released together; prints "tps=... procs=... n=TOTAL
 * wall_s=... median_us=... p99_us=..." (latencies under load).
 * SAMPLES names a file to which every timed latency is appended, in
 * microseconds, one per line, so that several runs can be pooled.
 * A transaction whose account, open or close step is not PAM_SUCCESS is a
 * failure: it is printed and the program exits 1 without any figures. */
#include <errno.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WARMUP 50
#define MAX_N 10000000L
#define MAX_PROCS 256

typedef struct bench_args {
        const char *confdir;
        const char *service;
        const char *user;
        long n;
        long procs;
        long warmup;
        const char *samples;
} bench_args;

/* Answers nothing: with PAM_SILENT no module should need to talk. */
static int silent_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        (void)n;
        (void)msg;
        (void)data;
        *resp = NULL;
        return PAM_CONV_ERR;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One whole transaction; index counts from 1, warmup ones apart. Returns
 * 0, or -1 after printing what failed. */
static int transaction(const bench_args *a, long index, bool warmup)
{
        const char *what = warmup ? "warmup transaction" : "transaction";
        struct pam_conv conv = { silent_conv, NULL };
        pam_handle_t *pamh = NULL;
        int r, acct, open = -1, close = -1;

        r = pam_start_confdir(a->service, a->user, &conv, a->confdir, &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "bench: %s %ld: pam_start_confdir(%s, %s, %s): %s\n", what, index,
                        a->service, a->user, a->confdir, pamh ? pam_strerror(pamh, r) : "failed");
                if (pamh)
                        pam_end(pamh, r);
                return -1;
        }
        acct = pam_acct_mgmt(pamh, PAM_SILENT);
        if (acct == PAM_SUCCESS)
                open = pam_open_session(pamh, PAM_SILENT);
        if (open == PAM_SUCCESS)
                close = pam_close_session(pamh, PAM_SILENT);
        if (acct != PAM_SUCCESS || open != PAM_SUCCESS || close != PAM_SUCCESS) {
                fprintf(stderr, "bench: %s %ld failed: service=%s user=%s acct=%s open=%s close=%s\n",
                        what, index, a->service, a->user, pam_strerror(pamh, acct),
                        open < 0 ? "-" : pam_strerror(pamh, open),
                        close < 0 ? "-" : pam_strerror(pamh, close));
                pam_end(pamh, acct != PAM_SUCCESS ? acct : open != PAM_SUCCESS ? open : close);
                return -1;
        }
        r = pam_end(pamh, PAM_SUCCESS);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "bench: %s %ld: pam_end failed (%d)\n", what, index, r);
                return -1;
        }
        return 0;
}

/* Warmup, then n timed transactions into lat[0..n). */
static int run_series(const bench_args *a, int64_t *lat)
{
        for (long i = 0; i < a->warmup; i++)
                if (transaction(a, i + 1, true) < 0)
                        return -1;
        for (long i = 0; i < a->n; i++) {
                int64_t t0 = now_ns();
                if (transaction(a, i + 1, false) < 0)
                        return -1;
                lat[i] = now_ns() - t0;
        }
        return 0;
}

static int cmp_i64(const void *x, const void *y)
{
        int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
        return (a > b) - (a < b);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double percentile_us(const int64_t *sorted, size_t n, unsigned pct)
{
        size_t rank = (n * pct + 99) / 100;

        if (rank == 0)
                rank = 1;
        return (double)sorted[rank - 1] / 1000.0;
}

/* Appends the latencies (unsorted, in run order) to a->samples. */
static int save_samples(const bench_args *a, const int64_t *lat, size_t n)
{
        FILE *f;
        int bad;

        if (!a->samples)
                return 0;
        f = fopen(a->samples, "ae");
        if (!f) {
                fprintf(stderr, "bench: cannot open %s: %s\n", a->samples, strerror(errno));
                return -1;
        }
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%.1f\n", (double)lat[i] / 1000.0);
        bad = ferror(f);
        if (fclose(f) != 0 || bad) {
                fprintf(stderr, "bench: cannot write %s\n", a->samples);
                return -1;
        }
        return 0;
}

static void print_latencies(int64_t *lat, size_t n)
{
        qsort(lat, n, sizeof(*lat), cmp_i64);
        printf("median_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f", percentile_us(lat, n, 50),
               percentile_us(lat, n, 99), (double)lat[0] / 1000.0, (double)lat[n - 1] / 1000.0);
}

static int run_single(const bench_args *a)
{
        int64_t *lat = calloc((size_t)a->n, sizeof(*lat)), busy = 0;

        if (!lat) {
                fprintf(stderr, "bench: out of memory for %ld latencies\n", a->n);
                return 1;
        }
        if (run_series(a, lat) < 0) {
                free(lat);
                return 1;
        }
        for (long i = 0; i < a->n; i++)
                busy += lat[i];
        if (save_samples(a, lat, (size_t)a->n) < 0) {
                free(lat);
                return 1;
        }
        print_latencies(lat, (size_t)a->n);
        printf(" n=%ld tps=%.0f\n", a->n, (double)a->n * 1e9 / (double)busy);
        free(lat);
        return 0;
}

/* procs children, released together through a pipe once all have done
 * their warmup; each writes its latencies into a shared mapping. */
static int run_concurrent(const bench_args *a)
{
        size_t total = (size_t)a->n * (size_t)a->procs;
        size_t bytes = total * sizeof(int64_t);
        int ready[2], go[2], failed = 0;
        pid_t pids[MAX_PROCS];
        int64_t *lat, t0, t1;
        long started = 0;

        lat = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (lat == MAP_FAILED) {
                fprintf(stderr, "bench: mmap of %zu bytes: %s\n", bytes, strerror(errno));
                return 1;
        }
        if (pipe(ready) < 0 || pipe(go) < 0) {
                fprintf(stderr, "bench: pipe: %s\n", strerror(errno));
                return 1;
        }
        fflush(NULL);
        for (long p = 0; p < a->procs; p++) {
                pid_t pid = fork();
                if (pid < 0) {
                        fprintf(stderr, "bench: fork: %s\n", strerror(errno));
                        failed = 1;
                        break;
                }
                if (pid == 0) {
                        bench_args mine = *a;
                        char c = 0;
                        close(ready[0]);
                        close(go[1]);
                        for (long i = 0; i < a->warmup; i++)
                                if (transaction(a, i + 1, true) < 0)
                                        _exit(1);
                        /* Closing our end at once lets the parent see EOF
                         * instead of waiting forever if a sibling died. */
                        if (write(ready[1], "r", 1) != 1)
                                _exit(1);
                        close(ready[1]);
                        if (read(go[0], &c, 1) < 0)
                                _exit(1);
                        mine.warmup = 0;
                        _exit(run_series(&mine, lat + (size_t)p * (size_t)a->n) < 0 ? 1 : 0);
                }
                pids[started++] = pid;
        }
        close(ready[1]);
        close(go[0]);
        /* Wait for every child's warmup (EOF early means one died). */
        for (long i = 0; i < started; i++) {
                char c;
                if (read(ready[0], &c, 1) != 1) {
                        failed = 1;
                        break;
                }
        }
        t0 = now_ns();
        close(go[1]);
        for (long i = 0; i < started; i++) {
                int status;
                if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed = 1;
        }
        t1 = now_ns();
        close(ready[0]);
        if (failed) {
                fprintf(stderr, "bench: %ld concurrent processes on service %s: at least one "
                        "transaction failed (see above); no figures\n", a->procs, a->service);
                munmap(lat, bytes);
                return 1;
        }
        if (save_samples(a, lat, total) < 0) {
                munmap(lat, bytes);
                return 1;
        }
        printf("tps=%.0f procs=%ld n=%zu wall_s=%.3f ", (double)total * 1e9 / (double)(t1 - t0),
               a->procs, total, (double)(t1 - t0) / 1e9);
        print_latencies(lat, total);
        printf("\n");
        munmap(lat, bytes);
        return 0;
}

static int parse_long(const char *s, long lo, long hi, const char *what, long *out)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (!*s || *end || errno || v < lo || v > hi) {
                fprintf(stderr, "bench: %s must be a number from %ld to %ld, not '%s'\n", what, lo, hi, s);
                return -1;
        }
        *out = v;
        return 0;
}

int main(int argc, char **argv)
{
        bench_args a = { .warmup = DEFAULT_WARMUP };

        if (argc < 6 || argc > 8) {
                fprintf(stderr, "usage: bench CONFDIR SERVICE USER N CONCURRENCY [WARMUP [SAMPLES]]\n");
                return 2;
        }
        a.confdir = argv[1];
        a.service = argv[2];
        a.user = argv[3];
        if (parse_long(argv[4], 1, MAX_N, "N", &a.n) < 0 ||
            parse_long(argv[5], 1, MAX_PROCS, "CONCURRENCY", &a.procs) < 0 ||
            (argc >= 7 && parse_long(argv[6], 0, MAX_N, "WARMUP", &a.warmup) < 0))
                return 2;
        a.samples = argc == 8 ? argv[7] : NULL;
        return a.procs == 1 ? run_single(&a) : run_concurrent(&a);
}
