/* See fake_pam.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include "fake_pam.h"
#include "harness.h"

#define FAKE_DATA_MAX 8

struct pam_handle {
        const char *user, *service, *rhost, *tty, *ruser;
        bool user_fails;
        struct {
                char *name;
                void *data;
                void (*cleanup)(pam_handle_t *, void *, int);
        } data[FAKE_DATA_MAX];
        unsigned n_data;
};

pam_handle_t *fake_pam_start(const char *user, const char *service, const char *rhost,
                             const char *tty, const char *ruser, bool user_fails)
{
        pam_handle_t *h = calloc(1, sizeof(*h));

        FUZZ_ASSERT(h != NULL);
        h->user = user;
        h->service = service;
        h->rhost = rhost;
        h->tty = tty;
        h->ruser = ruser;
        h->user_fails = user_fails;
        return h;
}

void fake_pam_set_user(pam_handle_t *pamh, const char *user)
{
        pamh->user = user;
}

void fake_pam_end(pam_handle_t *pamh, int status)
{
        for (unsigned i = 0; i < pamh->n_data; i++) {
                if (pamh->data[i].cleanup)
                        pamh->data[i].cleanup(pamh, pamh->data[i].data, status);
                free(pamh->data[i].name);
        }
        free(pamh);
}

int pam_get_item(const pam_handle_t *pamh, int item_type, const void **item)
{
        FUZZ_ASSERT(item != NULL);
        switch (item_type) {
        case PAM_USER: *item = pamh->user; return PAM_SUCCESS;
        case PAM_SERVICE: *item = pamh->service; return PAM_SUCCESS;
        case PAM_RHOST: *item = pamh->rhost; return PAM_SUCCESS;
        case PAM_TTY: *item = pamh->tty; return PAM_SUCCESS;
        case PAM_RUSER: *item = pamh->ruser; return PAM_SUCCESS;
        default: return PAM_BAD_ITEM;
        }
}

/* libpam asks the conversation when PAM_USER is unset; here that fails. */
int pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt)
{
        (void)prompt;
        if (pamh->user_fails || !pamh->user) {
                *user = NULL;
                return PAM_CONV_ERR;
        }
        *user = pamh->user;
        return PAM_SUCCESS;
}

int pam_set_data(pam_handle_t *pamh, const char *name, void *data,
                 void (*cleanup)(pam_handle_t *pamh, void *data, int error_status))
{
        for (unsigned i = 0; i < pamh->n_data; i++)
                if (strcmp(pamh->data[i].name, name) == 0) {
                        if (pamh->data[i].cleanup)
                                pamh->data[i].cleanup(pamh, pamh->data[i].data,
                                                      PAM_DATA_REPLACE | PAM_SUCCESS);
                        pamh->data[i].data = data;
                        pamh->data[i].cleanup = cleanup;
                        return PAM_SUCCESS;
                }
        if (pamh->n_data == FAKE_DATA_MAX)
                return PAM_BUF_ERR;
        pamh->data[pamh->n_data].name = strdup(name);
        FUZZ_ASSERT(pamh->data[pamh->n_data].name != NULL);
        pamh->data[pamh->n_data].data = data;
        pamh->data[pamh->n_data].cleanup = cleanup;
        pamh->n_data++;
        return PAM_SUCCESS;
}

int pam_get_data(const pam_handle_t *pamh, const char *name, const void **data)
{
        for (unsigned i = 0; i < pamh->n_data; i++)
                if (strcmp(pamh->data[i].name, name) == 0) {
                        *data = pamh->data[i].data;
                        return PAM_SUCCESS;
                }
        return PAM_NO_MODULE_DATA;
}

void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args)
{
        char buf[1024];

        (void)priority;
        FUZZ_ASSERT(pamh != NULL);
        vsnprintf(buf, sizeof(buf), fmt, args);
}

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        pam_vsyslog(pamh, priority, fmt, ap);
        va_end(ap);
}

int pam_vprompt(pam_handle_t *pamh, int style, char **response, const char *fmt, va_list args)
{
        char buf[1024];

        (void)pamh; (void)style;
        vsnprintf(buf, sizeof(buf), fmt, args);
        if (response)
                *response = NULL;
        return PAM_SUCCESS;
}

int pam_prompt(pam_handle_t *pamh, int style, char **response, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = pam_vprompt(pamh, style, response, fmt, ap);
        va_end(ap);
        return r;
}
