/* The [alerts] webhook: one alert per POST, a JSON body signed with
 * HMAC-SHA256 under the shared secret of secret_file, in the header
 *   X-CWS-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
 * over HTTPS with the registry's TLS rules (cws/tls_policy.h). Bounded
 * time per request; the retries are the caller's (helpers/cwsd/alerts.c).
 * The secret is read once, never logged, and wiped on free. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "cws/config.h"
#include "cws/correlate.h"
#include "cws/error.h"

#define CWS_WEBHOOK_TIMEOUT_MS 10000L
#define CWS_WEBHOOK_CONNECT_TIMEOUT_MS 5000L

typedef struct cws_webhook cws_webhook;

/* From [alerts]: url, secret_file (mode 0600, checked with its
 * directories), ca_file, pinned_keys. -EINVAL without a url or a secret. */
int cws_webhook_open(const cws_config *cfg, cws_webhook **w, cws_error *err);
void cws_webhook_free(cws_webhook *w);

/* POSTs body; 0 on a 2xx answer, else negative with err naming the URL and
 * the HTTP status or curl's reason (*status: the HTTP status, 0 if none). */
int cws_webhook_post(cws_webhook *w, const char *body, size_t len, long *status, cws_error *err);

/* "sha256=" and the hex HMAC of body under key; out holds 72 bytes. */
#define CWS_WEBHOOK_SIG_LEN (7 + 64 + 1)
int cws_webhook_sign(const void *key, size_t keylen, const char *body, size_t len,
                     char out[CWS_WEBHOOK_SIG_LEN]);

/* The JSON body of an alert (the caller frees): pattern, severity, user
 * and device (as the journal shows them: hex when not plain, with
 * user_encoding), service, reason, count, window (seconds), window_start,
 * time (ISO 8601 UTC) and host. */
char *cws_webhook_body(const cws_alert *a, uint32_t window, const char *host);
