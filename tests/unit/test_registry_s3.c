/* lib/registry_s3*.c without a server: URL, endpoint, region and
 * credentials parsing, the SigV4 pieces we build (payload hash header,
 * sorted and encoded list query), the ListObjectsV2 and error parsers fed
 * hostile bodies, the opener's refusals, credentials given as text
 * instead of a file, a refused connection, ca_file's file checks, the
 * answers of a one-reply HTTP server on loopback (which 404 is "absent"),
 * http_proxy ignored on loopback, and the [registry] keys of the config. The whole path against Ceph RGW is in tests/integration/test_s3_*.sh
 * (and, with the credentials in the keychain, test_keychain.sh). */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cws/config.h"
#include "cws/registry.h"
#include "cws/registry_s3.h"

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

/* ---- URL, endpoint, region ---- */

static void test_parse_url(void **state)
{
        char bucket[CWS_S3_BUCKET_MAX], prefix[CWS_KEY_MAX];
        cws_error err = { 0 };

        (void)state;
        assert_int_equal(cws_s3_parse_url("s3://cws-registry", bucket, prefix, &err), 0);
        assert_string_equal(bucket, "cws-registry");
        assert_string_equal(prefix, "");
        assert_int_equal(cws_s3_parse_url("s3://my.bucket-1/", bucket, prefix, &err), 0);
        assert_string_equal(bucket, "my.bucket-1");
        assert_string_equal(prefix, "");
        assert_int_equal(cws_s3_parse_url("s3://abc/site/lab-2/", bucket, prefix, &err), 0);
        assert_string_equal(bucket, "abc");
        assert_string_equal(prefix, "site/lab-2");
}

static void test_parse_url_refuses(void **state)
{
        static const char *const bad[] = {
                "s3://", "s3://ab", "s3://Upper", "s3://-abc", "s3://abc-", "s3://a_b_c",
                "s3://abc/../x", "s3://abc/a//b", "s3://abc/./x", "s3://abc/a b", "s3://abc//",
                "file:///x", "https://abc", "s3:/abc", "s3://abc/x?y",
                "s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };
        char bucket[CWS_S3_BUCKET_MAX], prefix[CWS_KEY_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                if (cws_s3_parse_url(bad[i], bucket, prefix, &err) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
                assert_contains(err.msg, "registry URL");
        }
}

static void test_endpoint(void **state)
{
        static const struct { const char *e; bool http; } good[] = {
                { "https://s3.example.org", false }, { "https://127.0.0.1:7443", false },
                { "https://rgw.lab.example:443/", false }, { "https://[2001:db8::1]:8443", false },
                { "http://127.0.0.1:7480", true }, { "http://localhost:7480", true },
                { "http://[::1]:80", true }, { "http://127.1.2.3", true },
        };
        static const char *const bad[] = {
                "http://10.0.0.1:7480", "http://127.0.0.1.evil.example", "http://localhost.evil",
                "http://128.0.0.1", "http://127.0.0.256", "http://127.0.0", "http://[::2]",
                "ftp://127.0.0.1", "https://user:pw@host", "https://host/path", "https://host?x=1",
                "https://host#f", "https://host:0", "https://host:65536", "https://host:8a",
                "https://", "https://host:", "https://[]", "https://[zz]", "s3.example.org",
        };
        bool http;

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                cws_error err = { 0 };
                if (cws_s3_check_endpoint(good[i].e, &http, &err) != 0)
                        fail_msg("refused '%s': %s", good[i].e, err.msg);
                assert_int_equal(http, good[i].http);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                if (cws_s3_check_endpoint(bad[i], &http, &err) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
                assert_contains(err.msg, "registry endpoint");
        }
}

static void test_plain_http_only_loopback_message(void **state)
{
        cws_error err = { 0 };
        bool http;

        (void)state;
        assert_int_equal(cws_s3_check_endpoint("http://s3.example.org", &http, &err), -EINVAL);
        assert_contains(err.msg, "plain http:// is refused except on loopback");
}

static void test_region(void **state)
{
        (void)state;
        assert_true(cws_s3_region_valid("us-east-1"));
        assert_true(cws_s3_region_valid("default"));
        assert_false(cws_s3_region_valid(""));
        assert_false(cws_s3_region_valid("US-EAST-1"));
        assert_false(cws_s3_region_valid("us east"));
        assert_false(cws_s3_region_valid("a:b"));
        assert_false(cws_s3_region_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_base_url(void **state)
{
        char out[CWS_S3_URL_MAX];

        (void)state;
        assert_int_equal(cws_s3_base_url("https://127.0.0.1:7443", "us-east-1", "reg", out, sizeof(out)), 0);
        assert_string_equal(out, "https://127.0.0.1:7443/reg");
        assert_int_equal(cws_s3_base_url("https://rgw.example/", "us-east-1", "reg", out, sizeof(out)), 0);
        assert_string_equal(out, "https://rgw.example/reg");
        assert_int_equal(cws_s3_base_url("", "eu-west-3", "reg", out, sizeof(out)), 0);
        assert_string_equal(out, "https://reg.s3.eu-west-3.amazonaws.com");
        assert_int_equal(cws_s3_base_url("", "eu-west-3", "my.reg", out, sizeof(out)), 0);
        assert_string_equal(out, "https://s3.eu-west-3.amazonaws.com/my.reg");
        assert_int_equal(cws_s3_base_url("https://x", "r", "reg", out, 8), -ENAMETOOLONG);
}

/* ---- what we add to the signed request ---- */

static void test_sigv4_param(void **state)
{
        char out[96];

        (void)state;
        assert_int_equal(cws_s3_sigv4_param("us-east-1", out, sizeof(out)), 0);
        assert_string_equal(out, "aws:amz:us-east-1:s3");
        assert_int_equal(cws_s3_sigv4_param("bad:region", out, sizeof(out)), -EINVAL);
        assert_int_equal(cws_s3_sigv4_param("us-east-1", out, 10), -ENAMETOOLONG);
}

static void test_payload_header(void **state)
{
        char out[128];

        (void)state;
        assert_int_equal(cws_s3_payload_header("", 0, out, sizeof(out)), 0);
        assert_string_equal(out, "x-amz-content-sha256: "
                                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_int_equal(cws_s3_payload_header("hello", 5, out, sizeof(out)), 0);
        assert_string_equal(out, "x-amz-content-sha256: "
                                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_int_equal(cws_s3_payload_header("", 0, out, 50), -ENOBUFS);
}

static void test_uri_encode(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(cws_s3_uri_encode("inv/inv-A_b.~z9", out, sizeof(out)), 0);
        assert_string_equal(out, "inv%2Finv-A_b.~z9");
        assert_int_equal(cws_s3_uri_encode("a b+c=d&e\xc3\xa9", out, sizeof(out)), 0);
        assert_string_equal(out, "a%20b%2Bc%3Dd%26e%C3%A9");
        assert_int_equal(cws_s3_uri_encode("", out, sizeof(out)), 0);
        assert_string_equal(out, "");
        assert_int_equal(cws_s3_uri_encode("abc", out, 3), -ENOBUFS);
        assert_int_equal(cws_s3_uri_encode("a/", out, 4), -ENOBUFS);
}

static void test_list_query(void **state)
{
        char out[512];

        (void)state;
        assert_int_equal(cws_s3_list_query("site/inv", NULL, out, sizeof(out)), 0);
        assert_string_equal(out, "delimiter=%2F&list-type=2&max-keys=1000&prefix=site%2Finv%2F");
        /* The token is opaque: every reserved byte is encoded, and it sorts first. */
        assert_int_equal(cws_s3_list_query("inv", "1/a+b=&c", out, sizeof(out)), 0);
        assert_string_equal(out, "continuation-token=1%2Fa%2Bb%3D%26c&delimiter=%2F&list-type=2&"
                                 "max-keys=1000&prefix=inv%2F");
        assert_int_equal(cws_s3_list_query("inv", NULL, out, 20), -ENOBUFS);
        /* start-after (the notices' cursor) sorts last. */
        assert_int_equal(cws_s3_list_query_after("site/notice", NULL,
                                                 "site/notice/00000000000000000042-00000000000000ff",
                                                 out, sizeof(out)), 0);
        assert_string_equal(out, "delimiter=%2F&list-type=2&max-keys=1000&prefix=site%2Fnotice%2F&"
                                 "start-after=site%2Fnotice%2F00000000000000000042-00000000000000ff");
}

/* ---- credentials ---- */

static void test_credentials(void **state)
{
        char a[CWS_S3_CRED_MAX], s[CWS_S3_CRED_MAX];
        cws_error err = { 0 };

        (void)state;
        assert_int_equal(cws_s3_parse_credentials("# registry key\n\naccess_key_id = AKIA123\n"
                                                  "  secret_access_key=wJalr/K7+MDENG=:x \r\n",
                                                  "/c", a, s, &err), 0);
        assert_string_equal(a, "AKIA123");
        assert_string_equal(s, "wJalr/K7+MDENG=:x");
        /* Line numbers count every line, blank ones too. */
        assert_int_equal(cws_s3_parse_credentials("\n\n# c\nbogus\n", "/c", a, s, &err), -EINVAL);
        assert_contains(err.msg, "/c: line 4:");
}

static void test_credentials_refused_without_the_secret_in_messages(void **state)
{
        static const char *const bad[] = {
                "access_key_id = A\n",
                "secret_access_key = TOPSECRET\n",
                "access_key_id = A\nsecret_access_key = TOP SECRET\n",
                "access_key_id = A\nsecret_access_key =\n",
                "access_key_id = A\nsecret_access_key = TOPSECRET\nsecret_access_key = TOPSECRET2\n",
                "access_key_id = A:B\nsecret_access_key = TOPSECRET\n",
                "access_key_id = A\nsecret_key = TOPSECRET\n",
                "access_key_id = A\nTOPSECRET\n",
                "",
        };
        char a[CWS_S3_CRED_MAX], s[CWS_S3_CRED_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_error err = { 0 };
                if (cws_s3_parse_credentials(bad[i], "/etc/cws/s3.cred", a, s, &err) != -EINVAL)
                        fail_msg("accepted credentials #%zu", i);
                assert_contains(err.msg, "/etc/cws/s3.cred");
                if (strstr(err.msg, "SECRET"))
                        fail_msg("message quotes the secret: %s", err.msg);
        }
}

/* ---- ListObjectsV2 ---- */

static const char rgw_page[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>reg</Name><Prefix>p/inv/</Prefix>"
        "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1/a&amp;b+c=</NextContinuationToken>"
        "<Contents><Key>p/inv/x/invitation</Key><LastModified>2026-11-23T12:10:56.379Z</LastModified>"
        "<ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size>"
        "<StorageClass>STANDARD</StorageClass><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner>"
        "</Contents>\n  <CommonPrefixes><Prefix>p/inv/inv-A/</Prefix></CommonPrefixes>"
        "<CommonPrefixes><Prefix>p/inv/inv-&#66;&#x43;/</Prefix></CommonPrefixes>"
        "<KeyCount>3</KeyCount><Empty/></ListBucketResult>\n";

static void test_list_parse(void **state)
{
        cws_s3_list_page p;
        cws_error err = { 0 };

        (void)state;
        assert_int_equal(cws_s3_parse_list(rgw_page, strlen(rgw_page), &p, &err), 0);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.entries[0], "p/inv/x/invitation");
        assert_string_equal(p.entries[1], "p/inv/inv-A/");
        assert_string_equal(p.entries[2], "p/inv/inv-BC/");
        assert_true(p.truncated);
        assert_string_equal(p.next_token, "1/a&b+c=");
        cws_s3_list_page_free(&p);

        static const char last[] = "\xef\xbb\xbf<ListBucketResult><IsTruncated>false</IsTruncated>"
                                   "</ListBucketResult>";
        assert_int_equal(cws_s3_parse_list(last, strlen(last), &p, &err), 0);
        assert_int_equal(p.n, 0);
        assert_false(p.truncated);
        assert_null(p.next_token);
        cws_s3_list_page_free(&p);
}

static void expect_refused(const char *body, size_t len, const char *why)
{
        cws_s3_list_page p;
        cws_error err = { 0 };
        int r = cws_s3_parse_list(body, len, &p, &err);

        if (r != -EBADMSG)
                fail_msg("accepted (%d) a body that should fail with '%s': %.80s", r, why, body);
        assert_contains(err.msg, why);
        assert_null(p.entries);
        assert_null(p.next_token);
}

#define REFUSED(body, why) expect_refused(body, sizeof(body) - 1, why)

static void test_list_hostile(void **state)
{
        (void)state;
        REFUSED("", "no document element");
        REFUSED("   \n", "no document element");
        REFUSED("not xml at all", "text outside the document element");
        REFUSED("<Error><Code>AccessDenied</Code></Error>", "<Error>, not <ListBucketResult>");
        REFUSED("<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult/>", "DOCTYPE");
        REFUSED("<ListBucketResult><Contents><Key><![CDATA[x]]></Key></Contents></ListBucketResult>", "CDATA");
        REFUSED("<ListBucketResult><!-- hi --></ListBucketResult>", "comments");
        REFUSED("<ListBucketResult><Contents><Key>a</Contents></Key></ListBucketResult>", "mismatched end tag");
        REFUSED("<ListBucketResult><Contents><Key>a</Key>", "cut short");
        REFUSED("<ListBucketResult><Contents><Key>a</Key></Contents", "unterminated end tag");
        REFUSED("<ListBucketResult><Contents x=\"1></ListBucketResult>", "unterminated tag");
        REFUSED("<ListBucketResult></ListBucketResult><ListBucketResult/>", "more than one document element");
        REFUSED("<ListBucketResult></ListBucketResult>trailing", "text outside");
        REFUSED("<ListBucketResult><a><b><c><d><e><f><g><h>x</h></g></f></e></d></c></b></a></ListBucketResult>",
                "nested too deeply");
        REFUSED("<ListBucketResult><Contents><Key>&bogus;</Key></Contents></ListBucketResult>", "unknown entity");
        REFUSED("<ListBucketResult><Contents><Key>&#1;</Key></Contents></ListBucketResult>", "unknown entity");
        REFUSED("<ListBucketResult><Contents><Key>&#x110000;</Key></Contents></ListBucketResult>", "unknown entity");
        REFUSED("<ListBucketResult><Contents><Key>&amp</Key></Contents></ListBucketResult>", "unknown entity");
        REFUSED("<ListBucketResult><Contents><Key>a\x01</Key></Contents></ListBucketResult>", "control character");
        REFUSED("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>", "IsTruncated");
        REFUSED("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
                "truncated listing without a continuation token");
        REFUSED("<ListBucketResult><NextContinuationToken>a</NextContinuationToken>"
                "<NextContinuationToken>b</NextContinuationToken></ListBucketResult>", "two continuation tokens");
        REFUSED("<ListBucketResult><NextContinuationToken>a b</NextContinuationToken></ListBucketResult>",
                "unprintable");
        REFUSED("<ListBucketResult><NextContinuationToken/></ListBucketResult>", "empty continuation token");
        REFUSED("<ListBucketResult><?pi x?></ListBucketResult>", "processing instruction");
        REFUSED("<ListBucketResult><></ListBucketResult>", "without a name");
        REFUSED("<", "cut short");
        expect_refused("<ListBucketResult>\0</ListBucketResult>", 37, "NUL byte");
}

static void test_list_bounds(void **state)
{
        size_t cap = 64 * 1024 + (size_t)CWS_S3_LIST_PAGE_KEYS * 32;
        char *b = malloc(cap);
        size_t n = 0;

        (void)state;
        assert_non_null(b);
        /* Text over CWS_S3_TEXT_MAX. */
        n = (size_t)snprintf(b, cap, "<ListBucketResult><Contents><Key>");
        memset(b + n, 'k', CWS_S3_TEXT_MAX + 1);
        n += CWS_S3_TEXT_MAX + 1;
        n += (size_t)snprintf(b + n, cap - n, "</Key></Contents></ListBucketResult>");
        expect_refused(b, n, "too long");
        /* A name over 63 bytes. */
        n = (size_t)snprintf(b, cap, "<ListBucketResult><");
        memset(b + n, 'N', 80);
        n += 80;
        n += (size_t)snprintf(b + n, cap - n, "/></ListBucketResult>");
        expect_refused(b, n, "name is too long");
        /* More keys than a page may hold. */
        n = (size_t)snprintf(b, cap, "<ListBucketResult>");
        for (unsigned i = 0; i <= CWS_S3_LIST_PAGE_KEYS; i++)
                n += (size_t)snprintf(b + n, cap - n, "<Contents><Key>k%u</Key></Contents>", i);
        n += (size_t)snprintf(b + n, cap - n, "</ListBucketResult>");
        expect_refused(b, n, "too many keys");
        free(b);
}

/* Every prefix of a valid page is refused, never crashes; random bytes
 * spliced in anywhere give a clean answer either way. */
static void test_list_truncations_and_noise(void **state)
{
        size_t len = strlen(rgw_page);
        char *copy = malloc(len);
        unsigned seed = 12345;

        (void)state;
        assert_non_null(copy);
        for (size_t cut = 0; cut < len - 1; cut++) {
                cws_s3_list_page p;
                cws_error err = { 0 };
                int r;
                memcpy(copy, rgw_page, cut);
                r = cws_s3_parse_list(copy, cut, &p, &err);
                if (r == 0 && cut < len - 1) {
                        /* Only the trailing newline may be cut. */
                        if (cut != len - 1)
                                fail_msg("a page cut at %zu of %zu was accepted", cut, len);
                }
                if (r == 0)
                        cws_s3_list_page_free(&p);
        }
        for (unsigned round = 0; round < 20000; round++) {
                cws_s3_list_page p;
                cws_error err = { 0 };
                memcpy(copy, rgw_page, len);
                for (int k = 0; k < 3; k++) {
                        seed = seed * 1103515245u + 12345u;
                        size_t at = (seed >> 8) % len;
                        seed = seed * 1103515245u + 12345u;
                        copy[at] = (char)(seed >> 16);
                }
                int r = cws_s3_parse_list(copy, len, &p, &err);
                if (r == 0) {
                        for (size_t i = 0; i < p.n; i++)
                                assert_true(strlen(p.entries[i]) <= CWS_S3_TEXT_MAX);
                        cws_s3_list_page_free(&p);
                } else {
                        assert_int_equal(r, -EBADMSG);
                        assert_true(err.msg[0] != '\0');
                }
        }
        free(copy);
}

/* ---- ListObjectVersions (revocations are read by every version) ---- */

/* What Ceph RGW 16 answered in test_s3_object_lock.sh's set-up: a delete
 * marker over the locked version, and a longer key matched by the prefix. */
static const char rgw_versions[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Name>lockb</Name><Prefix>b/revoked</Prefix><MaxKeys>9</MaxKeys><IsTruncated>false"
        "</IsTruncated><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><DeleteMarker><Key>b/revoked"
        "</Key><VersionId>eOfObZtkSmcM8hj9zMEjO62Gz34lUnG</VersionId><IsLatest>true</IsLatest><LastModified>"
        "2026-12-01T19:46:34.576Z</LastModified><Owner><ID>cws-test</ID><DisplayName>cws-test</DisplayName>"
        "</Owner><Type>Normal</Type></DeleteMarker><Version><Key>b/revoked</Key><VersionId>Q00bArZAh7Mgh-eX0"
        "JDE3oAyvCpvS89</VersionId><IsLatest>false</IsLatest><ETag>&quot;647cb20ec1d29c16772a95b22854a7b8"
        "&quot;</ETag><Size>17</Size><StorageClass>STANDARD</StorageClass><Owner><ID>cws-test</ID></Owner>"
        "</Version><Version><Key>b/revokedX</Key><VersionId>audrz3DlZofbCEFaLsRBcMIC.of8sA2</VersionId>"
        "<IsLatest>true</IsLatest></Version></ListVersionsResult>";

static void test_versions_parse(void **state)
{
        cws_s3_version_page p;
        cws_error err = { 0 };
        bool enabled = true;

        (void)state;
        assert_int_equal(cws_s3_parse_versions(rgw_versions, strlen(rgw_versions), &p, &err), 0);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.entries[0].key, "b/revoked");
        assert_true(p.entries[0].delete_marker);
        assert_string_equal(p.entries[0].version_id, "eOfObZtkSmcM8hj9zMEjO62Gz34lUnG");
        assert_false(p.entries[1].delete_marker);
        assert_string_equal(p.entries[1].version_id, "Q00bArZAh7Mgh-eX0JDE3oAyvCpvS89");
        assert_string_equal(p.entries[2].key, "b/revokedX");
        assert_false(p.truncated);
        assert_null(p.next_key_marker);
        cws_s3_version_page_free(&p);

        static const char cut[] = "<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker>b/r"
                                  "</NextKeyMarker><Version><Key>b/r</Key><VersionId>v1</VersionId></Version>"
                                  "<Version><VersionId>v2</VersionId><Key>b/r</Key></Version></ListVersionsResult>";
        assert_int_equal(cws_s3_parse_versions(cut, strlen(cut), &p, &err), 0);
        assert_int_equal(p.n, 2);
        assert_true(p.truncated);
        assert_string_equal(p.next_key_marker, "b/r");
        assert_string_equal(p.entries[1].version_id, "v2");
        cws_s3_version_page_free(&p);

        static const char lock_on[] = "<?xml version=\"1.0\"?><ObjectLockConfiguration xmlns=\"x\">"
                                      "<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";
        static const char lock_off[] = "<ObjectLockConfiguration><Rule/></ObjectLockConfiguration>";
        static const char lock_twice[] = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                                         "<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";
        assert_int_equal(cws_s3_parse_object_lock(lock_on, strlen(lock_on), &enabled, &err), 0);
        assert_true(enabled);
        assert_int_equal(cws_s3_parse_object_lock(lock_off, strlen(lock_off), &enabled, &err), 0);
        assert_false(enabled);
        assert_int_equal(cws_s3_parse_object_lock(lock_twice, strlen(lock_twice), &enabled, &err), -EBADMSG);
        assert_false(enabled);
        assert_int_equal(cws_s3_parse_object_lock("<Error><Code>X</Code></Error>", 29, &enabled, &err), -EBADMSG);
        assert_false(enabled);
}

static void expect_versions_refused(const char *body, size_t len, const char *why)
{
        cws_s3_version_page p;
        cws_error err = { 0 };
        int r = cws_s3_parse_versions(body, len, &p, &err);

        if (r != -EBADMSG)
                fail_msg("accepted (%d) a listing that should fail with '%s': %.80s", r, why, body);
        assert_contains(err.msg, why);
        assert_null(p.entries);
        assert_int_equal(p.n, 0);
        assert_null(p.next_key_marker);
}

#define VREFUSED(body, why) expect_versions_refused(body, sizeof(body) - 1, why)

static void test_versions_hostile(void **state)
{
        static const char *const lv = "<ListVersionsResult>";
        char *big;
        size_t n = 0, cap = 4 * CWS_S3_VERSIONS_BODY_MAX;

        (void)state;
        VREFUSED("", "no document element");
        VREFUSED("<ListBucketResult></ListBucketResult>", "not <ListVersionsResult>");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key></Version></ListVersionsResult>",
                 "without its key or version id");
        VREFUSED("<ListVersionsResult><DeleteMarker><VersionId>v</VersionId></DeleteMarker></ListVersionsResult>",
                 "without its key or version id");
        VREFUSED("<ListVersionsResult><Version/></ListVersionsResult>", "without its key or version id");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><Key>b</Key><VersionId>v</VersionId></Version>"
                 "</ListVersionsResult>", "two keys");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId>v</VersionId><VersionId>w</VersionId>"
                 "</Version></ListVersionsResult>", "two version ids");
        VREFUSED("<ListVersionsResult><Version><Key></Key><VersionId>v</VersionId></Version></ListVersionsResult>",
                 "an empty key");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId></VersionId></Version></ListVersionsResult>",
                 "a version id that is empty");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId>v w</VersionId></Version></ListVersionsResult>",
                 "unprintable");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId>v&#x7f;</VersionId></Version>"
                 "</ListVersionsResult>", "unknown entity");
        VREFUSED("<ListVersionsResult><IsTruncated>maybe</IsTruncated></ListVersionsResult>", "neither true");
        VREFUSED("<ListVersionsResult><NextKeyMarker>a</NextKeyMarker><NextKeyMarker>b</NextKeyMarker>"
                 "</ListVersionsResult>", "two NextKeyMarker");
        VREFUSED("<!DOCTYPE x [<!ENTITY a \"b\">]><ListVersionsResult/>", "DOCTYPE");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId>v</VersionId></Version>",
                 "cut short");
        VREFUSED("<ListVersionsResult><Version><Key>a</Key><VersionId>v</VersionId></Versions>"
                 "</ListVersionsResult>", "mismatched end tag");
        VREFUSED("<ListVersionsResult>\x01</ListVersionsResult>", "control character");

        /* A version id over the bound. */
        big = malloc(cap + 1);
        assert_non_null(big);
        n = (size_t)snprintf(big, cap, "%s<Version><Key>a</Key><VersionId>", lv);
        memset(big + n, 'v', CWS_S3_VERSION_ID_MAX);
        n += CWS_S3_VERSION_ID_MAX;
        n += (size_t)snprintf(big + n, cap - n, "</VersionId></Version></ListVersionsResult>");
        expect_versions_refused(big, n, "malformed XML");

        /* More entries than a page may hold, and a body over its bound. */
        n = (size_t)snprintf(big, cap, "%s", lv);
        for (unsigned i = 0; i <= CWS_S3_VERSIONS_PAGE_KEYS; i++)
                n += (size_t)snprintf(big + n, cap - n, "<DeleteMarker><Key>a</Key><VersionId>v%u</VersionId>"
                                      "</DeleteMarker>", i);
        n += (size_t)snprintf(big + n, cap - n, "</ListVersionsResult>");
        expect_versions_refused(big, n, "too many versions in one page");
        n = (size_t)snprintf(big, cap, "%s", lv);
        while (n < CWS_S3_VERSIONS_BODY_MAX + 16)
                n += (size_t)snprintf(big + n, cap - n, "<Name>padding</Name>");
        n += (size_t)snprintf(big + n, cap - n, "</ListVersionsResult>");
        expect_versions_refused(big, n, "too large");
        free(big);
}

static void test_versions_query(void **state)
{
        char q[512];

        (void)state;
        assert_int_equal(cws_s3_versions_query("p/inv/inv-A/device-revoked/dev-B_c", 9, q, sizeof(q)), 0);
        assert_string_equal(q, "max-keys=9&prefix=p%2Finv%2Finv-A%2Fdevice-revoked%2Fdev-B_c&versions=");
        assert_int_equal(cws_s3_versions_query("a", 0, q, sizeof(q)), -ENOBUFS);
        assert_int_equal(cws_s3_versions_query("a", 1001, q, sizeof(q)), -ENOBUFS);
        assert_int_equal(cws_s3_versions_query("abc", 9, q, 20), -ENOBUFS);
}

static void test_error_code(void **state)
{
        static const char rgw[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed"
                                  "</Code><Message></Message><BucketName>b</BucketName></Error>";
        static const char odd[] = "<Error><Code>Bad Code\"</Code></Error>";
        static const char notxml[] = "<html>502 Bad Gateway</html>";
        char code[64];

        (void)state;
        cws_s3_parse_error_code(rgw, strlen(rgw), code, sizeof(code));
        assert_string_equal(code, "PreconditionFailed");
        cws_s3_parse_error_code(odd, strlen(odd), code, sizeof(code));
        assert_string_equal(code, "");
        cws_s3_parse_error_code(notxml, strlen(notxml), code, sizeof(code));
        assert_string_equal(code, "");
        cws_s3_parse_error_code(rgw, strlen(rgw), code, 8);     /* too long for the buffer */
        assert_string_equal(code, "");
        cws_s3_parse_error_code(rgw, 40, code, sizeof(code));   /* cut */
        assert_string_equal(code, "");
        /* Two codes (found by fuzz_s3_error): ambiguous, none, whatever
         * the buffer size. */
        static const char two[] = "<Error><Code>NoSuchKey</Code><Code>AccessDenied</Code></Error>";
        cws_s3_parse_error_code(two, strlen(two), code, sizeof(code));
        assert_string_equal(code, "");
        cws_s3_parse_error_code(two, strlen(two), code, 10);
        assert_string_equal(code, "");
}

/* ---- the opener ---- */

typedef struct fixture {
        char dir[64];
        char creds[128];
} fixture;

static int setup(void **state)
{
        fixture *fx = calloc(1, sizeof(*fx));
        FILE *f;

        if (!fx)
                return -1;
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/cws-test-s3.XXXXXX");
        if (!mkdtemp(fx->dir))
                return -1;
        snprintf(fx->creds, sizeof(fx->creds), "%s/creds", fx->dir);
        f = fopen(fx->creds, "w");
        if (!f)
                return -1;
        fputs("access_key_id = AK\nsecret_access_key = SK-TOPSECRET\n", f);
        fclose(f);
        chmod(fx->creds, 0600);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        fixture *fx = *state;
        char p[160];

        snprintf(p, sizeof(p), "%s/creds", fx->dir);
        unlink(p);
        rmdir(fx->dir);
        free(fx);
        return 0;
}

static int open_with(const fixture *fx, const char *url, const char *endpoint, const char *pins,
                     cws_registry **r, cws_error *err)
{
        cws_s3_settings s = { .endpoint = endpoint, .region = "", .credentials_file = fx->creds,
                              .ca_file = "", .pinned_keys = pins, .timeout_ms = 2000 };
        return cws_registry_s3_open(url, &s, r, err);
}

static void test_open_refuses(void **state)
{
        fixture *fx = *state;
        cws_registry *r = NULL;
        cws_error err = { 0 };

        assert_int_equal(open_with(fx, "s3://UP", "", "", &r, &err), -EINVAL);
        assert_int_equal(open_with(fx, "s3://reg", "http://192.0.2.1:80", "", &r, &err), -EINVAL);
        assert_contains(err.msg, "refused except on loopback");
        assert_int_equal(open_with(fx, "s3://reg", "http://127.0.0.1:80",
                                   "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &r, &err), -EINVAL);
        assert_contains(err.msg, "need https://");

        cws_s3_settings none = { .endpoint = "https://127.0.0.1:1", .credentials_file = "" };
        assert_int_equal(cws_registry_s3_open("s3://reg", &none, &r, &err), -EINVAL);
        assert_contains(err.msg, "credentials_file");

        chmod(fx->creds, 0640);         /* group-readable secret: refused */
        memset(&err, 0, sizeof(err));
        assert_true(open_with(fx, "s3://reg", "https://127.0.0.1:1", "", &r, &err) < 0);
        assert_contains(err.msg, fx->creds);
        chmod(fx->creds, 0600);
        assert_null(strstr(err.msg, "TOPSECRET"));
}

/* "http://127.0.0.1:PORT" on a loopback port nobody listens on. */
static void closed_endpoint(char out[64])
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
        close(fd);      /* the port is now free and closed */
        snprintf(out, 64, "http://127.0.0.1:%u", ntohs(a.sin_port));
}

/* A loopback port nobody listens on: a distinct, logged "cannot connect",
 * -ECONNREFUSED, for get, put and list alike, and no secret in it. */
static void test_connection_refused(void **state)
{
        fixture *fx = *state;
        char endpoint[64], *data = NULL, **keys = NULL;
        size_t len = 0, n = 0;
        cws_registry *r = NULL;
        cws_error err = { 0 };

        closed_endpoint(endpoint);
        assert_int_equal(open_with(fx, "s3://reg/pre", endpoint, "", &r, &err), 0);
        assert_string_equal(r->url, "s3://reg/pre");

        assert_int_equal(cws_registry_get(r, "inv/x/invitation", &data, &len, &err), -ECONNREFUSED);
        assert_contains(err.msg, "registry s3://reg/pre: GET inv/x/invitation: cannot connect");
        assert_null(strstr(err.msg, "TOPSECRET"));
        assert_int_equal(cws_registry_put_create_only(r, "inv/x/slot/1/0", "r", 1, &err), -ECONNREFUSED);
        assert_contains(err.msg, "PUT inv/x/slot/1/0: cannot connect");
        assert_int_equal(cws_registry_list(r, "inv", &keys, &n, &err), -ECONNREFUSED);
        assert_contains(err.msg, "GET list inv: cannot connect");
        assert_null(keys);
        assert_int_equal(n, 0);
        cws_registry_free(r);
}

/* ca_file goes through the file checks (owner, mode, no symlink) before
 * curl sees a byte; a refusal names the file. */
static void test_open_ca_file(void **state)
{
        fixture *fx = *state;
        char ca[160], link[160];
        cws_registry *r = NULL;
        cws_error err = { 0 };
        FILE *f;

        snprintf(ca, sizeof(ca), "%s/ca.pem", fx->dir);
        snprintf(link, sizeof(link), "%s/ca-link.pem", fx->dir);
        f = fopen(ca, "w");
        assert_non_null(f);
        fputs("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", f);
        fclose(f);
        assert_int_equal(symlink(ca, link), 0);
        cws_s3_settings s = { .endpoint = "https://127.0.0.1:1", .credentials_file = fx->creds,
                              .ca_file = ca };

        chmod(ca, 0644);
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), 0);
        cws_registry_free(r);

        chmod(ca, 0666);
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), -EPERM);
        assert_contains(err.msg, "registry ca_file");
        assert_contains(err.msg, ca);
        assert_contains(err.msg, "group/other writable");
        chmod(ca, 0620);
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), -EPERM);
        chmod(ca, 0644);

        s.ca_file = link;
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), -ELOOP);
        assert_contains(err.msg, link);
        assert_contains(err.msg, "symbolic link");

        unlink(ca);     /* the link now dangles; the file itself is missing */
        s.ca_file = ca;
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), -ENOENT);
        assert_contains(err.msg, ca);
        unlink(link);
}

/* A server on loopback that gives every connection the same reply, until
 * killed. Returns its pid; *port is where it listens. */
static pid_t reply_server(const char *reply, unsigned *port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        pid_t pid;

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
        *port = ntohs(a.sin_port);
        pid = fork();
        assert_true(pid >= 0);
        if (pid > 0) {
                close(fd);
                return pid;
        }
        for (;;) {
                char req[8192];
                size_t got = 0;
                ssize_t k;
                int c = accept(fd, NULL, NULL);
                if (c < 0)
                        _exit(1);
                while (got < sizeof(req) - 1 && (k = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
                        got += (size_t)k;
                        req[got] = '\0';
                        if (strstr(req, "\r\n\r\n"))
                                break;
                }
                if (write(c, reply, strlen(reply)) < 0)
                        _exit(1);
                close(c);
        }
}

static void stop_server(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static char *http_404(const char *body)
{
        static char buf[512];

        snprintf(buf, sizeof(buf), "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
        return buf;
}

/* GET of a record through a server answering reply: returns the errno. */
static int get_through(const fixture *fx, const char *reply, cws_error *err)
{
        char endpoint[64], *data = NULL;
        size_t len = 0;
        unsigned port;
        cws_registry *r = NULL;
        pid_t pid = reply_server(reply, &port);
        int k;

        snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", port);
        assert_int_equal(open_with(fx, "s3://reg", endpoint, "", &r, err), 0);
        k = cws_registry_get(r, "inv/x/device-revoked/d", &data, &len, err);
        cws_registry_free(r);
        stop_server(pid);
        free(data);
        return k;
}

/* Only the store's NoSuchKey means "absent" (for a revocation: not
 * revoked); a 404 from anything else in the way is not an answer. */
static void test_404_needs_no_such_key(void **state)
{
        fixture *fx = *state;
        cws_error err = { 0 };

        assert_int_equal(get_through(fx, http_404("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                                                  "<Key>x</Key></Error>"), &err), -ENOENT);
        assert_contains(err.msg, "no such record");

        assert_int_equal(get_through(fx, http_404("<html><body>404 Not Found (proxy)</body></html>"), &err),
                         -EPROTO);
        assert_contains(err.msg, "GET inv/x/device-revoked/d: HTTP 404 without NoSuchKey "
                                 "(no S3 error code): not the store's answer");
        assert_int_equal(get_through(fx, http_404(""), &err), -EPROTO);
        assert_int_equal(get_through(fx, http_404("<Error><Code>NoSuchUpload</Code></Error>"), &err), -EPROTO);
        assert_contains(err.msg, "(NoSuchUpload)");
        assert_int_equal(get_through(fx, http_404("<Error><Code>NoSuchBucket</Code></Error>"), &err), -ENXIO);
        assert_contains(err.msg, "the bucket does not exist");
}

/* http:// is loopback only, and no http_proxy may answer for it: with the
 * proxy saying "no such key", the closed port is still a refused connection. */
static void test_plain_http_ignores_proxy(void **state)
{
        fixture *fx = *state;
        char endpoint[64], proxy[64], *data = NULL;
        size_t len = 0;
        unsigned port;
        cws_registry *r = NULL;
        cws_error err = { 0 };
        pid_t pid = reply_server(http_404("<Error><Code>NoSuchKey</Code></Error>"), &port);
        int k;

        snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", port);
        closed_endpoint(endpoint);
        setenv("http_proxy", proxy, 1);
        assert_int_equal(open_with(fx, "s3://reg", endpoint, "", &r, &err), 0);
        k = cws_registry_get(r, "inv/x/device-revoked/d", &data, &len, &err);
        cws_registry_free(r);
        unsetenv("http_proxy");
        stop_server(pid);
        assert_int_equal(k, -ECONNREFUSED);
        assert_contains(err.msg, "cannot connect");
}

/* credentials_text (the administrators' keychain) wins over
 * credentials_file, which is then not even opened; it goes through the
 * file's parser, and its refusals name its origin, never the secret. */
static void test_open_credentials_text(void **state)
{
        static const char *const bad[] = {
                "access_key_id = AK\n",
                "access_key_id = AK\nsecret_access_key = TOP SECRET\n",
                "access_key_id = AK\nsecret_access_key = TOPSECRET\nsecret_access_key = TOPSECRET2\n",
                "access_key_id = AK\nsecret_key = TOPSECRET\n",
                "access_key_id = AK\nTOPSECRET\n",
                "",
        };
        fixture *fx = *state;
        char missing[160], endpoint[64], *data = NULL;
        size_t len = 0;
        cws_registry *r = NULL;
        cws_error err = { 0 };
        cws_s3_settings s = { .credentials_file = missing,
                              .credentials_text = "# kept in the keyring\naccess_key_id = AK\n"
                                                  "secret_access_key = SK-TOPSECRET\n",
                              .credentials_origin = "the Secret Service item for s3://reg/pre",
                              .timeout_ms = 2000 };

        snprintf(missing, sizeof(missing), "%s/missing", fx->dir);
        closed_endpoint(endpoint);
        s.endpoint = endpoint;
        assert_int_equal(cws_registry_s3_open("s3://reg/pre", &s, &r, &err), 0);
        assert_int_equal(cws_registry_get(r, "inv/x/invitation", &data, &len, &err), -ECONNREFUSED);
        assert_null(strstr(err.msg, "TOPSECRET"));
        cws_registry_free(r);
        r = NULL;
        /* No file set at all, or one that would be refused: not read. */
        s.credentials_file = NULL;
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), 0);
        cws_registry_free(r);
        r = NULL;
        s.credentials_file = fx->creds;
        chmod(fx->creds, 0644);
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), 0);
        chmod(fx->creds, 0600);
        cws_registry_free(r);
        r = NULL;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&err, 0, sizeof(err));
                s.credentials_text = bad[i];
                if (cws_registry_s3_open("s3://reg", &s, &r, &err) != -EINVAL)
                        fail_msg("accepted credentials #%zu", i);
                assert_null(r);
                assert_contains(err.msg, "the Secret Service item for s3://reg/pre");
                assert_null(strstr(err.msg, fx->creds));
                if (strstr(err.msg, "SECRET"))
                        fail_msg("message quotes the secret: %s", err.msg);
        }
        /* Without an origin the message still says what was refused. */
        s.credentials_origin = NULL;
        assert_int_equal(cws_registry_s3_open("s3://reg", &s, &r, &err), -EINVAL);
        assert_contains(err.msg, "the registry credentials given: needs access_key_id");
}

/* ---- the [registry] keys ---- */

static void test_config_keys(void **state)
{
        cws_config c;
        cws_error err = { 0 };
        const char *pin = "sha256//yLAA0lIDHlMy7Y+BXPgRy6WuwFNuPiJDCsfq65CXjkg=";
        char two[200];

        (void)state;
        cws_config_defaults(&c);
        assert_string_equal(c.s3_endpoint, "");
        assert_string_equal(c.s3_region, "");
        assert_true(c.require_object_lock);     /* compiled default: on (s3: only) */
        assert_int_equal(cws_config_set(&c, "registry", "require_object_lock", "no", "t", &err), 0);
        assert_false(c.require_object_lock);
        assert_int_equal(cws_config_set(&c, "registry", "require_object_lock", "maybe", "t", &err), -EINVAL);
        assert_contains(err.msg, "require_object_lock: invalid value 'maybe'");
        assert_false(c.require_object_lock);
        assert_int_equal(cws_config_set(&c, "registry", "url", "s3://reg/site", "t", &err), 0);
        assert_int_equal(cws_config_set(&c, "registry", "endpoint", "https://127.0.0.1:7443", "t", &err), 0);
        assert_string_equal(c.s3_endpoint, "https://127.0.0.1:7443");
        assert_int_equal(cws_config_set(&c, "registry", "region", "eu-west-3", "t", &err), 0);
        assert_string_equal(c.s3_region, "eu-west-3");
        assert_int_equal(cws_config_set(&c, "registry", "credentials_file", "/etc/cws/s3", "t", &err), 0);
        assert_int_equal(cws_config_set(&c, "registry", "ca_file", "/etc/cws/ca.pem", "t", &err), 0);
        snprintf(two, sizeof(two), "%s;%s", pin, pin);
        assert_int_equal(cws_config_set(&c, "registry", "pinned_keys", two, "t", &err), 0);
        assert_string_equal(c.s3_pinned_keys, two);

        static const char *const bad[][2] = {
                { "url", "s3+http://x" }, { "endpoint", "ftp://x" }, { "endpoint", "https://a b" },
                { "region", "EU" }, { "region", "" }, { "credentials_file", "relative" },
                { "ca_file", "" }, { "pinned_keys", "sha256//short=" },
                { "pinned_keys", "md5//yLAA0lIDHlMy7Y+BXPgRy6WuwFNuPiJDCsfq65CXjkg=" },
                { "pinned_keys", "sha256//yLAA0lIDHlMy7Y+BXPgRy6WuwFNuPiJDCsfq65CXjkg=;" },
                { "pinned_keys", "" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&err, 0, sizeof(err));
                if (cws_config_set(&c, "registry", bad[i][0], bad[i][1], "cws.conf:3", &err) != -EINVAL)
                        fail_msg("accepted %s = '%s'", bad[i][0], bad[i][1]);
                assert_contains(err.msg, bad[i][0]);
        }
        /* The previous values are kept. */
        assert_string_equal(c.s3_region, "eu-west-3");
        assert_string_equal(c.s3_pinned_keys, two);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_url),
                cmocka_unit_test(test_parse_url_refuses),
                cmocka_unit_test(test_endpoint),
                cmocka_unit_test(test_plain_http_only_loopback_message),
                cmocka_unit_test(test_region),
                cmocka_unit_test(test_base_url),
                cmocka_unit_test(test_sigv4_param),
                cmocka_unit_test(test_payload_header),
                cmocka_unit_test(test_uri_encode),
                cmocka_unit_test(test_list_query),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_credentials_refused_without_the_secret_in_messages),
                cmocka_unit_test(test_list_parse),
                cmocka_unit_test(test_list_hostile),
                cmocka_unit_test(test_list_bounds),
                cmocka_unit_test(test_list_truncations_and_noise),
                cmocka_unit_test(test_versions_parse),
                cmocka_unit_test(test_versions_hostile),
                cmocka_unit_test(test_versions_query),
                cmocka_unit_test(test_error_code),
                cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_ca_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_404_needs_no_such_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_plain_http_ignores_proxy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_credentials_text, setup, teardown),
                cmocka_unit_test(test_config_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
