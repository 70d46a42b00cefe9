/* The device fingerprint (docs/design.md §3.4). Every field is collected
 * for the record, but only the stable fields (machine id, DMI
 * product UUID, uid, username) go into the digest or can deny. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cws/cleanup.h"
#include "cws/fingerprint.h"
#include "cws/hex.h"
#include "cws/safe_file.h"

#define MACHINE_ID_PATH "/etc/machine-id"
#define PRODUCT_UUID_PATH "/sys/class/dmi/id/product_uuid"
#define NET_CLASS_DIR "/sys/class/net"
#define FP_DIGEST_PREFIX "cws-fp-v1"
#define HOST_ID_PREFIX "cws-host-v1"
#define MACHINE_ID_LEN 32
#define NET_ADDR_RANDOM 1   /* addr_assign_type, linux/netdevice.h */

static char ascii_lower(char c)
{
        return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int cws_machine_id(char out[33], cws_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        bool nonzero = false;
        int r;

        r = cws_file_read_checked(MACHINE_ID_PATH, 64, 0, &buf, &len, err);
        if (r == -EFBIG)
                return cws_error_set(err, -EBADMSG,
                                     "%s: refused, too long for a machine id (need 32 lowercase "
                                     "hex digits); run systemd-machine-id-setup",
                                     MACHINE_ID_PATH);
        if (r < 0)
                return r;
        if (len == MACHINE_ID_LEN + 1 && buf[MACHINE_ID_LEN] == '\n')
                len = MACHINE_ID_LEN;
        if (len != MACHINE_ID_LEN)
                return cws_error_set(err, -EBADMSG,
                                     "%s: refused, not a machine id (need 32 lowercase hex "
                                     "digits and an optional newline, found %zu bytes); run "
                                     "systemd-machine-id-setup",
                                     MACHINE_ID_PATH, len);
        for (size_t i = 0; i < MACHINE_ID_LEN; i++) {
                if (!cws_hex_is_lower(&buf[i], 1))
                        return cws_error_set(err, -EBADMSG,
                                             "%s: refused, not a machine id (byte %zu is not a "
                                             "lowercase hex digit); run systemd-machine-id-setup",
                                             MACHINE_ID_PATH, i);
                nonzero |= buf[i] != '0';
        }
        /* An all-zero id is shared by every host that has it, so it could
         * not tell a copied binding from a local one. */
        if (!nonzero)
                return cws_error_set(err, -EBADMSG,
                                     "%s: refused, the machine id is all zeros; run "
                                     "systemd-machine-id-setup",
                                     MACHINE_ID_PATH);
        memcpy(out, buf, MACHINE_ID_LEN);
        out[MACHINE_ID_LEN] = '\0';
        return 0;
}

void cws_system_uuid(char out[CWS_FP_FIELD_MAX])
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        out[0] = '\0';
        /* Optional: root-only on most systems and absent in many VMs and
         * containers; the machine id is what must be there. */
        if (cws_file_read_checked(PRODUCT_UUID_PATH, CWS_FP_FIELD_MAX, 0, &buf, &len, NULL) < 0)
                return;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        if (len == 0 || len >= CWS_FP_FIELD_MAX)
                return;
        for (size_t i = 0; i < len; i++) {
                if (buf[i] <= ' ' || buf[i] > '~') {
                        out[0] = '\0';
                        return;
                }
                out[i] = ascii_lower(buf[i]);
        }
        out[len] = '\0';
}

/* The host identity lives beside the machine id and product UUID it is
 * made of: one reader of each, and the id changes exactly when they do. */
int cws_host_id(char out[CWS_HOST_ID_HEX + 1], cws_error *err)
{
        char mid[33], uuid[CWS_FP_FIELD_MAX];
        uint8_t buf[sizeof(HOST_ID_PREFIX) + sizeof(mid) + sizeof(uuid)], h[CWS_SHA256_LEN];
        size_t n = 0, ulen;
        int r;

        r = cws_machine_id(mid, err);
        if (r < 0)
                return r;
        cws_system_uuid(uuid);
        ulen = strlen(uuid);
        memcpy(buf, HOST_ID_PREFIX, sizeof(HOST_ID_PREFIX));
        n += sizeof(HOST_ID_PREFIX);
        memcpy(buf + n, mid, sizeof(mid));
        n += sizeof(mid);
        memcpy(buf + n, uuid, ulen);
        n += ulen;
        r = cws_sha256(buf, n, h);
        if (r < 0)
                return cws_error_set(err, r, "host id: SHA-256 failed");
        cws_hex_encode(h, sizeof(h), out, CWS_HOST_ID_HEX + 1, false);
        return 0;
}

/* "aa:bb:cc:dd:ee:ff" (any case, optional newline) into lowercase; false
 * for anything else (tunnels, InfiniBand, the all-zero address). */
static bool mac_parse(const char *s, size_t len, char out[18])
{
        bool nonzero = false;

        if (len == 18 && s[17] == '\n')
                len = 17;
        if (len != 17)
                return false;
        for (size_t i = 0; i < 17; i++) {
                char c = ascii_lower(s[i]);
                if (i % 3 == 2) {
                        if (c != ':')
                                return false;
                } else {
                        if (!cws_hex_is_lower(&c, 1))
                                return false;
                        nonzero |= c != '0';
                }
                out[i] = c;
        }
        out[17] = '\0';
        return nonzero;
}

/* Reads a small numeric sysfs attribute of an interface; false if absent. */
static bool iface_attr(const char *name, const char *attr, int base, unsigned long *out)
{
        _cleanup_free_ char *buf = NULL;
        char path[128], *end;

        if ((size_t)snprintf(path, sizeof(path), NET_CLASS_DIR "/%s/%s", name, attr) >=
            sizeof(path))
                return false;
        if (cws_file_read_checked(path, 32, 0, &buf, NULL, NULL) < 0)
                return false;
        errno = 0;
        *out = strtoul(buf, &end, base);
        return errno == 0 && end != buf;
}

/* Loopback has no identity; neither has an address the kernel made up at
 * random (ifb, veth, some bridges), which changes at every boot. */
static bool iface_skipped(const char *name)
{
        unsigned long v;

        if (strcmp(name, "lo") == 0)
                return true;
        if (iface_attr(name, "flags", 16, &v) && (v & IFF_LOOPBACK))
                return true;
        return iface_attr(name, "addr_assign_type", 10, &v) && v == NET_ADDR_RANDOM;
}

/* Keeps the set sorted, unique and at most CWS_FP_MAX_MACS long, holding
 * the smallest addresses, so the result does not depend on readdir order. */
static void mac_insert(cws_fingerprint *fp, const char mac[18])
{
        unsigned n = fp->n_macs, i = 0;

        while (i < n && strcmp(fp->macs[i], mac) < 0)
                i++;
        if (i < n && strcmp(fp->macs[i], mac) == 0)
                return;
        if (i >= CWS_FP_MAX_MACS)
                return;
        if (n == CWS_FP_MAX_MACS)
                n--;
        memmove(fp->macs[i + 1], fp->macs[i], (n - i) * sizeof(fp->macs[0]));
        memcpy(fp->macs[i], mac, sizeof(fp->macs[0]));
        fp->n_macs = n + 1;
}

static void collect_macs(cws_fingerprint *fp)
{
        _cleanup_(closedirp) DIR *d = opendir(NET_CLASS_DIR);
        struct dirent *de;

        fp->n_macs = 0;
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *buf = NULL;
                char path[128], mac[18];
                size_t len = 0;

                if (de->d_name[0] == '.' || iface_skipped(de->d_name))
                        continue;
                if ((size_t)snprintf(path, sizeof(path), NET_CLASS_DIR "/%s/address",
                                     de->d_name) >= sizeof(path))
                        continue;
                if (cws_file_read_checked(path, 64, 0, &buf, &len, NULL) < 0)
                        continue;
                if (mac_parse(buf, len, mac))
                        mac_insert(fp, mac);
        }
}

int cws_fingerprint_collect(uid_t uid, const char *username, cws_fingerprint *fp, cws_error *err)
{
        struct utsname u;
        size_t ulen;
        int r;

        if (!fp || !username)
                return cws_error_set(err, -EINVAL, "fingerprint: no user name given");
        ulen = strlen(username);
        if (ulen == 0 || ulen >= sizeof(fp->username))
                return cws_error_set(err, -EINVAL,
                                     "fingerprint: user name of %zu bytes refused (1..%zu)", ulen,
                                     sizeof(fp->username) - 1);
        memset(fp, 0, sizeof(*fp));
        r = cws_machine_id(fp->machine_id, err);
        if (r < 0)
                return r;
        cws_system_uuid(fp->system_uuid);
        /* Hostname, OS, arch and MACs are drift-only: a failure leaves them
         * empty rather than failing the whole fingerprint. */
        if (gethostname(fp->hostname, sizeof(fp->hostname) - 1) < 0)
                fp->hostname[0] = '\0';
        fp->hostname[sizeof(fp->hostname) - 1] = '\0';
        if (uname(&u) == 0) {
                snprintf(fp->os, sizeof(fp->os), "%s %s", u.sysname, u.release);
                snprintf(fp->arch, sizeof(fp->arch), "%s", u.machine);
        }
        collect_macs(fp);
        fp->uid = uid;
        memcpy(fp->username, username, ulen + 1);
        return 0;
}

static int digest_append(uint8_t *buf, size_t bufsz, size_t *n, const char *s, bool nul)
{
        size_t len = strnlen(s, CWS_FP_FIELD_MAX);

        if (len == CWS_FP_FIELD_MAX)
                return -EINVAL;
        if (len + 1 > bufsz - *n)
                return -ENOBUFS;
        memcpy(buf + *n, s, len);
        *n += len;
        if (nul)
                buf[(*n)++] = '\0';
        return 0;
}

int cws_fingerprint_digest(const cws_fingerprint *fp, uint8_t out[CWS_SHA256_LEN])
{
        uint8_t buf[sizeof(FP_DIGEST_PREFIX) + 4 * CWS_FP_FIELD_MAX];
        char uidbuf[24];
        size_t n = 0;
        int r;

        if (!fp)
                return -EINVAL;
        snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)fp->uid);
        /* Each field is followed by a NUL so no two field splits hash alike. */
        if ((r = digest_append(buf, sizeof(buf), &n, FP_DIGEST_PREFIX, true)) < 0 ||
            (r = digest_append(buf, sizeof(buf), &n, fp->machine_id, true)) < 0 ||
            (r = digest_append(buf, sizeof(buf), &n, fp->system_uuid, true)) < 0 ||
            (r = digest_append(buf, sizeof(buf), &n, uidbuf, true)) < 0 ||
            (r = digest_append(buf, sizeof(buf), &n, fp->username, false)) < 0)
                return r;
        return cws_sha256(buf, n, out);
}

static bool field_differs(const char *a, const char *b)
{
        return strncmp(a, b, CWS_FP_FIELD_MAX) != 0;
}

static bool mac_present(const cws_fingerprint *fp, const char *mac)
{
        unsigned n = fp->n_macs < CWS_FP_MAX_MACS ? fp->n_macs : CWS_FP_MAX_MACS;

        for (unsigned i = 0; i < n; i++)
                if (strncmp(fp->macs[i], mac, sizeof(fp->macs[i])) == 0)
                        return true;
        return false;
}

unsigned cws_fingerprint_compare(const cws_fingerprint *enrolled, const cws_fingerprint *now,
                                 bool *deny)
{
        unsigned mask = 0, n;
        bool any_left = false;

        if (field_differs(enrolled->machine_id, now->machine_id) ||
            field_differs(enrolled->system_uuid, now->system_uuid))
                mask |= CWS_FP_SYSTEM_ID_MISMATCH;
        if (enrolled->uid != now->uid || field_differs(enrolled->username, now->username))
                mask |= CWS_FP_USER_MISMATCH;
        if (field_differs(enrolled->hostname, now->hostname))
                mask |= CWS_FP_HOSTNAME_MISMATCH;
        /* Interfaces come and go (docker0, VPNs, USB tethering): only when
         * none of the enrolled addresses is left is it worth reporting. */
        n = enrolled->n_macs < CWS_FP_MAX_MACS ? enrolled->n_macs : CWS_FP_MAX_MACS;
        for (unsigned i = 0; i < n && !any_left; i++)
                any_left = mac_present(now, enrolled->macs[i]);
        if (n > 0 && !any_left)
                mask |= CWS_FP_MAC_ADDRESS_MISMATCH;
        if (deny)
                *deny = (mask & (CWS_FP_SYSTEM_ID_MISMATCH | CWS_FP_USER_MISMATCH)) != 0;
        return mask;
}

const char *cws_violation_to_string(unsigned bit)
{
        switch (bit) {
        case CWS_FP_HOSTNAME_MISMATCH:
                return "hostname_mismatch";
        case CWS_FP_USER_MISMATCH:
                return "user_mismatch";
        case CWS_FP_MAC_ADDRESS_MISMATCH:
                return "mac_address_mismatch";
        case CWS_FP_SYSTEM_ID_MISMATCH:
                return "system_id_mismatch";
        case CWS_FP_PROFILE_COPY_DETECTED:
                return "profile_copy_detected";
        default:
                return "unknown";
        }
}

void cws_violations_format(unsigned mask, char *buf, size_t n)
{
        size_t used = 0;

        if (n == 0)
                return;
        buf[0] = '\0';
        for (unsigned bit = 1; bit <= CWS_FP_PROFILE_COPY_DETECTED; bit <<= 1) {
                int w;

                if (!(mask & bit))
                        continue;
                w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", cws_violation_to_string(bit));
                if (w < 0 || (size_t)w >= n - used) {
                        buf[used] = '\0';   /* whole names only */
                        return;
                }
                used += (size_t)w;
        }
}

cws_risk cws_violation_risk(unsigned mask)
{
        if (mask & (CWS_FP_PROFILE_COPY_DETECTED | CWS_FP_SYSTEM_ID_MISMATCH))
                return CWS_RISK_CRITICAL;
        if (mask & CWS_FP_USER_MISMATCH)
                return CWS_RISK_HIGH;
        /* New hostname and no old interface left at once looks more like
         * another machine than either alone. */
        if (mask & CWS_FP_MAC_ADDRESS_MISMATCH)
                return (mask & CWS_FP_HOSTNAME_MISMATCH) ? CWS_RISK_MEDIUM : CWS_RISK_LOW;
        if (mask & CWS_FP_HOSTNAME_MISMATCH)
                return CWS_RISK_LOW;
        return CWS_RISK_NONE;
}
