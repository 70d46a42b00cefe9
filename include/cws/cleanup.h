/* Scope-bound cleanup in the manner of systemd's src/basic: every early
 * return frees what it owns, and secrets are wiped before they are freed. */
#pragma once
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

void cws_wipe(void *p, size_t n);

static inline void freep(void *p) { free(*(void **)p); }

/* For NUL-terminated secrets (tokens, passphrases). */
static inline void erase_and_freep(void *p)
{
        char *s = *(char **)p;
        if (s) {
                cws_wipe(s, strlen(s));
                free(s);
        }
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_erase_ _cleanup_(erase_and_freep)
#define _cleanup_close_ _cleanup_(closep)

#define CWS_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
