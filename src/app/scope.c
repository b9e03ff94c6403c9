/* scope.c - a unit of work's database scope (see scope.h). */
#include "app/scope.h"

cb_conn *cb_scope_begin(cb_app *app, cb_scope_kind kind, cb_err *err)
{
	cb_db_request_begin(app->db, kind == CB_SCOPE_READ);
	return cb_db_reader(app->db, err);
}

void cb_scope_end(cb_app *app, cb_conn *reader)
{
	/* a reader that is not the pooled one (the thread's own, when the pool
	 * was exhausted) must not keep a statement, and with it a read
	 * transaction, open past the request */
	if (reader)
		cb_conn_reset_all(reader);
	cb_db_request_end(app->db);
}

int cb_scope_write(cb_app *app, cb_conn *reader, cb_write_fn fn, void *arg, cb_err *err)
{
	if (reader)
		cb_conn_reset_all(reader);
	return cb_db_write(app->db, fn, arg, err);
}
