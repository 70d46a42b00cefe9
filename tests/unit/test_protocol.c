/* Unit tests for lib/gate/protocol.c: the message rules, the socket transport and
 * the agent client's trust checks, against real AF_UNIX SOCK_SEQPACKET
 * sockets served by forked children. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fixture.h"
#include "cws/protocol.h"

#define NOBODY 65534

/* ---- helpers ---------------------------------------------------------- */

static int decode_str(cws_msg *m, const char *s)
{
        return cws_msg_decode(m, s, strlen(s));
}

/* Appends "key=<vlen x fill>\n" to buf at *off. */
static void put_field(char *buf, size_t *off, const char *key, size_t vlen, char fill)
{
        size_t kl = strlen(key);

        memcpy(buf + *off, key, kl);
        buf[*off + kl] = '=';
        memset(buf + *off + kl + 1, fill, vlen);
        buf[*off + kl + 1 + vlen] = '\n';
        *off += kl + vlen + 2;
}

/* Fills buf with exactly CWS_MSG_MAX bytes of valid fields: 7 x 1027 + 1003. */
static size_t fill_max_message(char *buf)
{
        size_t off = 0;
        char key[2] = "a";

        for (int i = 0; i < 7; i++) {
                key[0] = (char)('a' + i);
                put_field(buf, &off, key, CWS_MSG_VALUE_MAX, 'x');
        }
        put_field(buf, &off, "h", CWS_MSG_MAX - off - 3, 'y');
        return off;
}

static bool key_ok(const char *k)
{
        size_t n = strlen(k);

        if (n < 1 || n > CWS_MSG_KEY_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
                        return false;
        return true;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static void make_pair(int sv[2])
{
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* ---- message rules ---------------------------------------------------- */

static void test_round_trip(void **state)
{
        cws_msg m, d;
        char out[CWS_MSG_MAX];
        char longkey[CWS_MSG_KEY_MAX + 1], longval[CWS_MSG_VALUE_MAX + 1];
        size_t len = 0;
        int r;
        (void)state;

        memset(longkey, 'k', CWS_MSG_KEY_MAX);
        longkey[CWS_MSG_KEY_MAX] = '\0';
        memset(longval, 'v', CWS_MSG_VALUE_MAX);
        longval[CWS_MSG_VALUE_MAX] = '\0';

        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(&m, "op", "check"), 0);
        assert_int_equal(cws_msg_add(&m, "user", "alice"), 0);
        assert_int_equal(cws_msg_add(&m, "empty", ""), 0);
        assert_int_equal(cws_msg_add(&m, "token", "inv-abc.def==  x\t="), 0);
        assert_int_equal(cws_msg_add(&m, "snake_case_", "1"), 0);
        assert_int_equal(cws_msg_add(&m, longkey, longval), 0);
        assert_int_equal(m.n, 6);

        r = cws_msg_encode(&m, out, sizeof(out), &len);
        assert_true(r > 0);
        assert_int_equal((size_t)r, len);
        assert_int_equal(len, m.used);
        assert_memory_equal(out, "op=check\nuser=alice\nempty=\ntoken=inv-abc.def==  x\t=\n"
                            "snake_case_=1\n", 59);

        assert_int_equal(cws_msg_decode(&d, out, len), 0);
        assert_int_equal(d.n, m.n);
        for (size_t i = 0; i < m.n; i++) {
                assert_string_equal(d.key[i], m.key[i]);
                assert_string_equal(d.value[i], m.value[i]);
        }
        assert_string_equal(cws_msg_get(&d, "op"), "check");
        assert_string_equal(cws_msg_get(&d, "empty"), "");
        assert_string_equal(cws_msg_get(&d, "token"), "inv-abc.def==  x\t=");
        assert_string_equal(cws_msg_get(&d, longkey), longval);

        assert_int_equal(decode_str(&d, "a=b=c\nb=\n"), 0);
        assert_string_equal(cws_msg_get(&d, "a"), "b=c");
        assert_string_equal(cws_msg_get(&d, "b"), "");

        /* The empty message encodes to nothing. */
        cws_msg_init(&m);
        assert_int_equal(cws_msg_encode(&m, out, sizeof(out), &len), 0);
        assert_int_equal(len, 0);
}

/* uid=: digits only, below (uid_t)-1; absent is -ENOENT. */
static void test_get_uid(void **state)
{
        static const char *const bad[] = { "", "-1", "+1", "1x", " 1", "4294967295", "00000000000",
                                           "99999999999" };
        cws_msg m;
        uid_t uid = 7;
        (void)state;
        cws_msg_init(&m);
        assert_int_equal(cws_msg_get_uid(&m, "uid", &uid), -ENOENT);
        assert_int_equal(cws_msg_add(&m, "uid", "4294967294"), 0);
        assert_int_equal(cws_msg_add(&m, "zero", "0"), 0);
        assert_int_equal(cws_msg_get_uid(&m, "uid", &uid), 0);
        assert_int_equal(uid, 4294967294u);
        assert_int_equal(cws_msg_get_uid(&m, "zero", &uid), 0);
        assert_int_equal(uid, 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cws_msg b;
                uid = 7;
                cws_msg_init(&b);
                assert_int_equal(cws_msg_add(&b, "uid", bad[i]), 0);
                assert_int_equal(cws_msg_get_uid(&b, "uid", &uid), -EINVAL);
                assert_int_equal(uid, 7);
        }
}

static void test_decode_limits_accepted(void **state)
{
        static char buf[CWS_MSG_MAX + 64];
        cws_msg m;
        size_t off = 0;
        char key[3] = "aa";
        (void)state;

        /* Exactly CWS_MSG_MAX bytes. */
        off = fill_max_message(buf);
        assert_int_equal(off, CWS_MSG_MAX);
        assert_int_equal(cws_msg_decode(&m, buf, off), 0);
        assert_int_equal(m.n, 8);
        assert_int_equal(strlen(cws_msg_get(&m, "a")), CWS_MSG_VALUE_MAX);

        /* Exactly CWS_MSG_FIELDS fields. */
        off = 0;
        for (int i = 0; i < CWS_MSG_FIELDS; i++) {
                key[0] = (char)('a' + i / 26);
                key[1] = (char)('a' + i % 26);
                put_field(buf, &off, key, 1, 'v');
        }
        assert_int_equal(cws_msg_decode(&m, buf, off), 0);
        assert_int_equal(m.n, CWS_MSG_FIELDS);
}

static void expect_badmsg(const void *data, size_t len)
{
        cws_msg m;

        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(&m, "stale", "x"), 0);
        assert_int_equal(cws_msg_decode(&m, data, len), -EBADMSG);
        /* A failed decode leaves no half message behind. */
        assert_int_equal(m.n, 0);
        assert_null(cws_msg_get(&m, "stale"));
}

static void test_decode_errors(void **state)
{
        static const char *const bad[] = {
                "a=b",                     /* missing final newline */
                "a=b\nc=d",                /* last line missing newline */
                "ab\n",                    /* no '=' */
                "=v\n",                    /* empty key */
                "a-b=c\n",                 /* bad key char */
                "a1=c\n",                  /* digit in key */
                " a=b\n",                  /* space in key */
                "a.b=c\n",
                "Key=v\n",                 /* uppercase key */
                "a=b\r\n",                 /* CR in value */
                "a=b\rc\n",
                "a=1\na=2\n",              /* duplicate key */
                "a=1\nb=2\na=3\n",
                "\n",                      /* blank line */
                "a=1\n\n",
        };
        static char buf[2 * CWS_MSG_MAX];
        size_t off;
        char key[3] = "aa";
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                expect_badmsg(bad[i], strlen(bad[i]));

        /* empty */
        expect_badmsg("", 0);
        {
                cws_msg m;
                assert_int_equal(cws_msg_decode(&m, NULL, 0), -EBADMSG);
        }

        /* NUL inside the data, in a value and in a key */
        expect_badmsg("a=b\0c\n", 6);
        expect_badmsg("a\0=b\n", 5);
        expect_badmsg("a=b\n\0", 5);

        /* key too long */
        off = 0;
        memset(buf, 'k', CWS_MSG_KEY_MAX + 1);
        memcpy(buf + CWS_MSG_KEY_MAX + 1, "=v\n", 3);
        expect_badmsg(buf, CWS_MSG_KEY_MAX + 4);

        /* value too long */
        off = 0;
        put_field(buf, &off, "v", CWS_MSG_VALUE_MAX + 1, 'x');
        expect_badmsg(buf, off);

        /* 33 fields */
        off = 0;
        for (int i = 0; i < CWS_MSG_FIELDS + 1; i++) {
                key[0] = (char)('a' + i / 26);
                key[1] = (char)('a' + i % 26);
                put_field(buf, &off, key, 1, 'v');
        }
        expect_badmsg(buf, off);

        /* oversize: CWS_MSG_MAX + 1 bytes of otherwise valid fields */
        off = 0;
        for (int i = 0; i < 7; i++) {
                char k[2] = { (char)('a' + i), '\0' };
                put_field(buf, &off, k, CWS_MSG_VALUE_MAX, 'x');
        }
        put_field(buf, &off, "h", CWS_MSG_MAX - off - 3 + 1, 'y');
        assert_int_equal(off, CWS_MSG_MAX + 1);
        expect_badmsg(buf, off);

        /* oversize by a lot */
        off = 0;
        for (int i = 0; i < 9; i++) {
                char k[2] = { (char)('a' + i), '\0' };
                put_field(buf, &off, k, CWS_MSG_VALUE_MAX, 'x');
        }
        expect_badmsg(buf, off);

        assert_int_equal(cws_msg_decode(NULL, "a=b\n", 4), -EINVAL);
}

static void test_add_errors(void **state)
{
        cws_msg m;
        char longkey[CWS_MSG_KEY_MAX + 2], longval[CWS_MSG_VALUE_MAX + 2];
        char key[3] = "aa";
        (void)state;

        memset(longkey, 'k', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        memset(longval, 'v', sizeof(longval) - 1);
        longval[sizeof(longval) - 1] = '\0';

        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(NULL, "a", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, NULL, "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a", NULL), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "Key", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a b", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a=b", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a9", "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, longkey, "b"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a", longval), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a", "x\ny"), -EINVAL);
        assert_int_equal(cws_msg_add(&m, "a", "x\r"), -EINVAL);
        assert_int_equal(m.n, 0);

        assert_int_equal(cws_msg_add(&m, "a", "1"), 0);
        assert_int_equal(cws_msg_add(&m, "a", "2"), -EEXIST);
        assert_string_equal(cws_msg_get(&m, "a"), "1");

        /* too many fields */
        cws_msg_init(&m);
        for (int i = 0; i < CWS_MSG_FIELDS; i++) {
                key[0] = (char)('a' + i / 26);
                key[1] = (char)('a' + i % 26);
                assert_int_equal(cws_msg_add(&m, key, ""), 0);
        }
        assert_int_equal(cws_msg_add(&m, "zz", ""), -E2BIG);
        assert_int_equal(m.n, CWS_MSG_FIELDS);

        /* too many bytes: fill to exactly CWS_MSG_MAX, then one more field */
        cws_msg_init(&m);
        longval[CWS_MSG_VALUE_MAX] = '\0';
        for (int i = 0; i < 7; i++) {
                char k[2] = { (char)('a' + i), '\0' };
                assert_int_equal(cws_msg_add(&m, k, longval), 0);
        }
        longval[CWS_MSG_MAX - m.used - 3] = '\0';
        assert_int_equal(cws_msg_add(&m, "h", longval), 0);
        assert_int_equal(m.used, CWS_MSG_MAX);
        assert_int_equal(cws_msg_add(&m, "i", ""), -E2BIG);
        assert_int_equal(m.n, 8);
        {
                static char out[CWS_MSG_MAX];
                size_t len = 0;
                assert_int_equal(cws_msg_encode(&m, out, sizeof(out), &len), CWS_MSG_MAX);
                assert_int_equal(len, CWS_MSG_MAX);
                /* too small an output buffer */
                assert_int_equal(cws_msg_encode(&m, out, 100, &len), -E2BIG);
        }
}

static void test_addf_and_get(void **state)
{
        cws_msg m;
        (void)state;

        cws_msg_init(&m);
        assert_int_equal(cws_msg_addf(&m, "uid", "%u", 1000u), 0);
        assert_int_equal(cws_msg_addf(&m, "service", "%s-%d", "sshd", 2), 0);
        assert_string_equal(cws_msg_get(&m, "uid"), "1000");
        assert_string_equal(cws_msg_get(&m, "service"), "sshd-2");
        assert_int_equal(cws_msg_addf(&m, "uid", "%d", 1), -EEXIST);
        assert_int_equal(cws_msg_addf(&m, "bad", "a%sb", "\n"), -EINVAL);
        assert_int_equal(cws_msg_addf(&m, "Bad", "%d", 1), -EINVAL);
        /* a value longer than CWS_MSG_VALUE_MAX is refused, not truncated */
        assert_int_equal(cws_msg_addf(&m, "long", "%*s", CWS_MSG_VALUE_MAX + 1, "x"), -EINVAL);
        assert_int_equal(cws_msg_addf(&m, "edge", "%*s", CWS_MSG_VALUE_MAX, "x"), 0);
        assert_int_equal(m.n, 3);

        assert_null(cws_msg_get(&m, "missing"));
        assert_null(cws_msg_get(&m, "ui"));
        assert_null(cws_msg_get(&m, "uidx"));
        assert_null(cws_msg_get(&m, NULL));
        assert_null(cws_msg_get(NULL, "uid"));
}

/* Hostile input: random and mutated buffers must never crash, and whatever
 * decodes must obey every rule and re-encode to the very same bytes. */
static void test_decode_hostile(void **state)
{
        static const char alphabet[] = "abcz_==\n\n\nxyA0-\r \t\xff";
        static char buf[CWS_MSG_MAX + 64], out[CWS_MSG_MAX + 64];
        cws_msg m;
        int ok = 0;
        (void)state;

        for (int iter = 0; iter < 10000; iter++) {
                uint64_t kind = rng() % 4;
                size_t len;
                int r;

                if (rng() % 10 == 0)
                        len = (size_t)(rng() % (CWS_MSG_MAX + 33));
                else
                        len = (size_t)(rng() % 128);

                if (kind == 0) {
                        /* raw bytes */
                        for (size_t i = 0; i < len; i++)
                                buf[i] = (char)rng();
                } else if (kind == 1 || kind == 2) {
                        /* plausible characters, mostly valid */
                        for (size_t i = 0; i < len; i++) {
                                uint64_t x = rng() % 100;
                                if (kind == 2 && x < 97)
                                        buf[i] = (i % 7 == 6) ? '\n' : (i % 7 == 2) ? '=' :
                                                 (char)('a' + (int)(rng() % 26));
                                else
                                        buf[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
                        }
                } else {
                        /* a valid message with a few bytes flipped */
                        cws_msg v;
                        size_t vl = 0;
                        cws_msg_init(&v);
                        for (int f = 0; f < (int)(rng() % 40); f++) {
                                char k[4] = { (char)('a' + (int)(rng() % 26)),
                                              (char)('a' + (int)(rng() % 26)), '\0', '\0' };
                                char val[64];
                                snprintf(val, sizeof(val), "%llu",
                                         (unsigned long long)rng());
                                (void)cws_msg_add(&v, k, val);
                        }
                        (void)cws_msg_encode(&v, buf, sizeof(buf), &vl);
                        len = vl;
                        for (int f = 0; len && f < (int)(rng() % 3); f++)
                                buf[rng() % len] = (char)rng();
                }

                r = cws_msg_decode(&m, buf, len);
                if (r < 0) {
                        assert_int_equal(r, -EBADMSG);
                        assert_int_equal(m.n, 0);
                        continue;
                }
                ok++;
                assert_int_equal(r, 0);
                assert_true(m.n >= 1 && m.n <= CWS_MSG_FIELDS);
                assert_true(len <= CWS_MSG_MAX);
                for (size_t i = 0; i < m.n; i++) {
                        size_t vl = strlen(m.value[i]);
                        assert_true(key_ok(m.key[i]));
                        assert_true(vl <= CWS_MSG_VALUE_MAX);
                        assert_null(strchr(m.value[i], '\r'));
                        assert_null(strchr(m.value[i], '\n'));
                        for (size_t j = 0; j < i; j++)
                                assert_string_not_equal(m.key[i], m.key[j]);
                        assert_ptr_equal(cws_msg_get(&m, m.key[i]), m.value[i]);
                }
                {
                        size_t ol = 0;
                        assert_int_equal(cws_msg_encode(&m, out, sizeof(out), &ol), (int)len);
                        assert_int_equal(ol, len);
                        assert_memory_equal(out, buf, len);
                }
        }
        /* The generator must reach the accepting paths too. */
        assert_true(ok > 100);
}

/* ---- transport over a socketpair -------------------------------------- */

static void test_send_recv(void **state)
{
        cws_msg m, r;
        int sv[2];
        (void)state;

        make_pair(sv);
        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(&m, "op", "ping"), 0);
        assert_int_equal(cws_msg_add(&m, "n", "42"), 0);
        assert_int_equal(cws_msg_send(sv[0], &m), 0);
        assert_int_equal(cws_msg_send(sv[0], &m), 0);
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), 0);
        assert_int_equal(r.n, 2);
        assert_string_equal(cws_msg_get(&r, "op"), "ping");
        assert_string_equal(cws_msg_get(&r, "n"), "42");
        /* message boundaries are kept */
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), 0);
        assert_int_equal(r.n, 2);

        /* an empty message would read as a close: refused */
        cws_msg_init(&m);
        assert_int_equal(cws_msg_send(sv[0], &m), -EINVAL);
        assert_int_equal(cws_msg_send(-1, &m), -EINVAL);
        assert_int_equal(cws_msg_recv(sv[1], &r, -1), -EINVAL);
        close(sv[0]);
        close(sv[1]);
}

static void test_recv_timeout(void **state)
{
        cws_msg r;
        int sv[2];
        (void)state;

        make_pair(sv);
        assert_int_equal(cws_msg_recv(sv[1], &r, 50), -ETIMEDOUT);
        assert_int_equal(cws_msg_recv(sv[1], &r, 0), -ETIMEDOUT);
        close(sv[0]);
        close(sv[1]);
}

static void test_recv_peer_closed(void **state)
{
        cws_msg r;
        int sv[2];
        (void)state;

        make_pair(sv);
        close(sv[0]);
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), -ECONNRESET);
        close(sv[1]);
}

static void test_send_peer_closed(void **state)
{
        cws_msg m;
        int sv[2];
        (void)state;

        /* Must be -EPIPE, not SIGPIPE killing sshd. */
        make_pair(sv);
        close(sv[1]);
        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(&m, "op", "ping"), 0);
        assert_int_equal(cws_msg_send(sv[0], &m), -EPIPE);
        close(sv[0]);
}

static void test_recv_oversize_and_garbage(void **state)
{
        static char big[CWS_MSG_MAX + 808];
        cws_msg m, r;
        int sv[2];
        (void)state;

        make_pair(sv);
        memset(big, 'a', sizeof(big));
        big[1] = '=';
        big[sizeof(big) - 1] = '\n';
        assert_int_equal(send(sv[0], big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), -EBADMSG);

        assert_int_equal(send(sv[0], "no equals sign\n", 15, MSG_NOSIGNAL), 15);
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), -EBADMSG);

        /* the connection stays usable: the bad datagrams were consumed whole */
        cws_msg_init(&m);
        assert_int_equal(cws_msg_add(&m, "op", "after"), 0);
        assert_int_equal(cws_msg_send(sv[0], &m), 0);
        assert_int_equal(cws_msg_recv(sv[1], &r, 1000), 0);
        assert_string_equal(cws_msg_get(&r, "op"), "after");
        close(sv[0]);
        close(sv[1]);
}

/* ---- agent client against real listening sockets ---------------------- */

enum srv_mode {
        SRV_ECHO,    /* answer every request with status=ok and echo=<op> */
        SRV_SILENT,  /* accept, read, never answer */
        SRV_CLOSE,   /* accept, read, close */
        SRV_NOTE,    /* accept, read, write the op to <socket>.note, never answer */
};

enum srv_user {
        SRV_AS_ME,            /* run as the test's own uid */
        SRV_NOBODY,           /* become uid 65534 before bind: socket file owned by it */
        SRV_NOBODY_LISTEN,    /* bind as root, become 65534 before listen: peer cred only */
};

struct fixture {
        char dir[FIXTURE_DIR_MAX];
        char path[108];         /* sun_path */
        pid_t pid;
        int listen_fd;  /* for listeners kept in the test process */
};

static int fixture_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        if (fixture_dir_make(f->dir, sizeof(f->dir)) < 0) {
                free(f);
                return -1;
        }
        snprintf(f->path, sizeof(f->path), "%s/cwsd.sock", f->dir);
        f->pid = -1;
        f->listen_fd = -1;
        *state = f;
        return 0;
}

static int fixture_teardown(void **state)
{
        struct fixture *f = *state;

        if (f->pid > 0) {
                kill(f->pid, SIGKILL);
                while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (f->listen_fd >= 0)
                close(f->listen_fd);
        fixture_dir_remove(f->dir);
        free(f);
        return 0;
}

static void become_nobody(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) < 0)
                _exit(2);
        /* a credential change clears the parent-death signal */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static int bind_listen(const char *path, int backlog, enum srv_user user)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        if (user == SRV_NOBODY_LISTEN)
                become_nobody();
        if (listen(fd, backlog) < 0)
                return -1;
        return fd;
}

/* The op a SRV_NOTE server read, in <socket path>.note (written whole:
 * a temporary file renamed into place). */
static void note_write(int lfd, const char *op)
{
        struct sockaddr_un sa;
        socklen_t sl = sizeof(sa);
        char tmp[sizeof(sa.sun_path) + 8], path[sizeof(sa.sun_path) + 8];
        FILE *fp;

        if (getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
                _exit(6);
        snprintf(tmp, sizeof(tmp), "%s.tmp", sa.sun_path);
        snprintf(path, sizeof(path), "%s.note", sa.sun_path);
        fp = fopen(tmp, "w");
        if (!fp || fprintf(fp, "%s\n", op ? op : "-") < 0 || fclose(fp) != 0 || rename(tmp, path) < 0)
                _exit(7);
}

static void serve(int lfd, enum srv_mode mode)
{
        for (;;) {
                int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                cws_msg req, resp;

                if (c < 0)
                        _exit(3);
                if (cws_msg_recv(c, &req, 10000) == 0) {
                        if (mode == SRV_SILENT) {
                                pause();
                                _exit(0);
                        }
                        if (mode == SRV_NOTE) {
                                note_write(lfd, cws_msg_get(&req, "op"));
                                pause();
                                _exit(0);
                        }
                        if (mode == SRV_ECHO) {
                                const char *op = cws_msg_get(&req, "op");
                                cws_msg_init(&resp);
                                cws_msg_add(&resp, "status", "ok");
                                cws_msg_add(&resp, "echo", op ? op : "");
                                cws_msg_send(c, &resp);
                        }
                }
                close(c);
        }
}

/* Forks a server on f->path and waits until it listens. */
static void server_start(struct fixture *f, enum srv_mode mode, enum srv_user user)
{
        int pfd[2];
        char ok = 0;
        ssize_t n;

        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        if (user == SRV_NOBODY)
                assert_int_equal(chmod(f->dir, 0777), 0);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                int lfd;

                close(pfd[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                alarm(60);
                if (user == SRV_NOBODY)
                        become_nobody();
                lfd = bind_listen(f->path, 16, user);
                if (lfd < 0)
                        _exit(4);
                if (write(pfd[1], "R", 1) != 1)
                        _exit(5);
                close(pfd[1]);
                serve(lfd, mode);
                _exit(0);
        }
        close(pfd[1]);
        do
                n = read(pfd[0], &ok, 1);
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        assert_int_equal(n, 1);
        assert_int_equal(ok, 'R');
}

static void test_connect_missing(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        int r;

        r = cws_agent_connect(f->path, 500, &err);
        assert_int_equal(r, -ENOENT);
        assert_int_equal(err.code, -ENOENT);
        assert_non_null(strstr(err.msg, f->path));
        assert_non_null(strstr(err.msg, "is cwsd running?"));

        cws_msg req, resp;
        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "ping"), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 500, &err), -ENOENT);
        assert_non_null(strstr(err.msg, f->path));
}

static void test_connect_bad_paths(void **state)
{
        struct fixture *f = *state;
        char longpath[200];
        cws_error err = { 0 };
        int fd;

        memset(longpath, 'p', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        assert_int_equal(cws_agent_connect(longpath, 500, &err), -ENAMETOOLONG);
        assert_non_null(strstr(err.msg, "too long"));
        assert_non_null(strstr(err.msg, "pppp"));

        assert_int_equal(cws_agent_connect("", 500, &err), -EINVAL);
        assert_int_equal(cws_agent_connect(NULL, 500, &err), -EINVAL);
        assert_int_equal(cws_agent_connect(f->path, -1, &err), -EINVAL);

        /* a regular file where the socket should be */
        fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        memset(&err, 0, sizeof(err));
        assert_int_equal(cws_agent_connect(f->path, 500, &err), -ENOTSOCK);
        assert_non_null(strstr(err.msg, f->path));
}

static void test_connect_stale_socket(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        /* bound but never listening: what a crashed cwsd leaves behind */
        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(fd);
        assert_int_equal(cws_agent_connect(f->path, 500, &err), -ECONNREFUSED);
        assert_non_null(strstr(err.msg, f->path));
        assert_non_null(strstr(err.msg, "is cwsd running?"));
}

static void test_agent_round_trip(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        cws_msg req, resp;
        int fd, fl;

        server_start(f, SRV_ECHO, SRV_AS_ME);

        fd = cws_agent_connect(f->path, 2000, &err);
        assert_true(fd >= 0);
        fl = fcntl(fd, F_GETFD);
        assert_true(fl >= 0 && (fl & FD_CLOEXEC));
        fl = fcntl(fd, F_GETFL);
        assert_true(fl >= 0 && (fl & O_NONBLOCK));
        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "direct"), 0);
        assert_int_equal(cws_msg_send(fd, &req), 0);
        assert_int_equal(cws_msg_recv(fd, &resp, 2000), 0);
        assert_string_equal(cws_msg_get(&resp, "echo"), "direct");
        close(fd);

        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "check"), 0);
        assert_int_equal(cws_msg_add(&req, "user", "alice"), 0);
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 2000, &err), 0);
        assert_string_equal(cws_msg_get(&resp, "status"), "ok");
        assert_string_equal(cws_msg_get(&resp, "echo"), "check");

        /* err may be NULL */
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 2000, NULL), 0);
}

static void test_agent_call_no_reply(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        cws_msg req, resp;

        server_start(f, SRV_SILENT, SRV_AS_ME);
        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "check"), 0);
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 200, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, f->path));
        assert_non_null(strstr(err.msg, "did not answer"));
        assert_int_equal(resp.n, 0);
}

static void test_agent_call_closed(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        cws_msg req, resp;

        server_start(f, SRV_CLOSE, SRV_AS_ME);
        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "check"), 0);
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 2000, &err), -ECONNRESET);
        assert_non_null(strstr(err.msg, f->path));
}

/* A listener that never accepts and whose backlog is full: connect gets
 * EAGAIN and must give up at the deadline, not spin or block. */
static void test_connect_backlog_full(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        int fds[8], nfd = 0, r = 0;

        f->listen_fd = bind_listen(f->path, 0, SRV_AS_ME);
        assert_true(f->listen_fd >= 0);
        while (nfd < (int)(sizeof(fds) / sizeof(fds[0]))) {
                r = cws_agent_connect(f->path, 100, &err);
                if (r < 0)
                        break;
                fds[nfd++] = r;
        }
        assert_int_equal(r, -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "did not accept"));
        assert_non_null(strstr(err.msg, f->path));
        while (nfd > 0)
                close(fds[--nfd]);
}

static void test_connect_untrusted_socket_owner(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        struct stat st;

        if (geteuid() != 0)
                skip();
        server_start(f, SRV_ECHO, SRV_NOBODY);
        assert_int_equal(stat(f->path, &st), 0);
        assert_int_equal(st.st_uid, NOBODY);
        assert_int_equal(cws_agent_connect(f->path, 1000, &err), -EPERM);
        assert_non_null(strstr(err.msg, f->path));
        /* refused on the file's owner, before connecting */
        assert_non_null(strstr(err.msg, "socket owned by uid 65534"));
}

static void test_connect_untrusted_peer(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        cws_msg req, resp;
        struct stat st;

        if (geteuid() != 0)
                skip();
        /* the socket file is root's; only SO_PEERCRED can tell */
        server_start(f, SRV_ECHO, SRV_NOBODY_LISTEN);
        assert_int_equal(stat(f->path, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(cws_agent_connect(f->path, 1000, &err), -EPERM);
        assert_non_null(strstr(err.msg, f->path));
        assert_non_null(strstr(err.msg, "running as uid 65534"));

        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "check"), 0);
        assert_int_equal(cws_agent_call(f->path, &req, &resp, 1000, &err), -EPERM);
        assert_int_equal(resp.n, 0);
}

/* A note is sent and not awaited: against a server that reads it and
 * never answers, cws_agent_notify returns 0 (were it waiting, it would
 * fail when the server dies of its alarm), and the server got the note. */
static void test_agent_notify(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        char note[sizeof(f->path) + 8], line[32] = "";
        cws_msg req;
        FILE *fp = NULL;

        server_start(f, SRV_NOTE, SRV_AS_ME);
        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "session_close"), 0);
        assert_int_equal(cws_agent_notify(f->path, &req, 60000, &err), 0);
        snprintf(note, sizeof(note), "%s.note", f->path);
        for (int i = 0; i < 1000 && !(fp = fopen(note, "r")); i++)
                usleep(10000);  /* bounded: 10 s */
        assert_non_null(fp);
        assert_non_null(fgets(line, sizeof(line), fp));
        fclose(fp);
        unlink(note);
        assert_string_equal(line, "session_close\n");

        assert_int_equal(cws_agent_notify(f->path, NULL, 100, &err), -EINVAL);
        assert_int_equal(cws_agent_notify(f->path, &req, -1, &err), -EINVAL);
}

static void test_agent_notify_refused(void **state)
{
        struct fixture *f = *state;
        cws_error err = { 0 };
        cws_msg req;

        cws_msg_init(&req);
        assert_int_equal(cws_msg_add(&req, "op", "session_close"), 0);
        assert_int_equal(cws_agent_notify(f->path, &req, 500, &err), -ENOENT);
        assert_non_null(strstr(err.msg, f->path));
        if (geteuid() != 0)
                skip();
        server_start(f, SRV_ECHO, SRV_NOBODY_LISTEN);
        assert_int_equal(cws_agent_notify(f->path, &req, 1000, &err), -EPERM);
        assert_non_null(strstr(err.msg, "running as uid 65534"));
}

#define FIXTURE_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_get_uid),
                cmocka_unit_test(test_decode_limits_accepted),
                cmocka_unit_test(test_decode_errors),
                cmocka_unit_test(test_add_errors),
                cmocka_unit_test(test_addf_and_get),
                cmocka_unit_test(test_decode_hostile),
                cmocka_unit_test(test_send_recv),
                cmocka_unit_test(test_recv_timeout),
                cmocka_unit_test(test_recv_peer_closed),
                cmocka_unit_test(test_send_peer_closed),
                cmocka_unit_test(test_recv_oversize_and_garbage),
                FIXTURE_TEST(test_connect_missing),
                FIXTURE_TEST(test_connect_bad_paths),
                FIXTURE_TEST(test_connect_stale_socket),
                FIXTURE_TEST(test_agent_round_trip),
                FIXTURE_TEST(test_agent_call_no_reply),
                FIXTURE_TEST(test_agent_call_closed),
                FIXTURE_TEST(test_connect_backlog_full),
                FIXTURE_TEST(test_connect_untrusted_socket_owner),
                FIXTURE_TEST(test_connect_untrusted_peer),
                FIXTURE_TEST(test_agent_notify),
                FIXTURE_TEST(test_agent_notify_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
