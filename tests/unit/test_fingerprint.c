/* The device fingerprint: only stable fields digest or deny; hostname and
 * MAC changes are drift; a malformed /etc/machine-id is refused (checked in
 * a private mount namespace, see machine_id_ns.h). */
#define _GNU_SOURCE   /* unshare() */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cws/fingerprint.h"
#include "machine_id_ns.h"

#define OTHER_MACHINE_ID "0123456789abcdef0123456789abcdef\n"

static void read_real_machine_id(char out[33])
{
        FILE *f = fopen("/etc/machine-id", "r");
        assert_non_null(f);
        assert_non_null(fgets(out, 33, f));
        fclose(f);
        assert_int_equal(strlen(out), 32);
}

/* A fingerprint of a made-up host, independent of this one. */
static void sample(cws_fingerprint *fp)
{
        memset(fp, 0, sizeof(*fp));
        strcpy(fp->hostname, "ws-17.lab.example.org");
        strcpy(fp->machine_id, "5d1b2c7e9f0a4b3c8d7e6f5a4b3c2d1e");
        strcpy(fp->system_uuid, "4c4c4544-0042-3510-8052-b4c04f4e3332");
        strcpy(fp->os, "Linux 6.1.0-18-amd64");
        strcpy(fp->arch, "x86_64");
        strcpy(fp->macs[0], "02:42:ac:11:00:02");
        strcpy(fp->macs[1], "3c:52:82:aa:bb:cc");
        strcpy(fp->macs[2], "a4:bb:6d:01:02:03");
        fp->n_macs = 3;
        fp->uid = 1000;
        strcpy(fp->username, "alice");
}

static bool mac_well_formed(const char *m)
{
        if (strlen(m) != 17)
                return false;
        for (int i = 0; i < 17; i++) {
                if (i % 3 == 2 ? m[i] != ':'
                               : !((m[i] >= '0' && m[i] <= '9') || (m[i] >= 'a' && m[i] <= 'f')))
                        return false;
        }
        return true;
}

static bool fp_has_mac(const cws_fingerprint *fp, const char *mac)
{
        for (unsigned i = 0; i < fp->n_macs; i++)
                if (strcmp(fp->macs[i], mac) == 0)
                        return true;
        return false;
}

static bool sysfs_read(const char *iface, const char *attr, char *buf, size_t sz)
{
        char path[300];
        FILE *f;
        bool ok;

        snprintf(path, sizeof(path), "/sys/class/net/%s/%s", iface, attr);
        f = fopen(path, "r");
        if (!f)
                return false;
        ok = fgets(buf, (int)sz, f) != NULL;
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        return ok;
}

/* Permanent addresses of real interfaces are in; addresses the kernel drew
 * at random (they change every boot) are not. */
static void test_collect_macs_from_sysfs(void **state)
{
        cws_fingerprint fp, kept;
        DIR *d;
        struct dirent *de;
        char random_macs[64][18];
        unsigned n_random = 0;
        (void)state;

        assert_int_equal(cws_fingerprint_collect(1000, "alice", &fp, NULL), 0);
        d = opendir("/sys/class/net");
        if (!d)
                skip();
        memset(&kept, 0, sizeof(kept));
        while ((de = readdir(d))) {
                char mac[64], type[16];
                if (de->d_name[0] == '.' || strcmp(de->d_name, "lo") == 0 ||
                    !sysfs_read(de->d_name, "address", mac, sizeof(mac)) ||
                    !sysfs_read(de->d_name, "addr_assign_type", type, sizeof(type)) ||
                    !mac_well_formed(mac) || strcmp(mac, "00:00:00:00:00:00") == 0)
                        continue;
                if (strcmp(type, "1") == 0) {
                        if (n_random < 64)
                                strcpy(random_macs[n_random++], mac);
                } else if (kept.n_macs < CWS_FP_MAX_MACS) {
                        strcpy(kept.macs[kept.n_macs++], mac);
                }
        }
        closedir(d);
        if (kept.n_macs < CWS_FP_MAX_MACS)
                for (unsigned i = 0; i < kept.n_macs; i++)
                        assert_true(fp_has_mac(&fp, kept.macs[i]));
        for (unsigned i = 0; i < n_random; i++)
                assert_true(!fp_has_mac(&fp, random_macs[i]) || fp_has_mac(&kept, random_macs[i]));
}

static void test_collect_and_digest_stable(void **state)
{
        cws_fingerprint a, b;
        cws_error err = { 0 };
        uint8_t da[CWS_SHA256_LEN], db[CWS_SHA256_LEN];
        char mid[33], host[256] = { 0 };
        (void)state;

        read_real_machine_id(mid);
        assert_int_equal(cws_fingerprint_collect(1000, "alice", &a, &err), 0);
        assert_int_equal(cws_fingerprint_collect(1000, "alice", &b, &err), 0);
        assert_string_equal(a.machine_id, mid);
        assert_int_equal(a.uid, 1000);
        assert_string_equal(a.username, "alice");
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        assert_string_equal(a.hostname, host);
        assert_true(a.os[0] != '\0');
        assert_true(a.arch[0] != '\0');
        assert_true(a.n_macs <= CWS_FP_MAX_MACS);
        for (unsigned i = 0; i < a.n_macs; i++) {
                assert_true(mac_well_formed(a.macs[i]));
                assert_string_not_equal(a.macs[i], "00:00:00:00:00:00");
                if (i > 0)   /* sorted and unique */
                        assert_true(strcmp(a.macs[i - 1], a.macs[i]) < 0);
        }
        for (size_t i = 0; a.system_uuid[i]; i++)
                assert_false(a.system_uuid[i] >= 'A' && a.system_uuid[i] <= 'Z');

        assert_int_equal(cws_fingerprint_digest(&a, da), 0);
        assert_int_equal(cws_fingerprint_digest(&b, db), 0);
        assert_memory_equal(da, db, sizeof(da));
}

static void test_collect_bad_user(void **state)
{
        cws_fingerprint fp;
        cws_error err = { 0 };
        char longname[CWS_FP_FIELD_MAX + 1];
        (void)state;

        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        assert_int_equal(cws_fingerprint_collect(1000, NULL, &fp, &err), -EINVAL);
        assert_int_equal(cws_fingerprint_collect(1000, "", &fp, &err), -EINVAL);
        assert_int_equal(cws_fingerprint_collect(1000, longname, &fp, &err), -EINVAL);
}

static void digest_of(const cws_fingerprint *fp, uint8_t out[CWS_SHA256_LEN])
{
        assert_int_equal(cws_fingerprint_digest(fp, out), 0);
}

static void test_digest_covers_stable_fields_only(void **state)
{
        cws_fingerprint base, fp;
        uint8_t d0[CWS_SHA256_LEN], d[CWS_SHA256_LEN];
        (void)state;

        sample(&base);
        digest_of(&base, d0);

        /* Each stable field changes it. */
        fp = base;
        fp.machine_id[0] = '6';
        digest_of(&fp, d);
        assert_memory_not_equal(d, d0, sizeof(d));
        fp = base;
        fp.system_uuid[0] = '5';
        digest_of(&fp, d);
        assert_memory_not_equal(d, d0, sizeof(d));
        fp = base;
        fp.system_uuid[0] = '\0';
        digest_of(&fp, d);
        assert_memory_not_equal(d, d0, sizeof(d));
        fp = base;
        fp.uid = 1001;
        digest_of(&fp, d);
        assert_memory_not_equal(d, d0, sizeof(d));
        fp = base;
        strcpy(fp.username, "alicf");
        digest_of(&fp, d);
        assert_memory_not_equal(d, d0, sizeof(d));

        /* Drift fields do not. */
        fp = base;
        strcpy(fp.hostname, "renamed");
        strcpy(fp.os, "Linux 6.5.0");
        strcpy(fp.arch, "aarch64");
        strcpy(fp.macs[0], "de:ad:be:ef:00:01");
        strcpy(fp.macs[3], "de:ad:be:ef:00:02");
        fp.n_macs = 4;
        digest_of(&fp, d);
        assert_memory_equal(d, d0, sizeof(d));
        fp.n_macs = 0;
        digest_of(&fp, d);
        assert_memory_equal(d, d0, sizeof(d));
}

static void test_digest_field_boundaries(void **state)
{
        cws_fingerprint a, b;
        uint8_t da[CWS_SHA256_LEN], db[CWS_SHA256_LEN];
        (void)state;

        /* uid 1 + "2bob" must not hash like uid 12 + "bob". */
        sample(&a);
        sample(&b);
        a.uid = 1;
        strcpy(a.username, "2bob");
        b.uid = 12;
        strcpy(b.username, "bob");
        digest_of(&a, da);
        digest_of(&b, db);
        assert_memory_not_equal(da, db, sizeof(da));

        /* Nor a byte moved from the machine id into the UUID. */
        sample(&a);
        sample(&b);
        strcpy(b.machine_id, "5d1b2c7e9f0a4b3c8d7e6f5a4b3c2d1");
        strcpy(b.system_uuid, "e4c4c4544-0042-3510-8052-b4c04f4e3332");
        digest_of(&a, da);
        digest_of(&b, db);
        assert_memory_not_equal(da, db, sizeof(da));

        /* A field without its NUL is refused, not read past. */
        sample(&a);
        memset(a.username, 'x', sizeof(a.username));
        assert_int_equal(cws_fingerprint_digest(&a, da), -EINVAL);
}

static unsigned compare(const cws_fingerprint *e, const cws_fingerprint *n, bool *deny)
{
        *deny = true;   /* must be overwritten either way */
        return cws_fingerprint_compare(e, n, deny);
}

static void test_compare_same(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        (void)state;

        sample(&e);
        sample(&n);
        assert_int_equal(compare(&e, &n, &deny), 0);
        assert_false(deny);
        assert_int_equal(cws_violation_risk(0), CWS_RISK_NONE);
        /* deny may be NULL */
        assert_int_equal(cws_fingerprint_compare(&e, &n, NULL), 0);
}

static void test_compare_new_interface_is_not_a_violation(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        (void)state;

        sample(&e);
        sample(&n);
        /* docker0 and a VPN appear. */
        strcpy(n.macs[0], "02:42:00:00:00:01");
        strcpy(n.macs[1], "02:42:ac:11:00:02");
        strcpy(n.macs[2], "3c:52:82:aa:bb:cc");
        strcpy(n.macs[3], "a4:bb:6d:01:02:03");
        strcpy(n.macs[4], "fe:00:00:00:00:99");
        n.n_macs = 5;
        assert_int_equal(compare(&e, &n, &deny), 0);
        assert_false(deny);

        /* Two of three cards gone, one left: still this machine. */
        sample(&n);
        strcpy(n.macs[0], "a4:bb:6d:01:02:03");
        n.n_macs = 1;
        assert_int_equal(compare(&e, &n, &deny), 0);
        assert_false(deny);

        /* Enrolled with no MAC at all: nothing to lose. */
        e.n_macs = 0;
        assert_int_equal(compare(&e, &n, &deny), 0);
        assert_false(deny);
}

static void test_compare_all_macs_replaced_is_drift(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        unsigned m;
        (void)state;

        sample(&e);
        sample(&n);
        strcpy(n.macs[0], "10:00:00:00:00:01");
        strcpy(n.macs[1], "10:00:00:00:00:02");
        strcpy(n.macs[2], "10:00:00:00:00:03");
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_MAC_ADDRESS_MISMATCH);
        assert_false(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_LOW);

        n.n_macs = 0;   /* every interface gone */
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_MAC_ADDRESS_MISMATCH);
        assert_false(deny);
}

static void test_compare_hostname_is_drift(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        unsigned m;
        (void)state;

        sample(&e);
        sample(&n);
        strcpy(n.hostname, "ws-18.lab.example.org");
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_HOSTNAME_MISMATCH);
        assert_false(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_LOW);

        n.n_macs = 0;
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_HOSTNAME_MISMATCH | CWS_FP_MAC_ADDRESS_MISMATCH);
        assert_false(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_MEDIUM);

        /* OS and arch are recorded but never compared. */
        sample(&n);
        strcpy(n.os, "Linux 6.9.0");
        strcpy(n.arch, "aarch64");
        assert_int_equal(compare(&e, &n, &deny), 0);
        assert_false(deny);
}

static void test_compare_stable_fields_deny(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        unsigned m;
        (void)state;

        sample(&e);
        sample(&n);
        n.machine_id[31] = '0';
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_SYSTEM_ID_MISMATCH);
        assert_true(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_CRITICAL);

        sample(&n);
        strcpy(n.system_uuid, "4c4c4544-0042-3510-8052-b4c04f4e3333");
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_SYSTEM_ID_MISMATCH);
        assert_true(deny);

        sample(&n);
        n.system_uuid[0] = '\0';
        assert_int_equal(compare(&e, &n, &deny), CWS_FP_SYSTEM_ID_MISMATCH);
        assert_true(deny);

        sample(&n);
        n.uid = 0;
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_USER_MISMATCH);
        assert_true(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_HIGH);

        sample(&n);
        strcpy(n.username, "mallory");
        assert_int_equal(compare(&e, &n, &deny), CWS_FP_USER_MISMATCH);
        assert_true(deny);

        /* Everything at once: the worst wins. */
        sample(&n);
        n.machine_id[0] = 'f';
        n.uid = 1001;
        strcpy(n.hostname, "elsewhere");
        n.n_macs = 0;
        m = compare(&e, &n, &deny);
        assert_int_equal(m, CWS_FP_SYSTEM_ID_MISMATCH | CWS_FP_USER_MISMATCH |
                                    CWS_FP_HOSTNAME_MISMATCH | CWS_FP_MAC_ADDRESS_MISMATCH);
        assert_true(deny);
        assert_int_equal(cws_violation_risk(m), CWS_RISK_CRITICAL);
}

static void test_compare_corrupt_mac_count(void **state)
{
        cws_fingerprint e, n;
        bool deny;
        (void)state;

        /* A bogus count must not read past the array. */
        sample(&e);
        sample(&n);
        e.n_macs = 1000;
        n.n_macs = 1000;
        (void)compare(&e, &n, &deny);
        assert_false(deny);
}

static void test_strings(void **state)
{
        (void)state;
        assert_string_equal(cws_violation_to_string(CWS_FP_HOSTNAME_MISMATCH), "hostname_mismatch");
        assert_string_equal(cws_violation_to_string(CWS_FP_USER_MISMATCH), "user_mismatch");
        assert_string_equal(cws_violation_to_string(CWS_FP_MAC_ADDRESS_MISMATCH),
                            "mac_address_mismatch");
        assert_string_equal(cws_violation_to_string(CWS_FP_SYSTEM_ID_MISMATCH),
                            "system_id_mismatch");
        assert_string_equal(cws_violation_to_string(CWS_FP_PROFILE_COPY_DETECTED),
                            "profile_copy_detected");
        assert_string_equal(cws_violation_to_string(0), "unknown");
        assert_string_equal(cws_violation_to_string(CWS_FP_USER_MISMATCH | CWS_FP_HOSTNAME_MISMATCH),
                            "unknown");
        assert_int_equal(cws_violation_risk(CWS_FP_PROFILE_COPY_DETECTED), CWS_RISK_CRITICAL);
        char list[64] = "junk";
        cws_violations_format(0, list, sizeof(list));
        assert_string_equal(list, "");
        cws_violations_format(CWS_FP_HOSTNAME_MISMATCH | CWS_FP_MAC_ADDRESS_MISMATCH, list, sizeof(list));
        assert_string_equal(list, "hostname_mismatch,mac_address_mismatch");
        cws_violations_format(CWS_FP_SYSTEM_ID_MISMATCH, list, sizeof(list));
        assert_string_equal(list, "system_id_mismatch");
        cws_violations_format(CWS_FP_HOSTNAME_MISMATCH | CWS_FP_USER_MISMATCH, list, 20);
        assert_string_equal(list, "hostname_mismatch"); /* the next one does not fit */
        assert_string_equal(cws_risk_to_string(CWS_RISK_NONE), "NONE");
        assert_string_equal(cws_risk_to_string(CWS_RISK_LOW), "LOW");
        assert_string_equal(cws_risk_to_string(CWS_RISK_MEDIUM), "MEDIUM");
        assert_string_equal(cws_risk_to_string(CWS_RISK_HIGH), "HIGH");
        assert_string_equal(cws_risk_to_string(CWS_RISK_CRITICAL), "CRITICAL");
        assert_string_equal(cws_risk_to_string((cws_risk)42), "unknown");
}

/* ---- /etc/machine-id, through a private mount namespace ---- */

struct mid_case {
        const char *content;
        size_t len;
        mode_t mode;
        int want;                /* return of cws_machine_id */
        const char *want_id;     /* when want == 0 */
};

/* Child: 0 when cws_machine_id (and collect) behave as the case says. */
static int check_machine_id(void *arg)
{
        const struct mid_case *c = arg;
        cws_error err = { 0 };
        cws_fingerprint fp;
        char out[33] = "";
        int r = cws_machine_id(out, &err);

        if (r != c->want)
                return 1;
        if (r < 0) {
                if (!strstr(err.msg, "/etc/machine-id"))
                        return 2;
                /* Collect depends on it and must fail the same way. */
                return cws_fingerprint_collect(1000, "alice", &fp, NULL) == c->want ? 0 : 3;
        }
        if (strcmp(out, c->want_id) != 0)
                return 4;
        if (cws_fingerprint_collect(1000, "alice", &fp, NULL) < 0 ||
            strcmp(fp.machine_id, c->want_id) != 0)
                return 5;
        return 0;
}

#define MID_CASE(s, m, w, id) { s, sizeof(s) - 1, m, w, id }

static void test_machine_id_content(void **state)
{
        static const char big[100] = "0123456789abcdef0123456789abcdef\n";
        const struct mid_case cases[] = {
                MID_CASE("0123456789abcdef0123456789abcdef\n", 0444, 0,
                         "0123456789abcdef0123456789abcdef"),
                MID_CASE("0123456789abcdef0123456789abcdef", 0444, 0,
                         "0123456789abcdef0123456789abcdef"),
                MID_CASE("0123456789ABCDEF0123456789ABCDEF\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef0123456789abcde\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef0123456789abcdef0\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef0123456789abcdef\n\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef0123456789abcdef\r\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef0123456789abcdef ", 0444, -EBADMSG, NULL),
                MID_CASE(" 123456789abcdef0123456789abcdef\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdeg0123456789abcdef\n", 0444, -EBADMSG, NULL),
                MID_CASE("0123456789abcdef\0" "123456789abcdef\n", 0444, -EBADMSG, NULL),
                MID_CASE("01234567-89ab-cdef-0123-456789abcdef\n", 0444, -EBADMSG, NULL),
                MID_CASE("uninitialized\n", 0444, -EBADMSG, NULL),
                MID_CASE("00000000000000000000000000000000\n", 0444, -EBADMSG, NULL),
                MID_CASE("", 0444, -EBADMSG, NULL),
                MID_CASE("\n", 0444, -EBADMSG, NULL),
                { big, sizeof(big), 0444, -EBADMSG, NULL },
                /* Anyone could rewrite a world-writable id. */
                MID_CASE("0123456789abcdef0123456789abcdef\n", 0666, -EPERM, NULL),
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int rc = run_with_machine_id(cases[i].content, cases[i].len, cases[i].mode,
                                             check_machine_id, (void *)&cases[i]);
                if (rc == MNS_SKIP)
                        skip();
                if (rc != 0)
                        fail_msg("machine-id case %zu: child exit status %d", i, rc);
        }
}

/* Child: the enrolled fingerprint (collected by the parent on the real
 * machine id) no longer matches, and that denies. */
static int check_other_machine(void *arg)
{
        const cws_fingerprint *enrolled = arg;
        cws_fingerprint now;
        uint8_t d0[CWS_SHA256_LEN], d1[CWS_SHA256_LEN];
        bool deny = false;

        if (cws_fingerprint_collect(enrolled->uid, enrolled->username, &now, NULL) < 0)
                return 1;
        if (strcmp(now.machine_id, "0123456789abcdef0123456789abcdef") != 0)
                return 2;
        if (!(cws_fingerprint_compare(enrolled, &now, &deny) & CWS_FP_SYSTEM_ID_MISMATCH) ||
            !deny)
                return 3;
        if (cws_fingerprint_digest(enrolled, d0) < 0 || cws_fingerprint_digest(&now, d1) < 0 ||
            memcmp(d0, d1, sizeof(d0)) == 0)
                return 4;
        return 0;
}

static void test_other_machine_denies(void **state)
{
        cws_fingerprint enrolled;
        int rc;
        (void)state;

        assert_int_equal(cws_fingerprint_collect(1000, "alice", &enrolled, NULL), 0);
        if (strcmp(enrolled.machine_id, "0123456789abcdef0123456789abcdef") == 0)
                skip();   /* this host happens to carry our test id */
        rc = run_with_machine_id(OTHER_MACHINE_ID, strlen(OTHER_MACHINE_ID), 0444,
                                 check_other_machine, &enrolled);
        if (rc == MNS_SKIP)
                skip();
        assert_int_equal(rc, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_collect_and_digest_stable),
                cmocka_unit_test(test_collect_macs_from_sysfs),
                cmocka_unit_test(test_collect_bad_user),
                cmocka_unit_test(test_digest_covers_stable_fields_only),
                cmocka_unit_test(test_digest_field_boundaries),
                cmocka_unit_test(test_compare_same),
                cmocka_unit_test(test_compare_new_interface_is_not_a_violation),
                cmocka_unit_test(test_compare_all_macs_replaced_is_drift),
                cmocka_unit_test(test_compare_hostname_is_drift),
                cmocka_unit_test(test_compare_stable_fields_deny),
                cmocka_unit_test(test_compare_corrupt_mac_count),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_machine_id_content),
                cmocka_unit_test(test_other_machine_denies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
