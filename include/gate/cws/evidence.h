/* Evidence: one Linux audit record and one journal entry per event, with
 * the same fields and reason. Untrusted values are encoded for audit
 * (audit_encode_nv_string) and passed as separate fields to the journal;
 * nothing secret is ever given to this code. */
#pragma once
#include <stdbool.h>
#include "cws/error.h"
#include "cws/reason.h"

typedef enum cws_event_kind {
        CWS_EV_ALLOW,       /* a session may start */
        CWS_EV_DENY,        /* a session was refused */
        CWS_EV_ENROLL,      /* a device was enrolled */
        CWS_EV_REVOKE,      /* a device or invitation was revoked */
        CWS_EV_VIOLATION,   /* tamper or copy detected, or a fingerprint mismatch */
        CWS_EV_REVOCATION_SEEN, /* the monitor saw a device or invitation revoked */
        CWS_EV_ALERT,       /* correlation raised an alert (lib/correlate.c) */
        CWS_EV_ALERT_DROPPED, /* the webhook's queue was full (lib/alert_queue.c) */
} cws_event_kind;

/* MESSAGE_IDs (journalctl --new-id128), their one source: packaging/cws.catalog
 * has one entry for each and the tests read them from here at run time
 * (tests/unit/test_message_ids.c fails when the catalog or a test disagrees). */
#define CWS_MID_ALLOW "a9a3b2aa82b64453937014fdb7a7aa42"
#define CWS_MID_DENY "f9aa7301658048129aa98b48e074e3db"
#define CWS_MID_ENROLL "08b04f9428fb4c5e9618c7f88a342449"
#define CWS_MID_REVOKE "d310513336fc4a27916de24026e8a100"
#define CWS_MID_VIOLATION "12e61f6187f04f0d80039677d4d0c92a"
#define CWS_MID_REVOCATION_SEEN "661bf675bf3348f581b964944e7051d6"
#define CWS_MID_ALERT "62a5da1bcd6f40b5b3977c8cb8272d5f"          /* lib/correlate.c */
#define CWS_MID_ALERT_DROPPED "4c05bfbc56bf4611b0be2135e4aae04c"  /* lib/alert_queue.c */

typedef struct cws_event {
        cws_event_kind kind;
        const char *program;        /* SYSLOG_IDENTIFIER */
        const char *user;
        const char *profile;
        const char *invitation;
        const char *device;
        const char *service;
        const char *rhost;
        const char *tty;
        cws_reason reason;
        const char *violation;      /* for violations: the CWS_FP_* names, comma-separated */
        const char *risk;           /* for violations: LOW..CRITICAL */
        bool failed;                /* for enroll/revoke: the attempt failed */
        const char *alert;          /* for alerts: the pattern (multiple_failed_logins, ...) */
        const char *count;          /* for alerts: how many events in the window;
                                     * for dropped alerts: how many since cwsd started */
        const char *detail;         /* for alerts: what the pattern adds (CWS_DETAIL) */
} cws_event;

typedef struct cws_evidence_result {
        int audit;                  /* 0 written or skipped (no kernel audit), <0 errno */
        int journal;                /* 0 or <0 errno */
} cws_evidence_result;

/* Writes both records (audit unless with_audit is false). Never blocks on
 * DNS: addr is always given to libaudit. */
void cws_evidence_emit(const cws_event *ev, bool with_audit, cws_evidence_result *res);

/* The audit record type for an event. */
int cws_evidence_audit_type(const cws_event *ev);

/* An untrusted value as both records show it: itself when it is printable
 * ASCII without space, quote or backslash, else its bytes in uppercase hex
 * (as audit_encode_nv_string does), at most 128 bytes of input either way.
 * Returns whether it was hex-encoded. */
bool cws_evidence_encode(const char *value, char *out, size_t n);

/* A value safe to hand to libaudit unencoded (hostnames, ttys): only
 * [A-Za-z0-9.:_/@-], at most 255 bytes; else NULL. */
const char *cws_evidence_plain(const char *s);
