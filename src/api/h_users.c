/* h_users.c - /api/v1/users: agents, engineers, admins and customers.
 *
 * Same shape as h_accounts.c. The password is validated and hashed in the
 * handler thread (cb_dir_user_from_json), never on the writer, and never
 * appears in a response. Customers may read only themselves
 * (/users/me or their own id); any other id is a 404. Everyone changes
 * their own password with POST /users/me/password (app/directory/session.h): the
 * user's other sessions end, and their API tokens too if they ask; an
 * admin's PATCH of a password ends all of that user's sessions. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory/directory.h"
#include "app/directory/session.h"

#include <stdlib.h>
#include <string.h>

struct user_patch {
	int64_t id;
	cb_dir_user_in in;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id = 0;
	if (cb_dir_user_create(c, req->arena, &req->actor, req->now, arg, &id, err))
		return -1;
	return cb_dir_user_get(c, NULL, id, out, err);
}

int cb_h_users_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	cb_dir_user_in *in = cb_arena_alloc(req->arena, sizeof *in);
	if (cb_dir_user_from_json(in, body, 0, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 201, create_fn, in, err);
}

static int patch_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct user_patch *p = arg;
	if (cb_dir_user_update(c, req->arena, &req->actor, req->now, p->id, &p->in, err))
		return -1;
	/* a new password ends the user's sessions (not the one making the change) */
	if ((p->in.set & CB_DIR_USER_PASSWORD) &&
	    cb_session_end_user(c, p->id, req->session_id, req->now, NULL, err))
		return -1;
	return cb_dir_user_get(c, NULL, p->id, out, err);
}

int cb_h_users_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct user_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	if (cb_api_param_id(req, 0, &p->id, err))
		return -1;
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	if (cb_dir_user_from_json(&p->in, body, 1, req->arena, err))
		return -1;
	return cb_api_commit(req, resp, 200, patch_fn, p, err);
}

static int get_one(cb_req *req, cb_resp *resp, int64_t id, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = NULL;
	if (cb_dir_user_get(c, &req->actor, id, &o, err))
		return -1;
	return cb_api_json(req, resp, 200, o);
}

int cb_h_users_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id = 0;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	return get_one(req, resp, id, err);
}

int cb_h_users_me(cb_req *req, cb_resp *resp, cb_err *err)
{
	return get_one(req, resp, req->actor.user_id, err);
}

int cb_h_users_password(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	json_t *out = NULL;
	if (!in || cb_session_password_change(req->app, req->arena, &req->actor, req->session_id,
					      req->now, in, &out, err))
		return -1;
	return cb_api_json(req, resp, 200, out);
}

/* ?account= is an id (digits) or a name. */
static int account_filter(cb_req *req, cb_conn *c, const char *s, int64_t *out, cb_err *err)
{
	size_t n = strlen(s);
	int digits = n > 0 && n < 19 && strspn(s, "0123456789") == n;
	json_t *ref = cb_api_own(req, digits ? json_integer(strtoll(s, NULL, 10)) : json_string(s));
	if (!ref)
		return cb_err_set(err, CB_E_INVALID, "account", "is not valid UTF-8");
	return cb_dir_resolve_account(c, ref, out, "account", err);
}

int cb_h_users_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_dir_page page = {0};
	if (cb_api_page(req, &page.limit, &page.after, err))
		return -1;
	cb_conn *c = req->conn;
	cb_dir_user_filter f = {0};
	const char *role = cb_api_query(req, "role");
	if (role) {
		if (cb_role_parse(role, &f.role))
			return cb_err_set(err, CB_E_INVALID, "role",
					  "must be one of admin, agent, engineer, customer");
		f.set |= CB_DIR_USER_ROLE;
	}
	const char *account = cb_api_query(req, "account");
	if (account) {
		if (account_filter(req, c, account, &f.account_id, err))
			return -1;
		f.set |= CB_DIR_USER_ACCOUNT;
	}
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_dir_user_list(c, &req->actor, &f, &page, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}
