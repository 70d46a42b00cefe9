/* Scope-bound cleanup in the manner of systemd's src/basic: every early
 * return frees what it owns, and secrets are wiped before they are freed. */
#pragma once
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* func##p(type *p): calls func(*p) unless *p is NULL, for _cleanup_(func##p)
 * on a variable of a type with a destructor (the shape of systemd's
 * DEFINE_TRIVIAL_CLEANUP_FUNC). */
#define CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)           \
        static inline void func##p(type *p)                   \
        {                                                     \
                if (*p)                                       \
                        func(*p);                             \
        }                                                     \
        struct cws_trivial_cleanup_##func##_semicolon

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

CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_erase_ _cleanup_(erase_and_freep)
#define _cleanup_close_ _cleanup_(closep)

#define CWS_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
