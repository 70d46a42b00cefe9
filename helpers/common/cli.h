/* What the helpers share: exit codes, config loading, passphrases, output. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include "cws/config.h"
#include "cws/error.h"
#include "cws/protocol.h"
#include "cws/reason.h"
#include "cws/registry.h"
#include "cws/trust.h"

/* Exit codes, documented in every helper's man page. */
enum {
        CWS_EXIT_OK = 0,
        CWS_EXIT_REFUSED = 1,      /* denied, full, revoked, already done */
        CWS_EXIT_USAGE = 2,
        CWS_EXIT_CONFIG = 3,       /* configuration, key or state file */
        CWS_EXIT_AGENT = 4,        /* cwsd unreachable */
        CWS_EXIT_REGISTRY = 5,     /* registry unreachable or bad */
        CWS_EXIT_AUTH = 6,         /* wrong passphrase or token */
};

extern const char *cli_program;

/* The long options every tool has, for its getopt_long table. */
#define CLI_COMMON_OPTIONS \
        { "config", required_argument, NULL, 'c' }, \
        { "json", no_argument, NULL, 'j' }, \
        { "help", no_argument, NULL, 'h' }, \
        { "version", no_argument, NULL, 'V' }

/* Prints "program: message" to stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loads path (NULL = the default, which may be absent: defaults then). */
int cli_load_config(const char *path, cws_config *cfg);

/* Reads a passphrase from file (first line) or, with file NULL, from the
 * terminal without echo (confirm asks twice). Caller frees with
 * erase_and_freep. NULL on failure, after printing why. */
char *cli_passphrase(const char *file, const char *prompt, bool confirm);

/* Reads a secret token from a file or "-" (stdin), first line. */
char *cli_read_secret_line(const char *file);

/* Prints a JSON string with escapes. */
void cli_json_string(FILE *f, const char *s);

/* Calls cwsd; on failure prints why and returns -1 (exit CWS_EXIT_AGENT). */
int cli_agent_call(const cws_config *cfg, const cws_msg *req, cws_msg *resp);

void cli_version(void);

/* Registry and pinned keys from the config; print why and return an exit
 * code on failure. */
int cli_open_registry(const cws_config *cfg, cws_registry **r);
/* [registry] require_object_lock before writing: CWS_EXIT_REGISTRY with
 * how to make a bucket with object lock, 0 when it holds or does not apply. */
int cli_require_object_lock(const cws_config *cfg, cws_registry *r);
int cli_load_trust(const cws_config *cfg, cws_trust *t);
/* Maps a refusal reason to an exit code. */
int cli_exit_for_reason(cws_reason r);

#include "cws/evidence.h"
/* Audit record and journal entry for an administrator's action. */
void cli_evidence(cws_event_kind kind, const char *inv, const char *dev, cws_reason reason,
                  bool failed);

/* cwsd refused a request: prints its message and reason (and the JSON
 * form with json) and returns the exit code for the reason. */
int cli_agent_refusal(const cws_msg *resp, bool json);
