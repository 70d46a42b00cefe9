/* Record envelopes from the registry (cws_record_unseal) with hostile
 * bytes, for each kind; an envelope that verifies has its payload parsed
 * by the parser of its kind. Properties: an envelope verifies as one kind
 * at most; a verified payload is a NUL-free string. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/record.h"
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        return 0;
}

static void parse_payload(cws_record_kind kind, const char *payload)
{
        cws_invitation inv;
        cws_device_reg dev;
        cws_revocation rev;
        cws_notice notice;
        cws_error err = { 0 };

        switch (kind) {
        case CWS_REC_INVITATION:
                (void)cws_invitation_from_json(payload, &inv, &err);
                break;
        case CWS_REC_DEVICE:
                (void)cws_device_reg_from_json(payload, &dev, &err);
                break;
        case CWS_REC_REVOCATION:
                (void)cws_revocation_from_json(payload, &rev, &err);
                break;
        case CWS_REC_NOTICE:
                (void)cws_notice_from_json(payload, &notice, &err);
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const cws_record_kind kinds[] = { CWS_REC_INVITATION, CWS_REC_DEVICE,
                                                 CWS_REC_REVOCATION, CWS_REC_NOTICE };
        unsigned verified = 0;

        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                uint8_t signer[CWS_ED25519_KEY_LEN];
                char *payload = NULL;
                cws_error err = { 0 };
                int r = cws_record_unseal(kinds[i], (const char *)data, size, signer, &payload,
                                          &err);

                if (r < 0) {
                        FUZZ_ASSERT(r == -EBADMSG || r == -ENOMEM);
                        FUZZ_ASSERT(err.code == r && err.msg[0]);
                        continue;
                }
                verified++;
                FUZZ_ASSERT(payload != NULL);
                parse_payload(kinds[i], payload);
                free(payload);
        }
        FUZZ_ASSERT(verified <= 1);
        return 0;
}
