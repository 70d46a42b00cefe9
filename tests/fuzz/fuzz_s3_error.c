/* The S3 <Error> body parser (cws_s3_parse_error_code): whatever an
 * endpoint sends with a failure status. Properties: the code is letters
 * and digits only, fits the buffer (every size, down to 0 and 1), and
 * does not depend on the buffer size except by being cut to "". */
#include <string.h>
#include <stdlib.h>
#include "cws/registry_s3.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t sizes[] = { 1, 2, 16, 64, 1025 };
        char big[1025], code[1025];
        char *body = malloc(size ? size : 1);

        FUZZ_ASSERT(body != NULL);
        if (size)
                memcpy(body, data, size);
        cws_s3_parse_error_code(body, size, code, 0);   /* writes nothing */
        cws_s3_parse_error_code(body, size, big, sizeof(big));
        FUZZ_ASSERT(strspn(big, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
                    strlen(big));
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *c = malloc(sizes[i]);     /* exact size: ASan sees an overrun */

                FUZZ_ASSERT(c != NULL);
                cws_s3_parse_error_code(body, size, c, sizes[i]);
                FUZZ_ASSERT(strlen(c) < sizes[i]);
                FUZZ_ASSERT(c[0] == '\0' || strcmp(c, big) == 0);
                free(c);
        }
        free(body);
        return 0;
}
