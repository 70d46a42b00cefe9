/* The report operation: a helper tells cwsd that the administrators'
 * keychain failed (helpers/common/admin_report.c), and cwsd raises the
 * keychain_failure alert (HIGH) through its correlator. Any local user may
 * report, so nothing in the request is trusted but a kind from a fixed
 * list: the user is the peer's uid (SO_PEERCRED) as the password database
 * names it. A uid is rate-limited (CWS_COST_REPORT: 3, then one a minute)
 * and the correlator keeps one counter per user in its fixed table, so
 * reports cost bounded memory and raise at most one alert per user and
 * analysis_interval. */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "cwsd.h"

int op_report(request *q)
{
        const char *kind = cws_msg_get(q->in, "kind");
        const char *detail = cws_msg_get(q->in, "detail");
        struct passwd pw, *res = NULL;
        char buf[4096], user[CWS_USER_MAX];

        if (!kind || strcmp(kind, "keychain_failure") != 0 || !cws_keychain_failure_kind_valid(detail))
                return reply_error(q->out, CWS_R_BAD_REQUEST,
                                   "report: kind=keychain_failure with a detail from the list in "
                                   "cwsd(8) expected");
        if (getpwuid_r(q->peer.uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
            cws_name_valid(res->pw_name, CWS_USER_MAX))
                snprintf(user, sizeof(user), "%s", res->pw_name);
        else
                snprintf(user, sizeof(user), "uid-%u", (unsigned)q->peer.uid);
        log_line(LOG_WARNING, "report: keychain failure (%s) from %s (uid %u, pid %ld)", detail,
                 user, (unsigned)q->peer.uid, (long)q->peer.pid);
        cws_correlate_keychain_failure(q->a->corr, user, detail, (int64_t)time(NULL));
        cws_msg_init(q->out);
        cws_msg_add(q->out, "status", "ok");
        return 0;
}
