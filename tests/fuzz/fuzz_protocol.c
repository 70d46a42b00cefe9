/* The agent protocol decoder (cws_msg_decode) and its receive path
 * (cws_msg_recv over a SOCK_SEQPACKET pair), with hostile datagrams.
 * Properties: recv and decode agree; a decoded message encodes back to
 * exactly the bytes it came from (the wire form is canonical) and decodes
 * again to the same fields; rebuilding it with cws_msg_add gives the same
 * message; a refused message leaves nothing behind. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cws/protocol.h"
#include "harness.h"

static int pair[2] = { -1, -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        int sz = 4 * CWS_MSG_MAX;

        (void)argc; (void)argv;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
            setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
                fuzz_fail("socketpair");
        return 0;
}

static void same_fields(const cws_msg *a, const cws_msg *b)
{
        FUZZ_ASSERT(a->n == b->n && a->used == b->used);
        for (size_t i = 0; i < a->n; i++) {
                FUZZ_ASSERT(strcmp(a->key[i], b->key[i]) == 0);
                FUZZ_ASSERT(strcmp(a->value[i], b->value[i]) == 0);
                FUZZ_ASSERT(cws_msg_get(b, a->key[i]) == b->value[i]);
        }
}

static void round_trip(const cws_msg *m, const uint8_t *data, size_t size)
{
        static char out[CWS_MSG_MAX + 1];
        static cws_msg again, built;
        size_t len = 0;

        FUZZ_ASSERT(m->n <= CWS_MSG_FIELDS && m->used == size);
        FUZZ_ASSERT(cws_msg_encode(m, out, sizeof(out), &len) == (int)size && len == size);
        FUZZ_ASSERT(memcmp(out, data, size) == 0);
        FUZZ_ASSERT(cws_msg_decode(&again, out, len) == 0);
        same_fields(m, &again);

        cws_msg_init(&built);
        for (size_t i = 0; i < m->n; i++)
                FUZZ_ASSERT(cws_msg_add(&built, m->key[i], m->value[i]) == 0);
        same_fields(m, &built);
        /* A duplicate key is refused and changes nothing. */
        if (m->n > 0) {
                FUZZ_ASSERT(cws_msg_add(&built, m->key[0], "x") == -EEXIST);
                same_fields(m, &built);
        }
        /* An output buffer one byte short is -E2BIG, never an overflow. */
        if (size > 0)
                FUZZ_ASSERT(cws_msg_encode(m, out, size - 1, &len) == -E2BIG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static cws_msg m, r;
        int rd, rr;
        ssize_t n;

        rd = cws_msg_decode(&m, data, size);
        FUZZ_ASSERT(rd == 0 || rd == -EBADMSG);
        if (rd == 0)
                round_trip(&m, data, size);
        else
                FUZZ_ASSERT(m.n == 0 && m.used == 0 && cws_msg_get(&m, "op") == NULL);

        /* The same bytes as one datagram: an empty one is an orderly close. */
        if (size == 0)
                return 0;
        n = send(pair[0], data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
                return 0; /* larger than the socket takes: nothing to receive */
        FUZZ_ASSERT((size_t)n == size);
        rr = cws_msg_recv(pair[1], &r, 1000);
        if (size > CWS_MSG_MAX)
                FUZZ_ASSERT(rr == -EBADMSG);
        else
                FUZZ_ASSERT(rr == rd);
        if (rr == 0)
                same_fields(&m, &r);
        return 0;
}
