/* Helpers for the harnesses: see harness.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

const uint8_t fuzz_host_key[CWS_HOST_KEY_LEN] = {
        0x63, 0x77, 0x73, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x68, 0x6f, 0x73, 0x74, 0x2d, 0x6b, 0x65,
        0x79, 0x2d, 0x6e, 0x6f, 0x74, 0x2d, 0x61, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x21, 0x0a,
};

const uint8_t fuzz_signer_priv[32] = {
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
        0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static char tmpdir[4096];

void fuzz_fail(const char *what)
{
        fprintf(stderr, "fuzz: property failed: %s\n", what);
        abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st; (void)flag; (void)ftw;
        remove(path);
        return 0;
}

static void tmpdir_remove(void)
{
        if (tmpdir[0])
                nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_tmpdir(void)
{
        const char *base;
        int n;

        if (tmpdir[0])
                return tmpdir;
        base = getenv("TMPDIR");
        if (!base || !*base)
                base = "/tmp";
        n = snprintf(tmpdir, sizeof(tmpdir), "%s/cws-fuzz.XXXXXX", base);
        if (n < 0 || (size_t)n >= sizeof(tmpdir) || !mkdtemp(tmpdir))
                fuzz_fail("cannot create a scratch directory under $TMPDIR");
        atexit(tmpdir_remove);
        return tmpdir;
}

void fuzz_path(char *out, size_t outsz, const char *name)
{
        int n = snprintf(out, outsz, "%s/%s", fuzz_tmpdir(), name);

        if (n < 0 || (size_t)n >= outsz)
                fuzz_fail("scratch path too long");
}

void fuzz_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
        const char *p = data;
        int fd;

        /* A new file rather than O_TRUNC: ext4 flushes a truncated file's
         * data on close (auto_da_alloc), which costs milliseconds a run. */
        if (unlink(path) < 0 && errno != ENOENT)
                fuzz_fail("cannot replace a scratch file");
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

        if (fd < 0 || fchmod(fd, mode) < 0)
                fuzz_fail("cannot create a scratch file");
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        fuzz_fail("cannot write a scratch file");
                p += w;
                len -= (size_t)w;
        }
        close(fd);
}

const char *fuzz_next_field(const char **p, const char *end)
{
        const char *s = *p, *nul;

        if (s >= end)
                return NULL;
        nul = memchr(s, '\0', (size_t)(end - s));
        if (!nul)
                return NULL;
        *p = nul + 1;
        return s;
}

char *fuzz_strndup(const void *data, size_t len)
{
        char *s = malloc(len + 1);

        if (!s)
                fuzz_fail("out of memory");
        if (len)
                memcpy(s, data, len);
        s[len] = '\0';
        return s;
}
