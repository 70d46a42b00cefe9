/* cws_binding_open with hostile bytes: a binding file as anyone who can
 * write cwsd's state directory (or a backup) could leave it. Each input is
 * opened as it is and, when it has the header, once more with this host's
 * id put in, so inputs made on another host get past the copy check too.
 * Properties: a refusal is one of the documented (errno, reason) pairs and
 * leaves the output untouched; a success names the user it was opened for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/binding.h"
#include "forge.h"
#include "harness.h"

#define MAGIC_LEN (sizeof("cws-binding-v1"))   /* with the space */
#define HOST_HEX (2 * CWS_SHA256_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        (void)forge_host_id();
        return 0;
}

static void open_one(const char *data, size_t size)
{
        static cws_binding b, untouched;
        cws_reason why = CWS_R_OK;
        cws_error err = { 0 };
        int r;

        memset(&b, 0xa5, sizeof(b));
        memset(&untouched, 0xa5, sizeof(untouched));
        r = cws_binding_open(fuzz_host_key, FUZZ_UID, FUZZ_USER, data, size, &b, &why, &err);
        if (r == 0) {
                FUZZ_ASSERT(why == CWS_R_OK);
                FUZZ_ASSERT(b.uid == FUZZ_UID && strcmp(b.username, FUZZ_USER) == 0);
                return;
        }
        FUZZ_ASSERT(err.msg[0] != '\0');
        FUZZ_ASSERT(memcmp(&b, &untouched, sizeof(b)) == 0);
        if (r == -EBADMSG)
                FUZZ_ASSERT(why == CWS_R_TAMPER_DETECTED || why == CWS_R_PROFILE_COPY_DETECTED ||
                            why == CWS_R_USER_MISMATCH);
        else
                FUZZ_ASSERT(why == CWS_R_INTERNAL_ERROR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *copy;

        /* An exact-size heap copy, so ASan sees any read past the end. */
        copy = malloc(size ? size : 1);
        FUZZ_ASSERT(copy != NULL);
        if (size)
                memcpy(copy, data, size);
        open_one(copy, size);
        if (size >= MAGIC_LEN + HOST_HEX && memcmp(copy, "cws-binding-v1 ", MAGIC_LEN) == 0 &&
            memcmp(copy + MAGIC_LEN, forge_host_id(), HOST_HEX) != 0) {
                memcpy(copy + MAGIC_LEN, forge_host_id(), HOST_HEX);
                open_one(copy, size);
        }
        free(copy);
        return 0;
}
