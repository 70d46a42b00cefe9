# Fuzzing (libFuzzer, clang, ASan + UBSan), included from the Makefile.
#   make fuzz                    build every harness tests/fuzz/fuzz_*.c into
#                                build/fuzz/, replay tests/fuzz/regressions/<t>/,
#                                then fuzz each target for FUZZ_SECONDS (60) on a
#                                scratch copy of tests/fuzz/corpus/<t>/; fails on
#                                any finding (crash, leak, UB, timeout, property).
#   make fuzz FUZZ_TARGETS="pam protocol"    some targets only; -j runs them in parallel
#   make fuzz-build              only build; run one by hand with
#                                build/fuzz/fuzz_<t> tests/fuzz/corpus/<t>
# A finding is left in build/fuzz/artifacts/<t>/; once fixed, copy it to
# tests/fuzz/regressions/<t>/ so every later run replays it. Seeds come from
# tests/fuzz/gen_corpus.c (make fuzz-corpus). The library is rebuilt here with
# clang and the sanitizers, apart from the gcc build.
FUZZ_CC      ?= $(shell command -v clang-14 || command -v clang || echo clang)
FUZZ_SECONDS ?= 60
FB           := $(B)/fuzz
FUZZ_ALL     := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link $(WARN) $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(GATE_SRC:%.c=$(FB)/obj/%.o) $(LIB_SRC:%.c=$(FB)/obj/%.o)
FUZZ_HELPERS := $(addprefix $(FB)/obj/tests/fuzz/,harness.o forge.o cache_load.o fake_pam.o)
FUZZ_LIBS    := $(PKG_LIBS)

# fuzz_pam runs pam_cws.c in-process: see the top of tests/fuzz/fuzz_pam.c.
FUZZ_PAM_WRAP := cws_agent_call cws_agent_notify getpwnam_r getgrnam getgrouplist audit_open audit_close \
		 audit_log_user_message cws_journal_send
# Its offline decision is linked in (CWS_OFFLINE_LINKED) rather than
# loaded from pam_cws_offline.so beside the module, as pam_cws.so does.
FUZZ_PAM_OBJ := $(addprefix $(FB)/obj/pam/,pam_cws.o txn.o offline_load.o pam_cws_offline.o)
$(FB)/fuzz_pam: FUZZ_EXTRA = $(FUZZ_PAM_OBJ)
$(FB)/fuzz_pam: FUZZ_LDEXTRA = $(FUZZ_PAM_WRAP:%=-Wl,--wrap=%)
$(FB)/fuzz_pam: $(FUZZ_PAM_OBJ)
$(FB)/obj/pam/offline_load.o: CPPFLAGS += -DCWS_OFFLINE_LINKED
$(FUZZ_PAM_OBJ): CPPFLAGS += $(OFFLINE_ABI_FLAG)

# fuzz_nss_groups reads with libnss_cws.so.2's own reader (nss (issue 13)).
$(FB)/fuzz_nss_groups: FUZZ_EXTRA = $(FB)/obj/nss/group_parse.o $(FB)/obj/nss/group_snapshot.o
$(FB)/fuzz_nss_groups: $(FB)/obj/nss/group_parse.o $(FB)/obj/nss/group_snapshot.o

# fuzz-run-<t> is a pattern rule, so it cannot be .PHONY (make skips the
# implicit rule search for phony targets); no such file is ever made.
.PHONY: fuzz-build fuzz-corpus
.SECONDARY: $(FUZZ_ALL:%=$(FB)/obj/tests/fuzz/fuzz_%.o) $(FUZZ_HELPERS) $(FUZZ_PAM_OBJ) \
	$(FB)/obj/nss/group_parse.o $(FB)/obj/nss/group_snapshot.o
fuzz-build: $(FUZZ_TARGETS:%=$(FB)/fuzz_%)

$(FB)/obj/%.o: %.c $(HEADERS) $(wildcard tests/fuzz/*.h) \
		pam/offline.h pam/gate.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(INC_ALL) -Itests/fuzz $(FUZZ_CFLAGS) -c $< -o $@

$(FB)/libcws.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/fuzz_%: $(FB)/obj/tests/fuzz/fuzz_%.o $(FUZZ_HELPERS) $(FB)/libcws.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_EXTRA) $(FUZZ_HELPERS) \
		$(FB)/libcws.a $(FUZZ_LDEXTRA) $(FUZZ_LIBS)

# Regressions first (each input run once), then a bounded run; libFuzzer
# writes new inputs only into the scratch corpus, never into the tree.
fuzz-run-%: $(FB)/fuzz_%
	@rm -rf $(FB)/run/$* && mkdir -p $(FB)/run/$*/corpus $(FB)/run/$*/tmp $(FB)/artifacts/$*
	@if [ -d tests/fuzz/corpus/$* ]; then cp -R tests/fuzz/corpus/$*/. $(FB)/run/$*/corpus/; fi
	@if [ -n "$$(ls tests/fuzz/regressions/$*/ 2>/dev/null)" ]; then \
		TMPDIR=$(CURDIR)/$(FB)/run/$*/tmp $< tests/fuzz/regressions/$*/* \
			>$(FB)/run/$*/regressions.log 2>&1 || \
		{ tail -n 40 $(FB)/run/$*/regressions.log; \
		  echo "fuzz $*: a regression input fails again (tests/fuzz/regressions/$*)"; exit 1; }; fi
	@TMPDIR=$(CURDIR)/$(FB)/run/$*/tmp $< -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FB)/artifacts/$*/ \
		$(FB)/run/$*/corpus >$(FB)/run/$*/fuzz.log 2>&1 || \
		{ tail -n 60 $(FB)/run/$*/fuzz.log; \
		  echo "fuzz $*: FINDING, input saved in $(FB)/artifacts/$*/"; exit 1; }
	@printf 'fuzz %-18s %s\n' $* "$$(grep -E '^#[0-9]+[[:space:]]+DONE' $(FB)/run/$*/fuzz.log | \
		sed -E 's/.*(cov: [0-9]+).*(corp: [^ ]+).*(exec\/s: [0-9]+).*/\1 \2 \3/')"

fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
	@echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $(FUZZ_SECONDS) s each, no finding"

# Regenerates the signed and MAC'd seeds (the rest are written by hand).
fuzz-corpus: $(B)/fuzz/gen_corpus
	$(B)/fuzz/gen_corpus tests/fuzz/corpus

$(B)/fuzz/gen_corpus: tests/fuzz/gen_corpus.c tests/fuzz/forge.c tests/fuzz/harness.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_ALL) -Itests/fuzz $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(PKG_LIBS)
