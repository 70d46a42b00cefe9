/* cws-status health, the checks that ask another party: cwsd over its
 * socket, the registry and its TLS endpoint over the network, the kernel's
 * audit status, systemd. They can wait (up to timeout_ms) or need root,
 * so cwsd's timer leaves them to cws-status (health.c has the others). */
#define _GNU_SOURCE
#include <errno.h>
#include <libaudit.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "cws/cleanup.h"
#include "cws/health.h"
#include "cws/protocol.h"
#include "cws/registry.h"
#include "cws/safe_file.h"
#include "cws/tls_policy.h"

static bool owner_root_or_cws(uid_t uid)
{
        struct passwd pw, *res = NULL;
        char buf[1024];

        if (uid == 0)
                return true;
        return getpwnam_r("cws", &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_uid == uid;
}

void cws_health_agent(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
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

void cws_health_registry(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
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
                                      errno == EACCES ? CWS_HEALTH_RUN_AS_ROOT : "create the registry directory or "
                                      "mount the shared one; fix [registry] url",
                                      "%s: %s", cfg->registry_url + 7,
                                      S_ISDIR(st.st_mode) || errno ? strerror(errno) : "not a directory");
                        return;
                }
        }
        r = cws_registry_open_config(cfg, &reg, &err);
        if (cws_health_denied(r)) {
                cws_check_set(p, CWS_CHK_REGISTRY, CWS_CHECK_UNKNOWN, CWS_HEALTH_RUN_AS_ROOT, "%s",
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

void cws_health_tls(const cws_health_opts *o, const cws_config *cfg, cws_posture *p)
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
                        cws_check_set(p, CWS_CHK_TLS, cws_health_denied(r) ? CWS_CHECK_UNKNOWN : CWS_CHECK_FAIL,
                                      cws_health_denied(r) ? CWS_HEALTH_RUN_AS_ROOT : "fix [registry] ca_file", "%s",
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

void cws_health_audit(cws_posture *p)
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
                              geteuid() ? CWS_HEALTH_RUN_AS_ROOT : NULL, "cannot read the audit status: %s",
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

/* systemctl show, only where systemd is PID 1. */
void cws_health_sandbox(cws_posture *p)
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
