/* Invitation type names: the same strings in records, config and replies. */
#include <errno.h>
#include <string.h>
#include "cws/types.h"

static const char *const type_names[] = {
        [CWS_TYPE_NONE] = "none",
        [CWS_TYPE_READ_ONLY] = "read_only",
        [CWS_TYPE_READ_WRITE] = "read_write",
        [CWS_TYPE_ADMIN] = "admin",
};

int cws_inv_type_from_string(const char *s, cws_inv_type *out)
{
        if (!s || !out)
                return -EINVAL;
        /* "none" is a policy value, never an invitation's type: callers
         * that accept it (config) check for it themselves. */
        for (cws_inv_type t = CWS_TYPE_READ_ONLY; t <= CWS_TYPE_ADMIN; t++)
                if (strcmp(s, type_names[t]) == 0) {
                        *out = t;
                        return 0;
                }
        return -EINVAL;
}

const char *cws_inv_type_to_string(cws_inv_type t)
{
        /* Compare as unsigned so a corrupted negative value is out of range too. */
        if ((unsigned)t >= sizeof(type_names) / sizeof(type_names[0]))
                return "invalid";
        return type_names[t];
}
