/* journald's native protocol, client side. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "cws/journal.h"

static bool name_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64 || s[0] == '_')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

static int put(char *buf, size_t size, size_t *used, const void *p, size_t n)
{
        if (n > size - *used)
                return -EMSGSIZE;
        memcpy(buf + *used, p, n);
        *used += n;
        return 0;
}

long cws_journal_format(const cws_journal_field *f, size_t n, char *buf, size_t size)
{
        size_t used = 0;

        for (size_t i = 0; i < n; i++) {
                const char *v = f[i].value ? f[i].value : "";
                size_t nl = strlen(f[i].name ? f[i].name : ""), vl = strlen(v);
                int r;

                if (!name_ok(f[i].name))
                        return -EINVAL;
                if (!memchr(v, '\n', vl)) {
                        /* NAME=value\n */
                        r = put(buf, size, &used, f[i].name, nl);
                        if (!r)
                                r = put(buf, size, &used, "=", 1);
                        if (!r)
                                r = put(buf, size, &used, v, vl);
                } else {
                        /* NAME\n, the length as 64-bit little endian, value, \n */
                        uint8_t len[8];
                        for (int k = 0; k < 8; k++)
                                len[k] = (uint8_t)((uint64_t)vl >> (8 * k));
                        r = put(buf, size, &used, f[i].name, nl);
                        if (!r)
                                r = put(buf, size, &used, "\n", 1);
                        if (!r)
                                r = put(buf, size, &used, len, sizeof(len));
                        if (!r)
                                r = put(buf, size, &used, v, vl);
                }
                if (!r)
                        r = put(buf, size, &used, "\n", 1);
                if (r < 0)
                        return r;
        }
        return (long)used;
}

int cws_journal_send_to(const char *socket_path, const cws_journal_field *f, size_t n)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[CWS_JOURNAL_MAX];
        long len = cws_journal_format(f, n, buf, sizeof(buf));
        int fd, r = 0;

        if (len < 0)
                return (int)len;
        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, buf, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                r = errno == ENOENT ? 0 : -errno;   /* no journald: dropped, as libsystemd does */
        close(fd);
        return r;
}

int cws_journal_send(const cws_journal_field *f, size_t n)
{
        return cws_journal_send_to(CWS_JOURNAL_SOCKET, f, n);
}
