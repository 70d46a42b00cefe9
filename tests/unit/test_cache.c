/* cache: authenticated store/load, refusals, note and the offline decision. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "cws/cache.h"
#include "cws/crypto.h"
#include "cws/ids.h"

static char dir[64];
static uint8_t key[CWS_HOST_KEY_LEN];
static char dev[CWS_ID_MAX], inv[CWS_ID_MAX];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        (void)st; (void)flag; (void)f;
        return remove(p);
}

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/cws-cache-XXXXXX");
        if (!mkdtemp(dir) || cws_random(key, sizeof(key)) < 0 || cws_id_new("dev", dev) < 0 ||
            cws_id_new("inv", inv) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cache_file(char out[PATH_MAX], uid_t uid)
{
        snprintf(out, PATH_MAX, "%s/cache/%u", dir, (unsigned)uid);
}

static void make_entry(cws_cache_entry *e)
{
        cws_cache_init(e, 1000, "alice");
        cws_cache_note(e, true, CWS_R_OK, "dev", inv, dev, CWS_TYPE_READ_WRITE, 1700000000);
}

static void test_round_trip(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        (void)state;
        make_entry(&e);
        char other[CWS_ID_MAX];
        assert_int_equal(cws_id_new("dev", other), 0);
        cws_cache_note(&e, false, CWS_R_DEVICE_REVOKED, NULL, NULL, other, CWS_TYPE_NONE, 1700000001);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_int_equal(got.uid, 1000);
        assert_string_equal(got.user, "alice");
        assert_int_equal(got.validated_at, 1700000000);
        assert_string_equal(got.profile, "dev");
        assert_string_equal(got.inv_id, inv);
        assert_string_equal(got.device_id, dev);
        assert_int_equal(got.type, CWS_TYPE_READ_WRITE);
        assert_int_equal(got.n_revoked, 1);
        assert_string_equal(got.revoked[0], other);

        char path[PATH_MAX];
        struct stat st;
        cache_file(path, 1000);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

/* Only changes are written: none for the same answer in the same second,
 * and a newer time or a revocation replaces the file. */
static void test_store_changes(void **state)
{
        cws_cache_entry before, e, got;
        cws_error err = { 0 };
        char path[PATH_MAX];
        (void)state;
        make_entry(&e);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &before, &err), 0);
        cache_file(path, 1000);
        assert_int_equal(unlink(path), 0);

        e = before;
        cws_cache_note(&e, true, CWS_R_OK, "dev", inv, dev, CWS_TYPE_READ_WRITE, 1700000000);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(access(path, F_OK), -1);          /* nothing changed: not written */

        cws_cache_note(&e, true, CWS_R_OK, "dev", inv, dev, CWS_TYPE_READ_WRITE, 1700000005);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_int_equal(got.validated_at, 1700000005);

        before = got;
        cws_cache_note(&e, false, CWS_R_DEVICE_REVOKED, "dev", inv, dev, CWS_TYPE_NONE, 1700000006);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_true(cws_cache_is_revoked(&got, dev));
}

static void test_note_keeps_the_highest_type_of_a_sweep(void **state)
{
        cws_cache_entry e;
        char inv2[CWS_ID_MAX];
        (void)state;
        assert_int_equal(cws_id_new("inv", inv2), 0);
        cws_cache_init(&e, 1000, "alice");
        cws_cache_note(&e, true, CWS_R_OK, "admin", inv, dev, CWS_TYPE_ADMIN, 1700000000);
        cws_cache_note(&e, true, CWS_R_OK, "ro", inv2, dev, CWS_TYPE_READ_ONLY, 1700000000);
        assert_int_equal(e.type, CWS_TYPE_ADMIN);
        assert_string_equal(e.profile, "admin");
        /* A later answer is the current one, whatever its type. */
        cws_cache_note(&e, true, CWS_R_OK, "ro", inv2, dev, CWS_TYPE_READ_ONLY, 1700000001);
        assert_int_equal(e.type, CWS_TYPE_READ_ONLY);
        assert_int_equal(e.validated_at, 1700000001);
}

static void test_other_host_key(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        uint8_t other[CWS_HOST_KEY_LEN];
        (void)state;
        make_entry(&e);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        memcpy(other, key, sizeof(other));
        other[0] ^= 1;
        assert_int_equal(cws_cache_load(dir, other, 1000, "alice", &got, &err), -EBADMSG);
}

static void test_byte_changed(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        char path[PATH_MAX], buf[4096];
        (void)state;
        make_entry(&e);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        cache_file(path, 1000);
        int fd = open(path, O_RDWR);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof(buf));
        assert_true(n > 10);
        char *p = strstr(buf, "1700000000");
        assert_non_null(p);
        p[9] = '1'; /* validated_at 1700000001 */
        assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
        close(fd);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), -EBADMSG);
}

static void test_other_user(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        char a[PATH_MAX], b[PATH_MAX];
        (void)state;
        make_entry(&e);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        /* Same uid, other name. */
        assert_int_equal(cws_cache_load(dir, key, 1000, "bob", &got, &err), -EBADMSG);
        /* alice's file placed under uid 1001. */
        cache_file(a, 1000);
        cache_file(b, 1001);
        assert_int_equal(link(a, b), 0);
        assert_int_equal(cws_cache_load(dir, key, 1001, "alice", &got, &err), -EBADMSG);
}

static void test_missing(void **state)
{
        cws_cache_entry got;
        cws_error err = { 0 };
        (void)state;
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), -ENOENT);
        assert_int_equal(got.validated_at, 0);
}

static void test_mode_0644_refused(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        char path[PATH_MAX];
        (void)state;
        make_entry(&e);
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        cache_file(path, 1000);
        assert_int_equal(chmod(path, 0644), 0);
        int r = cws_cache_load(dir, key, 1000, "alice", &got, &err);
        assert_int_equal(r, -EPERM);
        assert_int_equal(got.validated_at, 0);
}

static void test_note(void **state)
{
        cws_cache_entry e;
        (void)state;
        make_entry(&e);
        assert_false(cws_cache_is_revoked(&e, dev));
        cws_cache_note(&e, false, CWS_R_DEVICE_REVOKED, NULL, inv, dev, CWS_TYPE_NONE, 1700000100);
        assert_true(cws_cache_is_revoked(&e, dev));
        assert_false(cws_cache_is_revoked(&e, inv));
        assert_int_equal(e.validated_at, 1700000000); /* a deny does not refresh */
        cws_cache_note(&e, false, CWS_R_INVITATION_REVOKED, NULL, inv, dev, CWS_TYPE_NONE, 1700000200);
        assert_true(cws_cache_is_revoked(&e, inv));
        assert_int_equal(e.n_revoked, 2);
        /* Noting again does not duplicate. */
        cws_cache_note(&e, false, CWS_R_DEVICE_REVOKED, NULL, inv, dev, CWS_TYPE_NONE, 1700000300);
        assert_int_equal(e.n_revoked, 2);
        /* An allow refreshes validated_at and the rest. */
        cws_cache_note(&e, true, CWS_R_OK, "ops", inv, dev, CWS_TYPE_ADMIN, 1700000900);
        assert_int_equal(e.validated_at, 1700000900);
        assert_int_equal(e.type, CWS_TYPE_ADMIN);
        assert_string_equal(e.profile, "ops");
}

static void test_allows(void **state)
{
        cws_cache_entry e;
        cws_reason why = CWS_R_INTERNAL_ERROR;
        (void)state;
        make_entry(&e);
        /* Fresh. */
        assert_true(cws_cache_allows(&e, CWS_TYPE_READ_ONLY, 3600, 1700000000 + 60, &why));
        assert_int_equal(why, CWS_R_OK);
        /* Exactly max_age is still allowed; one more second is not. */
        assert_true(cws_cache_allows(&e, CWS_TYPE_READ_ONLY, 3600, 1700000000 + 3600, &why));
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, CWS_TYPE_READ_ONLY, 3600, 1700000000 + 3601, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        /* Type below the minimum. */
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, CWS_TYPE_ADMIN, 3600, 1700000060, &why));
        assert_int_equal(why, CWS_R_INSUFFICIENT_TYPE);
        /* Clock set back. */
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, CWS_TYPE_READ_ONLY, 3600, 1700000000 - 1, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        /* Revoked device. */
        cws_cache_note(&e, false, CWS_R_DEVICE_REVOKED, NULL, inv, dev, CWS_TYPE_NONE, 1700000010);
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, CWS_TYPE_READ_ONLY, 3600, 1700000060, &why));
        assert_int_equal(why, CWS_R_DEVICE_REVOKED);
}

static void test_never_validated(void **state)
{
        cws_cache_entry e;
        cws_reason why = CWS_R_OK;
        (void)state;
        cws_cache_init(&e, 1000, "alice");
        snprintf(e.device_id, sizeof(e.device_id), "%s", dev);
        e.type = CWS_TYPE_ADMIN;
        assert_false(cws_cache_allows(&e, CWS_TYPE_NONE, 3600, 100, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_host_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_note_keeps_the_highest_type_of_a_sweep, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_byte_changed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mode_0644_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_note, setup, teardown),
                cmocka_unit_test_setup_teardown(test_allows, setup, teardown),
                cmocka_unit_test_setup_teardown(test_never_validated, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
