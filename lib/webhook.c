/* The alert webhook's client (cws/webhook.h). cwsd only: it uses json-c
 * and curl, which pam_cws.so never links. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "cws/cleanup.h"
#include "cws/crypto.h"
#include "cws/evidence.h"
#include "cws/fingerprint.h"
#include "cws/reason.h"
#include "cws/safe_file.h"
#include "cws/tls_policy.h"
#include "cws/webhook.h"
#include "cws/hex.h"

#define SECRET_FILE_MAX 4096
#define CA_FILE_MAX (1024 * 1024)

struct cws_webhook {
        CURL *curl;
        char url[CWS_CONFIG_PATH_MAX];
        char pins[CWS_CONFIG_PATH_MAX];
        bool plain_http;
        char *secret;           /* wiped on free */
        size_t secret_len;
        char *ca_pem;
        size_t ca_len;
};

static int read_secret(cws_webhook *w, const char *path, cws_error *err)
{
        cws_error why = { 0 };
        int r;

        if (!path[0])
                return cws_error_set(err, -EINVAL,
                                     "[alerts] url is set but secret_file is not: set it to a file "
                                     "(mode 0600) holding the secret shared with the receiver");
        r = cws_file_read_checked(path, SECRET_FILE_MAX, CWS_FILE_SECRET | CWS_FILE_PARENTS,
                                  &w->secret, &w->secret_len, &why);
        if (r < 0)
                return cws_error_set(err, r, "[alerts] secret_file %s", cws_error_message(&why));
        /* One line: the newline an editor adds is not part of the secret. */
        while (w->secret_len > 0 &&
               (w->secret[w->secret_len - 1] == '\n' || w->secret[w->secret_len - 1] == '\r'))
                w->secret[--w->secret_len] = '\0';
        if (w->secret_len == 0)
                return cws_error_set(err, -EINVAL, "[alerts] secret_file %s is empty", path);
        return 0;
}

int cws_webhook_open(const cws_config *cfg, cws_webhook **out, cws_error *err)
{
        cws_webhook *w;
        cws_error why = { 0 };
        int r;

        if (!cfg->alerts_url[0])
                return cws_error_set(err, -EINVAL, "[alerts] url is not set");
        w = calloc(1, sizeof(*w));
        if (!w)
                return cws_error_set(err, -ENOMEM, "out of memory");
        snprintf(w->url, sizeof(w->url), "%s", cfg->alerts_url);
        snprintf(w->pins, sizeof(w->pins), "%s", cfg->alerts_pinned_keys);
        w->plain_http = strncmp(w->url, "http://", 7) == 0;
        if ((r = read_secret(w, cfg->alerts_secret_file, err)) < 0)
                goto fail;
        if (cfg->alerts_ca_file[0]) {
                r = cws_file_read_checked(cfg->alerts_ca_file, CA_FILE_MAX, CWS_FILE_PARENTS,
                                          &w->ca_pem, &w->ca_len, &why);
                if (r < 0) {
                        cws_error_set(err, r, "[alerts] ca_file %s", cws_error_message(&why));
                        goto fail;
                }
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(w->curl = curl_easy_init())) {
                r = cws_error_set(err, -ENOMEM, "[alerts]: cannot initialise libcurl");
                goto fail;
        }
        *out = w;
        return 0;
fail:
        cws_webhook_free(w);
        return r;
}

void cws_webhook_free(cws_webhook *w)
{
        if (!w)
                return;
        if (w->curl)
                curl_easy_cleanup(w->curl);
        if (w->secret) {
                cws_wipe(w->secret, w->secret_len);
                free(w->secret);
        }
        free(w->ca_pem);
        free(w);
}

int cws_webhook_sign(const void *key, size_t keylen, const char *body, size_t len,
                     char out[CWS_WEBHOOK_SIG_LEN])
{
        uint8_t mac[CWS_SHA256_LEN];
        int r = cws_hmac_sha256(key, keylen, body, len, mac);

        if (r < 0)
                return r;
        memcpy(out, "sha256=", 7);
        cws_hex_encode(mac, sizeof(mac), out + 7, CWS_WEBHOOK_SIG_LEN - 7, false);
        return 0;
}

/* The receiver's answer is not needed: read and thrown away. */
static size_t discard(char *p, size_t size, size_t n, void *userdata)
{
        (void)p;
        (void)userdata;
        return size * n;
}

int cws_webhook_post(cws_webhook *w, const char *body, size_t len, long *status, cws_error *err)
{
        char sig[CWS_WEBHOOK_SIG_LEN], hdr[32 + CWS_WEBHOOK_SIG_LEN];
        char errbuf[CURL_ERROR_SIZE] = "";
        struct curl_slist *hdrs = NULL, *t;
        CURL *c = w->curl;
        CURLcode rc;
        int bad = 0, r;

        *status = 0;
        if ((r = cws_webhook_sign(w->secret, w->secret_len, body, len, sig)) < 0)
                return cws_error_set(err, r, "webhook %s: cannot sign the alert", w->url);
        snprintf(hdr, sizeof(hdr), "X-CWS-Signature: %s", sig);
        const char *lines[] = { "Content-Type: application/json", hdr, "Expect:" };
        for (size_t i = 0; i < CWS_ELEMENTSOF(lines); i++) {
                if (!(t = curl_slist_append(hdrs, lines[i]))) {
                        curl_slist_free_all(hdrs);
                        return cws_error_set(err, -ENOMEM, "out of memory");
                }
                hdrs = t;
        }
        curl_easy_reset(c);
        bad |= (int)curl_easy_setopt(c, CURLOPT_URL, w->url);
        bad |= (int)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, w->plain_http ? "http" : "https");
        bad |= (int)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        bad |= (int)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        bad |= (int)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CWS_WEBHOOK_CONNECT_TIMEOUT_MS);
        bad |= (int)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CWS_WEBHOOK_TIMEOUT_MS);
        bad |= (int)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        bad |= (int)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        bad |= (int)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        bad |= (int)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        bad |= (int)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        bad |= cws_tls_apply(c, w->plain_http, w->ca_pem, w->ca_len, w->pins) ? 1 : 0;
        if (bad) {
                curl_slist_free_all(hdrs);
                return cws_error_set(err, -ENOTSUP, "webhook %s: libcurl refuses the TLS settings",
                                     w->url);
        }
        rc = curl_easy_perform(c);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(hdrs);
        if (rc != CURLE_OK)
                return cws_error_set(err, -EIO, "webhook %s: %s", w->url,
                                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        if (*status < 200 || *status > 299)
                return cws_error_set(err, -EPROTO, "webhook %s answered HTTP %ld", w->url, *status);
        return 0;
}

static void iso_time(int64_t t, char *out, size_t n)
{
        struct tm tm;
        time_t tt = (time_t)t;

        if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(out, n, "?");
}

static int add_string(json_object *o, const char *key, const char *value)
{
        json_object *v = json_object_new_string(value ? value : "");
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static int add_int(json_object *o, const char *key, int64_t value)
{
        json_object *v = json_object_new_int64(value);
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

char *cws_webhook_body(const cws_alert *a, uint32_t window, const char *host)
{
        char user[2 * 128 + 1], device[2 * 128 + 1], at[32], start[32];
        bool user_hex = cws_evidence_encode(a->user && *a->user ? a->user : "", user, sizeof(user));
        json_object *o = json_object_new_object();
        char *out = NULL;

        /* The names are as the journal shows them, so a hostile user name
         * is the same opaque hex in the SIEM as on the host. */
        cws_evidence_encode(a->device ? a->device : "", device, sizeof(device));
        iso_time(a->at, at, sizeof(at));
        iso_time(a->window_start, start, sizeof(start));
        if (o && add_string(o, "pattern", a->pattern) == 0 &&
            add_string(o, "severity", cws_risk_to_string(a->risk)) == 0 &&
            add_string(o, "user", user) == 0 &&
            add_string(o, "user_encoding", user_hex ? "hex" : "plain") == 0 &&
            add_string(o, "device", device) == 0 &&
            add_string(o, "service", cws_evidence_plain(a->service) ? a->service : "") == 0 &&
            add_string(o, "reason", cws_reason_to_string(a->reason)) == 0 &&
            add_int(o, "count", a->count) == 0 && add_int(o, "window", window) == 0 &&
            add_string(o, "window_start", start) == 0 && add_string(o, "time", at) == 0 &&
            add_string(o, "host", cws_evidence_plain(host) ? host : "?") == 0 &&
            add_string(o, "detail", a->detail ? a->detail : "") == 0) {
                const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
                out = s ? strdup(s) : NULL;
        }
        json_object_put(o);
        return out;
}
