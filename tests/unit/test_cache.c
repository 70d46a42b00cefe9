/* cache: authenticated store/load, refusals, note and the offline decision. */
#define _GNU_SOURCE
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
#include <unistd.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/cache.h"
#include "cws/crypto.h"
#include "cws/ids.h"
#include "cws/protocol.h"
#include "cws/safe_file.h"
#include "cws/seen_revocations.h"

static char dir[64];
static uint8_t key[CWS_HOST_KEY_LEN];
static char dev[CWS_ID_MAX], inv[CWS_ID_MAX];

#define T0 INT64_C(1700000000000000)   /* µs */
#define SEC INT64_C(1000000)

static int setup(void **state)
{
        (void)state;
        if (fixture_dir_make(dir, sizeof(dir)) < 0 || cws_random(key, sizeof(key)) < 0 || cws_id_new("dev", dev) < 0 ||
            cws_id_new("inv", inv) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return fixture_dir_remove(dir) < 0 ? -1 : 0;
}

static void cache_file(char out[PATH_MAX], uid_t uid)
{
        snprintf(out, PATH_MAX, "%s/cache/%u", dir, (unsigned)uid);
}

static void make_entry(cws_cache_entry *e)
{
        cws_cache_init(e, 1000, "alice");
        cws_cache_note_allow(e, "dev", inv, dev, CWS_TYPE_READ_WRITE, T0);
}

static void test_round_trip(void **state)
{
        cws_cache_entry e, got;
        cws_error err = { 0 };
        (void)state;
        make_entry(&e);
        e.validated_us += 123456;   /* sub-second resolution survives */
        assert_int_equal(cws_cache_store(dir, key, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_int_equal(got.uid, 1000);
        assert_string_equal(got.user, "alice");
        assert_int_equal(got.validated_us, T0 + 123456);
        assert_string_equal(got.profile, "dev");
        assert_string_equal(got.inv_id, inv);
        assert_string_equal(got.device_id, dev);
        assert_int_equal(got.type, CWS_TYPE_READ_WRITE);
        assert_int_equal(got.n_legacy_revoked, 0);

        char path[PATH_MAX];
        struct stat st;
        cache_file(path, 1000);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

/* Only changes are written: none for the same answer at the same time,
 * and a newer time or another binding replaces the file. */
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
        cws_cache_note_allow(&e, "dev", inv, dev, CWS_TYPE_READ_WRITE, T0);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(access(path, F_OK), -1);          /* nothing changed: not written */

        cws_cache_note_allow(&e, "dev", inv, dev, CWS_TYPE_READ_WRITE, T0 + 1);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_int_equal(got.validated_us, T0 + 1);

        char inv2[CWS_ID_MAX];
        assert_int_equal(cws_id_new("inv", inv2), 0);
        before = got;
        cws_cache_note_allow(&e, "other", inv2, dev, CWS_TYPE_READ_ONLY, T0 + 2);
        assert_int_equal(cws_cache_store_changes(dir, key, &before, &e, &err), 0);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &got, &err), 0);
        assert_string_equal(got.inv_id, inv2);
}

static void test_note_keeps_the_highest_type_of_a_sweep(void **state)
{
        cws_cache_entry e;
        char inv2[CWS_ID_MAX];
        (void)state;
        assert_int_equal(cws_id_new("inv", inv2), 0);
        cws_cache_init(&e, 1000, "alice");
        cws_cache_note_allow(&e, "admin", inv, dev, CWS_TYPE_ADMIN, T0);
        cws_cache_note_allow(&e, "ro", inv2, dev, CWS_TYPE_READ_ONLY, T0);
        assert_int_equal(e.type, CWS_TYPE_ADMIN);
        assert_string_equal(e.profile, "admin");
        /* A later answer is the current one, whatever its type. */
        cws_cache_note_allow(&e, "ro", inv2, dev, CWS_TYPE_READ_ONLY, T0 + 1);
        assert_int_equal(e.type, CWS_TYPE_READ_ONLY);
        assert_int_equal(e.validated_us, T0 + 1);
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
        p[9] = '1'; /* another validated_us */
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
        assert_int_equal(got.validated_us, 0);
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
        assert_int_equal(got.validated_us, 0);
}

static void test_seen_revocations(void **state)
{
        cws_error err = { 0 };
        char path[PATH_MAX];
        struct stat st;
        (void)state;
        assert_int_equal(cws_seen_revoked(dir, dev, &err), 0);
        assert_int_equal(cws_seen_revoked(dir, "", &err), 0);
        assert_int_equal(cws_seen_revoked_add(dir, dev, &err), 1);
        assert_int_equal(cws_seen_revoked_add(dir, dev, &err), 0);      /* known */
        assert_int_equal(cws_seen_revoked(dir, dev, &err), 1);
        assert_int_equal(cws_seen_revoked(dir, inv, &err), 0);
        /* Both ids in one look: bit 1 the device, bit 2 the invitation. */
        assert_int_equal(cws_seen_revoked_pair(dir, dev, inv, &err), 1);
        assert_int_equal(cws_seen_revoked_pair(dir, inv, dev, &err), 2);
        assert_int_equal(cws_seen_revoked_pair(dir, "", NULL, &err), 0);
        assert_int_equal(cws_seen_revoked_add(dir, inv, &err), 1);
        assert_int_equal(cws_seen_revoked_pair(dir, dev, inv, &err), 3);
        assert_int_equal(cws_seen_revoked_pair(dir, dev, "inv-..", &err), -EINVAL);
        snprintf(path, sizeof(path), "%s/revoked/%s", dir, inv);
        assert_int_equal(unlink(path), 0);
        /* Nothing but an id names a file. */
        assert_int_equal(cws_seen_revoked_add(dir, "../x", &err), -EINVAL);
        assert_int_equal(cws_seen_revoked(dir, "dev-..", &err), -EINVAL);
        snprintf(path, sizeof(path), "%s/revoked/%s", dir, dev);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* A directory someone else could write: cannot tell, so the
         * offline decision denies. */
        snprintf(path, sizeof(path), "%s/revoked", dir);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(cws_seen_revoked(dir, inv, &err), -EPERM);
        cws_cache_entry e;
        cws_reason why = CWS_R_OK;
        make_entry(&e);
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(why, CWS_R_INTERNAL_ERROR);
}

/* Through a held descriptor of the state directory (cwsd's): the same
 * answers as the walk, and the same refusals of a revoked/ that is a
 * symbolic link or that someone else could write. */
static void test_seen_revocations_at(void **state)
{
        cws_error err = { 0 };
        char path[PATH_MAX], elsewhere[PATH_MAX];
        cws_cache_entry e;
        cws_reason why = CWS_R_OK;
        int fd;
        (void)state;
        fd = cws_dir_open_checked(dir, &err);
        assert_true(fd > 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 0);   /* no revoked/ */
        assert_int_equal(cws_seen_revoked_add(dir, inv, &err), 1);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 2);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, inv, dev, &err), 1);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, "inv-..", &err), -EINVAL);
        make_entry(&e);
        assert_false(cws_cache_allows_at(&e, fd, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(why, CWS_R_INVITATION_REVOKED);
        /* <= 0 is "no descriptor": the path is walked. */
        assert_int_equal(cws_seen_revoked_pair_at(-1, dir, dev, inv, &err), 2);
        snprintf(path, sizeof(path), "%s/revoked", dir);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), -EPERM);
        assert_false(cws_cache_allows_at(&e, fd, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(why, CWS_R_INTERNAL_ERROR);
        assert_int_equal(chmod(path, 0700), 0);
        /* revoked/ swapped for a symbolic link to an empty directory: refused,
         * never read as "nothing revoked". */
        snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
        assert_int_equal(mkdir(elsewhere, 0700), 0);
        snprintf(path, sizeof(path), "%s/revoked.old", dir);
        char rev[PATH_MAX];
        snprintf(rev, sizeof(rev), "%s/revoked", dir);
        assert_int_equal(rename(rev, path), 0);
        assert_int_equal(symlink(elsewhere, rev), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), -ELOOP);
        assert_int_equal(unlink(rev), 0);
        assert_int_equal(rename(path, rev), 0);
        assert_int_equal(rmdir(elsewhere), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 2);
        /* The state directory loosened after it was opened: whoever may
         * write it could rename revoked/ away, so the descriptor is not
         * trusted any more; the walk refuses the directory. */
        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), -EPERM);
        assert_int_equal(chmod(dir, 0700), 0);
        /* Another directory moved into its place: the path's is read (here
         * with revoked/ and the invitation in it too), not the held one's. */
        char moved[PATH_MAX];
        snprintf(moved, sizeof(moved), "%s.moved", dir);
        assert_int_equal(rename(dir, moved), 0);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 0);   /* empty: new dir */
        assert_int_equal(cws_seen_revoked_add(dir, dev, &err), 1);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 1);   /* the new one's */
        snprintf(path, sizeof(path), "%s/revoked/%s", dir, dev);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/revoked", dir);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(rename(moved, dir), 0);
        assert_int_equal(cws_seen_revoked_pair_at(fd, dir, dev, inv, &err), 2);
        close(fd);
}

/* The memory of revocations has no eviction: a device seen revoked stays
 * refused offline after 39 more revocations of the same user's other
 * bindings (the old cache kept 16). */
static void test_forty_bindings_one_revoked(void **state)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;
        (void)state;
        make_entry(&e);
        assert_true(cws_cache_allows(&e, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(cws_seen_revoked_add(dir, dev, &err), 1);
        for (int i = 0; i < 39; i++) {
                char other_dev[CWS_ID_MAX], other_inv[CWS_ID_MAX];
                assert_int_equal(cws_id_new("dev", other_dev), 0);
                assert_int_equal(cws_id_new("inv", other_inv), 0);
                assert_int_equal(cws_seen_revoked_add(dir, i % 2 ? other_dev : other_inv, &err), 1);
        }
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(why, CWS_R_DEVICE_REVOKED);
}

static void test_allows(void **state)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        cws_reason why = CWS_R_INTERNAL_ERROR;
        (void)state;
        make_entry(&e);
        /* Fresh. */
        assert_true(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 + 60 * SEC, &why));
        assert_int_equal(why, CWS_R_OK);
        /* Exactly max_age is still allowed; one microsecond more is not. */
        assert_true(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 + 3600 * SEC, &why));
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 + 3600 * SEC + 1, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        /* No grace allows nothing, even at the very time of validation. */
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 0, T0, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        /* Type below the minimum. */
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_ADMIN, 3600, T0 + 60 * SEC, &why));
        assert_int_equal(why, CWS_R_INSUFFICIENT_TYPE);
        /* Clock set back. */
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 - 1, &why));
        assert_int_equal(why, CWS_R_REGISTRY_UNAVAILABLE);
        /* Invitation seen revoked, then the device too. */
        assert_int_equal(cws_seen_revoked_add(dir, inv, &err), 1);
        why = CWS_R_OK;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 + 60 * SEC, &why));
        assert_int_equal(why, CWS_R_INVITATION_REVOKED);
        assert_int_equal(cws_seen_revoked_add(dir, dev, &err), 1);
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_READ_ONLY, 3600, T0 + 60 * SEC, &why));
        assert_int_equal(why, CWS_R_DEVICE_REVOKED);
}

/* Writes a cache file with body (the MAC computed as cache.c does). */
static void write_cache(uid_t uid, const char *body)
{
        static const char info[] = "cws-cache-v1";
        uint8_t k[CWS_SHA256_LEN], mac[CWS_SHA256_LEN];
        char path[PATH_MAX], sub[PATH_MAX];
        FILE *f;

        assert_int_equal(cws_hkdf_sha256(key, sizeof(key), NULL, 0, info, sizeof(info) - 1, k,
                                         sizeof(k)), 0);
        assert_int_equal(cws_hmac_sha256(k, sizeof(k), body, strlen(body), mac), 0);
        snprintf(sub, sizeof(sub), "%s/cache", dir);
        (void)mkdir(sub, 0700);
        cache_file(path, uid);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(body, f);
        fputs("mac=", f);
        for (size_t i = 0; i < sizeof(mac); i++)
                fprintf(f, "%02x", mac[i]);
        fputs("\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, 0600), 0);
}

/* A version-1 cache (seconds, revoked ids inside) still loads: its
 * revoked ids deny until cwsd moves them into the seen revocations. */
static void test_version_1_cache(void **state)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        cws_reason why = CWS_R_OK;
        char body[1024];
        (void)state;
        snprintf(body, sizeof(body),
                 "version=1\nuid=1000\nuser=alice\nvalidated_at=1700000000\nprofile=p\n"
                 "invitation=%s\ndevice=%s\ntype=read_only\nrevoked=%s\n", inv, dev, dev);
        write_cache(1000, body);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), 0);
        assert_int_equal(e.validated_us, T0);
        assert_int_equal(e.n_legacy_revoked, 1);
        assert_string_equal(e.legacy_revoked[0], dev);
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_NONE, 3600, T0 + SEC, &why));
        assert_int_equal(why, CWS_R_DEVICE_REVOKED);
}

/* What the reader accepts, the writer can write back: an id field holds an
 * id or nothing. */
static void test_malformed_fields_refused(void **state)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        char body[1024];
        (void)state;
        snprintf(body, sizeof(body),
                 "version=2\nuid=1000\nuser=alice\nvalidated_us=1\nprofile=p\n"
                 "invitation=%s\ndevice=../../x\ntype=read_only\n", inv);
        write_cache(1000, body);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), -EBADMSG);
        snprintf(body, sizeof(body),
                 "version=3\nuid=1000\nuser=alice\nvalidated_us=1\nprofile=p\n"
                 "invitation=%s\ndevice=%s\ntype=read_only\n", inv, dev);
        write_cache(1000, body);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), -EBADMSG);
        /* The same body as version 2 loads (the refusals above were for
         * the fields, not the MAC). */
        snprintf(body, sizeof(body),
                 "version=2\nuid=1000\nuser=alice\nvalidated_us=1\nprofile=p\n"
                 "invitation=%s\ndevice=%s\ntype=read_only\n", inv, dev);
        write_cache(1000, body);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), 0);
}

/* A body with a key added (extra), or with drop removed, authenticated as
 * the writer would; loading it must fail naming want. */
static void assert_keys_refused(const char *extra, const char *drop, const char *want)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        char body[1024], *at;

        snprintf(body, sizeof(body),
                 "version=2\nuid=1000\nuser=alice\nvalidated_us=1\nprofile=p\n"
                 "invitation=%s\ndevice=%s\ntype=read_only\n%s", inv, dev, extra);
        if (drop) {
                at = strstr(body, drop);
                assert_non_null(at);
                memmove(at, strchr(at, '\n') + 1, strlen(strchr(at, '\n') + 1) + 1);
        }
        write_cache(1000, body);
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), -EBADMSG);
        if (!strstr(err.msg, want))
                fail_msg("'%s' not found in '%s'", want, err.msg);
}

/* Exactly the fields of its version, each once (cws_msg_decode refuses a
 * key twice): the key set is checked as
 * for the JSON records, though the module reads the cache without json-c. */
static void test_cache_key_set(void **state)
{
        cws_cache_entry e;
        cws_error err = { 0 };
        (void)state;

        assert_keys_refused("admin=1\n", NULL, "field \"admin\" missing or unknown");
        assert_keys_refused("", "profile=", "field \"profile\" missing or unknown");
        assert_keys_refused("type=read_write\n", NULL, "malformed cache");   /* a key twice */
        /* A version-2 body with the version-1 list is not version 2. */
        assert_keys_refused("revoked=\n", NULL, "field \"revoked\"");
        /* The body without the changes loads: the refusals were the keys'. */
        write_cache(1000, "version=2\nuid=1000\nuser=alice\nvalidated_us=1\nprofile=p\n"
                          "invitation=\ndevice=\ntype=none\n");
        assert_int_equal(cws_cache_load(dir, key, 1000, "alice", &e, &err), 0);
}

static void test_never_validated(void **state)
{
        cws_cache_entry e;
        cws_reason why = CWS_R_OK;
        (void)state;
        cws_cache_init(&e, 1000, "alice");
        snprintf(e.device_id, sizeof(e.device_id), "%s", dev);
        e.type = CWS_TYPE_ADMIN;
        assert_false(cws_cache_allows(&e, dir, CWS_TYPE_NONE, 3600, 100, &why));
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
                cmocka_unit_test_setup_teardown(test_seen_revocations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_seen_revocations_at, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forty_bindings_one_revoked, setup, teardown),
                cmocka_unit_test_setup_teardown(test_allows, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_1_cache, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_fields_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cache_key_set, setup, teardown),
                cmocka_unit_test_setup_teardown(test_never_validated, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
