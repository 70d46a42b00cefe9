/* The TLS rules every HTTPS client of the project follows (the s3:
 * registry, the alert webhook, cws-status's probe): TLS 1.2 at least, the
 * peer and host name verified against the system store or a CA file, and
 * public-key pins on top when given. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>

/* Applies the rules to c (after curl_easy_reset). ca_pem/ca_len: a CA
 * bundle held by the caller for the handle's life (NULL: system store);
 * pins: "sha256//...;..." or "" / NULL. plain_http (loopback only, checked
 * by the caller) turns proxies off instead. -ENOTSUP when curl refuses. */
int cws_tls_apply(CURL *c, bool plain_http, const void *ca_pem, size_t ca_len, const char *pins);
