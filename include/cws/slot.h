/* The device slots of an invitation (lib/slot.c). */
#pragma once
#include <stddef.h>
#include "cws/chain.h"
#include "cws/error.h"
#include "cws/record.h"
#include "cws/registry.h"

/* Reads and verifies the registration in (slot, gen): signed by the
 * invitation key, naming its own invitation, slot and generation. */
int cws_slot_read(cws_registry *r, const cws_chain *chain, unsigned slot, unsigned gen,
                  cws_device_reg *reg, cws_error *err);
/* The generations present in a slot, ascending (listing: never on the
 * session path). */
int cws_slot_generations(cws_registry *r, const char *inv_id, unsigned slot, unsigned **gens,
                         size_t *n, cws_error *err);
