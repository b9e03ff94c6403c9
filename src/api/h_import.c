/* h_import.c - bulk import and export of tickets over HTTP (docs/openapi.yaml,
 * `ImportTicket`). The work is app/ticket/import.c's; this file maps content types, the
 * per-line results and the export stream to HTTP.
 *
 * The body arrives spooled to a temporary file (CB_R_SPOOL: http/server.c)
 * and is imported from there a batch at a time, so a large import never
 * sits in memory. The import is not one transaction: each batch of lines commits on its
 * own (app/ticket/import.h), so the answer lists what was written line by line. An
 * Idempotency-Key stores that answer after the last batch. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/idempotency.h"
#include "app/ticket/import.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_dump(const char *p, size_t n, void *data)
{
	cb_buf_append(data, p, n);
	return 0;
}

/* The per-line problem object (as api/util.c renders a request's). */
static json_t *line_problem(const cb_err *e)
{
	char type[128];
	snprintf(type, sizeof type, "https://casebook.dev/problems/%s", cb_err_type(e->code));
	json_t *items = json_array();
	for (int i = 0; i < e->nitems; i++)
		json_array_append_new(items, json_pack("{s:s, s:s}", "field", e->items[i].field,
						       "message", e->items[i].message));
	return json_pack("{s:s, s:s, s:i, s:s, s:o}", "type", type, "title", cb_err_title(e->code),
			 "status", cb_err_http_status(e->code), "detail", e->message, "errors",
			 items);
}

struct results {
	cb_buf buf; /* the "results" array's elements, comma-separated */
	int any;
};

static int result_sink(void *ctx, const cb_import_result *r)
{
	struct results *rs = ctx;
	json_t *o;
	if (r->err)
		o = json_pack("{s:I, s:o}", "line", (json_int_t)r->line, "error", line_problem(r->err));
	else
		o = json_pack("{s:I, s:I, s:o}", "line", (json_int_t)r->line, "id", (json_int_t)r->id,
			      "external_id",
			      r->external_id ? json_string(r->external_id) : json_null());
	if (rs->any)
		cb_buf_append(&rs->buf, ",", 1);
	rs->any = 1;
	json_dump_callback(o, buf_dump, &rs->buf, JSON_COMPACT);
	json_decref(o);
	return 0;
}

static void buf_release(void *p)
{
	cb_free(p);
}

int cb_h_import_tickets(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_import_format fmt;
	const char *ct = req->content_type;
	if (ct && cb_api_media_is(ct, "application/x-ndjson"))
		fmt = CB_IMPORT_NDJSON;
	else if (ct && cb_api_media_is(ct, "application/json"))
		fmt = CB_IMPORT_ARRAY;
	else
		return cb_err_set(err, CB_E_MEDIA, "Content-Type",
				  "expected application/x-ndjson or application/json");
	if (req->body_len == 0)
		return cb_err_set(err, CB_E_BADREQ, "", "request body is empty");
	struct results rs = {0};
	cb_import_opts o = {.sink = result_sink, .ctx = &rs};
	cb_import_stats st;
	/* the body is spooled to a file (CB_R_SPOOL) and read a batch at a time */
	int rc = req->body_file ? cb_import_tickets_file(req->app, req->now, req->body_file, fmt, &o,
							 &st, err)
				: cb_import_tickets(req->app, req->now, req->body, req->body_len, fmt,
						    &o, &st, err);
	if (rc) {
		cb_buf_free(&rs.buf);
		return -1;
	}
	cb_buf out = {0};
	cb_buf_printf(&out, "{\"imported\":%lld,\"failed\":%lld,\"results\":[",
		      (long long)st.imported, (long long)st.failed);
	if (rs.buf.len)
		cb_buf_append(&out, rs.buf.p, rs.buf.len);
	cb_buf_puts(&out, "]}");
	cb_buf_free(&rs.buf);
	if (req->idem_fingerprint) {
		/* the lines are written; a failure to remember the answer is not the import's */
		cb_err e2 = {0};
		cb_idem_remember(req->app, req->actor.user_id, req->idempotency_key,
				 req->idem_fingerprint, 200, out.p, req->now, &e2);
	}
	cb_arena_defer(req->arena, buf_release, out.p);
	resp->status = 200;
	resp->content_type = "application/json";
	resp->body = out.p;
	resp->len = out.len;
	return 0;
}

static int export_write(void *ctx, const char *p, size_t n)
{
	cb_buf_append(ctx, p, n);
	return 0;
}

int cb_h_export_tickets(cb_req *req, cb_resp *resp, cb_err *err)
{
	if (req->nquery)
		return cb_err_set(err, CB_E_BADREQ, req->query[0].key, "unknown query parameter");
	cb_conn *c = req->conn;
	cb_buf out = {0};
	int rc = cb_export_tickets(c, export_write, &out, NULL, err);
	if (rc) {
		cb_buf_free(&out);
		return -1;
	}
	if (out.p)
		cb_arena_defer(req->arena, buf_release, out.p);
	resp->status = 200;
	resp->content_type = "application/x-ndjson";
	resp->body = out.p;
	resp->len = out.len;
	return 0;
}
