/* The host key in cwsd's state directory. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cws/error.h"

#define CWS_HOST_KEY_LEN 32

/* Loads state_dir/host.key (0600, trusted owner), creating it with random
 * bytes when absent and create is set. */
int cws_host_key_load(const char *state_dir, uint8_t key[CWS_HOST_KEY_LEN], bool create,
                      cws_error *err);
