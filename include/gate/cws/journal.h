/* Journal entries over journald's native protocol (systemd's documented,
 * stable "Native Journal Protocol": one datagram of NAME=value lines, a
 * length-prefixed form for values with newlines). pam_cws.so uses this
 * instead of libsystemd's sd_journal_send(): libpam loads and unloads the
 * module at every transaction, and loading libsystemd with its
 * dependencies costs ~1.5 ms each time (make bench). */
#pragma once
#include <stddef.h>

#define CWS_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define CWS_JOURNAL_MAX 16384   /* one entry, all fields: ours are far smaller */

typedef struct cws_journal_field {
        const char *name;       /* [A-Z0-9_], not starting with '_', at most 64 bytes */
        const char *value;      /* any bytes up to the NUL; NULL is "" */
} cws_journal_field;

/* Serialises the fields into buf: the byte count, or -EINVAL for a bad
 * name, -EMSGSIZE when they do not fit. */
long cws_journal_format(const cws_journal_field *f, size_t n, char *buf, size_t size);

/* Sends one entry. 0 when sent or when there is no journald (no socket, as
 * sd_journal_send() does), else a negative errno. */
int cws_journal_send_to(const char *socket_path, const cws_journal_field *f, size_t n);
int cws_journal_send(const cws_journal_field *f, size_t n);
