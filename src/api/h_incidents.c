/* h_incidents.c - major incidents, their timeline, ticket links, updates,
 * cadence settings, components and post-incident reviews. Every route
 * needs a staff role (customers get 404 from the dispatcher). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/incident/incident.h"
#include "jobs/jobs.h"
#include "app/incident/review.h"
#include "core/incident.h"

#include <stdlib.h>
#include <string.h>

struct inc_arg {
	int64_t id;
	json_t *in;
};

static json_t *reader_get(cb_req *req, json_t *(*fn)(cb_conn *, int64_t, cb_ms, cb_err *),
			  int64_t id, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = fn(c, id, req->now, err);
	return o;
}

/* Commits, then wakes the job scheduler (a deadline may have moved). */
static int commit_kick(cb_req *req, cb_resp *resp, int status, cb_api_write_fn fn, void *arg,
		       cb_err *err)
{
	int rc = cb_api_commit(req, resp, status, fn, arg, err);
	if (!rc)
		cb_jobs_kick();
	return rc;
}

static int with_id_body(cb_req *req, struct inc_arg *a, cb_err *err)
{
	if (cb_api_param_id(req, 0, &a->id, err))
		return -1;
	a->in = cb_api_body_object(req, err);
	return a->in ? 0 : -1;
}

/* ---- incidents ---- */

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id;
	if (cb_incident_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	*out = cb_incident_get(c, id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_incidents_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? commit_kick(req, resp, 201, create_fn, in, err) : -1;
}

int cb_h_incidents_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "status", "severity", "active", NULL};
	int limit;
	int64_t before;
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &before, err))
		return -1;
	cb_incident_filter f = {.status = cb_api_query(req, "status"), .active = -1};
	cb_inc_status st;
	if (f.status && cb_inc_status_parse(f.status, &st))
		return cb_err_set(err, CB_E_BADREQ, "status",
				  "must be one of investigating, identified, monitoring, resolved");
	const char *sev = cb_api_query(req, "severity");
	if (sev && (f.severity = cb_inc_severity_parse(sev)) < 0)
		return cb_err_set(err, CB_E_BADREQ, "severity", "must be one of SEV1, SEV2, SEV3, SEV4");
	const char *act = cb_api_query(req, "active");
	if (act) {
		if (strcmp(act, "true") && strcmp(act, "false"))
			return cb_err_set(err, CB_E_BADREQ, "active", "must be true or false");
		f.active = strcmp(act, "true") == 0;
	}
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_incident_list(c, &f, req->now, limit, before, &items, &next, err);
	return rc ? -1 : cb_api_list(req, resp, items, next);
}

int cb_h_incidents_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	json_t *o = reader_get(req, cb_incident_get, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	if (cb_incident_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_incident_get(c, a->id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_incidents_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : commit_kick(req, resp, 200, update_fn, &a, err);
}

static int link_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	*out = cb_incident_link_tickets(c, &req->actor, req->now, a->id, a->in, err);
	return *out ? 0 : -1;
}

int cb_h_incidents_link(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : cb_api_commit(req, resp, 200, link_fn, &a, err);
}

struct unlink_arg {
	int64_t id, ticket;
};

static int unlink_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct unlink_arg *a = arg;
	*out = cb_incident_unlink_ticket(c, &req->actor, req->now, a->id, a->ticket, err);
	return *out ? 0 : -1;
}

int cb_h_incidents_unlink(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct unlink_arg a;
	if (cb_api_param_id(req, 0, &a.id, err) || cb_api_param_id(req, 1, &a.ticket, err))
		return -1;
	return cb_api_commit(req, resp, 200, unlink_fn, &a, err);
}

static int post_update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	*out = cb_incident_post_update(c, &req->actor, req->now, a->id, a->in, err);
	return *out ? 0 : -1;
}

int cb_h_incidents_post_update(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : commit_kick(req, resp, 201, post_update_fn, &a, err);
}

static int timeline_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		       int64_t *next, cb_err *err)
{
	int64_t id;
	return cb_api_param_id(req, 0, &id, err) ||
	       cb_incident_timeline(c, id, limit, after, items, next, err) ? -1 : 0;
}

int cb_h_incidents_timeline(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", NULL};
	return cb_api_paged(req, resp, known, timeline_fn, err);
}

/* ---- settings ---- */

static json_t *settings_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err)
{
	return cb_incident_settings_get(c, err);
}

int cb_h_incident_settings_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *o = reader_get(req, settings_get, 0, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int settings_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	if (cb_incident_settings_put(c, &req->actor, req->now, arg, err))
		return -1;
	*out = cb_incident_settings_get(c, err);
	return *out ? 0 : -1;
}

int cb_h_incident_settings_put(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? commit_kick(req, resp, 200, settings_fn, in, err) : -1;
}

/* ---- components ---- */

static json_t *component_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err)
{
	return cb_component_get(c, id, err);
}

int cb_h_components_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = cb_component_list(c, err);
	return items ? cb_api_list(req, resp, items, 0) : -1;
}

int cb_h_components_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	json_t *o = reader_get(req, component_get, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int comp_create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id;
	if (cb_component_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	*out = cb_component_get(c, id, err);
	return *out ? 0 : -1;
}

int cb_h_components_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? cb_api_commit(req, resp, 201, comp_create_fn, in, err) : -1;
}

static int comp_update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	if (cb_component_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_component_get(c, a->id, err);
	return *out ? 0 : -1;
}

int cb_h_components_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : cb_api_commit(req, resp, 200, comp_update_fn, &a, err);
}

/* ---- post-incident reviews ---- */

int cb_h_review_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	json_t *o = reader_get(req, cb_review_get, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int review_put_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	if (cb_review_put(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_review_get(c, a->id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_review_put(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : cb_api_commit(req, resp, 200, review_put_fn, &a, err);
}

static int action_create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	int64_t id;
	if (cb_review_action_create(c, &req->actor, req->now, a->id, a->in, &id, err))
		return -1;
	*out = cb_review_action_get(c, id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_review_actions_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : cb_api_commit(req, resp, 201, action_create_fn, &a, err);
}

static int action_update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inc_arg *a = arg;
	if (cb_review_action_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_review_action_get(c, a->id, req->now, err);
	return *out ? 0 : -1;
}

int cb_h_review_actions_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct inc_arg a;
	return with_id_body(req, &a, err) ? -1 : cb_api_commit(req, resp, 200, action_update_fn, &a, err);
}

static int id_query(const cb_req *req, const char *key, int64_t *out, cb_err *err)
{
	const char *s = cb_api_query(req, key);
	*out = 0;
	if (!s)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 1)
		return cb_err_set(err, CB_E_BADREQ, key, "must be a positive id");
	*out = v;
	return 0;
}

int cb_h_review_actions_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "overdue", "status", "incident",
					    "owner", NULL};
	int limit;
	int64_t offset;
	cb_review_action_filter f = {.status = cb_api_query(req, "status")};
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &offset, err) ||
	    id_query(req, "incident", &f.incident, err) || id_query(req, "owner", &f.owner, err))
		return -1;
	cb_act_status st;
	if (f.status && cb_act_status_parse(f.status, &st))
		return cb_err_set(err, CB_E_BADREQ, "status", "must be one of open, in_progress, done");
	const char *od = cb_api_query(req, "overdue");
	if (od && strcmp(od, "true") && strcmp(od, "false"))
		return cb_err_set(err, CB_E_BADREQ, "overdue", "must be true or false");
	f.overdue = od && strcmp(od, "true") == 0;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_review_action_list(c, &f, req->now, limit, offset, &items, &next, err);
	return rc ? -1 : cb_api_list(req, resp, items, next);
}
