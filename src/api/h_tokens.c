/* h_tokens.c - POST /api/v1/tokens: mint an API token.
 *
 * Any user may mint a token for themselves with {} or no body; only admins
 * may name another user (403 otherwise). The secret appears in this one
 * response and is never stored: for that reason an Idempotency-Key is not
 * recorded here (a replay would have to keep the secret in plain text), so
 * a retried request mints a second token rather than revealing the first. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory.h"

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
