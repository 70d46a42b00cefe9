/* The PAM-stack follower of cws-status. Files are read as libpam reads
 * them; nothing here is trusted for a decision, only reported. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/pam_stack.h"

typedef enum succ { SUCC_OK, SUCC_DONE, SUCC_JUMP } succ;

typedef struct line {
        char where[96];         /* file:line */
        char module[64];        /* basename of the module path */
        char control[96];
        bool dash;              /* -account: skipped silently when the module is missing */
        succ on_success;
        unsigned jump;          /* for SUCC_JUMP */
        unsigned frame;         /* substack nesting: jumps and done stay inside */
} line;

typedef struct stack {
        line v[CWS_PAM_LINES_MAX];
        size_t n;
        unsigned parent[CWS_PAM_LINES_MAX];     /* of each frame; frame 0 is the service */
        unsigned n_frames;
} stack;

/* [success=2 default=ignore]: what a success does. */
static void parse_success(const char *control, line *l)
{
        const char *p;

        l->on_success = SUCC_OK;
        if (!strcmp(control, "sufficient")) {
                l->on_success = SUCC_DONE;
                return;
        }
        if (control[0] != '[')
                return;
        p = strstr(control, "success=");
        if (!p || (p != control + 1 && p[-1] != ' ' && p[-1] != '\t'))
                return;
        p += strlen("success=");
        if (!strncmp(p, "done", 4)) {
                l->on_success = SUCC_DONE;
        } else if (*p >= '1' && *p <= '9') {
                l->on_success = SUCC_JUMP;
                l->jump = (unsigned)strtoul(p, NULL, 10);
        }
}

static int read_file(const char *dir, const char *name, unsigned frame,
                     unsigned depth, stack *s, cws_error *err);

/* One logical line (continuations joined): words split on blanks, the
 * bracketed control kept whole. */
static int handle_line(const char *dir, const char *name, unsigned lineno, char *buf,
                       unsigned frame, unsigned depth, stack *s,
                       cws_error *err)
{
        char *type, *control, *module, *p = buf;
        bool dash = false;
        line *l;

        p += strspn(p, " \t");
        if (*p == '\0' || *p == '#')
                return 0;
        if (!strncmp(p, "@include", 8) && (p[8] == ' ' || p[8] == '\t')) {
                char *f = p + 8;
                f += strspn(f, " \t");
                f[strcspn(f, " \t")] = '\0';
                return read_file(dir, f, frame, depth + 1, s, err);
        }
        type = p;
        p += strcspn(p, " \t");
        if (*p)
                *p++ = '\0';
        p += strspn(p, " \t");
        if (type[0] == '-') {
                dash = true;
                type++;
        }
        if (strcasecmp(type, "account") != 0)
                return 0;
        control = p;
        if (*p == '[') {
                p = strchr(p, ']');
                if (!p)
                        return 0;       /* libpam ignores a broken line too */
                p++;
        } else {
                p += strcspn(p, " \t");
        }
        if (*p)
                *p++ = '\0';
        p += strspn(p, " \t");
        module = p;
        p += strcspn(p, " \t");
        *p = '\0';
        if (!*module)
                return 0;
        if (!strcmp(control, "include"))
                return read_file(dir, module, frame, depth + 1, s, err);
        if (!strcmp(control, "substack")) {
                if (s->n_frames >= CWS_PAM_LINES_MAX)
                        return cws_error_set(err, -E2BIG, "%s: too many substacks", name);
                s->parent[s->n_frames] = frame;
                return read_file(dir, module, s->n_frames++, depth + 1, s, err);
        }
        if (s->n >= CWS_PAM_LINES_MAX)
                return cws_error_set(err, -E2BIG, "%s: more than %d account lines", name,
                                     CWS_PAM_LINES_MAX);
        l = &s->v[s->n++];
        memset(l, 0, sizeof(*l));
        snprintf(l->where, sizeof(l->where), "%s:%u", name, lineno);
        snprintf(l->module, sizeof(l->module), "%s", strrchr(module, '/') ? strrchr(module, '/') + 1 : module);
        snprintf(l->control, sizeof(l->control), "%s", control);
        l->dash = dash;
        l->frame = frame;
        parse_success(control, l);
        return 0;
}

static int read_file(const char *dir, const char *name, unsigned frame,
                     unsigned depth, stack *s, cws_error *err)
{
        _cleanup_(fclosep) FILE *f = NULL;
        char path[4096], buf[4096], logical[8192];
        size_t used = 0;
        unsigned lineno = 0, start = 0;
        int r;

        if (depth > CWS_PAM_DEPTH_MAX)
                return cws_error_set(err, -ELOOP, "%s: includes nested deeper than %d (a loop?)",
                                     name, CWS_PAM_DEPTH_MAX);
        if (name[0] == '/')
                snprintf(path, sizeof(path), "%s", name);
        else
                snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return cws_error_set(err, -errno, "%s: %s", path, strerror(errno));
        while (fgets(buf, sizeof(buf), f)) {
                size_t n = strcspn(buf, "\n");
                bool cont;

                lineno++;
                buf[n] = '\0';
                if (used == 0)
                        start = lineno;
                cont = n > 0 && buf[n - 1] == '\\';
                if (cont)
                        buf[--n] = ' ';
                if (used + n + 1 < sizeof(logical)) {
                        memcpy(logical + used, buf, n);
                        used += n;
                }
                logical[used] = '\0';
                if (cont)
                        continue;
                used = 0;
                r = handle_line(dir, name, start, logical, frame, depth, s, err);
                if (r < 0)
                        return r;
        }
        if (used) {
                r = handle_line(dir, name, start, logical, frame, depth, s, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool frame_within(const stack *s, unsigned inner, unsigned outer)
{
        for (unsigned guard = 0; guard <= s->n_frames; guard++) {
                if (inner == outer)
                        return true;
                if (inner == 0)
                        return false;
                inner = s->parent[inner];
        }
        return false;
}

/* Whether line j can keep line i (pam_cws) from running. */
static bool can_skip(const stack *s, size_t j, size_t i)
{
        const line *l = &s->v[j];

        if (!frame_within(s, s->v[i].frame, l->frame))
                return false;
        if (l->on_success == SUCC_DONE)
                return true;
        return l->on_success == SUCC_JUMP && j + l->jump >= i;
}

int cws_pam_stack_check(const char *dir, const char *service, cws_pam_result *res,
                        cws_error *err)
{
        _cleanup_free_ stack *s = calloc(1, sizeof(*s));
        char path[4096];
        size_t i;
        int r;

        if (!s)
                return cws_error_set(err, -ENOMEM, "out of memory");
        memset(res, 0, sizeof(*res));
        s->n_frames = 1;
        snprintf(res->file, sizeof(res->file), "%s", service);
        snprintf(path, sizeof(path), "%s/%s", dir, service);
        if (access(path, F_OK) < 0)
                snprintf(res->file, sizeof(res->file), "other");
        r = read_file(dir, res->file, 0, 0, s, err);
        if (r < 0)
                return r;
        for (i = 0; i < s->n; i++)
                if (!strcmp(s->v[i].module, "pam_cws.so"))
                        break;
        if (i == s->n) {
                res->gate = CWS_PAM_NOT_GATED;
                snprintf(res->detail, sizeof(res->detail), "no pam_cws.so in the account stack of %s%s",
                         res->file, strcmp(res->file, service) ? " (the service has no file)" : "");
                return 0;
        }
        const line *c = &s->v[i];
        if (c->dash || (strcmp(c->control, "required") && strcmp(c->control, "requisite") &&
                        !(c->control[0] == '[' && strstr(c->control, "default=die")))) {
                res->gate = CWS_PAM_WEAK;
                snprintf(res->detail, sizeof(res->detail), "%s: %saccount %s pam_cws.so does not "
                         "refuse on its own (use required or requisite)", c->where,
                         c->dash ? "-" : "", c->control);
                return 0;
        }
        for (size_t j = 0; j < i; j++)
                if (can_skip(s, j, i)) {
                        res->gate = CWS_PAM_WEAK;
                        snprintf(res->detail, sizeof(res->detail), "%s: account %s %s can skip "
                                 "pam_cws.so at %s", s->v[j].where, s->v[j].control,
                                 s->v[j].module, c->where);
                        return 0;
                }
        res->gate = CWS_PAM_GATED;
        snprintf(res->detail, sizeof(res->detail), "account %s pam_cws.so at %s", c->control,
                 c->where);
        return 0;
}
