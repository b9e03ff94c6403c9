/* h_groups.c - /api/v1/groups: agent groups (queues) and their members.
 *
 * Engineers and above read; admins write. `members` lists user ids or
 * e-mails of agent-side users and, on PATCH, replaces the whole list.
 * `min_escalation_score` (0..5, PATCH; app/escalation/escalation.h) is the score an
 * escalation package needs to be sent to the group. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory/directory.h"
#include "app/escalation/escalation.h"

struct group_patch {
	int64_t id;
	cb_dir_group_in in;
	int min_score; /* min_escalation_score: -1 not given, -2 null */
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct group_patch *p = arg;
	if (cb_dir_group_create(c, req->arena, &req->actor, req->now, &p->in, &p->id, err))
		return -1;
	if (p->min_score > 0 &&
	    cb_escalation_group_set(c, &req->actor, req->now, p->id, p->min_score, err))
		return -1;
	if (cb_dir_group_get(c, p->id, out, err))
		return -1;
	cb_escalation_group_decorate(c, *out);
	return 0;
}

int cb_h_groups_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	struct group_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	p->id = 0;
	if (cb_escalation_group_take(body, &p->min_score, err) ||
	    cb_dir_group_from_json(&p->in, body, 0, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 201, create_fn, p, err);
}

static int patch_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct group_patch *p = arg;
	if (cb_dir_group_update(c, req->arena, &req->actor, req->now, p->id, &p->in, err))
		return -1;
	if (p->min_score != -1 &&
	    cb_escalation_group_set(c, &req->actor, req->now, p->id, p->min_score, err))
		return -1;
	if (cb_dir_group_get(c, p->id, out, err))
		return -1;
	cb_escalation_group_decorate(c, *out);
	return 0;
}

int cb_h_groups_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct group_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	if (cb_api_param_id(req, 0, &p->id, err))
		return -1;
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	if (cb_escalation_group_take(body, &p->min_score, err) ||
	    cb_dir_group_from_json(&p->in, body, 1, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 200, patch_fn, p, err);
}

int cb_h_groups_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id = 0;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = NULL;
	if (cb_dir_group_get(c, id, &o, err))
		return -1;
	cb_escalation_group_decorate(c, o);
	return cb_api_json(req, resp, 200, o);
}

int cb_h_groups_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_dir_page page = {0};
	if (cb_api_page(req, &page.limit, &page.after, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_dir_group_list(c, &page, &items, &next, err))
		return -1;
	size_t i;
	json_t *g;
	json_array_foreach(items, i, g) cb_escalation_group_decorate(c, g);
	return cb_api_list(req, resp, items, next);
}
