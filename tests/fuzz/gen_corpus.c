/* Writes the seed corpora, tests/fuzz/corpus/<target>/<name>: a handful of
 * valid and edge inputs per target. Records are signed with
 * fuzz_signer_priv, caches MAC'd and bindings sealed with fuzz_host_key
 * (bindings for this host: fuzz_binding_open puts the running host's id
 * into a seed's header, so they work elsewhere too). Run by
 * `make fuzz-corpus`; the output is committed. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cws/binding.h"
#include "cws/cache.h"
#include "cws/cleanup.h"
#include "cws/record.h"
#include "cws/safe_file.h"
#include "forge.h"
#include "harness.h"

static const char *out_dir;

static void seed(const char *target, const char *name, const void *data, size_t len)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", out_dir, target);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                fuzz_fail("cannot create a corpus directory");
        snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
        fuzz_write_file(path, data, len, 0644);
}

/* A string literal, without its NUL: NULs inside it stay. */
#define SEED(t, n, lit) seed(t, n, lit, sizeof(lit) - 1)

#define INV "inv-AAAAAAAAAAAAAAAAAAAAAA"
#define DEV "dev-BBBBBBBBBBBBBBBBBBBBBA"
#define KEY32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static const char inv_json[] =
        "{\"version\":1,\"id\":\"" INV "\",\"name\":\"work-laptop\",\"type\":\"read_write\","
        "\"can_invite\":true,\"transferable\":false,\"device_bound\":true,\"max_devices\":2,"
        "\"created_at\":1700000000,\"expires_at\":1800000000,\"parent\":\"\","
        "\"public_key\":\"" KEY32 "\"}";
static const char dev_json[] =
        "{\"version\":1,\"invitation\":\"" INV "\",\"device_id\":\"" DEV "\",\"slot\":1,"
        "\"generation\":0,\"user\":\"alice\",\"uid\":1001,\"enrolled_at\":1700000100,"
        "\"fingerprint\":\"" KEY32 "\",\"binding_key\":\"" KEY32 "\"}";
static const char rev_json[] =
        "{\"version\":1,\"invitation\":\"" INV "\",\"device_id\":\"" DEV "\",\"by\":\"admin\","
        "\"why\":\"laptop stolen\",\"at\":1700000200}";

static void records(void)
{
        static const struct {
                cws_record_kind kind;
                const char *name, *json;
        } r[] = { { CWS_REC_INVITATION, "invitation", inv_json },
                  { CWS_REC_DEVICE, "device", dev_json },
                  { CWS_REC_REVOCATION, "revocation", rev_json } };
        cws_error err = { 0 };

        for (size_t i = 0; i < CWS_ELEMENTSOF(r); i++) {
                char *env = NULL, name[64], *p;
                size_t n;

                if (cws_record_seal(r[i].kind, r[i].json, fuzz_signer_priv, &env, &err) < 0)
                        fuzz_fail(err.msg);
                seed("record", r[i].name, env, strlen(env));
                /* With white space after it, as a file may have. */
                n = strlen(env);
                p = fuzz_strndup(env, n + 1);
                p[n] = '\n';
                snprintf(name, sizeof(name), "%s-newline", r[i].name);
                seed("record", name, p, n + 1);
                free(p);
                free(env);

                /* The payload seeds: the kind byte, then the JSON. */
                n = strlen(r[i].json);
                p = malloc(n + 1);
                if (!p)
                        fuzz_fail("out of memory");
                p[0] = (char)r[i].kind;
                memcpy(p + 1, r[i].json, n);
                seed("record_payload", r[i].name, p, n + 1);
                free(p);
        }
        SEED("record", "not-json", "{\"version\":1,\"kind\":\"device\",");
        SEED("record", "wrong-version", "{\"version\":2,\"kind\":\"device\",\"payload\":\"e30\","
                                        "\"key\":\"" KEY32 "\",\"sig\":\"\"}");
        SEED("record_payload", "child-invitation",
             "\x00{\"version\":1,\"id\":\"" INV "\",\"name\":\"sub\",\"type\":\"read_only\","
             "\"can_invite\":false,\"transferable\":true,\"device_bound\":false,"
             "\"max_devices\":5,\"created_at\":0,\"expires_at\":1099511627776,"
             "\"parent\":\"inv-CCCCCCCCCCCCCCCCCCCCCA\",\"public_key\":\"" KEY32 "\"}");
        SEED("record_payload", "whole-invitation-revoked",
             "\x02{\"version\":1,\"invitation\":\"" INV "\",\"device_id\":\"\",\"by\":\"root\","
             "\"why\":\"\\u00e9t\\u00e9 \\\"left\\\"\",\"at\":0}");
        SEED("record_payload", "duplicate-key",
             "\x01{\"version\":1,\"version\":1,\"slot\":9223372036854775807}");
}

/* Seals b with the library and seeds the plaintext as binding_json/name. */
static void seed_plaintext(const cws_binding *b, const char *name)
{
        cws_error err = { 0 };
        char *text = NULL;
        uint8_t *pt;
        size_t len = 0, ptlen = 0;

        if (cws_binding_seal(fuzz_host_key, b, &text, &len, &err) < 0)
                fuzz_fail(err.msg);
        pt = forge_binding_plaintext(text, len, b->uid, b->username, &ptlen);
        if (!pt)
                fuzz_fail("cannot open the sample binding");
        seed("binding_json", name, pt, ptlen);
        free(pt);
        free(text);
}

static void bindings(void)
{
        cws_binding b;
        cws_error err = { 0 };
        char *text = NULL;
        size_t len = 0;

        forge_sample_binding(&b);
        if (cws_binding_seal(fuzz_host_key, &b, &text, &len, &err) < 0)
                fuzz_fail(err.msg);
        seed("binding_open", "sealed", text, len);
        seed("binding_open", "cut-short", text, len / 2);
        seed("binding_open", "header-only", text, sizeof("cws-binding-v1") + 64 + 1);
        free(text);
        seed_plaintext(&b, "sample");

        b.fp.n_macs = CWS_FP_MAX_MACS;
        for (unsigned i = 0; i < CWS_FP_MAX_MACS; i++)
                snprintf(b.fp.macs[i], sizeof(b.fp.macs[i]), "52:54:00:00:00:%02x", i);
        b.fp.system_uuid[0] = 0;
        seed_plaintext(&b, "sixteen-macs");
        SEED("binding_json", "not-an-object", "[1,2,3]");
        SEED("binding_json", "empty-object", "{}");
}

static void caches(void)
{
        char dir[PATH_MAX], path[PATH_MAX + 32], *data = NULL;
        cws_cache_entry e;
        cws_error err = { 0 };
        size_t len = 0;

        fuzz_path(dir, sizeof(dir), "state");
        snprintf(path, sizeof(path), "%s/cache/%u", dir, (unsigned)FUZZ_UID);
        for (int v = 0; v < 3; v++) {
                static const char *const names[] = { "fresh", "revoked", "never-validated" };
                char name[64];

                cws_cache_init(&e, FUZZ_UID, FUZZ_USER);
                if (v != 2)
                        cws_cache_note_allow(&e, "work-laptop", INV, DEV, CWS_TYPE_READ_WRITE,
                                             INT64_C(1700000000123456));
                if (v == 1) {
                        /* Version 1 kept revoked ids in the cache. */
                        snprintf(e.legacy_revoked[0], CWS_ID_MAX, "%s", DEV);
                        snprintf(e.legacy_revoked[1], CWS_ID_MAX, "inv-CCCCCCCCCCCCCCCCCCCCCA");
                        e.n_legacy_revoked = 2;
                }
                if (cws_cache_store(dir, fuzz_host_key, &e, &err) < 0 ||
                    cws_file_read_checked(path, 1 << 16, CWS_FILE_SECRET, &data, &len, &err) < 0)
                        fuzz_fail(err.msg);
                seed("cache_raw", names[v], data, len);
                snprintf(name, sizeof(name), "%s-body", names[v]);
                /* The body: all but the "mac=<64 hex>\n" line. */
                seed("cache_body", name, data, len - (2 * 32 + 5));
                free(data);
                data = NULL;
        }
        SEED("cache_raw", "mac-only", "mac=0000000000000000000000000000000000000000000000000000000000000000\n");
        /* Sixteen revoked ids, the most a version-1 list holds. */
        {
                char body[2048];
                int n = snprintf(body, sizeof(body),
                                 "version=1\nuid=4242\nuser=fuzzuser\nvalidated_at=1\nprofile=\n"
                                 "invitation=\ndevice=\ntype=none\nrevoked=");

                for (int i = 0; i < 16; i++)
                        n += snprintf(body + n, sizeof(body) - (size_t)n, "%s%s-AAAAAAAAAAAAAAAAAAAA%cA",
                                      i ? "," : "", i % 2 ? "inv" : "dev", 'A' + i);
                n += snprintf(body + n, sizeof(body) - (size_t)n, "\n");
                seed("cache_body", "sixteen-revoked", body, (size_t)n);
        }
}

static void config(void)
{
        SEED("config_file", "packaged",
             "# comment\n[registry]\nurl = file:///var/lib/cws/registry\n"
             "trusted_keys = /etc/cws/trusted_keys\ntimeout = 5s\n"
             ";endpoint = https://rgw.example.org:7443\n[agent]\nsocket = /run/cws/cwsd.sock\n"
             "state_dir = /var/lib/cws/state\nmonitor_interval = 30s\nterminate_on_revoke = yes\n"
             "[policy]\nfail_mode = closed\noffline_grace = 1d\nmax_cache_age = 0\ngate = all\n"
             "audit_required = false\ndefault_type = read_only\n[monitor]\n"
             "alert_threshold = MEDIUM\ncorrelation_enabled = true\nanalysis_interval = 5m\n"
             "health_check_interval = 15m\nlog_retention_days = 90\n[services]\nsudo = admin\n"
             "sshd = read_write\ncron = none\n");
        SEED("config_file", "s3",
             "[registry]\nurl = s3://cws-registry/site-a/\nendpoint = https://[::1]:7443\n"
             "region = eu-central-1\ncredentials_file = /etc/cws/s3-credentials\n"
             "pinned_keys = sha256//yLAA0lIDHlMy7Y+BXPgRy6WuwFNuPiJDCsfq65CXjkg=\n");
        SEED("config_file", "hash-comment", "[policy]\nfail_mode = closed # open\n");
        SEED("config_file", "nul-byte", "[policy]\nfail_mode = open\0\n");
        SEED("config_file", "no-section", "url = file:///x\n");
        SEED("config_set", "valid",
             "policy\0fail_mode\0closed\0agent\0monitor_interval\0" "5m\0services\0sshd\0admin\0"
             "policy\0gate\0group:wheel\0registry\0timeout\0" "300s\0");
        SEED("config_set", "refused",
             "policy\0fail_mode\0open \0registry\0url\0file:///a b\0\0key\0value\0"
             "policy\0offline_grace\0" "99999999999d\0services\0-bad\0none\0unknown\0x\0y\0");
}

static void s3(void)
{
        SEED("s3_list", "page",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3."
             "amazonaws.com/doc/2006-03-01/\"><Name>cws</Name><Prefix>registry/inv/</Prefix>"
             "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
             "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs"
             "2J/wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>registry/inv/a&amp;b</Key>"
             "<Size>12</Size></Contents><CommonPrefixes><Prefix>registry/inv/" INV "/</Prefix>"
             "</CommonPrefixes></ListBucketResult>");
        SEED("s3_list", "empty",
             "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
        SEED("s3_list", "entities", "<ListBucketResult><Contents><Key>&lt;&#65;&#x42;&quot;&apos;"
                                    "&gt;</Key></Contents></ListBucketResult>");
        SEED("s3_list", "cut-short", "<ListBucketResult><Contents><Key>x</Key>");
        SEED("s3_error", "nosuchkey",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The "
             "specified key does not exist.</Message><Key>x</Key><RequestId>tx0</RequestId>"
             "</Error>");
        SEED("s3_error", "nested", "<Error><Code><Code>X</Code></Code><Code>Y1</Code></Error>");
        SEED("s3_error", "bad-code", "<Error attr='1'><Code>No Such&#32;Key</Code></Error>");
        SEED("s3_credentials", "valid",
             "# the cws host's key\naccess_key_id = AKIAIOSFODNN7EXAMPLE\n"
             "secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
        SEED("s3_credentials", "crlf", "access_key_id=a\r\nsecret_access_key=b\r\n");
        SEED("s3_credentials", "twice", "access_key_id = a\naccess_key_id = b\n");
        SEED("s3_credentials", "colon", "access_key_id = a:b\nsecret_access_key = c\n");
        SEED("s3_url", "url", "s3://cws-registry/site-a/");
        SEED("s3_url", "url-dots", "s3://cws.example.org");
        SEED("s3_url", "endpoint", "https://rgw.example.org:7443/");
        SEED("s3_url", "endpoint-ipv6", "http://[::1]:7480");
        SEED("s3_url", "endpoint-loopback", "http://127.0.0.1:65535");
        SEED("s3_url", "region", "eu-central-1");
        SEED("s3_url", "encode", "a b/c~d%e\xff");
}

static void protocol_and_pam(void)
{
        SEED("protocol", "validate",
             "op=validate\nuser=alice\nservice=sshd\nphase=account\nrhost=192.0.2.1\n"
             "tty=pts/0\npid=1234\n");
        SEED("protocol", "reply",
             "status=ok\ndecision=allow\nreason=ok\nprofile=work-laptop\ninvitation=" INV "\n"
             "device=" DEV "\n");
        SEED("protocol", "empty-value", "a=\n");
        SEED("protocol", "duplicate", "a=1\na=2\n");
        SEED("protocol", "no-newline", "op=status");
        SEED("protocol", "bad-key", "Op=x\n");

        /* opts, then user, service, rhost, tty, ruser, user2, args, config, reply */
        SEED("pam", "offline-fresh", "\x10" "fuzzuser\0sshd\0" "192.0.2.1\0pts/0\0\0\0\0\0");
        SEED("pam", "offline-revoked", "\x20" "fuzzuser\0sshd\0" "192.0.2.1\0pts/0\0\0\0debug\0\0");
        SEED("pam", "offline-old", "\x30" "fuzzuser\0sudo\0\0\0\0\0\0[policy]\noffline_grace = 1h\n\0");
        SEED("pam", "reply-allow",
             "\x01" "alice\0sshd\0host.example\0ssh\0\0\0noaudit\0\0"
             "status=ok\ndecision=allow\nreason=ok\nprofile=work\ninvitation=" INV "\n"
             "device=" DEV "\n");
        SEED("pam", "reply-deny",
             "\x01" "alice\0login\0\0tty1\0\0\0\0\0status=ok\ndecision=deny\nreason=device_revoked\n"
             "profile=work\n");
        SEED("pam", "reply-refused", "\x03" "root\0sshd\0\0\0\0\0\0\0status=error\nreason=bad_request\n");
        SEED("pam", "sudo", "\x18" "fuzzuser\0sudo\0\0pts/1\0fuzzuser\0root\0\0\0");
        SEED("pam", "hostile-items",
             "\x10" "fuzz\x01user\0ss hd\0evil\nrhost\0/dev/\x1b[31m\0r\xffuser\0\0\0\0");
        SEED("pam", "hostile-args", "\x10" "fuzzuser\0sshd\0\0\0\0\0timeout_ms=0 fail_mode=maybe "
                                    "conf=relative bogus\0\0");
        SEED("pam", "gate-and-services",
             "\x10" "fuzzuser\0sshd\0\0\0\0\0debug\0[policy]\ngate = group:cws-users\n"
             "default_type = admin\n[services]\nsshd = read_only\n\0");
        SEED("pam", "fail-open", "\x00" "alice\0sshd\0\0\0\0\0fail_mode=open\0\0");
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
                return 2;
        }
        out_dir = argv[1];
        if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
                fuzz_fail("cannot create the corpus directory");
        if (mkdir(fuzz_tmpdir(), 0700) < 0 && errno != EEXIST)
                fuzz_fail("scratch");
        records();
        bindings();
        caches();
        config();
        s3();
        protocol_and_pam();
        return 0;
}
