/* lib/enroll.c: claiming a device slot create-only; max_devices holds even
 * when many hosts enroll at once. */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "cws/chain.h"
#include "cws/devices.h"
#include "cws/enroll.h"
#include "cws/revoke.h"
#include "cws/slot.h"
#include "registry_fixture.h"

static void expect_msg(const cws_error *err, const char *part)
{
        if (!strstr(err->msg, part))
                fail_msg("message '%s' lacks '%s'", err->msg, part);
}

/* Enrolls and expects a refusal; the binding must come back empty. */
static void expect_refused(registry_fx *fx, const char *token, const char *user, int64_t now,
                           int code, cws_reason reason, const char *msg_part)
{
        cws_binding b;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;
        static const cws_binding zero;

        memset(&b, 0x5a, sizeof(b));
        assert_int_equal(cws_enroll(fx->reg, &fx->trust, token, FX_UID, user, &fx->fp, now, &b,
                                    &why, &err), code);
        assert_int_equal(why, reason);
        if (msg_part)
                expect_msg(&err, msg_part);
        assert_memory_equal(&b, &zero, sizeof(b));
}

static void fetch_chain(registry_fx *fx, const char *inv_id, cws_chain *c)
{
        cws_reason why = CWS_R_INTERNAL_ERROR;
        cws_error err = { 0 };

        if (cws_chain_fetch(fx->reg, &fx->trust, inv_id, FX_NOW, c, &why, &err) != 0)
                fail_msg("chain %s: %s", inv_id, err.msg);
}

/* The generations stored in a slot, as a count and the newest one. */
static size_t slot_gens(registry_fx *fx, const char *inv_id, unsigned slot, unsigned *newest)
{
        unsigned *gens = NULL;
        size_t n = 0;
        cws_error err = { 0 };

        assert_int_equal(cws_slot_generations(fx->reg, inv_id, slot, &gens, &n, &err), 0);
        if (newest)
                *newest = n ? gens[n - 1] : 0;
        free(gens);
        return n;
}

static void test_enroll_ok(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b, b2;
        cws_chain c;
        cws_device_reg reg;
        cws_error err = { 0 };
        uint8_t pub[CWS_ED25519_KEY_LEN], digest[CWS_SHA256_LEN], secret[CWS_SECRET_LEN];
        char tok[CWS_TOKEN_MAX], id[CWS_ID_MAX], key[CWS_KEY_MAX], path[PATH_MAX];
        struct stat st;

        fx_root(fx, CWS_TYPE_READ_WRITE, 2, &inv, tok);
        fx_enroll(fx, tok, &b);
        assert_string_equal(b.profile, FX_PROFILE);
        assert_string_equal(b.inv_id, inv.id);
        assert_int_equal(cws_token_parse(tok, id, secret), 0);
        assert_memory_equal(b.secret, secret, sizeof(secret));
        assert_true(cws_id_valid("dev", b.device_id));
        assert_int_equal(b.slot, 1);
        assert_int_equal(b.gen, 0);
        assert_int_equal(b.uid, FX_UID);
        assert_string_equal(b.username, FX_USER);
        assert_memory_equal(&b.fp, &fx->fp, sizeof(b.fp));
        assert_int_equal(b.enrolled_at, FX_NOW);

        /* The registration: create-only at slot/1/0, signed by the
         * invitation key, naming this device, user and fingerprint. */
        assert_int_equal(cws_key_slot(key, inv.id, 1, 0), 0);
        fx_path(fx, key, path);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        fetch_chain(fx, inv.id, &c);
        assert_int_equal(cws_slot_read(fx->reg, &c, 1, 0, &reg, &err), 0);
        assert_string_equal(reg.inv_id, inv.id);
        assert_string_equal(reg.device_id, b.device_id);
        assert_int_equal(reg.slot, 1);
        assert_int_equal(reg.gen, 0);
        assert_string_equal(reg.user, FX_USER);
        assert_int_equal(reg.uid, FX_UID);
        assert_int_equal(reg.enrolled_at, FX_NOW);
        assert_int_equal(cws_ed25519_public(b.binding_priv, pub), 0);
        assert_memory_equal(reg.binding_pub, pub, sizeof(pub));
        assert_int_equal(cws_fingerprint_digest(&fx->fp, digest), 0);
        assert_memory_equal(reg.fp_digest, digest, sizeof(digest));

        /* A second device takes slot 2 with its own id and key. */
        fx_enroll(fx, tok, &b2);
        assert_int_equal(b2.slot, 2);
        assert_int_equal(b2.gen, 0);
        assert_string_not_equal(b2.device_id, b.device_id);
        assert_memory_not_equal(b2.binding_priv, b.binding_priv, sizeof(b.binding_priv));
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 1);
        assert_int_equal(slot_gens(fx, inv.id, 2, NULL), 1);
}

static void test_full(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        fx_enroll(fx, tok, &b);
        assert_int_equal(b.slot, 1);
        expect_refused(fx, tok, FX_USER, FX_NOW + 1, -ENOSPC, CWS_R_INVITATION_FULL,
                       "all 1 device slots are taken");
        expect_refused(fx, tok, "bob", FX_NOW + 2, -ENOSPC, CWS_R_INVITATION_FULL, inv.id);
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 1);
        assert_int_equal(slot_gens(fx, inv.id, 2, NULL), 0);
}

/* Revoking a device frees its slot for the next generation. */
static void test_reenroll_after_revoke(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b1, b2, b3;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX];
        unsigned newest = 99;

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        fx_enroll(fx, tok, &b1);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b1.device_id, fx->admin_priv, "admin",
                                           "laptop lost", FX_NOW, NULL), 0);
        fx_enroll(fx, tok, &b2);
        assert_int_equal(b2.slot, 1);
        assert_int_equal(b2.gen, 1);
        assert_string_not_equal(b2.device_id, b1.device_id);
        assert_int_equal(slot_gens(fx, inv.id, 1, &newest), 2);
        assert_int_equal(newest, 1);
        expect_refused(fx, tok, FX_USER, FX_NOW, -ENOSPC, CWS_R_INVITATION_FULL, "full");

        /* The user may give up their own device with the invitation key. */
        fx_token_key(tok, priv, pub);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b2.device_id, priv, FX_USER, "",
                                           FX_NOW, NULL), 0);
        fx_enroll(fx, tok, &b3);
        assert_int_equal(b3.slot, 1);
        assert_int_equal(b3.gen, 2);
}

/* A revocation nobody trusted signed does not free the slot. */
static void test_forged_revocation_does_not_free_slot(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        fx_enroll(fx, tok, &b);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, inv.id, b.device_id, other_priv, "mallory", "",
                                           FX_NOW, NULL), 0);
        expect_refused(fx, tok, FX_USER, FX_NOW, -ENOSPC, CWS_R_INVITATION_FULL, "full");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 1);
}

/* A forged registration in slot 1 blocks that slot (never reused) but the
 * next free slot is still claimed. */
static void test_forged_slot_record(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        cws_device_reg reg = { .slot = 1, .gen = 0, .uid = FX_UID, .enrolled_at = FX_NOW };
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];
        char tok[CWS_TOKEN_MAX], key[CWS_KEY_MAX], *payload = NULL;

        fx_root(fx, CWS_TYPE_READ_ONLY, 2, &inv, tok);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        memcpy(reg.inv_id, inv.id, sizeof(inv.id));
        assert_int_equal(cws_id_new("dev", reg.device_id), 0);
        snprintf(reg.user, sizeof(reg.user), "%s", "mallory");
        assert_int_equal(cws_device_reg_to_json(&reg, &payload), 0);
        assert_int_equal(cws_key_slot(key, inv.id, 1, 0), 0);
        fx_put(fx, key, CWS_REC_DEVICE, payload, other_priv);
        free(payload);

        fx_enroll(fx, tok, &b);
        assert_int_equal(b.slot, 2);
        assert_int_equal(b.gen, 0);
        expect_refused(fx, tok, FX_USER, FX_NOW, -ENOSPC, CWS_R_INVITATION_FULL, "full");
}

static void test_bad_token(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], cut[CWS_TOKEN_MAX];
        const char *const bad[] = { "", "garbage", "inv-xx.yy", ".", "dev-AAAAAAAAAAAAAAAAAAAAAA.AAAA" };

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        for (size_t i = 0; i < CWS_ELEMENTSOF(bad); i++)
                expect_refused(fx, bad[i], FX_USER, FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "malformed");
        snprintf(cut, sizeof(cut), "%.*s", (int)strlen(tok) - 1, tok);
        expect_refused(fx, cut, FX_USER, FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "malformed");
        expect_refused(fx, NULL, FX_USER, FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "malformed");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 0);
}

static void test_wrong_secret(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        uint8_t secret[CWS_SECRET_LEN];
        char tok[CWS_TOKEN_MAX], bad[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_random(secret, sizeof(secret)), 0);
        assert_int_equal(cws_token_format(inv.id, secret, bad), 0);
        expect_refused(fx, bad, FX_USER, FX_NOW, -EPERM, CWS_R_PERMISSION_DENIED, "does not match");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 0);
}

static void test_revoked_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, inv.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        expect_refused(fx, tok, FX_USER, FX_NOW, -EPERM, CWS_R_INVITATION_REVOKED, "was revoked");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 0);
}

static void test_revoked_parent(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_ONLY, &child, ctok);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, root.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        expect_refused(fx, ctok, FX_USER, FX_NOW, -EPERM, CWS_R_INVITATION_REVOKED, "an ancestor");
}

static void test_expired_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        cws_binding b;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        char tok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_READ_ONLY, 2, &inv, tok);
        expect_refused(fx, tok, FX_USER, inv.expires_at, -EPERM, CWS_R_INVITATION_EXPIRED, "expired");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 0);
        /* A second earlier it still works. */
        assert_int_equal(cws_enroll(fx->reg, &fx->trust, tok, FX_UID, FX_USER, &fx->fp,
                                    inv.expires_at - 1, &b, &why, NULL), 0);
        assert_int_equal(why, CWS_R_OK);
}

static void test_invitation_missing(void **state)
{
        registry_fx *fx = *state;
        cws_invitation ghost;
        char tok[CWS_TOKEN_MAX];

        fx_inv_defaults(&ghost, CWS_TYPE_READ_ONLY);
        fx_new_identity(&ghost, tok);
        expect_refused(fx, tok, FX_USER, FX_NOW, -ENOENT, CWS_R_RECORD_MISSING, ghost.id);
}

static void test_invalid_username(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], longname[80];
        const char *const bad[] = { "", "-rf", ".hidden", "a/b", "../root", "bob smith",
                                    "a\nb", "r\xc3\xb6t", "x;id" };

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        for (size_t i = 0; i < CWS_ELEMENTSOF(bad); i++)
                expect_refused(fx, tok, bad[i], FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "invalid user name");
        memset(longname, 'a', 64);
        longname[64] = '\0';
        expect_refused(fx, tok, longname, FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "invalid user name");
        expect_refused(fx, tok, NULL, FX_NOW, -EINVAL, CWS_R_BAD_REQUEST, "invalid user name");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 0);
}

static void test_enroll_sub_invitation(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_binding b;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 2, &root, rtok);
        fx_inv_defaults(&child, CWS_TYPE_READ_ONLY);
        snprintf(child.name, sizeof(child.name), "%s", "contractors");
        assert_int_equal(fx_create_sub(fx, rtok, &child, ctok, NULL), 0);
        fx_enroll(fx, ctok, &b);
        assert_string_equal(b.profile, "contractors");
        assert_string_equal(b.inv_id, child.id);
        assert_int_equal(b.slot, 1);
        /* The child's slots are its own, not the parent's. */
        assert_int_equal(slot_gens(fx, child.id, 1, NULL), 1);
        assert_int_equal(slot_gens(fx, root.id, 1, NULL), 0);
}

/* Storage that cannot be listed is a registry failure, not "full". */
static void test_registry_unavailable(void **state)
{
        registry_fx *fx = *state;
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX], path[PATH_MAX];
        int fd;

        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        snprintf(path, sizeof(path), "%s/inv/%s/slot", fx->regdir, inv.id);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        close(fd);
        expect_refused(fx, tok, FX_USER, FX_NOW, -ENOTDIR, CWS_R_REGISTRY_UNAVAILABLE, NULL);
}

/* A store that answers the first reads of a slot record the listing names
 * as absent, as RGW does for a moment while several hosts write one
 * versioned key: the enrollment looks again (the slot is taken: full),
 * and says registry_unavailable only when it stays so. */
/* The first hook_left reads of a slot record: absent. */
static int absent_slot(fx_wrap *w, const char *key, cws_error *err)
{
        if (!strstr(key, "/slot/"))
                return 1;
        w->hook_calls++;
        if (w->hook_left <= 0)
                return 1;
        w->hook_left--;
        return cws_error_set(err, -ENOENT, "%s: no such record", key);
}

static void test_slot_listed_but_absent(void **state)
{
        registry_fx *fx = *state;
        fx_wrap a = fx_wrap_of(fx->reg);
        cws_invitation inv;
        cws_binding b;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        char tok[CWS_TOKEN_MAX];

        a.get_hook = absent_slot;
        fx_root(fx, CWS_TYPE_READ_ONLY, 1, &inv, tok);
        fx_enroll(fx, tok, &b);
        /* Absent twice, then there: taken, so the invitation is full. */
        a.hook_left = 2;
        assert_int_equal(cws_enroll(&a.base, &fx->trust, tok, FX_UID, "bob", &fx->fp, FX_NOW + 1, &b,
                                    &why, &err), -ENOSPC);
        assert_int_equal(why, CWS_R_INVITATION_FULL);
        assert_true(a.hook_calls >= 3);
        /* Absent at every look: not "full", not "free" — the store is not
         * telling the truth yet, and it says so. */
        a.hook_left = 1000;
        a.hook_calls = 0;
        why = CWS_R_INTERNAL_ERROR;
        assert_int_equal(cws_enroll(&a.base, &fx->trust, tok, FX_UID, "bob", &fx->fp, FX_NOW + 2, &b,
                                    &why, &err), -EBUSY);
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        expect_msg(&err, "being written by another host");
        assert_int_equal(slot_gens(fx, inv.id, 1, NULL), 1);
}

/* Invariant 4: max_devices holds under concurrent enrollment. Each child
 * opens its own registry handle (as separate hosts would) and all of them
 * are released at once. */
#define RACERS 20
enum { EXIT_FULL = 10, EXIT_OTHER = 20, EXIT_SETUP = 30 };

static int racer(const registry_fx *fx, const char *tok, int go)
{
        cws_registry *reg = NULL;
        cws_binding b;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        char c;
        int k;

        if (cws_registry_open(fx->url, &reg, &err) < 0)
                return EXIT_SETUP;
        if (read(go, &c, 1) != 0)       /* EOF: the parent let go */
                return EXIT_SETUP;
        k = cws_enroll(reg, &fx->trust, tok, FX_UID, FX_USER, &fx->fp, FX_NOW, &b, &why, &err);
        cws_registry_free(reg);
        if (k == 0 && why == CWS_R_OK && b.slot >= 1 && b.slot <= CWS_MAX_DEVICES)
                return (int)b.slot;
        if (k == -ENOSPC && why == CWS_R_INVITATION_FULL)
                return EXIT_FULL;
        fprintf(stderr, "racer: %d %s %s\n", k, cws_reason_to_string(why), err.msg);
        return EXIT_OTHER;
}

static void race_round(registry_fx *fx, unsigned max_devices)
{
        cws_invitation inv;
        cws_device_entry *v = NULL;
        cws_error err = { 0 };
        char tok[CWS_TOKEN_MAX];
        pid_t pids[RACERS];
        unsigned per_slot[CWS_MAX_DEVICES + 1] = { 0 };
        unsigned ok = 0, full = 0;
        size_t n = 0;
        int go[2];

        fx_root(fx, CWS_TYPE_READ_WRITE, max_devices, &inv, tok);
        assert_int_equal(pipe(go), 0);
        fflush(NULL);
        for (int i = 0; i < RACERS; i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        close(go[1]);
                        _exit(racer(fx, tok, go[0]));
                }
        }
        close(go[0]);
        close(go[1]);           /* release them all */
        for (int i = 0; i < RACERS; i++) {
                int status = 0, code;
                assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
                assert_true(WIFEXITED(status));
                code = WEXITSTATUS(status);
                if (code >= 1 && code <= (int)max_devices) {
                        ok++;
                        per_slot[code]++;
                } else if (code == EXIT_FULL) {
                        full++;
                } else {
                        fail_msg("racer %d exited with %d", i, code);
                }
        }
        assert_int_equal(ok, max_devices);
        assert_int_equal(full, RACERS - max_devices);
        for (unsigned s = 1; s <= max_devices; s++) {
                assert_int_equal(per_slot[s], 1);
                assert_int_equal(slot_gens(fx, inv.id, s, NULL), 1);
        }
        for (unsigned s = max_devices + 1; s <= CWS_MAX_DEVICES; s++)
                assert_int_equal(slot_gens(fx, inv.id, s, NULL), 0);

        assert_int_equal(cws_devices_list(fx->reg, &fx->trust, inv.id, FX_NOW, &v, &n, &err), 0);
        assert_int_equal(n, max_devices);
        for (size_t i = 0; i < n; i++) {
                assert_false(v[i].revoked);
                assert_int_equal(v[i].reg.slot, i + 1);
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(v[i].reg.device_id, v[j].reg.device_id);
        }
        free(v);
}

static void test_max_devices_under_concurrency(void **state)
{
        registry_fx *fx = *state;

        race_round(fx, 3);
        race_round(fx, 3);
        race_round(fx, 3);
        race_round(fx, 1);
        race_round(fx, CWS_MAX_DEVICES);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_enroll_ok),
                T(test_full),
                T(test_reenroll_after_revoke),
                T(test_forged_revocation_does_not_free_slot),
                T(test_forged_slot_record),
                T(test_bad_token),
                T(test_wrong_secret),
                T(test_revoked_invitation),
                T(test_revoked_parent),
                T(test_expired_invitation),
                T(test_invitation_missing),
                T(test_invalid_username),
                T(test_enroll_sub_invitation),
                T(test_registry_unavailable),
                T(test_slot_listed_but_absent),
                T(test_max_devices_under_concurrency),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
