/* The administrator key for cws-invite and cws-revoke: the keychain first,
 * the encrypted keystore file when there is none or the key is kept there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "admin_key.h"
#include "cli.h"
#include "cws/cleanup.h"
#include "cws/keystore.h"

int admin_key_mode(admin_key_source *src, const char *value, const char *where)
{
        if (keychain_mode_from_string(value, &src->keychain) < 0)
                return cli_fail(CWS_EXIT_USAGE, "%s: expected auto, secret-service or file", where);
        return 0;
}

static int keystore_path(const admin_key_source *src, char *out, size_t outsz)
{
        char cwd[4096];
        int k;

        if (!src->keystore)
                return cws_keystore_default_path(out, outsz) < 0 ? -ENOENT : 0;
        if (src->keystore[0] == '/')
                k = snprintf(out, outsz, "%s", src->keystore);
        else if (getcwd(cwd, sizeof(cwd)))
                k = snprintf(out, outsz, "%s/%s", cwd, src->keystore);
        else
                return -errno;
        return k < 0 || (size_t)k >= outsz ? -ENAMETOOLONG : 0;
}

bool admin_key_file_exists(const char *ks)
{
        struct stat st;
        return lstat(ks, &st) == 0 || errno != ENOENT;
}

void admin_key_fallback_note(const admin_key_source *src, const keychain *kc, const char *ks)
{
        if (src->keychain == KEYCHAIN_AUTO && keychain_get_state(kc) != KEYCHAIN_READY)
                fprintf(stderr, "%s: note: %s; using the encrypted file %s instead "
                        "(security: medium)\n", cli_program, keychain_absence(kc), ks);
}

int admin_key_open_keychain(const admin_key_source *src, char ks[ADMIN_KEYSTORE_PATH_MAX],
                            keychain **kc)
{
        cws_error err = { 0 };

        if (keystore_path(src, ks, ADMIN_KEYSTORE_PATH_MAX) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "cannot find a keystore path; use --keystore PATH");
        int r = keychain_open(src->keychain, kc, &err);

        if (r < 0) {
                keychain_free(*kc);
                *kc = NULL;
                return admin_key_keychain_fail(src, r, &err);
        }
        return 0;
}

int admin_key_keychain_fail(const admin_key_source *src, int r, const cws_error *err)
{
        int code = cli_fail(r == -EACCES ? CWS_EXIT_AUTH : r == -EEXIST ? CWS_EXIT_REFUSED : CWS_EXIT_CONFIG,
                            "%s", cws_error_message(err));

        admin_key_report(src, admin_key_failure_kind(r));
        return code;
}

static int from_file(const admin_key_source *src, const char *ks, const char *passfile,
                     uint8_t priv[CWS_ED25519_KEY_LEN])
{
        _cleanup_erase_ char *pass = NULL;
        cws_error err = { 0 };
        int r;

        pass = cli_passphrase(passfile, "Administrator key passphrase: ", false);
        if (!pass)
                return passfile ? CWS_EXIT_CONFIG : CWS_EXIT_USAGE;
        r = cws_keystore_open(ks, pass, priv, &err);
        if (r == -EBADMSG) {
                r = cli_fail(CWS_EXIT_AUTH, "%s", cws_error_message(&err));
                admin_key_report(src, "bad_passphrase");
                return r;
        }
        if (r < 0) {
                int code = cli_fail(CWS_EXIT_CONFIG, "%s%s", cws_error_message(&err),
                                    r == -ENOENT ? " (run 'cws-invite init' first)" : "");
                admin_key_report(src, admin_key_failure_kind(r));
                return code;
        }
        return 0;
}

int admin_key_load(const admin_key_source *src, uint8_t priv[CWS_ED25519_KEY_LEN])
{
        keychain *kc = NULL;
        cws_error err = { 0 };
        char ks[ADMIN_KEYSTORE_PATH_MAX];
        int r;

        if ((r = admin_key_open_keychain(src, ks, &kc)))
                return r;
        if (keychain_get_state(kc) == KEYCHAIN_READY) {
                r = keychain_admin_key_load(kc, ks, priv, &err);
                keychain_free(kc);
                if (r == 0)
                        return 0;
                if (r != -ENOENT)
                        return admin_key_keychain_fail(src, r, &err);
                if (src->keychain == KEYCHAIN_SECRET_SERVICE || !admin_key_file_exists(ks)) {
                        r = cli_fail(CWS_EXIT_CONFIG, "no administrator key: none in the Secret "
                                     "Service under %s%s (run 'cws-invite init' first)", ks,
                                     src->keychain == KEYCHAIN_SECRET_SERVICE ? ""
                                     : ", and no keystore file there");
                        admin_key_report(src, "missing_key");
                        return r;
                }
                return from_file(src, ks, src->passfile, priv);
        }
        admin_key_fallback_note(src, kc, ks);
        keychain_free(kc);
        return from_file(src, ks, src->passfile, priv);
}
