# Casebook build. `make` builds build/casebook; `make test` builds with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs every suite;
# `make run` serves a demo instance on 127.0.0.1:8080.

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium libical
VERSION := 0.1.0
DEPS_STAMP := build/.deps-ok

CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wno-unused-parameter -Isrc -DCB_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

REL_CFLAGS  = $(CFLAGS_COMMON) -O2 -g
ASAN_CFLAGS = $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -DCB_ARENA_DEBUG

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
HDRS     := $(shell find src -name '*.h')
UNIT_SRC := $(shell find tests/unit -name '*.c' 2>/dev/null | sort)

REL_OBJ  := $(SRC:src/%.c=build/rel/%.o)
ASAN_OBJ := $(SRC:src/%.c=build/asan/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:src/%.c=build/asan/%.o)

.PHONY: all deps test run bench clean unit e2e

all: build/casebook

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p build && touch $@

build/rel/%.o: src/%.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -c $< -o $@

build/asan/%.o: src/%.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/casebook: $(REL_OBJ)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/asan/casebook: $(ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one binary; the list of CB_TEST() cases is generated from the sources.
build/asan/tests_list.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^CB_TEST([a-z0-9_]*)' $(UNIT_SRC) | sed 's/CB_TEST(\(.*\))/X(\1)/' > $@

build/asan/unit_tests: $(UNIT_SRC) $(ASAN_LIB_OBJ) build/asan/tests_list.h tests/harness.h
	$(CC) $(ASAN_CFLAGS) -Itests -Ibuild/asan -o $@ $(UNIT_SRC) $(ASAN_LIB_OBJ) $(LIBS)

test: $(DEPS_STAMP) build/asan/casebook build/asan/unit_tests
	@python3 tests/run.py --bin build/asan/casebook --unit build/asan/unit_tests

unit: build/asan/unit_tests
	build/asan/unit_tests

run: build/casebook
	@scripts/run.sh

# Benchmarks (not tests): the HTTP library against nginx for now; see bench/.
bench: build/casebook
	@scripts/deps.sh bench
	@bench/http/run.sh

clean:
	rm -rf build
