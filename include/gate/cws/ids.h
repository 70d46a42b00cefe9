/* Identifiers and names. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define CWS_ID_RANDOM_LEN 16    /* random bytes after the prefix */
#define CWS_ID_MAX 32           /* "inv-" + 22 base64url + NUL fits */

/* "inv-..." / "dev-..." with 16 random bytes. */
int cws_id_new(const char *prefix, char out[CWS_ID_MAX]);
bool cws_id_valid(const char *prefix, const char *id);

/* Profile and user names: 1..63 of [A-Za-z0-9._@-] not starting with '-'
 * or '.'; anything else is refused before it reaches a path or a record. */
bool cws_name_valid(const char *s, size_t max);
