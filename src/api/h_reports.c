/* h_reports.c - reports (KPIs, backlog, queue health, top drivers,
 * throughput) and survey responses over HTTP. Handlers parse and shape;
 * app/report/report.c and app/mail/survey.c do the work. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/report/report.h"
#include "app/mail/survey.h"

#include <stdlib.h>
#include <string.h>

/* Responds with v as JSON, decimals printed as computed (2 or 4 places). */
static int respond(cb_req *req, cb_resp *resp, json_t *v, cb_err *err)
{
	char *s = cb_report_dumps(v);
	json_decref(v);
	if (!s)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot serialize the report");
	cb_api_raw(req, resp, 200, "application/json", s, strlen(s));
	free(s); /* jansson's allocation */
	return 0;
}

static int wants_csv(const cb_req *req)
{
	return req->accept && strstr(req->accept, "text/csv") != NULL;
}

int cb_h_reports_kpis(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"from", "to", "group_by", "bucket", "tz", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_report_spec spec = {
		.from = cb_api_query(req, "from"),
		.to = cb_api_query(req, "to"),
		.group_by = cb_api_query(req, "group_by"),
		.bucket = cb_api_query(req, "bucket"),
		.tz = cb_api_query(req, "tz"),
	};
	cb_conn *c = req->conn;
	json_t *o = cb_report_kpis(c, &spec, req->now, err);
	if (!o)
		return -1;
	if (!wants_csv(req))
		return respond(req, resp, o, err);
	cb_buf b = {0};
	cb_report_csv(o, &b);
	json_decref(o);
	cb_api_raw(req, resp, 200, "text/csv; charset=utf-8", b.p ? b.p : "", b.len);
	cb_buf_free(&b);
	return 0;
}

int cb_h_reports_backlog(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"at", "group_by", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_report_backlog(c, cb_api_query(req, "at"), cb_api_query(req, "group_by"),
				      req->now, err);
	return o ? respond(req, resp, o, err) : -1;
}

int cb_h_reports_queue_health(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_report_queue_health(c, req->now, err);
	return o ? respond(req, resp, o, err) : -1;
}

int cb_h_reports_top_drivers(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"from", "to", "limit", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	int limit = 10;
	const char *l = cb_api_query(req, "limit");
	if (l) {
		char *end;
		long v = strtol(l, &end, 10);
		if (*end || end == l || v < 1 || v > 500)
			return cb_err_set(err, CB_E_BADREQ, "limit", "must be an integer from 1 to 500");
		limit = (int)v;
	}
	cb_conn *c = req->conn;
	json_t *o = cb_report_top_drivers(c, cb_api_query(req, "from"), cb_api_query(req, "to"),
					  limit, err);
	return o ? respond(req, resp, o, err) : -1;
}

int cb_h_reports_throughput(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"from", "to", "by", "weights", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_report_throughput(c, cb_api_query(req, "from"), cb_api_query(req, "to"),
					 cb_api_query(req, "by"), cb_api_query(req, "weights"), err);
	return o ? respond(req, resp, o, err) : -1;
}

/* ---- survey responses ---- */

struct survey_arg {
	int64_t id;
	cb_evtype type;
	json_t *in;
	int created;
	int status;
};

static int survey_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct survey_arg *a = arg;
	if (cb_survey_respond(c, &req->actor, req->now, a->id, a->type, a->in, out, &a->created,
			      err))
		return -1;
	a->status = a->created ? 201 : 200; /* 200: an update of the response */
	return 0;
}

static int survey(cb_req *req, cb_resp *resp, cb_evtype type, cb_err *err)
{
	struct survey_arg a = {.type = type, .status = 201};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	if (!a.in)
		return -1;
	/* the status is recorded with an Idempotency-Key: a replay answers the same */
	return cb_api_commit_status(req, resp, &a.status, survey_fn, &a, err);
}

int cb_h_tickets_csat(cb_req *req, cb_resp *resp, cb_err *err)
{
	return survey(req, resp, CB_EV_CSAT, err);
}

int cb_h_tickets_ces(cb_req *req, cb_resp *resp, cb_err *err)
{
	return survey(req, resp, CB_EV_CES, err);
}
