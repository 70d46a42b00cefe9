/* A parsed copy of the membership file, so that a lookup need not parse
 * the whole file again while it has not changed (libnss_cws.so.2, its
 * tests and its fuzz harness). The file is still opened and checked on
 * every call (cws_gf_open); only what was parsed is kept. A snapshot
 * holds the group lines and the member lines in file order, each member
 * in fewer bytes than its line, so it is never larger than the file it
 * came from (at most CWS_NSS_FILE_MAX). */
#pragma once
#include <stddef.h>
#include <sys/stat.h>
#include "group_parse.h"

typedef struct cws_gs_snapshot cws_gs_snapshot;

/* Parses the descriptor to its end (cws_gf_parse_fd) into *out; size is
 * the file's size from its fstat, a hint for the first allocation.
 * 0, -ENOMEM, or what the parser returned (nothing is kept then). */
int cws_gs_build_fd(int fd, size_t size, cws_gs_snapshot **out);
/* The same from a buffer (tests, fuzzing). */
int cws_gs_build_buffer(const char *data, size_t n, cws_gs_snapshot **out);
/* Hands every entry to fn as the parser did: the groups, then the
 * members, in file order. 0 or what fn returned. */
int cws_gs_replay(const cws_gs_snapshot *s, cws_gf_fn fn, void *ctx);
/* The bytes it holds, for the bound above. */
size_t cws_gs_size(const cws_gs_snapshot *s);
void cws_gs_free(cws_gs_snapshot *s);

/* Opens and checks path (cws_gf_open), then hands its entries to fn from
 * the process's snapshot when the file is the one the snapshot was taken
 * of, else parses it (and keeps the result for the next call). Safe from
 * any thread; a thread that finds the snapshot busy reads the file
 * itself. Returns as cws_gf_open, cws_gf_parse_fd or fn. */
int cws_gs_read(const char *path, cws_gf_fn fn, void *ctx);
