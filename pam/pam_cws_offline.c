/* pam_cws_offline.so: the decision pam_cws.so makes when cwsd does not
 * answer (pam/offline.h). Exports its entry point and its interface token
 * (pam_cws_offline.map). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "offline.h"
#include "cws/cache.h"
#include "cws/cleanup.h"
#include "cws/host_key.h"
#include "cws/types.h"

#define PUBLIC __attribute__((visibility("default")))

extern const char cws_offline_abi_v1[];
PUBLIC const char cws_offline_abi_v1[] = CWS_OFFLINE_ABI;

int cws_offline_decide_v1(const char *state_dir, uid_t uid, const char *user,
                          cws_inv_type min_type, uint32_t offline_grace, cws_offline_verdict *v,
                          cws_error *err);

PUBLIC int cws_offline_decide_v1(const char *state_dir, uid_t uid, const char *user,
                                 cws_inv_type min_type, uint32_t offline_grace,
                                 cws_offline_verdict *v, cws_error *err)
{
        uint8_t key[CWS_HOST_KEY_LEN];
        cws_cache_entry e;
        int r;

        memset(v, 0, sizeof(*v));
        v->reason = CWS_R_REGISTRY_UNAVAILABLE;
        r = cws_host_key_load(state_dir, key, false, err);
        if (r == 0)
                r = cws_cache_load(state_dir, key, uid, user, &e, err);
        cws_wipe(key, sizeof(key));
        if (r < 0)
                return r;
        v->allow = cws_cache_allows(&e, state_dir, min_type, offline_grace, cws_cache_now_us(),
                                    &v->reason);
        snprintf(v->profile, sizeof(v->profile), "%s", e.profile);
        snprintf(v->invitation, sizeof(v->invitation), "%s", e.inv_id);
        snprintf(v->device, sizeof(v->device), "%s", e.device_id);
        return 0;
}
