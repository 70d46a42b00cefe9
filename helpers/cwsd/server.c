/* cwsd's server: the listening socket, one sd-event source per
 * connection (one request each) with an idle timer, per-uid connection
 * limits and request rates (lib/peer_limits.c), and a pause when
 * descriptors run out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "cwsd.h"
#include "cws/safe_file.h"

/* How long a connection may sit without a request, and how long the
 * listening socket rests after accept() ran out of descriptors. */
#define CONN_IDLE_USEC (10 * 1000000ULL)
#define ACCEPT_PAUSE_USEC (200 * 1000ULL)
/* Descriptors kept free of connections: the monitor, the registry, the
 * binding store and the journal need their own. */
#define FD_RESERVE 128

uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void conn_close(conn *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                c->a->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        if (c->pending)
                workers_detach(c->a, c);
        cws_peer_conn_close(&c->a->limits, c->peer.uid, now_usec());
        sd_event_source_disable_unref(c->idle);
        sd_event_source_disable_unref(c->io);   /* owns and closes the fd */
        free(c);
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s;
        (void)usec;
        conn_close(userdata);
        return 0;
}

/* A client that has gone (closed after sending) gets no work done: its
 * request could only cost registry time that others are waiting for. A
 * note is the exception: its sender closes at once by design. */
static bool client_gone(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLRDHUP };

        return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Requests that may cost registry work are rate-limited per uid (root,
 * the login programs, is not). */
static bool rate_allows(agent *a, const struct ucred *peer, const cws_msg *in, cws_msg *out)
{
        const char *op = cws_msg_get(in, "op") ?: "";
        cws_cost cost;
        uint64_t retry;

        if (!op_cost(op, &cost))
                return true;
        if (cws_peer_take(&a->limits, peer->uid, cost, now_usec(), &retry))
                return true;
        cws_msg_init(out);
        cws_msg_add(out, "status", "error");
        cws_msg_add(out, "reason", cws_reason_to_string(CWS_R_RATE_LIMITED));
        cws_msg_addf(out, "message", "too many %s requests from uid %u; try again in %llu s", op,
                     (unsigned)peer->uid, (unsigned long long)(retry + 999999) / 1000000);
        log_line(LOG_WARNING, "rate limit: refused %s from uid %u (pid %ld)", op,
                 (unsigned)peer->uid, (long)peer->pid);
        return false;
}

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        conn *c = userdata;
        cws_msg in, out;
        int r;

        (void)s;
        if (!(revents & EPOLLIN)) {
                conn_close(c);
                return 0;
        }
        r = cws_msg_recv(fd, &in, 0);
        if (r == -ETIMEDOUT || r == -EAGAIN)
                return 0;
        if (r == -EBADMSG) {
                cws_msg_init(&out);
                cws_msg_add(&out, "status", "error");
                cws_msg_add(&out, "reason", cws_reason_to_string(CWS_R_BAD_REQUEST));
                cws_msg_add(&out, "message", "malformed request");
                (void)cws_msg_send(fd, &out);
        }
        if (r < 0 || (client_gone(fd) && !op_is_note(cws_msg_get(&in, "op")))) {
                conn_close(c);
                return 0;
        }
        if (rate_allows(c->a, &c->peer, &in, &out) && handle(c, &in, &out) == 1) {
                /* Waits for a job: only its hang-up is watched, and the
                 * job's bounds (registry_timeout) replace the idle timer. */
                sd_event_source_set_io_events(c->io, EPOLLRDHUP);
                sd_event_source_set_enabled(c->idle, SD_EVENT_OFF);
                return 0;
        }
        /* One request per connection: closed after its reply, which stays
         * readable for the client, so that neither side waits on the
         * other's close (the client's would wake this loop once more). */
        (void)cws_msg_send(fd, &out);
        conn_close(c);
        return 0;
}

void conn_reply(conn *c, const cws_msg *out)
{
        c->pending = NULL;
        c->next_waiter = NULL;
        (void)cws_msg_send(sd_event_source_get_io_fd(c->io), out);
        conn_close(c);
}

/* Over a limit: told why in one message, then closed. Logged at most
 * once a minute, so a user hammering the socket cannot flood the log. */
static void refuse_conn(agent *a, int fd, const struct ucred *peer, int why)
{
        cws_msg out;
        uint64_t now = now_usec();

        cws_msg_init(&out);
        cws_msg_add(&out, "status", "error");
        cws_msg_add(&out, "reason", cws_reason_to_string(CWS_R_RATE_LIMITED));
        cws_msg_add(&out, "message", why == -EUSERS ? "too many connections from this user"
                                                    : "cwsd is at its connection limit");
        (void)cws_msg_send(fd, &out);
        close(fd);
        if (now - a->refusal_logged_usec < 60 * 1000000ULL && a->refusal_logged_usec)
                return;
        a->refusal_logged_usec = now;
        log_line(LOG_WARNING, "refused a connection from uid %u (pid %ld): %s (logged once a minute)",
                 (unsigned)peer->uid, (long)peer->pid,
                 why == -EUSERS ? "too many connections from this uid" : "connection limit reached");
}

static int on_accept_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        agent *a = userdata;

        (void)s;
        (void)usec;
        sd_event_source_set_enabled(a->listener, SD_EVENT_ON);
        return 0;
}

/* Out of descriptors: stop watching the listening socket for a moment
 * instead of spinning on it (it stays readable), then try again. */
static void pause_accepting(agent *a, int e)
{
        log_line(LOG_ERR, "accept: %s; pausing new connections for %llu ms", strerror(e),
                 ACCEPT_PAUSE_USEC / 1000);
        sd_event_source_set_enabled(a->listener, SD_EVENT_OFF);
        if (!a->accept_pause) {
                if (sd_event_add_time_relative(a->event, &a->accept_pause, CLOCK_MONOTONIC,
                                               ACCEPT_PAUSE_USEC, 10000, on_accept_resume, a) < 0)
                        sd_event_source_set_enabled(a->listener, SD_EVENT_ON);
                return;
        }
        sd_event_source_set_time_relative(a->accept_pause, ACCEPT_PAUSE_USEC);
        sd_event_source_set_enabled(a->accept_pause, SD_EVENT_ONESHOT);
}

static void add_conn(agent *a, int cfd)
{
        struct ucred peer;
        socklen_t len = sizeof(peer);
        conn *c;
        int r;

        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
                close(cfd);
                return;
        }
        r = cws_peer_conn_open(&a->limits, peer.uid);
        if (r < 0) {
                refuse_conn(a, cfd, &peer, r);
                return;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                cws_peer_conn_close(&a->limits, peer.uid, now_usec());
                close(cfd);
                return;
        }
        *c = (conn){ .a = a, .peer = peer, .next = a->conns };
        if (a->conns)
                a->conns->prev = c;
        a->conns = c;
        if (sd_event_add_io(a->event, &c->io, cfd, EPOLLIN | EPOLLRDHUP, on_request, c) < 0) {
                close(cfd);
                conn_close(c);
                return;
        }
        sd_event_source_set_io_fd_own(c->io, 1);
        if (sd_event_add_time_relative(a->event, &c->idle, CLOCK_MONOTONIC, CONN_IDLE_USEC,
                                       100000, on_idle, c) < 0) {
                conn_close(c);
                return;
        }
        /* pam_cws sends its request right after connecting: it is usually
         * here already, and is answered now instead of after another turn
         * of the loop. Nothing there yet: on_request returns at once and
         * the loop calls it when it comes. c may be gone after this. */
        (void)on_request(c->io, cfd, EPOLLIN, c);
}

int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        agent *a = userdata;

        (void)s;
        (void)revents;
        /* A bounded batch per wake-up: the loop keeps answering. */
        for (int i = 0; i < 64; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                if (cfd >= 0) {
                        add_conn(a, cfd);
                        continue;
                }
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        pause_accepting(a, errno);
                else if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                        continue;
                break;
        }
        return 0;
}

/* As many descriptors as the hard limit allows; connections may use all
 * but FD_RESERVE of them. */
unsigned raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 1024 - FD_RESERVE;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        (void)getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
                rl.rlim_cur = 65536;
        return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)rl.rlim_cur - FD_RESERVE : FD_RESERVE;
}

int listen_socket(const char *path, bool *activated)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[sizeof(sa.sun_path)];
        cws_error err = { 0 };
        int fd, n = sd_listen_fds(1);

        if (n > 1)
                return cli_fail(-1, "expected one socket from systemd, got %d", n);
        *activated = n == 1;
        if (n == 1) {
                fd = SD_LISTEN_FDS_START;
                if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
                        return cli_fail(-1, "the socket from systemd is not a listening "
                                        "SOCK_SEQPACKET UNIX socket (ListenSequentialPacket= "
                                        "in cwsd.socket)");
                /* systemd passes it blocking; on_accept accepts until EAGAIN. */
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return cli_fail(-1, "socket from systemd: %s", strerror(errno));
                return fd;
        }
        if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
                return cli_fail(-1, "%s: socket path too long", path);
        if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
                *strrchr(dir, '/') = '\0';
                if (cws_dir_ensure(dir, 0755, &err) < 0)
                        return cli_fail(-1, "%s", cws_error_message(&err));
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cli_fail(-1, "socket: %s", strerror(errno));
        (void)unlink(path);   /* a stale socket from a previous run */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
            listen(fd, SOMAXCONN) < 0) {
                int e = errno;
                close(fd);
                return cli_fail(-1, "%s: cannot listen: %s", path, strerror(e));
        }
        return fd;
}

void server_close_all(agent *a)
{
        while (a->conns)
                conn_close(a->conns);
}
