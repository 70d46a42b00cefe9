/* The agent protocol between cwsd and its clients (pam_cws.so and the
 * helpers): one SOCK_SEQPACKET message per request and per reply, each a
 * list of "key=value\n" lines. Keys are [a-z_]{1,32}; values are 0..1024
 * bytes with no NUL, CR or LF. No JSON, so the PAM module needs no JSON
 * library. Decoding is strict: malformed, duplicate or oversized fields are
 * -EBADMSG. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "cws/error.h"

#define CWS_MSG_MAX 8192
#define CWS_MSG_FIELDS 32
#define CWS_MSG_KEY_MAX 32
#define CWS_MSG_VALUE_MAX 1024

typedef struct cws_msg {
        size_t n;
        size_t used;
        const char *key[CWS_MSG_FIELDS];
        const char *value[CWS_MSG_FIELDS];
        char buf[CWS_MSG_MAX + CWS_MSG_FIELDS * 2];
} cws_msg;

void cws_msg_init(cws_msg *m);
/* -EINVAL for a bad key or value, -EEXIST for a duplicate key, -E2BIG when
 * the message would exceed CWS_MSG_MAX or CWS_MSG_FIELDS. */
int cws_msg_add(cws_msg *m, const char *key, const char *value);
int cws_msg_addf(cws_msg *m, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* NULL when absent. */
const char *cws_msg_get(const cws_msg *m, const char *key);
/* The uid at key: decimal digits only, below (uid_t)-1. -ENOENT absent,
 * -EINVAL anything else. */
int cws_msg_get_uid(const cws_msg *m, const char *key, uid_t *uid);
/* m has exactly the keys keys[0..n) (decode already refuses a key twice):
 * for stored forms read back (the cache), as cws/json_reader.h is for JSON.
 * 0, or -EBADMSG with *bad (may be NULL) the key missing or unknown. */
int cws_msg_keys_exact(const cws_msg *m, const char *const *keys, size_t n, const char **bad);

/* Wire form: encode returns the length written, or -E2BIG. */
int cws_msg_encode(const cws_msg *m, char *out, size_t outsz, size_t *len);
int cws_msg_decode(cws_msg *m, const void *data, size_t len);

/* One message over a SOCK_SEQPACKET socket. recv waits at most timeout_ms
 * (-ETIMEDOUT); a truncated datagram is -EBADMSG; orderly close -ECONNRESET. */
int cws_msg_send(int fd, const cws_msg *m);
int cws_msg_recv(int fd, cws_msg *m, int timeout_ms);

/* Connects to the agent socket, refusing one not owned by a trusted owner
 * and checking the peer's SO_PEERCRED uid is trusted. Bounded by
 * timeout_ms. Returns the fd. */
int cws_agent_connect(const char *path, int timeout_ms, cws_error *err);

/* connect + send + recv with one overall bound. */
int cws_agent_call(const char *path, const cws_msg *req, cws_msg *resp, int timeout_ms,
                   cws_error *err);

/* connect + send, no answer awaited: a note cwsd acts on even after the
 * sender has closed (a SEQPACKET datagram queued before the close is still
 * read). 0 once the datagram is in cwsd's socket buffer. */
int cws_agent_notify(const char *path, const cws_msg *req, int timeout_ms, cws_error *err);
