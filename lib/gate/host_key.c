/* The host key: 32 random bytes in cwsd's state directory (0600). It seals
 * bindings and authenticates the cache that pam_cws.so reads when cwsd
 * does not answer, so it lives apart from the JSON binding code. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/crypto.h"
#include "cws/host_key.h"
#include "cws/safe_file.h"

#define HOST_KEY_FILE "host.key"

static int host_key_read(const char *path, uint8_t key[CWS_HOST_KEY_LEN], cws_error *err)
{
        char *p = NULL;
        size_t len = 0;
        int r;

        r = cws_file_read_checked(path, CWS_HOST_KEY_LEN, CWS_FILE_SECRET, &p, &len, err);
        if (r == 0 && len == CWS_HOST_KEY_LEN)
                memcpy(key, p, CWS_HOST_KEY_LEN);
        if (p) {
                cws_wipe(p, len);
                free(p);
        }
        if (r == -EFBIG || (r == 0 && len != CWS_HOST_KEY_LEN))
                return cws_error_set(err, -EBADMSG,
                                     "%s: refused, not a host key (must be exactly %d bytes); "
                                     "move it away and restart cwsd to make a new one "
                                     "(every binding must then be enrolled again)",
                                     path, CWS_HOST_KEY_LEN);
        return r;
}

int cws_host_key_load(const char *state_dir, uint8_t key[CWS_HOST_KEY_LEN], bool create,
                      cws_error *err)
{
        uint8_t fresh[CWS_HOST_KEY_LEN];
        char path[PATH_MAX];
        int r;

        if (!state_dir || !*state_dir)
                return cws_error_set(err, -EINVAL, "host key: no state directory given");
        if ((size_t)snprintf(path, sizeof(path), "%s/" HOST_KEY_FILE, state_dir) >= sizeof(path))
                return cws_error_set(err, -ENAMETOOLONG, "%s: state directory path too long",
                                     state_dir);
        r = host_key_read(path, key, err);
        if (r != -ENOENT || !create)
                return r;

        r = cws_dir_ensure(state_dir, 0700, err);
        if (r < 0)
                return r;
        r = cws_random(fresh, sizeof(fresh));
        if (r < 0)
                return cws_error_set(err, r, "%s: no randomness for a new host key", path);
        r = cws_file_write_create_only(path, fresh, sizeof(fresh), 0600, err);
        cws_wipe(fresh, sizeof(fresh));
        /* -EEXIST: another process created it first; everyone uses the one
         * on disk, so read it back in either case. */
        if (r < 0 && r != -EEXIST)
                return r;
        return host_key_read(path, key, err);
}

