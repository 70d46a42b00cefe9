/* The s3: settings that come from the config file: the registry URL, the
 * endpoint, the region, and the strings built from them (base URL, SigV4
 * parameter, URI encoding, list query). The input is one string.
 * Properties: what is accepted meets the documented grammar; plain http
 * is only ever accepted for loopback; URI encoding decodes back to its
 * input and keeps only unreserved bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/registry_s3.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

static int unhex(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void uri_encode_round_trip(const char *s)
{
        size_t n = strlen(s), cap = 3 * n + 1, o = 0;
        char *enc = malloc(cap), *dec = malloc(n + 1);

        FUZZ_ASSERT(enc && dec);
        FUZZ_ASSERT(cws_s3_uri_encode(s, enc, cap) == 0);
        for (const char *p = enc; *p; p++) {
                if (*p == '%') {
                        int hi = unhex(p[1]), lo = hi < 0 ? -1 : unhex(p[2]);
                        FUZZ_ASSERT(hi >= 0 && lo >= 0);
                        dec[o++] = (char)(hi << 4 | lo);
                        p += 2;
                } else {
                        FUZZ_ASSERT(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-._~", *p));
                        dec[o++] = *p;
                }
        }
        dec[o] = '\0';
        FUZZ_ASSERT(o == n && strcmp(dec, s) == 0);
        /* One byte short is -ENOBUFS, not an overflow. */
        FUZZ_ASSERT(cws_s3_uri_encode(s, enc, strlen(enc)) == -ENOBUFS);
        free(enc);
        free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char bucket[CWS_S3_BUCKET_MAX], prefix[CWS_KEY_MAX], base[2 * CWS_S3_URL_MAX];
        static char query[16 * CWS_KEY_MAX];
        char *s = fuzz_strndup(data, size), param[128];
        cws_error err = { 0 };
        bool plain = false;

        if (cws_s3_parse_url(s, bucket, prefix, &err) == 0) {
                size_t b = strlen(bucket);

                FUZZ_ASSERT(strncmp(s, "s3://", 5) == 0 && b >= 3 && b < CWS_S3_BUCKET_MAX);
                FUZZ_ASSERT(strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") == b);
                FUZZ_ASSERT(prefix[0] == '\0' || cws_registry_key_valid(prefix));
                (void)cws_s3_base_url("", "us-east-1", bucket, base, sizeof(base));
                if (prefix[0])
                        FUZZ_ASSERT(cws_s3_list_query(prefix, NULL, query, sizeof(query)) == 0);
        }
        if (cws_s3_check_endpoint(s, &plain, &err) == 0) {
                FUZZ_ASSERT(strncmp(s, plain ? "http://" : "https://", plain ? 7 : 8) == 0);
                FUZZ_ASSERT(!strpbrk(s, " \t\r\n?#@"));
                if (plain) {
                        const char *h = s + 7;
                        FUZZ_ASSERT(strncmp(h, "localhost", 9) == 0 ||
                                    strncmp(h, "127.", 4) == 0 || strncmp(h, "[::1]", 5) == 0);
                }
                (void)cws_s3_base_url(s, "us-east-1", "bucket", base, sizeof(base));
        }
        if (cws_s3_region_valid(s)) {
                FUZZ_ASSERT(cws_s3_sigv4_param(s, param, sizeof(param)) == 0);
                (void)cws_s3_base_url("", s, "bucket", base, sizeof(base));
        }
        uri_encode_round_trip(s);
        free(s);
        return 0;
}
