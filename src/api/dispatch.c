/* dispatch.c - the generic request path: route match, authentication, role
 * check, content type, Idempotency-Key replay, handler, problem+json.
 *
 * DESIGN: like Redis' processCommand, every request goes through one
 * function that enforces the table's rules once, so handlers contain only
 * their own logic. Errors travel as cb_err and become problem+json here.
 * A 503 (CB_E_BUSY: the writer refused the job) carries Retry-After, as
 * does a 429 (api/ratelimit.h: the caller's bucket is empty). */
#include "api/api.h"
#include "app/session.h"
#include "api/write.h"
#include "app/auth.h"
#include "app/idempotency.h"
#include "api/ratelimit.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

/* Matches path against pattern; fills params. 1 on match. */
static int match(const char *pattern, const char *path, cb_req *req)
{
	const char *p = pattern, *s = path;
	int np = 0;
	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			if (!se)
				se = s + strlen(s);
			if (se == s || np >= CB_API_MAX_PARAMS)
				return 0;
			req->params[np++] = cb_arena_strndup(req->arena, s, (size_t)(se - s));
			p = pe + 1;
			s = se;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p || *s)
		return 0;
	req->nparams = np;
	return 1;
}

static const cb_route *find_route(cb_req *req, int *method_mismatch)
{
	*method_mismatch = 0;
	for (int i = 0; i < cb_routes_count; i++) {
		const cb_route *r = &cb_routes[i];
		if (!match(r->pattern, req->path, req))
			continue;
		if (strcmp(r->method, req->method) == 0 ||
		    (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			req->route = i;
			return r;
		}
		*method_mismatch = 1;
	}
	return NULL;
}

static const char *idem_fingerprint(cb_req *req)
{
	/* method, path and a hash of the body identify "the same request" */
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < req->body_len; i++) {
		h ^= (unsigned char)req->body[i];
		h *= 1099511628211ULL;
	}
	return cb_arena_printf(req->arena, "%s %s %016llx", req->method, req->path,
			       (unsigned long long)h);
}

/* 0: go on; -1: answered 429 (the bucket of cls/key is empty). */
static int rate_limited(cb_req *req, cb_resp *resp, cb_rl_class cls, const char *key)
{
	int retry = 0;
	if (cb_rl_take(cls, key, req->now, &retry))
		return 0;
	cb_err err = {0};
	cb_err_set(&err, CB_E_TOOMANY, NULL, "rate limit of %g requests per second exceeded",
		   cb_rl_rate(cls));
	cb_api_problem(req, resp, &err);
	cb_api_header(req, resp, "Retry-After", cb_arena_printf(req->arena, "%d", retry));
	cb_api_metrics_shed(CB_SHED_RATE);
	return -1;
}

static const char *ip_key(cb_req *req)
{
	return cb_arena_printf(req->arena, "ip:%s", req->client_ip ? req->client_ip : "");
}

static void dispatch(cb_req *req, cb_resp *resp)
{
	cb_err err = {0};
	int mismatch = 0;
	req->route = -1;
	const cb_route *r = find_route(req, &mismatch);
	if (!r) {
		if (mismatch)
			cb_err_set(&err, CB_E_METHOD, NULL, "method %s not allowed on %s", req->method,
				   req->path);
		else
			cb_err_set(&err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
		cb_api_problem(req, resp, &err);
		return;
	}
	if (!(r->flags & CB_R_PUBLIC)) {
		const char *secret = req->authorization ? NULL : cb_api_cookie(req, CB_SESSION_COOKIE);
		if (secret) {
			/* a browser session: state changes must carry its CSRF token */
			const char *csrf = NULL;
			if (cb_session_resolve(req->app, req->arena, secret, req->now, &req->actor, &csrf,
					       &req->session_id, &err)) {
				cb_api_problem(req, resp, &err);
				return;
			}
			int safe = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
			if (!safe && (!req->csrf_token || strlen(req->csrf_token) != strlen(csrf) ||
				      sodium_memcmp(req->csrf_token, csrf, strlen(csrf)) != 0)) {
				cb_err_set(&err, CB_E_FORBIDDEN, "X-CSRF-Token",
					   "a change made with the session cookie needs the session's "
					   "CSRF token in X-CSRF-Token");
				cb_api_problem(req, resp, &err);
				return;
			}
		} else if (cb_auth_bearer(req->app, req->arena, req->authorization, &req->actor, &err)) {
			/* failed credentials count against the address's public rate */
			if (rate_limited(req, resp, CB_RL_ANONYMOUS, ip_key(req)))
				return;
			cb_api_problem(req, resp, &err);
			cb_api_header(req, resp, "WWW-Authenticate", "Bearer");
			return;
		}
		if (rate_limited(req, resp,
				 req->actor.role == CB_ROLE_CUSTOMER ? CB_RL_CUSTOMER : CB_RL_STAFF,
				 cb_arena_printf(req->arena, "u:%lld", (long long)req->actor.user_id)))
			return;
		if (req->actor.role < r->min_role) {
			/* customers get 404 for agent-only resources: nothing to probe */
			if (req->actor.role == CB_ROLE_CUSTOMER)
				cb_err_set(&err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
			else
				cb_err_set(&err, CB_E_FORBIDDEN, NULL, "requires the %s role",
					   cb_role_name(r->min_role));
			cb_api_problem(req, resp, &err);
			return;
		}
	}
	if ((r->flags & CB_R_PUBLIC) && !(r->flags & CB_R_UNLIMITED) &&
	    rate_limited(req, resp, CB_RL_ANONYMOUS, ip_key(req)))
		return;
	if ((r->flags & CB_R_WRITE) && req->idempotency_key && strcmp(req->method, "POST") == 0) {
		if (strlen(req->idempotency_key) > 255) {
			cb_err_set(&err, CB_E_BADREQ, "Idempotency-Key", "must be at most 255 characters");
			cb_api_problem(req, resp, &err);
			return;
		}
		req->idem_fingerprint = idem_fingerprint(req);
		int status = 0;
		const char *body = NULL;
		int found = cb_idem_lookup(req->app, req->arena, req->actor.user_id,
					   req->idempotency_key, req->idem_fingerprint, &status,
					   &body, &err);
		if (found < 0) {
			cb_api_problem(req, resp, &err);
			return;
		}
		if (found) {
			cb_api_raw(req, resp, status, "application/json", body, strlen(body));
			cb_api_header(req, resp, "Idempotent-Replayed", "true");
			return;
		}
	}
	if (r->handler(req, resp, &err) != 0) {
		if (err.code == CB_OK)
			cb_err_set(&err, CB_E_INTERNAL, NULL, "request failed");
		cb_api_problem(req, resp, &err);
	}
}

void cb_api_dispatch(cb_req *req, cb_resp *resp)
{
	/* a pooled reader; a read sees one snapshot of the database and pays
	 * for one read transaction, not one per statement */
	int read = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	cb_db_request_begin(req->app->db, read);
	dispatch(req, resp);
	cb_db_request_end(req->app->db);
	if (resp->status == 503) {
		/* overload (a full or stalled write queue, a busy database): nothing
		 * was written, so the client may retry; say when */
		cb_api_metrics_shed(CB_SHED_BUSY);
		cb_api_header(req, resp, "Retry-After", "1");
	}
}
