/* Invitation rules: what a record may say, and what a child may say given
 * its parent. The seed clamped some of these and forgot the rest; here each
 * is a refusal with its own message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cws/base64.h"
#include "cws/crypto.h"
#include "cws/invitation.h"

#define DAY (24 * 60 * 60)

void cws_invitation_defaults(cws_invitation *inv, cws_inv_type type, int64_t now)
{
        memset(inv, 0, sizeof(*inv));
        inv->type = type;
        inv->can_invite = type == CWS_TYPE_ADMIN;
        inv->transferable = false;
        inv->device_bound = true;
        inv->max_devices = 1;
        inv->created_at = now;
        inv->expires_at = now + 30 * DAY;
}

int cws_invitation_check(const cws_invitation *inv, cws_error *err)
{
        if (!cws_name_valid(inv->name, sizeof(inv->name)))
                return cws_error_set(err, -EINVAL,
                                     "invalid profile name '%s' (1-63 of A-Z a-z 0-9 . _ @ -)",
                                     inv->name);
        if (inv->type < CWS_TYPE_READ_ONLY || inv->type > CWS_TYPE_ADMIN)
                return cws_error_set(err, -EINVAL, "invalid invitation type");
        if (inv->max_devices < 1 || inv->max_devices > CWS_MAX_DEVICES)
                return cws_error_set(err, -EINVAL, "max_devices must be 1-%d, not %u",
                                     CWS_MAX_DEVICES, inv->max_devices);
        if (inv->expires_at <= inv->created_at)
                return cws_error_set(err, -EINVAL, "invitation expires before it is created");
        return 0;
}

int cws_invitation_check_child(const cws_invitation *parent, const cws_invitation *child,
                               int64_t now, cws_error *err)
{
        const char *p = parent->id, *c = child->id;

        if (strcmp(child->parent, parent->id) != 0)
                return cws_error_set(err, -EPERM, "%s does not name %s as its parent", c, p);
        if (!parent->can_invite)
                return cws_error_set(err, -EPERM, "%s may not invite: parent %s has can_invite off",
                                     c, p);
        if (parent->expires_at <= now)
                return cws_error_set(err, -EPERM, "%s is under expired parent %s", c, p);
        if (child->type > parent->type)
                return cws_error_set(err, -EPERM, "%s: type %s exceeds parent %s type %s", c,
                                     cws_inv_type_to_string(child->type), p,
                                     cws_inv_type_to_string(parent->type));
        if (child->max_devices > parent->max_devices)
                return cws_error_set(err, -EPERM, "%s: max_devices %u exceeds parent's %u", c,
                                     child->max_devices, parent->max_devices);
        if (child->expires_at > parent->expires_at)
                return cws_error_set(err, -EPERM, "%s expires after its parent %s", c, p);
        if (child->transferable && !parent->transferable)
                return cws_error_set(err, -EPERM, "%s: transferable but parent %s is not", c, p);
        if (!child->device_bound && parent->device_bound)
                return cws_error_set(err, -EPERM, "%s: not device-bound but parent %s is", c, p);
        return 0;
}

int cws_token_format(const char *inv_id, const uint8_t secret[CWS_SECRET_LEN],
                     char out[CWS_TOKEN_MAX])
{
        char enc[64];
        int r = cws_b64url_encode(secret, CWS_SECRET_LEN, enc, sizeof(enc));

        if (r < 0)
                return r;
        r = snprintf(out, CWS_TOKEN_MAX, "%s.%s", inv_id, enc);
        cws_wipe(enc, sizeof(enc));
        return r > 0 && r < CWS_TOKEN_MAX ? 0 : -ENAMETOOLONG;
}

int cws_token_parse(const char *token, char inv_id[CWS_ID_MAX], uint8_t secret[CWS_SECRET_LEN])
{
        const char *dot;
        size_t idlen, n = 0;
        char id[CWS_ID_MAX];

        if (!token || strnlen(token, CWS_TOKEN_MAX) >= CWS_TOKEN_MAX)
                return -EINVAL;
        dot = strchr(token, '.');
        if (!dot)
                return -EINVAL;
        idlen = (size_t)(dot - token);
        if (idlen >= sizeof(id))
                return -EINVAL;
        memcpy(id, token, idlen);
        id[idlen] = '\0';
        if (!cws_id_valid("inv", id))
                return -EINVAL;
        if (cws_b64url_decode(dot + 1, secret, CWS_SECRET_LEN, &n) < 0 || n != CWS_SECRET_LEN) {
                cws_wipe(secret, CWS_SECRET_LEN);
                return -EINVAL;
        }
        memcpy(inv_id, id, idlen + 1);
        return 0;
}

int cws_invitation_key(const char *inv_id, const uint8_t secret[CWS_SECRET_LEN],
                       uint8_t priv[CWS_ED25519_KEY_LEN], uint8_t pub[CWS_ED25519_KEY_LEN])
{
        static const char salt[] = "cws-invitation-v1";
        int r = cws_hkdf_sha256(secret, CWS_SECRET_LEN, salt, sizeof(salt) - 1, inv_id,
                                strlen(inv_id), priv, CWS_ED25519_KEY_LEN);
        return r < 0 ? r : cws_ed25519_pair(priv, pub);
}
