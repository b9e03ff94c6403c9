/* common.h - helpers shared by the fuzz harnesses (fuzz/fuzz_<name>.c).
 *
 * Every harness defines LLVMFuzzerTestOneInput. Built with clang and
 * -fsanitize=fuzzer it is driven by libFuzzer (`make fuzz`); built with gcc
 * and fuzz/standalone.c it replays files (`make test`: the seed corpus and
 * every past crash in fuzz/regress/). Invariants are checked with
 * FUZZ_CHECK, which aborts, so a broken invariant is a crash like any other. */
#ifndef CB_FUZZ_COMMON_H
#define CB_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* Prints the broken invariant and aborts. */
void fuzz_fail(const char *file, int line, const char *expr) __attribute__((noreturn));

/* Process-wide set-up every harness calls first: a fixed jansson hash seed
 * (object iteration order must not vary between runs) and libsodium. */
void fuzz_init(void);

/* A NUL-terminated malloc'ed copy of data (bytes after a NUL are kept but
 * invisible to C string functions). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* The instant the fixture is built at and operations run at. */
#define FUZZ_NOW 1772452800000LL /* 2026-03-02T12:00:00Z, a Monday */

/* A data directory in $TMPDIR opened once per process, with an admin
 * (fuzz_admin_token) and the demo data set (accounts, agents, engineers,
 * customers, groups, a dozen tickets in every status). Removed at exit. */
cb_app *fuzz_app(void);
const char *fuzz_admin_token(void);

/* Runs fn on the writer inside a job that is always rolled back, so inputs
 * never change the fixture. Returns what fn returned; fn's error is in *err. */
typedef int (*fuzz_txn_fn)(cb_conn *c, void *arg, cb_err *err);
int fuzz_rollback(fuzz_txn_fn fn, void *arg, cb_err *err);

/* FUZZ_VERBOSE=1 in the environment: harnesses say what each input did
 * (accepted, or the error), to check that seeds reach what they are for. */
void fuzz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fuzz_note_err(const char *what, int rc, const cb_err *err);

/* An error that left a function must be a proper one: a code, and a message
 * or at least one field item. */
void fuzz_check_err(const cb_err *err);

#endif
