/* The revocations this host has seen: state_dir/revoked/<id>, one file per
 * device or invitation id, created once and never removed. A revocation
 * seen once is final on this host, online and offline, whatever the
 * registry says later: a storage writer can delete the record, never this
 * memory of it. It grows with the ids this host ever had bindings for and
 * has no eviction. cwsd writes it; pam_cws.so reads it offline. */
#pragma once
#include <stdbool.h>
#include "cws/error.h"

/* 1 when id is new here, 0 when it was already known. */
int cws_seen_revoked_add(const char *state_dir, const char *id, cws_error *err);

/* 1 seen revoked, 0 not, <0 cannot tell (the caller must deny). An empty
 * id is never revoked. */
int cws_seen_revoked(const char *state_dir, const char *id, cws_error *err);

/* Both ids of a binding in one look at the directory: bit 1 when device
 * was seen revoked, bit 2 when inv was; <0 cannot tell (deny). */
int cws_seen_revoked_pair(const char *state_dir, const char *device, const char *inv,
                          cws_error *err);
/* The same, with state_fd a held, checked descriptor of state_dir (> 0;
 * otherwise the path is walked and checked as above): one openat of
 * revoked/ under it instead of a walk from /. */
int cws_seen_revoked_pair_at(int state_fd, const char *state_dir, const char *device,
                             const char *inv, cws_error *err);
