/* Device slots: inv/<inv>/slot/<n>/<gen>. A slot is taken while its newest
 * generation's device is not revoked; revoking frees it for generation
 * gen+1, which is again created create-only, so max_devices holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/slot.h"

int cws_slot_read(cws_registry *r, const cws_chain *chain, unsigned slot, unsigned gen,
                  cws_device_reg *reg, cws_error *err)
{
        _cleanup_free_ char *payload = NULL;
        uint8_t signer[CWS_ED25519_KEY_LEN];
        char key[CWS_KEY_MAX];
        const cws_invitation *inv = &chain->inv[0];
        int k = cws_key_slot(key, inv->id, slot, gen);

        if (k < 0)
                return cws_error_set(err, k, "invalid slot %u", slot);
        k = cws_registry_get_record(r, key, CWS_REC_DEVICE, signer, &payload, err);
        if (k < 0)
                return k;
        if (!cws_ct_equal(signer, inv->pubkey, sizeof(signer)))
                return cws_error_set(err, -EBADMSG, "%s: not signed by the invitation key", key);
        k = cws_device_reg_from_json(payload, reg, err);
        if (k < 0)
                return k;
        if (strcmp(reg->inv_id, inv->id) != 0 || reg->slot != slot || reg->gen != gen)
                return cws_error_set(err, -EBADMSG, "%s: record is for another slot (moved?)", key);
        return 0;
}

static int cmp_uint(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        return x < y ? -1 : x > y;
}

int cws_slot_generations(cws_registry *r, const char *inv_id, unsigned slot, unsigned **gens,
                         size_t *n, cws_error *err)
{
        char prefix[CWS_KEY_MAX];
        char **keys = NULL;
        size_t nk = 0, cnt = 0;
        unsigned *v;
        int k;

        *gens = NULL;
        *n = 0;
        if (snprintf(prefix, sizeof(prefix), "inv/%s/slot/%u", inv_id, slot) >= (int)sizeof(prefix))
                return cws_error_set(err, -EINVAL, "invalid invitation id");
        k = cws_registry_list(r, prefix, &keys, &nk, err);
        if (k < 0)
                return k;
        v = calloc(nk ? nk : 1, sizeof(*v));
        if (!v) {
                cws_strv_free(keys, nk);
                return cws_error_set(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < nk; i++) {
                const char *last = strrchr(keys[i], '/') + 1;
                char *end;
                unsigned long g = strtoul(last, &end, 10);
                /* Only canonical decimal names are generations. */
                if (*end || !*last || (last[0] == '0' && last[1]) || g > 1000000)
                        continue;
                v[cnt++] = (unsigned)g;
        }
        cws_strv_free(keys, nk);
        qsort(v, cnt, sizeof(*v), cmp_uint);
        *gens = v;
        *n = cnt;
        return 0;
}
