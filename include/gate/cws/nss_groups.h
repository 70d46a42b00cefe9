/* The membership file that cwsd writes and libnss_cws.so.2 reads: what
 * both sides must agree on. Header only, libc only: the NSS module links
 * nothing else. nss_cws(8) describes the file.
 *
 *   # comment
 *   cws-groups 1
 *   group cws-read_only 110000
 *   group cws-read_write 110001
 *   group cws-admin 110002
 *   member alice admin 1718000000
 *
 * Groups come before members. A member of type T is a member of every
 * group whose type is T or lower, until the given UTC second (after it
 * the module no longer serves the member: cwsd has stopped refreshing the
 * file). A group that cwsd found clashing with /etc/group is left out. */
#pragma once
#include <stddef.h>

#define CWS_NSS_GROUP_FILE "/run/cws/groups"
#define CWS_NSS_MAGIC "cws-groups 1"
#define CWS_NSS_LEVELS 3                /* read_only, read_write, admin */
#define CWS_NSS_LINE_MAX 256            /* bytes, with the newline */
#define CWS_NSS_FILE_MAX (8u << 20)     /* bytes: larger is refused */
#define CWS_NSS_USER_MAX 64             /* bytes, with the NUL (CWS_USER_MAX) */
/* The default [nss] gid_base: above 65535 (Debian's and systemd's
 * allocations, nobody, 16-bit -1) and below 200000 (sssd's and FreeIPA's
 * id-mapping ranges). See nss_cws(8). */
#define CWS_NSS_DEFAULT_GID_BASE 110000u

/* Level 1..3 = read_only..admin, the values of cws_inv_type. */
static inline const char *cws_nss_group_name(unsigned level)
{
        switch (level) {
        case 1: return "cws-read_only";
        case 2: return "cws-read_write";
        case 3: return "cws-admin";
        default: return NULL;
        }
}

static inline const char *cws_nss_type_name(unsigned level)
{
        switch (level) {
        case 1: return "read_only";
        case 2: return "read_write";
        case 3: return "admin";
        default: return NULL;
        }
}
