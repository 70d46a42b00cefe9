/* The binding's JSON parser behind the AEAD: the input is the plaintext,
 * sealed by the harness with the fixed host key for FUZZ_UID/FUZZ_USER on
 * this host (forge.h), then opened with cws_binding_open. Properties: a
 * binding that opens seals again (seal -> open -> seal) and opens to the
 * same fields; one that does not open is refused as tampering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/binding.h"
#include "forge.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        forge_check_binding();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static cws_binding b, back;
        cws_reason why = CWS_R_OK;
        cws_error err = { 0 };
        char *text, *again = NULL;
        size_t len = 0, alen = 0;
        int r;

        if (size > CWS_BINDING_MAX)
                return 0;
        text = forge_binding(data, size, FUZZ_UID, FUZZ_USER, &len);
        r = cws_binding_open(fuzz_host_key, FUZZ_UID, FUZZ_USER, text, len, &b, &why, &err);
        free(text);
        if (r < 0) {
                FUZZ_ASSERT(err.msg[0] != '\0');
                FUZZ_ASSERT(r == -EBADMSG || r == -ENOMEM);
                if (r == -EBADMSG)
                        FUZZ_ASSERT(why == CWS_R_TAMPER_DETECTED || why == CWS_R_USER_MISMATCH);
                return 0;
        }
        FUZZ_ASSERT(why == CWS_R_OK);
        FUZZ_ASSERT(cws_binding_seal(fuzz_host_key, &b, &again, &alen, &err) == 0);
        FUZZ_ASSERT(strlen(again) == alen);
        FUZZ_ASSERT(cws_binding_open(fuzz_host_key, FUZZ_UID, FUZZ_USER, again, alen, &back, &why,
                                     &err) == 0);
        FUZZ_ASSERT(forge_binding_equal(&b, &back));
        free(again);
        return 0;
}
