/* h_defects.c - defects in external trackers, their links to tickets and
 * the fix-available list. Agent-side only (customers get 404). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/defect.h"

struct def_arg {
	int64_t id, other;
	json_t *in;
};

static const cb_api_resource defects = {cb_defect_create, cb_defect_update, cb_defect_get};

int cb_h_defects_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_create(req, resp, &defects, err);
}

int cb_h_defects_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_patch(req, resp, &defects, err);
}

int cb_h_defects_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_get(req, resp, &defects, err);
}

int cb_h_defects_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "status", "tracker", NULL};
	int limit;
	int64_t after;
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &after, err))
		return -1;
	cb_conn *c = cb_db_reader(req->app->db, err);
	if (!c)
		return -1;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_defect_list(c, cb_api_query(req, "status"), cb_api_query(req, "tracker"), limit,
				after, &items, &next, err);
	cb_conn_reset_all(c);
	return rc ? -1 : cb_api_list(req, resp, items, next);
}

int cb_h_defects_fix_available(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", NULL};
	int limit;
	int64_t after;
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &after, err))
		return -1;
	cb_conn *c = cb_db_reader(req->app->db, err);
	if (!c)
		return -1;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_defect_fix_available(c, &req->actor, req->now, limit, after, &items, &next, err);
	cb_conn_reset_all(c);
	return rc ? -1 : cb_api_list(req, resp, items, next);
}

static int link_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct def_arg *a = arg;
	*out = cb_defect_link(c, &req->actor, req->now, a->id, a->in, err);
	return *out ? 0 : -1;
}

int cb_h_ticket_defects_link(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct def_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 201, link_fn, &a, err) : -1;
}

static int unlink_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct def_arg *a = arg;
	if (cb_defect_unlink(c, &req->actor, req->now, a->id, a->other, err))
		return -1;
	*out = json_pack("{s:I, s:I, s:b}", "ticket", (json_int_t)a->id, "defect",
			 (json_int_t)a->other, "unlinked", 1);
	return 0;
}

int cb_h_ticket_defects_unlink(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct def_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err) || cb_api_param_id(req, 1, &a.other, err))
		return -1;
	return cb_api_commit(req, resp, 200, unlink_fn, &a, err);
}

int cb_h_ticket_defects_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = cb_db_reader(req->app->db, err);
	if (!c)
		return -1;
	json_t *items = NULL;
	int rc = cb_defect_of_ticket(c, id, &items, err);
	cb_conn_reset_all(c);
	return rc ? -1 : cb_api_list(req, resp, items, 0);
}
