/* New identifiers: prefix + random base64url. Apart from ids.c, which only
 * checks them, because the randomness comes from libcrypto and pam_cws.so
 * must not link it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/ids.h"

int cws_id_new(const char *prefix, char out[CWS_ID_MAX])
{
        uint8_t rnd[CWS_ID_RANDOM_LEN];
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
