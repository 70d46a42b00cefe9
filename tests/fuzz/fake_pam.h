/* A libpam stand-in for fuzz_pam: the handful of libpam functions
 * pam_cws.c calls, over a handle whose items the harness sets, so the
 * module's entry points run in-process, deterministically, without a
 * service file and without writing to syslog. Messages are formatted (so
 * format errors still show) and dropped. */
#pragma once
#include <stdbool.h>
#include <security/pam_modules.h>

/* A fresh handle; the strings are not copied and must outlive it. NULL
 * means the item is unset. With user_fails, pam_get_user fails as a
 * conversation error would. */
pam_handle_t *fake_pam_start(const char *user, const char *service, const char *rhost,
                             const char *tty, const char *ruser, bool user_fails);
void fake_pam_set_user(pam_handle_t *pamh, const char *user);
/* Runs the data cleanups, as pam_end does, and frees the handle. */
void fake_pam_end(pam_handle_t *pamh, int status);
