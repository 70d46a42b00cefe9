/* The devices of an invitation, for administrators (a listing). */
#include <errno.h>
#include <stdlib.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/devices.h"
#include "cws/slot.h"

int cws_devices_list(cws_registry *r, const cws_trust *t, const char *inv_id, int64_t now,
                     cws_device_entry **out, size_t *n, cws_error *err)
{
        cws_device_entry *v = NULL;
        size_t cnt = 0, cap = 0;
        cws_chain chain;
        cws_reason why;
        bool inv_revoked;
        int k;

        *out = NULL;
        *n = 0;
        /* An expired or revoked invitation still has devices to show. */
        k = cws_chain_fetch(r, t, inv_id, now, &chain, &why, err);
        if (k < 0 && why != CWS_R_INVITATION_EXPIRED && why != CWS_R_INVITATION_REVOKED)
                return k;
        inv_revoked = why == CWS_R_INVITATION_REVOKED;
        for (unsigned slot = 1; slot <= chain.inv[0].max_devices; slot++) {
                _cleanup_free_ unsigned *gens = NULL;
                size_t ng = 0;

                k = cws_slot_generations(r, inv_id, slot, &gens, &ng, err);
                if (k < 0)
                        goto fail;
                for (size_t g = 0; g < ng; g++) {
                        cws_device_entry e = { .revoked = inv_revoked };
                        bool dev_revoked = false;

                        k = cws_slot_read(r, &chain, slot, gens[g], &e.reg, err);
                        if (k == -EBADMSG)
                                continue;   /* forged or damaged: not a device */
                        if (k < 0)
                                goto fail;
                        k = cws_device_revoked(r, t, &chain, e.reg.device_id, &dev_revoked, NULL, err);
                        if (k < 0 && k != -EBADMSG)
                                goto fail;
                        e.revoked = e.revoked || dev_revoked;
                        if (cnt == cap) {
                                size_t ncap = cap ? cap * 2 : 8;
                                cws_device_entry *nv = realloc(v, ncap * sizeof(*v));
                                if (!nv) {
                                        k = cws_error_set(err, -ENOMEM, "out of memory");
                                        goto fail;
                                }
                                v = nv;
                                cap = ncap;
                        }
                        v[cnt++] = e;
                }
        }
        *out = v;
        *n = cnt;
        return 0;
fail:
        free(v);
        return k;
}
