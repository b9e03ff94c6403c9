# Casebook build. `make` builds build/casebook; `make test` builds with
# AddressSanitizer + UndefinedBehaviorSanitizer (and ThreadSanitizer for its
# tsan suite) and runs every suite;
# `make run` serves a demo instance on 127.0.0.1:8080 (`make run LISTEN=HOST:PORT
# DATA=DIR` for another address or data directory); `make fuzz` runs each
# libFuzzer harness FUZZ_SECONDS (default 60) (fuzz/README.md).
# `make check-valgrind` runs an end-to-end smoke under valgrind memcheck
# (build/vg: -O0, no sanitizers); `make soak` runs a bounded mixed load
# against the release binary (SOAK_SECONDS, default 600).
# `make check-tsan` builds build/tsan/ (the binary and the unit tests) with
# ThreadSanitizer and runs the unit tests and the concurrent end-to-end tests
# (writers, readers, crash, background jobs) against it; any ThreadSanitizer
# report fails it (third-party suppressions: tests/tsan.supp). `make test`
# runs the same as its tsan suite.
# Every object is compiled with -MMD -MP: it depends on the headers it
# includes (build/<variant>/<file>.d), not on every header of the tree.

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium libical gmime-3.0 libxml-2.0 libcurl
VERSION := 0.1.0
DEPS_STAMP := build/.deps-ok

CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wno-unused-parameter -Isrc -Ibuild/gen -DCB_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lpthread -lm

REL_CFLAGS  = $(CFLAGS_COMMON) -O2 -g
ASAN_CFLAGS = $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -DCB_ARENA_DEBUG
VG_CFLAGS   = $(CFLAGS_COMMON) -O0 -g -DCB_ARENA_DEBUG
TSAN_CFLAGS = $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=thread
# header dependencies: each object writes its .d file beside it (included below)
DEPFLAGS    = -MMD -MP

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(shell find tests/unit -name '*.c' 2>/dev/null | sort)

REL_OBJ  := $(SRC:src/%.c=build/rel/%.o)
ASAN_OBJ := $(SRC:src/%.c=build/asan/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:src/%.c=build/asan/%.o)
VG_OBJ   := $(SRC:src/%.c=build/vg/%.o)
TSAN_OBJ := $(SRC:src/%.c=build/tsan/%.o)
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%.o)
TSAN_LIB_OBJ  := $(LIB_SRC:src/%.c=build/tsan/%.o)
TSAN_UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=build/tsan/unit/%.o)

# fuzzing: see the fuzz section below
FUZZ_NAMES   := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS   = $(CFLAGS_COMMON) -Wno-error -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -DCB_ARENA_DEBUG -Ifuzz
FUZZ_OBJ     := $(LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_BIN     := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
REPLAY_BIN   := $(FUZZ_NAMES:%=build/asan/fuzz/fuzz_%)
# harness objects: fuzz/<file>.c -> build/fuzz/harness/<file>.o (libFuzzer)
# and build/asan/fuzz/obj/<file>.o (replay)
FUZZ_HARNESS_SRC := $(wildcard fuzz/*.c)
FUZZ_HARNESS_OBJ := $(FUZZ_HARNESS_SRC:fuzz/%.c=build/fuzz/harness/%.o) \
	$(FUZZ_HARNESS_SRC:fuzz/%.c=build/asan/fuzz/obj/%.o)

# the .d files the compiler wrote on earlier builds (none on the first build,
# when every object is built anyway)
DEP_FILES := $(patsubst %.o,%.d,$(REL_OBJ) $(ASAN_OBJ) $(VG_OBJ) $(TSAN_OBJ) $(FUZZ_OBJ) \
	$(UNIT_OBJ) $(TSAN_UNIT_OBJ) $(FUZZ_HARNESS_OBJ))
-include $(wildcard $(DEP_FILES))
# kept after the link (they are only named through pattern rules)
.SECONDARY: $(FUZZ_HARNESS_OBJ)

.PHONY: all deps test run bench bench-http clean unit e2e check-valgrind check-tsan soak fuzz \
	fuzz-build

all: build/casebook

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p build && touch $@

build/rel/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/asan/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(ASAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/vg/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC vg   $<"
	@$(CC) $(VG_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/tsan/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	@$(CC) $(TSAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The web pages (web/*) are embedded in the binary: build/gen/web_assets.h,
# generated from them, is included by src/api/h_web.c.
WEB_FILES := $(sort $(wildcard web/*))
build/gen/web_assets.h: $(WEB_FILES) scripts/embed_web.py
	@mkdir -p $(dir $@)
	@python3 scripts/embed_web.py $@ $(WEB_FILES)
build/rel/api/h_web.o build/asan/api/h_web.o build/vg/api/h_web.o build/tsan/api/h_web.o \
	build/fuzz/obj/api/h_web.o: build/gen/web_assets.h

build/casebook: $(REL_OBJ)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/asan/casebook: $(ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

build/vg/casebook: $(VG_OBJ)
	$(CC) $(VG_CFLAGS) -o $@ $^ $(LIBS)

build/tsan/casebook: $(TSAN_OBJ)
	$(CC) $(TSAN_CFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one binary; the list of CB_TEST() cases is generated from the sources.
# tests/unit/ mirrors src/ (tests/unit/<layer>/<file>.c tests src/<layer>/<file>.c;
# scripts/check_layers.py checks it); objects go to build/<variant>/unit/<same path>.o
# and include tests/harness.h through -Itests.
build/gen/tests_list.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^CB_TEST([a-z0-9_]*)' $(UNIT_SRC) | sed 's/CB_TEST(\(.*\))/X(\1)/' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

# tests_list.h is rewritten only when the list changes, so that editing one
# test file does not recompile main.c.
build/asan/unit/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC unit $<"
	@$(CC) $(ASAN_CFLAGS) $(DEPFLAGS) -Itests -c $< -o $@
build/tsan/unit/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	@$(CC) $(TSAN_CFLAGS) $(DEPFLAGS) -Itests -c $< -o $@
build/asan/unit/main.o build/tsan/unit/main.o: build/gen/tests_list.h

build/asan/unit_tests: $(UNIT_OBJ) $(ASAN_LIB_OBJ)
	$(CC) $(ASAN_CFLAGS) -o $@ $(UNIT_OBJ) $(ASAN_LIB_OBJ) $(LIBS)

# the same unit tests built with ThreadSanitizer (for make check-tsan)
build/tsan/unit_tests: $(TSAN_UNIT_OBJ) $(TSAN_LIB_OBJ)
	$(CC) $(TSAN_CFLAGS) -o $@ $(TSAN_UNIT_OBJ) $(TSAN_LIB_OBJ) $(LIBS)

# The tsan suite (the check-tsan tests, about a minute) is part of it.
test: $(DEPS_STAMP) build/asan/casebook build/asan/unit_tests $(REPLAY_BIN) \
		build/tsan/casebook build/tsan/unit_tests
	@python3 tests/run.py --bin build/asan/casebook --unit build/asan/unit_tests \
		--fuzz build/asan/fuzz --tsan build/tsan/casebook --tsan-unit build/tsan/unit_tests

unit: build/asan/unit_tests
	build/asan/unit_tests

# ---- fuzzing (fuzz/README.md) ----
# One harness per parser of outside input: fuzz/fuzz_<name>.c. `make fuzz`
# builds each with clang + libFuzzer + ASan/UBSan and runs it FUZZ_SECONDS
# from its seed corpus (new inputs go to build/fuzz/corpus/<name>, crashes to
# build/fuzz/artifacts/<name>). `make test` replays fuzz/corpus/<name> and
# fuzz/regress/<name> through the same harnesses built with gcc and the
# standalone driver (fuzz/standalone.c), no libFuzzer. The harnesses link a
# thin archive of the library, so a harness may compile a source file in
# itself (fuzz_import.c does) without duplicate symbols.

build/fuzz/obj/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/harness/%.o: fuzz/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libcasebook.a: $(FUZZ_OBJ)
	@rm -f $@ && ar rcT $@ $^

build/fuzz/fuzz_%: build/fuzz/harness/fuzz_%.o build/fuzz/harness/common.o \
		build/fuzz/libcasebook.a
	@echo "  LD fuzz $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

build/asan/libcasebook.a: $(ASAN_LIB_OBJ)
	@rm -f $@ && ar rcT $@ $^

build/asan/fuzz/obj/%.o: fuzz/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC replay $<"
	@$(CC) $(ASAN_CFLAGS) $(DEPFLAGS) -Ifuzz -c $< -o $@

build/asan/fuzz/fuzz_%: build/asan/fuzz/obj/fuzz_%.o build/asan/fuzz/obj/common.o \
		build/asan/fuzz/obj/standalone.o build/asan/libcasebook.a
	@echo "  LD replay $@"
	@$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: $(DEPS_STAMP) $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh $(FUZZ_NAMES)

# End-to-end smoke under valgrind memcheck; fails on any error or definite leak.
check-valgrind: build/vg/casebook
	@scripts/deps.sh valgrind
	@scripts/valgrind-smoke.sh build/vg/casebook

# The unit tests and the concurrent end-to-end tests (writers, readers,
# crash, background jobs: those marked @concurrent) against the
# ThreadSanitizer build; fails on any ThreadSanitizer report. Third-party
# false positives are suppressed in tests/tsan.supp (each with its reason).
check-tsan: $(DEPS_STAMP) build/tsan/casebook build/tsan/unit_tests
	@python3 tests/run.py --tsan build/tsan/casebook --tsan-unit build/tsan/unit_tests

# Bounded mixed load against the release binary: 0 errors and flat RSS.
# SOAK_SECONDS (default 600), SOAK_CLIENTS (default 16).
soak: build/casebook
	@python3 scripts/soak.py --bin build/casebook

run: build/casebook
	@scripts/run.sh

# Benchmarks (not tests; bench/README.md). `make bench` runs the suite
# (SIZE=10k|100k|1m, default 100k; BIG=1m|0 the issue-3 part at 1M tickets;
# DUR seconds per figure) and appends its table to docs/benchmarks.md;
# `make bench-http` reruns the HTTP library comparison (bench/http/).
BENCH_CFLAGS = -std=c11 -O2 -g -Wall -Wextra -Werror

build/bench/gen: bench/gen.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

build/bench/sqlite_ref: bench/sqlite_ref.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(shell pkg-config --cflags --libs sqlite3) -lpthread

bench: build/casebook build/bench/gen build/bench/sqlite_ref
	@scripts/deps.sh bench
	@python3 bench/run.py

bench-http: build/casebook
	@scripts/deps.sh bench
	@bench/http/run.sh

clean:
	rm -rf build
