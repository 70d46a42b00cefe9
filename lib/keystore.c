/* The administrator keystore. Three text lines:
 *   cws-keystore-v1
 *   scrypt <N> <r> <p> <salt b64url>
 *   <b64url(nonce || ciphertext || tag)>
 * The first two lines are the AEAD's associated data, so nobody can lower the
 * KDF cost in the file without the passphrase noticing. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cws/base64.h"
#include "cws/cleanup.h"
#include "cws/keystore.h"
#include "cws/safe_file.h"

#define KS_MAGIC "cws-keystore-v1"
#define KS_KDF "scrypt"
#define KS_N 32768u
#define KS_R 8u
#define KS_P 1u
#define KS_SALT_LEN 16
#define KS_MAX_FILE 4096
#define KS_SEALED_LEN (CWS_ED25519_KEY_LEN + CWS_AEAD_OVERHEAD)
/* Bounds a hostile file cannot push past: at most 128 * r * N = 2 GiB of
 * scrypt memory (OpenSSL's own 1 GiB cap refuses earlier) and p = 4. */
#define KS_N_MIN 16384u
#define KS_N_MAX (1u << 20)
#define KS_R_MAX 16u
#define KS_P_MAX 4u

static void wipe_key(uint8_t (*k)[CWS_AEAD_KEY_LEN]) { cws_wipe(*k, sizeof(*k)); }
static void wipe_seed(uint8_t (*k)[CWS_ED25519_KEY_LEN]) { cws_wipe(*k, sizeof(*k)); }

/* Strict decimal: digits only, no sign, no leading zero, at most max. */
static int parse_uint(const char **s, char stop, uint32_t max, uint32_t *out)
{
        const char *p = *s;
        uint64_t v = 0;

        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != stop))
                return -EBADMSG;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (uint64_t)(*p - '0');
                if (v > max)
                        return -ERANGE;
        }
        if (*p != stop)
                return -EBADMSG;
        *out = (uint32_t)v;
        *s = p + 1;
        return 0;
}

static int derive_key(const char *passphrase, const uint8_t salt[KS_SALT_LEN], uint32_t n,
                      uint32_t r, uint32_t p, uint8_t key[CWS_AEAD_KEY_LEN])
{
        return cws_scrypt(passphrase, strlen(passphrase), salt, KS_SALT_LEN, n, r, p, key,
                          CWS_AEAD_KEY_LEN);
}

/* Creates the keystore's directory only when it is missing: an existing
 * one (say, a test's temporary directory) is not ours to judge. */
static int ensure_parent(const char *path, cws_error *err)
{
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;
        char *slash;

        if (!dir)
                return cws_error_set(err, -ENOMEM, "%s: out of memory", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (lstat(dir, &st) == 0)
                return 0;
        if (errno != ENOENT)
                return cws_error_set(err, -errno, "%s: cannot stat: %s", dir, strerror(errno));
        return cws_dir_ensure(dir, 0700, err);
}

int cws_keystore_create(const char *path, const char *passphrase,
                        const uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err)
{
        _cleanup_(wipe_key) uint8_t key[CWS_AEAD_KEY_LEN] = { 0 };
        uint8_t salt[KS_SALT_LEN], sealed[KS_SEALED_LEN];
        char salt_b64[32], sealed_b64[128], header[128], file[256];
        int r, hlen, flen;

        if (!passphrase || !passphrase[0])
                return cws_error_set(err, -EINVAL,
                                     "%s: refusing to create a keystore with an empty "
                                     "passphrase; choose one", path);
        r = cws_random(salt, sizeof(salt));
        if (r < 0)
                return cws_error_set(err, r, "%s: no randomness for the salt", path);
        r = derive_key(passphrase, salt, KS_N, KS_R, KS_P, key);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot derive a key from the passphrase (scrypt)",
                                     path);
        r = cws_b64url_encode(salt, sizeof(salt), salt_b64, sizeof(salt_b64));
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot encode the salt", path);
        hlen = snprintf(header, sizeof(header), KS_MAGIC "\n" KS_KDF " %u %u %u %s\n", KS_N, KS_R,
                        KS_P, salt_b64);
        if (hlen < 0 || (size_t)hlen >= sizeof(header))
                return cws_error_set(err, -ENOBUFS, "%s: keystore header too long", path);
        r = cws_aead_seal(key, header, (size_t)hlen, priv, CWS_ED25519_KEY_LEN, sealed);
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot encrypt the key", path);
        r = cws_b64url_encode(sealed, sizeof(sealed), sealed_b64, sizeof(sealed_b64));
        if (r < 0)
                return cws_error_set(err, r, "%s: cannot encode the key", path);
        flen = snprintf(file, sizeof(file), "%s%s\n", header, sealed_b64);
        if (flen < 0 || (size_t)flen >= sizeof(file))
                return cws_error_set(err, -ENOBUFS, "%s: keystore too long", path);

        r = ensure_parent(path, err);
        if (r < 0)
                return r;
        r = cws_file_write_create_only(path, file, (size_t)flen, 0600, err);
        if (r == -EEXIST)
                return cws_error_set(err, r,
                                     "%s: a keystore already exists there and was left as it "
                                     "is; move it away first or choose another path", path);
        return r;
}

/* Splits "magic\nscrypt N r p salt\nsealed\n" exactly; anything else is a
 * damaged (or hostile) file. hdrlen covers the first two lines. */
static int parse(const char *path, const char *buf, size_t len, size_t *hdrlen, uint32_t *n,
                 uint32_t *r, uint32_t *p, uint8_t salt[KS_SALT_LEN],
                 uint8_t sealed[KS_SEALED_LEN], cws_error *err)
{
        char tok[128];
        const char *s = buf, *e;
        size_t got = 0;
        int k;

        if (strlen(buf) != len)
                return cws_error_set(err, -EBADMSG, "%s: damaged keystore (contains a NUL byte)",
                                     path);
        if (strncmp(s, KS_MAGIC "\n", sizeof(KS_MAGIC)) != 0)
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (first line is not '" KS_MAGIC "')",
                                     path);
        s += sizeof(KS_MAGIC);
        if (strncmp(s, KS_KDF " ", sizeof(KS_KDF)) != 0)
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (line 2 must start with '" KS_KDF
                                     " ')", path);
        s += sizeof(KS_KDF);
        if (parse_uint(&s, ' ', KS_N_MAX, n) < 0 || parse_uint(&s, ' ', KS_R_MAX, r) < 0 ||
            parse_uint(&s, ' ', KS_P_MAX, p) < 0)
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (scrypt parameters on line 2 are "
                                     "not numbers within N<=%u r<=%u p<=%u)", path, KS_N_MAX,
                                     KS_R_MAX, KS_P_MAX);
        if (*n < KS_N_MIN || (*n & (*n - 1)) || *r < 1 || *p < 1)
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (scrypt N=%" PRIu32 " r=%" PRIu32
                                     " p=%" PRIu32 " outside N=2^14..2^20, r=1..%u, p=1..%u)",
                                     path, *n, *r, *p, KS_R_MAX, KS_P_MAX);
        e = strchr(s, '\n');
        if (!e || (size_t)(e - s) >= sizeof(tok))
                return cws_error_set(err, -EBADMSG, "%s: damaged keystore (bad salt on line 2)",
                                     path);
        memcpy(tok, s, (size_t)(e - s));
        tok[e - s] = '\0';
        k = cws_b64url_decode(tok, salt, KS_SALT_LEN, &got);
        if (k < 0 || got != KS_SALT_LEN)
                return cws_error_set(err, -EBADMSG, "%s: damaged keystore (bad salt on line 2)",
                                     path);
        s = e + 1;
        *hdrlen = (size_t)(s - buf);

        e = strchr(s, '\n');
        if (!e || e[1] != '\0' || (size_t)(e - s) >= sizeof(tok))
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (line 3 must be the last and end "
                                     "with a newline)", path);
        memcpy(tok, s, (size_t)(e - s));
        tok[e - s] = '\0';
        k = cws_b64url_decode(tok, sealed, KS_SEALED_LEN, &got);
        if (k < 0 || got != KS_SEALED_LEN)
                return cws_error_set(err, -EBADMSG,
                                     "%s: damaged keystore (line 3 is not the encrypted key)",
                                     path);
        return 0;
}

int cws_keystore_open(const char *path, const char *passphrase,
                      uint8_t priv[CWS_ED25519_KEY_LEN], cws_error *err)
{
        _cleanup_(wipe_key) uint8_t key[CWS_AEAD_KEY_LEN] = { 0 };
        _cleanup_(wipe_seed) uint8_t seed[CWS_ED25519_KEY_LEN] = { 0 };
        _cleanup_free_ char *buf = NULL;
        uint8_t salt[KS_SALT_LEN], sealed[KS_SEALED_LEN];
        uint32_t n = 0, r = 0, p = 0;
        size_t len = 0, hdrlen = 0;
        int k;

        if (!passphrase)
                return cws_error_set(err, -EINVAL, "%s: no passphrase given", path);
        k = cws_file_read_checked(path, KS_MAX_FILE, CWS_FILE_SECRET, &buf, &len, err);
        if (k < 0)
                return k;
        k = parse(path, buf, len, &hdrlen, &n, &r, &p, salt, sealed, err);
        if (k < 0)
                return k;
        k = derive_key(passphrase, salt, n, r, p, key);
        if (k < 0)
                return cws_error_set(err, k,
                                     "%s: cannot derive a key from the passphrase (scrypt "
                                     "N=%" PRIu32 " r=%" PRIu32 " p=%" PRIu32 "): %s",
                                     path, n, r, p, strerror(-k));
        k = cws_aead_open(key, buf, hdrlen, sealed, sizeof(sealed), seed);
        if (k == -EBADMSG)
                return cws_error_set(err, k, "%s: wrong passphrase or damaged keystore", path);
        if (k < 0)
                return cws_error_set(err, k, "%s: cannot decrypt: %s", path, strerror(-k));
        memcpy(priv, seed, CWS_ED25519_KEY_LEN);
        return 0;
}

/* $XDG_CONFIG_HOME counts only when absolute (XDG Base Directory spec);
 * secure_getenv so a privileged caller never follows a user's environment. */
int cws_keystore_default_path(char *out, size_t outsz)
{
        const char *xdg = secure_getenv("XDG_CONFIG_HOME");
        const char *home = secure_getenv("HOME");
        int k;

        if (xdg && xdg[0] == '/')
                k = snprintf(out, outsz, "%s/cws/admin.key", xdg);
        else {
                if (!home || home[0] != '/') {
                        struct passwd *pw = getpwuid(getuid());
                        if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
                                return -ENOENT;
                        home = pw->pw_dir;
                }
                k = snprintf(out, outsz, "%s/.config/cws/admin.key", home);
        }
        if (k < 0)
                return -EINVAL;
        if ((size_t)k >= outsz)
                return -ENAMETOOLONG;
        return 0;
}
