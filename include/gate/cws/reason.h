/* Stable reason codes: the same string in the agent reply, the audit record
 * and the journal entry. */
#pragma once

typedef enum cws_reason {
        CWS_R_OK = 0,
        CWS_R_NOT_ENROLLED,
        CWS_R_DEVICE_REVOKED,
        CWS_R_INVITATION_REVOKED,
        CWS_R_INVITATION_EXPIRED,
        CWS_R_INSUFFICIENT_TYPE,
        CWS_R_TAMPER_DETECTED,
        CWS_R_PROFILE_COPY_DETECTED,
        CWS_R_SYSTEM_ID_MISMATCH,
        CWS_R_USER_MISMATCH,
        CWS_R_RECORD_INVALID,
        CWS_R_RECORD_MISSING,
        CWS_R_REGISTRY_UNAVAILABLE,
        CWS_R_INVITATION_FULL,
        CWS_R_PERMISSION_DENIED,
        CWS_R_BAD_REQUEST,
        CWS_R_INTERNAL_ERROR,
        CWS_R_ALREADY_ENROLLED,
        CWS_R_RATE_LIMITED,
        _CWS_R_MAX,
} cws_reason;

const char *cws_reason_to_string(cws_reason r);
/* -EINVAL for an unknown string. */
int cws_reason_from_string(const char *s, cws_reason *out);
/* The reason for a failed read of a registry record (a negative errno):
 * -ENOENT and -EBADMSG (-EFBIG, -EPERM, -ELOOP) are the registry's answer
 * about the record; anything else means we could not ask. */
cws_reason cws_reason_for_fetch(int err);
/* One line for a person: what happened and what to do. */
const char *cws_reason_advice(cws_reason r);
