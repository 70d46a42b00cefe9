/* The Secret Service keychain (libsecret): the connection and its calls.
 * Every call is asynchronous on a private main context and bounded: the
 * service gets KEYCHAIN_TIMEOUT_MS to answer (KEYCHAIN_PROMPT_MS when it
 * must ask a person to unlock the keyring), then the call is cancelled.
 * The items themselves are keychain_items.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "keychain_service.h"
#include "cws/cleanup.h"

int keychain_mode_from_string(const char *s, keychain_mode *out)
{
        if (strcmp(s, "auto") == 0)
                *out = KEYCHAIN_AUTO;
        else if (strcmp(s, "secret-service") == 0)
                *out = KEYCHAIN_SECRET_SERVICE;
        else if (strcmp(s, "file") == 0)
                *out = KEYCHAIN_FILE;
        else
                return -EINVAL;
        return 0;
}

const char *keychain_mode_to_string(keychain_mode m)
{
        switch (m) {
        case KEYCHAIN_SECRET_SERVICE: return "secret-service";
        case KEYCHAIN_FILE: return "file";
        default: return "auto";
        }
}

keychain_state keychain_get_state(const keychain *kc)
{
        return kc->state;
}

const char *keychain_absence(const keychain *kc)
{
        return kc->absence;
}

keychain_call *keychain_call_new(void)
{
        keychain_call *c = g_new0(keychain_call, 1);
        c->cancel = g_cancellable_new();
        return c;
}

void keychain_call_free(keychain_call *c)
{
        if (!c)
                return;
        g_clear_object(&c->res);
        g_clear_object(&c->cancel);
        g_free(c);
}

void keychain_call_done(GObject *src, GAsyncResult *res, gpointer data)
{
        keychain_call *c = data;
        (void)src;
        c->res = g_object_ref(res);
}

static gboolean call_expire(gpointer data)
{
        keychain_call *c = data;
        c->expired = true;
        g_cancellable_cancel(c->cancel);
        return G_SOURCE_REMOVE;
}

static gboolean call_abandon(gpointer data)
{
        ((keychain_call *)data)->abandoned = true;
        return G_SOURCE_REMOVE;
}

/* Runs the private context until the call completes, cancelling it after
 * ms. false (and the keychain refuses further calls) when not even the
 * cancellation completed within another second. */
static bool call_run(keychain *kc, keychain_call *c, guint ms)
{
        GSource *expire = g_timeout_source_new(ms), *abandon = g_timeout_source_new(ms + 1000);

        g_source_set_callback(expire, call_expire, c, NULL);
        g_source_set_callback(abandon, call_abandon, c, NULL);
        g_source_attach(expire, kc->ctx);
        g_source_attach(abandon, kc->ctx);
        while (!c->res && !c->abandoned)
                g_main_context_iteration(kc->ctx, TRUE);
        g_source_destroy(expire);
        g_source_unref(expire);
        g_source_destroy(abandon);
        g_source_unref(abandon);
        if (!c->res) {
                kc->broken = true;
                return false;
        }
        return true;
}

static int timed_out(cws_error *err, unsigned ms, const char *what)
{
        return cws_error_set(err, -ETIMEDOUT,
                             "the Secret Service did not answer within %u s while %s; try again, "
                             "or use --keychain=file", ms / 1000, what);
}

/* call_run for a call made after the service answered. */
int keychain_call_wait(keychain *kc, keychain_call *c, guint ms, const char *what, cws_error *err)
{
        return call_run(kc, c, ms) ? 0 : timed_out(err, ms, what);
}

int keychain_call_fail(cws_error *err, keychain_call *c, GError *e, const char *what)
{
        int r = c->expired ? timed_out(err, KEYCHAIN_TIMEOUT_MS, what)
                           : cws_error_set(err, -EIO, "the Secret Service failed while %s: %s",
                                           what, e ? e->message : "no reason given");
        g_clear_error(&e);
        keychain_call_free(c);
        return r;
}

/* Errors that mean "there is no keychain here", as opposed to a keychain
 * that refused: the bus cannot be reached or nobody owns the name. */
static bool error_means_absent(const GError *e)
{
        if (e->domain == G_DBUS_ERROR) {
                switch (e->code) {
                case G_DBUS_ERROR_SERVICE_UNKNOWN:
                case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
                case G_DBUS_ERROR_NO_SERVER:
                case G_DBUS_ERROR_DISCONNECTED:
                case G_DBUS_ERROR_BAD_ADDRESS:
                case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
                case G_DBUS_ERROR_SPAWN_FORK_FAILED:
                case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
                case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
                case G_DBUS_ERROR_SPAWN_FAILED:
                case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
                case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
                case G_DBUS_ERROR_SPAWN_NO_MEMORY:
                        return true;
                default:
                        return false;
                }
        }
        if (e->domain == G_IO_ERROR) {
                switch (e->code) {
                case G_IO_ERROR_NOT_FOUND:
                case G_IO_ERROR_CONNECTION_REFUSED:
                case G_IO_ERROR_CONNECTION_CLOSED:
                case G_IO_ERROR_CLOSED:
                case G_IO_ERROR_HOST_UNREACHABLE:
                case G_IO_ERROR_NETWORK_UNREACHABLE:
                case G_IO_ERROR_INVALID_ARGUMENT:   /* unparseable bus address */
                case G_IO_ERROR_PERMISSION_DENIED:  /* someone else's bus socket */
                        return true;
                default:
                        return false;
                }
        }
        return false;
}

/* A bus is there when DBUS_SESSION_BUS_ADDRESS is set or, as GLib also
 * looks, $XDG_RUNTIME_DIR/bus is a socket. Deciding this ourselves keeps
 * GLib from trying X11 autolaunch when there is neither. */
static bool session_bus_present(char *why, size_t whysz)
{
        const char *addr = secure_getenv("DBUS_SESSION_BUS_ADDRESS");
        const char *rt = secure_getenv("XDG_RUNTIME_DIR");
        char path[4096];
        struct stat st;

        if (addr && addr[0])
                return true;
        if (rt && rt[0] == '/' && (size_t)snprintf(path, sizeof(path), "%s/bus", rt) < sizeof(path) &&
            stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                return true;
        snprintf(why, whysz, "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)");
        return false;
}

/* A service that did not answer once is not waited for again by this
 * process: cws-invite may ask it for the registry credentials, then for
 * the key, and must not wait twice. */
static bool service_silent;

static void no_answer(keychain *kc)
{
        service_silent = true;
        kc->state = KEYCHAIN_NO_ANSWER;
        snprintf(kc->absence, sizeof(kc->absence), "the Secret Service did not answer within %u s",
                 KEYCHAIN_TIMEOUT_MS / 1000);
}

int keychain_open(keychain_mode mode, keychain **out, cws_error *err)
{
        keychain *kc = calloc(1, sizeof(*kc));
        GError *e = NULL;
        keychain_call *c;

        if (!kc)
                return cws_error_set(err, -ENOMEM, "keychain: out of memory");
        kc->mode = mode;
        *out = kc;
        if (mode == KEYCHAIN_FILE) {
                kc->state = KEYCHAIN_NOT_TRIED;
                return 0;
        }
        if (!session_bus_present(kc->absence, sizeof(kc->absence))) {
                kc->state = KEYCHAIN_NO_BUS;
                goto absent;
        }
        if (service_silent) {
                no_answer(kc);
                goto absent;
        }
        kc->ctx = g_main_context_new();
        g_main_context_push_thread_default(kc->ctx);

        c = keychain_call_new();
        secret_service_open(SECRET_TYPE_SERVICE, NULL,
                            SECRET_SERVICE_OPEN_SESSION | SECRET_SERVICE_LOAD_COLLECTIONS,
                            c->cancel, keychain_call_done, c);
        if (!call_run(kc, c, KEYCHAIN_TIMEOUT_MS)) {
                no_answer(kc);
                goto absent;
        }
        kc->service = secret_service_open_finish(c->res, &e);
        if (kc->service) {
                keychain_call_free(c);
                kc->state = KEYCHAIN_READY;
                return 0;
        }
        if (c->expired) {
                no_answer(kc);
        } else if (error_means_absent(e)) {
                kc->state = KEYCHAIN_UNAVAILABLE;
                snprintf(kc->absence, sizeof(kc->absence),
                         e->domain == G_IO_ERROR ? "the session bus cannot be reached (%s)"
                                                 : "no Secret Service on the session bus (%s)",
                         e->message);
        } else {
                int r = cws_error_set(err, -EIO,
                                      "the Secret Service answered with an error: %s; fix the "
                                      "keyring, or use --keychain=file", e->message);
                g_error_free(e);
                keychain_call_free(c);
                return r;
        }
        g_clear_error(&e);
        keychain_call_free(c);
absent:
        if (mode == KEYCHAIN_SECRET_SERVICE)
                return cws_error_set(err, -ENXIO,
                                     "%s, and --keychain=secret-service was asked for; start the "
                                     "keyring in this session or use --keychain=file",
                                     kc->absence);
        return 0;
}

void keychain_free(keychain *kc)
{
        if (!kc)
                return;
        g_clear_object(&kc->service);
        if (kc->ctx) {
                /* Lets closing D-Bus messages go out before the context goes. */
                while (!kc->broken && g_main_context_iteration(kc->ctx, FALSE))
                        ;
                g_main_context_pop_thread_default(kc->ctx);
                g_main_context_unref(kc->ctx);
        }
        free(kc);
}

static int need_service(keychain *kc, cws_error *err)
{
        if (kc->broken)
                return cws_error_set(err, -ETIMEDOUT,
                                     "the Secret Service stopped answering; try again, or use "
                                     "--keychain=file");
        if (kc->state != KEYCHAIN_READY || !kc->service)
                return cws_error_set(err, -ENXIO, "%s",
                                     kc->absence[0] ? kc->absence : "no Secret Service");
        return 0;
}

int keychain_call_begin(keychain *kc, keychain_call **out, cws_error *err)
{
        int r = need_service(kc, err);

        if (r < 0)
                return r;
        *out = keychain_call_new();
        return 0;
}
