/* The Secret Service side of the administrators' keychain (libsecret).
 * Every call is asynchronous on a private main context and bounded: the
 * service gets KEYCHAIN_TIMEOUT_MS to answer (KEYCHAIN_PROMPT_MS when it
 * must ask a person to unlock the keyring), then the call is cancelled.
 * The service is never asked to prompt except to unlock; nothing secret
 * is ever put in a message. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libsecret/secret.h>
#include "keychain.h"
#include "cws/cleanup.h"

struct keychain {
        keychain_mode mode;
        keychain_state state;
        char absence[256];
        GMainContext *ctx;
        SecretService *service;
        bool broken;            /* a call ignored even its cancellation */
};

static const SecretSchema admin_schema = {
        .name = "org.cloudworkstation.cws.AdminKey",
        .flags = SECRET_SCHEMA_NONE,
        .attributes = {
                { "keystore", SECRET_SCHEMA_ATTRIBUTE_STRING },
                { "public_key", SECRET_SCHEMA_ATTRIBUTE_STRING },
                { NULL, 0 },
        },
};

static const SecretSchema credentials_schema = {
        .name = "org.cloudworkstation.cws.RegistryCredentials",
        .flags = SECRET_SCHEMA_NONE,
        .attributes = {
                { "registry", SECRET_SCHEMA_ATTRIBUTE_STRING },
                { NULL, 0 },
        },
};

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

/* One asynchronous call. Heap-allocated because a call abandoned after its
 * cancellation was ignored must stay valid for a late callback. */
typedef struct call {
        GAsyncResult *res;
        GCancellable *cancel;
        bool expired;
        bool abandoned;
} call;

static call *call_new(void)
{
        call *c = g_new0(call, 1);
        c->cancel = g_cancellable_new();
        return c;
}

static void call_free(call *c)
{
        if (!c)
                return;
        g_clear_object(&c->res);
        g_clear_object(&c->cancel);
        g_free(c);
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
        call *c = data;
        (void)src;
        c->res = g_object_ref(res);
}

static gboolean call_expire(gpointer data)
{
        call *c = data;
        c->expired = true;
        g_cancellable_cancel(c->cancel);
        return G_SOURCE_REMOVE;
}

static gboolean call_abandon(gpointer data)
{
        ((call *)data)->abandoned = true;
        return G_SOURCE_REMOVE;
}

/* Runs the private context until the call completes, cancelling it after
 * ms. false (and the keychain refuses further calls) when not even the
 * cancellation completed within another second. */
static bool call_run(keychain *kc, call *c, guint ms)
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
static int call_wait(keychain *kc, call *c, guint ms, const char *what, cws_error *err)
{
        return call_run(kc, c, ms) ? 0 : timed_out(err, ms, what);
}

/* A call after the service answered failed: never a reason to fall back.
 * Frees the error and the call. */
static int call_fail(cws_error *err, call *c, GError *e, const char *what)
{
        int r = c->expired ? timed_out(err, KEYCHAIN_TIMEOUT_MS, what)
                           : cws_error_set(err, -EIO, "the Secret Service failed while %s: %s",
                                           what, e ? e->message : "no reason given");
        g_clear_error(&e);
        call_free(c);
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
        call *c;

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

        c = call_new();
        secret_service_open(SECRET_TYPE_SERVICE, NULL,
                            SECRET_SERVICE_OPEN_SESSION | SECRET_SERVICE_LOAD_COLLECTIONS,
                            c->cancel, call_done, c);
        if (!call_run(kc, c, KEYCHAIN_TIMEOUT_MS)) {
                no_answer(kc);
                goto absent;
        }
        kc->service = secret_service_open_finish(c->res, &e);
        if (kc->service) {
                call_free(c);
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
                call_free(c);
                return r;
        }
        g_clear_error(&e);
        call_free(c);
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

static int collection_default(keychain *kc, SecretCollection **out, cws_error *err)
{
        GError *e = NULL;
        call *c;
        int r = need_service(kc, err);

        if (r < 0)
                return r;
        c = call_new();
        secret_collection_for_alias(kc->service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                                    c->cancel, call_done, c);
        if ((r = call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, "looking up the default keyring", err)) < 0)
                return r;
        *out = secret_collection_for_alias_finish(c->res, &e);
        if (e)
                return call_fail(err, c, e, "looking up the default keyring");
        if (!*out)
                r = cws_error_set(err, -ENOENT,
                                  "the Secret Service has no default keyring (log in to the "
                                  "desktop session once to create it), or use --keychain=file");
        call_free(c);
        return r;
}

int keychain_default_collection(keychain *kc, char *label, size_t labelsz, bool *locked,
                                cws_error *err)
{
        SecretCollection *coll = NULL;
        gchar *l;
        int r = collection_default(kc, &coll, err);

        if (r < 0)
                return r;
        l = secret_collection_get_label(coll);
        snprintf(label, labelsz, "%s", l && l[0] ? l : "default");
        g_free(l);
        *locked = secret_collection_get_locked(coll);
        g_object_unref(coll);
        return 0;
}

/* Unlocks an item or a collection through the service's own prompt: on a
 * desktop the user types the keyring password; with no way to prompt it
 * fails, and so do we (a locked keyring is not an absent one). */
static int unlock(keychain *kc, gpointer object, const char *what, cws_error *err)
{
        GList *objects = g_list_append(NULL, object);
        GError *e = NULL;
        gint n;
        call *c = call_new();
        int r = 0;

        secret_service_unlock(kc->service, objects, c->cancel, call_done, c);
        g_list_free(objects);
        if ((r = call_wait(kc, c, KEYCHAIN_PROMPT_MS, "unlocking the keyring", err)) < 0)
                return r;
        n = secret_service_unlock_finish(kc->service, c->res, NULL, &e);
        if (n < 1)
                r = cws_error_set(err, -EACCES,
                                  "%s: the keyring is locked and could not be unlocked (%s); "
                                  "unlock the keyring (log in to the desktop session, or run "
                                  "'gnome-keyring-daemon --unlock') and try again, or use "
                                  "--keychain=file", what,
                                  c->expired ? "no answer to the unlock prompt"
                                  : e ? e->message : "the prompt was dismissed");
        g_clear_error(&e);
        call_free(c);
        return r;
}

/* The item matching attrs, unlocked ones first; NULL when there is none. */
static int search(keychain *kc, const SecretSchema *schema, GHashTable *attrs, const char *what,
                  SecretItem **out, cws_error *err)
{
        GList *items, *l;
        GError *e = NULL;
        call *c;
        int r = need_service(kc, err);

        *out = NULL;
        if (r < 0)
                return r;
        c = call_new();
        secret_service_search(kc->service, schema, attrs, SECRET_SEARCH_ALL, c->cancel, call_done, c);
        if ((r = call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, what, err)) < 0)
                return r;
        items = secret_service_search_finish(kc->service, c->res, &e);
        if (e)
                return call_fail(err, c, e, what);
        call_free(c);
        for (l = items; l; l = l->next)
                if (!*out || (secret_item_get_locked(*out) && !secret_item_get_locked(l->data)))
                        *out = l->data;
        if (*out)
                g_object_ref(*out);
        g_list_free_full(items, g_object_unref);
        return 0;
}

/* The secret of item, unlocking it first if it must; the value is the
 * caller's to unref (libsecret keeps it in non-pageable memory and wipes
 * it on release). */
static int item_secret(keychain *kc, SecretItem *item, const char *what, SecretValue **out,
                       cws_error *err)
{
        GError *e = NULL;
        call *c;
        int r;

        if (secret_item_get_locked(item) && (r = unlock(kc, item, what, err)) < 0)
                return r;
        c = call_new();
        secret_item_load_secret(item, c->cancel, call_done, c);
        if ((r = call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, "reading the secret", err)) < 0)
                return r;
        if (!secret_item_load_secret_finish(item, c->res, &e))
                return call_fail(err, c, e, "reading the secret");
        call_free(c);
        *out = secret_item_get_secret(item);
        if (!*out)
                return cws_error_set(err, -EACCES, "%s: the Secret Service gave no secret (is the "
                                     "keyring locked?)", what);
        return 0;
}

/* Creates an item in the default collection (unlocking it if it must). */
static int create(keychain *kc, const SecretSchema *schema, GHashTable *attrs, const char *label,
                  const void *data, size_t len, const char *type, bool replace, const char *what,
                  cws_error *err)
{
        SecretCollection *coll = NULL;
        SecretValue *value;
        SecretItem *item;
        GError *e = NULL;
        call *c;
        int r = collection_default(kc, &coll, err);

        if (r < 0)
                return r;
        if (secret_collection_get_locked(coll) &&
            (r = unlock(kc, coll, "the default keyring", err)) < 0) {
                g_object_unref(coll);
                return r;
        }
        value = secret_value_new(data, (gssize)len, type);
        c = call_new();
        secret_item_create(coll, schema, attrs, label, value,
                           replace ? SECRET_ITEM_CREATE_REPLACE : SECRET_ITEM_CREATE_NONE, c->cancel,
                           call_done, c);
        secret_value_unref(value);
        g_object_unref(coll);
        if ((r = call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, what, err)) < 0)
                return r;
        item = secret_item_create_finish(c->res, &e);
        if (!item)
                return call_fail(err, c, e, what);
        g_object_unref(item);
        call_free(c);
        return 0;
}

static GHashTable *attrs_of(const char *attr, const char *value)
{
        GHashTable *a = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_insert(a, (gpointer)attr, (gpointer)value);
        return a;
}

/* Whether an item with attr = value exists, and whether it is locked. */
static int find(keychain *kc, const SecretSchema *schema, const char *attr, const char *value,
                const char *what, bool *found, bool *locked, cws_error *err)
{
        GHashTable *attrs = attrs_of(attr, value);
        SecretItem *item = NULL;
        int r = search(kc, schema, attrs, what, &item, err);

        g_hash_table_unref(attrs);
        *found = item != NULL;
        if (locked)
                *locked = item && secret_item_get_locked(item);
        if (item)
                g_object_unref(item);
        return r;
}

/* The secret of the item with attr = value: -ENOENT when there is none. */
static int lookup(keychain *kc, const SecretSchema *schema, const char *attr, const char *value,
                  const char *what, SecretValue **out, cws_error *err)
{
        GHashTable *attrs = attrs_of(attr, value);
        SecretItem *item = NULL;
        char looking[128];
        int r;

        snprintf(looking, sizeof(looking), "looking for %s", what);
        r = search(kc, schema, attrs, looking, &item, err);
        g_hash_table_unref(attrs);
        if (r < 0)
                return r;
        if (!item)
                return cws_error_set(err, -ENOENT, "the Secret Service holds no %s for %s",
                                     what + strlen("the "), value);
        r = item_secret(kc, item, what, out, err);
        g_object_unref(item);
        return r;
}

int keychain_admin_key_find(keychain *kc, const char *name, bool *found, bool *locked,
                            cws_error *err)
{
        return find(kc, &admin_schema, "keystore", name, "looking for the administrator key", found,
                    locked, err);
}

int keychain_admin_key_store(keychain *kc, const char *name, const char *public_line,
                             const uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err)
{
        GHashTable *attrs;
        char label[4200];
        bool found = false, locked = false;
        int r = keychain_admin_key_find(kc, name, &found, &locked, err);

        if (r < 0)
                return r;
        if (found)
                return cws_error_set(err, -EEXIST,
                                     "the Secret Service already holds an administrator key for "
                                     "%s; it was left as it is", name);
        snprintf(label, sizeof(label), "CloudWorkstation administrator key (%s)", name);
        attrs = attrs_of("keystore", name);
        g_hash_table_insert(attrs, (gpointer) "public_key", (gpointer)public_line);
        r = create(kc, &admin_schema, attrs, label, priv, CWS_ED25519_KEY_LEN,
                   "application/octet-stream", false, "storing the administrator key", err);
        g_hash_table_unref(attrs);
        return r;
}

int keychain_admin_key_load(keychain *kc, const char *name, uint8_t priv[CWS_ED25519_KEY_LEN],
                            cws_error *err)
{
        SecretValue *value = NULL;
        const gchar *data;
        gsize len = 0;
        int r = lookup(kc, &admin_schema, "keystore", name, "the administrator key", &value, err);

        if (r < 0)
                return r;
        data = secret_value_get(value, &len);
        if (len != CWS_ED25519_KEY_LEN)
                r = cws_error_set(err, -EBADMSG,
                                  "the Secret Service item for %s is not an administrator key "
                                  "(%zu bytes, not %d); remove it with seahorse or secret-tool",
                                  name, (size_t)len, CWS_ED25519_KEY_LEN);
        else
                memcpy(priv, data, CWS_ED25519_KEY_LEN);
        secret_value_unref(value);
        return r;
}

int keychain_credentials_find(keychain *kc, const char *registry, bool *found, cws_error *err)
{
        return find(kc, &credentials_schema, "registry", registry,
                    "looking for the registry credentials", found, NULL, err);
}

int keychain_credentials_store(keychain *kc, const char *registry, const char *data, size_t len,
                               cws_error *err)
{
        GHashTable *attrs;
        char label[4200];
        int r;

        if (len == 0 || len > KEYCHAIN_CREDENTIALS_MAX || memchr(data, '\0', len))
                return cws_error_set(err, -EINVAL,
                                     "registry credentials must be 1-%d bytes of text",
                                     KEYCHAIN_CREDENTIALS_MAX);
        snprintf(label, sizeof(label), "CloudWorkstation registry credentials (%s)", registry);
        attrs = attrs_of("registry", registry);
        r = create(kc, &credentials_schema, attrs, label, data, len, "text/plain", true,
                   "storing the registry credentials", err);
        g_hash_table_unref(attrs);
        return r;
}

int keychain_credentials_load(keychain *kc, const char *registry, char **data, size_t *len,
                              cws_error *err)
{
        SecretValue *value = NULL;
        const gchar *v;
        gsize n = 0;
        int r = lookup(kc, &credentials_schema, "registry", registry, "the registry credentials",
                       &value, err);

        if (r < 0)
                return r;
        v = secret_value_get(value, &n);
        if (n == 0 || n > KEYCHAIN_CREDENTIALS_MAX || memchr(v, '\0', n)) {
                r = cws_error_set(err, -EBADMSG,
                                  "the Secret Service item with the registry credentials for %s "
                                  "is not 1-%d bytes of text", registry, KEYCHAIN_CREDENTIALS_MAX);
        } else if (!(*data = malloc(n + 1))) {
                r = cws_error_set(err, -ENOMEM, "out of memory");
        } else {
                memcpy(*data, v, n);
                (*data)[n] = '\0';
                *len = n;
        }
        secret_value_unref(value);
        return r;
}
