/* cws-status — the host's security posture: a score 0-100 in the
 * hardening guide's bands, the health checks with their evidence, the
 * recent decisions and alerts from the journal, and the effective
 * configuration with the origin of each value. Setuid-free: root sees
 * everything; another user sees what the files let them read, and the
 * checks they cannot make say so (and earn nothing). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>
#include "cli.h"
#include "cws/cleanup.h"
#include "cws/evidence.h"
#include "cws/health.h"

#define JSON_VERSION 1
#define EVENTS_LIST_MAX 20      /* lines in the human listing */
#define EVENTS_JSON_MAX 1000    /* entries in --json */

typedef struct opts {
        const char *config;
        bool json;
        int min_score;          /* -1: none */
        const char *pam_dir, *auditd_conf, *journald_conf, *journal_dir;
        int64_t since;          /* events: UTC seconds */
        bool watch;
} opts;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cws-status [OPTIONS] [health|events|config]\n"
                "The host's pam_cws security posture.\n\n"
                "  (no command)  the score 0-100, its band, and what lost points, worst first\n"
                "  health        every check: ok, warn, fail, unknown or n/a, with its evidence\n"
                "  events        decisions and alerts from the journal, counts per hour and day\n"
                "  config        the effective configuration and where each value came from\n\n"
                "  -c, --config PATH        configuration file (default %s)\n"
                "  -j, --json               machine-readable output (see cws-status(8))\n"
                "  -m, --min-score N        exit 1 when the score is below N (0-100)\n"
                "      --pam-dir DIR        PAM services to inspect (default /etc/pam.d)\n"
                "      --auditd-conf PATH   (default /etc/audit/auditd.conf)\n"
                "      --journald-conf PATH (default /etc/systemd/journald.conf)\n"
                "  -D, --directory DIR      events: read the journal files in DIR\n"
                "  -S, --since WHEN         events: from WHEN (UTC seconds, or -1h, -30m, -2d;\n"
                "                           default -1d)\n"
                "  -w, --watch              events: refresh in place on a terminal\n"
                "  -h, --help               show this help\n"
                "  -V, --version            show the version\n\n"
                "Exit status: 0 ok, 1 score below --min-score (or, for health, a check\n"
                "failed), 2 usage, 3 the journal cannot be read.\n",
                CWS_DEFAULT_CONFIG);
}

static void run_checks(const opts *o, cws_config *cfg, cws_posture *p)
{
        static cws_health_files files;
        const char *const *mine = cws_health_project_files(&files);
        cws_health_opts h = {
                .config_path = o->config, .pam_dir = o->pam_dir, .auditd_conf = o->auditd_conf,
                .journald_conf = o->journald_conf, .project_files = mine,
                .cws_invite = cws_health_cws_invite(&files),
                .now = (int64_t)time(NULL), .timeout_ms = 5000,
        };
        cws_health_run(&h, cfg, p);
}

static void json_checks(const cws_posture *p)
{
        printf("\"checks\":[");
        for (int i = 0; i < _CWS_CHK_MAX; i++) {
                const cws_check_spec *s = cws_check_spec_of((cws_check_id)i);
                const cws_check_result *r = &p->r[i];
                printf("%s{\"name\":\"%s\",\"title\":\"%s\",\"status\":\"%s\",\"weight\":%u,"
                       "\"points\":%u,\"evidence\":", i ? "," : "", s->name, s->title,
                       cws_check_status_to_string(r->status),
                       r->status == CWS_CHECK_NA ? 0 : s->weight, cws_check_points(r->status, s->weight));
                cli_json_string(stdout, r->evidence);
                printf(",\"fix\":");
                cli_json_string(stdout, r->fix);
                printf("}");
        }
        printf("]");
}

static bool tty_colours(void)
{
        const char *t = getenv("TERM");
        return isatty(STDOUT_FILENO) && t && strcmp(t, "dumb") && !getenv("NO_COLOR");
}

static const char *colour(cws_check_status s, bool on)
{
        if (!on)
                return "";
        switch (s) {
        case CWS_CHECK_OK: return "\033[32m";
        case CWS_CHECK_WARN: return "\033[33m";
        case CWS_CHECK_FAIL: return "\033[1;31m";
        default: return "\033[2m";
        }
}

static int cmd_score(const opts *o)
{
        cws_config cfg;
        cws_posture p;
        cws_check_id lost[_CWS_CHK_MAX];
        bool c = tty_colours();
        unsigned score;
        size_t n;

        run_checks(o, &cfg, &p);
        score = cws_posture_score(&p);
        n = cws_posture_losses(&p, lost);
        if (o->json) {
                printf("{\"version\":%d,\"score\":%u,\"band\":\"%s\",\"min_score\":", JSON_VERSION,
                       score, cws_posture_band(score));
                if (o->min_score >= 0)
                        printf("%d,", o->min_score);
                else
                        printf("null,");
                json_checks(&p);
                printf("}\n");
        } else {
                printf("%sSecurity posture: %u/100  %s%s", c ? "\033[1m" : "", score,
                       cws_posture_band(score), c ? "\033[0m" : "");
                if (score < 90)
                        printf("  (production needs 90: Enterprise)");
                printf("\n");
                if (n)
                        printf("\nWhat lost points, most first:\n");
                for (size_t i = 0; i < n; i++) {
                        const cws_check_spec *s = cws_check_spec_of(lost[i]);
                        const cws_check_result *r = &p.r[lost[i]];
                        printf("  %s-%-2u %-12s%s %s\n", colour(r->status, c),
                               s->weight - cws_check_points(r->status, s->weight), s->name,
                               c ? "\033[0m" : "", r->evidence);
                        if (r->fix[0])
                                printf("      %-12s -> %s\n", "", r->fix);
                }
                if (!n)
                        printf("Every check passed.\n");
        }
        return o->min_score >= 0 && score < (unsigned)o->min_score ? CWS_EXIT_REFUSED : CWS_EXIT_OK;
}

static int cmd_health(const opts *o)
{
        cws_config cfg;
        cws_posture p;
        bool c = tty_colours(), failed = false;
        unsigned score;

        run_checks(o, &cfg, &p);
        score = cws_posture_score(&p);
        for (int i = 0; i < _CWS_CHK_MAX; i++)
                failed |= p.r[i].status == CWS_CHECK_FAIL;
        if (o->json) {
                printf("{\"version\":%d,\"score\":%u,\"band\":\"%s\",", JSON_VERSION, score,
                       cws_posture_band(score));
                json_checks(&p);
                printf("}\n");
        } else {
                for (int i = 0; i < _CWS_CHK_MAX; i++) {
                        const cws_check_spec *s = cws_check_spec_of((cws_check_id)i);
                        const cws_check_result *r = &p.r[i];
                        printf("%s%-7s%s %-12s %2u/%-2u %s\n", colour(r->status, c),
                               cws_check_status_to_string(r->status), c ? "\033[0m" : "", s->name,
                               cws_check_points(r->status, s->weight),
                               r->status == CWS_CHECK_NA ? 0 : s->weight, r->evidence);
                        if (r->fix[0])
                                printf("%-7s %-12s       -> %s\n", "", "", r->fix);
                }
                printf("Score %u/100 (%s)\n", score, cws_posture_band(score));
        }
        return failed ? CWS_EXIT_REFUSED : CWS_EXIT_OK;
}

static int cmd_config(const opts *o)
{
        const char *path = o->config ? o->config : CWS_DEFAULT_CONFIG;
        cws_config cfg;
        cws_config_origins org;
        cws_error err = { 0 };
        char val[CWS_CONFIG_PATH_MAX], origin[CWS_CONFIG_PATH_MAX + 16];
        int r = cws_config_load_origins(&cfg, path, &org, &err);

        if (r < 0 && !(r == -ENOENT && !o->config))
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        if (r < 0)
                memset(&org, 0, sizeof(org));
        if (o->json)
                printf("{\"version\":%d,\"file\":", JSON_VERSION), cli_json_string(stdout, path),
                        printf(",\"loaded\":%s,\"values\":[", r == 0 ? "true" : "false");
        else if (r < 0)
                printf("# %s is absent: every value is the compiled-in default\n", path);
        for (size_t i = 0; i < cws_config_key_count(); i++) {
                const char *sec, *key;
                cws_config_key_at(i, &sec, &key);
                cws_config_format(&cfg, i, val, sizeof(val));
                if (org.key_line[i])
                        snprintf(origin, sizeof(origin), "%s:%u", path, org.key_line[i]);
                else
                        snprintf(origin, sizeof(origin), "default");
                if (o->json) {
                        printf("%s{\"section\":\"%s\",\"key\":\"%s\",\"value\":", i ? "," : "", sec, key);
                        cli_json_string(stdout, val);
                        printf(",\"origin\":");
                        cli_json_string(stdout, origin);
                        printf("}");
                } else {
                        char name[96];
                        snprintf(name, sizeof(name), "[%s] %s", sec, key);
                        printf("%-34s = %-28s # %s\n", name, val[0] ? val : "\"\"", origin);
                }
        }
        for (unsigned i = 0; i < cfg.n_services; i++) {
                cws_inv_type t = cfg.services[i].min_type;
                snprintf(origin, sizeof(origin), "%s:%u", path, org.service_line[i]);
                const char *tv = t == CWS_TYPE_NONE ? "none" : cws_inv_type_to_string(t);
                if (o->json) {
                        printf(",{\"section\":\"services\",\"key\":\"%s\",\"value\":\"%s\",\"origin\":",
                               cfg.services[i].service, tv);
                        cli_json_string(stdout, origin);
                        printf("}");
                } else {
                        char name[96];
                        snprintf(name, sizeof(name), "[services] %s", cfg.services[i].service);
                        printf("%-34s = %-28s # %s\n", name, tv, origin);
                }
        }
        if (o->json)
                printf("]}\n");
        return CWS_EXIT_OK;
}

/* ---- events ---- */

static const struct {
        const char *mid, *type;
} event_types[] = {
        { CWS_MID_ALERT, "alert" },
        { CWS_MID_ALERT_DROPPED, "alert_dropped" },
        { CWS_MID_VIOLATION, "violation" },
        { CWS_MID_DENY, "deny" },
        { CWS_MID_ALLOW, "allow" },
        { CWS_MID_REVOCATION_SEEN, "revocation_seen" },
        { CWS_MID_ENROLL, "enroll" },
        { CWS_MID_REVOKE, "revoke" },
};
#define N_TYPES CWS_ELEMENTSOF(event_types)

static int field(sd_journal *j, const char *name, char *out, size_t n)
{
        const void *d;
        size_t len, k = strlen(name) + 1;

        out[0] = '\0';
        if (sd_journal_get_data(j, name, &d, &len) < 0 || len < k)
                return -ENOENT;
        snprintf(out, n, "%.*s", (int)(len - k), (const char *)d + k);
        return 0;
}

typedef struct event_row {
        int64_t usec;
        size_t type;
        char user[96], reason[64], risk[16], service[64], alert[64], detail[160];
} event_row;

static int cmd_events_once(const opts *o)
{
        sd_journal *j = NULL;
        unsigned hour[N_TYPES] = { 0 }, day[N_TYPES] = { 0 };
        static event_row rows[EVENTS_JSON_MAX];
        size_t nrows = 0, total = 0;
        int64_t now = (int64_t)time(NULL);
        char mid[64], buf[96];
        int r;

        r = o->journal_dir ? sd_journal_open_directory(&j, o->journal_dir, 0)
                           : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return cli_fail(CWS_EXIT_CONFIG, "cannot open the journal%s%s: %s (members of "
                                "systemd-journal and adm may read it; or run as root)",
                                o->journal_dir ? " in " : "", o->journal_dir ? o->journal_dir : "",
                                strerror(-r));
        for (size_t i = 0; i < N_TYPES; i++) {
                char m[64];
                snprintf(m, sizeof(m), "MESSAGE_ID=%s", event_types[i].mid);
                sd_journal_add_match(j, m, 0);
        }
        int64_t from = o->since < now - 86400 ? o->since : now - 86400;
        sd_journal_seek_realtime_usec(j, (uint64_t)from * 1000000u);
        while ((r = sd_journal_next(j)) > 0) {
                uint64_t usec;
                size_t t;
                if (sd_journal_get_realtime_usec(j, &usec) < 0 || field(j, "MESSAGE_ID", mid, sizeof(mid)) < 0)
                        continue;
                for (t = 0; t < N_TYPES && strcmp(mid, event_types[t].mid); t++)
                        ;
                if (t == N_TYPES)
                        continue;
                int64_t s = (int64_t)(usec / 1000000u);
                if (s >= now - 3600)
                        hour[t]++;
                if (s >= now - 86400)
                        day[t]++;
                if (s < o->since)
                        continue;
                total++;
                event_row *e = &rows[nrows < EVENTS_JSON_MAX ? nrows : EVENTS_JSON_MAX - 1];
                if (nrows == EVENTS_JSON_MAX)   /* keep the newest: shift one out */
                        memmove(rows, rows + 1, sizeof(rows[0]) * (EVENTS_JSON_MAX - 1));
                else
                        nrows++;
                memset(e, 0, sizeof(*e));
                e->usec = (int64_t)usec;
                e->type = t;
                field(j, "CWS_USER", e->user, sizeof(e->user));
                field(j, "CWS_REASON", e->reason, sizeof(e->reason));
                field(j, "CWS_RISK", e->risk, sizeof(e->risk));
                field(j, "CWS_SERVICE", e->service, sizeof(e->service));
                field(j, "CWS_ALERT", e->alert, sizeof(e->alert));
                field(j, "CWS_DETAIL", e->detail, sizeof(e->detail));
        }
        sd_journal_close(j);
        if (o->json) {
                printf("{\"version\":%d,\"since\":%lld,\"counts\":{", JSON_VERSION, (long long)o->since);
                for (int w = 0; w < 2; w++) {
                        printf("%s\"%s\":{", w ? "," : "", w ? "day" : "hour");
                        for (size_t i = 0; i < N_TYPES; i++)
                                printf("%s\"%s\":%u", i ? "," : "", event_types[i].type, w ? day[i] : hour[i]);
                        printf("}");
                }
                printf("},\"total\":%zu,\"events\":[", total);
                for (size_t i = 0; i < nrows; i++) {
                        printf("%s{\"time\":%lld,\"type\":\"%s\",\"user\":", i ? "," : "",
                               (long long)(rows[i].usec / 1000000), event_types[rows[i].type].type);
                        const char *fields[][2] = {
                                { "service", rows[i].service }, { "reason", rows[i].reason },
                                { "alert", rows[i].alert }, { "risk", rows[i].risk },
                                { "detail", rows[i].detail },
                        };

                        cli_json_string(stdout, rows[i].user);
                        for (size_t k = 0; k < CWS_ELEMENTSOF(fields); k++) {
                                printf(",\"%s\":", fields[k][0]);
                                cli_json_string(stdout, fields[k][1]);
                        }
                        printf("}");
                }
                printf("]}\n");
                return CWS_EXIT_OK;
        }
        printf("%-16s %10s %10s\n", "EVENT", "LAST HOUR", "LAST DAY");
        for (size_t i = 0; i < N_TYPES; i++)
                printf("%-16s %10u %10u\n", event_types[i].type, hour[i], day[i]);
        printf("\nLatest %s%zu of %zu since %s", "", nrows < EVENTS_LIST_MAX ? nrows : EVENTS_LIST_MAX,
               total, (strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC",
                                gmtime(&(time_t){ (time_t)o->since })), buf));
        printf(":\n");
        for (size_t i = nrows > EVENTS_LIST_MAX ? nrows - EVENTS_LIST_MAX : 0; i < nrows; i++) {
                const event_row *e = &rows[i];
                strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", gmtime(&(time_t){ (time_t)(e->usec / 1000000) }));
                printf("  %s  %-15s %-9s %-22s user=%s%s%s%s%s\n", buf, event_types[e->type].type,
                       e->risk[0] ? e->risk : "-", e->alert[0] ? e->alert : e->reason,
                       e->user[0] ? e->user : "-", e->service[0] ? " service=" : "", e->service,
                       e->detail[0] ? " detail=" : "", e->detail);
        }
        return CWS_EXIT_OK;
}

static int cmd_events(const opts *o)
{
        if (!o->watch)
                return cmd_events_once(o);
        if (!isatty(STDOUT_FILENO))
                return cli_fail(CWS_EXIT_USAGE, "--watch refreshes a terminal; without one, "
                                "run cws-status events repeatedly");
        for (;;) {
                printf("\033[H\033[2J");
                int r = cmd_events_once(o);
                if (r)
                        return r;
                fflush(stdout);
                sleep(2);
        }
}

static int parse_since(const char *s, int64_t *out)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (s[0] != '-') {
                if (*end)
                        return -EINVAL;
                *out = v;
                return 0;
        }
        long long unit = !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400
                       : !strcmp(end, "") || !strcmp(end, "s") ? 1 : 0;
        if (!unit || v < -3650LL * 86400)
                return -EINVAL;
        *out = (int64_t)time(NULL) + v * unit;
        return 0;
}

int main(int argc, char **argv)
{
        enum { O_PAM = 256, O_AUDITD, O_JOURNALD };
        static const struct option lopts[] = {
                { "min-score", required_argument, NULL, 'm' },
                { "pam-dir", required_argument, NULL, O_PAM },
                { "auditd-conf", required_argument, NULL, O_AUDITD },
                { "journald-conf", required_argument, NULL, O_JOURNALD },
                { "directory", required_argument, NULL, 'D' },
                { "since", required_argument, NULL, 'S' },
                { "watch", no_argument, NULL, 'w' },
                CLI_COMMON_OPTIONS,
                { 0 },
        };
        opts o = { .min_score = -1, .since = (int64_t)time(NULL) - 86400 };
        const char *cmd;
        char *end;
        int c;

        cli_program = "cws-status";
        while ((c = getopt_long(argc, argv, "c:jm:D:S:whV", lopts, NULL)) != -1) {
                switch (c) {
                case 'c': o.config = optarg; break;
                case 'j': o.json = true; break;
                case 'm': {
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 0 || v > 100)
                                return cli_fail(CWS_EXIT_USAGE, "--min-score: '%s' is not a number "
                                                "from 0 to 100", optarg);
                        o.min_score = (int)v;
                        break;
                }
                case O_PAM: o.pam_dir = optarg; break;
                case O_AUDITD: o.auditd_conf = optarg; break;
                case O_JOURNALD: o.journald_conf = optarg; break;
                case 'D': o.journal_dir = optarg; break;
                case 'S':
                        if (parse_since(optarg, &o.since) < 0)
                                return cli_fail(CWS_EXIT_USAGE, "--since: '%s' is not UTC seconds "
                                                "or -N[s|m|h|d]", optarg);
                        break;
                case 'w': o.watch = true; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (argc - optind > 1) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        cmd = optind < argc ? argv[optind] : "";
        if (!strcmp(cmd, ""))
                return cmd_score(&o);
        if (!strcmp(cmd, "health"))
                return cmd_health(&o);
        if (!strcmp(cmd, "events"))
                return cmd_events(&o);
        if (!strcmp(cmd, "config"))
                return cmd_config(&o);
        cli_fail(CWS_EXIT_USAGE, "unknown command '%s' (health, events or config)", cmd);
        return CWS_EXIT_USAGE;
}
