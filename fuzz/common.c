/* common.c - see common.h. */
#include "common.h"

#include <ftw.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/directory/auth.h"
#include "app/instance/demo.h"
#include "app/directory/setup.h"
#include "util/arena.h"

void fuzz_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, expr);
	fflush(stderr);
	abort();
}

void fuzz_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	json_object_seed(0x5eed);
	if (cb_auth_init() != 0) {
		fprintf(stderr, "fuzz: libsodium failed to initialise\n");
		abort();
	}
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_note(const char *fmt, ...)
{
	static int verbose = -1;
	if (verbose < 0) {
		const char *v = getenv("FUZZ_VERBOSE");
		verbose = v && *v && strcmp(v, "0") != 0;
	}
	if (!verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fuzz_note_err(const char *what, int rc, const cb_err *err)
{
	if (rc == 0)
		fuzz_note("  %s: ok", what);
	else
		fuzz_note("  %s: %d %s%s%s", what, cb_err_http_status(err->code), err->message,
			  err->nitems ? " / " : "", err->nitems ? err->items[0].field : "");
}

void fuzz_check_err(const cb_err *err)
{
	FUZZ_CHECK(err->code != CB_OK);
	FUZZ_CHECK(err->nitems >= 0 && err->nitems <= CB_ERR_MAX_FIELDS);
	FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
	FUZZ_CHECK(err->message[0] != '\0' || err->nitems > 0);
	for (int i = 0; i < err->nitems; i++) {
		FUZZ_CHECK(memchr(err->items[i].field, '\0', sizeof err->items[i].field) != NULL);
		FUZZ_CHECK(memchr(err->items[i].message, '\0', sizeof err->items[i].message) != NULL);
	}
	int st = cb_err_http_status(err->code);
	FUZZ_CHECK(st >= 400 && st <= 599);
}

/* ---- the database fixture ---- */

static cb_app app;
static char dir[512];
static char *admin_token;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (app.db)
		cb_db_close(app.db);
	app.db = NULL;
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(admin_token);
}

static void die(const char *what, const cb_err *err)
{
	fprintf(stderr, "fuzz fixture: %s: %s\n", what, err ? err->message : "");
	abort();
}

cb_app *fuzz_app(void)
{
	if (app.db)
		return &app;
	fuzz_init();
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/casebook-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	atexit(cleanup);
	cb_err err = {0};
	cb_db_opts opts = {.synchronous_full = 0};
	if (cb_db_open(&app.db, dir, &opts, &err))
		die("open", &err);
	app.data_dir = dir;
	cb_arena *a = cb_arena_new();
	char *tok = NULL;
	if (cb_setup_init(&app, a, "admin@casebook.example", FUZZ_NOW - 50LL * 86400000, &tok,
			  &err))
		die("init", &err);
	admin_token = strdup(tok);
	cb_arena_free(a);
	cb_demo_opts d = {.tickets = 12, .days = 14, .seed = 7};
	cb_demo_report r;
	if (cb_demo_load(&app, &d, FUZZ_NOW, &r, &err))
		die("demo data", &err);
	return &app;
}

const char *fuzz_admin_token(void)
{
	fuzz_app();
	return admin_token;
}

struct rollback {
	fuzz_txn_fn fn;
	void *arg;
	cb_err *err;
	int rc;
};

static int rollback_job(cb_conn *c, void *p, cb_err *jerr)
{
	struct rollback *r = p;
	r->rc = r->fn(c, r->arg, r->err);
	cb_err_set(jerr, CB_E_INTERNAL, NULL, "fuzz: always rolled back");
	return -1;
}

int fuzz_rollback(fuzz_txn_fn fn, void *arg, cb_err *err)
{
	struct rollback r = {.fn = fn, .arg = arg, .err = err, .rc = -2};
	cb_err jerr = {0};
	cb_db_write(fuzz_app()->db, rollback_job, &r, &jerr);
	FUZZ_CHECK(r.rc != -2); /* the job ran */
	return r.rc;
}
