/* h_accounts.c - /api/v1/accounts: customer accounts.
 *
 * Handlers decode and validate the body without the database
 * (cb_dir_account_from_json), then run the change through cb_api_commit so
 * uniqueness checks, the write, the audit row and the rendered answer share
 * one savepoint of the group commit. Reads use the thread's reader
 * connection; customers see only their own account (404 for others). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory/directory.h"

struct account_patch {
	int64_t id;
	cb_dir_account_in in;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id = 0;
	if (cb_dir_account_create(c, req->arena, &req->actor, req->now, arg, &id, err))
		return -1;
	return cb_dir_account_get(c, NULL, id, out, err);
}

int cb_h_accounts_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	cb_dir_account_in *in = cb_arena_alloc(req->arena, sizeof *in);
	if (cb_dir_account_from_json(in, body, 0, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 201, create_fn, in, err);
}

static int patch_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct account_patch *p = arg;
	if (cb_dir_account_update(c, req->arena, &req->actor, req->now, p->id, &p->in, err))
		return -1;
	return cb_dir_account_get(c, NULL, p->id, out, err);
}

int cb_h_accounts_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct account_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	if (cb_api_param_id(req, 0, &p->id, err))
		return -1;
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	if (cb_dir_account_from_json(&p->in, body, 1, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 200, patch_fn, p, err);
}

int cb_h_accounts_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id = 0;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = NULL;
	if (cb_dir_account_get(c, &req->actor, id, &o, err))
		return -1;
	return cb_api_json(req, resp, 200, o);
}

int cb_h_accounts_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_dir_page page = {0};
	if (cb_api_page(req, &page.limit, &page.after, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_dir_account_list(c, &req->actor, &page, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}
