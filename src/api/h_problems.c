/* h_problems.c - problems / known errors, their links to tickets and
 * repeat counts. Agent-side only (customers get 404). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/escalation/problem.h"

static const cb_api_resource problems = {cb_problem_create, cb_problem_update, cb_problem_get,
					 "problem",	    cb_problem_link,   cb_problem_unlink,
					 cb_problem_of_ticket};

int cb_h_problems_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_create(req, resp, &problems, err);
}

int cb_h_problems_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_patch(req, resp, &problems, err);
}

int cb_h_problems_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_get(req, resp, &problems, err);
}

static int list_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		   int64_t *next, cb_err *err)
{
	return cb_problem_list(c, cb_api_query(req, "status"), cb_api_query(req, "category"), limit,
			       after, items, next, err);
}

int cb_h_problems_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "status", "category", NULL};
	return cb_api_paged(req, resp, known, list_fn, err);
}

int cb_h_ticket_problems_link(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_link(req, resp, &problems, err);
}

int cb_h_ticket_problems_unlink(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_unlink(req, resp, &problems, err);
}

int cb_h_ticket_problems_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_of_ticket(req, resp, &problems, err);
}

/* from/to default to the 12 weeks before now */
static int stats_params(cb_req *req, const char **bucket, cb_ms *from, cb_ms *to, cb_err *err)
{
	static const char *const known[] = {"bucket", "from", "to", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	*bucket = cb_api_query(req, "bucket");
	const char *f = cb_api_query(req, "from"), *t = cb_api_query(req, "to");
	*to = req->now;
	if (t && cb_time_parse(t, to))
		return cb_err_set(err, CB_E_BADREQ, "to", "must be an RFC 3339 time");
	*from = *to - 84LL * 86400000LL;
	if (f && cb_time_parse(f, from))
		return cb_err_set(err, CB_E_BADREQ, "from", "must be an RFC 3339 time");
	return 0;
}

int cb_h_problems_stats(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	const char *bucket;
	cb_ms from, to;
	if (cb_api_param_id(req, 0, &id, err) || stats_params(req, &bucket, &from, &to, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_problem_stats(c, id, bucket, from, to, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_reports_problems(cb_req *req, cb_resp *resp, cb_err *err)
{
	const char *bucket;
	cb_ms from, to;
	if (stats_params(req, &bucket, &from, &to, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_problem_stats(c, 0, bucket, from, to, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}
