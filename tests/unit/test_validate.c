/* lib/validate.c: one binding against the registry. Every failure is a
 * denial with a reason; drift of hostname or MACs is reported, not denied. */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/wait.h>
#include "cws/revoke.h"
#include "cws/validate.h"
#include "registry_fixture.h"

typedef struct enrolled {
        cws_invitation inv;
        char tok[CWS_TOKEN_MAX];
        cws_binding b;
} enrolled;

static void enroll_new(registry_fx *fx, enrolled *e, cws_inv_type type, bool device_bound,
                       unsigned max_devices)
{
        cws_error err = { 0 };

        fx_inv_defaults(&e->inv, type);
        e->inv.device_bound = device_bound;
        e->inv.max_devices = max_devices;
        if (fx_create_root(fx, &e->inv, e->tok, &err) != 0)
                fail_msg("invitation: %s", err.msg);
        fx_enroll(fx, e->tok, &e->b);
}

static cws_decision check(registry_fx *fx, const cws_binding *b, const cws_fingerprint *fp,
                          cws_inv_type min, int64_t now)
{
        cws_decision d;

        memset(&d, 0x5a, sizeof(d));
        cws_validate_binding(fx->reg, &fx->trust, b, fp, min, now, &d);
        return d;
}

static void expect_allow(const cws_decision *d, unsigned violations)
{
        if (!d->allow)
                fail_msg("denied: %s (%s)", cws_reason_to_string(d->reason), d->detail);
        assert_int_equal(d->reason, CWS_R_OK);
        assert_int_equal(d->violations, violations);
        assert_string_equal(d->detail, "");
}

static void expect_deny(const cws_decision *d, cws_reason reason, const cws_binding *b)
{
        assert_false(d->allow);
        if (d->reason != reason)
                fail_msg("reason %s, expected %s (%s)", cws_reason_to_string(d->reason),
                         cws_reason_to_string(reason), d->detail);
        assert_true(d->detail[0] != '\0');
        assert_string_equal(d->inv_id, b->inv_id);
        assert_string_equal(d->device_id, b->device_id);
}

static void test_allow(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_READ_WRITE, FX_NOW + 60);
        expect_allow(&d, 0);
        assert_string_equal(d.profile, FX_PROFILE);
        assert_string_equal(d.inv_id, e.inv.id);
        assert_string_equal(d.device_id, e.b.device_id);
        assert_int_equal(d.type, CWS_TYPE_READ_WRITE);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_READ_ONLY, FX_NOW + 60);
        expect_allow(&d, 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW + 60);
        expect_allow(&d, 0);
}

static void test_insufficient_type(void **state)
{
        registry_fx *fx = *state;
        enrolled rw, ro;
        cws_decision d;

        enroll_new(fx, &rw, CWS_TYPE_READ_WRITE, true, 1);
        d = check(fx, &rw.b, &fx->fp, CWS_TYPE_ADMIN, FX_NOW);
        expect_deny(&d, CWS_R_INSUFFICIENT_TYPE, &rw.b);
        assert_int_equal(d.type, CWS_TYPE_READ_WRITE);
        enroll_new(fx, &ro, CWS_TYPE_READ_ONLY, true, 1);
        d = check(fx, &ro.b, &fx->fp, CWS_TYPE_READ_WRITE, FX_NOW);
        expect_deny(&d, CWS_R_INSUFFICIENT_TYPE, &ro.b);
        assert_int_equal(d.type, CWS_TYPE_READ_ONLY);
        d = check(fx, &ro.b, &fx->fp, CWS_TYPE_READ_ONLY, FX_NOW);
        expect_allow(&d, 0);
}

static void test_device_revoked(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_binding b2;
        cws_decision d;
        uint8_t priv[CWS_ED25519_KEY_LEN], pub[CWS_ED25519_KEY_LEN];

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 2);
        fx_enroll(fx, e.tok, &b2);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, "admin",
                                           "", FX_NOW, NULL), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_DEVICE_REVOKED, &e.b);
        /* The other device is untouched, until its user revokes it. */
        d = check(fx, &b2, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);
        fx_token_key(e.tok, priv, pub);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, b2.device_id, priv, FX_USER, "", FX_NOW,
                                           NULL), 0);
        d = check(fx, &b2, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_DEVICE_REVOKED, &b2);
}

/* A revocation nobody trusted signed: not a grant either. */
static void test_device_revocation_forged(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        uint8_t other_priv[CWS_ED25519_KEY_LEN], other_pub[CWS_ED25519_KEY_LEN];

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        assert_int_equal(cws_ed25519_keygen(other_priv, other_pub), 0);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, other_priv, "mallory", "",
                                           FX_NOW, NULL), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &e.b);
}

static void test_invitation_revoked(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, e.inv.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_INVITATION_REVOKED, &e.b);
}

static void test_ancestor_revoked(void **state)
{
        registry_fx *fx = *state;
        cws_invitation root, child;
        cws_binding b;
        cws_decision d;
        char rtok[CWS_TOKEN_MAX], ctok[CWS_TOKEN_MAX];

        fx_root(fx, CWS_TYPE_ADMIN, 1, &root, rtok);
        fx_sub(fx, rtok, CWS_TYPE_READ_WRITE, &child, ctok);
        fx_enroll(fx, ctok, &b);
        d = check(fx, &b, &fx->fp, CWS_TYPE_READ_WRITE, FX_NOW);
        expect_allow(&d, 0);
        assert_int_equal(cws_revoke_invitation(fx->reg, &fx->trust, root.id, fx->admin_priv, "admin", "", FX_NOW,
                                               NULL), 0);
        d = check(fx, &b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_INVITATION_REVOKED, &b);
}

static void test_expired(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, e.inv.expires_at - 1);
        expect_allow(&d, 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, e.inv.expires_at);
        expect_deny(&d, CWS_R_INVITATION_EXPIRED, &e.b);
}

static void test_system_id_mismatch(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_fingerprint other;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        other = fx->fp;
        snprintf(other.machine_id, sizeof(other.machine_id), "%s", "fedcba9876543210fedcba9876543210");
        d = check(fx, &e.b, &other, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_SYSTEM_ID_MISMATCH, &e.b);
        assert_true(d.violations & CWS_FP_SYSTEM_ID_MISMATCH);

        other = fx->fp;
        snprintf(other.system_uuid, sizeof(other.system_uuid), "%s",
                 "00000000-0000-0000-0000-000000000001");
        d = check(fx, &e.b, &other, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_SYSTEM_ID_MISMATCH, &e.b);
        assert_int_equal(d.violations, CWS_FP_SYSTEM_ID_MISMATCH);
}

static void test_user_mismatch(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_fingerprint other;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        other = fx->fp;
        snprintf(other.username, sizeof(other.username), "%s", "bob");
        d = check(fx, &e.b, &other, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_USER_MISMATCH, &e.b);
        assert_int_equal(d.violations, CWS_FP_USER_MISMATCH);

        other = fx->fp;
        other.uid = FX_UID + 1;
        d = check(fx, &e.b, &other, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_USER_MISMATCH, &e.b);
        assert_int_equal(d.violations, CWS_FP_USER_MISMATCH);
}

/* A new docker0 or a renamed host must never lock anyone out. */
static void test_drift_is_reported_not_denied(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_fingerprint now;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        now = fx->fp;
        snprintf(now.hostname, sizeof(now.hostname), "%s", "renamed.example.org");
        d = check(fx, &e.b, &now, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, CWS_FP_HOSTNAME_MISMATCH);

        now = fx->fp;
        snprintf(now.macs[0], sizeof(now.macs[0]), "%s", "02:42:ac:11:00:02");
        snprintf(now.macs[1], sizeof(now.macs[1]), "%s", "02:42:ac:11:00:03");
        d = check(fx, &e.b, &now, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, CWS_FP_MAC_ADDRESS_MISMATCH);

        snprintf(now.hostname, sizeof(now.hostname), "%s", "renamed.example.org");
        d = check(fx, &e.b, &now, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, CWS_FP_MAC_ADDRESS_MISMATCH | CWS_FP_HOSTNAME_MISMATCH);

        /* One enrolled address left among new ones: no drift at all. */
        now = fx->fp;
        snprintf(now.macs[0], sizeof(now.macs[0]), "%s", "02:42:ac:11:00:02");
        snprintf(now.macs[2], sizeof(now.macs[2]), "%s", "02:42:ac:11:00:04");
        now.n_macs = 3;
        d = check(fx, &e.b, &now, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);

        now = fx->fp;
        now.n_macs = 0;
        d = check(fx, &e.b, &now, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, CWS_FP_MAC_ADDRESS_MISMATCH);
}

/* device_bound = false: another machine is drift, not a denial. */
static void test_unbound_allows_other_machine(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_fingerprint other;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, false, 1);
        other = fx->fp;
        snprintf(other.machine_id, sizeof(other.machine_id), "%s", "fedcba9876543210fedcba9876543210");
        snprintf(other.hostname, sizeof(other.hostname), "%s", "laptop2");
        d = check(fx, &e.b, &other, CWS_TYPE_READ_WRITE, FX_NOW);
        expect_allow(&d, CWS_FP_SYSTEM_ID_MISMATCH | CWS_FP_HOSTNAME_MISMATCH);
        assert_int_equal(d.type, CWS_TYPE_READ_WRITE);
        /* Still refused when the type is too low or the device revoked. */
        d = check(fx, &e.b, &other, CWS_TYPE_ADMIN, FX_NOW);
        expect_deny(&d, CWS_R_INSUFFICIENT_TYPE, &e.b);
        assert_int_equal(cws_revoke_device(fx->reg, &fx->trust, e.inv.id, e.b.device_id, fx->admin_priv, "a", "",
                                           FX_NOW, NULL), 0);
        d = check(fx, &e.b, &other, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_DEVICE_REVOKED, &e.b);
}

static void slot_path(registry_fx *fx, const cws_binding *b, unsigned slot, unsigned gen,
                      char path[PATH_MAX])
{
        char key[CWS_KEY_MAX];

        assert_int_equal(cws_key_slot(key, b->inv_id, slot, gen), 0);
        fx_path(fx, key, path);
}

static void test_slot_record_deleted(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        char path[PATH_MAX];

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        slot_path(fx, &e.b, 1, 0, path);
        assert_int_equal(unlink(path), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_MISSING, &e.b);
}

/* Every single-byte change of the registration denies. */
static void test_slot_record_changed_by_one_byte(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        char path[PATH_MAX], *orig;
        size_t len = 0;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        slot_path(fx, &e.b, 1, 0, path);
        orig = fx_read(path, &len);
        assert_true(len > 100);
        for (size_t i = 0; i < len; i++) {
                fx_flip_byte(path, i, 0x04);
                d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
                if (d.allow || d.reason != CWS_R_RECORD_INVALID)
                        fail_msg("byte %zu changed: %s", i, d.allow ? "allowed"
                                                                  : cws_reason_to_string(d.reason));
                fx_write(path, orig, len);
        }
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);
        free(orig);
}

/* Another device's genuine registration put in this device's slot. */
static void test_slot_record_swapped(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_binding b2;
        cws_decision d;
        char p1[PATH_MAX], p2[PATH_MAX];

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 2);
        fx_enroll(fx, e.tok, &b2);
        slot_path(fx, &e.b, 1, 0, p1);
        slot_path(fx, &e.b, 2, 0, p2);
        fx_copy_file(p2, p1);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &e.b);
}

/* Each field of the binding matters. */
static void test_binding_altered(void **state)
{
        registry_fx *fx = *state;
        enrolled e, other;
        cws_binding b2, x;
        cws_decision d;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 3);
        fx_enroll(fx, e.tok, &b2);
        enroll_new(fx, &other, CWS_TYPE_READ_WRITE, true, 1);

        x = e.b;
        x.secret[7] ^= 0x01;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &x);

        x = e.b;
        x.binding_priv[0] ^= 0x80;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &x);

        /* Another device's id, or its slot, with this device's key. */
        x = e.b;
        memcpy(x.device_id, b2.device_id, sizeof(x.device_id));
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &x);
        x = e.b;
        x.slot = b2.slot;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &x);

        /* A slot or generation with nothing in it. */
        x = e.b;
        x.slot = 3;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_MISSING, &x);
        x = e.b;
        x.gen = 1;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_MISSING, &x);

        /* Pointed at another genuine invitation: its secret does not fit. */
        x = e.b;
        memcpy(x.inv_id, other.inv.id, sizeof(x.inv_id));
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &x);

        /* An invitation id that is not one. */
        x = e.b;
        snprintf(x.inv_id, sizeof(x.inv_id), "%s", "../../etc");
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_BAD_REQUEST, &x);

        /* Another user named in the binding, its fingerprint agreeing. */
        x = e.b;
        snprintf(x.username, sizeof(x.username), "%s", "bob");
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_USER_MISMATCH, &x);
        x = e.b;
        x.uid = 0;
        d = check(fx, &x, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_USER_MISMATCH, &x);

        /* Enrolled fingerprint and current one agree with each other, but
         * not with the registered digest. */
        {
                cws_fingerprint moved = fx->fp;
                snprintf(moved.machine_id, sizeof(moved.machine_id), "%s",
                         "00112233445566778899aabbccddeeff");
                x = e.b;
                x.fp = moved;
                d = check(fx, &x, &moved, CWS_TYPE_NONE, FX_NOW);
                expect_deny(&d, CWS_R_SYSTEM_ID_MISMATCH, &x);
        }

        /* The untouched binding still passes. */
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);
}

static void test_invitation_record_tampered(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        char key[CWS_KEY_MAX], path[PATH_MAX];

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        assert_int_equal(cws_key_invitation(key, e.inv.id), 0);
        fx_path(fx, key, path);
        fx_flip_byte(path, fx_offset_after(path, "\"payload\":\"") + 30, 0x01);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_INVALID, &e.b);
}

static void test_registry_removed(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        char moved[PATH_MAX];
        int fd;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        snprintf(moved, sizeof(moved), "%s/registry.gone", fx->dir);
        assert_int_equal(rename(fx->regdir, moved), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_RECORD_MISSING, &e.b);

        /* A file where the registry was: the store cannot answer. */
        fd = open(fx->regdir, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        close(fd);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_deny(&d, CWS_R_REGISTRY_UNAVAILABLE, &e.b);
        assert_int_equal(unlink(fx->regdir), 0);

        /* Back in place, it validates again. */
        assert_int_equal(rename(moved, fx->regdir), 0);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);
}

/* Unreadable registry directory. Root reads through mode 000, so the check
 * runs in a child that drops to nobody when we are root. The child exits
 * with the reason (100 for an allow). */
static void test_registry_unreadable(void **state)
{
        registry_fx *fx = *state;
        enrolled e;
        cws_decision d;
        pid_t pid;
        int status = 0;

        enroll_new(fx, &e, CWS_TYPE_READ_WRITE, true, 1);
        assert_int_equal(chmod(fx->dir, 0711), 0);
        assert_int_equal(chmod(fx->regdir, 0), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (geteuid() == 0 &&
                    (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(120);
                cws_validate_binding(fx->reg, &fx->trust, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW, &d);
                _exit(d.allow ? 100 : (int)d.reason);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(chmod(fx->regdir, 0755), 0);
        assert_int_equal(chmod(fx->dir, 0700), 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), CWS_R_REGISTRY_UNAVAILABLE);
        d = check(fx, &e.b, &fx->fp, CWS_TYPE_NONE, FX_NOW);
        expect_allow(&d, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
                T(test_allow),
                T(test_insufficient_type),
                T(test_device_revoked),
                T(test_device_revocation_forged),
                T(test_invitation_revoked),
                T(test_ancestor_revoked),
                T(test_expired),
                T(test_system_id_mismatch),
                T(test_user_mismatch),
                T(test_drift_is_reported_not_denied),
                T(test_unbound_allows_other_machine),
                T(test_slot_record_deleted),
                T(test_slot_record_changed_by_one_byte),
                T(test_slot_record_swapped),
                T(test_binding_altered),
                T(test_invitation_record_tampered),
                T(test_registry_removed),
                T(test_registry_unreadable),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
