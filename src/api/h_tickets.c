/* h_tickets.c - tickets, comments and the timeline over HTTP. Handlers
 * parse and shape; app/ticket/ticket.c validates and changes state. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/ticket/ticket.h"

#include <stdio.h>
#include <string.h>

/* ---- create ---- */

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id;
	if (cb_ticketsvc_create(c, &req->actor, req->now, arg, 0, &id, err))
		return -1;
	*out = cb_ticketsvc_render(c, &req->actor, id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_tickets_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	if (!in)
		return -1;
	if (cb_api_commit(req, resp, 201, create_fn, in, err))
		return -1;
	return 0;
}

/* ---- read ---- */

int cb_h_tickets_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_ticketsvc_render(c, &req->actor, id, req->now, err);
	if (!o)
		return -1;
	return cb_api_json(req, resp, 200, o);
}

int cb_h_tickets_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	int limit;
	int64_t cursor;
	if (cb_api_page(req, &limit, &cursor, err))
		return -1;
	static const char *const known[] = {"limit", "cursor", "status", "priority", "assignee",
					    "group", "account", "requester", "tag", "external_id",
					    "created_after", "created_before", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_ticketsvc_filter f = {
		.status = cb_api_query(req, "status"),
		.priority = cb_api_query(req, "priority"),
		.assignee = cb_api_query(req, "assignee"),
		.group = cb_api_query(req, "group"),
		.account = cb_api_query(req, "account"),
		.requester = cb_api_query(req, "requester"),
		.tag = cb_api_query(req, "tag"),
		.external_id = cb_api_query(req, "external_id"),
		.created_after = cb_api_query(req, "created_after"),
		.created_before = cb_api_query(req, "created_before"),
	};
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_ticketsvc_list(c, &req->actor, &f, limit, cursor, req->now, &items, &next, err);
	if (rc)
		return -1;
	return cb_api_list(req, resp, items, next);
}

/* ---- update ---- */

struct update_arg {
	int64_t id;
	json_t *in;
};

static int update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct update_arg *a = arg;
	if (cb_ticketsvc_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_ticketsvc_render(c, &req->actor, a->id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_tickets_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct update_arg a;
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	if (!a.in)
		return -1;
	return cb_api_commit(req, resp, 200, update_fn, &a, err);
}

/* ---- comments and events ---- */

static int comment_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct update_arg *a = arg;
	int64_t ev, ticket;
	if (cb_ticketsvc_comment(c, &req->actor, req->now, a->id, a->in, &ev, &ticket, err))
		return -1;
	*out = cb_ticketsvc_render_comment(c, &req->actor, ticket, ev, err);
	if (*out && ticket != a->id)
		json_object_set_new(*out, "followup_of", json_integer(a->id));
	return *out ? 0 : -1;
}

int cb_h_comments_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct update_arg a;
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	if (!a.in)
		return -1;
	return cb_api_commit(req, resp, 201, comment_fn, &a, err);
}

static int timeline(cb_req *req, cb_resp *resp, int comments_only, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	int limit;
	int64_t cursor;
	if (cb_api_page(req, &limit, &cursor, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_ticketsvc_events(c, &req->actor, id, comments_only, limit, cursor, &items, &next, err);
	if (rc)
		return -1;
	return cb_api_list(req, resp, items, next);
}

int cb_h_comments_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	return timeline(req, resp, 1, err);
}

int cb_h_events_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	return timeline(req, resp, 0, err);
}

/* ---- the customer view's settings ---- */

int cb_h_ticket_settings_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = cb_ticketsvc_settings_get(c, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int settings_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	if (cb_ticketsvc_settings_put(c, &req->actor, req->now, arg, err))
		return -1;
	*out = cb_ticketsvc_settings_get(c, err);
	return *out ? 0 : -1;
}

int cb_h_ticket_settings_put(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? cb_api_commit(req, resp, 200, settings_fn, in, err) : -1;
}
