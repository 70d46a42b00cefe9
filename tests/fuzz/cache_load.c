/* See cache_load.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cache_load.h"
#include "harness.h"

const char *cache_state_dir(void)
{
        static char dir[PATH_MAX];

        if (!dir[0]) {
                char sub[PATH_MAX];

                fuzz_path(dir, sizeof(dir), "state");
                snprintf(sub, sizeof(sub), "%s/cache", dir);
                if (mkdir(dir, 0700) < 0 || mkdir(sub, 0700) < 0)
                        fuzz_fail("cannot create the scratch state directory");
        }
        return dir;
}

int cache_load_bytes(const void *data, size_t len, cws_cache_entry *e)
{
        char path[PATH_MAX];
        cws_error err = { 0 };
        int r;

        snprintf(path, sizeof(path), "%s/cache/%u", cache_state_dir(), (unsigned)FUZZ_UID);
        fuzz_write_file(path, data, len, 0600);
        r = cws_cache_load(cache_state_dir(), fuzz_host_key, FUZZ_UID, FUZZ_USER, e, &err);
        if (r < 0) {
                FUZZ_ASSERT(err.code == r && err.msg[0]);
                FUZZ_ASSERT(r == -EBADMSG || r == -EFBIG || r == -ENOMEM);
                return r;
        }
        /* What was loaded is for this user, and every string fits. */
        FUZZ_ASSERT(e->uid == FUZZ_UID && strcmp(e->user, FUZZ_USER) == 0);
        FUZZ_ASSERT(strnlen(e->profile, sizeof(e->profile)) < sizeof(e->profile));
        FUZZ_ASSERT(strnlen(e->inv_id, sizeof(e->inv_id)) < sizeof(e->inv_id));
        FUZZ_ASSERT(strnlen(e->device_id, sizeof(e->device_id)) < sizeof(e->device_id));
        FUZZ_ASSERT(e->validated_us >= 0);
        return 0;
}
