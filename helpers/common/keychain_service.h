/* Inside the Secret Service keychain: what keychain.c (the connection
 * and its bounded calls) and keychain_items.c (the items) share. These
 * two alone include libsecret, and are built with SECRET_CFLAGS. */
#pragma once
#include <stdbool.h>
#include <libsecret/secret.h>
#include "keychain.h"

struct keychain {
        keychain_mode mode;
        keychain_state state;
        char absence[256];
        GMainContext *ctx;
        SecretService *service;
        bool broken;            /* a call ignored even its cancellation */
};

/* One asynchronous call. Heap-allocated because a call abandoned after its
 * cancellation was ignored must stay valid for a late callback. */
typedef struct keychain_call {
        GAsyncResult *res;
        GCancellable *cancel;
        bool expired;
        bool abandoned;
} keychain_call;

keychain_call *keychain_call_new(void);
void keychain_call_free(keychain_call *c);
/* The callback of every call: keeps the result. */
void keychain_call_done(GObject *src, GAsyncResult *res, gpointer data);
/* A new call once the service answered (-ENXIO when there is none,
 * -ETIMEDOUT when it stopped answering). */
int keychain_call_begin(keychain *kc, keychain_call **out, cws_error *err);
/* Runs the call for at most ms: -ETIMEDOUT, with err naming what. */
int keychain_call_wait(keychain *kc, keychain_call *c, guint ms, const char *what, cws_error *err);
/* A call after the service answered failed: never a reason to fall back.
 * Frees the error and the call. */
int keychain_call_fail(cws_error *err, keychain_call *c, GError *e, const char *what);
