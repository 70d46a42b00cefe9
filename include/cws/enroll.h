/* Enrollment (lib/enroll.c): a token claims a slot of its invitation. */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include "cws/binding.h"
#include "cws/error.h"
#include "cws/fingerprint.h"
#include "cws/reason.h"
#include "cws/registry.h"
#include "cws/trust.h"

/* Claims a free slot (create-only) and fills the binding. -ENOSPC with
 * CWS_R_INVITATION_FULL when every slot is taken. */
int cws_enroll(cws_registry *r, const cws_trust *t, const char *token, uid_t uid,
               const char *username, const cws_fingerprint *fp, int64_t now, cws_binding *b,
               cws_reason *why, cws_error *err);
