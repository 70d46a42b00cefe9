/* nss_cws's groups (issue 13): /run/cws/groups follows every change of a
 * validation result; lib/group_file.c decides who is a member. All users
 * at start and when a sweep is done, the user alone after a request. */
#define _GNU_SOURCE
#include <syslog.h>
#include "cwsd.h"
#include "cws/cache.h"
#include "cws/nss_groups.h"

void groups_publish(agent *a, bool all, uid_t uid)
{
        cws_groups_report rep;
        cws_error err = { 0 };

        if (cws_groups_publish(&a->groups, &a->cfg, a->host_key, CWS_NSS_GROUP_FILE, CWS_ETC_GROUP,
                               all, uid, &rep, &err) < 0)
                log_line(LOG_ERR, "nss: cannot write the groups: %s", cws_error_message(&err));
        else if (rep.clashes_changed && rep.clashes)
                log_line(LOG_WARNING, "nss: %s (rename that group or set [nss] gid_base)", rep.why);
}

/* The monitor's verdict on uid, with the cache as the sweep (at now_us)
 * stored it. */
void groups_note_sweep(agent *a, uid_t uid, const char *user, const cws_user_verdict *v,
                       int64_t now_us)
{
        cws_cache_entry cache;

        if (!cws_groups_served(CWS_NSS_GROUP_FILE))
                return;
        if (cws_cache_load(a->cfg.state_dir, a->host_key, uid, user, &cache, NULL) < 0)
                cws_cache_init(&cache, uid, user);
        (void)cws_groups_note_sweep(&a->groups, uid, &cache, v->any_allow, v->registry_unavailable,
                                    now_us);
}
