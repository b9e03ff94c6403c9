/* dispatch.c - the generic request path: route match, authentication, role
 * check, content type, the request's database scope, Idempotency-Key
 * replay, handler, problem+json.
 *
 * DESIGN: like Redis' processCommand, every request goes through one
 * function that enforces the table's rules once, so handlers contain only
 * their own logic. Errors travel as cb_err and become problem+json here.
 * A 503 (CB_E_BUSY: the writer refused the job) carries Retry-After, as
 * does a 429 (api/ratelimit.h: the caller's bucket is empty). */
#include "api/api.h"
#include "app/directory/session.h"
#include "api/write.h"
#include "app/directory/auth.h"
#include "app/idempotency.h"
#include "app/mail/mail_in.h"
#include "app/scope.h"
#include "api/ratelimit.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

/* Matches path against pattern; fills req's params (req may be NULL: only
 * whether it matches). 1 on match. */
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
			if (req)
				req->params[np] = cb_arena_strndup(req->arena, s, (size_t)(se - s));
			np++;
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
	if (req)
		req->nparams = np;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The route of req->method on req->path. When only the method is wrong,
 * *allow gets the path's methods in alphabetical order ("GET, HEAD,
 * PATCH"; HEAD wherever GET is), else NULL. */
static const cb_route *find_route(cb_req *req, const char **allow)
{
	*allow = NULL;
	const char *m[16];
	size_t n = 0;
	for (int i = 0; i < cb_routes_count; i++) {
		const cb_route *r = &cb_routes[i];
		if (!match(r->pattern, req->path, req))
			continue;
		if (strcmp(r->method, req->method) == 0 ||
		    (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			req->route = i;
			return r;
		}
		const char *add[2] = {r->method, strcmp(r->method, "GET") == 0 ? "HEAD" : NULL};
		for (int k = 0; k < 2 && add[k]; k++) {
			int seen = 0;
			for (size_t q = 0; q < n && !seen; q++)
				seen = strcmp(m[q], add[k]) == 0;
			if (!seen && n < sizeof m / sizeof m[0])
				m[n++] = add[k];
		}
	}
	if (!n)
		return NULL;
	qsort(m, n, sizeof m[0], cmp_str);
	char methods[160] = "";
	size_t len = 0;
	for (size_t q = 0; q < n && len < sizeof methods; q++)
		len += (size_t)snprintf(methods + len, sizeof methods - len, "%s%s", q ? ", " : "", m[q]);
	*allow = cb_arena_strdup(req->arena, methods);
	return NULL;
}

static const char *idem_fingerprint(cb_req *req)
{
	/* method, path and a hash of the body identify "the same request" */
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < req->body_len && !req->body_file; i++) {
		h ^= (unsigned char)req->body[i];
		h *= 1099511628211ULL;
	}
	if (req->body_file) {
		/* a spooled body: hashed from the file, which is left at its start */
		unsigned char b[65536];
		size_t n;
		rewind(req->body_file);
		while ((n = fread(b, 1, sizeof b, req->body_file)) > 0)
			for (size_t i = 0; i < n; i++) {
				h ^= b[i];
				h *= 1099511628211ULL;
			}
		rewind(req->body_file);
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

/* Everything decided from the request line and headers: 0 to go on, -1
 * when resp holds the refusal. */
static int admit(cb_req *req, cb_resp *resp)
{
	cb_err err = {0};
	const char *allow = NULL;
	req->route = -1;
	if (req->path_has_nul) {
		cb_err_set(&err, CB_E_BADREQ, NULL, "the request target contains %%00 (a NUL byte)");
		cb_api_problem(req, resp, &err);
		return -1;
	}
	const cb_route *r = find_route(req, &allow);
	if (!r) {
		if (allow)
			cb_err_set(&err, CB_E_METHOD, NULL, "method %s not allowed on %s", req->method,
				   req->path);
		else
			cb_err_set(&err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
		cb_api_problem(req, resp, &err);
		if (allow)
			cb_api_header(req, resp, "Allow", allow);
		return -1;
	}
	if (!(r->flags & CB_R_PUBLIC)) {
		const char *secret = req->authorization ? NULL : cb_api_cookie(req, CB_SESSION_COOKIE);
		if (secret) {
			/* a browser session: state changes must carry its CSRF token */
			const char *csrf = NULL;
			if (cb_session_resolve(req->app, req->arena, secret, req->now, &req->actor, &csrf,
					       &req->session_id, &err)) {
				cb_api_problem(req, resp, &err);
				return -1;
			}
			int safe = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
			if (!safe && (!req->csrf_token || strlen(req->csrf_token) != strlen(csrf) ||
				      sodium_memcmp(req->csrf_token, csrf, strlen(csrf)) != 0)) {
				cb_err_set(&err, CB_E_FORBIDDEN, "X-CSRF-Token",
					   "a change made with the session cookie needs the session's "
					   "CSRF token in X-CSRF-Token");
				cb_api_problem(req, resp, &err);
				return -1;
			}
		} else if (cb_auth_bearer(req->app, req->arena, req->authorization, &req->actor, &err)) {
			/* failed credentials count against the address's public rate */
			if (rate_limited(req, resp, CB_RL_ANONYMOUS, ip_key(req)))
				return -1;
			cb_api_problem(req, resp, &err);
			cb_api_header(req, resp, "WWW-Authenticate", "Bearer");
			return -1;
		}
		if (rate_limited(req, resp,
				 req->actor.role == CB_ROLE_CUSTOMER ? CB_RL_CUSTOMER : CB_RL_STAFF,
				 cb_arena_printf(req->arena, "u:%lld", (long long)req->actor.user_id)))
			return -1;
		if (req->actor.role < r->min_role) {
			/* customers get 404 for agent-only resources: nothing to probe */
			if (req->actor.role == CB_ROLE_CUSTOMER)
				cb_err_set(&err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
			else
				cb_err_set(&err, CB_E_FORBIDDEN, NULL, "requires the %s role",
					   cb_role_name(r->min_role));
			cb_api_problem(req, resp, &err);
			return -1;
		}
	}
	if ((r->flags & CB_R_PUBLIC) && !(r->flags & CB_R_UNLIMITED) &&
	    rate_limited(req, resp, CB_RL_ANONYMOUS, ip_key(req)))
		return -1;
	return 0;
}

/* The body's part: Idempotency-Key replay, then the handler. */
static void run(cb_req *req, cb_resp *resp)
{
	cb_err err = {0};
	const cb_route *r = &cb_routes[req->route];
	if ((r->flags & CB_R_WRITE) && !(r->flags & CB_R_NOIDEM) && req->idempotency_key &&
	    strcmp(req->method, "POST") == 0) {
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

static void finish(cb_req *req, cb_resp *resp)
{
	if (resp->status == 503) {
		/* overload (a full or stalled write queue, a busy database): nothing
		 * was written, so the client may retry; say when */
		cb_api_metrics_shed(CB_SHED_BUSY);
		cb_api_header(req, resp, "Retry-After", "1");
	}
}

int cb_api_admit(cb_req *req, cb_resp *resp)
{
	/* credentials and sessions are read in one snapshot; the use cases
	 * that read them report their own errors */
	cb_err ignored = {0};
	cb_conn *c = cb_scope_begin(req->app, CB_SCOPE_READ, &ignored);
	int rc = admit(req, resp);
	cb_scope_end(req->app, c);
	if (rc)
		finish(req, resp);
	return rc;
}

void cb_api_run(cb_req *req, cb_resp *resp)
{
	/* the request's database scope, from its route's row: a read sees one
	 * snapshot of the database and pays for one read transaction, not one
	 * per statement; a write route reads the latest commit and changes
	 * state through the group commit (cb_api_commit) */
	const cb_route *r = &cb_routes[req->route];
	cb_err err = {0};
	req->conn = cb_scope_begin(req->app, r->flags & CB_R_WRITE ? CB_SCOPE_WRITE : CB_SCOPE_READ,
				   &err);
	if (req->conn)
		run(req, resp);
	else
		cb_api_problem(req, resp, &err);
	cb_scope_end(req->app, req->conn);
	req->conn = NULL;
	finish(req, resp);
}

size_t cb_api_body_limit(int route, size_t max_body)
{
	unsigned flags = route >= 0 && route < cb_routes_count ? cb_routes[route].flags : 0;
	return flags & CB_R_SPOOL  ? CB_API_SPOOL_MAX
	       : flags & CB_R_MAIL ? (size_t)CB_MAIL_MAX
				   : max_body;
}

int cb_api_never_shed(const char *path)
{
	for (int i = 0; i < cb_routes_count; i++)
		if ((cb_routes[i].flags & CB_R_NOSHED) && match(cb_routes[i].pattern, path, NULL))
			return 1;
	return 0;
}

void cb_api_dispatch(cb_req *req, cb_resp *resp)
{
	if (cb_api_admit(req, resp) == 0)
		cb_api_run(req, resp);
}
