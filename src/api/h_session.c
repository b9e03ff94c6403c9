/* h_session.c - logging in and out of the web console and the portal
 * (app/directory/session.h): the session cookie and its CSRF token. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/directory/session.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

static void set_cookie(cb_req *req, cb_resp *resp, const char *value, long max_age)
{
	/* Secure when the browser reached us over TLS (through a proxy) */
	int tls = req->forwarded_proto && !strcmp(req->forwarded_proto, "https");
	char *v = cb_arena_printf(req->arena, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
				  CB_SESSION_COOKIE, value, max_age, tls ? "; Secure" : "");
	cb_api_header(req, resp, "Set-Cookie", v);
}

int cb_h_session_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	if (!in)
		return -1;
	char *secret = NULL;
	json_t *out = NULL;
	int retry = 0;
	if (cb_session_login(req->app, req->arena, req->now, req->client_ip, in, &secret, &out, &retry, err)) {
		if (retry > 0)
			cb_api_header(req, resp, "Retry-After", cb_arena_printf(req->arena, "%d", retry));
		return -1;
	}
	set_cookie(req, resp, secret, (long)(CB_SESSION_TTL_MS / 1000));
	cb_api_header(req, resp, "Cache-Control", "no-store");
	return cb_api_json(req, resp, 201, out);
}

int cb_h_session_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	if (!req->session_id)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "this request carries no session cookie");
	cb_conn *c = req->conn;
	json_t *o = cb_session_describe(c, req->session_id, err);
	if (!o)
		return -1;
	cb_api_header(req, resp, "Cache-Control", "no-store");
	return cb_api_json(req, resp, 200, o);
}

static int revoke_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	(void)arg;
	if (cb_session_revoke(c, req->session_id, req->now, err))
		return -1;
	*out = json_pack("{s:b}", "ended", 1);
	return 0;
}

int cb_h_session_delete(cb_req *req, cb_resp *resp, cb_err *err)
{
	if (!req->session_id)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "this request carries no session cookie");
	if (cb_api_commit(req, resp, 200, revoke_fn, NULL, err))
		return -1;
	set_cookie(req, resp, "", 0);
	return 0;
}
