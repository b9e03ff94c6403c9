/* dump.h - the rows of a whole instance, table by table, for
 * `casebook export --all` / `import --all` (app/instance/instance.c).
 *
 * Dumped: every table of the schema, sorted by name, each in its key
 * order (its PRIMARY KEY columns, else rowid), with sqlite_sequence; not
 * dumped: SQLite's other tables, full-text indexes with their shadow tables
 * (rebuilt from the rows), and what is short-lived or per-installation:
 * browser sessions, failed logins, Idempotency-Key answers and the search
 * queue. Loading writes the rows back verbatim into a freshly migrated
 * database of the same schema version. */
#ifndef CB_STORE_DUMP_H
#define CB_STORE_DUMP_H
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

typedef enum { CB_VAL_NULL, CB_VAL_INT, CB_VAL_REAL, CB_VAL_TEXT, CB_VAL_BLOB } cb_val_type;

/* One column value; p/n (text without a terminator, blob) are valid during
 * the callback only. */
typedef struct {
	cb_val_type type;
	int64_t i;
	double r;
	const void *p;
	size_t n;
} cb_val;

/* PRAGMA user_version: the number of migrations applied. */
int cb_dump_schema_version(cb_conn *c, int *out, cb_err *err);

/* The names of the dumped tables (a NULL-terminated array to free with
 * cb_dump_names_free), sorted. */
char **cb_dump_tables(cb_conn *c, cb_err *err);
void cb_dump_names_free(char **names);

/* The number of rows of a table. */
int cb_dump_count(cb_conn *c, const char *table, int64_t *n, cb_err *err);

/* Calls fn(ctx, ncols, names, NULL) once for the table's columns, then
 * fn(ctx, ncols, names, vals) for each row in key order; a non-zero return
 * from fn stops (with err set by fn). */
typedef int (*cb_dump_fn)(void *ctx, int ncols, const char *const *names, const cb_val *vals,
			  cb_err *err);
int cb_dump_rows(cb_conn *c, const char *table, cb_dump_fn fn, void *ctx, cb_err *err);

/* Loading, inside one write transaction (a cb_db_write job): begin drops
 * the triggers (their effects are in the dump already) and defers foreign
 * keys; table empties a dumped table (migrations seed some) after checking
 * that its columns are names, in order; row inserts one row of it; end
 * checks every foreign key and recreates the triggers. */
typedef struct cb_load cb_load;
cb_load *cb_load_begin(cb_conn *c, cb_err *err);
int cb_load_table(cb_load *l, const char *table, int ncols, const char *const *names,
		  cb_err *err);
int cb_load_row(cb_load *l, const cb_val *vals, cb_err *err);
int cb_load_end(cb_load *l, cb_err *err);
void cb_load_free(cb_load *l);

#endif
