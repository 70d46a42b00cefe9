/* The S3 credentials file parser (cws_s3_parse_credentials). Properties:
 * on success both values are 1..255 printable bytes without space (no ':'
 * in the key id); on failure the secret buffer is wiped and the message,
 * which never quotes a value, holds no control characters. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include "cws/registry_s3.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

static void printable_value(const char *v, size_t max, int is_access)
{
        size_t n = strnlen(v, max);

        FUZZ_ASSERT(n > 0 && n < max);
        for (size_t i = 0; i < n; i++) {
                FUZZ_ASSERT(v[i] > ' ' && v[i] < 0x7f);
                FUZZ_ASSERT(!is_access || v[i] != ':');
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char access[CWS_S3_CRED_MAX], secret[CWS_S3_CRED_MAX];
        static const char zero[CWS_S3_CRED_MAX];
        cws_error err = { 0 };
        char *text = fuzz_strndup(data, size);
        int r;

        memset(secret, 0x5a, sizeof(secret));
        r = cws_s3_parse_credentials(text, "/etc/cws/s3.credentials", access, secret, &err);
        if (r == 0) {
                printable_value(access, sizeof(access), 1);
                printable_value(secret, sizeof(secret), 0);
                FUZZ_ASSERT(strstr(text, access) && strstr(text, secret));
        } else {
                FUZZ_ASSERT((r == -EINVAL || r == -ENOMEM) && err.code == r && err.msg[0]);
                FUZZ_ASSERT(memcmp(secret, zero, sizeof(secret)) == 0);
                for (const char *m = err.msg; *m; m++)
                        FUZZ_ASSERT((unsigned char)*m >= 0x20 && (unsigned char)*m != 0x7f);
        }
        free(text);
        return 0;
}
