/* cws-status health: each check looks at one thing, says what it saw and,
 * when points are lost, what to do. Nothing here changes the host. This
 * file holds the checks that read this host's files and settings (and
 * the kernel's clock status): cheap, never waiting on another process,
 * the set cwsd also runs on its health timer (cws_health_local). The
 * checks that ask cwsd, the registry, audit or systemd are in
 * health_system.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/health.h"
#include "cws/monitor_stamp.h"
#include "cws/pam_stack.h"
#include "cws/safe_file.h"
#include "cws/trust.h"

bool cws_health_denied(int r)
{
        return r == -EACCES || (r == -EPERM && geteuid() != 0);
}

void cws_health_config(const cws_health_opts *o, cws_config *cfg, cws_posture *p)
{
        const char *path = o->config_path ? o->config_path : CWS_DEFAULT_CONFIG;
        cws_error err = { 0 };
        int r = cws_config_load(cfg, path, &err);

        if (r == -ENOENT && !o->config_path)
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_WARN,
                              "install /etc/cws/cws.conf (root:root 0644) with the host's settings",
                              "%s is absent: compiled-in defaults apply", path);
        else if (cws_health_denied(r))
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_UNKNOWN, CWS_HEALTH_RUN_AS_ROOT, "%s",
                              cws_error_message(&err));
        else if (r < 0)
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_FAIL,
                              "fix the file as the message says; until then cwsd and pam_cws "
                              "refuse to start or fail closed", "%s", cws_error_message(&err));
        else
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_OK, NULL,
                              "%s loads; it and its directories are root/cws owned, not "
                              "group/other writable, not symlinks", path);
}

static void check_trusted_keys(const cws_config *cfg, cws_posture *p)
{
        cws_trust t;
        cws_error err = { 0 };
        int r = cws_trust_load(cfg->trusted_keys, &t, &err);

        if (cws_health_denied(r))
                cws_check_set(p, CWS_CHK_TRUSTED_KEYS, CWS_CHECK_UNKNOWN, CWS_HEALTH_RUN_AS_ROOT, "%s",
                              cws_error_message(&err));
        else if (r < 0)
                cws_check_set(p, CWS_CHK_TRUSTED_KEYS, CWS_CHECK_FAIL,
                              "put the administrators' keys there (cws-invite pubkey >> FILE)",
                              "%s", cws_error_message(&err));
        else if (t.n == 0)
                cws_check_set(p, CWS_CHK_TRUSTED_KEYS, CWS_CHECK_FAIL,
                              "add a key: cws-invite pubkey >> FILE", "%s holds no key: no "
                              "invitation can validate", cfg->trusted_keys);
        else
                cws_check_set(p, CWS_CHK_TRUSTED_KEYS, CWS_CHECK_OK, NULL, "%s: %u key%s pinned",
                              cfg->trusted_keys, t.n, t.n == 1 ? "" : "s");
}

static void check_state(const cws_config *cfg, cws_posture *p)
{
        cws_error err = { 0 };
        char path[4200];
        int fd = cws_dir_open_checked(cfg->state_dir, &err);

        if (fd >= 0) {
                close(fd);
                snprintf(path, sizeof(path), "%s/host.key", cfg->state_dir);
                fd = cws_file_open_checked(path, CWS_FILE_SECRET, &err);
        }
        if (fd >= 0) {
                close(fd);
                cws_check_set(p, CWS_CHK_STATE, CWS_CHECK_OK, NULL, "%s and its host.key: "
                              "owner and modes safe", cfg->state_dir);
        } else if (cws_health_denied(fd)) {
                cws_check_set(p, CWS_CHK_STATE, CWS_CHECK_UNKNOWN, CWS_HEALTH_RUN_AS_ROOT, "%s",
                              cws_error_message(&err));
        } else if (fd == -ENOENT) {
                cws_check_set(p, CWS_CHK_STATE, CWS_CHECK_FAIL, "start cwsd once: it creates them",
                              "%s", cws_error_message(&err));
        } else {
                cws_check_set(p, CWS_CHK_STATE, CWS_CHECK_FAIL,
                              "chown -R cws: the state directory, chmod 0700 it and 0600 host.key",
                              "%s", cws_error_message(&err));
        }
}

static void check_clock(cws_posture *p)
{
        struct timex tx = { .modes = 0 };
        int r = adjtimex(&tx);

        if (r < 0)
                cws_check_set(p, CWS_CHK_CLOCK, CWS_CHECK_UNKNOWN, NULL, "adjtimex: %s", strerror(errno));
        else if (r == TIME_ERROR || (tx.status & STA_UNSYNC))
                cws_check_set(p, CWS_CHK_CLOCK, CWS_CHECK_FAIL,
                              "run an NTP client (systemd-timesyncd, chrony): expiry and offline "
                              "grace depend on the clock",
                              "the kernel says the clock is not synchronised (STA_UNSYNC)");
        else
                cws_check_set(p, CWS_CHK_CLOCK, CWS_CHECK_OK, NULL,
                              "synchronised (estimated error %ld us)", tx.esterror);
}

/* KEY = VALUE from an auditd.conf or journald.conf ([Journal] only has
 * keys we read); "" when absent. */
static int conf_value(const char *path, const char *key, char *out, size_t n)
{
        char line[1024];
        FILE *f = fopen(path, "re");

        out[0] = '\0';
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *s = line + strspn(line, " \t"), *eq;
                if (*s == '#' || *s == ';' || !(eq = strchr(s, '=')))
                        continue;
                char *k_end = eq;
                while (k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t'))
                        k_end--;
                if ((size_t)(k_end - s) != strlen(key) || strncasecmp(s, key, strlen(key)))
                        continue;
                char *v = eq + 1;
                v += strspn(v, " \t");
                v[strcspn(v, " \t\r\n")] = '\0';
                snprintf(out, n, "%s", v);
        }
        fclose(f);
        return 0;
}

/* journald time spans: "90day", "3month", "1y", "7d", plain seconds. */
static int64_t span_days(const char *s)
{
        char *end;
        double v = strtod(s, &end);

        if (end == s || v < 0)
                return -1;
        if (!strncmp(end, "y", 1))
                return (int64_t)(v * 365);
        if (!strncmp(end, "month", 5))
                return (int64_t)(v * 30);
        if (!strncmp(end, "w", 1))
                return (int64_t)(v * 7);
        if (!strncmp(end, "d", 1))
                return (int64_t)v;
        if (!strncmp(end, "h", 1))
                return (int64_t)(v / 24);
        if (!strncmp(end, "m", 1) && strncmp(end, "month", 5))
                return (int64_t)(v / 1440);
        return (int64_t)(v / 86400);
}

static void check_retention(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
{
        const char *ac = o->auditd_conf ? o->auditd_conf : "/etc/audit/auditd.conf";
        const char *jc = o->journald_conf ? o->journald_conf : "/etc/systemd/journald.conf";
        char action[64], num[32], storage[64], keep[64], why[2 * CWS_CHECK_TEXT_MAX / 3] = "";
        cws_check_status st = CWS_CHECK_OK;
        unsigned days = cfg->log_retention_days;
        size_t w = 0;
        int r;

        r = conf_value(ac, "max_log_file_action", action, sizeof(action));
        if (r == 0)
                (void)conf_value(ac, "num_logs", num, sizeof(num));
        if (r < 0) {
                st = CWS_CHECK_WARN;
                w += (size_t)snprintf(why + w, sizeof(why) - w, "%s: %s; ", ac, strerror(-r));
        } else if (!strcasecmp(action, "keep_logs") || !strcasecmp(action, "ignore")) {
                w += (size_t)snprintf(why + w, sizeof(why) - w, "auditd keeps every log "
                                      "(max_log_file_action=%s); ", action);
        } else {
                /* ROTATE (the default) deletes by size: days cannot be computed. */
                st = CWS_CHECK_WARN;
                w += (size_t)snprintf(why + w, sizeof(why) - w, "auditd rotates by size "
                                      "(max_log_file_action=%s, num_logs=%s): days kept cannot "
                                      "be computed; ", action[0] ? action : "ROTATE",
                                      num[0] ? num : "5");
        }
        if (w >= sizeof(why))
                w = sizeof(why) - 1;
        r = conf_value(jc, "Storage", storage, sizeof(storage));
        (void)conf_value(jc, "MaxRetentionSec", keep, sizeof(keep));
        if (r < 0 && r != -ENOENT) {
                st = CWS_CHECK_WARN;
                snprintf(why + w, sizeof(why) - w, "%s: %s", jc, strerror(-r));
        } else if (!strcasecmp(storage, "volatile") || !strcasecmp(storage, "none")) {
                st = CWS_CHECK_FAIL;
                snprintf(why + w, sizeof(why) - w, "journald Storage=%s keeps nothing across a "
                         "reboot", storage);
        } else if (keep[0] && span_days(keep) >= 0 && span_days(keep) < (int64_t)days) {
                st = CWS_CHECK_FAIL;
                snprintf(why + w, sizeof(why) - w, "journald MaxRetentionSec=%s is under %u days",
                         keep, days);
        } else if (!keep[0]) {
                if (st == CWS_CHECK_OK)
                        st = CWS_CHECK_WARN;
                snprintf(why + w, sizeof(why) - w, "journald has no MaxRetentionSec: it keeps "
                         "by size, days cannot be computed");
        } else {
                snprintf(why + w, sizeof(why) - w, "journald MaxRetentionSec=%s", keep);
        }
        cws_check_set(p, CWS_CHK_RETENTION, st,
                      st == CWS_CHECK_OK ? NULL
                                         : "keep log_retention_days: auditd.conf "
                                           "max_log_file_action = keep_logs (archive them), "
                                           "journald.conf Storage=persistent and "
                                           "MaxRetentionSec at least that",
                      "need %u days: %s", days, why);
}

void cws_health_pam(const cws_config *cfg, const char *pam_dir, cws_posture *p)
{
        static const char *const usual[] = { "login", "sshd", "sudo", "su" };
        const char *dir = pam_dir ? pam_dir : "/etc/pam.d";
        char gated[CWS_CHECK_TEXT_MAX] = "", bad[CWS_CHECK_TEXT_MAX] = "";
        size_t ng = 0, nb = 0, checked = 0;
        bool weak = false, fail = false;
        unsigned n = cfg->n_services ? cfg->n_services : (unsigned)CWS_ELEMENTSOF(usual);

        for (unsigned i = 0; i < n; i++) {
                const char *svc = cfg->n_services ? cfg->services[i].service : usual[i];
                char path[4200];
                cws_pam_result res;
                cws_error err = { 0 };

                if (cfg->n_services && cfg->services[i].min_type == CWS_TYPE_NONE)
                        continue;       /* the administrator said: not gated */
                snprintf(path, sizeof(path), "%s/%s", dir, svc);
                if (!cfg->n_services && access(path, F_OK) < 0)
                        continue;       /* not installed here */
                checked++;
                if (cws_pam_stack_check(dir, svc, &res, &err) < 0) {
                        fail = true;
                        nb += (size_t)snprintf(bad + nb, nb < sizeof(bad) ? sizeof(bad) - nb : 0,
                                               "%s: %s; ", svc, cws_error_message(&err));
                } else if (res.gate == CWS_PAM_GATED) {
                        ng += (size_t)snprintf(gated + ng, ng < sizeof(gated) ? sizeof(gated) - ng : 0,
                                               "%s%s", ng ? ", " : "", svc);
                } else {
                        fail |= res.gate == CWS_PAM_NOT_GATED;
                        weak |= res.gate == CWS_PAM_WEAK;
                        nb += (size_t)snprintf(bad + nb, nb < sizeof(bad) ? sizeof(bad) - nb : 0,
                                               "%s %s (%s); ", svc,
                                               res.gate == CWS_PAM_WEAK ? "weakly gated" : "NOT gated",
                                               res.detail);
                }
        }
        if (!checked)
                cws_check_set(p, CWS_CHK_PAM, CWS_CHECK_FAIL,
                              "list the services to gate under [services] in cws.conf",
                              "no PAM service to check in %s", dir);
        else if (fail || weak)
                cws_check_set(p, CWS_CHK_PAM, fail ? CWS_CHECK_FAIL : CWS_CHECK_WARN,
                              "pam-auth-update --enable cws (or add 'account required pam_cws.so' "
                              "to each service's stack, before any line that can skip it)",
                              "%s%s%s", bad, ng ? "gated: " : "", gated);
        else
                cws_check_set(p, CWS_CHK_PAM, CWS_CHECK_OK, NULL, "gated in %s: %s", dir, gated);
}

void cws_health_monitor(const cws_config *cfg, int64_t now, cws_posture *p)
{
        cws_error err = { 0 };
        int64_t when = 0, limit = 2 * (int64_t)cfg->monitor_interval;
        int r = cws_monitor_stamp_read(cfg->state_dir, &when, &err);

        if (cws_health_denied(r))
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_UNKNOWN, CWS_HEALTH_RUN_AS_ROOT, "%s",
                              cws_error_message(&err));
        else if (r == -ENOENT)
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_FAIL,
                              "start cwsd: revocations reach running sessions only through it",
                              "the monitor never finished a sweep on this host");
        else if (r < 0)
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_FAIL, "restart cwsd", "%s",
                              cws_error_message(&err));
        else if (now - when > limit)
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_FAIL,
                              "restart cwsd and read its log: revocations are not being seen",
                              "the last sweep finished %llds ago, more than two monitor_interval "
                              "(%llds)", (long long)(now - when), (long long)limit);
        else
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_OK, NULL,
                              "last sweep %llds ago (monitor_interval %us)",
                              (long long)(now - when), cfg->monitor_interval);
}

static const char *const installed[] = {
        "/usr/sbin/cwsd", "/usr/bin/cws-invite", "/usr/bin/cws-enroll",
        "/usr/bin/cws-revoke", "/usr/bin/cws-devices", "/usr/bin/cws-status",
        "/usr/sbin/cws-status", "/lib/x86_64-linux-gnu/security/pam_cws.so",
        "/usr/lib/x86_64-linux-gnu/security/pam_cws.so", "/usr/lib64/security/pam_cws.so",
        NULL,
};

const char *const *cws_health_project_files(cws_health_files *f)
{
        static const char *const names[] = { "cwsd", "cws-invite", "cws-enroll", "cws-revoke",
                                             "cws-devices", "cws-status", "pam_cws.so" };
        char self[PATH_MAX];
        size_t n = 0;
        ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);

        _Static_assert(CWS_ELEMENTSOF(names) == CWS_ELEMENTSOF(f->here), "one buffer a name");
        _Static_assert(CWS_ELEMENTSOF(f->v) >= CWS_ELEMENTSOF(names) + CWS_ELEMENTSOF(installed),
                       "room for every path and the NULL");
        if (k > 0) {
                self[k] = '\0';
                if (strrchr(self, '/'))
                        *strrchr(self, '/') = '\0';
                for (size_t i = 0; i < CWS_ELEMENTSOF(names); i++) {
                        snprintf(f->here[i], sizeof(f->here[i]), "%s/%s", self, names[i]);
                        f->v[n++] = f->here[i];
                }
        }
        for (size_t i = 0; installed[i]; i++)
                f->v[n++] = installed[i];
        f->v[n] = NULL;
        return f->v;
}

const char *cws_health_cws_invite(const cws_health_files *f)
{
        if (f->v[0] == f->here[0] && access(f->here[1], X_OK) == 0)
                return f->here[1];      /* names[1] */
        return access("/usr/bin/cws-invite", X_OK) == 0 ? "/usr/bin/cws-invite" : NULL;
}

static void check_setuid(const cws_health_opts *o, cws_posture *p)
{
        const char *const *v = o->project_files ? o->project_files : installed;
        char bad[CWS_CHECK_TEXT_MAX] = "";
        size_t nb = 0;
        unsigned seen = 0;

        for (; *v; v++) {
                struct stat st;
                if (stat(*v, &st) < 0)
                        continue;
                seen++;
                if (st.st_mode & (S_ISUID | S_ISGID))
                        nb += (size_t)snprintf(bad + nb, nb < sizeof(bad) ? sizeof(bad) - nb : 0,
                                               "%s%s is %s", nb ? "; " : "", *v,
                                               (st.st_mode & S_ISUID) ? "setuid" : "setgid");
        }
        if (nb)
                cws_check_set(p, CWS_CHK_SETUID, CWS_CHECK_FAIL,
                              "chmod u-s,g-s it: no part of pam_cws needs privileges it does "
                              "not start with", "%s", bad);
        else
                cws_check_set(p, CWS_CHK_SETUID, CWS_CHECK_OK, NULL,
                              "%u installed files, none setuid or setgid", seen);
}

void cws_health_policy(const cws_config *cfg, cws_posture *p)
{
        char why[CWS_CHECK_TEXT_MAX] = "";
        size_t n = 0;

        if (cfg->fail_mode == CWS_FAIL_OPEN) {
                cws_check_set(p, CWS_CHK_POLICY, CWS_CHECK_FAIL, "set [policy] fail_mode = closed",
                              "fail_mode = open: a registry outage lets enrolled users in "
                              "without any validation");
                return;
        }
        if (!cfg->audit_required)
                n += (size_t)snprintf(why + n, sizeof(why) - n, "audit_required = false; ");
        if (!cfg->correlation_enabled)
                n += (size_t)snprintf(why + n, sizeof(why) - n, "correlation_enabled = false; ");
        if (cfg->alert_threshold > CWS_RISK_MEDIUM)
                n += (size_t)snprintf(why + n, n < sizeof(why) ? sizeof(why) - n : 0,
                                      "alert_threshold = %s (production: MEDIUM); ",
                                      cws_risk_to_string(cfg->alert_threshold));
        if (cfg->offline_grace > 86400)
                n += (size_t)snprintf(why + n, n < sizeof(why) ? sizeof(why) - n : 0,
                                      "offline_grace over 1d; ");
        if (n)
                cws_check_set(p, CWS_CHK_POLICY, CWS_CHECK_WARN,
                              "production: [policy] audit_required = true, [monitor] "
                              "correlation_enabled = true, alert_threshold = MEDIUM, "
                              "offline_grace at most 1d", "fail_mode = closed, but %s", why);
        else
                cws_check_set(p, CWS_CHK_POLICY, CWS_CHECK_OK, NULL,
                              "fail_mode = closed, audit_required, correlation on, alert_threshold %s",
                              cws_risk_to_string(cfg->alert_threshold));
}

static void check_alerts(const cws_config *cfg, cws_posture *p)
{
        if (!cfg->alerts_url[0])
                cws_check_set(p, CWS_CHK_ALERTS, CWS_CHECK_FAIL,
                              "set [alerts] url and secret_file to your SIEM's webhook",
                              "no [alerts] url: alerts stay in this host's journal and audit log");
        else if (!cfg->alerts_secret_file[0])
                cws_check_set(p, CWS_CHK_ALERTS, CWS_CHECK_WARN, "set [alerts] secret_file",
                              "alerts go to %s unsigned: the receiver cannot tell them from forgeries",
                              cfg->alerts_url);
        else
                cws_check_set(p, CWS_CHK_ALERTS, CWS_CHECK_OK, NULL, "alerts go to %s, signed",
                              cfg->alerts_url);
}

/* The checks that only read this host's files and settings, and the
 * clock's status from the kernel: config (into a scratch copy: the rest
 * judge cfg, the configuration in force), trusted_keys, state, clock,
 * retention, pam, monitor, setuid, policy and alerts. The others are
 * CWS_CHECK_NA, out of the total. */
void cws_health_local(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
{
        cws_config *scratch = malloc(sizeof(*scratch));

        memset(p, 0, sizeof(*p));
        for (unsigned i = 0; i < _CWS_CHK_MAX; i++)
                p->r[i].status = CWS_CHECK_NA;
        if (scratch)
                cws_health_config(o, scratch, p);
        else
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_UNKNOWN, NULL, "out of memory");
        free(scratch);
        check_trusted_keys(cfg, p);
        check_state(cfg, p);
        check_clock(p);
        check_retention(o, cfg, p);
        cws_health_pam(cfg, o->pam_dir, p);
        cws_health_monitor(cfg, o->now, p);
        check_setuid(o, p);
        cws_health_policy(cfg, p);
        check_alerts(cfg, p);
}

void cws_health_run(const cws_health_opts *o, cws_config *cfg, cws_posture *p)
{
        memset(p, 0, sizeof(*p));
        cws_health_config(o, cfg, p);
        check_trusted_keys(cfg, p);
        check_state(cfg, p);
        cws_health_agent(o, cfg, p);
        cws_health_registry(o, cfg, p);
        cws_health_tls(o, cfg, p);
        check_clock(p);
        cws_health_audit(p);
        check_retention(o, cfg, p);
        cws_health_pam(cfg, o->pam_dir, p);
        cws_health_monitor(cfg, o->now, p);
        check_setuid(o, p);
        cws_health_sandbox(p);
        cws_health_policy(cfg, p);
        check_alerts(cfg, p);
        cws_health_keychain(o, p);
}
