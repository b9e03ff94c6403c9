/* dump.c - the rows of a whole instance (see dump.h). The table list comes
 * from the schema itself, so a table added by a later migration is dumped
 * without a change here; only what must not travel is named. */
#include "store/dump.h"
#include "store/internal.h"
#include "util/alloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define ST(q) ((sqlite3_stmt *)(q))

static const char SQL_DUMP_TABLES[] =
	"SELECT name FROM sqlite_master m WHERE type = 'table'"
	" AND (name NOT LIKE 'sqlite\\_%' ESCAPE '\\' OR name = 'sqlite_sequence')"
	" AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL TABLE%'"
	" AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table'"
	"   AND v.sql LIKE 'CREATE VIRTUAL TABLE%' AND m.name LIKE v.name || '\\_%' ESCAPE '\\')"
	" AND name NOT IN ('sessions', 'login_failures', 'idempotency', 'search_pending')"
	" ORDER BY name";
static const char SQL_DUMP_KEY[] =
	"SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk";
static const char SQL_DUMP_TRIGGERS[] =
	"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name";
/* the full-text index is not dumped: every ticket and article is queued
 * for the indexer (app/knowledge/search_indexer.c) */
static const char SQL_LOAD_REINDEX[] =
	"INSERT OR IGNORE INTO search_pending(kind, id) SELECT 1, id FROM tickets;"
	"INSERT OR IGNORE INTO search_pending(kind, id) SELECT 2, id FROM articles;";

int cb_dump_schema_version(cb_conn *c, int *out, cb_err *err)
{
	cb_q *q = cb_q_prepare(c, "PRAGMA user_version", err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	*out = r == 1 ? (int)cb_q_i64(q, 0) : 0;
	cb_q_free(q);
	return r < 0 ? -1 : 0;
}

void cb_dump_names_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		cb_free(names[i]);
	cb_free(names);
}

char **cb_dump_tables(cb_conn *c, cb_err *err)
{
	cb_q *q = cb_q_prepare(c, SQL_DUMP_TABLES, err);
	if (!q)
		return NULL;
	size_t n = 0, cap = 64;
	char **names = cb_xcalloc(cap, sizeof *names);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n + 1 >= cap) {
			names = cb_xrealloc(names, 2 * cap * sizeof *names);
			memset(names + cap, 0, cap * sizeof *names);
			cap *= 2;
		}
		names[n++] = cb_xstrdup(cb_q_text(q, 0));
	}
	cb_q_free(q);
	if (r < 0) {
		cb_dump_names_free(names);
		return NULL;
	}
	return names;
}

/* "name" with its quotes doubled, appended to buf. */
static void quoted(char *buf, size_t cap, const char *name)
{
	size_t n = strlen(buf);
	if (n + 1 < cap)
		buf[n++] = '"';
	for (const char *p = name; *p && n + 2 < cap; p++) {
		if (*p == '"')
			buf[n++] = '"';
		buf[n++] = *p;
	}
	if (n + 1 < cap)
		buf[n++] = '"';
	buf[n] = '\0';
}

static void get_val(sqlite3_stmt *st, int i, cb_val *v)
{
	memset(v, 0, sizeof *v);
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		v->type = CB_VAL_INT;
		v->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		v->type = CB_VAL_REAL;
		v->r = sqlite3_column_double(st, i);
		break;
	case SQLITE_TEXT:
		v->type = CB_VAL_TEXT;
		v->p = sqlite3_column_text(st, i);
		v->n = (size_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		v->type = CB_VAL_BLOB;
		v->p = sqlite3_column_blob(st, i);
		v->n = (size_t)sqlite3_column_bytes(st, i);
		break;
	default:
		v->type = CB_VAL_NULL;
	}
}

int cb_dump_count(cb_conn *c, const char *table, int64_t *n, cb_err *err)
{
	char sql[512] = "SELECT count(*) FROM ";
	quoted(sql, sizeof sql, table);
	cb_q *q = cb_q_prepare(c, sql, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	*n = r == 1 ? cb_q_i64(q, 0) : 0;
	cb_q_free(q);
	return r == 1 ? 0 : -1;
}

int cb_dump_rows(cb_conn *c, const char *table, cb_dump_fn fn, void *ctx, cb_err *err)
{
	char sql[1024] = "SELECT * FROM ";
	quoted(sql, sizeof sql, table);
	strcat(sql, " ORDER BY ");
	cb_q *k = cb_q_prepare(c, SQL_DUMP_KEY, err);
	if (!k)
		return -1;
	cb_q_bind_text(k, 1, table);
	int nkey = 0, r;
	while ((r = cb_q_step(k, err)) == 1) {
		if (nkey++)
			strcat(sql, ", ");
		quoted(sql, sizeof sql - 16, cb_q_text(k, 0));
	}
	cb_q_free(k);
	if (r < 0)
		return -1;
	if (nkey == 0)
		strcat(sql, "rowid");
	cb_q *q = cb_q_prepare(c, sql, err);
	if (!q)
		return -1;
	sqlite3_stmt *st = ST(q);
	int ncols = sqlite3_column_count(st);
	const char **names = cb_xcalloc((size_t)ncols + 1, sizeof *names);
	cb_val *vals = cb_xcalloc((size_t)ncols + 1, sizeof *vals);
	for (int i = 0; i < ncols; i++)
		names[i] = sqlite3_column_name(st, i);
	int rc = fn(ctx, ncols, names, NULL, err);
	while (rc == 0 && (r = cb_q_step(q, err)) == 1) {
		for (int i = 0; i < ncols; i++)
			get_val(st, i, &vals[i]);
		rc = fn(ctx, ncols, names, vals, err);
	}
	if (rc == 0 && r < 0)
		rc = -1;
	cb_q_free(q);
	cb_free(vals);
	cb_free(names);
	return rc ? -1 : 0;
}

/* ---- loading ---- */

struct cb_load {
	cb_conn *c;
	char **tables;  /* the tables a dump may hold */
	int *loaded;    /* per table: seen already */
	char **trig;    /* the dropped triggers' CREATE statements */
	size_t ntrig;
	sqlite3_stmt *ins; /* the current table's INSERT */
	int ncols;
	char table[256];
};

void cb_load_free(cb_load *l)
{
	if (!l)
		return;
	if (l->ins)
		sqlite3_finalize(l->ins);
	cb_dump_names_free(l->tables);
	for (size_t i = 0; i < l->ntrig; i++)
		cb_free(l->trig[i]);
	cb_free(l->trig);
	cb_free(l->loaded);
	cb_free(l);
}

cb_load *cb_load_begin(cb_conn *c, cb_err *err)
{
	cb_load *l = cb_xcalloc(1, sizeof *l);
	l->c = c;
	if (!(l->tables = cb_dump_tables(c, err)))
		goto fail;
	size_t n = 0;
	while (l->tables[n])
		n++;
	l->loaded = cb_xcalloc(n + 1, sizeof *l->loaded);
	if (cb_conn_exec(c, "PRAGMA defer_foreign_keys = ON", err))
		goto fail;
	cb_q *q = cb_q_prepare(c, SQL_DUMP_TRIGGERS, err);
	if (!q)
		goto fail;
	int r;
	char **names = NULL;
	while ((r = cb_q_step(q, err)) == 1) {
		l->trig = cb_xrealloc(l->trig, (l->ntrig + 1) * sizeof *l->trig);
		names = cb_xrealloc(names, (l->ntrig + 1) * sizeof *names);
		l->trig[l->ntrig] = cb_xstrdup(cb_q_text(q, 1));
		names[l->ntrig++] = cb_xstrdup(cb_q_text(q, 0));
	}
	cb_q_free(q);
	int rc = r < 0 ? -1 : 0;
	for (size_t i = 0; i < l->ntrig; i++) {
		char sql[512] = "DROP TRIGGER ";
		quoted(sql, sizeof sql, names[i]);
		if (rc == 0)
			rc = cb_conn_exec(c, sql, err);
		cb_free(names[i]);
	}
	cb_free(names);
	if (rc)
		goto fail;
	return l;
fail:
	cb_load_free(l);
	return NULL;
}

int cb_load_table(cb_load *l, const char *table, int ncols, const char *const *names,
		  cb_err *err)
{
	if (l->ins) {
		sqlite3_finalize(l->ins);
		l->ins = NULL;
	}
	int k = -1;
	for (int i = 0; l->tables[i]; i++)
		if (strcmp(l->tables[i], table) == 0)
			k = i;
	if (k < 0)
		return cb_err_set(err, CB_E_INVALID, "table", "table %.100s is not part of an instance",
				  table);
	if (l->loaded[k])
		return cb_err_set(err, CB_E_INVALID, "table", "table %.100s appears twice", table);
	l->loaded[k] = 1;
	char sql[1024] = "SELECT * FROM ";
	quoted(sql, sizeof sql, table);
	strcat(sql, " LIMIT 0");
	cb_q *q = cb_q_prepare(l->c, sql, err);
	if (!q)
		return -1;
	int have = sqlite3_column_count(ST(q));
	int same = have == ncols;
	for (int i = 0; same && i < ncols; i++)
		same = strcmp(sqlite3_column_name(ST(q), i), names[i]) == 0;
	cb_q_free(q);
	if (!same)
		return cb_err_set(err, CB_E_INVALID, "columns",
				  "the columns of %.100s differ from this version's", table);
	snprintf(sql, sizeof sql, "DELETE FROM ");
	quoted(sql, sizeof sql, table);
	if (cb_conn_exec(l->c, sql, err))
		return -1;
	size_t cap = 64 + strlen(table) * 2 + (size_t)ncols * 2;
	char *ins = cb_xmalloc(cap);
	snprintf(ins, cap, "INSERT INTO ");
	quoted(ins, cap, table);
	strcat(ins, " VALUES (");
	for (int i = 0; i < ncols; i++)
		strcat(ins, i ? ",?" : "?");
	strcat(ins, ")");
	q = cb_q_prepare(l->c, ins, err);
	cb_free(ins);
	if (!q)
		return -1;
	l->ins = ST(q);
	l->ncols = ncols;
	snprintf(l->table, sizeof l->table, "%s", table);
	return 0;
}

int cb_load_row(cb_load *l, const cb_val *vals, cb_err *err)
{
	if (!l->ins)
		return cb_err_set(err, CB_E_INVALID, "", "a row before its table");
	sqlite3_stmt *st = l->ins;
	for (int i = 0; i < l->ncols; i++) {
		const cb_val *v = &vals[i];
		switch (v->type) {
		case CB_VAL_NULL:
			sqlite3_bind_null(st, i + 1);
			break;
		case CB_VAL_INT:
			sqlite3_bind_int64(st, i + 1, v->i);
			break;
		case CB_VAL_REAL:
			sqlite3_bind_double(st, i + 1, v->r);
			break;
		case CB_VAL_TEXT:
			sqlite3_bind_text(st, i + 1, v->p ? v->p : "", (int)v->n, SQLITE_TRANSIENT);
			break;
		case CB_VAL_BLOB:
			sqlite3_bind_blob(st, i + 1, v->p ? v->p : "", (int)v->n, SQLITE_TRANSIENT);
			break;
		}
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return cb_err_set(err, CB_E_INVALID, "", "a row of %.100s was refused: %.120s", l->table,
				  sqlite3_errstr(rc));
	return 0;
}

int cb_load_end(cb_load *l, cb_err *err)
{
	if (l->ins) {
		sqlite3_finalize(l->ins);
		l->ins = NULL;
	}
	for (int i = 0; l->tables[i]; i++)
		if (!l->loaded[i])
			return cb_err_set(err, CB_E_INVALID, "table", "table %.100s is missing",
					  l->tables[i]);
	cb_q *q = cb_q_prepare(l->c, "PRAGMA foreign_key_check", err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r == 1) {
		cb_err_set(err, CB_E_INVALID, "", "a row of %.100s (rowid %lld) refers to a missing row of %.100s",
			   cb_q_text(q, 0), (long long)cb_q_i64(q, 1), cb_q_text(q, 2));
		r = -1;
	}
	cb_q_free(q);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < l->ntrig; i++)
		if (cb_conn_exec(l->c, l->trig[i], err))
			return -1;
	return cb_conn_exec(l->c, SQL_LOAD_REINDEX, err);
}
