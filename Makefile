# pam_cws — one build for everything.
#   make            build libcws, cwsd and the helpers
#   make check      build and run every test (unit, integration)
#   make demo       the invitation -> enrollment -> revocation life cycle
#   make bench      PAM transaction latency and throughput: pam_cws vs pam_permit and pam_unix;
#                   syscalls, a stalling registry, the monitor's cost (BENCH_ONLY=PART...)
#   make mutants    (root) one-line mutations of the decision code, each of which the suite must catch
#   make deps       (root) install build and test dependencies with apt-get
#   make install    honours DESTDIR and PREFIX
#   make deb        the Debian packages, into build/ (needs debhelper)
#   make rpm        binary RPMs into build/rpm (packaging/rpm/pam_cws.spec)
#   make selinux    the SELinux policy module build/selinux/cws.pp
# Packagers: CFLAGS, CPPFLAGS and LDFLAGS (environment or command line) are
# added to ours; a _FORTIFY_SOURCE of yours replaces ours; WERROR= turns -Werror off;
# PAMDIR and LIBINIH (the static inih, or -linih where there is none) say where things are.
VERSION   := 0.1.0
PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
PAMDIR    ?= /usr/lib/$(MULTIARCH)/security
LIBDIR    ?= /usr/lib/$(MULTIARCH)
LIBINIH   ?= /usr/lib/$(MULTIARCH)/libinih.a
PKGS      := libcrypto json-c inih libsystemd audit libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WERROR    ?= -Werror
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wconversion -Wmissing-prototypes \
             -Wnull-dereference $(WERROR)
FORTIFY   := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=3)
HARDEN    := -fstack-protector-strong $(FORTIFY) -fPIC
OPT       ?= -O2 -g
ifdef SANITIZE
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
# tests/run.sh and the test scripts read it: sanitizer logs, skipped scripts.
export SANITIZE
endif
CFLAGS    ?=
override CPPFLAGS += -DCWS_VERSION=\"$(VERSION)\"
# The include paths are per part (docs/design.md §2): lib/gate/, pam/ and
# nss/ see only include/gate/, so a file there that includes a header of
# the rest of lib/ or of helpers/ does not compile; everything else sees all.
INC_GATE  := -Iinclude/gate
INC_ALL   := -Iinclude/gate -Iinclude -Ihelpers/common
INC        = $(INC_ALL)
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS)
override LDFLAGS += -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS)

B         := build
# Built with other flags (SANITIZE=1 or not), everything is built again.
FLAGS_STAMP := $(B)/.flags
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(LDFLAGS)
ifneq ($(FLAGS_NOW),$(shell cat $(FLAGS_STAMP) 2>/dev/null))
$(shell mkdir -p $(B) && echo '$(FLAGS_NOW)' >$(FLAGS_STAMP))
endif
# lib/gate/ is what pam_cws.so and pam_cws_offline.so may link
# (libcwsgate.a); lib/ the rest, for cwsd and the tools (libcws.a, which
# uses libcwsgate.a).
GATE_SRC  := $(sort $(wildcard lib/gate/*.c))
GATE_OBJ  := $(GATE_SRC:%.c=$(B)/%.o)
$(GATE_OBJ): INC = $(INC_GATE)
LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
LIBS_A    := $(B)/libcws.a $(B)/libcwsgate.a
HEADERS   := $(wildcard include/cws/*.h include/gate/cws/*.h lib/*.h lib/gate/*.h helpers/common/*.h)
# The administrators' keychain is linked only where it is needed (below),
# never through libcwscli.a.
# keychain.c and keychain_items.c (the Secret Service) include libsecret.
KEYCHAIN_SECRET_SRC := helpers/common/keychain.c helpers/common/keychain_items.c
KEYCHAIN_SRC := $(KEYCHAIN_SECRET_SRC) helpers/common/admin_key.c \
		helpers/common/admin_registry.c helpers/common/admin_report.c
KEYCHAIN_OBJ := $(KEYCHAIN_SRC:%.c=$(B)/%.o)
CLI_SRC   := $(filter-out $(KEYCHAIN_SRC),$(sort $(wildcard helpers/common/*.c)))
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
PROGRAMS  := cwsd cws-invite cws-enroll cws-revoke cws-devices cws-status
PROG_BIN  := $(PROGRAMS:%=$(B)/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PAM_TEST_SRC := $(sort $(wildcard tests/pam/test_pam_*.c))
PAM_TEST_BIN := $(PAM_TEST_SRC:tests/pam/%.c=$(B)/tests/%) $(B)/pam_run
NSS_TEST_BIN := $(B)/tests/test_nss_symbols $(B)/tests/nss_call $(B)/tests/nss_snapshot
MAN_PAGES := $(sort $(wildcard packaging/man/*.[158]))

.PHONY: all all-tests check unit integration demo bench mutants deps install clean fuzz \
	deb clean-cache rpm selinux
MODULE    := $(B)/pam_cws.so
OFFLINE_MODULE := $(B)/pam_cws_offline.so
NSS_MODULE := $(B)/libnss_cws.so.2
all: $(LIBS_A) $(PROG_BIN) $(MODULE) $(OFFLINE_MODULE) $(NSS_MODULE)

# The module links libpam and libaudit only (journal entries go over
# journald's native protocol, lib/gate/journal.c); inih goes in statically, and
# nothing that uses json-c or libcrypto is pulled from libcws. Its offline
# decision, which needs libcrypto for the cache's MAC, is
# pam_cws_offline.so beside it, loaded only when cwsd does not answer
# (pam/offline.h): a process that logs in once (su, sudo, cron) would pay
# about a millisecond to map and initialise libcrypto.
MODULE_SRC := pam/pam_cws.c pam/txn.c pam/offline_load.c
# pam_cws.so loads pam_cws_offline.so only when its token is the one it
# was built with: a hash of the headers their interface is made of, so a
# pair whose interface differs (a half-done upgrade, or a process that
# loaded pam_cws.so before one) is refused instead of called with another
# layout (pam/offline.h). Versions with the same interface work together.
OFFLINE_ABI_HDRS := pam/offline.h $(addprefix include/gate/cws/,error.h ids.h reason.h types.h)
OFFLINE_ABI := $(shell cat $(OFFLINE_ABI_HDRS) | sha256sum | cut -c1-16)
OFFLINE_ABI_FLAG := -DCWS_OFFLINE_ABI=\"$(OFFLINE_ABI)\"
$(MODULE): $(MODULE_SRC) pam/gate.h pam/pam_cws.map pam/offline.h $(B)/libcwsgate.a \
		$(wildcard include/gate/cws/*.h)
	$(CC) $(CPPFLAGS) $(OFFLINE_ABI_FLAG) $(INC_GATE) $(ALL_CFLAGS) -fvisibility=hidden -shared \
		-o $@ $(MODULE_SRC) $(B)/libcwsgate.a -Wl,--version-script=pam/pam_cws.map $(LDFLAGS) \
		-Wl,--no-undefined -Wl,-z,nodelete \
		$(LIBINIH) -lpam -laudit
$(OFFLINE_MODULE): pam/pam_cws_offline.c pam/pam_cws_offline.map pam/offline.h $(B)/libcwsgate.a \
		$(wildcard include/gate/cws/*.h)
	$(CC) $(CPPFLAGS) $(OFFLINE_ABI_FLAG) $(INC_GATE) $(ALL_CFLAGS) -fvisibility=hidden -shared \
		-o $@ pam/pam_cws_offline.c \
		$(B)/libcwsgate.a -Wl,--version-script=pam/pam_cws_offline.map $(LDFLAGS) \
		-Wl,--no-undefined -lcrypto

# libnss_cws.so.2 runs in every process that looks a group up: libc only,
# no libcws (nss/, cws/nss_groups.h).
NSS_SRC := nss/nss_cws.c nss/group_parse.c nss/group_snapshot.c
$(NSS_MODULE): $(NSS_SRC) nss/group_parse.h nss/group_snapshot.h nss/nss_cws.map include/gate/cws/nss_groups.h \
		include/gate/cws/file_stamp.h $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) $(INC_GATE) $(ALL_CFLAGS) -fvisibility=hidden -shared -Wl,-soname,libnss_cws.so.2 \
		-o $@ $(NSS_SRC) -Wl,--version-script=nss/nss_cws.map $(LDFLAGS) -Wl,--no-undefined

$(B)/%.o: %.c $(HEADERS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libcwsgate.a: $(GATE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libcws.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libcwscli.a: $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

# A helper is every file of helpers/<name>, main.c first; its private
# headers there (helpers/cwsd/cwsd.h, helpers/cws-invite/cws_invite.h)
# are its objects' dependencies.
helper_obj = $(patsubst %.c,$(B)/%.o,$(sort $(wildcard helpers/$(1)/*.c)))
$(foreach p,$(PROGRAMS),$(eval $(call helper_obj,$(p)): $(wildcard helpers/$(p)/*.h)))
.SECONDEXPANSION:
$(B)/%: $(B)/helpers/%/main.o $$(call helper_obj,$$*) $(B)/libcwscli.a $(LIBS_A)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS)

CWSD_OBJ := $(call helper_obj,cwsd)
$(B)/cwsd: $(CWSD_OBJ) $(B)/libcwscli.a $(LIBS_A)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS) -pthread

# cws-invite and cws-revoke alone link libsecret (and so glib) for the
# administrators' keychain; glib's headers are system headers to our warnings.
SECRET_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libsecret-1 2>/dev/null))
SECRET_LIBS   := $(shell pkg-config --libs libsecret-1 2>/dev/null)
$(KEYCHAIN_SECRET_SRC:%.c=$(B)/%.o): ALL_CFLAGS += $(SECRET_CFLAGS)
$(B)/cws-invite $(B)/cws-revoke: $(B)/%: $(B)/helpers/%/main.o $$(call helper_obj,$$*) \
		$(KEYCHAIN_OBJ) $(B)/libcwscli.a $(LIBS_A)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS) $(SECRET_LIBS)

$(B)/tests/%: tests/unit/%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes $< $(LIBS_A) -o $@ \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka

# check and demo install what they need first, then build with the
# pkg-config flags of the installed libraries (hence the recursion).
check: deps
	$(MAKE) all-tests
	tests/run.sh $(B)

all-tests: all $(UNIT_BIN) $(PAM_TEST_BIN) $(NSS_TEST_BIN)

$(B)/tests/test_nss_symbols: tests/nss/test_nss_symbols.c tests/module_symbols.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes $< -o $@ $(LDFLAGS) -lcmocka -ldl
$(B)/tests/nss_call: tests/nss/nss_call.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $< -o $@ $(LDFLAGS) -ldl
$(B)/tests/nss_snapshot: tests/nss/nss_snapshot.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $< -o $@ $(LDFLAGS) -ldl -pthread
# These unit tests build the module's file reader in, as the module does.
$(B)/tests/test_nss_parse $(B)/tests/test_group_file $(B)/tests/test_group_snapshot: \
		$(B)/tests/%: tests/unit/%.c nss/group_parse.c nss/group_parse.h \
		nss/group_snapshot.c nss/group_snapshot.h $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) -Itests -Inss $(ALL_CFLAGS) -Wno-missing-prototypes $< nss/group_parse.c \
		nss/group_snapshot.c $(LIBS_A) -o $@ $(LDFLAGS) $(PKG_LIBS) -lcmocka

$(B)/pam_run: tests/pam/pam_run.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $< -o $@ $(LDFLAGS) -lpam -ldl

$(B)/tests/test_pam_%: tests/pam/test_pam_%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes $< $(LIBS_A) -o $@ \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka -lpam -ldl

unit: all $(UNIT_BIN) $(PAM_TEST_BIN) $(NSS_TEST_BIN)
	tests/run.sh $(B) unit

integration: all $(B)/pam_run
	tests/run.sh $(B) integration

demo: deps
	$(MAKE) all $(B)/pam_run
	tests/demo.sh $(B)

# Speed is reported, never asserted: the exit status says only whether
# every transaction succeeded.
bench: all $(B)/bench $(B)/bench-validate $(B)/bench-nss $(B)/bench-floor
	tests/bench/run.sh $(B)

$(B)/bench: tests/bench/bench.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS) -lpam

$(B)/bench-nss: tests/bench/nss.c tests/bench/bench_clock.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS) -ldl

$(B)/bench-floor: tests/bench/floor.c tests/bench/bench_clock.h $(B)/libcwsgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_GATE) $(ALL_CFLAGS) $< -o $@ $(B)/libcwsgate.a $(LDFLAGS) -laudit

$(B)/bench-validate: tests/bench/validate.c tests/bench/bench_clock.h $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) $(ALL_CFLAGS) $< -o $@ $(LIBS_A) $(LDFLAGS) $(PKG_LIBS)

# Builds and tests scratch copies of the tree; never edits this one.
mutants:
	tests/mutants.sh $(MUTANTS)

deps:
	tests/deps.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/cws
	install -d $(DESTDIR)$(PAMDIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_cws.so
	install -m 0644 $(OFFLINE_MODULE) $(DESTDIR)$(PAMDIR)/pam_cws_offline.so
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/lib/cws
	install -m 0644 $(NSS_MODULE) $(DESTDIR)$(LIBDIR)/libnss_cws.so.2
	install -m 0755 nss/nsswitch-cws $(DESTDIR)$(PREFIX)/lib/cws/nsswitch-cws
	install -m 0755 $(B)/cwsd $(DESTDIR)$(SBINDIR)/cwsd
	install -m 0755 $(B)/cws-invite $(B)/cws-enroll $(B)/cws-revoke $(B)/cws-devices \
		$(B)/cws-status $(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/cws/cws.conf || \
		install -m 0644 packaging/cws.conf $(DESTDIR)$(SYSCONFDIR)/cws/cws.conf
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

# The Debian packages (packaging/debian) built from a copy of this tree,
# so the checkout gets no debian/ directory; the .debs land in $(B)/.
# A package is never a sanitizer build (SANITIZE is not passed on).
deb:
	rm -rf $(B)/deb && mkdir -p $(B)/deb/src
	tar -cf - --exclude=./build --exclude=./$(B) --exclude=./.git . | tar -xf - -C $(B)/deb/src
	cp -r packaging/debian $(B)/deb/src/debian
	cd $(B)/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u SANITIZE dpkg-buildpackage -us -uc -b
	mv $(B)/deb/*.deb $(B)/deb/*.changes $(B)/deb/*.buildinfo $(B)/

# The RPMs are built from a tarball of the checkout: the committed tree plus
# uncommitted changes to tracked files (git stash create), never untracked files.
# Hosts without Fedora's systemd and SELinux macro packages (Debian) get
# stand-ins from packaging/rpm/compat/; --nodeps because their rpm database is empty.
# The spec's own make must not inherit this one's command-line variables (B=, CFLAGS=).
RPM_TOP    := $(abspath $(B))/rpm
RPM_COMPAT := packaging/rpm/compat
rpm:
	@mkdir -p $(RPM_TOP)/SOURCES
	tree=$$(git stash create); tree=$${tree:-HEAD}; \
	git archive --format=tar.gz --prefix=pam_cws-$(VERSION)/ \
		-o $(RPM_TOP)/SOURCES/pam_cws-$(VERSION).tar.gz $$tree && \
	git show $$tree:packaging/sysusers.d/cws.conf >$(RPM_TOP)/SOURCES/cws.sysusers
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u SANITIZE rpmbuild --nodeps --define "_topdir $(RPM_TOP)" \
		$(if $(shell rpm --eval '%{?systemd_post:1}'),,--load $(RPM_COMPAT)/macros.systemd) \
		$(if $(shell rpm --eval '%{?selinux_modules_install:1}'),,--load $(RPM_COMPAT)/macros.selinux) \
		--define "cws_compat_dir $(abspath $(RPM_COMPAT))" \
		-bb packaging/rpm/pam_cws.spec

$(B)/selinux/cws.pp: selinux/cws.te selinux/cws.fc selinux/cws.if
	@rm -rf $(B)/selinux && mkdir -p $(B)/selinux
	cp $^ $(B)/selinux/
	$(MAKE) -C $(B)/selinux -f /usr/share/selinux/devel/Makefile cws.pp
selinux: $(B)/selinux/cws.pp

clean:
	rm -rf $(B)

# The debootstrap tarball that tests/integration/test_package.sh keeps.
clean-cache:
	rm -rf /var/cache/pam_cws-test

include tests/fuzz/fuzz.mk
