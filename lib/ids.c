/* Identifiers and names: what may become a registry key, a path component
 * or a record field. Free of JSON, so pam_cws.so can use it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/ids.h"
#include "cws/name_rule.h"

#define ID_RANDOM_LEN 16

int cws_id_new(const char *prefix, char out[CWS_ID_MAX])
{
        uint8_t rnd[ID_RANDOM_LEN];
        char enc[32];
        int r = cws_random(rnd, sizeof(rnd));

        if (r < 0)
                return r;
        r = cws_b64url_encode(rnd, sizeof(rnd), enc, sizeof(enc));
        if (r < 0)
                return r;
        if (snprintf(out, CWS_ID_MAX, "%s-%s", prefix, enc) >= CWS_ID_MAX)
                return -ENAMETOOLONG;
        return 0;
}

bool cws_id_valid(const char *prefix, const char *id)
{
        size_t pl = strlen(prefix);
        uint8_t raw[ID_RANDOM_LEN + 4];
        size_t n = 0;

        if (!id || strncmp(id, prefix, pl) != 0 || id[pl] != '-')
                return false;
        if (strlen(id + pl + 1) != cws_b64url_encoded_len(ID_RANDOM_LEN))
                return false;
        return cws_b64url_decode(id + pl + 1, raw, sizeof(raw), &n) == 0 && n == ID_RANDOM_LEN;
}

bool cws_name_valid(const char *s, size_t max)
{
        return s && strlen(s) < max && cws_name_rule(s, strlen(s));
}

