/* A shared object as a loader sees it: it dlopens, it exports exactly its
 * entry points, its internal functions stay inside, and its DT_NEEDED
 * libraries are the allowed ones. The test that includes this defines,
 * before including it: module_file (the file name in the build
 * directory), entry_points[], internal[], required_lib, allowed_libs[],
 * banned_libs[] and allowed_desc (the allowed libraries, for messages).
 *
 * The module is $CWS_BUILD/<module_file> when CWS_BUILD is set; otherwise
 * the one next to the test's build directory (BUILD/tests/test_x ->
 * BUILD/<module_file>), and failing that build/<module_file> under the
 * current directory. A module that cannot be found or read fails every
 * test. */
#pragma once
/* dladdr, dlinfo: the including file defines _GNU_SOURCE first. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct module {
        char path[PATH_MAX];
        char file_err[PATH_MAX + 128]; /* empty when the image is usable */
        char dl_err[PATH_MAX + 512];   /* empty when dlopen succeeded */
        unsigned char *img;
        size_t size;
        ElfW(Ehdr) eh;
        void *dl;
} mod;

static bool is_file(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void locate(void)
{
        const char *b = getenv("CWS_BUILD");
        char exe[PATH_MAX];
        ssize_t n;

        if (b && *b) {
                if (snprintf(mod.path, sizeof(mod.path), "%s/%s", b, module_file) >= (int)sizeof(mod.path))
                        mod.path[0] = '\0';
                return;
        }
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                char *s;
                exe[n] = '\0';
                s = strrchr(exe, '/');
                if (s) {
                        *s = '\0';
                        s = strrchr(exe, '/');
                        if (s && strcmp(s + 1, "tests") == 0) {
                                *s = '\0';
                                if (snprintf(mod.path, sizeof(mod.path), "%s/%s", exe, module_file) <
                                            (int)sizeof(mod.path) &&
                                    is_file(mod.path))
                                        return;
                        }
                }
        }
        snprintf(mod.path, sizeof(mod.path), "build/%s", module_file);
}

/* ---- bounds-checked ELF access (native class and byte order only) ---- */

static bool in_file(size_t off, size_t len)
{
        return off <= mod.size && len <= mod.size - off;
}

static bool get(size_t off, void *dst, size_t len)
{
        if (!in_file(off, len))
                return false;
        memcpy(dst, mod.img + off, len);
        return true;
}

static const char *load_image(void)
{
        static char err[PATH_MAX + 128];
        struct stat st;
        void *p;
        int fd;

        if (!mod.path[0])
                return "module path too long";
        fd = open(mod.path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(err, sizeof(err), "cannot open %s: %s (build it with make, or set CWS_BUILD)",
                         mod.path, strerror(errno));
                return err;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(ElfW(Ehdr))) {
                close(fd);
                snprintf(err, sizeof(err), "%s is not a regular file of ELF size", mod.path);
                return err;
        }
        mod.size = (size_t)st.st_size;
        p = mmap(NULL, mod.size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) {
                snprintf(err, sizeof(err), "cannot map %s: %s", mod.path, strerror(errno));
                return err;
        }
        mod.img = p;
        memcpy(&mod.eh, mod.img, sizeof(mod.eh));
        if (memcmp(mod.eh.e_ident, ELFMAG, SELFMAG) != 0 ||
            mod.eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            mod.eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#else
            mod.eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#endif
            mod.eh.e_type != ET_DYN || mod.eh.e_shentsize != sizeof(ElfW(Shdr)) ||
            mod.eh.e_shnum == 0 ||
            !in_file((size_t)mod.eh.e_shoff, (size_t)mod.eh.e_shnum * sizeof(ElfW(Shdr)))) {
                snprintf(err, sizeof(err), "%s is not a native ELF shared object with section headers",
                         mod.path);
                return err;
        }
        return NULL;
}

static bool shdr(size_t i, ElfW(Shdr) *sh)
{
        if (i >= mod.eh.e_shnum)
                return false;
        if (!get((size_t)mod.eh.e_shoff + i * sizeof(*sh), sh, sizeof(*sh)))
                return false;
        return sh->sh_type == SHT_NOBITS || in_file((size_t)sh->sh_offset, (size_t)sh->sh_size);
}

/* The first section of a type; its index, or -1. */
static long find_section(ElfW(Word) type, ElfW(Shdr) *out)
{
        for (size_t i = 1; i < mod.eh.e_shnum; i++) {
                ElfW(Shdr) sh = { 0 };
                assert_true(shdr(i, &sh));
                if (sh.sh_type == type) {
                        *out = sh;
                        return (long)i;
                }
        }
        return -1;
}

/* A NUL-terminated string at off in string table section strndx. */
static const char *str_at(size_t strndx, size_t off)
{
        ElfW(Shdr) sh = { 0 };
        const char *s;

        if (!shdr(strndx, &sh) || sh.sh_type != SHT_STRTAB || off >= (size_t)sh.sh_size)
                return NULL;
        s = (const char *)mod.img + (size_t)sh.sh_offset + off;
        return memchr(s, '\0', (size_t)sh.sh_size - off) ? s : NULL;
}

/* Version definition names (SHT_GNU_verdef): a version script with a named
 * node adds an ABS symbol of that name to .dynsym, which is not an export. */
static bool is_version_node(const char *name)
{
        ElfW(Shdr) vd = { 0 };
        size_t off, end;

        if (find_section(SHT_GNU_verdef, &vd) < 0)
                return false;
        off = (size_t)vd.sh_offset;
        end = off + (size_t)vd.sh_size;
        for (size_t n = 0; n < (size_t)vd.sh_info && off < end; n++) {
                ElfW(Verdef) d = { 0 };
                ElfW(Verdaux) a = { 0 };
                const char *s;

                assert_true(off + sizeof(d) <= end && get(off, &d, sizeof(d)));
                assert_true(d.vd_aux >= sizeof(d) && off + d.vd_aux + sizeof(a) <= end &&
                            get(off + d.vd_aux, &a, sizeof(a)));
                s = str_at(vd.sh_link, a.vda_name);
                assert_non_null(s);
                if (strcmp(s, name) == 0)
                        return true;
                if (!d.vd_next)
                        break;
                off += d.vd_next;
        }
        return false;
}

static bool has_prefix(const char *s, const char *p)
{
        return strncmp(s, p, strlen(p)) == 0;
}

static void append(char *buf, size_t len, const char *s)
{
        size_t used = strlen(buf);
        if (used < len)
                snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
}

static void require_image(void)
{
        if (mod.file_err[0])
                fail_msg("%s", mod.file_err);
}

static void require_dl(void)
{
        require_image();
        if (mod.dl_err[0])
                fail_msg("%s", mod.dl_err);
}

static int setup(void **state)
{
        const char *e;
        (void)state;

        locate();
        print_message("module: %s\n", mod.path);
        e = load_image();
        if (e) {
                snprintf(mod.file_err, sizeof(mod.file_err), "%s", e);
                snprintf(mod.dl_err, sizeof(mod.dl_err), "%s", e);
                return 0; /* every test then fails with this message */
        }
        dlerror();
        mod.dl = dlopen(mod.path, RTLD_NOW | RTLD_LOCAL);
        if (!mod.dl) {
                e = dlerror();
                snprintf(mod.dl_err, sizeof(mod.dl_err), "dlopen(%s, RTLD_NOW|RTLD_LOCAL): %s",
                         mod.path, e ? e : "unknown error");
        }
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (mod.dl)
                dlclose(mod.dl);
        if (mod.img)
                munmap(mod.img, mod.size);
        return 0;
}

/* ---- tests ---- */

static void test_dlopen_finds_entry_points(void **state)
{
        struct link_map *lm = NULL;
        (void)state;

        require_dl();
        assert_int_equal(dlinfo(mod.dl, RTLD_DI_LINKMAP, &lm), 0);
        assert_non_null(lm);
        for (size_t i = 0; i < ARRAY_LEN(entry_points); i++) {
                Dl_info info;
                void *p;

                dlerror();
                p = dlsym(mod.dl, entry_points[i]);
                if (!p)
                        fail_msg("dlsym(%s): %s", entry_points[i], dlerror());
                /* Defined by the module itself, not found in a dependency. */
                assert_int_not_equal(dladdr(p, &info), 0);
                assert_non_null(info.dli_fname);
                if (strcmp(info.dli_fname, lm->l_name) != 0)
                        fail_msg("%s resolves into %s, not %s", entry_points[i], info.dli_fname,
                                 lm->l_name);
        }
}

static void test_dynsym_exports_exactly_entry_points(void **state)
{
        ElfW(Shdr) ds = { 0 };
        unsigned seen[ARRAY_LEN(entry_points)] = { 0 };
#ifdef MODULE_DATA_EXPORT
        unsigned seen_data = 0;
#endif
        char extra[4096] = "";
        size_t n, extras = 0;
        (void)state;

        require_image();
        if (find_section(SHT_DYNSYM, &ds) < 0)
                fail_msg("%s has no .dynsym", mod.path);
        assert_int_equal(ds.sh_entsize, sizeof(ElfW(Sym)));
        n = (size_t)ds.sh_size / sizeof(ElfW(Sym));
        for (size_t i = 1; i < n; i++) {
                ElfW(Sym) sym = { 0 };
                const char *name;
                size_t k;

                assert_true(get((size_t)ds.sh_offset + i * sizeof(sym), &sym, sizeof(sym)));
                name = str_at(ds.sh_link, sym.st_name);
                assert_non_null(name);
                if (sym.st_shndx == SHN_UNDEF || ELF64_ST_BIND(sym.st_info) == STB_LOCAL)
                        continue; /* imports, and section symbols */
                if (sym.st_shndx == SHN_ABS && is_version_node(name))
                        continue;
#ifdef MODULE_DATA_EXPORT
                /* The one data symbol the module may export (a constant). */
                if (strcmp(name, MODULE_DATA_EXPORT) == 0 && ELF64_ST_TYPE(sym.st_info) == STT_OBJECT &&
                    ELF64_ST_BIND(sym.st_info) == STB_GLOBAL) {
                        seen_data++;
                        continue;
                }
#endif
                for (k = 0; k < ARRAY_LEN(entry_points); k++)
                        if (strcmp(name, entry_points[k]) == 0)
                                break;
                if (k == ARRAY_LEN(entry_points) || ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
                    (ELF64_ST_BIND(sym.st_info) != STB_GLOBAL &&
                     ELF64_ST_BIND(sym.st_info) != STB_WEAK)) {
                        append(extra, sizeof(extra), name);
                        extras++;
                        continue;
                }
                seen[k]++;
        }
        if (extras)
                fail_msg("%s exports %zu unexpected symbol(s): %s", mod.path, extras, extra);
#ifdef MODULE_DATA_EXPORT
        if (seen_data != 1)
                fail_msg("%s defines the constant %s %u times in .dynsym (want 1)", mod.path,
                         MODULE_DATA_EXPORT, seen_data);
#endif
        for (size_t k = 0; k < ARRAY_LEN(entry_points); k++)
                if (seen[k] != 1)
                        fail_msg("%s defines %s %u times in .dynsym (want 1)", mod.path,
                                 entry_points[k], seen[k]);
}

static void test_internal_symbols_hidden(void **state)
{
        ElfW(Shdr) st = { 0 };
        bool have_symtab;
        (void)state;

        require_dl();
        /* The names are linked in (visible in the unstripped .symtab), so
         * not finding them with dlsym means they are hidden, not absent. */
        have_symtab = find_section(SHT_SYMTAB, &st) >= 0;
        if (!have_symtab)
                print_message("note: %s is stripped; only checking dlsym\n", mod.path);
        for (size_t i = 0; i < ARRAY_LEN(internal); i++) {
                if (have_symtab) {
                        size_t n = (size_t)st.sh_size / sizeof(ElfW(Sym));
                        bool found = false;

                        assert_int_equal(st.sh_entsize, sizeof(ElfW(Sym)));
                        for (size_t j = 1; j < n && !found; j++) {
                                ElfW(Sym) sym = { 0 };
                                const char *name;

                                assert_true(get((size_t)st.sh_offset + j * sizeof(sym), &sym,
                                                sizeof(sym)));
                                name = str_at(st.sh_link, sym.st_name);
                                found = name && sym.st_shndx != SHN_UNDEF &&
                                        strcmp(name, internal[i]) == 0;
                        }
                        if (!found)
                                fail_msg("%s is not in %s at all: the hidden-symbol check needs "
                                         "a name the module does contain",
                                         internal[i], mod.path);
                }
                dlerror();
                if (dlsym(mod.dl, internal[i]))
                        fail_msg("internal symbol %s is resolvable in %s", internal[i], mod.path);
        }
}

static void test_needed_libraries(void **state)
{
        ElfW(Shdr) dyn = { 0 };
        char bad[4096] = "", all[4096] = "";
        bool have_required = false;
        size_t n;
        (void)state;

        require_image();
        if (find_section(SHT_DYNAMIC, &dyn) < 0)
                fail_msg("%s has no .dynamic", mod.path);
        n = (size_t)dyn.sh_size / sizeof(ElfW(Dyn));
        for (size_t i = 0; i < n; i++) {
                ElfW(Dyn) d = { 0 };
                const char *lib;
                bool ok = false;

                assert_true(get((size_t)dyn.sh_offset + i * sizeof(d), &d, sizeof(d)));
                if (d.d_tag == DT_NULL)
                        break;
                if (d.d_tag != DT_NEEDED)
                        continue;
                lib = str_at(dyn.sh_link, (size_t)d.d_un.d_val);
                assert_non_null(lib);
                append(all, sizeof(all), lib);
                if (strcmp(lib, required_lib) == 0)
                        have_required = true;
                for (size_t k = 0; k < ARRAY_LEN(banned_libs); k++)
                        if (has_prefix(lib, banned_libs[k]))
                                fail_msg("%s links %s (banned: %s*)", mod.path, lib, banned_libs[k]);
                for (size_t k = 0; k < ARRAY_LEN(allowed_libs); k++)
                        ok = ok || has_prefix(lib, allowed_libs[k]);
                if (!ok)
                        append(bad, sizeof(bad), lib);
        }
        print_message("DT_NEEDED: %s\n", all);
        if (bad[0])
                fail_msg("%s links libraries outside %s: %s", mod.path, allowed_desc, bad);
        if (!have_required)
                fail_msg("%s does not link %s (DT_NEEDED: %s)", mod.path, required_lib, all);
}
