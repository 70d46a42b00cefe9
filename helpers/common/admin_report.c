/* A keychain failure told to cwsd, so that it raises its keychain_failure
 * alert (HIGH): one short request on cwsd's socket, op=report, with a
 * kind from a fixed list and nothing else; cwsd takes the user from the
 * socket's peer credentials, never from the request. Best effort within
 * REPORT_TIMEOUT_MS: a host without cwsd (an administrator's laptop) only
 * gets a note on stderr, and the helper's own failure stands as it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "admin_key.h"
#include "cli.h"
#include "cws/config.h"
#include "cws/protocol.h"

#define REPORT_TIMEOUT_MS 2000

const char *admin_key_failure_kind(int r)
{
        switch (r) {
        case -EACCES: return "locked";
        case -ETIMEDOUT: return "no_answer";
        case -ENXIO: return "unavailable";
        case -ENOENT: return "missing_key";
        case -EBADMSG: return "bad_item";
        case -EPERM: return "unsafe_file";
        case -EEXIST: return NULL;      /* a refusal to overwrite, not a failure */
        default: return "service_error";
        }
}

void admin_key_report(const admin_key_source *src, const char *kind)
{
        cws_config cfg;
        cws_error err = { 0 };
        cws_msg req, resp;
        const char *status;

        if (!kind)
                return;
        if (cws_config_load(&cfg, src->config ? src->config : CWS_DEFAULT_CONFIG, &err) < 0)
                cws_config_defaults(&cfg);
        cws_msg_init(&req);
        cws_msg_add(&req, "op", "report");
        cws_msg_add(&req, "kind", "keychain_failure");
        cws_msg_add(&req, "detail", kind);
        if (cws_agent_call(cfg.socket_path, &req, &resp, REPORT_TIMEOUT_MS, &err) < 0) {
                fprintf(stderr, "%s: the keychain failure (%s) is not reported to cwsd: %s\n",
                        cli_program, kind, cws_error_message(&err));
                return;
        }
        status = cws_msg_get(&resp, "status");
        if (!status || strcmp(status, "ok") != 0)
                fprintf(stderr, "%s: cwsd did not take the keychain failure report (%s): %s\n",
                        cli_program, kind, cws_msg_get(&resp, "message") ?: "no reason given");
}
