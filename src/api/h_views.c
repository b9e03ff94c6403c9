/* h_views.c - queues (views) and the SLA history of a ticket. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/sla/sla.h"
#include "app/ticket/ticket.h"
#include "app/ticket/views.h"

#include <string.h>

int cb_h_views_tickets(cb_req *req, cb_resp *resp, cb_err *err)
{
	int limit;
	int64_t cursor;
	if (cb_api_page(req, &limit, &cursor, err))
		return -1;
	static const char *const known[] = {"limit", "cursor", "group", "priority", "tier", "sort", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	cb_view_spec spec;
	json_t *items = NULL;
	int64_t next = 0;
	/* the cursor of a queue is an offset (stored +1 so it is never 0) */
	int64_t offset = cursor ? cursor - 1 : 0;
	int rc = cb_views_resolve(c, &req->actor, req->params[0], &spec, err) ||
		 cb_views_narrow(c, &spec, cb_api_query(req, "group"), cb_api_query(req, "priority"),
				 cb_api_query(req, "tier"), cb_api_query(req, "sort"), err) ||
		 cb_ticketsvc_view(c, &req->actor, &spec, limit, offset, req->now, &items, &next, err);
	if (rc)
		return -1;
	return cb_api_list(req, resp, items, next ? next + 1 : 0);
}

/* ---- saved views ---- */

int cb_h_views_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = cb_views_list(c, &req->actor, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_views_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_views_get(c, &req->actor, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

struct view_arg {
	int64_t id;
	json_t *in;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id;
	if (cb_views_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	*out = cb_views_get(c, &req->actor, id, err);
	return *out ? 0 : -1;
}

int cb_h_views_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? cb_api_commit(req, resp, 201, create_fn, in, err) : -1;
}

static int update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct view_arg *a = arg;
	if (cb_views_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_views_get(c, &req->actor, a->id, err);
	return *out ? 0 : -1;
}

int cb_h_views_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct view_arg a;
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 200, update_fn, &a, err) : -1;
}

static int delete_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct view_arg *a = arg;
	if (cb_views_delete(c, &req->actor, a->id, err))
		return -1;
	*out = json_pack("{s:I, s:b}", "id", (json_int_t)a->id, "deleted", 1);
	return 0;
}

int cb_h_views_delete(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct view_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	return cb_api_commit(req, resp, 200, delete_fn, &a, err);
}

int cb_h_sla_history(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_slasvc_history(c, id, req->now, err);
	if (!o)
		return -1;
	return cb_api_json(req, resp, 200, o);
}
