/* The one strict JSON reader (json-c) for everything read back from disk
 * or from the registry: registry records and their envelope, sealed
 * bindings. One document, one top-level object, bounded in size and depth,
 * strict grammar, no key twice in any object, exactly the keys its table
 * declares, and typed getters whose errors name the object and the field.
 * Not for pam_cws.so: the module never links json-c (see the Makefile at
 * $(MODULE)); its own input (the cache) is key=value (cws/protocol.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "cws/cleanup.h"
#include "cws/error.h"

/* One key of an object type: a table of these per type is the whole set;
 * any other key is refused, and a required one must be there. */
typedef struct cws_json_key {
        const char *name;
        bool optional;
} cws_json_key;

/* An object of a parsed document with the name errors give it
 * ("device record", "binding fingerprint"). Borrowed from its document. */
typedef struct cws_json_obj {
        json_object *o;
        const char *what;
} cws_json_obj;

/* Parses data[0..len) as exactly one JSON object (json-c's strict mode;
 * white space may follow it, json-c's tokener takes that in), at most
 * max_len bytes, nesting at most max_depth, no NUL byte, no key twice in
 * any object. -EBADMSG "<what> is not valid JSON (...)" when not;
 * -ENOMEM. *out is the document's root, freed with json_object_put (or
 * cws_json_put_wiped when it holds secrets). */
int cws_json_parse(const char *data, size_t len, size_t max_len, int max_depth, const char *what,
                   json_object **out, cws_error *err);

/* The object has every required key of keys[0..n) and no other key. */
int cws_json_keys(cws_json_obj o, const cws_json_key *keys, size_t n, cws_error *err);

/* Typed getters of a required field; -EBADMSG "malformed <what>: field
 * \"<key>\" ..." says what is wrong with it (missing, type, length, range). */
int cws_json_string(cws_json_obj o, const char *key, char *buf, size_t size, cws_error *err);
int cws_json_int64(cws_json_obj o, const char *key, int64_t min, int64_t max, int64_t *out,
                   cws_error *err);
int cws_json_bool(cws_json_obj o, const char *key, bool *out, cws_error *err);
/* A base64url string that decodes to exactly len bytes (wiped on the way). */
int cws_json_b64(cws_json_obj o, const char *key, void *buf, size_t len, cws_error *err);
/* A field that is an object with exactly the keys of its table. */
int cws_json_object(cws_json_obj o, const char *key, const char *what, const cws_json_key *keys,
                    size_t n, cws_json_obj *out, cws_error *err);
/* A field that is an array of at most max elements. */
int cws_json_array(cws_json_obj o, const char *key, size_t max, json_object **out, size_t *n,
                   cws_error *err);
/* Element i of an array field that must be a string of exactly len bytes. */
int cws_json_array_string(cws_json_obj o, const char *key, json_object *arr, size_t i, char *buf,
                          size_t len, cws_error *err);

/* The writers' add: takes v (NULL when its constructor failed) and frees
 * it when it cannot be added. 0 or -ENOMEM. */
int cws_json_add(json_object *o, const char *key, json_object *v);

/* Frees a document after overwriting every string in it: json-c keeps
 * its own copies of the secrets. */
void cws_json_put_wiped(json_object *o);

CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, cws_json_put_wiped);
CWS_DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);
