/* h_tokens.c - /api/v1/tokens: mint, list and revoke API tokens.
 *
 * Any user may mint a token for themselves with {} or no body; only admins
 * may name another user (403 otherwise). The secret appears in this one
 * response and is never stored: for that reason an Idempotency-Key is not
 * recorded here (a replay would have to keep the secret in plain text), so
 * a retried request mints a second token rather than revealing the first.
 * Lists show a token's id, name, owner and creation time, never its secret
 * or hash: one's own tokens, or for admins everyone's (?user= narrows).
 * The owner or an admin revokes a token; another user's token is a 404. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory/directory.h"

#include <stdlib.h>
#include <string.h>

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	return cb_dir_token_create(c, req->arena, &req->actor, req->now, arg, out, err);
}

int cb_h_tokens_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = NULL;
	if (req->body_len > 0 && !(body = cb_api_body_object(req, err)))
		return -1;
	cb_dir_token_in *in = cb_arena_alloc(req->arena, sizeof *in);
	if (cb_dir_token_from_json(in, body, req->arena, err))
		return -1;
	req->idem_fingerprint = NULL; /* see above: never store the secret */
	return cb_api_commit(req, resp, 201, create_fn, in, err);
}

int cb_h_tokens_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"user", "limit", "cursor", NULL};
	cb_dir_page page = {0};
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &page.limit, &page.after, err))
		return -1;
	cb_conn *c = req->conn;
	int64_t user = 0;
	const char *u = cb_api_query(req, "user");
	if (u) {
		/* an id (digits) or an e-mail */
		size_t n = strlen(u);
		int digits = n > 0 && n < 19 && strspn(u, "0123456789") == n;
		json_t *ref = cb_api_own(req, digits ? json_integer(strtoll(u, NULL, 10)) : json_string(u));
		if (!ref)
			return cb_err_set(err, CB_E_BADREQ, "user", "is not valid UTF-8");
		if (req->actor.role != CB_ROLE_ADMIN) {
			/* a non-admin learns nothing about other users: 403 either way */
			cb_err quiet = {0};
			if (cb_dir_resolve_user(c, ref, &user, "user", &quiet) ||
			    user != req->actor.user_id)
				return cb_err_set(err, CB_E_FORBIDDEN, "user",
						  "only admins may list other users' tokens");
		} else if (cb_dir_resolve_user(c, ref, &user, "user", err)) {
			return -1;
		}
	}
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_dir_token_list(c, &req->actor, user, &page, &items, &next, err))
		return -1;
	cb_api_header(req, resp, "Cache-Control", "no-store");
	return cb_api_list(req, resp, items, next);
}

static int revoke_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	return cb_dir_token_revoke(c, req->arena, &req->actor, req->now, *(int64_t *)arg, out, err);
}

int cb_h_tokens_revoke(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t *id = cb_arena_alloc(req->arena, sizeof *id);
	if (cb_api_param_id(req, 0, id, err))
		return -1;
	return cb_api_commit(req, resp, 200, revoke_fn, id, err);
}
