/* h_escalations.c - escalations of tickets to resolver groups: create,
 * score a draft, read, move through the lifecycle, a ticket's list and a
 * group's queue. Every route is agent-side (customers get 404). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/escalation/escalation.h"

struct esc_arg {
	int64_t id;
	json_t *in;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct esc_arg *a = arg;
	int64_t id;
	if (cb_escalation_create(c, &req->actor, req->now, a->id, a->in, &id, err))
		return -1;
	*out = cb_escalation_get(c, id, err);
	return *out ? 0 : -1;
}

int cb_h_escalations_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct esc_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 201, create_fn, &a, err) : -1;
}

/* PATCH and GET have the shapes of a resource (create is per ticket) */
static const cb_api_resource escalations = {.update = cb_escalation_update,
					    .get = cb_escalation_get};

int cb_h_escalations_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_patch(req, resp, &escalations, err);
}

int cb_h_escalations_score(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	if (!in)
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_escalation_score(c, in, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_escalations_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	return cb_api_resource_get(req, resp, &escalations, err);
}

int cb_h_ticket_escalations_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int rc = cb_escalation_of_ticket(c, id, &items, err);
	return rc ? -1 : cb_api_list(req, resp, items, 0);
}

static int queue_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		    int64_t *next, cb_err *err)
{
	return cb_escalation_queue(c, cb_api_query(req, "status"), cb_api_query(req, "group"), limit,
				   after, items, next, err);
}

int cb_h_escalations_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "status", "group", NULL};
	return cb_api_paged(req, resp, known, queue_fn, err);
}
