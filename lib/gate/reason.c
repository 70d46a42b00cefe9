/* Reason codes: stable snake_case names for machines (agent replies, audit,
 * journal) and one line of advice for the person who was refused. */
#include <errno.h>
#include <string.h>
#include "cws/reason.h"

typedef struct reason_text {
        const char *name;
        const char *advice;
} reason_text;

/* Advice names no secret and no registry detail: it is shown to the user
 * through the PAM conversation. */
static const reason_text reasons[_CWS_R_MAX] = {
        [CWS_R_OK] = { "ok", "access granted" },
        [CWS_R_NOT_ENROLLED] = { "not_enrolled",
                "this device is not enrolled for your profile (run cws-enroll TOKEN)" },
        [CWS_R_DEVICE_REVOKED] = { "device_revoked",
                "this device was revoked for your profile (ask your administrator for a new invitation)" },
        [CWS_R_INVITATION_REVOKED] = { "invitation_revoked",
                "your invitation was revoked (ask your administrator for a new one)" },
        [CWS_R_INVITATION_EXPIRED] = { "invitation_expired",
                "your invitation has expired (ask your administrator for a new one)" },
        [CWS_R_INSUFFICIENT_TYPE] = { "insufficient_type",
                "your invitation type does not allow this service (ask for a higher invitation type)" },
        [CWS_R_TAMPER_DETECTED] = { "tamper_detected",
                "this device's binding was altered (ask your administrator; re-enroll with cws-enroll)" },
        [CWS_R_PROFILE_COPY_DETECTED] = { "profile_copy_detected",
                "this binding was copied from another device (enroll this device with cws-enroll TOKEN)" },
        [CWS_R_SYSTEM_ID_MISMATCH] = { "system_id_mismatch",
                "this machine's identity changed since enrollment (re-enroll with cws-enroll TOKEN)" },
        [CWS_R_USER_MISMATCH] = { "user_mismatch",
                "this binding belongs to another user account (enroll this account with cws-enroll TOKEN)" },
        [CWS_R_RECORD_INVALID] = { "record_invalid",
                "a registry record failed verification (contact your administrator)" },
        [CWS_R_RECORD_MISSING] = { "record_missing",
                "your enrollment is missing from the registry (contact your administrator)" },
        [CWS_R_REGISTRY_UNAVAILABLE] = { "registry_unavailable",
                "the registry cannot be reached and no recent validation is cached (try again later)" },
        [CWS_R_INVITATION_FULL] = { "invitation_full",
                "this invitation has no free device slot (revoke an old device with cws-revoke)" },
        [CWS_R_PERMISSION_DENIED] = { "permission_denied",
                "you are not allowed to make this request (ask your administrator)" },
        [CWS_R_BAD_REQUEST] = { "bad_request",
                "the request was malformed (check the command line and try again)" },
        [CWS_R_INTERNAL_ERROR] = { "internal_error",
                "an internal error occurred (contact your administrator; see the system journal)" },
        [CWS_R_ALREADY_ENROLLED] = { "already_enrolled",
                "this device is already enrolled for this invitation (nothing to do)" },
        [CWS_R_RATE_LIMITED] = { "rate_limited",
                "too many requests from your account (wait a minute and try again)" },
};

/* Unsigned so that a corrupted negative value also maps to internal_error. */
static const reason_text *reason_lookup(cws_reason r)
{
        if ((unsigned)r >= (unsigned)_CWS_R_MAX)
                r = CWS_R_INTERNAL_ERROR;
        return &reasons[r];
}

const char *cws_reason_to_string(cws_reason r)
{
        return reason_lookup(r)->name;
}

int cws_reason_from_string(const char *s, cws_reason *out)
{
        if (!s || !out)
                return -EINVAL;
        for (unsigned i = 0; i < (unsigned)_CWS_R_MAX; i++)
                if (strcmp(s, reasons[i].name) == 0) {
                        *out = (cws_reason)i;
                        return 0;
                }
        return -EINVAL;
}

const char *cws_reason_advice(cws_reason r)
{
        return reason_lookup(r)->advice;
}

cws_reason cws_reason_for_fetch(int err)
{
        if (err == -ENOENT)
                return CWS_R_RECORD_MISSING;
        if (err == -EBADMSG || err == -EFBIG || err == -EPERM || err == -ELOOP)
                return CWS_R_RECORD_INVALID;
        return CWS_R_REGISTRY_UNAVAILABLE;
}
