/* h_macros.c - macros over HTTP (app/ticket/macro.h). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/ticket/macro.h"
#include "app/ticket/ticket.h"

struct macro_arg {
	int64_t id, ticket;
	json_t *in;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct macro_arg *a = arg;
	int64_t id;
	if (cb_macro_create(c, &req->actor, req->now, a->in, &id, err))
		return -1;
	*out = cb_macro_get(c, &req->actor, id, err);
	return *out ? 0 : -1;
}

int cb_h_macros_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct macro_arg a = {0};
	if (!(a.in = cb_api_body_object(req, err)))
		return -1;
	return cb_api_commit(req, resp, 201, create_fn, &a, err);
}

int cb_h_macros_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *items = cb_macro_list(c, &req->actor, err);
	return items ? cb_api_list(req, resp, items, 0) : -1;
}

int cb_h_macros_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_macro_get(c, &req->actor, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct macro_arg *a = arg;
	if (cb_macro_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_macro_get(c, &req->actor, a->id, err);
	return *out ? 0 : -1;
}

int cb_h_macros_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct macro_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err) || !(a.in = cb_api_body_object(req, err)))
		return -1;
	return cb_api_commit(req, resp, 200, update_fn, &a, err);
}

static int delete_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct macro_arg *a = arg;
	if (cb_macro_delete(c, &req->actor, req->now, a->id, err))
		return -1;
	*out = json_pack("{s:I, s:b}", "id", (json_int_t)a->id, "deleted", 1);
	return 0;
}

int cb_h_macros_delete(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct macro_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	return cb_api_commit(req, resp, 200, delete_fn, &a, err);
}

int cb_h_macros_preview(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t ticket, id;
	if (cb_api_param_id(req, 0, &ticket, err) || cb_api_param_id(req, 1, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *t = cb_ticketsvc_render(c, &req->actor, ticket, req->now, err);
	if (!t)
		return -1;
	json_decref(t);
	json_t *o = cb_macro_preview(c, &req->actor, id, ticket, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int apply_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct macro_arg *a = arg;
	return cb_macro_apply(c, &req->actor, req->now, a->id, a->ticket, out, err);
}

int cb_h_macros_apply(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct macro_arg a = {0};
	if (cb_api_param_id(req, 0, &a.ticket, err) || cb_api_param_id(req, 1, &a.id, err))
		return -1;
	return cb_api_commit(req, resp, 200, apply_fn, &a, err);
}
