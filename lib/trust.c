/* The pinned administrator keys (trusted_keys). A line we do not understand
 * is an error, never skipped: a typo must not silently drop a pin. */
#include <errno.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/safe_file.h"
#include "cws/trust.h"
#include "cws/cleanup.h"

#define TRUST_MAX_FILE (64 * 1024)
#define TRUST_KEY_TYPE "ed25519"

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Parses one line (NUL-terminated, without its newline) into t. */
static int parse_line(const char *path, unsigned lineno, const char *line, cws_trust *t,
                      cws_error *err)
{
        uint8_t key[CWS_ED25519_KEY_LEN + 1];
        char tok[64];
        size_t n, got = 0;
        const char *s = line;

        while (is_blank(*s))
                s++;
        if (*s == '\0' || *s == '#')
                return 0;
        n = strcspn(s, " \t");
        if (n != strlen(TRUST_KEY_TYPE) || strncmp(s, TRUST_KEY_TYPE, n) != 0)
                return cws_error_set(err, -EINVAL,
                                     "%s:%u: unknown line; expected 'ed25519 <base64url key> "
                                     "[comment]' or a '#' comment", path, lineno);
        s += n;
        while (is_blank(*s))
                s++;
        n = strcspn(s, " \t");
        if (n == 0 || n >= sizeof(tok))
                return cws_error_set(err, -EINVAL,
                                     "%s:%u: missing or overlong key after 'ed25519'; expected "
                                     "43 base64url characters", path, lineno);
        memcpy(tok, s, n);
        tok[n] = '\0';
        /* One spare byte so a longer key shows up as the wrong length. */
        if (cws_b64url_decode(tok, key, sizeof(key), &got) < 0 || got != CWS_ED25519_KEY_LEN)
                return cws_error_set(err, -EINVAL,
                                     "%s:%u: '%s' is not a base64url Ed25519 public key "
                                     "(32 bytes, 43 characters)", path, lineno, tok);
        if (t->n >= CWS_TRUST_MAX)
                return cws_error_set(err, -E2BIG,
                                     "%s:%u: more than %d trusted keys; remove the ones no "
                                     "longer in use", path, lineno, CWS_TRUST_MAX);
        memcpy(t->keys[t->n++], key, CWS_ED25519_KEY_LEN);
        return 0;
}

int cws_trust_load(const char *path, cws_trust *t, cws_error *err)
{
        _cleanup_free_ char *buf = NULL;
        cws_trust tmp = { 0 };
        unsigned lineno = 0;
        size_t len = 0;
        char *line, *next;
        int r;

        memset(t, 0, sizeof(*t));
        r = cws_file_read_checked(path, TRUST_MAX_FILE, CWS_FILE_PARENTS, &buf, &len, err);
        if (r < 0)
                return r;
        if (strlen(buf) != len)
                return cws_error_set(err, -EINVAL, "%s: contains a NUL byte; not a trusted_keys "
                                     "file", path);
        for (line = buf; *line; line = next) {
                char *nl = strchr(line, '\n');
                if (nl) {
                        *nl = '\0';
                        next = nl + 1;
                } else
                        next = line + strlen(line);
                lineno++;
                r = parse_line(path, lineno, line, &tmp, err);
                if (r < 0)
                        return r;
        }
        *t = tmp;
        return 0;
}

bool cws_trust_contains(const cws_trust *t, const uint8_t pub[CWS_ED25519_KEY_LEN])
{
        bool found = false;

        if (!t)
                return false;
        /* No early exit: which key matched (or how many were compared)
         * should not show in the timing. */
        for (unsigned i = 0; i < t->n && i < CWS_TRUST_MAX; i++)
                found |= cws_ct_equal(t->keys[i], pub, CWS_ED25519_KEY_LEN);
        return found;
}

int cws_trust_format_key(const uint8_t pub[CWS_ED25519_KEY_LEN], char *out, size_t outsz)
{
        const size_t prefix = sizeof(TRUST_KEY_TYPE " ") - 1;

        if (outsz < prefix + cws_b64url_encoded_len(CWS_ED25519_KEY_LEN) + 1)
                return -ENOBUFS;
        memcpy(out, TRUST_KEY_TYPE " ", prefix);
        return cws_b64url_encode(pub, CWS_ED25519_KEY_LEN, out + prefix, outsz - prefix);
}
