/* pam_cws's entry points (pam_sm_acct_mgmt, pam_sm_open_session,
 * pam_sm_close_session), one PAM transaction per input, with hostile PAM
 * items, module arguments, config lines and cwsd replies; pam-u2f's
 * fuzz/fuzz_auth.c is the model. pam_cws.c is linked in with a libpam
 * stand-in (fake_pam.c) and these -Wl,--wrap replacements:
 *   cws_agent_call   never reaches a real cwsd: in "no cwsd" mode only the
 *                    scratch socket path (no listener) is tried, so the
 *                    module takes the offline path at once; in "reply"
 *                    mode the input's reply bytes are decoded as cwsd's
 *                    answer. Either way the request is checked.
 *   getpwnam_r, getgrnam, getgrouplist   a fixed user and group table.
 *   audit_open/_close/_log_user_message, cws_journal_send   the records
 *                    are built as always and dropped, never sent.
 *
 * Input: byte 0 holds options (bits below), then NUL-separated fields
 * user, service, rhost, tty, ruser, user2, args, config, reply; a field
 * the input ends before is unset (NULL), the reply takes the rest. args
 * are space-separated and follow "conf=<scratch>/cws.conf timeout_ms=20";
 * config follows "[agent] socket=<scratch> state_dir=<scratch>".
 *
 * Properties: a hostile or unknown user is never allowed or ignored; an
 * allow comes only from an explicit allow of cwsd, a fresh cache entry
 * that was not revoked (when no reply decodes: a malformed datagram fails
 * cws_agent_call like a timeout), or a configuration that could say
 * fail_mode=open;
 * requests to cwsd carry only valid names and printable items;
 * pam_sm_close_session always succeeds; nothing leaks. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_modules.h>
#include "cws/cache.h"
#include "cws/ids.h"
#include "cws/journal.h"
#include "cws/protocol.h"
#include "cws/safe_file.h"
#include "fake_pam.h"
#include "forge.h"
#include "harness.h"

#define OPT_REPLY 0x01          /* cwsd answers with the reply field */
#define OPT_SILENT 0x02         /* PAM_SILENT */
#define OPT_USER_FAILS 0x04     /* pam_get_user fails */
#define OPT_SUDO 0x08           /* PAM_USER becomes user2 before the session */
#define OPT_CACHE_SHIFT 4       /* 2 bits: which cache file FUZZ_USER has */
#define MAX_ARGS 16

enum { CACHE_NONE, CACHE_FRESH, CACHE_REVOKED, CACHE_OLD, CACHE_STATES };

int __real_cws_agent_call(const char *path, const cws_msg *req, cws_msg *resp, int timeout_ms,
                          cws_error *err);
int __wrap_cws_agent_call(const char *path, const cws_msg *req, cws_msg *resp, int timeout_ms,
                          cws_error *err);
int __real_cws_agent_notify(const char *path, const cws_msg *req, int timeout_ms, cws_error *err);
int __wrap_cws_agent_notify(const char *path, const cws_msg *req, int timeout_ms, cws_error *err);
int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
                      struct passwd **result);
struct group *__wrap_getgrnam(const char *name);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);
int __wrap_audit_open(void);
void __wrap_audit_close(int fd);
int __wrap_audit_log_user_message(int fd, int type, const char *message, const char *hostname,
                                  const char *addr, const char *tty, int result);
int __wrap_cws_journal_send(const cws_journal_field *f, size_t n);

static char conf_path[PATH_MAX], socket_path[PATH_MAX], state_dir[PATH_MAX];
static char cache_path[PATH_MAX + 32], conf_arg[PATH_MAX + 8];
static char *cache_file[CACHE_STATES];
static size_t cache_len[CACHE_STATES];
static int cache_on_disk = -1;

/* Set per input for the wrappers. */
static struct {
        bool reply_mode;
        const char *reply;
        size_t reply_len;
        bool reply_decodes;     /* cwsd answered: a decision, never the cache */
        bool reply_allows;
} in;

/* ---- wrappers ---- */

static bool printable(const char *s)
{
        for (; s && *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
                        return false;
        return true;
}

int __wrap_cws_agent_call(const char *path, const cws_msg *req, cws_msg *resp, int timeout_ms,
                          cws_error *err)
{
        const char *op = cws_msg_get(req, "op"), *user = cws_msg_get(req, "user");

        FUZZ_ASSERT(op && (strcmp(op, "validate") == 0 || strcmp(op, "session_close") == 0));
        FUZZ_ASSERT(user && cws_name_valid(user, CWS_USER_MAX));
        FUZZ_ASSERT(printable(cws_msg_get(req, "rhost")) && printable(cws_msg_get(req, "tty")));
        FUZZ_ASSERT(timeout_ms >= 0);
        cws_msg_init(resp);
        if (!in.reply_mode) {
                /* Only our socket path, which has no listener. */
                if (!path || strcmp(path, socket_path) != 0)
                        return cws_error_set(err, -ECONNREFUSED, "fuzz: not the scratch socket");
                return __real_cws_agent_call(path, req, resp, timeout_ms, err);
        }
        if (in.reply_len == 0)
                return cws_error_set(err, -ETIMEDOUT, "fuzz: cwsd did not answer");
        if (cws_msg_decode(resp, in.reply, in.reply_len) < 0)
                return cws_error_set(err, -EBADMSG, "fuzz: malformed reply");
        return 0;
}

/* The session notes: never to a real cwsd. With a fuzzed reply cwsd
 * "takes" the note, else nobody listens on the scratch socket. */
int __wrap_cws_agent_notify(const char *path, const cws_msg *req, int timeout_ms, cws_error *err)
{
        const char *op = cws_msg_get(req, "op"), *user = cws_msg_get(req, "user");

        FUZZ_ASSERT(op && (strcmp(op, "session_open") == 0 || strcmp(op, "session_close") == 0));
        FUZZ_ASSERT(user && cws_name_valid(user, CWS_USER_MAX));
        FUZZ_ASSERT(timeout_ms >= 0);
        if (in.reply_mode)
                return in.reply_len ? 0 : cws_error_set(err, -ETIMEDOUT, "fuzz: cwsd did not take it");
        if (!path || strcmp(path, socket_path) != 0)
                return cws_error_set(err, -ECONNREFUSED, "fuzz: not the scratch socket");
        return __real_cws_agent_notify(path, req, timeout_ms, err);
}

static const struct {
        const char *name;
        uid_t uid;
} users[] = { { FUZZ_USER, FUZZ_UID }, { "root", 0 }, { "alice", 1001 } };

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
                      struct passwd **result)
{
        FUZZ_ASSERT(name && pw && buf && result);
        *result = NULL;
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
                if (strcmp(name, users[i].name) != 0)
                        continue;
                if ((size_t)snprintf(buf, buflen, "%s", name) >= buflen)
                        return ERANGE;
                memset(pw, 0, sizeof(*pw));
                pw->pw_name = buf;
                pw->pw_passwd = buf + strlen(buf);
                pw->pw_gecos = pw->pw_dir = pw->pw_shell = pw->pw_passwd;
                pw->pw_uid = users[i].uid;
                pw->pw_gid = (gid_t)users[i].uid;
                *result = pw;
                return 0;
        }
        return 0;
}

/* One group, "cws-users" (gid 4242), of which FUZZ_USER is a member. */
struct group *__wrap_getgrnam(const char *name)
{
        static char gname[] = "cws-users";
        static char *members[] = { NULL };
        static struct group gr = { .gr_name = gname, .gr_gid = 4242, .gr_mem = members };

        FUZZ_ASSERT(name != NULL);
        return strcmp(name, gname) == 0 ? &gr : NULL;
}

int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
        FUZZ_ASSERT(user && groups && ngroups && *ngroups >= 1);
        groups[0] = group;
        *ngroups = 1;
        return 1;
}

int __wrap_audit_open(void)
{
        return dup(STDERR_FILENO);      /* any descriptor: nothing is written to it */
}

void __wrap_audit_close(int fd)
{
        close(fd);
}

int __wrap_audit_log_user_message(int fd, int type, const char *message, const char *hostname,
                                  const char *addr, const char *tty, int result)
{
        (void)type; (void)result;
        FUZZ_ASSERT(fd >= 0 && message && hostname && addr && tty);
        FUZZ_ASSERT(printable(message) && printable(hostname) && printable(tty));
        return 1;
}

int __wrap_cws_journal_send(const cws_journal_field *f, size_t n)
{
        static char buf[CWS_JOURNAL_MAX];
        long r = cws_journal_format(f, n, buf, sizeof(buf));

        FUZZ_ASSERT(r > 0);
        return 0;
}

/* ---- set-up ---- */

static void make_cache(int state, int64_t now)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        char *data = NULL;
        size_t len = 0;

        if (state == CACHE_REVOKED) {
                /* A version-1 cache that lists its device as revoked: the
                 * seen revocations are one directory for every state. */
                char body[512];
                int n = snprintf(body, sizeof(body),
                                 "version=1\nuid=%u\nuser=%s\nvalidated_at=%lld\nprofile=work-laptop\n"
                                 "invitation=inv-AAAAAAAAAAAAAAAAAAAAAA\n"
                                 "device=dev-BBBBBBBBBBBBBBBBBBBBBA\ntype=read_write\n"
                                 "revoked=dev-BBBBBBBBBBBBBBBBBBBBBA\n",
                                 (unsigned)FUZZ_UID, FUZZ_USER, (long long)now);
                cache_file[state] = forge_cache(body, (size_t)n, &cache_len[state]);
                return;
        }
        cws_cache_init(&e, FUZZ_UID, FUZZ_USER);
        cws_cache_note_allow(&e, "work-laptop", "inv-AAAAAAAAAAAAAAAAAAAAAA",
                             "dev-BBBBBBBBBBBBBBBBBBBBBA", CWS_TYPE_READ_WRITE,
                             state == CACHE_OLD ? 1 : now * 1000000);
        if (cws_cache_store(state_dir, fuzz_host_key, &e, &err) < 0 ||
            cws_file_read_checked(cache_path, 1 << 16, CWS_FILE_SECRET, &data, &len, &err) < 0)
                fuzz_fail(err.msg);
        cache_file[state] = data;
        cache_len[state] = len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char key_path[PATH_MAX + 16];
        int64_t now = (int64_t)time(NULL);

        (void)argc; (void)argv;
        fuzz_path(conf_path, sizeof(conf_path), "cws.conf");
        fuzz_path(socket_path, sizeof(socket_path), "no-cwsd.sock");
        fuzz_path(state_dir, sizeof(state_dir), "state");
        snprintf(cache_path, sizeof(cache_path), "%s/cache/%u", state_dir, (unsigned)FUZZ_UID);
        snprintf(key_path, sizeof(key_path), "%s/host.key", state_dir);
        snprintf(conf_arg, sizeof(conf_arg), "conf=%s", conf_path);
        if (mkdir(state_dir, 0700) < 0)
                fuzz_fail("cannot create the scratch state directory");
        fuzz_write_file(key_path, fuzz_host_key, CWS_HOST_KEY_LEN, 0600);
        for (int s = CACHE_FRESH; s < CACHE_STATES; s++)
                make_cache(s, now);
        return 0;
}

static void put_cache(int state)
{
        if (state == cache_on_disk)
                return;
        if (state == CACHE_NONE)
                unlink(cache_path);
        else
                fuzz_write_file(cache_path, cache_file[state], cache_len[state], 0600);
        cache_on_disk = state;
}

static void put_config(const char *tail)
{
        static char buf[3 * PATH_MAX + 8192];
        int n = snprintf(buf, sizeof(buf), "[agent]\nsocket = %s\nstate_dir = %s\n%s", socket_path,
                         state_dir, tail ? tail : "");

        if (n < 0 || (size_t)n >= sizeof(buf))
                n = (int)strlen(buf);
        fuzz_write_file(conf_path, buf, (size_t)n, 0644);
}

/* ---- one transaction ---- */

typedef struct fields {
        unsigned opts;
        const char *user, *service, *rhost, *tty, *ruser, *user2, *args, *config;
        const char *reply;
        size_t reply_len;
} fields;

static void split(const uint8_t *data, size_t size, fields *f, char **copy)
{
        const char *p, *end;
        const char **slots[] = { &f->user, &f->service, &f->rhost, &f->tty, &f->ruser,
                                 &f->user2, &f->args, &f->config };

        memset(f, 0, sizeof(*f));
        /* A copy with a NUL after it, so the last field is a C string too. */
        *copy = fuzz_strndup(data + 1, size - 1);
        f->opts = data[0];
        p = *copy;
        end = p + size - 1;
        for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
                *slots[i] = fuzz_next_field(&p, end);
        f->reply = p;
        f->reply_len = (size_t)(end - p);
}

static bool reply_allows(const char *reply, size_t len)
{
        static cws_msg m;
        const char *st, *d, *r;

        in.reply_decodes = cws_msg_decode(&m, reply, len) == 0;
        if (!in.reply_decodes)
                return false;
        st = cws_msg_get(&m, "status");
        d = cws_msg_get(&m, "decision");
        r = cws_msg_get(&m, "reason");
        return st && d && r && !strcmp(st, "ok") && !strcmp(d, "allow") && !strcmp(r, "ok");
}

static int make_argv(char *args, const char **argv)
{
        int argc = 0;
        char *save = NULL;

        argv[argc++] = conf_arg;
        argv[argc++] = "timeout_ms=20";
        if (args)
                for (char *t = strtok_r(args, " ", &save); t && argc < MAX_ARGS;
                     t = strtok_r(NULL, " ", &save))
                        argv[argc++] = t;
        argv[argc] = NULL;
        return argc;
}

static bool user_ok(const char *u)
{
        if (!u || !cws_name_valid(u, CWS_USER_MAX))
                return false;
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
                if (strcmp(u, users[i].name) == 0)
                        return true;
        return false;
}

/* May this verdict be an allow? */
static bool allow_possible(const fields *f, const char *checked_user, int cache_state)
{
        if ((f->args && strstr(f->args, "open")) || (f->config && strstr(f->config, "open")))
                return true;    /* fail_mode=open, however it was spelled */
        if (in.reply_mode && in.reply_decodes)
                return in.reply_allows;
        /* No cwsd, or no datagram that decodes (cws_agent_call fails): the
         * module decides from the cache. */
        return cache_state == CACHE_FRESH && checked_user && strcmp(checked_user, FUZZ_USER) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *argv[MAX_ARGS + 1];
        char *copy = NULL, *args = NULL;
        pam_handle_t *pamh;
        fields f;
        int argc, flags, cache_state, r;

        if (size < 1)
                return 0;
        split(data, size, &f, &copy);
        cache_state = (int)((f.opts >> OPT_CACHE_SHIFT) & 3u);
        in.reply_mode = f.opts & OPT_REPLY;
        in.reply = f.reply;
        in.reply_len = f.reply_len;
        in.reply_decodes = false;
        in.reply_allows = in.reply_mode && reply_allows(f.reply, f.reply_len);
        flags = f.opts & OPT_SILENT ? PAM_SILENT : 0;
        put_cache(cache_state);
        put_config(f.config);
        args = f.args ? strdup(f.args) : NULL;
        argc = make_argv(args, argv);

        pamh = fake_pam_start(f.user, f.service, f.rhost, f.tty, f.ruser,
                              f.opts & OPT_USER_FAILS);
        r = pam_sm_acct_mgmt(pamh, flags, argc, argv);
        if (!user_ok(f.user) || (f.opts & OPT_USER_FAILS))
                FUZZ_ASSERT(r != PAM_SUCCESS && r != PAM_IGNORE);
        if (r == PAM_SUCCESS)
                FUZZ_ASSERT(allow_possible(&f, f.user, cache_state));

        if (f.opts & OPT_SUDO)
                fake_pam_set_user(pamh, f.user2);
        r = pam_sm_open_session(pamh, flags, argc, argv);
        if (!(f.opts & OPT_SUDO) && (!user_ok(f.user) || (f.opts & OPT_USER_FAILS)))
                FUZZ_ASSERT(r != PAM_SUCCESS && r != PAM_IGNORE);
        /* After a sudo-style switch the module checks user2 or, when
         * PAM_RUSER names it, the account's user. */
        if (r == PAM_SUCCESS)
                FUZZ_ASSERT(allow_possible(&f, f.user, cache_state) ||
                            ((f.opts & OPT_SUDO) && allow_possible(&f, f.user2, cache_state)));

        FUZZ_ASSERT(pam_sm_close_session(pamh, flags, argc, argv) == PAM_SUCCESS);
        fake_pam_end(pamh, PAM_SUCCESS);
        free(args);
        free(copy);
        return 0;
}
