/* Sessions pam_cws registered with cwsd, and ending them when the device
 * or invitation they run under is revoked (terminate_on_revoke). A
 * session is known by its leader's pid and that process's start time, so
 * a pid the kernel has since given to another process is never touched. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cws/error.h"

typedef struct cws_session {
        uid_t uid;              /* the profile's user */
        pid_t pid;              /* the process that opened the session (SO_PEERCRED) */
        uint64_t start_time;    /* its start time, in clock ticks after boot */
        int64_t opened_at;      /* wall clock, for logs */
} cws_session;

typedef enum cws_session_end {
        CWS_SESSION_GONE = 0,       /* already ended, or the pid is another process now */
        CWS_SESSION_LOGIND = 1,     /* logind terminated its session */
        CWS_SESSION_SIGNALLED = 2,  /* its leader got SIGTERM */
} cws_session_end;

/* Field 22 of /proc/PID/stat. -ESRCH when the process does not exist;
 * -EBADMSG when the file cannot be parsed. */
int cws_process_start_time(pid_t pid, uint64_t *out);

/* Records pid as a session of uid: fills *s, reading the start time. */
int cws_session_init(cws_session *s, uid_t uid, pid_t pid, int64_t now, cws_error *err);

/* Ends the session if its leader is still the process recorded: with
 * use_logind, through logind (TerminateSession of the pid's login session)
 * where it runs; else, or when logind cannot, SIGTERM to the leader.
 * Returns a cws_session_end or a negative errno. */
int cws_session_terminate(const cws_session *s, bool use_logind, cws_error *err);
