/* instance.c - a whole instance as one NDJSON stream (see instance.h).
 *
 * DESIGN
 * The stream is the rows themselves, not objects rebuilt through the use
 * cases: that is what makes it complete (password hashes, token hashes,
 * article versions, SLA instances, KPI facts, the audit log and every row a
 * later migration adds travel without code here) and byte-stable (the rows
 * come back verbatim and are dumped again in the same key order). The
 * price is that an export belongs to its schema version; a newer release
 * imports it by being given the same version's rows, so an upgrade is
 * import with the old release, then start the new one (its migrations run
 * on open). */
#include "app/instance/instance.h"
#include "app/knowledge/search_indexer.h"
#include "store/dump.h"
#include "util/alloc.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- export ---- */

struct ex {
	cb_export_write write;
	void *ctx;
	cb_instance_stats *st;
	int failed;
};

static int dump_cb(const char *buffer, size_t size, void *data)
{
	struct ex *x = data;
	if (x->failed || x->write(x->ctx, buffer, size)) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

static int put_line(struct ex *x, json_t *v, cb_err *err)
{
	int bad = json_dump_callback(v, dump_cb, x, JSON_COMPACT | JSON_ENCODE_ANY) || x->failed ||
		  x->write(x->ctx, "\n", 1);
	json_decref(v);
	if (bad) {
		x->failed = 1;
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot write the export");
	}
	return 0;
}

static json_t *b64_object(const char *key, const void *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = cb_xmalloc(len);
	sodium_bin2base64(s, len, p ? p : "", n, sodium_base64_VARIANT_ORIGINAL);
	json_t *o = json_pack("{s:s}", key, s);
	cb_free(s);
	return o;
}

static json_t *val_json(const cb_val *v)
{
	switch (v->type) {
	case CB_VAL_INT:
		return json_integer((json_int_t)v->i);
	case CB_VAL_REAL:
		return json_real(v->r);
	case CB_VAL_TEXT: {
		json_t *s = json_stringn(v->p ? v->p : "", v->n);
		return s ? s : b64_object("text_base64", v->p, v->n);
	}
	case CB_VAL_BLOB:
		return b64_object("base64", v->p, v->n);
	case CB_VAL_NULL:
		break;
	}
	return json_null();
}

static int row_out(struct ex *x, int ncols, const cb_val *vals, cb_err *err)
{
	json_t *line = json_array();
	for (int i = 0; i < ncols; i++)
		json_array_append_new(line, val_json(&vals[i]));
	x->st->rows++;
	return put_line(x, line, err);
}

/* the table line names its table: row_out only knows the columns */
struct table_ex {
	struct ex *x;
	const char *table;
};

static int table_row_out(void *ctx, int ncols, const char *const *names, const cb_val *vals,
			 cb_err *err)
{
	struct table_ex *t = ctx;
	if (vals)
		return row_out(t->x, ncols, vals, err);
	json_t *cols = json_array();
	for (int i = 0; i < ncols; i++)
		json_array_append_new(cols, json_string(names[i]));
	t->x->st->tables++;
	return put_line(t->x, json_pack("{s:s, s:o}", "table", t->table, "columns", cols), err);
}

int cb_instance_export(cb_conn *c, cb_export_write write, void *ctx, cb_instance_stats *st,
		       cb_err *err)
{
	cb_instance_stats local = {0};
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	struct ex x = {.write = write, .ctx = ctx, .st = st};
	if (cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "export_all", err)) /* one snapshot for every table */
		return -1;
	int schema = 0;
	char **tables = NULL;
	int rc = cb_dump_schema_version(c, &schema, err);
	if (rc == 0)
		rc = put_line(&x,
			      json_pack("{s:s, s:i, s:i}", "casebook", "instance", "format",
					CB_INSTANCE_FORMAT, "schema", schema),
			      err);
	if (rc == 0 && !(tables = cb_dump_tables(c, err)))
		rc = -1;
	for (size_t i = 0; rc == 0 && tables[i]; i++) {
		struct table_ex t = {.x = &x, .table = tables[i]};
		rc = cb_dump_rows(c, tables[i], table_row_out, &t, err);
	}
	cb_dump_names_free(tables);
	if (rc == 0)
		rc = put_line(&x,
			      json_pack("{s:{s:I, s:I}}", "end", "tables", (json_int_t)st->tables,
					"rows", (json_int_t)st->rows),
			      err);
	cb_err e2 = {0};
	cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "export_all", rc ? &e2 : err);
	return rc || err->code ? -1 : 0;
}

int cb_instance_count(cb_conn *c, int64_t *lines, cb_err *err)
{
	char **tables = cb_dump_tables(c, err);
	if (!tables)
		return -1;
	int64_t n = 2; /* the header and the end line */
	int rc = 0;
	for (size_t i = 0; rc == 0 && tables[i]; i++) {
		int64_t rows = 0;
		rc = cb_dump_count(c, tables[i], &rows, err);
		n += 1 + rows;
	}
	cb_dump_names_free(tables);
	*lines = n;
	return rc;
}

/* ---- import ---- */

struct im {
	cb_app *app;
	cb_line_read read;
	void *ctx;
	cb_instance_stats *st;
	int64_t lineno;
};

/* Next non-blank line, parsed: 1, 0 at the end, -1 with err. */
static int next_json(struct im *m, json_t **out, cb_err *err)
{
	const char *s;
	size_t n;
	int r;
	while ((r = m->read(m->ctx, &s, &n, err)) == 1) {
		if (++m->lineno % 1000 == 0)
			cb_progress_report(&m->app->progress, m->lineno, 0);
		size_t k = 0;
		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
			k++;
		if (k == n)
			continue;
		json_error_t je;
		*out = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (!*out)
			return cb_err_set(err, CB_E_BADREQ, "", "line %lld: malformed JSON at column %d: %s",
					  (long long)m->lineno, je.column, je.text);
		return 1;
	}
	return r;
}

/* A row's values; blobs decoded into bufs[i] (freed by the caller). */
static int decode_row(json_t *row, int ncols, cb_val *vals, unsigned char **bufs, int64_t line,
		      cb_err *err)
{
	if ((int)json_array_size(row) != ncols)
		return cb_err_set(err, CB_E_INVALID, "", "line %lld: %zu values for %d columns",
				  (long long)line, json_array_size(row), ncols);
	for (int i = 0; i < ncols; i++) {
		json_t *v = json_array_get(row, (size_t)i);
		cb_val *o = &vals[i];
		memset(o, 0, sizeof *o);
		if (json_is_null(v)) {
			o->type = CB_VAL_NULL;
		} else if (json_is_integer(v)) {
			o->type = CB_VAL_INT;
			o->i = (int64_t)json_integer_value(v);
		} else if (json_is_real(v)) {
			o->type = CB_VAL_REAL;
			o->r = json_real_value(v);
		} else if (json_is_string(v)) {
			o->type = CB_VAL_TEXT;
			o->p = json_string_value(v);
			o->n = json_string_length(v);
		} else if (json_is_object(v) && json_object_size(v) == 1 &&
			   (json_is_string(json_object_get(v, "base64")) ||
			    json_is_string(json_object_get(v, "text_base64")))) {
			int blob = json_object_get(v, "base64") != NULL;
			const char *b = json_string_value(json_object_get(v, blob ? "base64" : "text_base64"));
			size_t len = strlen(b), got = 0;
			bufs[i] = cb_xmalloc(len / 4 * 3 + 3);
			if (sodium_base642bin(bufs[i], len / 4 * 3 + 3, b, len, NULL, &got, NULL,
					      sodium_base64_VARIANT_ORIGINAL))
				return cb_err_set(err, CB_E_INVALID, "", "line %lld: value %d is not valid base64",
						  (long long)line, i + 1);
			o->type = blob ? CB_VAL_BLOB : CB_VAL_TEXT;
			o->p = bufs[i];
			o->n = got;
		} else {
			return cb_err_set(err, CB_E_INVALID, "", "line %lld: value %d is not a column value",
					  (long long)line, i + 1);
		}
	}
	return 0;
}

/* long: one pass over the dump's sections in file order */
static int load_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct im *m = arg;
	json_t *v = NULL;
	int r = next_json(m, &v, err);
	if (r <= 0)
		return r < 0 ? -1 : cb_err_set(err, CB_E_BADREQ, "", "the input is empty");
	int schema = 0;
	if (cb_dump_schema_version(c, &schema, err)) {
		json_decref(v);
		return -1;
	}
	const char *kind = json_string_value(json_object_get(v, "casebook"));
	json_t *fmt = json_object_get(v, "format"), *sch = json_object_get(v, "schema");
	int rc = 0;
	if (!kind || strcmp(kind, "instance") != 0)
		rc = cb_err_set(err, CB_E_INVALID, "", "line 1: not an instance export (casebook export --all)");
	else if (!json_is_integer(fmt) || json_integer_value(fmt) != CB_INSTANCE_FORMAT)
		rc = cb_err_set(err, CB_E_INVALID, "", "line 1: unknown format (this version reads format %d)",
				CB_INSTANCE_FORMAT);
	else if (!json_is_integer(sch) || json_integer_value(sch) != schema)
		rc = cb_err_set(err, CB_E_INVALID, "",
				"line 1: the export has schema version %lld, this release %d: import it with "
				"the release that wrote it, then start this one",
				(long long)json_integer_value(sch), schema);
	json_decref(v);
	if (rc)
		return -1;
	cb_load *l = cb_load_begin(c, err);
	if (!l)
		return -1;
	int ncols = -1, ended = 0;
	cb_val *vals = NULL;
	unsigned char **bufs = NULL;
	while (rc == 0 && (r = next_json(m, &v, err)) == 1) {
		if (ended) {
			rc = cb_err_set(err, CB_E_INVALID, "", "line %lld: data after the end line",
					(long long)m->lineno);
		} else if (json_is_array(v)) {
			if (ncols < 0) {
				rc = cb_err_set(err, CB_E_INVALID, "", "line %lld: a row before its table line",
						(long long)m->lineno);
			} else {
				rc = decode_row(v, ncols, vals, bufs, m->lineno, err);
				if (rc == 0 && cb_load_row(l, vals, err)) {
					char msg[sizeof err->message];
					snprintf(msg, sizeof msg, "line %lld: %.200s", (long long)m->lineno,
						 err->message);
					memcpy(err->message, msg, sizeof msg);
					rc = -1;
				}
				for (int i = 0; i < ncols; i++) {
					cb_free(bufs[i]);
					bufs[i] = NULL;
				}
				m->st->rows += rc == 0;
			}
		} else if (json_is_string(json_object_get(v, "table")) &&
			   json_is_array(json_object_get(v, "columns"))) {
			json_t *cols = json_object_get(v, "columns");
			size_t n = json_array_size(cols);
			const char **names = cb_xcalloc(n + 1, sizeof *names);
			for (size_t i = 0; i < n; i++)
				if (!(names[i] = json_string_value(json_array_get(cols, i))))
					names[i] = "";
			const char *table = json_string_value(json_object_get(v, "table"));
			if (cb_load_table(l, table, (int)n, names, err)) {
				char msg[sizeof err->message];
				snprintf(msg, sizeof msg, "line %lld: %.200s", (long long)m->lineno, err->message);
				memcpy(err->message, msg, sizeof msg);
				rc = -1;
			}
			cb_free(names);
			cb_free(vals);
			cb_free(bufs);
			ncols = (int)n;
			vals = cb_xcalloc(n + 1, sizeof *vals);
			bufs = cb_xcalloc(n + 1, sizeof *bufs);
			m->st->tables += rc == 0;
		} else if (json_is_object(json_object_get(v, "end"))) {
			json_t *e = json_object_get(v, "end");
			if (json_integer_value(json_object_get(e, "tables")) != m->st->tables ||
			    json_integer_value(json_object_get(e, "rows")) != m->st->rows)
				rc = cb_err_set(err, CB_E_INVALID, "",
						"line %lld: the end line counts %lld tables and %lld rows, the "
						"input holds %lld and %lld",
						(long long)m->lineno,
						(long long)json_integer_value(json_object_get(e, "tables")),
						(long long)json_integer_value(json_object_get(e, "rows")),
						(long long)m->st->tables, (long long)m->st->rows);
			ended = 1;
		} else {
			rc = cb_err_set(err, CB_E_INVALID, "",
					"line %lld: neither a table line, a row nor the end line",
					(long long)m->lineno);
		}
		json_decref(v);
	}
	if (r < 0)
		rc = -1;
	if (rc == 0 && !ended)
		rc = cb_err_set(err, CB_E_INVALID, "", "the input ends before its end line (cut short?)");
	if (rc == 0)
		rc = cb_load_end(l, err);
	cb_free(vals);
	cb_free(bufs);
	cb_load_free(l);
	return rc ? -1 : 0;
}

int cb_instance_import(cb_app *app, cb_line_read read, void *ctx, cb_instance_stats *st,
		       cb_err *err)
{
	cb_instance_stats local = {0};
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	struct im m = {.app = app, .read = read, .ctx = ctx, .st = st};
	if (cb_db_write(app->db, load_fn, &m, err))
		return -1;
	cb_progress_report(&app->progress, m.lineno, 0);
	int64_t n = 0;
	return cb_searchsvc_indexer_drain(app, &n, err);
}
