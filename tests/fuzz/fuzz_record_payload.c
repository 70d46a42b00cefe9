/* The payload parsers of registry records (invitation, device
 * registration, revocation). The first byte picks the kind, the rest is
 * the payload JSON. Properties, for a payload that parses: struct -> JSON
 * -> struct gives the same struct, JSON -> struct -> JSON the same JSON
 * (encode -> decode -> encode); sealed into an envelope it unseals to the
 * same payload and signer, and to no other kind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/record.h"
#include "harness.h"

static uint8_t signer_pub[CWS_ED25519_KEY_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        if (cws_ed25519_public(fuzz_signer_priv, signer_pub) < 0)
                fuzz_fail("ed25519 public key");
        return 0;
}

typedef union record {
        cws_invitation inv;
        cws_device_reg dev;
        cws_revocation rev;
        cws_notice notice;
} record;

static int from_json(cws_record_kind k, const char *json, record *out)
{
        cws_error err = { 0 };
        int r = -EINVAL;

        memset(out, 0, sizeof(*out));
        switch (k) {
        case CWS_REC_INVITATION: r = cws_invitation_from_json(json, &out->inv, &err); break;
        case CWS_REC_DEVICE: r = cws_device_reg_from_json(json, &out->dev, &err); break;
        case CWS_REC_REVOCATION: r = cws_revocation_from_json(json, &out->rev, &err); break;
        case CWS_REC_NOTICE: r = cws_notice_from_json(json, &out->notice, &err); break;
        }
        if (r < 0)
                FUZZ_ASSERT(err.code == r && err.msg[0]);
        return r;
}

static int to_json(cws_record_kind k, const record *in, char **out)
{
        switch (k) {
        case CWS_REC_INVITATION: return cws_invitation_to_json(&in->inv, out);
        case CWS_REC_DEVICE: return cws_device_reg_to_json(&in->dev, out);
        case CWS_REC_REVOCATION: return cws_revocation_to_json(&in->rev, out);
        case CWS_REC_NOTICE: return cws_notice_to_json(&in->notice, out);
        }
        return -EINVAL;
}

static void seal_round_trip(cws_record_kind k, const char *json)
{
        char *env = NULL, *payload = NULL;
        uint8_t who[CWS_ED25519_KEY_LEN];
        cws_error err = { 0 };

        FUZZ_ASSERT(cws_record_seal(k, json, fuzz_signer_priv, &env, &err) == 0);
        FUZZ_ASSERT(cws_record_unseal(k, env, strlen(env), who, &payload, &err) == 0);
        FUZZ_ASSERT(strcmp(payload, json) == 0);
        FUZZ_ASSERT(memcmp(who, signer_pub, sizeof(who)) == 0);
        free(payload);
        for (int other = CWS_REC_INVITATION; other <= CWS_REC_NOTICE; other++) {
                if ((cws_record_kind)other == k)
                        continue;
                payload = NULL;
                FUZZ_ASSERT(cws_record_unseal((cws_record_kind)other, env, strlen(env), who,
                                              &payload, &err) == -EBADMSG);
                FUZZ_ASSERT(payload == NULL);
        }
        free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static record a, b;
        cws_record_kind k;
        char *json, *j1 = NULL, *j2 = NULL;

        if (size < 1)
                return 0;
        k = (cws_record_kind)(data[0] % 4);
        json = fuzz_strndup(data + 1, size - 1);
        if (from_json(k, json, &a) == 0) {
                FUZZ_ASSERT(to_json(k, &a, &j1) == 0);
                FUZZ_ASSERT(from_json(k, j1, &b) == 0);
                FUZZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
                FUZZ_ASSERT(to_json(k, &b, &j2) == 0);
                FUZZ_ASSERT(strcmp(j1, j2) == 0);
                seal_round_trip(k, j1);
                free(j1);
                free(j2);
        }
        free(json);
        return 0;
}
