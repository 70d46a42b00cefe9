/* The module's offline decision: pam_cws_offline.so (pam/offline.h),
 * loaded from the module's own directory only when cwsd does not answer. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include "gate.h"
#include "offline.h"

#ifdef CWS_OFFLINE_LINKED
/* Built with pam_cws_offline.c in one binary (the fuzz harness). */
int cws_offline_decide_v1(const char *state_dir, uid_t uid, const char *user,
                          cws_inv_type min_type, uint32_t offline_grace, cws_offline_verdict *v,
                          cws_error *err);
#endif

/* The offline decision of pam_cws_offline.so, loaded from this module's
 * own directory only now: a login that cwsd answers never maps it, nor
 * libcrypto. Not loadable: -ELIBACC, a denial. */
static int offline_decide(const cws_config *cfg, const session_info *si, cws_offline_verdict *ov,
                          cws_error *err)
{
        cws_inv_type min_type = cws_config_min_type_for_service(cfg, si->service);
#ifdef CWS_OFFLINE_LINKED
        return cws_offline_decide_v1(cfg->state_dir, si->uid, si->user, min_type,
                                     cfg->offline_grace, ov, err);
#else
        char path[PATH_MAX];
        const char *slash;
        cws_offline_decide_fn fn;
        const char *abi;
        Dl_info info;
        void *h;
        int n, r;

        if (!dladdr((void *)&offline_decide, &info) || !info.dli_fname ||
            !(slash = strrchr(info.dli_fname, '/')))
                return cws_error_set(err, -ELIBACC, "cannot tell the directory of pam_cws.so, "
                                     "where " CWS_OFFLINE_LIB " is (load the module by its path)");
        n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname,
                     CWS_OFFLINE_LIB);
        if (n < 0 || (size_t)n >= sizeof(path))
                return cws_error_set(err, -ELIBACC, "the path of " CWS_OFFLINE_LIB " is too long");
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return cws_error_set(err, -ELIBACC, "cannot load %s: %s (reinstall pam_cws)", path,
                                     dlerror());
        abi = dlsym(h, CWS_OFFLINE_ABI_SYMBOL);
        fn = (cws_offline_decide_fn)dlsym(h, CWS_OFFLINE_SYMBOL);
        if (!abi || strncmp(abi, CWS_OFFLINE_ABI, sizeof(CWS_OFFLINE_ABI)) != 0) {
                r = cws_error_set(err, -ELIBACC, "%s does not match this pam_cws.so (its "
                                  "interface token is not " CWS_OFFLINE_ABI "): a program that "
                                  "loaded pam_cws.so before an upgrade keeps the old one until it "
                                  "is restarted; else reinstall pam_cws", path);
        } else if (!fn) {
                r = cws_error_set(err, -ELIBACC, "%s has no %s (pam_cws.so and it are of different "
                                  "builds: reinstall pam_cws)", path, CWS_OFFLINE_SYMBOL);
        } else {
                r = fn(cfg->state_dir, si->uid, si->user, min_type, cfg->offline_grace, ov, err);
        }
        dlclose(h);
        return r;
#endif
}

/* cwsd did not answer: the authenticated cache, within the grace. */
void gate_decide_offline(pam_handle_t *pamh, const cws_config *cfg, const session_info *si,
                         verdict *v)
{
        cws_offline_verdict ov;
        cws_error err = { 0 };
        int r;

        v->allow = false;
        v->offline = true;
        v->reason = CWS_R_REGISTRY_UNAVAILABLE;
        r = offline_decide(cfg, si, &ov, &err);
        if (r < 0) {
                if (r != -ENOENT)
                        pam_syslog(pamh, LOG_ERR, "offline cache: %s", cws_error_message(&err));
                return;
        }
        v->allow = ov.allow;
        v->reason = ov.reason;
        gate_copy(v->profile, sizeof(v->profile), ov.profile);
        gate_copy(v->invitation, sizeof(v->invitation), ov.invitation);
        gate_copy(v->device, sizeof(v->device), ov.device);
}
