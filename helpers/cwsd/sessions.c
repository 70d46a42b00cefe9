/* The sessions pam_cws told cwsd about, ended when their user is revoked
 * (terminate_on_revoke). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "cwsd.h"
#include "cws/cleanup.h"

/* The session's process is the peer the kernel reports (pam_cws runs in
 * it), never a pid the client claims: a later revocation will signal it.
 * Only root peers register sessions: login programs run PAM as root, and
 * a user must not be able to fill the table with processes of their own
 * (pushing out their real sessions) or to register a process whose pid
 * the kernel has since given to someone else. An entry whose leader is
 * gone is dropped before anything is evicted. */
void session_note(agent *a, const request *q, bool open)
{
        cws_session s;
        cws_error err = { 0 };
        uint64_t start;
        int r;

        if (q->peer.pid <= 0 || q->peer.uid != 0)
                return;
        r = cws_session_init(&s, q->uid, q->peer.pid, (int64_t)time(NULL), &err);
        if (r == -ESRCH && !open) {
                /* The close note does not wait: its process may have
                 * exited before we read it. Gone, so is its session. */
                for (size_t i = 0; i < a->n_sessions;)
                        if (a->sessions[i].uid == q->uid && a->sessions[i].pid == q->peer.pid)
                                a->sessions[i] = a->sessions[--a->n_sessions];
                        else
                                i++;
                return;
        }
        if (r < 0) {
                log_line(LOG_WARNING, "%s (session not registered)", cws_error_message(&err));
                return;
        }
        for (size_t i = 0; i < a->n_sessions; i++)
                if (a->sessions[i].uid == s.uid && a->sessions[i].pid == s.pid &&
                    a->sessions[i].start_time == s.start_time) {
                        if (!open)
                                a->sessions[i] = a->sessions[--a->n_sessions];
                        return;
                }
        if (!open)
                return;
        if (a->n_sessions == CWS_ELEMENTSOF(a->sessions)) {
                for (size_t i = 0; i < a->n_sessions;) {
                        if (cws_process_start_time(a->sessions[i].pid, &start) < 0 ||
                            start != a->sessions[i].start_time)
                                a->sessions[i] = a->sessions[--a->n_sessions];
                        else
                                i++;
                }
        }
        if (a->n_sessions == CWS_ELEMENTSOF(a->sessions)) {
                log_line(LOG_WARNING, "%zu sessions registered: forgetting the oldest", a->n_sessions);
                memmove(&a->sessions[0], &a->sessions[1], sizeof(a->sessions[0]) * (a->n_sessions-- - 1));
        }
        a->sessions[a->n_sessions++] = s;
}

/* Ends every registered session of uid (terminate_on_revoke). */
void terminate_sessions(agent *a, uid_t uid, const char *user)
{
        cws_error err = { 0 };
        size_t i = 0;

        while (i < a->n_sessions) {
                cws_session s = a->sessions[i];
                int r;

                if (s.uid != uid) {
                        i++;
                        continue;
                }
                r = cws_session_terminate(&s, true, &err);
                if (r < 0) {
                        /* Kept: the next sweep tries again. */
                        log_line(LOG_ERR, "cannot end the session of %s: %s", user, cws_error_message(&err));
                        i++;
                        continue;
                }
                a->sessions[i] = a->sessions[--a->n_sessions];
                if (r != CWS_SESSION_GONE)
                        log_line(LOG_NOTICE, "ended the session of %s (leader pid %ld, %s)", user,
                                 (long)s.pid, r == CWS_SESSION_LOGIND ? "through logind" : "SIGTERM");
        }
}

