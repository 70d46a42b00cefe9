/* The Secret Service keychain's items: the administrator key and the
 * registry credentials (calls: keychain.c). The service is never asked to
 * prompt except to unlock; nothing secret is ever put in a message. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keychain_service.h"

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

static int collection_default(keychain *kc, SecretCollection **out, cws_error *err)
{
        GError *e = NULL;
        keychain_call *c;
        int r = keychain_call_begin(kc, &c, err);

        if (r < 0)
                return r;
        secret_collection_for_alias(kc->service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                                    c->cancel, keychain_call_done, c);
        if ((r = keychain_call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, "looking up the default keyring",
                                    err)) < 0)
                return r;
        *out = secret_collection_for_alias_finish(c->res, &e);
        if (e)
                return keychain_call_fail(err, c, e, "looking up the default keyring");
        if (!*out)
                r = cws_error_set(err, -ENOENT,
                                  "the Secret Service has no default keyring (log in to the "
                                  "desktop session once to create it), or use --keychain=file");
        keychain_call_free(c);
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
        keychain_call *c = keychain_call_new();
        int r = 0;

        secret_service_unlock(kc->service, objects, c->cancel, keychain_call_done, c);
        g_list_free(objects);
        if ((r = keychain_call_wait(kc, c, KEYCHAIN_PROMPT_MS, "unlocking the keyring", err)) < 0)
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
        keychain_call_free(c);
        return r;
}

/* The item matching attrs, unlocked ones first; NULL when there is none. */
static int search(keychain *kc, const SecretSchema *schema, GHashTable *attrs, const char *what,
                  SecretItem **out, cws_error *err)
{
        GList *items, *l;
        GError *e = NULL;
        keychain_call *c;
        int r;

        *out = NULL;
        if ((r = keychain_call_begin(kc, &c, err)) < 0)
                return r;
        secret_service_search(kc->service, schema, attrs, SECRET_SEARCH_ALL, c->cancel,
                              keychain_call_done, c);
        if ((r = keychain_call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, what, err)) < 0)
                return r;
        items = secret_service_search_finish(kc->service, c->res, &e);
        if (e)
                return keychain_call_fail(err, c, e, what);
        keychain_call_free(c);
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
        keychain_call *c;
        int r;

        if (secret_item_get_locked(item) && (r = unlock(kc, item, what, err)) < 0)
                return r;
        c = keychain_call_new();
        secret_item_load_secret(item, c->cancel, keychain_call_done, c);
        if ((r = keychain_call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, "reading the secret", err)) < 0)
                return r;
        if (!secret_item_load_secret_finish(item, c->res, &e))
                return keychain_call_fail(err, c, e, "reading the secret");
        keychain_call_free(c);
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
        keychain_call *c;
        int r = collection_default(kc, &coll, err);

        if (r < 0)
                return r;
        if (secret_collection_get_locked(coll) &&
            (r = unlock(kc, coll, "the default keyring", err)) < 0) {
                g_object_unref(coll);
                return r;
        }
        value = secret_value_new(data, (gssize)len, type);
        c = keychain_call_new();
        secret_item_create(coll, schema, attrs, label, value,
                           replace ? SECRET_ITEM_CREATE_REPLACE : SECRET_ITEM_CREATE_NONE,
                           c->cancel, keychain_call_done, c);
        secret_value_unref(value);
        g_object_unref(coll);
        if ((r = keychain_call_wait(kc, c, KEYCHAIN_TIMEOUT_MS, what, err)) < 0)
                return r;
        item = secret_item_create_finish(c->res, &e);
        if (!item)
                return keychain_call_fail(err, c, e, what);
        g_object_unref(item);
        keychain_call_free(c);
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
