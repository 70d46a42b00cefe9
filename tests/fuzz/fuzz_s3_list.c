/* The ListObjectsV2 body parser (cws_s3_parse_list) with what a hostile or
 * broken S3 endpoint could send, and the continuation token it returns
 * going into the next page's query. Properties: a refused body leaves an
 * empty page; an accepted one is within the documented bounds, and a
 * truncated listing carries a printable token that the query builder takes. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char query[4 * CWS_KEY_MAX + 4 * CWS_S3_TEXT_MAX];
        cws_s3_list_page page;
        cws_error err = { 0 };
        char *body = malloc(size ? size : 1);
        int r;

        FUZZ_ASSERT(body != NULL);
        if (size)
                memcpy(body, data, size);       /* exactly size bytes, no NUL after */
        r = cws_s3_parse_list(body, size, &page, &err);
        free(body);
        if (r < 0) {
                FUZZ_ASSERT(err.code == r && err.msg[0]);
                FUZZ_ASSERT(page.entries == NULL && page.n == 0 && page.next_token == NULL &&
                            !page.truncated);
                return 0;
        }
        FUZZ_ASSERT(page.n <= CWS_S3_LIST_PAGE_KEYS);
        FUZZ_ASSERT(page.n == 0 || page.entries != NULL);
        for (size_t i = 0; i < page.n; i++)
                FUZZ_ASSERT(page.entries[i] && strlen(page.entries[i]) <= CWS_S3_TEXT_MAX);
        FUZZ_ASSERT(!page.truncated || page.next_token);
        if (page.next_token) {
                size_t n = strlen(page.next_token);

                FUZZ_ASSERT(n > 0 && n <= CWS_S3_TEXT_MAX);
                for (size_t i = 0; i < n; i++)
                        FUZZ_ASSERT(page.next_token[i] > ' ' && page.next_token[i] < 0x7f);
                FUZZ_ASSERT(cws_s3_list_query("registry/inv", page.next_token, query,
                                              sizeof(query)) == 0);
        }
        cws_s3_list_page_free(&page);
        return 0;
}
