/* Correlation of cwsd's decisions into alerts: the hardening guide's
 * patterns over a window of analysis_interval.
 *   multiple_failed_logins  HIGH      failed_login_threshold refusals of one
 *                                     user or one device in a window: one alert
 *                                     per key and window, not one per refusal
 *   refusal_flood           HIGH      10 x failed_login_threshold refusals on
 *                                     the host in a window, whatever the names
 *   tamper_detected         CRITICAL  a binding altered or copied: at once
 *   unusual_hours           MEDIUM    an allowed login outside [monitor]
 *                                     active_hours (configured hours, local time)
 *   registry_unavailable    MEDIUM    the registry could not be asked (once a window)
 *   keychain_failure        HIGH      reported by an administrator's helper
 *                                     (cwsd's report op): once per user and window
 *   posture_band_drop       HIGH      cwsd's health timer: the score fell a band
 *   health_check_failed     MEDIUM    cwsd's health timer: a check newly fails
 *                                     (and the band held); one alert per run
 *                                     that found a change, never per interval
 * An alert at or above alert_threshold becomes one audit record and one
 * journal entry (MESSAGE_ID CWS_MID_ALERT) through the sink.
 *
 * Memory is fixed whatever a local user does: CWS_CORR_SLOTS counters in
 * an open-addressed table, CWS_CORR_PROBE probes per lookup; a full probe
 * run evicts an expired entry, else its lowest count (the one seen longest
 * ago among equals). A flood of invented names can push out counters of
 * one refusal, never grow the table, and is itself caught by
 * refusal_flood; a user who keeps trying keeps a higher count. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/config.h"
#include "cws/posture.h"
#include "cws/reason.h"

#define CWS_CORR_SLOTS 4096
#define CWS_CORR_PROBE 16
#define CWS_CORR_KEY_MAX 80

typedef struct cws_alert {
        const char *pattern;        /* multiple_failed_logins, ... */
        cws_risk risk;
        const char *user, *device, *service;
        cws_reason reason;          /* of the event that raised it */
        unsigned count;             /* events in the window */
        const char *detail;         /* NULL, or what the pattern adds (no spaces) */
        int64_t window_start, at;   /* UTC seconds */
} cws_alert;

typedef void (*cws_alert_sink)(const cws_alert *a, void *userdata);

typedef struct cws_corr_entry {
        char key[CWS_CORR_KEY_MAX];     /* "u:NAME" or "d:DEVICE"; "" = free */
        uint32_t count;
        bool alerted;
        int64_t start, last;
} cws_corr_entry;

typedef struct cws_correlator {
        bool enabled;
        cws_risk threshold;
        uint32_t window, failed_threshold;
        cws_hours hours;
        cws_corr_entry e[CWS_CORR_SLOTS];
        cws_corr_entry host, registry; /* host-wide counters */
        uint64_t evictions, alerts;
        cws_alert_sink sink;
        void *sink_data;
} cws_correlator;

/* From the [monitor] settings; sink NULL = cws_alert_emit (audit + journal). */
cws_correlator *cws_correlator_new(const cws_config *cfg, cws_alert_sink sink, void *userdata);
void cws_correlator_free(cws_correlator *c);

/* One decision of cwsd. local_hour: 0-23 in the host's time zone. */
void cws_correlate_decision_at(cws_correlator *c, const char *user, const char *device,
                               const char *service, bool allow, cws_reason reason, int64_t now,
                               unsigned local_hour);
/* The same, the hour taken from now (localtime_r). */
void cws_correlate_decision(cws_correlator *c, const char *user, const char *device,
                            const char *service, bool allow, cws_reason reason, int64_t now);
/* A helper could not use the administrators' keychain; kind is one of
 * the words cwsd(8) lists. One alert per user and window. */
void cws_correlate_keychain_failure(cws_correlator *c, const char *user, const char *kind,
                                    int64_t now);
/* Whether kind is one of the keychain failures a helper may report:
 * locked, no_answer, unavailable, missing_key, bad_item, unsafe_file,
 * bad_passphrase, service_error. */
bool cws_keychain_failure_kind_valid(const char *kind);
/* What cwsd's health timer found worse than at its last run: one
 * posture_band_drop (HIGH) when the band fell, else one
 * health_check_failed (MEDIUM), its detail naming the newly failing
 * checks and the scores ("config,pam;score=80->64;band=Hardened->Standard").
 * alert_threshold applies; correlation_enabled does not (it is no
 * correlation of decisions). */
void cws_correlate_posture(cws_correlator *c, const cws_posture_change *ch, int64_t now);

/* The default sink: one audit record and one journal entry. */
void cws_alert_emit(const cws_alert *a, void *userdata);
