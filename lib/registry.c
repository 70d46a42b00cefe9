/* The registry storage interface: key checks, the key layout and dispatch
 * to a backend. Nothing here trusts what the store returns; the readers
 * of records (chain.c, slot.c, revoke.c, ...) verify every one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/record.h"
#include "cws/registry.h"

bool cws_registry_key_valid(const char *key)
{
        size_t seg = 0, n = strnlen(key, CWS_KEY_MAX);

        if (n == 0 || n >= CWS_KEY_MAX || key[0] == '/')
                return false;
        for (size_t i = 0; i <= n; i++) {
                char c = key[i];
                if (c == '/' || c == '\0') {
                        if (seg == 0 || (seg == 1 && key[i - 1] == '.') ||
                            (seg == 2 && key[i - 1] == '.' && key[i - 2] == '.'))
                                return false;
                        seg = 0;
                        continue;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
                seg++;
        }
        return true;
}

static int key_fmt(char out[CWS_KEY_MAX], int n)
{
        if (n < 0 || n >= CWS_KEY_MAX || !cws_registry_key_valid(out))
                return -EINVAL;
        return 0;
}

int cws_key_invitation(char out[CWS_KEY_MAX], const char *inv)
{
        if (!cws_id_valid("inv", inv))
                return -EINVAL;
        return key_fmt(out, snprintf(out, CWS_KEY_MAX, "inv/%s/invitation", inv));
}

int cws_key_invitation_revoked(char out[CWS_KEY_MAX], const char *inv)
{
        if (!cws_id_valid("inv", inv))
                return -EINVAL;
        return key_fmt(out, snprintf(out, CWS_KEY_MAX, "inv/%s/revoked", inv));
}

int cws_key_slot(char out[CWS_KEY_MAX], const char *inv, unsigned slot, unsigned gen)
{
        if (!cws_id_valid("inv", inv) || slot < 1 || slot > CWS_MAX_DEVICES)
                return -EINVAL;
        return key_fmt(out, snprintf(out, CWS_KEY_MAX, "inv/%s/slot/%u/%u", inv, slot, gen));
}

int cws_key_device_revoked(char out[CWS_KEY_MAX], const char *inv, const char *dev)
{
        if (!cws_id_valid("inv", inv) || !cws_id_valid("dev", dev))
                return -EINVAL;
        return key_fmt(out, snprintf(out, CWS_KEY_MAX, "inv/%s/device-revoked/%s", inv, dev));
}

int cws_registry_open(const char *url, cws_registry **out, cws_error *err)
{
        if (strncmp(url, "file://", 7) == 0)
                return cws_registry_file_open(url + 7, out, err);
        if (url[0] == '/')
                return cws_registry_file_open(url, out, err);
        return cws_error_set(err, -EPROTONOSUPPORT,
                             "registry URL '%s': unsupported scheme (use file:///PATH)", url);
}

void cws_registry_free(cws_registry *r)
{
        if (r)
                r->ops->free(r);
}

int cws_registry_get(cws_registry *r, const char *key, char **data, size_t *len, cws_error *err)
{
        if (!cws_registry_key_valid(key))
                return cws_error_set(err, -EINVAL, "invalid registry key");
        return r->ops->get(r, key, data, len, err);
}

int cws_registry_put_create_only(cws_registry *r, const char *key, const void *data, size_t len,
                                 cws_error *err)
{
        if (!cws_registry_key_valid(key))
                return cws_error_set(err, -EINVAL, "invalid registry key");
        if (len > CWS_RECORD_MAX)
                return cws_error_set(err, -EFBIG, "%s: record too large", key);
        return r->ops->put_create_only(r, key, data, len, err);
}

int cws_registry_list(cws_registry *r, const char *prefix, char ***keys, size_t *n,
                      cws_error *err)
{
        if (!cws_registry_key_valid(prefix))
                return cws_error_set(err, -EINVAL, "invalid registry prefix");
        return r->ops->list(r, prefix, keys, n, err);
}

int cws_registry_list_after(cws_registry *r, const char *prefix, const char *after, char ***keys,
                            size_t *n, cws_error *err)
{
        size_t pl = strlen(prefix), kept = 0;
        int k;

        if (!cws_registry_key_valid(prefix))
                return cws_error_set(err, -EINVAL, "invalid registry prefix");
        if (!cws_registry_key_valid(after) || strncmp(after, prefix, pl) != 0 || after[pl] != '/')
                return cws_error_set(err, -EINVAL, "invalid key to list after");
        if (r->ops->list_after)
                return r->ops->list_after(r, prefix, after, keys, n, err);
        k = r->ops->list(r, prefix, keys, n, err);
        if (k < 0)
                return k;
        for (size_t i = 0; i < *n; i++) {
                if (strcmp((*keys)[i], after) > 0)
                        (*keys)[kept++] = (*keys)[i];
                else
                        free((*keys)[i]);
        }
        *n = kept;
        return 0;
}

void cws_registry_versions_free(cws_registry_versions *v)
{
        for (size_t i = 0; i < v->n && i < CWS_REGISTRY_VERSIONS_MAX; i++)
                free(v->data[i]);
        memset(v, 0, sizeof(*v));
}

int cws_registry_get_versions(cws_registry *r, const char *key, cws_registry_versions *v,
                              cws_error *err)
{
        int k;

        memset(v, 0, sizeof(*v));
        if (!cws_registry_key_valid(key))
                return cws_error_set(err, -EINVAL, "invalid registry key");
        if (r->ops->get_versions) {
                k = r->ops->get_versions(r, key, v, err);
                if (k < 0)
                        cws_registry_versions_free(v);
                return k;
        }
        /* One version at most: the current one. */
        k = r->ops->get(r, key, &v->data[0], &v->len[0], err);
        if (k == -ENOENT)
                return 0;
        if (k == -EFBIG) {
                v->n = 1;       /* there, but never a record */
                return 0;
        }
        if (k < 0)
                return k;
        v->n = 1;
        return 0;
}

int cws_registry_put_locked(cws_registry *r, const char *key, const void *data, size_t len,
                            int64_t retain_until, cws_error *err)
{
        if (!cws_registry_key_valid(key))
                return cws_error_set(err, -EINVAL, "invalid registry key");
        if (len > CWS_RECORD_MAX)
                return cws_error_set(err, -EFBIG, "%s: record too large", key);
        if (r->ops->put_locked)
                return r->ops->put_locked(r, key, data, len, retain_until, err);
        return r->ops->put_create_only(r, key, data, len, err);
}

int cws_registry_check_object_lock(cws_registry *r, cws_error *err)
{
        if (!r->ops->check_object_lock)
                return cws_error_set(err, -EOPNOTSUPP, "registry %s: no object lock on this backend",
                                     r->url);
        return r->ops->check_object_lock(r, err);
}

void cws_strv_free(char **v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int cws_registry_get_record(cws_registry *r, const char *key, cws_record_kind kind,
                            uint8_t signer[CWS_ED25519_KEY_LEN], char **payload, cws_error *err)
{
        char *data = NULL;
        size_t len = 0;
        int k = cws_registry_get(r, key, &data, &len, err);

        if (k < 0)
                return k;
        k = cws_record_unseal(kind, data, len, signer, payload, err);
        free(data);
        return k;
}

static int strcmp_p(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void cws_strv_sort(char **v, size_t n)
{
        if (n > 1)
                qsort(v, n, sizeof(*v), strcmp_p);
}
