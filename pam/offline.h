/* The offline decision of pam_cws, in pam_cws_offline.so beside the
 * module: pam_cws.so loads it (and with it libcrypto, for the cache's
 * MAC) only when cwsd does not answer, so that a login that cwsd answers
 * never maps libcrypto. Both are built together: the symbol's version is
 * the whole interface. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/error.h"
#include "cws/ids.h"
#include "cws/reason.h"
#include "cws/types.h"

#define CWS_OFFLINE_LIB "pam_cws_offline.so"
#define CWS_OFFLINE_SYMBOL "cws_offline_decide_v1"
/* The interface's token (the Makefile's CWS_OFFLINE_ABI: a hash of this
 * header and the ones it includes), which pam_cws_offline.so exports as
 * this string and pam_cws.so compares with its own before it calls
 * anything there. */
#define CWS_OFFLINE_ABI_SYMBOL "cws_offline_abi_v1"
#ifndef CWS_OFFLINE_ABI
#error "CWS_OFFLINE_ABI is not set: build pam_cws with its Makefile"
#endif

typedef struct cws_offline_verdict {
        bool allow;
        cws_reason reason;
        char profile[CWS_PROFILE_MAX];
        char invitation[CWS_ID_MAX];
        char device[CWS_ID_MAX];
} cws_offline_verdict;

/* From the user's cache under state_dir (authenticated with the host key):
 * allow only a validation younger than offline_grace seconds, for at least
 * min_type, whose device and invitation this host never saw revoked. 0
 * with *v filled (a denial included); -ENOENT: no cache; other <0: err
 * says why. *v denies on every return but an allow. */
typedef int (*cws_offline_decide_fn)(const char *state_dir, uid_t uid, const char *user,
                                     cws_inv_type min_type, uint32_t offline_grace,
                                     cws_offline_verdict *v, cws_error *err);
