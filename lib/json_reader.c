/* The strict JSON reader (cws/json_reader.h) on top of json-c. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/types.h>
#include "cws/base64.h"
#include "cws/json_reader.h"

#define B64_FIELD_MAX 256       /* encoded; the longest blob we read is 64 bytes */

/* Name separators in the text: after a strict parse every ':' outside a
 * string is one, so this is the number of members a parse that kept
 * duplicated keys would have. -1 for a single quote outside a string:
 * json-c 0.16 takes 'strings' even in strict mode, and they would hide
 * separators from this count. */
static ssize_t text_members(const char *s, size_t len)
{
        ssize_t n = 0;
        bool in_string = false;

        for (size_t i = 0; i < len; i++) {
                if (in_string) {
                        if (s[i] == '\\')
                                i++;
                        else if (s[i] == '"')
                                in_string = false;
                } else if (s[i] == '"') {
                        in_string = true;
                } else if (s[i] == '\'') {
                        return -1;
                } else if (s[i] == ':') {
                        n++;
                }
        }
        return n;
}

/* Members of every object in the tree. json-c's tokener adds each member
 * with json_object_object_add, which replaces a key already there, and has
 * no flag against it: fewer members here than separators in the text means
 * a key came twice. */
static size_t tree_members(json_object *o)
{
        size_t n = 0;

        if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, k, v) {
                        (void)k;
                        n += 1 + tree_members(v);
                }
        } else if (json_object_is_type(o, json_type_array)) {
                size_t len = json_object_array_length(o);
                for (size_t i = 0; i < len; i++)
                        n += tree_members(json_object_array_get_idx(o, i));
        }
        return n;
}

int cws_json_parse(const char *data, size_t len, size_t max_len, int max_depth, const char *what,
                   json_object **out, cws_error *err)
{
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *why = NULL;
        enum json_tokener_error jerr;
        ssize_t members;
        size_t end = 0;

        *out = NULL;
        if (len == 0)
                why = "empty";
        else if (len > max_len || len > INT_MAX)
                why = "too large";
        else if (memchr(data, '\0', len))
                why = "a NUL byte";
        if (why)
                return cws_error_set(err, -EBADMSG, "%s is not valid JSON (%s)", what, why);
        tok = json_tokener_new_ex(max_depth);
        if (!tok)
                return cws_error_set(err, -ENOMEM, "%s: out of memory", what);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, data, (int)len);
        jerr = json_tokener_get_error(tok);
        if (jerr == json_tokener_continue)
                why = "incomplete";   /* also a bare number or literal: json-c waits for more */
        else if (jerr != json_tokener_success)
                why = json_tokener_error_desc(jerr);
        else if ((end = json_tokener_get_parse_end(tok)) != len)
                why = "bytes after the object";
        else if (!json_object_is_type(o, json_type_object))
                why = "not an object";     /* "null" parses to NULL */
        members = why ? 0 : text_members(data, end);
        if (!why && members < 0)
                why = "a single-quoted string";
        if (!why && (size_t)members != tree_members(o))
                why = "a key appears twice in an object";
        if (why)
                return cws_error_set(err, -EBADMSG, "%s is not valid JSON (%s)", what, why);
        *out = TAKE_PTR(o);
        return 0;
}

int cws_json_keys(cws_json_obj o, const cws_json_key *keys, size_t n, cws_error *err)
{
        for (size_t i = 0; i < n; i++)
                if (!keys[i].optional && !json_object_object_get_ex(o.o, keys[i].name, NULL))
                        return cws_error_set(err, -EBADMSG, "malformed %s: field \"%s\" is missing",
                                             o.what, keys[i].name);
        json_object_object_foreach(o.o, k, v) {
                size_t i = 0;

                (void)v;
                while (i < n && strcmp(keys[i].name, k) != 0)
                        i++;
                if (i == n)
                        return cws_error_set(err, -EBADMSG,
                                             "malformed %s: unknown field \"%.32s\"", o.what, k);
        }
        return 0;
}

static const char *type_name(json_type t)
{
        switch (t) {
        case json_type_string: return "a string";
        case json_type_int: return "an integer";
        case json_type_boolean: return "true or false";
        case json_type_object: return "an object";
        case json_type_array: return "an array";
        default: return "another type";
        }
}

static int field(cws_json_obj o, const char *key, json_type t, json_object **v, cws_error *err)
{
        if (!json_object_object_get_ex(o.o, key, v))
                return cws_error_set(err, -EBADMSG, "malformed %s: field \"%s\" is missing", o.what,
                                     key);
        if (!json_object_is_type(*v, t))
                return cws_error_set(err, -EBADMSG, "malformed %s: field \"%s\" is not %s", o.what,
                                     key, type_name(t));
        return 0;
}

/* A string value without an embedded NUL, shorter than size. */
static int string_value(cws_json_obj o, const char *key, json_object *v, size_t size,
                        const char **s, size_t *n, cws_error *err)
{
        *s = json_object_get_string(v);
        *n = (size_t)json_object_get_string_len(v);
        if (!*s || strlen(*s) != *n)
                return cws_error_set(err, -EBADMSG, "malformed %s: field \"%s\" holds a NUL byte",
                                     o.what, key);
        if (*n >= size)
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: field \"%s\" is longer than %zu bytes", o.what,
                                     key, size - 1);
        return 0;
}

int cws_json_string(cws_json_obj o, const char *key, char *buf, size_t size, cws_error *err)
{
        json_object *v;
        const char *s;
        size_t n;
        int r;

        if ((r = field(o, key, json_type_string, &v, err)) < 0 ||
            (r = string_value(o, key, v, size, &s, &n, err)) < 0)
                return r;
        memcpy(buf, s, n + 1);
        return 0;
}

int cws_json_int64(cws_json_obj o, const char *key, int64_t min, int64_t max, int64_t *out,
                   cws_error *err)
{
        json_object *v;
        int64_t x;
        int r = field(o, key, json_type_int, &v, err);

        if (r < 0)
                return r;
        /* json-c clamps what does not fit and says so in errno. */
        errno = 0;
        x = json_object_get_int64(v);
        if (errno || x < min || x > max)
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: field \"%s\" is out of range %lld..%lld",
                                     o.what, key, (long long)min, (long long)max);
        *out = x;
        return 0;
}

int cws_json_bool(cws_json_obj o, const char *key, bool *out, cws_error *err)
{
        json_object *v;
        int r = field(o, key, json_type_boolean, &v, err);

        if (r < 0)
                return r;
        *out = json_object_get_boolean(v);
        return 0;
}

int cws_json_b64(cws_json_obj o, const char *key, void *buf, size_t len, cws_error *err)
{
        uint8_t tmp[B64_FIELD_MAX];
        json_object *v;
        const char *s;
        size_t n = 0, slen;
        int r;

        if ((r = field(o, key, json_type_string, &v, err)) < 0 ||
            (r = string_value(o, key, v, B64_FIELD_MAX, &s, &slen, err)) < 0)
                return r;
        r = len <= sizeof(tmp) ? cws_b64url_decode(s, tmp, sizeof(tmp), &n) : -EINVAL;
        if (r < 0 || n != len) {
                cws_wipe(tmp, sizeof(tmp));
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: field \"%s\" is not base64url of %zu bytes",
                                     o.what, key, len);
        }
        memcpy(buf, tmp, len);
        cws_wipe(tmp, sizeof(tmp));
        return 0;
}

int cws_json_object(cws_json_obj o, const char *key, const char *what, const cws_json_key *keys,
                    size_t n, cws_json_obj *out, cws_error *err)
{
        json_object *v;
        int r = field(o, key, json_type_object, &v, err);

        if (r < 0)
                return r;
        out->o = v;
        out->what = what;
        return cws_json_keys(*out, keys, n, err);
}

int cws_json_array(cws_json_obj o, const char *key, size_t max, json_object **out, size_t *n,
                   cws_error *err)
{
        int r = field(o, key, json_type_array, out, err);

        if (r < 0)
                return r;
        *n = json_object_array_length(*out);
        if (*n > max)
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: field \"%s\" has %zu elements (at most %zu)",
                                     o.what, key, *n, max);
        return 0;
}

int cws_json_array_string(cws_json_obj o, const char *key, json_object *arr, size_t i, char *buf,
                          size_t len, cws_error *err)
{
        json_object *v = json_object_array_get_idx(arr, i);
        const char *s;
        size_t n;
        int r;

        if (!json_object_is_type(v, json_type_string))
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: element %zu of \"%s\" is not a string", o.what,
                                     i, key);
        r = string_value(o, key, v, len + 1, &s, &n, err);
        if (r < 0)
                return r;
        if (n != len)
                return cws_error_set(err, -EBADMSG,
                                     "malformed %s: element %zu of \"%s\" is not %zu bytes long",
                                     o.what, i, key, len);
        memcpy(buf, s, n + 1);
        return 0;
}

int cws_json_add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static void wipe_strings(json_object *o)
{
        if (json_object_is_type(o, json_type_string)) {
                cws_wipe((char *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
        } else if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, k, v) {
                        (void)k;
                        wipe_strings(v);
                }
        } else if (json_object_is_type(o, json_type_array)) {
                size_t len = json_object_array_length(o);
                for (size_t i = 0; i < len; i++)
                        wipe_strings(json_object_array_get_idx(o, i));
        }
}

void cws_json_put_wiped(json_object *o)
{
        if (o) {
                wipe_strings(o);
                json_object_put(o);
        }
}
