/* Drives one real PAM transaction through libpam with a private service
 * directory (pam_start_confdir): account, then open and close session.
 *   pam_run CONFDIR SERVICE USER [--rhost H] [--tty T] [--silent] [--repeat N]
 * Prints "acct=CODE open=CODE close=CODE" with PAM's names for the codes,
 * and every conversation message on its own "msg:" line.
 * With --raw the module named on the service's first account line is
 * called directly (dlopen + pam_sm_acct_mgmt on the real PAM handle), so
 * its own return code is seen, PAM_IGNORE included, before libpam folds
 * it into the stack's result. With --between CMD, CMD runs (sh -c, with
 * PAM_RUN_K set to the number of the transaction to come) before every
 * transaction of a --repeat but the first, in this same process, and
 * every transaction prints its line, "k=K acct=...". */
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        (void)data;
        for (int i = 0; i < n; i++)
                printf("msg: %s\n", msg[i]->msg);
        *resp = calloc((size_t)n, sizeof(**resp));
        return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static const char *code_name(int r)
{
        switch (r) {
        case PAM_SUCCESS: return "PAM_SUCCESS";
        case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
        case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
        case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
        case PAM_IGNORE: return "PAM_IGNORE";
        case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
        case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
        case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
        case PAM_SESSION_ERR: return "PAM_SESSION_ERR";
        default: { static char b[32]; snprintf(b, sizeof(b), "PAM_%d", r); return b; }
        }
}

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

/* The first "account" line of the service file: module path and args. */
static int raw_call(pam_handle_t *pamh, const char *dir, const char *service, int flags, int *acct,
                    int *open)
{
        char path[4096], line[4096], *words[32], *save = NULL;
        int n = 0;
        FILE *f;
        void *h;
        sm_fn am, os;

        snprintf(path, sizeof(path), "%s/%s", dir, service);
        f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "account", 7) == 0)
                        break;
        fclose(f);
        for (char *t = strtok_r(line, " \t\n", &save); t && n < 32; t = strtok_r(NULL, " \t\n", &save))
                words[n++] = t;
        if (n < 3)
                return -1;
        h = dlopen(words[2], RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return -1;
        am = (sm_fn)dlsym(h, "pam_sm_acct_mgmt");
        os = (sm_fn)dlsym(h, "pam_sm_open_session");
        if (!am || !os)
                return -1;
        *acct = am(pamh, flags, n - 3, (const char **)&words[3]);
        *open = os(pamh, flags, n - 3, (const char **)&words[3]);
        dlclose(h);
        return 0;
}

int main(int argc, char **argv)
{
        int raw = 0;
        struct pam_conv c = { conv, NULL };
        const char *rhost = NULL, *tty = NULL, *between = NULL;
        int flags = 0, repeat = 1, hold = 0;
        pam_handle_t *pamh = NULL;

        if (argc < 4) {
                fprintf(stderr, "usage: pam_run CONFDIR SERVICE USER [--rhost H] [--tty T] [--silent] [--repeat N [--between CMD]] [--hold SECONDS]\n");
                return 2;
        }
        for (int i = 4; i < argc; i++) {
                if (strcmp(argv[i], "--rhost") == 0 && i + 1 < argc)
                        rhost = argv[++i];
                else if (strcmp(argv[i], "--tty") == 0 && i + 1 < argc)
                        tty = argv[++i];
                else if (strcmp(argv[i], "--raw") == 0)
                        raw = 1;
                else if (strcmp(argv[i], "--silent") == 0)
                        flags = PAM_SILENT;
                else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
                        repeat = atoi(argv[++i]);
                else if (strcmp(argv[i], "--between") == 0 && i + 1 < argc)
                        between = argv[++i];
                else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc)
                        hold = atoi(argv[++i]);   /* keep the session open this long */
                else
                        return 2;
        }
        for (int k = 0; k < repeat; k++) {
                int acct, open = -1, close = -1;
                if (between && k > 0) {
                        char kb[16];
                        snprintf(kb, sizeof(kb), "%d", k + 1);
                        setenv("PAM_RUN_K", kb, 1);
                        fflush(stdout);
                        if (system(between) != 0)
                                return 5;
                }
                if (pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh) != PAM_SUCCESS)
                        return 3;
                if (rhost)
                        pam_set_item(pamh, PAM_RHOST, rhost);
                if (tty)
                        pam_set_item(pamh, PAM_TTY, tty);
                if (raw) {
                        if (raw_call(pamh, argv[1], argv[2], flags, &acct, &open) < 0)
                                return 4;
                } else if ((acct = pam_acct_mgmt(pamh, flags)) == PAM_SUCCESS) {
                        open = pam_open_session(pamh, flags);
                        if (open == PAM_SUCCESS && hold > 0) {
                                printf("session open pid=%ld\n", (long)getpid());
                                fflush(stdout);
                                sleep((unsigned)hold);
                        }
                        if (open == PAM_SUCCESS)
                                close = pam_close_session(pamh, flags);
                }
                pam_end(pamh, acct);
                if (between)
                        printf("k=%d ", k + 1);
                if (repeat == 1 || between)
                        printf("acct=%s open=%s close=%s\n", code_name(acct),
                               open < 0 ? "-" : code_name(open), close < 0 ? "-" : code_name(close));
        }
        return 0;
}
