/* h_views.c - queues (views) and the SLA history of a ticket. */
#include "api/handlers.h"
#include "app/sla.h"
#include "app/ticket.h"

#include <string.h>

int cb_h_views_tickets(cb_req *req, cb_resp *resp, cb_err *err)
{
	int limit;
	int64_t cursor;
	if (cb_api_page(req, &limit, &cursor, err))
		return -1;
	static const char *const known[] = {"limit", "cursor", "group", "priority", "tier", NULL};
	for (int i = 0; i < req->nquery; i++) {
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			ok |= strcmp(*k, req->query[i].key) == 0;
		if (!ok)
			return cb_err_set(err, CB_E_BADREQ, req->query[i].key, "unknown query parameter");
	}
	cb_view_filter f = {.group = cb_api_query(req, "group"),
			    .priority = cb_api_query(req, "priority"),
			    .tier = cb_api_query(req, "tier")};
	cb_conn *c = cb_db_reader(req->app->db, err);
	if (!c)
		return -1;
	json_t *items = NULL;
	int64_t next = 0;
	/* the cursor of a queue is an offset (stored +1 so it is never 0) */
	int64_t offset = cursor ? cursor - 1 : 0;
	int rc = cb_ticket_view(c, &req->actor, req->params[0], &f, limit, offset, req->now, &items,
				&next, err);
	cb_conn_reset_all(c);
	if (rc)
		return -1;
	return cb_api_list(req, resp, items, next ? next + 1 : 0);
}

int cb_h_sla_history(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = cb_db_reader(req->app->db, err);
	if (!c)
		return -1;
	json_t *o = cb_sla_history(c, id, req->now, err);
	cb_conn_reset_all(c);
	if (!o)
		return -1;
	return cb_api_json(req, resp, 200, o);
}
