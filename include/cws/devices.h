/* The registrations of an invitation, for the administrator (lib/devices.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cws/error.h"
#include "cws/record.h"
#include "cws/registry.h"
#include "cws/trust.h"

typedef struct cws_device_entry {
        cws_device_reg reg;
        bool revoked;
} cws_device_entry;

/* Every verified registration of an invitation (listing; admin path). */
int cws_devices_list(cws_registry *r, const cws_trust *t, const char *inv_id, int64_t now,
                     cws_device_entry **out, size_t *n, cws_error *err);
