/* The agent protocol: "key=value\n" lines in one SOCK_SEQPACKET datagram.
 * This file is linked into pam_cws.so, which runs inside sshd and sudo, so
 * it allocates nothing, keeps no global state, never raises SIGPIPE, opens
 * every descriptor O_CLOEXEC and bounds every wait by a caller's timeout. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/protocol.h"
#include "cws/safe_file.h"

/* While the listener's backlog is full, AF_UNIX connect() fails with EAGAIN
 * and leaves nothing to poll for, so we retry at this interval. */
#define CONNECT_RETRY_MS 10

static bool key_valid(const char *k, size_t len)
{
        if (len == 0 || len > CWS_MSG_KEY_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
                        return false;
        return true;
}

static bool value_valid(const char *v, size_t len)
{
        if (len > CWS_MSG_VALUE_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
                        return false;
        return true;
}

static bool has_key(const cws_msg *m, const char *k, size_t len)
{
        for (size_t i = 0; i < m->n; i++)
                if (strncmp(m->key[i], k, len) == 0 && m->key[i][len] == '\0')
                        return true;
        return false;
}

/* Stores key\0value\0 in m->buf. Each field takes exactly as many bytes as
 * its wire form "key=value\n", so m->used is also the encoded size. */
static int msg_append(cws_msg *m, const char *k, size_t klen, const char *v, size_t vlen)
{
        char *p;

        if (has_key(m, k, klen))
                return -EEXIST;
        if (m->n >= CWS_MSG_FIELDS || m->used > CWS_MSG_MAX ||
            klen + vlen + 2 > CWS_MSG_MAX - m->used)
                return -E2BIG;
        p = m->buf + m->used;
        memcpy(p, k, klen);
        p[klen] = '\0';
        memcpy(p + klen + 1, v, vlen);
        p[klen + 1 + vlen] = '\0';
        m->key[m->n] = p;
        m->value[m->n] = p + klen + 1;
        m->n++;
        m->used += klen + vlen + 2;
        return 0;
}

void cws_msg_init(cws_msg *m)
{
        if (!m)
                return;
        m->n = 0;
        m->used = 0;
        memset(m->key, 0, sizeof(m->key));
        memset(m->value, 0, sizeof(m->value));
        m->buf[0] = '\0';
}

int cws_msg_add(cws_msg *m, const char *key, const char *value)
{
        size_t klen, vlen;

        if (!m || !key || !value)
                return -EINVAL;
        klen = strnlen(key, CWS_MSG_KEY_MAX + 1);
        vlen = strnlen(value, CWS_MSG_VALUE_MAX + 1);
        if (!key_valid(key, klen) || !value_valid(value, vlen))
                return -EINVAL;
        return msg_append(m, key, klen, value, vlen);
}

int cws_msg_addf(cws_msg *m, const char *key, const char *fmt, ...)
{
        char v[CWS_MSG_VALUE_MAX + 1];
        va_list ap;
        int n, r;

        if (!m || !key || !fmt)
                return -EINVAL;
        va_start(ap, fmt);
        n = vsnprintf(v, sizeof(v), fmt, ap);
        va_end(ap);
        /* A value that does not fit is an oversized value, not a short one. */
        if (n < 0 || (size_t)n >= sizeof(v))
                r = -EINVAL;
        else
                r = cws_msg_add(m, key, v);
        cws_wipe(v, sizeof(v)); /* values may carry invitation tokens */
        return r;
}

const char *cws_msg_get(const cws_msg *m, const char *key)
{
        if (!m || !key || m->n > CWS_MSG_FIELDS)
                return NULL;
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->key[i], key) == 0)
                        return m->value[i];
        return NULL;
}

int cws_msg_keys_exact(const cws_msg *m, const char *const *keys, size_t n, const char **bad)
{
        for (size_t i = 0; i < m->n; i++) {
                size_t k = 0;

                while (k < n && strcmp(keys[k], m->key[i]) != 0)
                        k++;
                if (k == n) {
                        if (bad)
                                *bad = m->key[i];
                        return -EBADMSG;
                }
        }
        for (size_t k = 0; k < n; k++) {
                if (!cws_msg_get(m, keys[k])) {
                        if (bad)
                                *bad = keys[k];
                        return -EBADMSG;
                }
        }
        return 0;
}

int cws_msg_encode(const cws_msg *m, char *out, size_t outsz, size_t *len)
{
        size_t off = 0;

        if (!m || !out || m->n > CWS_MSG_FIELDS)
                return -EINVAL;
        for (size_t i = 0; i < m->n; i++) {
                size_t kl = strlen(m->key[i]), vl = strlen(m->value[i]);

                if (kl + vl + 2 > outsz - off || off + kl + vl + 2 > CWS_MSG_MAX)
                        return -E2BIG;
                memcpy(out + off, m->key[i], kl);
                out[off + kl] = '=';
                memcpy(out + off + kl + 1, m->value[i], vl);
                out[off + kl + 1 + vl] = '\n';
                off += kl + vl + 2;
        }
        if (off < outsz)
                out[off] = '\0'; /* convenience only; the length is authoritative */
        if (len)
                *len = off;
        return (int)off;
}

static int decode_fields(cws_msg *m, const char *p, size_t len)
{
        const char *end;

        if (len == 0 || len > CWS_MSG_MAX || memchr(p, '\0', len))
                return -EBADMSG;
        end = p + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *eq;

                if (!nl)
                        return -EBADMSG;
                eq = memchr(p, '=', (size_t)(nl - p));
                if (!eq || !key_valid(p, (size_t)(eq - p)) ||
                    !value_valid(eq + 1, (size_t)(nl - eq - 1)))
                        return -EBADMSG;
                if (msg_append(m, p, (size_t)(eq - p), eq + 1, (size_t)(nl - eq - 1)) < 0)
                        return -EBADMSG;
                p = nl + 1;
        }
        return 0;
}

int cws_msg_decode(cws_msg *m, const void *data, size_t len)
{
        int r;

        if (!m || (!data && len))
                return -EINVAL;
        cws_msg_init(m);
        r = decode_fields(m, data, len);
        if (r < 0) {
                /* Never hand out half a message. */
                cws_wipe(m->buf, sizeof(m->buf));
                cws_msg_init(m);
        }
        return r;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
        int64_t d = deadline - now_ms();

        if (d <= 0)
                return 0;
        return d > INT_MAX ? INT_MAX : (int)d;
}

int cws_msg_send(int fd, const cws_msg *m)
{
        char buf[CWS_MSG_MAX];
        size_t len = 0;
        ssize_t n;
        int r;

        if (fd < 0 || !m)
                return -EINVAL;
        r = cws_msg_encode(m, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        /* An empty datagram reads as an orderly close on SOCK_SEQPACKET. */
        if (len == 0)
                return -EINVAL;
        do
                n = send(fd, buf, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                r = -errno;
        else
                r = (size_t)n == len ? 0 : -EIO;
        cws_wipe(buf, len);
        return r;
}

/* cws_msg_send, waiting for room in the socket buffer until deadline. */
static int msg_send_until(int fd, const cws_msg *m, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int r = cws_msg_send(fd, m);
                int left;

                if (r != -EAGAIN)
                        return r;
                left = ms_left(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, left);
                if (r == 0)
                        return -ETIMEDOUT;
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}

int cws_msg_get_uid(const cws_msg *m, const char *key, uid_t *uid)
{
        const char *s = cws_msg_get(m, key);
        unsigned long long v = 0;

        if (!s)
                return -ENOENT;
        if (!*s || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(*p - '0');
        }
        if (v >= (uid_t)-1)
                return -EINVAL;
        *uid = (uid_t)v;
        return 0;
}

int cws_msg_recv(int fd, cws_msg *m, int timeout_ms)
{
        int64_t deadline;

        if (fd < 0 || !m || timeout_ms < 0)
                return -EINVAL;
        deadline = now_ms() + timeout_ms;
        for (;;) {
                char buf[CWS_MSG_MAX];
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r;

                /* No wait (cwsd, woken by its event loop): recvmsg alone
                 * says whether a message is there. */
                if (timeout_ms > 0) {
                        r = poll(&p, 1, ms_left(deadline));
                        if (r < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (r == 0)
                                return -ETIMEDOUT;
                        if (p.revents & POLLNVAL)
                                return -EBADF;
                }
                /* MSG_DONTWAIT: poll may wake us for nothing on a blocking fd.
                 * MSG_TRUNC: n is the datagram's real length, so oversize shows.
                 * No msg_control: any passed descriptors are closed by the kernel. */
                n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EAGAIN && timeout_ms == 0)
                                return -ETIMEDOUT;
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET;
                if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > sizeof(buf))
                        r = -EBADMSG;
                else
                        r = cws_msg_decode(m, buf, (size_t)n);
                cws_wipe(buf, sizeof(buf));
                return r;
        }
}

static const char *reach_hint(int code)
{
        switch (code) {
        case -EACCES:
                return "check the permissions of the socket and its directory";
        case -ENOTDIR:
                return "check the agent socket path";
        default:
                return "is cwsd running?";
        }
}

/* After EINPROGRESS: wait for the connection to complete until deadline. */
static int wait_connected(int fd, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int r = poll(&p, 1, ms_left(deadline)), soerr = 0;
                socklen_t sl = sizeof(soerr);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                        return -errno;
                return soerr ? -soerr : 0;
        }
}

static int agent_connect_until(const char *path, int64_t deadline, int timeout_ms,
                               cws_error *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct ucred cred = { 0 };
        socklen_t cl = sizeof(cred);
        struct stat st;
        size_t plen;
        int r;

        if (!path || !*path)
                return cws_error_set(err, -EINVAL, "no cwsd socket path given (set agent_socket)");
        plen = strlen(path);
        if (plen >= sizeof(sa.sun_path))
                return cws_error_set(err, -ENAMETOOLONG,
                                     "cwsd socket path %s is too long (%zu bytes, at most %zu; "
                                     "use a shorter path)", path, plen, sizeof(sa.sun_path) - 1);
        memcpy(sa.sun_path, path, plen);

        /* The path check refuses a socket someone else planted; the
         * SO_PEERCRED check below is the one that cannot be raced. */
        if (stat(path, &st) < 0) {
                r = -errno;
                return cws_error_set(err, r, "cannot reach cwsd at %s: %s (%s)", path,
                                     strerror(-r), reach_hint(r));
        }
        if (!S_ISSOCK(st.st_mode))
                return cws_error_set(err, -ENOTSOCK,
                                     "refusing cwsd at %s: not a socket (check the agent "
                                     "socket path)", path);
        if (!cws_owner_trusted(st.st_uid))
                return cws_error_set(err, -EPERM,
                                     "refusing cwsd at %s: socket owned by uid %u, not root or "
                                     "cws (remove it and restart cwsd)", path,
                                     (unsigned)st.st_uid);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                r = -errno;
                return cws_error_set(err, r, "cannot create a socket to reach cwsd at %s: %s",
                                     path, strerror(-r));
        }
        for (;;) {
                int left;

                if (connect(fd, (const struct sockaddr *)&sa,
                            (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) == 0)
                        break;
                r = -errno;
                if (r == -EINTR)
                        continue;
                if (r == -EINPROGRESS)
                        r = wait_connected(fd, deadline);
                if (r == -EAGAIN) {
                        left = ms_left(deadline);
                        if (left > 0) {
                                poll(NULL, 0, left < CONNECT_RETRY_MS ? left : CONNECT_RETRY_MS);
                                continue;
                        }
                        r = -ETIMEDOUT;
                }
                if (r == 0)
                        break;
                if (r == -ETIMEDOUT)
                        return cws_error_set(err, r,
                                             "cwsd at %s did not accept the connection within "
                                             "%d ms (is cwsd overloaded or stuck?)", path,
                                             timeout_ms);
                return cws_error_set(err, r, "cannot reach cwsd at %s: %s (%s)", path,
                                     strerror(-r), reach_hint(r));
        }

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
                r = -errno;
                return cws_error_set(err, r, "cannot identify the process behind %s: %s", path,
                                     strerror(-r));
        }
        if (!cws_owner_trusted(cred.uid))
                return cws_error_set(err, -EPERM,
                                     "refusing cwsd at %s: it is served by pid %ld running as "
                                     "uid %u, not root or cws (another program may be "
                                     "impersonating cwsd; check who created the socket)", path,
                                     (long)cred.pid, (unsigned)cred.uid);
        /* The descriptor stays non-blocking: send and recv are bounded by poll. */
        return TAKE_FD(fd);
}

int cws_agent_connect(const char *path, int timeout_ms, cws_error *err)
{
        if (timeout_ms < 0)
                return cws_error_set(err, -EINVAL,
                                     "invalid timeout %d ms for cwsd at %s (must be >= 0)",
                                     timeout_ms, path ? path : "(none)");
        return agent_connect_until(path, now_ms() + timeout_ms, timeout_ms, err);
}

/* Connects and sends req, all within timeout_ms from now; returns the fd
 * and the deadline, for the answer. */
static int agent_send(const char *path, const cws_msg *req, int timeout_ms, const char *what,
                      int64_t *deadline, cws_error *err)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (!req || timeout_ms < 0)
                return cws_error_set(err, -EINVAL, "invalid %s to cwsd at %s", what,
                                     path ? path : "(none)");
        *deadline = now_ms() + timeout_ms;
        fd = agent_connect_until(path, *deadline, timeout_ms, err);
        if (fd < 0)
                return fd;
        r = msg_send_until(fd, req, *deadline);
        if (r == -ETIMEDOUT)
                return cws_error_set(err, r,
                                     "cwsd at %s did not take the %s within %d ms (is "
                                     "cwsd overloaded or stuck?)", path, what, timeout_ms);
        if (r < 0)
                return cws_error_set(err, r, "cannot send the %s to cwsd at %s: %s (is "
                                     "cwsd running?)", what, path, strerror(-r));
        return TAKE_FD(fd);
}

int cws_agent_call(const char *path, const cws_msg *req, cws_msg *resp, int timeout_ms,
                   cws_error *err)
{
        _cleanup_close_ int fd = -1;
        int64_t deadline;
        int r;

        if (!resp)
                return cws_error_set(err, -EINVAL, "invalid request to cwsd at %s",
                                     path ? path : "(none)");
        cws_msg_init(resp);
        fd = agent_send(path, req, timeout_ms, "request", &deadline, err);
        if (fd < 0)
                return fd;
        r = cws_msg_recv(fd, resp, ms_left(deadline));
        switch (r) {
        case 0:
                return 0;
        case -ETIMEDOUT:
                return cws_error_set(err, r,
                                     "cwsd at %s did not answer within %d ms (check it with "
                                     "'systemctl status cwsd')", path, timeout_ms);
        case -ECONNRESET:
                return cws_error_set(err, r,
                                     "cwsd at %s closed the connection without answering (see "
                                     "'journalctl -u cwsd')", path);
        case -EBADMSG:
                return cws_error_set(err, r,
                                     "cwsd at %s sent a malformed reply (are cwsd and pam_cws "
                                     "the same version?)", path);
        default:
                return cws_error_set(err, r, "cannot read the reply of cwsd at %s: %s", path,
                                     strerror(-r));
        }
}

int cws_agent_notify(const char *path, const cws_msg *req, int timeout_ms, cws_error *err)
{
        int64_t deadline;
        int fd = agent_send(path, req, timeout_ms, "note", &deadline, err);

        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}
