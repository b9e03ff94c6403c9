/* h_defects.c - defects in external trackers, their links to tickets and
 * the fix-available list. Agent-side only (customers get 404). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/escalation/defect.h"

static const cb_api_resource defects = {cb_defect_create, cb_defect_update, cb_defect_get,
					"defect",	  cb_defect_link,   cb_defect_unlink,
					cb_defect_of_ticket};

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

static int list_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		   int64_t *next, cb_err *err)
{
	return cb_defect_list(c, cb_api_query(req, "status"), cb_api_query(req, "tracker"), limit,
			      after, items, next, err);
}

int cb_h_defects_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "status", "tracker", NULL};
	return cb_api_paged(req, resp, known, list_fn, err);
}

static int fix_available_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
			    int64_t *next, cb_err *err)
{
	return cb_defect_fix_available(c, &req->actor, req->now, limit, after, items, next, err);
}

int cb_h_defects_fix_available(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", NULL};
	return cb_api_paged(req, resp, known, fix_available_fn, err);
}

int cb_h_ticket_defects_link(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_link(req, resp, &defects, err);
}

int cb_h_ticket_defects_unlink(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_unlink(req, resp, &defects, err);
}

int cb_h_ticket_defects_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_of_ticket(req, resp, &defects, err);
}
