#include <errno.h>
#include "cws/tls_policy.h"

int cws_tls_apply(CURL *c, bool plain_http, const void *ca_pem, size_t ca_len, const char *pins)
{
        int bad = 0;

        if (plain_http) {
                /* Plain http is loopback only: no http_proxy may answer for it. */
                bad |= (int)curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
                return bad ? -ENOTSUP : 0;
        }
        bad |= (int)curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        bad |= (int)curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        bad |= (int)curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (ca_pem) {
                /* curl_easy_reset forgets it; the bytes outlive the handle. */
                struct curl_blob ca = { .data = (void *)ca_pem, .len = ca_len,
                                        .flags = CURL_BLOB_NOCOPY };
                bad |= (int)curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
        }
        if (pins && pins[0])
                bad |= (int)curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pins);
        return bad ? -ENOTSUP : 0;
}
