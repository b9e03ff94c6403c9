/* scope.h - the database scope of one unit of work (an HTTP request, a
 * use case that owns its transactions): the only way outside store/ and
 * the app/ use cases to hold a connection or to run a change.
 *
 * A request's scope is opened by the dispatcher (api/dispatch.c) from its
 * route's row, never by a handler:
 *   CB_SCOPE_READ   a reader lent from the pool with one snapshot for the
 *                   whole request: every statement sees the same database
 *                   state and none pays for its own transaction.
 *   CB_SCOPE_WRITE  a reader without a snapshot (a write route's own checks
 *                   read the latest commit); its change runs in the group
 *                   commit through cb_scope_write.
 * cb_scope_end ends the scope's reads (every statement reset, the snapshot
 * closed) and gives the reader back.
 *
 * cb_scope_write runs fn on the writer connection inside its own savepoint
 * of the next group commit and returns only after that commit is durable
 * (0), or with the error and nothing written (-1; CB_E_BUSY when the
 * writer's queue refused it). Before it queues the job the reads of the
 * caller's scope (reader, may be NULL) are ended, so the request's
 * snapshot moves past its own commit: a request reads what it wrote. */
#ifndef CB_APP_SCOPE_H
#define CB_APP_SCOPE_H
#include "app/app.h"

typedef enum {
	CB_SCOPE_READ,
	CB_SCOPE_WRITE,
} cb_scope_kind;

/* The calling thread's reader for the scope; NULL with err when no
 * connection can be opened (the scope must still be ended). */
cb_conn *cb_scope_begin(cb_app *app, cb_scope_kind kind, cb_err *err);
void cb_scope_end(cb_app *app, cb_conn *reader);

int cb_scope_write(cb_app *app, cb_conn *reader, cb_write_fn fn, void *arg, cb_err *err);

#endif
