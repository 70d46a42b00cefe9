/* Reads a PAM service's stack the way Linux-PAM builds it from a pam.d
 * directory (@include, `include`, `substack`, `-type`, line continuation)
 * and says whether pam_cws really gates its account phase. */
#pragma once
#include <stddef.h>
#include "cws/error.h"

typedef enum cws_pam_gate {
        CWS_PAM_GATED = 0,      /* account: pam_cws required/requisite, nothing skips it */
        CWS_PAM_WEAK,           /* present, but optional, sufficient, "-account", or
                                   a line before it can end the stack or jump over it */
        CWS_PAM_NOT_GATED,      /* no pam_cws in the account stack */
} cws_pam_gate;

#define CWS_PAM_DETAIL_MAX 256
#define CWS_PAM_DEPTH_MAX 16    /* nested includes, as a loop guard */
#define CWS_PAM_LINES_MAX 512   /* account lines in one flattened stack */

typedef struct cws_pam_result {
        cws_pam_gate gate;
        char file[64];          /* the service file read ("other" when it is absent) */
        char detail[CWS_PAM_DETAIL_MAX];        /* where pam_cws is, or why it is weak */
} cws_pam_result;

/* Checks service in dir (e.g. /etc/pam.d). A missing service file is
 * checked through "other", as libpam does. -ENOENT when neither exists;
 * -ELOOP past CWS_PAM_DEPTH_MAX; -E2BIG past CWS_PAM_LINES_MAX. */
int cws_pam_stack_check(const char *dir, const char *service, cws_pam_result *res,
                        cws_error *err);
