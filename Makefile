# pam_cws — one build for everything.
#   make            build libcws, cwsd and the helpers
#   make check      build and run every test (unit, integration)
#   make demo       the invitation -> enrollment -> revocation life cycle
#   make bench      PAM transaction latency and throughput: pam_cws vs pam_permit and pam_unix
#   make deps       (root) install build and test dependencies with apt-get
#   make install    honours DESTDIR and PREFIX
#   make rpm        binary RPMs into build/rpm (packaging/rpm/pam_cws.spec)
#   make selinux    the SELinux policy module build/selinux/cws.pp
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
# The inih the module links: the static archive by default, -linih where there is none (Fedora).
LIBINIH   ?= /usr/lib/$(MULTIARCH)/libinih.a
PKGS      := libcrypto json-c inih libsystemd audit libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Packagers build with their own flags and compilers: WERROR= turns errors back into warnings.
WERROR    ?= -Werror
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wconversion -Wmissing-prototypes \
             -Wnull-dereference $(WERROR)
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=3 -fPIC
OPT       ?= -O2 -g
ifdef SANITIZE
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
endif
CFLAGS    ?=
CPPFLAGS  += -Iinclude -Ihelpers/common -DCWS_VERSION=\"$(VERSION)\"
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS   += -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS)

B         := build
LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
# The administrators' keychain is linked only where it is needed (below),
# never through libcwscli.a.
KEYCHAIN_SRC := helpers/common/keychain.c helpers/common/admin_key.c \
		helpers/common/admin_registry.c
KEYCHAIN_OBJ := $(KEYCHAIN_SRC:%.c=$(B)/%.o)
CLI_SRC   := $(filter-out $(KEYCHAIN_SRC),$(sort $(wildcard helpers/common/*.c)))
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
PROGRAMS  := cwsd cws-invite cws-enroll cws-revoke cws-devices
PROG_BIN  := $(PROGRAMS:%=$(B)/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PAM_TEST_SRC := $(sort $(wildcard tests/pam/test_pam_*.c))
PAM_TEST_BIN := $(PAM_TEST_SRC:tests/pam/%.c=$(B)/tests/%) $(B)/pam_run
MAN_PAGES := $(sort $(wildcard packaging/man/*.[158]))

.PHONY: all all-tests check unit integration demo bench deps install clean rpm selinux
MODULE    := $(B)/pam_cws.so
all: $(B)/libcws.a $(PROG_BIN) $(MODULE)

# The module links libpam, libaudit and libcrypto only (journal entries go
# over journald's native protocol, lib/journal.c); inih
# goes in statically, and nothing that uses json-c is pulled from libcws.
$(MODULE): pam/pam_cws.c pam/pam_cws.map $(B)/libcws.a $(wildcard include/cws/*.h)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=hidden -shared -o $@ pam/pam_cws.c \
		$(B)/libcws.a -Wl,--version-script=pam/pam_cws.map $(LDFLAGS) -Wl,--no-undefined \
		$(LIBINIH) -lpam -laudit -lcrypto

$(B)/%.o: %.c $(wildcard include/cws/*.h) $(wildcard helpers/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(B)/libcws.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libcwscli.a: $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/%: $(B)/helpers/%/main.o $(B)/libcwscli.a $(B)/libcws.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS)

# cws-invite and cws-revoke alone link libsecret (and so glib) for the
# administrators' keychain; glib's headers are system headers to our warnings.
SECRET_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libsecret-1 2>/dev/null))
SECRET_LIBS   := $(shell pkg-config --libs libsecret-1 2>/dev/null)
$(B)/helpers/common/keychain.o: ALL_CFLAGS += $(SECRET_CFLAGS)
$(B)/cws-invite $(B)/cws-revoke: $(B)/%: $(B)/helpers/%/main.o $(KEYCHAIN_OBJ) \
		$(B)/libcwscli.a $(B)/libcws.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS) $(SECRET_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libcws.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes $< $(B)/libcws.a -o $@ \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka

# check and demo install what they need first, then build with the
# pkg-config flags of the installed libraries (hence the recursion).
check: deps
	$(MAKE) all-tests
	tests/run.sh $(B)

all-tests: all $(UNIT_BIN) $(PAM_TEST_BIN)

$(B)/pam_run: tests/pam/pam_run.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $< -o $@ $(LDFLAGS) -lpam -ldl

$(B)/tests/test_pam_%: tests/pam/test_pam_%.c $(B)/libcws.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes $< $(B)/libcws.a -o $@ \
		$(LDFLAGS) $(PKG_LIBS) -lcmocka -lpam -ldl

unit: all $(UNIT_BIN) $(PAM_TEST_BIN)
	tests/run.sh $(B) unit

integration: all $(B)/pam_run
	tests/run.sh $(B) integration

demo: deps
	$(MAKE) all $(B)/pam_run
	tests/demo.sh $(B)

# Speed is reported, never asserted: the exit status says only whether
# every transaction succeeded.
bench: all $(B)/bench $(B)/bench-validate
	tests/bench/run.sh $(B)

$(B)/bench: tests/bench/bench.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS) -lpam

$(B)/bench-validate: tests/bench/validate.c $(B)/libcws.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $< -o $@ $(B)/libcws.a $(LDFLAGS) $(PKG_LIBS)

deps:
	tests/deps.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/cws
	install -d $(DESTDIR)$(PAMDIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_cws.so
	install -m 0755 $(B)/cwsd $(DESTDIR)$(SBINDIR)/cwsd
	install -m 0755 $(B)/cws-invite $(B)/cws-enroll $(B)/cws-revoke $(B)/cws-devices \
		$(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/cws/cws.conf || \
		install -m 0644 packaging/cws.conf $(DESTDIR)$(SYSCONFDIR)/cws/cws.conf
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

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
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS rpmbuild --nodeps --define "_topdir $(RPM_TOP)" \
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
