#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "cws/cleanup.h"
#include "cws/safe_file.h"

#define PASSPHRASE_MAX 1024
#define AGENT_TIMEOUT_MS 30000

const char *cli_program = "cws";

int cli_fail(int code, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "%s: ", cli_program);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return code;
}

void cli_version(void)
{
        printf("%s (pam_cws) %s\n", cli_program, CWS_VERSION);
}

int cli_load_config(const char *path, cws_config *cfg)
{
        cws_error err = { 0 };
        int r = cws_config_load(cfg, path ? path : CWS_DEFAULT_CONFIG, &err);

        if (r == -ENOENT && !path) {
                cws_config_defaults(cfg);
                return 0;
        }
        if (r < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        return 0;
}

static char *strip_line(char *s)
{
        s[strcspn(s, "\r\n")] = '\0';
        return s;
}

char *cli_read_secret_line(const char *file)
{
        _cleanup_close_ int fd = -1;
        _cleanup_erase_ char *buf = NULL;
        cws_error err = { 0 };
        size_t len = 0;
        int r;

        if (strcmp(file, "-") == 0) {
                r = cws_fd_read_all(STDIN_FILENO, PASSPHRASE_MAX, &buf, &len);
        } else {
                fd = cws_file_open_checked(file, CWS_FILE_SECRET, &err);
                if (fd < 0) {
                        cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
                        return NULL;
                }
                r = cws_fd_read_all(fd, PASSPHRASE_MAX, &buf, &len);
        }
        if (r < 0) {
                cli_fail(CWS_EXIT_CONFIG, "%s: cannot read: %s", file, strerror(-r));
                return NULL;
        }
        strip_line(buf);
        /* What followed the first line is never used: wipe it now, as the
         * caller's erase stops at the first NUL. */
        cws_wipe(buf + strlen(buf), len - strlen(buf));
        if (!*buf) {
                cli_fail(CWS_EXIT_USAGE, "%s: empty", file);
                return NULL;
        }
        return TAKE_PTR(buf);
}

static char *prompt_tty(const char *prompt)
{
        _cleanup_close_ int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        struct termios old, noecho;
        char buf[PASSPHRASE_MAX];
        size_t n = 0;
        char *res;

        if (fd < 0) {
                cli_fail(CWS_EXIT_USAGE, "no terminal to ask for the passphrase; "
                         "use --passphrase-file PATH");
                return NULL;
        }
        if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) < 0)
                return NULL;
        noecho = old;
        noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        if (tcsetattr(fd, TCSAFLUSH, &noecho) < 0)
                return NULL;
        while (n < sizeof(buf) - 1) {
                char c;
                ssize_t k = read(fd, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0 || c == '\n')
                        break;
                buf[n++] = c;
        }
        buf[n] = '\0';
        (void)tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
                /* the prompt line is cosmetic */
        }
        res = strdup(buf);
        cws_wipe(buf, sizeof(buf));
        return res;
}

char *cli_passphrase(const char *file, const char *prompt, bool confirm)
{
        _cleanup_erase_ char *a = NULL, *b = NULL;

        if (file)
                return cli_read_secret_line(file);
        a = prompt_tty(prompt);
        if (!a)
                return NULL;
        if (!*a) {
                cli_fail(CWS_EXIT_USAGE, "empty passphrase");
                return NULL;
        }
        if (confirm) {
                b = prompt_tty("Repeat passphrase: ");
                if (!b || strcmp(a, b) != 0) {
                        cli_fail(CWS_EXIT_USAGE, "passphrases do not match");
                        return NULL;
                }
        }
        return TAKE_PTR(a);
}

void cli_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

int cli_agent_call(const cws_config *cfg, const cws_msg *req, cws_msg *resp)
{
        cws_error err = { 0 };
        int r = cws_agent_call(cfg->socket_path, req, resp, AGENT_TIMEOUT_MS, &err);

        if (r < 0) {
                cli_fail(CWS_EXIT_AGENT, "%s", cws_error_message(&err));
                return -1;
        }
        return 0;
}

int cli_open_registry(const cws_config *cfg, cws_registry **r)
{
        cws_error err = { 0 };
        if (cws_registry_open_config(cfg, r, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        return 0;
}

int cli_require_object_lock(const cws_config *cfg, cws_registry *r)
{
        cws_error err = { 0 };
        if (cws_registry_require_object_lock(cfg, r, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        return 0;
}

int cli_load_trust(const cws_config *cfg, cws_trust *t)
{
        cws_error err = { 0 };
        if (cws_trust_load(cfg->trusted_keys, t, &err) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        return 0;
}

int cli_exit_for_reason(cws_reason r)
{
        switch (r) {
        case CWS_R_OK: return CWS_EXIT_OK;
        case CWS_R_REGISTRY_UNAVAILABLE: return CWS_EXIT_REGISTRY;
        case CWS_R_BAD_REQUEST: return CWS_EXIT_USAGE;
        case CWS_R_INTERNAL_ERROR: return CWS_EXIT_CONFIG;
        default: return CWS_EXIT_REFUSED;
        }
}

void cli_evidence(cws_event_kind kind, const char *inv, const char *dev, cws_reason reason,
                  bool failed)
{
        struct passwd *pw = getpwuid(getuid());
        cws_event ev = { .kind = kind, .program = cli_program, .user = pw ? pw->pw_name : "?",
                         .invitation = inv, .device = dev, .reason = reason, .failed = failed };
        cws_evidence_result res;

        cws_evidence_emit(&ev, true, &res);
        /* Without CAP_AUDIT_WRITE (a non-root administrator) the journal
         * entry still records the action. */
        if (res.audit < 0 && res.audit != -EPERM)
                fprintf(stderr, "%s: warning: cannot write the audit record: %s\n", cli_program,
                        strerror(-res.audit));
}

int cli_agent_refusal(const cws_msg *resp, bool json)
{
        const char *reason = cws_msg_get(resp, "reason");
        const char *msg = cws_msg_get(resp, "message");
        cws_reason r = CWS_R_INTERNAL_ERROR;

        if (!reason || cws_reason_from_string(reason, &r) < 0)
                reason = "internal_error";
        if (json) {
                printf("{\"error\":");
                cli_json_string(stdout, msg ? msg : "");
                printf(",\"reason\":\"%s\"}\n", reason);
        }
        cli_fail(0, "%s (%s)", msg ? msg : "refused", reason);
        return cli_exit_for_reason(r) == CWS_EXIT_OK ? CWS_EXIT_REFUSED : cli_exit_for_reason(r);
}
