/* lib/slot.c: reading a device registration from its slot and listing a
 * slot's generations, against a real file registry with a real invitation
 * (admin key pinned through a trusted_keys file) and a real enrollment. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/chain.h"
#include "cws/enroll.h"
#include "cws/invite.h"
#include "cws/slot.h"

typedef struct fixture {
        char base[64];
        char root[128];
        cws_registry *r;
        cws_trust trust;
        uint8_t admin_priv[CWS_ED25519_KEY_LEN];
        uint8_t admin_pub[CWS_ED25519_KEY_LEN];
        int64_t now;
        cws_invitation inv;
        char token[CWS_TOKEN_MAX];
        uint8_t inv_priv[CWS_ED25519_KEY_LEN];   /* derived from the token */
        cws_chain chain;
        cws_fingerprint fp;
        cws_binding b;                           /* the enrollment */
} fixture;

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

static void write_trusted_keys(const char *path, const uint8_t pub[CWS_ED25519_KEY_LEN])
{
        char line[128];
        int fd;

        assert_int_equal(cws_trust_format_key(pub, line, sizeof(line)), 0);
        strcat(line, " test admin\n");
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
        assert_int_equal(fchmod(fd, 0644), 0);
        assert_int_equal(close(fd), 0);
}

/* Creates an invitation signed by the admin key and fetches its chain. */
static void make_invitation(fixture *fx, const char *name, unsigned max_devices,
                            cws_invitation *inv, char token[CWS_TOKEN_MAX], cws_chain *chain,
                            uint8_t inv_priv[CWS_ED25519_KEY_LEN])
{
        uint8_t secret[CWS_SECRET_LEN], pub[CWS_ED25519_KEY_LEN];
        char id[CWS_ID_MAX];
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;

        cws_invitation_defaults(inv, CWS_TYPE_READ_WRITE, fx->now);
        snprintf(inv->name, sizeof(inv->name), "%s", name);
        inv->max_devices = max_devices;
        if (cws_invitation_create(fx->r, &fx->trust, inv, fx->admin_priv, NULL, fx->now, token,
                                  &err) != 0)
                fail_msg("invitation_create: %s", err.msg);
        if (cws_chain_fetch(fx->r, &fx->trust, inv->id, fx->now, chain, &why, &err) != 0)
                fail_msg("chain_fetch: %s", err.msg);
        assert_int_equal(why, CWS_R_OK);
        assert_int_equal(chain->n, 1);
        assert_string_equal(chain->inv[0].id, inv->id);
        assert_int_equal(cws_token_parse(token, id, secret), 0);
        assert_string_equal(id, inv->id);
        assert_int_equal(cws_invitation_key(id, secret, inv_priv, pub), 0);
        assert_memory_equal(pub, chain->inv[0].pubkey, sizeof(pub));
}

static int setup(void **state)
{
        fixture *fx = calloc(1, sizeof(*fx));
        char path[128];
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;

        if (!fx)
                return -1;
        *state = fx;
        if (fixture_dir_make(fx->base, sizeof(fx->base)) < 0)
                return -1;
        snprintf(fx->root, sizeof(fx->root), "%s/reg", fx->base);
        assert_int_equal(cws_registry_open(fx->root, &fx->r, &err), 0);
        assert_int_equal(cws_ed25519_keygen(fx->admin_priv, fx->admin_pub), 0);
        snprintf(path, sizeof(path), "%s/trusted_keys", fx->base);
        write_trusted_keys(path, fx->admin_pub);
        if (cws_trust_load(path, &fx->trust, &err) != 0)
                fail_msg("trust_load: %s", err.msg);
        assert_int_equal(fx->trust.n, 1);
        fx->now = (int64_t)time(NULL);

        make_invitation(fx, "lab-access", 3, &fx->inv, fx->token, &fx->chain, fx->inv_priv);

        fx->fp.uid = getuid();
        snprintf(fx->fp.username, sizeof(fx->fp.username), "root");
        snprintf(fx->fp.hostname, sizeof(fx->fp.hostname), "ws1.lab.example");
        snprintf(fx->fp.machine_id, sizeof(fx->fp.machine_id), "0123456789abcdef0123456789abcdef");
        snprintf(fx->fp.os, sizeof(fx->fp.os), "Debian GNU/Linux 12");
        snprintf(fx->fp.arch, sizeof(fx->fp.arch), "x86_64");
        if (cws_enroll(fx->r, &fx->trust, fx->token, getuid(), "root", &fx->fp, fx->now, &fx->b,
                       &why, &err) != 0)
                fail_msg("enroll: %s", err.msg);
        assert_int_equal(why, CWS_R_OK);
        assert_int_equal(fx->b.slot, 1);
        assert_int_equal(fx->b.gen, 0);
        return 0;
}

static int teardown(void **state)
{
        fixture *fx = *state;

        cws_registry_free(fx->r);
        assert_int_equal(fixture_dir_remove(fx->base), 0);
        free(fx);
        return 0;
}

static void slot_key(const char *inv, unsigned slot, unsigned gen, char key[CWS_KEY_MAX])
{
        assert_int_equal(cws_key_slot(key, inv, slot, gen), 0);
}

/* Copies the stored bytes of one key to another. */
static void copy_record(fixture *fx, const char *from, const char *to)
{
        char *data = NULL;
        size_t len = 0;
        cws_error err = { 0 };

        assert_int_equal(cws_registry_get(fx->r, from, &data, &len, &err), 0);
        assert_int_equal(cws_registry_put_create_only(fx->r, to, data, len, &err), 0);
        free(data);
}

/* Seals reg (as a record of kind) with priv and stores it at key. */
static void put_device(fixture *fx, const char *key, const cws_device_reg *reg,
                       cws_record_kind kind, const uint8_t priv[CWS_ED25519_KEY_LEN])
{
        char *payload = NULL, *rec = NULL;
        cws_error err = { 0 };

        assert_int_equal(cws_device_reg_to_json(reg, &payload), 0);
        assert_int_equal(cws_record_seal(kind, payload, priv, &rec, &err), 0);
        assert_int_equal(cws_registry_put_create_only(fx->r, key, rec, strlen(rec), &err), 0);
        free(rec);
        free(payload);
}

static void put_raw(fixture *fx, const char *key, const char *data)
{
        cws_error err = { 0 };
        assert_int_equal(cws_registry_put_create_only(fx->r, key, data, strlen(data), &err), 0);
}

/* A well-formed registration for (inv, slot, gen) of a new device. */
static void make_reg(const fixture *fx, const char *inv, unsigned slot, unsigned gen,
                     cws_device_reg *reg)
{
        uint8_t priv[CWS_ED25519_KEY_LEN];

        memset(reg, 0, sizeof(*reg));
        snprintf(reg->inv_id, sizeof(reg->inv_id), "%s", inv);
        assert_int_equal(cws_id_new("dev", reg->device_id), 0);
        reg->slot = slot;
        reg->gen = gen;
        snprintf(reg->user, sizeof(reg->user), "root");
        reg->uid = getuid();
        assert_int_equal(cws_fingerprint_digest(&fx->fp, reg->fp_digest), 0);
        assert_int_equal(cws_ed25519_keygen(priv, reg->binding_pub), 0);
        reg->enrolled_at = fx->now;
}

static void assert_read_refused(fixture *fx, const cws_chain *chain, unsigned slot, unsigned gen,
                                int code, const char *part)
{
        cws_device_reg reg;
        cws_error err = { 0 };

        assert_int_equal(cws_slot_read(fx->r, chain, slot, gen, &reg, &err), code);
        assert_int_equal(err.code, code);
        assert_contains(err.msg, part);
}

/* ---- cws_slot_read ---- */

static void test_read_enrolled(void **state)
{
        fixture *fx = *state;
        uint8_t digest[CWS_SHA256_LEN], pub[CWS_ED25519_KEY_LEN];
        cws_device_reg reg;
        cws_error err = { 0 };

        memset(&reg, 0xa5, sizeof(reg));
        if (cws_slot_read(fx->r, &fx->chain, 1, 0, &reg, &err) != 0)
                fail_msg("slot_read: %s", err.msg);
        assert_string_equal(reg.inv_id, fx->inv.id);
        assert_string_equal(reg.device_id, fx->b.device_id);
        assert_true(cws_id_valid("dev", reg.device_id));
        assert_int_equal(reg.slot, 1);
        assert_int_equal(reg.gen, 0);
        assert_string_equal(reg.user, "root");
        assert_int_equal(reg.uid, getuid());
        assert_int_equal(reg.enrolled_at, fx->now);
        assert_int_equal(cws_fingerprint_digest(&fx->fp, digest), 0);
        assert_memory_equal(reg.fp_digest, digest, sizeof(digest));
        assert_int_equal(cws_ed25519_public(fx->b.binding_priv, pub), 0);
        assert_memory_equal(reg.binding_pub, pub, sizeof(pub));
}

static void test_read_second_enrollment(void **state)
{
        fixture *fx = *state;
        cws_device_reg reg;
        cws_binding b2;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;

        assert_int_equal(cws_enroll(fx->r, &fx->trust, fx->token, getuid(), "root", &fx->fp, fx->now,
                                    &b2, &why, &err), 0);
        assert_int_equal(b2.slot, 2);
        assert_int_equal(cws_slot_read(fx->r, &fx->chain, 2, 0, &reg, &err), 0);
        assert_string_equal(reg.device_id, b2.device_id);
        assert_string_not_equal(reg.device_id, fx->b.device_id);
}

static void test_read_missing(void **state)
{
        fixture *fx = *state;

        assert_read_refused(fx, &fx->chain, 2, 0, -ENOENT, "no such record");
        assert_read_refused(fx, &fx->chain, 1, 1, -ENOENT, "no such record");
}

static void test_read_invalid_slot(void **state)
{
        fixture *fx = *state;

        assert_read_refused(fx, &fx->chain, 0, 0, -EINVAL, "invalid slot 0");
        assert_read_refused(fx, &fx->chain, CWS_MAX_DEVICES + 1, 0, -EINVAL, "invalid slot 6");
}

static void test_read_moved_to_other_slot(void **state)
{
        fixture *fx = *state;
        char from[CWS_KEY_MAX], to[CWS_KEY_MAX];

        slot_key(fx->inv.id, 1, 0, from);
        slot_key(fx->inv.id, 2, 0, to);
        copy_record(fx, from, to);
        assert_read_refused(fx, &fx->chain, 2, 0, -EBADMSG, "record is for another slot (moved?)");
        assert_read_refused(fx, &fx->chain, 2, 0, -EBADMSG, to);
}

static void test_read_moved_to_other_generation(void **state)
{
        fixture *fx = *state;
        char from[CWS_KEY_MAX], to[CWS_KEY_MAX];

        slot_key(fx->inv.id, 1, 0, from);
        slot_key(fx->inv.id, 1, 1, to);
        copy_record(fx, from, to);
        assert_read_refused(fx, &fx->chain, 1, 1, -EBADMSG, "another slot (moved?)");
        /* The original still reads. */
        {
                cws_device_reg reg;
                cws_error err = { 0 };
                assert_int_equal(cws_slot_read(fx->r, &fx->chain, 1, 0, &reg, &err), 0);
        }
}

static void test_read_moved_to_other_invitation(void **state)
{
        fixture *fx = *state;
        cws_invitation inv2;
        cws_chain chain2;
        char token2[CWS_TOKEN_MAX], from[CWS_KEY_MAX], to[CWS_KEY_MAX];
        uint8_t priv2[CWS_ED25519_KEY_LEN];
        cws_device_reg reg;

        make_invitation(fx, "other-lab", 3, &inv2, token2, &chain2, priv2);
        /* The record copied as it is: signed by the other invitation's key. */
        slot_key(fx->inv.id, 1, 0, from);
        slot_key(inv2.id, 1, 0, to);
        copy_record(fx, from, to);
        assert_read_refused(fx, &chain2, 1, 0, -EBADMSG, "not signed by the invitation key");
        /* Re-signed by the second invitation's key, it still names the first. */
        make_reg(fx, fx->inv.id, 2, 0, &reg);
        slot_key(inv2.id, 2, 0, to);
        put_device(fx, to, &reg, CWS_REC_DEVICE, priv2);
        assert_read_refused(fx, &chain2, 2, 0, -EBADMSG, "another slot (moved?)");
}

static void test_read_signed_by_other_key(void **state)
{
        fixture *fx = *state;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char key[CWS_KEY_MAX];
        cws_device_reg reg;

        assert_int_equal(cws_ed25519_keygen(priv, pub), 0);
        make_reg(fx, fx->inv.id, 2, 0, &reg);
        slot_key(fx->inv.id, 2, 0, key);
        put_device(fx, key, &reg, CWS_REC_DEVICE, priv);
        assert_read_refused(fx, &fx->chain, 2, 0, -EBADMSG, "not signed by the invitation key");
        /* Not even the administrator signs registrations. */
        make_reg(fx, fx->inv.id, 3, 0, &reg);
        slot_key(fx->inv.id, 3, 0, key);
        put_device(fx, key, &reg, CWS_REC_DEVICE, fx->admin_priv);
        assert_read_refused(fx, &fx->chain, 3, 0, -EBADMSG, "not signed by the invitation key");
}

static void test_read_control_signed_by_invitation_key(void **state)
{
        fixture *fx = *state;
        char key[CWS_KEY_MAX];
        cws_device_reg reg, out;
        cws_error err = { 0 };

        /* The same construction as the refusals above, with the right key and
         * place, is accepted: the refusals are about key and place only. */
        make_reg(fx, fx->inv.id, 2, 0, &reg);
        slot_key(fx->inv.id, 2, 0, key);
        put_device(fx, key, &reg, CWS_REC_DEVICE, fx->inv_priv);
        assert_int_equal(cws_slot_read(fx->r, &fx->chain, 2, 0, &out, &err), 0);
        assert_string_equal(out.device_id, reg.device_id);
}

static void test_read_wrong_kind_and_garbage(void **state)
{
        fixture *fx = *state;
        char key[CWS_KEY_MAX];
        cws_device_reg reg;

        make_reg(fx, fx->inv.id, 2, 0, &reg);
        slot_key(fx->inv.id, 2, 0, key);
        put_device(fx, key, &reg, CWS_REC_REVOCATION, fx->inv_priv);
        assert_read_refused(fx, &fx->chain, 2, 0, -EBADMSG, "malformed device record envelope");
        slot_key(fx->inv.id, 3, 0, key);
        put_raw(fx, key, "not a record");
        assert_read_refused(fx, &fx->chain, 3, 0, -EBADMSG, "not valid JSON");
}

static void test_read_invalid_payload(void **state)
{
        fixture *fx = *state;
        char key[CWS_KEY_MAX], *rec = NULL;
        cws_error err = { 0 };
        cws_device_reg reg;

        /* Signed by the invitation key, but the user name is not one. */
        make_reg(fx, fx->inv.id, 2, 0, &reg);
        snprintf(reg.user, sizeof(reg.user), "-rf");
        slot_key(fx->inv.id, 2, 0, key);
        put_device(fx, key, &reg, CWS_REC_DEVICE, fx->inv_priv);
        assert_read_refused(fx, &fx->chain, 2, 0, -EBADMSG, "invalid id or user");
        /* Signed, but not a device record at all. */
        assert_int_equal(cws_record_seal(CWS_REC_DEVICE, "{\"version\":1}", fx->inv_priv, &rec, &err),
                         0);
        slot_key(fx->inv.id, 3, 0, key);
        put_raw(fx, key, rec);
        free(rec);
        assert_read_refused(fx, &fx->chain, 3, 0, -EBADMSG, "malformed device record");
}

static void test_read_tampered_file(void **state)
{
        fixture *fx = *state;
        char key[CWS_KEY_MAX], path[PATH_MAX], *data = NULL, *p;
        cws_error err = { 0 };
        size_t len = 0;
        FILE *f;

        slot_key(fx->inv.id, 1, 0, key);
        assert_int_equal(cws_registry_get(fx->r, key, &data, &len, &err), 0);
        /* One character of the base64 payload changed in place. */
        p = strstr(data, "\"payload\":\"");
        assert_non_null(p);
        p += strlen("\"payload\":\"") + 10;
        *p = *p == 'A' ? 'B' : 'A';
        snprintf(path, sizeof(path), "%s/%s", fx->root, key);
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        free(data);
        assert_read_refused(fx, &fx->chain, 1, 0, -EBADMSG, "device record");
}

/* ---- cws_slot_generations ---- */

static void test_generations_sorted_and_canonical(void **state)
{
        static const char *const names[] = { "3", "0", "10", "2", "1000000", "01", "00", "x",
                                             "-1", "1000001", "2x", "99999999999999999999",
                                             "7.tmp.0011223344556677" };
        static const unsigned want[] = { 0, 2, 3, 10, 1000000 };
        fixture *fx = *state;
        char key[CWS_KEY_MAX];
        unsigned *gens = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(key, sizeof(key), "inv/%s/slot/4/%s", fx->inv.id, names[i]);
                put_raw(fx, key, "x");
        }
        assert_int_equal(cws_slot_generations(fx->r, fx->inv.id, 4, &gens, &n, &err), 0);
        assert_int_equal(n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < n; i++)
                assert_int_equal(gens[i], want[i]);
        free(gens);
}

static void test_generations_after_enroll(void **state)
{
        fixture *fx = *state;
        unsigned *gens = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        assert_int_equal(cws_slot_generations(fx->r, fx->inv.id, 1, &gens, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(gens[0], 0);
        free(gens);
}

static void test_generations_empty(void **state)
{
        fixture *fx = *state;
        unsigned *gens = NULL;
        size_t n = 99;
        cws_error err = { 0 };

        assert_int_equal(cws_slot_generations(fx->r, fx->inv.id, 5, &gens, &n, &err), 0);
        assert_int_equal(n, 0);
        free(gens);
}

static void test_generations_bad_invitation(void **state)
{
        fixture *fx = *state;
        unsigned *gens = (unsigned *)1;
        size_t n = 99;
        cws_error err = { 0 };
        char long_id[300];

        assert_int_equal(cws_slot_generations(fx->r, "../..", 1, &gens, &n, &err), -EINVAL);
        assert_null(gens);
        assert_int_equal(n, 0);
        memset(long_id, 'a', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        assert_int_equal(cws_slot_generations(fx->r, long_id, 1, &gens, &n, &err), -EINVAL);
        assert_contains(err.msg, "invalid invitation id");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_read_enrolled),
                T(test_read_second_enrollment),
                T(test_read_missing),
                T(test_read_invalid_slot),
                T(test_read_moved_to_other_slot),
                T(test_read_moved_to_other_generation),
                T(test_read_moved_to_other_invitation),
                T(test_read_signed_by_other_key),
                T(test_read_control_signed_by_invitation_key),
                T(test_read_wrong_kind_and_garbage),
                T(test_read_invalid_payload),
                T(test_read_tampered_file),
                T(test_generations_sorted_and_canonical),
                T(test_generations_after_enroll),
                T(test_generations_empty),
                T(test_generations_bad_invitation),
        };
#undef T
        return cmocka_run_group_tests(tests, NULL, NULL);
}
