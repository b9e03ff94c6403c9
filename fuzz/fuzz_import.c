/* fuzz_import.c - bulk import bodies (POST /import/tickets, `casebook
 * import`): the NDJSON / JSON-array splitter, per-line parsing and
 * cb_import_one for every line, against the demo data in a write job that
 * is always rolled back.
 *
 * app/ticket/import.c is compiled into this harness (#include below) so the
 * splitter, parse_item() and batch_fn() - the code cb_import_tickets runs -
 * are driven directly, inside a transaction the harness rolls back;
 * cb_import_tickets itself commits. The library's import.o is then not
 * linked (the harness links an archive and defines the same symbols).
 *
 * Input: the body (at most 64 lines are imported). Invariants: a broken
 * array is a 400 before anything is parsed; every line either imports or
 * fails with a proper error (never a 500); an imported ticket's stored row
 * equals the fold of its events, and its export line imports again (under a
 * new external_id) to a ticket whose export line is the same. */
#include "app/ticket/import.c"

#include "common.h"

#define MAX_LINES 64

struct run {
	struct batch b;
};

static void round_trip(cb_conn *c, int64_t id)
{
	cb_err e = {0};
	FUZZ_CHECK(cb_ticketsvc_verify_fold(c, id, &e) == 1);
	json_t *line = cb_export_ticket(c, id, &e);
	FUZZ_CHECK(line != NULL);
	json_t *ext = json_incref(json_object_get(line, "external_id"));
	FUZZ_CHECK(json_is_string(ext));
	char *rt = cb_xstrdup(json_string_value(ext));
	json_object_set_new(line, "external_id", json_sprintf("fuzz-rt-%lld", (long long)id));
	int64_t id2 = 0;
	cb_err e2 = {0};
	if (cb_import_one(c, FUZZ_NOW, line, &id2, &e2) != 0) {
		fprintf(stderr, "re-import of the export of ticket %lld failed: %s\n", (long long)id,
			e2.message);
		FUZZ_CHECK(!"an export line imports");
	}
	json_t *line2 = cb_export_ticket(c, id2, &e2);
	FUZZ_CHECK(line2 != NULL);
	json_object_set(line2, "external_id", ext);
	json_object_set(line, "external_id", ext);
	if (!json_equal(line, line2)) {
		char *a = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
		char *b = json_dumps(line2, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "export differs after re-import:\n%s\n%s\n", a, b);
		free(a);
		free(b);
		FUZZ_CHECK(!"export -> import -> export is stable");
	}
	cb_free(rt);
	json_decref(ext);
	json_decref(line);
	json_decref(line2);
}

static int job(cb_conn *c, void *arg, cb_err *err)
{
	struct run *r = arg;
	if (batch_fn(c, &r->b, err) != 0)
		return -1;
	for (int i = 0; i < r->b.n; i++) {
		struct item *it = &r->b.it[i];
		if (it->v && !it->err.code)
			round_trip(c, it->id);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_app();
	const char *d = (const char *)data;
	cb_import_format fmt = cb_import_sniff(d, size);
	cb_err err = {0};
	array_scan sc = {0};
	struct src in = {.d = d, .len = size, .eof = 1}; /* the whole body in memory */
	size_t pos = 0;
	const char *s;
	size_t n;
	if (fmt == CB_IMPORT_ARRAY) {
		FUZZ_CHECK(array_begin(&in, &sc, &err) == 0);
		int r;
		while ((r = array_next(&in, &sc, &s, &n, &err)) == 1)
			;
		if (r < 0) {
			fuzz_note_err("array", r, &err);
			fuzz_check_err(&err);
			FUZZ_CHECK(err.code == CB_E_BADREQ);
			return 0;
		}
		array_begin(&in, &sc, &err);
	}
	struct item items[MAX_LINES];
	struct run run = {.b = {.now = FUZZ_NOW, .it = items, .n = 0}};
	while (run.b.n < MAX_LINES) {
		int r = fmt == CB_IMPORT_NDJSON ? ndjson_next(&in, &pos, &s, &n, &err)
						: array_next(&in, &sc, &s, &n, &err);
		if (r <= 0) {
			FUZZ_CHECK(r == 0);
			break;
		}
		FUZZ_CHECK(s >= d && n > 0 && s + n <= d + size);
		struct item *it = &items[run.b.n++];
		memset(it, 0, sizeof *it);
		it->line = run.b.n;
		parse_item(it, s, n, fmt);
	}
	int writes = 0;
	for (int i = 0; i < run.b.n; i++)
		writes |= items[i].v && !items[i].err.code;
	if (writes) {
		int rc = fuzz_rollback(job, &run, &err);
		if (rc != 0) {
			fprintf(stderr, "batch failed: %s\n", err.message);
			FUZZ_CHECK(rc == 0);
		}
	}
	for (int i = 0; i < run.b.n; i++) {
		struct item *it = &items[i];
		char what[32];
		snprintf(what, sizeof what, "line %d", i + 1);
		fuzz_note_err(what, it->v && !it->err.code ? 0 : -1, &it->err);
		if (!it->v || it->err.code) {
			fuzz_check_err(&it->err);
			if (it->err.code == CB_E_INTERNAL)
				fprintf(stderr, "line %d: 500: %s\n", i + 1, it->err.message);
			FUZZ_CHECK(it->err.code != CB_E_INTERNAL);
		} else {
			FUZZ_CHECK(it->id > 0);
		}
		json_decref(it->v);
	}
	return 0;
}
