/* lib/decide.c: the per-user decision over all bindings, for a login and
 * for the monitor. The registry is the fixture's file registry behind a
 * wrapper that counts requests and can be made to fail for availability. */
#define _GNU_SOURCE
#include <errno.h>
#include "cws/revoke.h"
#include "registry_fixture.h"
#include "cws/binding.h"
#include "cws/binding_store.h"
#include "cws/decide.h"
#include "cws/seen_revocations.h"

#define NOW_US (FX_NOW * 1000000LL + 60 * 1000000LL)

typedef struct dfx {
        registry_fx *fx;
        char state[200];
        uint8_t host_key[CWS_HOST_KEY_LEN];
        fx_wrap reg;            /* the fixture's registry, counting, or down */
} dfx;

static int setup(void **state)
{
        dfx *d = calloc(1, sizeof(*d));
        cws_error err = { 0 };

        if (!d || fx_setup((void **)&d->fx) != 0)
                return -1;
        snprintf(d->state, sizeof(d->state), "%s/state", d->fx->dir);
        if (mkdir(d->state, 0700) < 0 || cws_host_key_load(d->state, d->host_key, true, &err) < 0)
                return -1;
        d->reg = fx_wrap_of(d->fx->reg);
        *state = d;
        return 0;
}

static int teardown(void **state)
{
        dfx *d = *state;
        int r = fx_teardown((void **)&d->fx);

        free(d);
        return r;
}

static void params(dfx *d, cws_decide_params *p)
{
        *p = (cws_decide_params){
                .state_dir = d->state, .host_key = d->host_key,
                .trusted_keys = d->fx->trust_path, .registry = &d->reg.base,
                .min_type = CWS_TYPE_NONE, .offline_grace = 3600, .now_us = NOW_US,
                .fp = &d->fx->fp,
        };
}

/* A new invitation of type, this user enrolled on it, the binding stored. */
static void enrolled(dfx *d, cws_inv_type type, cws_invitation *inv, cws_binding *b)
{
        char tok[CWS_TOKEN_MAX];
        cws_error err = { 0 };

        fx_root(d->fx, type, 1, inv, tok);
        fx_enroll(d->fx, tok, b);
        if (cws_binding_save(d->state, d->host_key, b, &err) != 0)
                fail_msg("binding save: %s", err.msg);
}

static void revoke_device(dfx *d, const cws_binding *b)
{
        cws_error err = { 0 };

        if (cws_revoke_device(d->fx->reg, &d->fx->trust, b->inv_id, b->device_id,
                              d->fx->admin_priv, "test", "test", FX_NOW, &err) != 0)
                fail_msg("revoke: %s", err.msg);
}

static unsigned count(const cws_user_verdict *v, cws_finding_kind kind)
{
        unsigned n = 0;

        for (size_t i = 0; i < v->n_findings; i++)
                n += v->findings[i].kind == kind;
        return n;
}

static void decide(const cws_decide_params *p, cws_user_verdict *v)
{
        memset(v, 0x5a, sizeof(*v));
        cws_decide_user(p, FX_UID, FX_USER, v);
}

static void test_no_binding(void **state)
{
        dfx *d = *state;
        cws_decide_params p;
        cws_user_verdict v;

        params(d, &p);
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_NOT_ENROLLED);
        assert_int_equal(v.n_bindings, 0);
        assert_int_equal(d->reg.calls, 0);
}

static void test_allow_then_cache(void **state)
{
        dfx *d = *state;
        cws_invitation inv;
        cws_binding b;
        cws_decide_params p;
        cws_user_verdict v;

        enrolled(d, CWS_TYPE_READ_WRITE, &inv, &b);
        params(d, &p);
        decide(&p, &v);
        assert_true(v.d.allow);
        assert_false(v.from_cache);
        assert_string_equal(v.d.device_id, b.device_id);
        assert_int_equal(v.d.type, CWS_TYPE_READ_WRITE);
        assert_true(d->reg.calls > 0);
        /* Within max_cache_age: answered from the cache, no request. */
        d->reg.calls = 0;
        p.max_cache_age = 60;
        p.now_us += 1000000;
        decide(&p, &v);
        assert_true(v.d.allow && v.from_cache);
        assert_int_equal(d->reg.calls, 0);
        /* A service needing more than the cached type asks again. */
        p.min_type = CWS_TYPE_ADMIN;
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_INSUFFICIENT_TYPE);
        assert_true(d->reg.calls > 0);
}

/* The registry cannot be asked (it fails, or it is marked down: NULL):
 * a validation within offline_grace allows, none past it, none at all
 * with offline_grace 0. */
static void test_offline_rules(void **state)
{
        dfx *d = *state;
        cws_invitation inv;
        cws_binding b;
        cws_decide_params p;
        cws_user_verdict v;

        enrolled(d, CWS_TYPE_READ_ONLY, &inv, &b);
        params(d, &p);
        decide(&p, &v);
        assert_true(v.d.allow);
        d->reg.down = true;
        p.now_us += 10 * 1000000LL;
        decide(&p, &v);
        assert_true(v.d.allow && v.offline && v.registry_unavailable);
        assert_int_equal(v.offline_age_us, 10 * 1000000LL);
        assert_string_equal(v.unavailable_detail, "test registry: timed out");
        p.offline_grace = 0;
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_REGISTRY_UNAVAILABLE);
        /* Marked down: the same rules, and no request at all. */
        d->reg.calls = 0;
        p.registry = NULL;
        p.offline_grace = 3600;
        decide(&p, &v);
        assert_true(v.d.allow && v.offline);
        p.offline_grace = 5;
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_REGISTRY_UNAVAILABLE);
        assert_int_equal(d->reg.calls, 0);
}

/* A revocation is new once, then final: refused offline whatever the
 * grace, and a registry that allows it again is tampering. */
static void test_revocation_final(void **state)
{
        dfx *d = *state;
        cws_invitation inv;
        cws_binding b;
        cws_decide_params p;
        cws_user_verdict v;
        cws_error err = { 0 };

        enrolled(d, CWS_TYPE_READ_ONLY, &inv, &b);
        params(d, &p);
        decide(&p, &v);
        assert_true(v.d.allow);
        revoke_device(d, &b);
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_DEVICE_REVOKED);
        assert_int_equal(count(&v, CWS_FIND_REVOCATION_NEW), 1);
        assert_int_equal(cws_seen_revoked(d->state, b.device_id, &err), 1);
        decide(&p, &v);
        assert_int_equal(v.d.reason, CWS_R_DEVICE_REVOKED);
        assert_int_equal(count(&v, CWS_FIND_REVOCATION_NEW), 0);
        p.registry = NULL;
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_DEVICE_REVOKED);
        /* Another binding, seen revoked by this host but allowed by the
         * registry (its revocation deleted): refused, tampering. */
        cws_invitation inv2;
        cws_binding b2;
        enrolled(d, CWS_TYPE_READ_ONLY, &inv2, &b2);
        assert_int_equal(cws_seen_revoked_add(d->state, b2.device_id, &err), 1);
        p.registry = &d->reg.base;
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_true(cws_reason_is_revoked(v.d.reason));
        assert_int_equal(count(&v, CWS_FIND_TAMPERING), 1);
}

/* Two bindings: a login takes the first allow; the monitor looks at both,
 * or only at those a notice names. */
static void test_every_binding_and_only_ids(void **state)
{
        dfx *d = *state;
        cws_invitation i1, i2;
        cws_binding b1, b2;
        cws_decide_params p;
        cws_user_verdict v;

        enrolled(d, CWS_TYPE_READ_ONLY, &i1, &b1);
        enrolled(d, CWS_TYPE_READ_ONLY, &i2, &b2);
        revoke_device(d, &b1);
        params(d, &p);
        decide(&p, &v);
        assert_true(v.d.allow);
        p.every_binding = true;
        decide(&p, &v);
        assert_int_equal(v.n_bindings, 2);
        assert_true(v.any_allow && v.any_revoked);
        assert_true(v.d.allow);
        const char *only[] = { b2.device_id };
        p.only_ids = only;
        p.n_only_ids = 1;
        decide(&p, &v);
        assert_int_equal(v.n_bindings, 1);
        assert_true(v.any_allow);
        assert_false(v.any_revoked);
        only[0] = i1.id;
        decide(&p, &v);
        assert_int_equal(v.n_bindings, 1);
        assert_false(v.any_allow);
        assert_true(v.any_revoked);
}

/* A binding changed by one byte does not open: tamper_detected, put on
 * record for a login, left alone by the monitor. */
static void test_broken_binding(void **state)
{
        dfx *d = *state;
        cws_invitation inv;
        cws_binding b;
        cws_decide_params p;
        cws_user_verdict v;
        char path[PATH_MAX];
        size_t len = 0;
        char *buf;

        enrolled(d, CWS_TYPE_READ_ONLY, &inv, &b);
        snprintf(path, sizeof(path), "%s/bindings/%u/%s.bind", d->state, (unsigned)FX_UID, inv.id);
        buf = fx_read(path, &len);
        assert_true(len > 40);
        free(buf);
        assert_int_equal(chmod(path, 0600), 0);
        fx_flip_byte(path, len - 20, 0x01);
        assert_int_equal(chmod(path, 0600), 0);
        params(d, &p);
        decide(&p, &v);
        assert_false(v.d.allow);
        assert_int_equal(v.d.reason, CWS_R_TAMPER_DETECTED);
        assert_int_equal(count(&v, CWS_FIND_BINDING_BROKEN), 1);
        p.every_binding = true;
        decide(&p, &v);
        assert_int_equal(v.n_bindings, 0);
        assert_int_equal(v.n_findings, 0);
}

/* The monitor's pacing hook: called before each binding the registry is
 * asked about, with the time after its wait; nonzero stops the round. */
typedef struct pace_probe {
        unsigned calls, stop_at;        /* stop_at: the call that says stop (0: none) */
} pace_probe;

static int pace_hook(void *data, int64_t *now_us)
{
        pace_probe *pp = data;

        pp->calls++;
        *now_us = FX_NOW * 1000000LL + pp->calls;
        return pp->stop_at && pp->calls == pp->stop_at ? -ECANCELED : 0;
}

static void test_pace(void **state)
{
        dfx *d = *state;
        cws_invitation i1, i2, i3;
        cws_binding b1, b2, b3;
        cws_decide_params p;
        cws_user_verdict v;
        pace_probe pp = { 0 };

        enrolled(d, CWS_TYPE_READ_ONLY, &i1, &b1);
        enrolled(d, CWS_TYPE_READ_ONLY, &i2, &b2);
        enrolled(d, CWS_TYPE_READ_ONLY, &i3, &b3);
        params(d, &p);
        p.every_binding = true;
        p.pace = pace_hook;
        p.pace_data = &pp;
        decide(&p, &v);
        assert_int_equal(pp.calls, 3);
        assert_int_equal(v.n_bindings, 3);
        assert_true(v.any_allow);
        /* Stopped before the second: one binding asked about. */
        pp = (pace_probe){ .stop_at = 2 };
        decide(&p, &v);
        assert_int_equal(pp.calls, 2);
        assert_int_equal(v.n_bindings, 1);
        /* Only the bindings a notice names take a slot. */
        const char *only[] = { b2.device_id };
        p.only_ids = only;
        p.n_only_ids = 1;
        pp = (pace_probe){ 0 };
        decide(&p, &v);
        assert_int_equal(pp.calls, 1);
        assert_int_equal(v.n_bindings, 1);
        /* No registry (marked down): nothing to pace. */
        p.only_ids = NULL;
        p.n_only_ids = 0;
        p.registry = NULL;
        pp = (pace_probe){ 0 };
        decide(&p, &v);
        assert_int_equal(pp.calls, 0);
        assert_int_equal(v.n_bindings, 3);
}

/* cwsd's memo of the cache (cache_memo.h): a store by anyone in the
 * process drops it, and a revocation recorded since it was read denies at
 * once (the seen revocations are read from disk every time). */
static void test_from_cache_memo(void **state)
{
        dfx *d = *state;
        cws_invitation inv;
        cws_binding b;
        cws_decide_params p;
        cws_user_verdict v;
        cws_cache_entry e;
        cws_error err = { 0 };
        cws_cache_memo *memo = calloc(1, sizeof(*memo));

        assert_non_null(memo);
        enrolled(d, CWS_TYPE_READ_ONLY, &inv, &b);
        params(d, &p);
        decide(&p, &v);
        assert_true(v.d.allow);
        p.max_cache_age = 60;
        p.now_us += 1000000;
        assert_true(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v) && v.d.allow);
        assert_true(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v) && v.d.allow);
        /* Stored again, older than max_cache_age: the memo is not used. */
        assert_int_equal(cws_cache_load(d->state, d->host_key, FX_UID, FX_USER, &e, &err), 0);
        e.validated_us = p.now_us - 120 * 1000000LL;
        assert_int_equal(cws_cache_store(d->state, d->host_key, &e, &err), 0);
        assert_false(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v));
        e.validated_us = p.now_us - 1000000;
        assert_int_equal(cws_cache_store(d->state, d->host_key, &e, &err), 0);
        assert_true(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v) && v.d.allow);
        /* The age is taken at each answer, from the memo's entry. */
        p.now_us += 60 * 1000000LL;
        assert_false(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v));
        p.now_us -= 60 * 1000000LL;
        assert_true(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v) && v.d.allow);
        /* Revoked by another path (no store): denied at the next answer. */
        assert_int_equal(cws_seen_revoked_add(d->state, b.device_id, &err), 1);
        assert_false(cws_decide_from_cache(&p, memo, FX_UID, FX_USER, &v));
        assert_false(v.d.allow);
        free(memo);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_no_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_allow_then_cache, setup, teardown),
                cmocka_unit_test_setup_teardown(test_offline_rules, setup, teardown),
                cmocka_unit_test_setup_teardown(test_revocation_final, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_binding_and_only_ids, setup, teardown),
                cmocka_unit_test_setup_teardown(test_broken_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_from_cache_memo, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
