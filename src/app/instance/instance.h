/* instance.h - a whole instance as one NDJSON stream, for moving it to
 * another machine or release (`casebook export --all` / `import --all`;
 * docs/export.md). Every table that holds the instance's state travels row
 * for row (store/dump.h says which do not), so an import into an empty
 * data directory gives the same instance, and exporting that import gives
 * the same bytes.
 *
 * The stream: a header line
 *   {"casebook":"instance","format":1,"schema":N}
 * then per table (sorted by name) a line
 *   {"table":"accounts","columns":["id","name",...]}
 * followed by one JSON array per row, values in column order (integers,
 * reals, strings, null; a blob as {"base64":"..."}, text that is not UTF-8
 * as {"text_base64":"..."}), and a last line
 *   {"end":{"tables":T,"rows":R}}
 * N is the schema version (the number of migrations) the rows belong to;
 * an import takes only its own version. */
#ifndef CB_APP_INSTANCE_H
#define CB_APP_INSTANCE_H
#include "app/app.h"
#include "app/ticket/import.h"

#define CB_INSTANCE_FORMAT 1

typedef struct {
	int64_t tables, rows;
} cb_instance_stats;

/* Writes the instance from one snapshot of c (a reader connection), one
 * row in memory at a time. */
int cb_instance_export(cb_conn *c, cb_export_write write, void *ctx, cb_instance_stats *st,
		       cb_err *err);

/* The number of lines an export would write now (for a progress line). */
int cb_instance_count(cb_conn *c, int64_t *lines, cb_err *err);

/* Hands out the next line of the input (without its newline): 1 and the
 * line, 0 at the end, -1 on a read error (with err). The line stays valid
 * until the next call. */
typedef int (*cb_line_read)(void *ctx, const char **line, size_t *len, cb_err *err);

/* Loads an export into app's database, which must hold no tickets, users
 * but the ones init made, ...: the caller gives a freshly created data
 * directory. One transaction: on any error nothing is written, and err
 * says which line was refused and why. Then indexes every ticket and
 * article for search. app->progress hears the lines read (total 0). */
int cb_instance_import(cb_app *app, cb_line_read read, void *ctx, cb_instance_stats *st,
		       cb_err *err);

#endif
