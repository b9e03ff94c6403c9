/* import.h - bulk import and export of tickets with their timelines
 * (docs/openapi.yaml, `ImportTicket`). The HTTP API (api/h_import.c) and the CLI
 * (cli/cmd_import.c) both call these functions.
 *
 * Import: the input is NDJSON (one ticket per line; blank lines are skipped
 * and not counted) or a JSON array (elements counted from 1). Lines are
 * parsed on the calling thread, then written in batches: one cb_db_write()
 * job per batch, so a large import costs one group commit per batch rather
 * than per line. A failed line is rolled back alone (it runs again inside
 * a savepoint of its own only when the batch holds a failure: see
 * import.c) and reported. Each line runs cb_import_one(): cb_ticketsvc_create()
 * with CB_TICKET_IMPORT (the system as actor, the clock at created_at), then
 * cb_ticketsvc_import_event() for each event in order - the code paths of live
 * requests. A malformed line (bad JSON, invalid UTF-8) is a per-line 400, an
 * invalid one 422 (unknown account, agent or group, an event after close),
 * a duplicate external_id 409. Results reach the caller through a sink,
 * in line order, after the batch holding them has committed; app->progress
 * hears the lines done of the total after each batch.
 *
 * Export: every ticket in ascending id order as one NDJSON line in the
 * import format, so that exporting, importing the export into an instance
 * with the same accounts, users and groups, and exporting again gives the
 * same bytes:
 *   - external_id: the ticket's, or "casebook-<id>" when it has none (the
 *     re-imported ticket then keeps it, so the round trip is stable and a
 *     second import of the same file reports 409s instead of duplicating);
 *   - the header fields as they were at creation (the `created` event):
 *     subject, description, requester (e-mail), account (name), priority,
 *     category, tags, assignee (e-mail), group (name), environment,
 *     custom_fields, created_at; empty values (null, [], {}) are omitted;
 *   - events: every stored event after `created` except automatic status
 *     changes (data.auto) and SLA notes, which the import re-derives;
 *     references become e-mails and names, "author" is omitted for system
 *     events; links to defects (tracker, key), problems and incidents
 *     (title) and articles (title, article_type, visibility) are named, and
 *     imported as timeline history (they link nothing);
 *   - attachments: each file with its name, type, size, sha256, creation
 *     time, "event" (index in events, absent for the creation) and its
 *     bytes in content_base64; the import checks size and sha256.
 * Not carried: the follow-up link of a follow-up ticket (it exports as a
 * plain ticket). Times are RFC 3339, milliseconds only when non-zero. */
#ifndef CB_APP_IMPORT_H
#define CB_APP_IMPORT_H
#include <jansson.h>
#include <stdio.h>

#include "app/app.h"

#define CB_IMPORT_BATCH 500 /* lines per write job */

typedef enum {
	CB_IMPORT_NDJSON, /* one ticket per line */
	CB_IMPORT_ARRAY,  /* a JSON array of tickets */
} cb_import_format;

/* The outcome of one line, valid during the sink call only. */
typedef struct {
	int64_t line;            /* 1-based (non-empty lines / array elements) */
	int64_t id;              /* the new ticket's id; 0 when the line failed */
	const char *external_id; /* the line's external_id, NULL if none or unparsable */
	const cb_err *err;       /* NULL when imported */
} cb_import_result;

/* Receives each line's result; returning non-zero stops the import after the
 * current batch (cb_import_tickets then fails with CB_E_INTERNAL). */
typedef int (*cb_import_sink)(void *ctx, const cb_import_result *r);

typedef struct {
	int batch;           /* lines per write job; 0 = CB_IMPORT_BATCH */
	cb_import_sink sink; /* may be NULL */
	void *ctx;
} cb_import_opts;

typedef struct {
	int64_t imported, failed;
} cb_import_stats;

/* Guesses the format of a buffer: an array when its first non-blank byte is '['. */
cb_import_format cb_import_sniff(const char *data, size_t len);

/* Imports every ticket of data[0..len). `now` stamps what has no time of its
 * own. Returns 0 when the input was processed (per-line failures are in
 * stats and the sink), -1 with err when the request itself is bad (an array
 * whose structure is broken: 400, nothing written) or a write job failed
 * (earlier batches stay committed). */
int cb_import_tickets(cb_app *app, cb_ms now, const char *data, size_t len,
		      cb_import_format fmt, const cb_import_opts *opts, cb_import_stats *stats,
		      cb_err *err);

/* The same for input read from f (from its start; it must be seekable when
 * fmt is CB_IMPORT_ARRAY: the array is checked in a first pass). Memory is
 * bounded by a batch of parsed lines and the longest line, whatever the
 * input's size. */
int cb_import_tickets_file(cb_app *app, cb_ms now, FILE *f, cb_import_format fmt,
			   const cb_import_opts *opts, cb_import_stats *stats, cb_err *err);

/* Imports one parsed ticket (create, then its events) inside the caller's
 * write transaction, without a savepoint of its own: on failure the caller
 * rolls back. Event errors name the field as events[i].field. */
int cb_import_one(cb_conn *c, cb_ms now, json_t *ticket, int64_t *out_id, cb_err *err);

/* Writes n bytes of export output; non-zero aborts the export. */
typedef int (*cb_export_write)(void *ctx, const char *p, size_t n);

/* Exports every ticket (see above) from a consistent snapshot of c (a reader
 * connection, or the writer inside a transaction), one ticket in memory at a
 * time. *count (may be NULL) gets the number of tickets written. */
int cb_export_tickets(cb_conn *c, cb_export_write write, void *ctx, int64_t *count,
		      cb_err *err);
/* The number of tickets an export would write now (for a progress line). */
int cb_export_count(cb_conn *c, int64_t *n, cb_err *err);
/* The export line of one ticket (a new object), for tests and single reads. */
json_t *cb_export_ticket(cb_conn *c, int64_t id, cb_err *err);

#endif
