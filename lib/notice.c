/* Revocation notices (cws/notice.h): the key format, the signed record
 * and the host's cursor. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cws/chain.h"
#include "cws/cleanup.h"
#include "cws/crypto.h"
#include "cws/notice.h"
#include "cws/safe_file.h"

#define NOTICE_TIME_DIGITS 20
#define NOTICE_RAND_DIGITS 16

int cws_notice_key(char out[CWS_KEY_MAX], int64_t at_us, uint64_t rnd)
{
        int n;

        if (at_us < 0)
                return -EINVAL;
        n = snprintf(out, CWS_KEY_MAX, CWS_NOTICE_PREFIX "/%020" PRId64 "-%016" PRIx64, at_us, rnd);
        return n > 0 && n < CWS_KEY_MAX ? 0 : -EINVAL;
}

int cws_notice_key_parse(const char *key, int64_t *at_us)
{
        static const char pfx[] = CWS_NOTICE_PREFIX "/";
        const char *s = key + sizeof(pfx) - 1;
        int64_t v = 0;

        if (strncmp(key, pfx, sizeof(pfx) - 1) != 0 ||
            strlen(s) != NOTICE_TIME_DIGITS + 1 + NOTICE_RAND_DIGITS || s[NOTICE_TIME_DIGITS] != '-')
                return -EINVAL;
        for (int i = 0; i < NOTICE_TIME_DIGITS; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        for (int i = NOTICE_TIME_DIGITS + 1; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return -EINVAL;
        *at_us = v;
        return 0;
}

int cws_notice_write(cws_registry *r, const char *inv_id, const char *device_id,
                     const uint8_t signer_priv[CWS_ED25519_KEY_LEN], int64_t now_us,
                     cws_error *err)
{
        _cleanup_free_ char *payload = NULL, *record = NULL;
        cws_notice n = { .at_us = now_us };
        char key[CWS_KEY_MAX];
        uint64_t rnd;
        int k;

        snprintf(n.inv_id, sizeof(n.inv_id), "%s", inv_id);
        snprintf(n.device_id, sizeof(n.device_id), "%s", device_id ? device_id : "");
        if (cws_random(&rnd, sizeof(rnd)) < 0 || cws_notice_key(key, now_us, rnd) < 0)
                return cws_error_set(err, -EIO, "cannot make a notice key");
        if (cws_notice_to_json(&n, &payload) < 0)
                return cws_error_set(err, -ENOMEM, "out of memory");
        k = cws_record_seal(CWS_REC_NOTICE, payload, signer_priv, &record, err);
        if (k < 0)
                return k;
        return cws_registry_put_create_only(r, key, record, strlen(record), err);
}

int cws_notice_read(cws_registry *r, const cws_trust *t, const char *key, int64_t now,
                    cws_notice *n, cws_error *err)
{
        _cleanup_free_ char *payload = NULL;
        uint8_t signer[CWS_ED25519_KEY_LEN];
        cws_reason why = CWS_R_INTERNAL_ERROR;
        cws_chain chain;
        int64_t at_us;
        int k;

        if (cws_notice_key_parse(key, &at_us) < 0)
                return cws_error_set(err, -EBADMSG, "%s: not a notice key", key);
        k = cws_registry_get_record(r, key, CWS_REC_NOTICE, signer, &payload, err);
        if (k < 0)
                return k;
        if (cws_notice_from_json(payload, n, err) < 0)
                return -EBADMSG;
        /* Moved or re-dated copies are someone else's work. */
        if (n->at_us != at_us)
                return cws_error_set(err, -EBADMSG, "%s: the notice's time is not its key's", key);
        if (cws_trust_contains(t, signer))
                return 0;
        /* Expired or revoked is still a verified chain. */
        k = cws_chain_fetch(r, t, n->inv_id, now, &chain, &why, err);
        if (k < 0 && !(why == CWS_R_INVITATION_EXPIRED || why == CWS_R_INVITATION_REVOKED))
                return k;
        for (unsigned i = 0; i < chain.n; i++)
                if (cws_ct_equal(chain.inv[i].pubkey, signer, CWS_ED25519_KEY_LEN))
                        return 0;
        return cws_error_set(err, -EPERM, "%s: signed by a key that may not revoke %s", key,
                             n->inv_id);
}

static int cursor_path(const char *state_dir, char *out, size_t n, cws_error *err)
{
        if ((size_t)snprintf(out, n, "%s/" CWS_NOTICE_CURSOR, state_dir) >= n)
                return cws_error_set(err, -ENAMETOOLONG, "%s: path too long", state_dir);
        return 0;
}

int cws_notice_cursor_read(const char *state_dir, char out[CWS_KEY_MAX], cws_error *err)
{
        _cleanup_free_ char *buf = NULL;
        char path[4200];
        size_t len;
        int64_t at;
        int r = cursor_path(state_dir, path, sizeof(path), err);

        if (r < 0)
                return r;
        r = cws_file_read_checked(path, CWS_KEY_MAX, 0, &buf, &len, err);
        if (r < 0)
                return r;
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        if (len >= CWS_KEY_MAX || cws_notice_key_parse(buf, &at) < 0)
                return cws_error_set(err, -EBADMSG, "%s: not a notice key; remove it and the "
                                     "monitor starts again from now", path);
        memcpy(out, buf, len + 1);
        return 0;
}

int cws_notice_cursor_write(const char *state_dir, const char *key, cws_error *err)
{
        char path[4200], line[CWS_KEY_MAX + 1];
        int64_t at;
        int n, r = cursor_path(state_dir, path, sizeof(path), err);

        if (r < 0)
                return r;
        if (cws_notice_key_parse(key, &at) < 0)
                return cws_error_set(err, -EINVAL, "%s: not a notice key", key);
        n = snprintf(line, sizeof(line), "%s\n", key);
        /* Not durable: after a crash an older cursor only re-reads notices. */
        return cws_file_replace(path, line, (size_t)n, 0644, false, err);
}
