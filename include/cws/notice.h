/* Revocation notices: every revocation also writes notice/<us>-<random>,
 * a small signed record naming the invitation and device, under one
 * prefix whose keys sort by the writer's time. A host lists the notices
 * after the last key it saw (one request when nothing changed) and
 * re-validates the bindings named. Notices grant nothing, and a missing
 * one only delays detection to the monitor's full sweep. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/error.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/trust.h"

#define CWS_NOTICE_PREFIX "notice"
#define CWS_NOTICE_CURSOR "notice.last"     /* in state_dir: the last key seen */
/* A key with a time later than now by more than this is never taken as
 * the cursor: a far-future key would hide every notice before it. */
#define CWS_NOTICE_FUTURE_MAX_US (300LL * 1000000)

/* notice/<20-digit µs>-<16 hex digits of rnd>. */
int cws_notice_key(char out[CWS_KEY_MAX], int64_t at_us, uint64_t rnd);
/* 0 with *at_us when key is a notice key of exactly that form, else -EINVAL. */
int cws_notice_key_parse(const char *key, int64_t *at_us);

/* Signs and writes a notice of (inv_id, device_id or "") at now_us. */
int cws_notice_write(cws_registry *r, const char *inv_id, const char *device_id,
                     const uint8_t signer_priv[CWS_ED25519_KEY_LEN], int64_t now_us,
                     cws_error *err);
/* Reads the notice at key and verifies it: the envelope's signature, the
 * time in its key, and a signer that may revoke (a trusted administrator
 * key, or a key of the invitation's verified chain). -EBADMSG/-EPERM when
 * it does not verify; availability errors as the registry gives them. */
int cws_notice_read(cws_registry *r, const cws_trust *t, const char *key, int64_t now,
                    cws_notice *n, cws_error *err);

/* The cursor in state_dir: -ENOENT when none was written yet. */
int cws_notice_cursor_read(const char *state_dir, char out[CWS_KEY_MAX], cws_error *err);
/* Replaced atomically (rename). */
int cws_notice_cursor_write(const char *state_dir, const char *key, cws_error *err);
