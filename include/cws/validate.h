/* Validation of one binding against the registry (lib/validate.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/binding.h"
#include "cws/fingerprint.h"
#include "cws/ids.h"
#include "cws/reason.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/trust.h"
#include "cws/types.h"

typedef struct cws_decision {
        bool allow;
        cws_reason reason;
        char profile[CWS_PROFILE_MAX];
        char inv_id[CWS_ID_MAX];
        char device_id[CWS_ID_MAX];
        cws_inv_type type;
        unsigned violations;                 /* CWS_FP_* drift or denial */
        char detail[256];                    /* for logs; nothing secret */
        bool tampered;                       /* a revocation key was tampered with */
} cws_decision;

/* Validates one binding against the registry for a service needing
 * min_type, in the order of docs/design.md §3.5. Never fails open: every error sets
 * allow = false and a reason. */
void cws_validate_binding(cws_registry *r, const cws_trust *t, const cws_binding *b,
                          const cws_fingerprint *now_fp, cws_inv_type min_type, int64_t now,
                          cws_decision *d);
