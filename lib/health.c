/* cws-status health: each check looks at one thing, says what it saw and,
 * when points are lost, what to do. Nothing here changes the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <libaudit.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "cws/base64.h"
#include "cws/cleanup.h"
#include "cws/health.h"
#include "cws/host_key.h"
#include "cws/monitor_stamp.h"
#include "cws/pam_stack.h"
#include "cws/protocol.h"
#include "cws/registry.h"
#include "cws/safe_file.h"
#include "cws/tls_policy.h"
#include "cws/trust.h"

#define RUN_AS_ROOT "run cws-status as root to check it"

static bool denied(int r)
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
        else if (denied(r))
                cws_check_set(p, CWS_CHK_CONFIG, CWS_CHECK_UNKNOWN, RUN_AS_ROOT, "%s",
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

        if (denied(r))
                cws_check_set(p, CWS_CHK_TRUSTED_KEYS, CWS_CHECK_UNKNOWN, RUN_AS_ROOT, "%s",
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
        } else if (denied(fd)) {
                cws_check_set(p, CWS_CHK_STATE, CWS_CHECK_UNKNOWN, RUN_AS_ROOT, "%s",
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

static bool owner_root_or_cws(uid_t uid)
{
        struct passwd pw, *res = NULL;
        char buf[1024];

        if (uid == 0)
                return true;
        return getpwnam_r("cws", &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_uid == uid;
}

static void check_agent(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
{
        struct stat st;
        cws_msg req, resp;
        cws_error err = { 0 };

        if (lstat(cfg->socket_path, &st) < 0) {
                cws_check_set(p, CWS_CHK_AGENT, CWS_CHECK_FAIL,
                              "start cwsd (systemctl enable --now cws.socket)",
                              "%s: %s: cwsd is not running; pam_cws decides from its cache "
                              "within offline_grace only", cfg->socket_path, strerror(errno));
                return;
        }
        if (!S_ISSOCK(st.st_mode) || !owner_root_or_cws(st.st_uid)) {
                cws_check_set(p, CWS_CHK_AGENT, CWS_CHECK_FAIL,
                              "remove it and restart cws.socket: only root or cws may own it",
                              "%s is %s owned by uid %u", cfg->socket_path,
                              S_ISSOCK(st.st_mode) ? "a socket" : "not a socket", (unsigned)st.st_uid);
                return;
        }
        cws_msg_init(&req);
        cws_msg_add(&req, "op", "ping");
        if (cws_agent_call(cfg->socket_path, &req, &resp, o->timeout_ms, &err) < 0) {
                cws_check_set(p, CWS_CHK_AGENT, CWS_CHECK_FAIL,
                              "restart cwsd and read its log (journalctl -u cwsd)",
                              "%s does not answer: %s", cfg->socket_path, cws_error_message(&err));
                return;
        }
        cws_check_set(p, CWS_CHK_AGENT, CWS_CHECK_OK, NULL, "cwsd %s answers on %s (uid %u owns it)",
                      cws_msg_get(&resp, "version") ?: "?", cfg->socket_path, (unsigned)st.st_uid);
}

static void check_registry(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
{
        cws_registry *reg = NULL;
        cws_error err = { 0 };
        char *data = NULL;
        size_t len;
        struct timespec a, b;
        int r;

        (void)o;
        if (!strncmp(cfg->registry_url, "file://", 7)) {
                /* file: answers "not found" for a directory that is not there. */
                struct stat st;
                if (stat(cfg->registry_url + 7, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        cws_check_set(p, CWS_CHK_REGISTRY, errno == EACCES ? CWS_CHECK_UNKNOWN : CWS_CHECK_FAIL,
                                      errno == EACCES ? RUN_AS_ROOT : "create the registry directory or "
                                      "mount the shared one; fix [registry] url",
                                      "%s: %s", cfg->registry_url + 7,
                                      S_ISDIR(st.st_mode) || errno ? strerror(errno) : "not a directory");
                        return;
                }
        }
        r = cws_registry_open_config(cfg, &reg, &err);
        if (denied(r)) {
                cws_check_set(p, CWS_CHK_REGISTRY, CWS_CHECK_UNKNOWN, RUN_AS_ROOT, "%s",
                              cws_error_message(&err));
                return;
        }
        if (r < 0) {
                cws_check_set(p, CWS_CHK_REGISTRY, CWS_CHECK_FAIL,
                              "fix [registry] in cws.conf", "%s", cws_error_message(&err));
                return;
        }
        /* A key that never exists: "not found" is an answer. */
        clock_gettime(CLOCK_MONOTONIC, &a);
        r = cws_registry_get(reg, "inv/inv-AAAAAAAAAAAAAAAAAAAAAA/invitation", &data, &len, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        free(data);
        cws_registry_free(reg);
        long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        if (r == 0 || r == -ENOENT)
                cws_check_set(p, CWS_CHK_REGISTRY, CWS_CHECK_OK, NULL, "%s answers (%ld ms)",
                              cfg->registry_url, ms);
        else
                cws_check_set(p, CWS_CHK_REGISTRY, CWS_CHECK_FAIL,
                              "bring the registry back or fix [registry]; logins use cached "
                              "validations within offline_grace meanwhile",
                              "%s does not answer: %s", cfg->registry_url, cws_error_message(&err));
}

int cws_cert_days_left(const char *expire, int64_t now, int64_t *days)
{
        struct tm tm = { 0 };
        const char *end = strptime(expire, "%b %d %H:%M:%S %Y", &tm);

        if (!end)
                return -EINVAL;
        *days = ((int64_t)timegm(&tm) - now) / 86400;
        return 0;
}

/* sha256//BASE64 of the certificate's public key, from curl's PEM. */
static int pin_of_pem(const char *pem, char *out, size_t n)
{
        BIO *bio = BIO_new_mem_buf(pem, -1);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        unsigned char *der = NULL, md[32];
        unsigned mdlen = 0;
        int len = x ? i2d_PUBKEY(X509_get0_pubkey(x), &der) : -1;
        int r = -EINVAL;

        if (len > 0 && EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
            n > 8 + 45) {
                memcpy(out, "sha256//", 8);
                if (EVP_EncodeBlock((unsigned char *)out + 8, md, (int)mdlen) == 44)
                        r = 0;
        }
        OPENSSL_free(der);
        X509_free(x);
        BIO_free(bio);
        return r;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
        (void)p;
        (void)u;
        return s * n;
}

static void check_tls(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
{
        _cleanup_free_ char *ca = NULL;
        char errbuf[CURL_ERROR_SIZE] = "", pin[64] = "", expire[128] = "";
        struct curl_certinfo *ci = NULL;
        cws_error err = { 0 };
        size_t ca_len = 0;
        int64_t days = 0;
        CURLcode rc;
        CURL *c;

        if (strncmp(cfg->registry_url, "s3://", 5) != 0 || strncmp(cfg->s3_endpoint, "http://", 7) == 0) {
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_NA, NULL, "the registry (%s) is not "
                              "reached over TLS", cfg->registry_url);
                return;
        }
        if (cfg->s3_ca_file[0]) {
                int r = cws_file_read_checked(cfg->s3_ca_file, 1 << 20, 0, &ca, &ca_len, &err);
                if (r < 0) {
                        cws_check_set(p, CWS_CHK_TLS, denied(r) ? CWS_CHECK_UNKNOWN : CWS_CHECK_FAIL,
                                      denied(r) ? RUN_AS_ROOT : "fix [registry] ca_file", "%s",
                                      cws_error_message(&err));
                        return;
                }
        }
        c = curl_easy_init();
        if (!c) {
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_UNKNOWN, NULL, "out of memory");
                return;
        }
        /* The registry's own rules (CA, TLS 1.2, host name), pins aside:
         * those are compared below, so a mismatch can name what was seen. */
        cws_tls_apply(c, false, ca, ca_len, NULL);
        curl_easy_setopt(c, CURLOPT_URL, cfg->s3_endpoint[0] ? cfg->s3_endpoint : "https://s3.amazonaws.com");
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_FAIL,
                              "check the endpoint's certificate against ca_file, and that it runs",
                              "TLS to %s failed: %s", cfg->s3_endpoint, errbuf[0] ? errbuf : curl_easy_strerror(rc));
                curl_easy_cleanup(c);
                return;
        }
        if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0)
                for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
                        if (!strncmp(s->data, "Expire date:", 12))
                                snprintf(expire, sizeof(expire), "%s", s->data + 12);
                        else if (!strncmp(s->data, "Cert:", 5))
                                (void)pin_of_pem(s->data + 5, pin, sizeof(pin));
                }
        curl_easy_cleanup(c);
        if (!pin[0] || cws_cert_days_left(expire, o->now, &days) < 0) {
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_UNKNOWN, NULL,
                              "cannot read the certificate of %s", cfg->s3_endpoint);
                return;
        }
        if (cfg->s3_pinned_keys[0] && !strstr(cfg->s3_pinned_keys, pin))
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_FAIL,
                              "the registry refuses this server: add its pin to pinned_keys if "
                              "the key was rotated on purpose, else investigate",
                              "%s presents %s, which is not in pinned_keys", cfg->s3_endpoint, pin);
        else if (days < 7)
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_FAIL, "renew the certificate now",
                              "the certificate of %s expires in %lld days (%s)", cfg->s3_endpoint,
                              (long long)days, expire);
        else if (days < 30)
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_WARN, "renew the certificate",
                              "the certificate of %s expires in %lld days", cfg->s3_endpoint,
                              (long long)days);
        else if (!cfg->s3_pinned_keys[0])
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_WARN,
                              "set [registry] pinned_keys (cws-status health prints the pin)",
                              "no pinned_keys: any certificate the CA store accepts is the "
                              "registry (seen: %s)", pin);
        else
                cws_check_set(p, CWS_CHK_TLS, CWS_CHECK_OK, NULL, "%s: pin matches (%s), "
                              "certificate valid %lld more days", cfg->s3_endpoint, pin, (long long)days);
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

static void check_audit(cws_posture *p)
{
        struct audit_reply rep;
        int fd = audit_open(), r, enabled, pid;

        if (fd < 0) {
                cws_check_set(p, CWS_CHK_AUDIT, CWS_CHECK_FAIL,
                              "boot a kernel with audit support (CONFIG_AUDIT)",
                              "no kernel audit: %s", strerror(errno));
                return;
        }
        r = audit_request_status(fd);
        if (r > 0)
                r = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);
        if (r <= 0 || rep.type != AUDIT_GET || !rep.status) {
                int e = errno;
                audit_close(fd);
                cws_check_set(p, CWS_CHK_AUDIT, geteuid() ? CWS_CHECK_UNKNOWN : CWS_CHECK_FAIL,
                              geteuid() ? RUN_AS_ROOT : NULL, "cannot read the audit status: %s",
                              strerror(e ? e : EIO));
                return;
        }
        enabled = (int)rep.status->enabled;
        pid = (int)rep.status->pid;
        audit_close(fd);
        if (!enabled)
                cws_check_set(p, CWS_CHK_AUDIT, CWS_CHECK_FAIL,
                              "enable audit (auditctl -e 1, or start auditd): the decisions' "
                              "audit records are dropped", "audit is disabled (enabled=0)");
        else if (pid == 0 || kill(pid, 0) < 0)
                cws_check_set(p, CWS_CHK_AUDIT, CWS_CHECK_FAIL, "start auditd",
                              "audit is enabled but no auditd receives the records (pid %d)", pid);
        else
                cws_check_set(p, CWS_CHK_AUDIT, CWS_CHECK_OK, NULL,
                              "audit enabled (%d), auditd running (pid %d)", enabled, pid);
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

        if (denied(r))
                cws_check_set(p, CWS_CHK_MONITOR, CWS_CHECK_UNKNOWN, RUN_AS_ROOT, "%s",
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

static void check_setuid(const cws_health_opts *o, cws_posture *p)
{
        static const char *const installed[] = {
                "/usr/sbin/cwsd", "/usr/bin/cws-invite", "/usr/bin/cws-enroll",
                "/usr/bin/cws-revoke", "/usr/bin/cws-devices", "/usr/bin/cws-status",
                "/usr/sbin/cws-status", "/lib/x86_64-linux-gnu/security/pam_cws.so",
                "/usr/lib/x86_64-linux-gnu/security/pam_cws.so", "/usr/lib64/security/pam_cws.so",
                NULL,
        };
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

/* systemctl show, only where systemd is PID 1. */
static void check_sandbox(cws_posture *p)
{
        static const char *const want[][2] = {
                { "NoNewPrivileges", "yes" }, { "ProtectSystem", "strict" },
                { "ProtectHome", "yes" }, { "PrivateTmp", "yes" },
        };
        char line[512], missing[CWS_CHECK_TEXT_MAX] = "";
        size_t nm = 0;
        FILE *f;

        if (access("/run/systemd/system", F_OK) < 0) {
                cws_check_set(p, CWS_CHK_SANDBOX, CWS_CHECK_NA, NULL,
                              "not under systemd (no /run/systemd/system): no unit to inspect");
                return;
        }
        f = popen("systemctl show cwsd.service -p NoNewPrivileges -p ProtectSystem "
                  "-p ProtectHome -p PrivateTmp -p User 2>/dev/null", "re");
        if (!f) {
                cws_check_set(p, CWS_CHK_SANDBOX, CWS_CHECK_UNKNOWN, NULL, "systemctl: %s",
                              strerror(errno));
                return;
        }
        bool found[CWS_ELEMENTSOF(want)] = { false };
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                for (size_t i = 0; i < CWS_ELEMENTSOF(want); i++) {
                        size_t k = strlen(want[i][0]);
                        if (!strncmp(line, want[i][0], k) && line[k] == '=' &&
                            !strcmp(line + k + 1, want[i][1]))
                                found[i] = true;
                }
        }
        pclose(f);
        for (size_t i = 0; i < CWS_ELEMENTSOF(want); i++)
                if (!found[i])
                        nm += (size_t)snprintf(missing + nm, nm < sizeof(missing) ? sizeof(missing) - nm : 0,
                                               "%s%s=%s", nm ? " " : "", want[i][0], want[i][1]);
        if (nm)
                cws_check_set(p, CWS_CHK_SANDBOX, CWS_CHECK_FAIL,
                              "restore the packaged cwsd.service (systemctl revert cwsd)",
                              "cwsd.service lacks %s", missing);
        else
                cws_check_set(p, CWS_CHK_SANDBOX, CWS_CHECK_OK, NULL,
                              "cwsd.service: NoNewPrivileges, ProtectSystem=strict, ProtectHome, PrivateTmp");
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

void cws_health_run(const cws_health_opts *o, cws_config *cfg, cws_posture *p)
{
        memset(p, 0, sizeof(*p));
        cws_health_config(o, cfg, p);
        check_trusted_keys(cfg, p);
        check_state(cfg, p);
        check_agent(o, cfg, p);
        check_registry(o, cfg, p);
        check_tls(o, cfg, p);
        check_clock(p);
        check_audit(p);
        check_retention(o, cfg, p);
        cws_health_pam(cfg, o->pam_dir, p);
        cws_health_monitor(cfg, o->now, p);
        check_setuid(o, p);
        check_sandbox(p);
        cws_health_policy(cfg, p);
        check_alerts(cfg, p);
}
