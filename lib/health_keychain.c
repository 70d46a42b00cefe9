/* cws-status health, the administrators' keychain: where the user who
 * runs cws-status keeps the administrator key, as `cws-invite --json
 * keychain` says in the caller's own environment (session bus, HOME,
 * CWS_KEYCHAIN). Only cws-invite links libsecret, so it is asked rather
 * than linked; its answer is bounded in time and size. Weight 0: a
 * person's keychain is not the host's posture, so this check is shown and
 * never scored, and never fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cws/health.h"

#define KEYCHAIN_ASK_MS 10000   /* cws-invite bounds each Secret Service call at 5 s */
#define KEYCHAIN_OUT_MAX 8192

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv with stdout into out (NUL-terminated); its exit status, or
 * -ETIMEDOUT (killed) or a negative errno. */
static int run_bounded(char *const argv[], char *out, size_t n)
{
        int fds[2], status = 0, r = 0;
        size_t used = 0;
        int64_t end = mono_ms() + KEYCHAIN_ASK_MS;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (dup2(fds[1], STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0 ||
                    dup2(null, STDIN_FILENO) < 0)
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        close(fds[1]);
        for (;;) {
                struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
                int64_t left = end - mono_ms();
                ssize_t k;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(&pfd, 1, (int)left) <= 0)
                        continue;
                k = read(fds[0], out + used, n - 1 - used);
                if (k <= 0)
                        break;
                used += (size_t)k;
                if (used == n - 1) {
                        r = -EMSGSIZE;
                        break;
                }
        }
        out[used] = '\0';
        close(fds[0]);
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

static const char *str(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : "";
}

void cws_health_keychain(const cws_health_opts *o, cws_posture *p)
{
        char out[KEYCHAIN_OUT_MAX];
        char *argv[] = { (char *)o->cws_invite, "--json", "keychain", NULL, NULL, NULL };
        json_object *j, *locked;
        int r;

        if (!o->cws_invite || access(o->cws_invite, X_OK) < 0) {
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_NA, NULL,
                              "cws-invite is not installed here: no administrators' keychain");
                return;
        }
        if (o->config_path) {
                argv[3] = "--config";
                argv[4] = (char *)o->config_path;
        }
        r = run_bounded(argv, out, sizeof(out));
        if (r != 0) {
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_UNKNOWN,
                              "run 'cws-invite keychain' to see why",
                              "%s --json keychain: %s", o->cws_invite,
                              r > 0 ? "it exited with an error" : strerror(-r));
                return;
        }
        j = json_tokener_parse(out);
        if (!j || !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_UNKNOWN, NULL,
                              "%s --json keychain: not the JSON cws-invite(1) documents",
                              o->cws_invite);
                return;
        }
        bool is_locked = json_object_object_get_ex(j, "locked", &locked) &&
                         json_object_get_boolean(locked);
        if (!strcmp(str(j, "admin_key"), "none"))
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_NA, NULL,
                              "no administrator key for this user (uid %u); a new one would go "
                              "in the %s (security level %s)", (unsigned)getuid(),
                              str(j, "keychain"), str(j, "security_level"));
        else if (!strcmp(str(j, "admin_key"), "secret-service"))
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_OK, NULL,
                              "the administrator key is in the Secret Service (security level "
                              "%s), keyring %s", str(j, "security_level"),
                              is_locked ? "locked" : "unlocked");
        else
                cws_check_set(p, CWS_CHK_KEYCHAIN, CWS_CHECK_WARN,
                              "keep the key in a Secret Service (cws-invite init in a desktop "
                              "session) rather than a file only a passphrase protects",
                              "the administrator key is in the encrypted file %s (security "
                              "level %s)%s%s", str(j, "keystore"), str(j, "security_level"),
                              str(j, "fallback_reason")[0] ? ": " : "", str(j, "fallback_reason"));
        json_object_put(j);
}
