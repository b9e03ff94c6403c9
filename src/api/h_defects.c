/* h_defects.c - defects in external trackers, their links to tickets and
 * the fix-available list. Agent-side only (customers get 404). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/defect.h"

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
