/* Ending a registered session: logind where it runs, else the leader. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/session.h"

int cws_process_start_time(pid_t pid, uint64_t *out)
{
        char path[64], buf[1024], *p, *end;
        ssize_t n;
        int fd;

        if (pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return n < 0 ? -errno : -EBADMSG;
        buf[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and ')', so
         * count fields from the last ')'. starttime is field 22. */
        p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        errno = 0;
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (errno || end == p + 1 || (*end != ' ' && *end != '\n' && *end != '\0'))
                return -EBADMSG;
        *out = (uint64_t)v;
        return 0;
}

int cws_session_init(cws_session *s, uid_t uid, pid_t pid, int64_t now, cws_error *err)
{
        int r;

        memset(s, 0, sizeof(*s));
        s->uid = uid;
        s->pid = pid;
        s->opened_at = now;
        r = cws_process_start_time(pid, &s->start_time);
        if (r < 0)
                return cws_error_set(err, r, "session leader %ld: cannot read its start time: %s",
                                     (long)pid, strerror(-r));
        return 0;
}

/* 0 when logind ended the session, <0 when it cannot (no logind, no
 * session for the pid, no system bus). Only a login session of the
 * profile's own user is ended: the leader of "su - alice" sits in bob's
 * session, and revoking alice must not end bob's. The pidfd, when there is
 * one, proves the pid still names the process recorded after the lookup. */
static int terminate_via_logind(pid_t pid, uid_t uid, int pidfd)
{
        char *session = NULL;
        sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uid_t owner;
        int r;

        r = sd_pid_get_session(pid, &session);
        if (r < 0)
                return r;
        if (sd_session_get_uid(session, &owner) < 0 || owner != uid ||
            (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)) {
                free(session);
                return -EPERM;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                                       "org.freedesktop.login1.Manager", "TerminateSession", &e,
                                       NULL, "s", session);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        free(session);
        return r < 0 ? r : 0;
}

int cws_session_terminate(const cws_session *s, bool use_logind, cws_error *err)
{
        uint64_t now_start;
        int pidfd, r;

        /* The pidfd pins the process: if the start time still matches after
         * it is open, the signal goes to the process recorded, never to one
         * that got its pid since. Without pidfds (ENOSYS, before Linux 5.3)
         * kill() by number keeps a small window for pid reuse. */
        pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        if (pidfd < 0 && errno == ESRCH)
                return CWS_SESSION_GONE;
        if (pidfd < 0 && errno != ENOSYS)
                return cws_error_set(err, -errno, "session leader %ld: %s", (long)s->pid,
                                     strerror(errno));
        r = cws_process_start_time(s->pid, &now_start);
        if (r == -ESRCH || (r == 0 && now_start != s->start_time)) {
                r = CWS_SESSION_GONE;
        } else if (r < 0) {
                r = cws_error_set(err, r, "session leader %ld: %s", (long)s->pid, strerror(-r));
        } else if (use_logind && terminate_via_logind(s->pid, s->uid, pidfd) == 0) {
                r = CWS_SESSION_LOGIND;
        } else if ((pidfd >= 0 ? (int)syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0)
                               : kill(s->pid, SIGTERM)) < 0) {
                r = errno == ESRCH ? CWS_SESSION_GONE
                                   : cws_error_set(err, -errno, "session leader %ld: cannot signal it: %s",
                                                   (long)s->pid, strerror(errno));
        } else {
                r = CWS_SESSION_SIGNALLED;
        }
        if (pidfd >= 0)
                close(pidfd);
        return r;
}
