/* s3: a minimal XML reader for what the store answers, which is untrusted:
 * ListObjectsV2 (ListBucketResult), ListObjectVersions, GetObjectLock-
 * Configuration and <Error> bodies. Elements, attributes (skipped), the five
 * predefined entities and character references to printable ASCII; an XML
 * declaration before the document element. Everything else (DOCTYPE, CDATA,
 * comments, bytes below 0x20 but whitespace) is refused, as is nesting
 * deeper than 8, an element name over 63 bytes or text over CWS_S3_TEXT_MAX:
 * S3 sends none of it. Fuzzed (tests/fuzz/fuzz_s3_list.c, fuzz_s3_error.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cws/cleanup.h"
#include "cws/registry_s3.h"

#define XML_DEPTH 8
#define XML_NAME_MAX 64

typedef struct xml_ctx {
        char names[XML_DEPTH][XML_NAME_MAX];
        unsigned depth;
        int (*leaf)(struct xml_ctx *x, const char *text, cws_error *err);
        /* Optional: an element ends (names[depth - 1] is it). */
        int (*close)(struct xml_ctx *x, cws_error *err);
        void *ud;
} xml_ctx;

static bool xml_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool xml_name_char(char c, bool first)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
               (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'));
}

static int xml_bad(cws_error *err, const char *what)
{
        return cws_error_set(err, -EBADMSG, "malformed XML from the store: %s", what);
}

/* Reads a name at s[*i]; leaves *i after it. */
static int xml_name(const char *s, size_t n, size_t *i, char out[XML_NAME_MAX], cws_error *err)
{
        size_t st = *i;

        while (*i < n && xml_name_char(s[*i], *i == st))
                (*i)++;
        if (*i == st)
                return xml_bad(err, "an element without a name");
        if (*i - st >= XML_NAME_MAX)
                return xml_bad(err, "an element name is too long");
        memcpy(out, s + st, *i - st);
        out[*i - st] = '\0';
        return 0;
}

static int xml_entity(const char *e, size_t n, char *c)
{
        static const struct { const char *name; char c; } named[] = {
                { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
        };
        unsigned long v = 0;
        bool hex;

        for (size_t i = 0; i < CWS_ELEMENTSOF(named); i++)
                if (strlen(named[i].name) == n && !memcmp(e, named[i].name, n)) {
                        *c = named[i].c;
                        return 0;
                }
        if (n < 2 || e[0] != '#')
                return -EBADMSG;
        hex = e[1] == 'x';
        if (n == (hex ? 2u : 1u) || n > 8)
                return -EBADMSG;
        for (size_t i = hex ? 2 : 1; i < n; i++) {
                char d = e[i];
                unsigned dv;
                if (d >= '0' && d <= '9')
                        dv = (unsigned)(d - '0');
                else if (hex && d >= 'a' && d <= 'f')
                        dv = (unsigned)(d - 'a' + 10);
                else if (hex && d >= 'A' && d <= 'F')
                        dv = (unsigned)(d - 'A' + 10);
                else
                        return -EBADMSG;
                v = v * (hex ? 16 : 10) + dv;
        }
        if (v < 0x20 || v > 0x7e)
                return -EBADMSG;
        *c = (char)v;
        return 0;
}

static int xml_text(const char *s, size_t n, char *out, size_t outsz, cws_error *err)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if ((unsigned char)c < 0x20 && !xml_ws(c))
                        return xml_bad(err, "a control character in text");
                if (c == '&') {
                        const char *semi = memchr(s + i + 1, ';', n - i - 1 < 10 ? n - i - 1 : 10);
                        if (!semi || xml_entity(s + i + 1, (size_t)(semi - (s + i + 1)), &c) < 0)
                                return xml_bad(err, "an unknown entity");
                        i = (size_t)(semi - s);
                }
                if (o + 1 >= outsz)
                        return xml_bad(err, "an element's text is too long");
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

/* Skips attributes up to '>' (returns 0) or "/>" (returns 1). */
static int xml_tag_end(const char *s, size_t n, size_t *i, cws_error *err)
{
        char quote = 0;

        for (; *i < n; (*i)++) {
                char c = s[*i];
                if (quote) {
                        if (c == quote)
                                quote = 0;
                        else if (c == '<' || c == '\0')
                                break;
                        continue;
                }
                if (c == '"' || c == '\'')
                        quote = c;
                else if (c == '>')
                        return (*i)++, 0;
                else if (c == '/' && *i + 1 < n && s[*i + 1] == '>')
                        return *i += 2, 1;
                else if (c == '<' || c == '\0' || c == '&')
                        break;
        }
        return xml_bad(err, "an unterminated tag");
}

static int xml_walk(xml_ctx *x, const char *s, size_t n, const char *root, cws_error *err)
{
        bool has_child[XML_DEPTH] = { false }, root_done = false;
        size_t i = 0, text_at = 0;
        char text[CWS_S3_TEXT_MAX + 1];
        int r;

        if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
                i = 3;
        while (i < n) {
                char name[XML_NAME_MAX];
                if (s[i] != '<') {
                        if (s[i] == '\0')
                                return xml_bad(err, "a NUL byte");
                        if (x->depth == 0 && !xml_ws(s[i]))
                                return xml_bad(err, "text outside the document element");
                        i++;
                        continue;
                }
                if (i + 1 >= n)
                        return xml_bad(err, "the document is cut short");
                if (s[i + 1] == '?') {
                        const char *end = memmem(s + i + 2, n - i - 2, "?>", 2);
                        if (x->depth > 0 || root_done || !end)
                                return xml_bad(err, "a misplaced processing instruction");
                        i = (size_t)(end - s) + 2;
                        continue;
                }
                if (s[i + 1] == '!')
                        return xml_bad(err, "DOCTYPE, CDATA and comments are not accepted");
                if (s[i + 1] == '/') {
                        size_t lt = i;
                        i += 2;
                        if ((r = xml_name(s, n, &i, name, err)) < 0)
                                return r;
                        while (i < n && xml_ws(s[i]))
                                i++;
                        if (i >= n || s[i] != '>')
                                return xml_bad(err, "an unterminated end tag");
                        i++;
                        if (x->depth == 0 || strcmp(name, x->names[x->depth - 1]) != 0)
                                return xml_bad(err, "mismatched end tag");
                        if (!has_child[x->depth - 1]) {
                                if ((r = xml_text(s + text_at, lt - text_at, text, sizeof(text), err)) < 0 ||
                                    (r = x->leaf(x, text, err)) < 0)
                                        return r;
                        }
                        if (x->close && (r = x->close(x, err)) < 0)
                                return r;
                        x->depth--;
                        if (x->depth == 0)
                                root_done = true;
                        continue;
                }
                if (root_done)
                        return xml_bad(err, "more than one document element");
                if (x->depth == XML_DEPTH)
                        return xml_bad(err, "elements nested too deeply");
                i++;
                if ((r = xml_name(s, n, &i, name, err)) < 0)
                        return r;
                if (x->depth == 0 && strcmp(name, root) != 0)
                        return cws_error_set(err, -EBADMSG, "unexpected XML from the store: <%s>, not <%s>",
                                             name, root);
                if (x->depth > 0)
                        has_child[x->depth - 1] = true;
                memcpy(x->names[x->depth], name, strlen(name) + 1);
                has_child[x->depth] = false;
                x->depth++;
                if ((r = xml_tag_end(s, n, &i, err)) < 0)
                        return r;
                if (r == 1) {           /* <empty/> */
                        if ((r = x->leaf(x, "", err)) < 0 || (x->close && (r = x->close(x, err)) < 0))
                                return r;
                        if (--x->depth == 0)
                                root_done = true;
                }
                text_at = i;
        }
        if (!root_done)
                return xml_bad(err, x->depth ? "the document is cut short" : "no document element");
        return 0;
}

static bool xml_at(const xml_ctx *x, const char *a, const char *b)
{
        return x->depth == (b ? 3u : 2u) && !strcmp(x->names[1], a) && (!b || !strcmp(x->names[2], b));
}

static int truncated_leaf(const char *text, bool *truncated, cws_error *err)
{
        if (!strcmp(text, "true"))
                *truncated = true;
        else if (strcmp(text, "false") != 0)
                return xml_bad(err, "IsTruncated is neither true nor false");
        return 0;
}

static int list_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        cws_s3_list_page *p = x->ud;

        if (xml_at(x, "IsTruncated", NULL))
                return truncated_leaf(text, &p->truncated, err);
        if (xml_at(x, "NextContinuationToken", NULL)) {
                size_t n = strlen(text);
                if (p->next_token)
                        return xml_bad(err, "two continuation tokens");
                if (n == 0)
                        return xml_bad(err, "an empty continuation token");
                for (size_t i = 0; i < n; i++)
                        if (text[i] <= ' ' || text[i] >= 0x7f)
                                return xml_bad(err, "a continuation token with unprintable bytes");
                if (!(p->next_token = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                return 0;
        }
        if (xml_at(x, "Contents", "Key") || xml_at(x, "CommonPrefixes", "Prefix")) {
                char **nv;
                if (p->n >= CWS_S3_LIST_PAGE_KEYS)
                        return xml_bad(err, "too many keys in one page");
                nv = realloc(p->entries, (p->n + 1) * sizeof(*nv));
                if (!nv)
                        return cws_error_set(err, -ENOMEM, "out of memory");
                p->entries = nv;
                if (!(p->entries[p->n] = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                p->n++;
        }
        return 0;
}

void cws_s3_list_page_free(cws_s3_list_page *page)
{
        cws_strv_free(page->entries, page->n);
        free(page->next_token);
        memset(page, 0, sizeof(*page));
}

int cws_s3_parse_list(const char *body, size_t len, cws_s3_list_page *page, cws_error *err)
{
        xml_ctx x = { .leaf = list_leaf, .ud = page };
        int r;

        memset(page, 0, sizeof(*page));
        r = xml_walk(&x, body, len, "ListBucketResult", err);
        if (r == 0 && page->truncated && !page->next_token)
                r = xml_bad(err, "a truncated listing without a continuation token");
        if (r < 0)
                cws_s3_list_page_free(page);
        return r;
}

typedef struct code_buf {
        char *code;
        size_t size;
        bool seen;      /* a second <Code> makes the answer ambiguous: none */
} code_buf;

static int error_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        code_buf *c = x->ud;
        size_t n = strlen(text);

        (void)err;
        if (x->depth != 2 || strcmp(x->names[1], "Code") != 0)
                return 0;
        if (c->seen) {
                c->code[0] = '\0';
                return 0;
        }
        c->seen = true;
        if (n < c->size &&
            strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n)
                memcpy(c->code, text, n + 1);
        return 0;
}

void cws_s3_parse_error_code(const char *body, size_t len, char *code, size_t codesz)
{
        code_buf c = { .code = code, .size = codesz };
        xml_ctx x = { .leaf = error_leaf, .ud = &c };

        if (codesz == 0)
                return;
        code[0] = '\0';
        if (xml_walk(&x, body, len, "Error", NULL) < 0)
                code[0] = '\0';
}

typedef struct versions_ctx {
        cws_s3_version_page *page;
        cws_s3_version_entry cur;       /* the Version or DeleteMarker being read */
} versions_ctx;

static bool version_id_valid(const char *v)
{
        size_t n = strlen(v);

        if (n == 0 || n >= CWS_S3_VERSION_ID_MAX)
                return false;
        for (; *v; v++)
                if (*v <= ' ' || *v >= 0x7f)
                        return false;
        return true;
}

static bool in_version_entry(const xml_ctx *x)
{
        return x->depth >= 2 && (!strcmp(x->names[1], "Version") || !strcmp(x->names[1], "DeleteMarker"));
}

static int versions_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        versions_ctx *c = x->ud;
        cws_s3_version_page *p = c->page;

        if (xml_at(x, "IsTruncated", NULL))
                return truncated_leaf(text, &p->truncated, err);
        if (xml_at(x, "NextKeyMarker", NULL)) {
                if (p->next_key_marker)
                        return xml_bad(err, "two NextKeyMarker");
                if (!(p->next_key_marker = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
                return 0;
        }
        if (!in_version_entry(x) || x->depth != 3)
                return 0;
        if (!strcmp(x->names[2], "Key")) {
                if (c->cur.key)
                        return xml_bad(err, "a version with two keys");
                if (!text[0])
                        return xml_bad(err, "a version with an empty key");
                if (!(c->cur.key = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
        } else if (!strcmp(x->names[2], "VersionId")) {
                if (c->cur.version_id)
                        return xml_bad(err, "a version with two version ids");
                if (!version_id_valid(text))
                        return xml_bad(err, "a version id that is empty, too long or unprintable");
                if (!(c->cur.version_id = strdup(text)))
                        return cws_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

static void version_entry_free(cws_s3_version_entry *e)
{
        free(e->key);
        free(e->version_id);
        memset(e, 0, sizeof(*e));
}

static int versions_close(xml_ctx *x, cws_error *err)
{
        versions_ctx *c = x->ud;
        cws_s3_version_page *p = c->page;
        cws_s3_version_entry *nv;

        if (x->depth != 2 || !in_version_entry(x))
                return 0;
        if (!c->cur.key || !c->cur.version_id)
                return xml_bad(err, "a version without its key or version id");
        if (p->n >= CWS_S3_VERSIONS_PAGE_KEYS)
                return xml_bad(err, "too many versions in one page");
        nv = realloc(p->entries, (p->n + 1) * sizeof(*nv));
        if (!nv)
                return cws_error_set(err, -ENOMEM, "out of memory");
        p->entries = nv;
        c->cur.delete_marker = !strcmp(x->names[1], "DeleteMarker");
        p->entries[p->n++] = c->cur;
        memset(&c->cur, 0, sizeof(c->cur));
        return 0;
}

void cws_s3_version_page_free(cws_s3_version_page *page)
{
        for (size_t i = 0; i < page->n; i++)
                version_entry_free(&page->entries[i]);
        free(page->entries);
        free(page->next_key_marker);
        memset(page, 0, sizeof(*page));
}

int cws_s3_parse_versions(const char *body, size_t len, cws_s3_version_page *page, cws_error *err)
{
        versions_ctx c = { .page = page };
        xml_ctx x = { .leaf = versions_leaf, .close = versions_close, .ud = &c };
        int r;

        memset(page, 0, sizeof(*page));
        if (len > CWS_S3_VERSIONS_BODY_MAX)
                r = xml_bad(err, "the version listing is too large");
        else
                r = xml_walk(&x, body, len, "ListVersionsResult", err);
        version_entry_free(&c.cur);
        if (r < 0)
                cws_s3_version_page_free(page);
        return r;
}

static int lock_leaf(xml_ctx *x, const char *text, cws_error *err)
{
        int *state = x->ud;

        if (!xml_at(x, "ObjectLockEnabled", NULL))
                return 0;
        if (*state != 0)
                return xml_bad(err, "two ObjectLockEnabled");
        *state = !strcmp(text, "Enabled") ? 1 : -1;
        return 0;
}

int cws_s3_parse_object_lock(const char *body, size_t len, bool *enabled, cws_error *err)
{
        int state = 0;
        xml_ctx x = { .leaf = lock_leaf, .ud = &state };
        int r = xml_walk(&x, body, len, "ObjectLockConfiguration", err);

        *enabled = r == 0 && state == 1;
        return r;
}
