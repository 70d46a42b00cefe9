/* The value types of cws.conf (config_value.c), shared with the key table
 * and the file loader (config.c) and nothing else: each type's parser, its
 * formatter and the words that say what it expects. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINUTE 60u
#define HOUR (60u * MINUTE)
#define DAY (24u * HOUR)

typedef enum value_kind {
        V_URL,
        V_PATH,
        V_DURATION,
        V_COUNT,
        V_BOOL,
        V_FAIL_MODE,
        V_GATE,
        V_MIN_TYPE,
        V_RISK,
        V_ENDPOINT,
        V_REGION,
        V_PINS,
        V_GID_BASE,
        V_HTTPS_URL,
        V_HOURS,
} value_kind;

/* Parses value as kind (within min..max for the kinds with a range) and
 * stores it in field only when valid: 0, or -EINVAL and field untouched. */
int cws_config_value_parse(value_kind kind, uint32_t min, uint32_t max, const char *value,
                           void *field);

/* The value in field as the file would spell it. */
void cws_config_value_format(value_kind kind, const void *field, char *buf, size_t n);

/* What a value of kind must be, for "invalid value ... (expected %s)";
 * NULL for V_DURATION and V_COUNT, whose ranges each key states. */
const char *cws_config_value_expect(value_kind kind);
