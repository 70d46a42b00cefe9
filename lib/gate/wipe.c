/* Wiping secrets from memory, in a file of its own so that what only
 * wipes (pam_cws.so's protocol code) does not link libcrypto for it. */
#include <string.h>
#include "cws/cleanup.h"

void cws_wipe(void *p, size_t n)
{
        /* explicit_bzero: a store the compiler may not drop, as
         * OPENSSL_cleanse is. */
        if (p && n)
                explicit_bzero(p, n);
}
