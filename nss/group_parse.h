/* The reader of the membership file (cws/nss_groups.h), shared by
 * libnss_cws.so.2, its tests and its fuzz harness. No allocation: lines
 * go through a fixed buffer, the file is bounded (CWS_NSS_FILE_MAX) and so
 * is every line (CWS_NSS_LINE_MAX). Any malformed line makes the whole
 * file unusable: the module then says UNAVAIL. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "cws/nss_groups.h"

typedef enum cws_gf_kind { CWS_GF_GROUP, CWS_GF_MEMBER } cws_gf_kind;

typedef struct cws_gf_entry {
        cws_gf_kind kind;
        unsigned level;         /* 1..CWS_NSS_LEVELS */
        const char *name;       /* the group's or the user's; valid during the callback */
        uint32_t gid;           /* CWS_GF_GROUP */
        int64_t until;          /* CWS_GF_MEMBER: UTC seconds */
} cws_gf_entry;

/* 0 to go on; a negative errno stops the parse and is returned. */
typedef int (*cws_gf_fn)(void *ctx, const cws_gf_entry *e);

typedef struct cws_gf_parser {
        cws_gf_fn fn;
        void *ctx;
        char line[CWS_NSS_LINE_MAX];
        size_t len;             /* of the line being read */
        size_t total;           /* bytes so far */
        bool header, members;   /* seen the header; past the group lines */
        unsigned levels;        /* bit per level seen in a group line */
        uint32_t gids[CWS_NSS_LEVELS + 1];
} cws_gf_parser;

void cws_gf_init(cws_gf_parser *p, cws_gf_fn fn, void *ctx);
/* Feeds the next n bytes: 0, -EBADMSG (malformed), -EFBIG (too large) or
 * what the callback returned. */
int cws_gf_feed(cws_gf_parser *p, const char *data, size_t n);
/* After the last byte: -EBADMSG when the file is cut short (no header, or
 * a last line without its newline). */
int cws_gf_finish(const cws_gf_parser *p);

/* A whole buffer (tests, fuzzing). */
int cws_gf_parse_buffer(const char *data, size_t n, cws_gf_fn fn, void *ctx);
/* An open descriptor, to its end; -EIO when it cannot be read. */
int cws_gf_parse_fd(int fd, cws_gf_fn fn, void *ctx);

/* Opens path read-only the way the rest of pam_cws opens its files, with
 * libc alone: every directory from / down is opened with O_NOFOLLOW, owned
 * by root (the one holding the file may belong to a system account, uid
 * below 1000, such as cws) and not group/other writable; the file is a
 * regular file owned by root or by its directory's owner, not
 * group/other writable, at most CWS_NSS_FILE_MAX bytes. Returns the fd
 * (and the file's fstat in *st), -ENOENT when something is missing,
 * -EPERM/-ELOOP/-EFBIG when unsafe. */
int cws_gf_open(const char *path, struct stat *st);

/* A user name as pam_cws accepts one (cws_name_valid): 1 to 63 of
 * A-Z a-z 0-9 . _ - @, not starting with - or . */
bool cws_gf_user_valid(const char *s, size_t n);
