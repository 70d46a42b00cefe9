/* Identifiers and names: what may become a registry key, a path component
 * or a record field. Free of JSON and libcrypto, so pam_cws.so can use it
 * (new identifiers: id_new.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/ids.h"
#include "cws/name_rule.h"

bool cws_id_valid(const char *prefix, const char *id)
{
        size_t pl = strlen(prefix);
        uint8_t raw[CWS_ID_RANDOM_LEN + 4];
        size_t n = 0;

        if (!id || strncmp(id, prefix, pl) != 0 || id[pl] != '-')
                return false;
        if (strlen(id + pl + 1) != cws_b64url_encoded_len(CWS_ID_RANDOM_LEN))
                return false;
        return cws_b64url_decode(id + pl + 1, raw, sizeof(raw), &n) == 0 && n == CWS_ID_RANDOM_LEN;
}

bool cws_name_valid(const char *s, size_t max)
{
        return s && strlen(s) < max && cws_name_rule(s, strlen(s));
}

