/* util.c - response builders and request accessors shared by handlers. */
#include "api/api.h"
#include "api/write.h"
#include "app/idempotency.h"
#include "app/scope.h"
#include "util/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_decref_cb(void *p)
{
	json_decref(p);
}

json_t *cb_api_own(cb_req *req, json_t *v)
{
	if (v)
		cb_arena_defer(req->arena, json_decref_cb, v);
	return v;
}

static char *dump(cb_req *req, json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
	if (!s)
		s = cb_xstrdup("null");
	*len = strlen(s);
	char *a = cb_arena_strndup(req->arena, s, *len);
	free(s); /* allocated by jansson */
	return a;
}

int cb_api_json(cb_req *req, cb_resp *resp, int status, json_t *v)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = dump(req, v, &resp->len);
	json_decref(v);
	return 0;
}

void cb_api_raw(cb_req *req, cb_resp *resp, int status, const char *ctype, const char *body,
		size_t len)
{
	resp->status = status;
	resp->content_type = ctype;
	resp->body = cb_arena_strndup(req->arena, body, len);
	resp->len = len;
}

void cb_api_header(cb_req *req, cb_resp *resp, const char *k, const char *v)
{
	if (resp->nheaders >= CB_API_MAX_HEADERS)
		return;
	resp->headers[resp->nheaders].key = cb_arena_strdup(req->arena, k);
	resp->headers[resp->nheaders].value = cb_arena_strdup(req->arena, v);
	resp->nheaders++;
}

void cb_api_page_headers(cb_req *req, cb_resp *resp)
{
	cb_api_header(req, resp, "Content-Security-Policy",
		      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		      "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	cb_api_header(req, resp, "X-Content-Type-Options", "nosniff");
	cb_api_header(req, resp, "X-Frame-Options", "DENY");
	cb_api_header(req, resp, "Referrer-Policy", "no-referrer");
}

void cb_api_html(cb_req *req, cb_resp *resp, int status, const char *html, size_t len)
{
	cb_api_raw(req, resp, status, "text/html; charset=utf-8", html, len);
	cb_api_page_headers(req, resp);
}

void cb_api_problem(cb_req *req, cb_resp *resp, const cb_err *err)
{
	int status = cb_err_http_status(err->code);
	json_t *p = json_object();
	json_object_set_new(p, "type", json_string(cb_arena_printf(
		req->arena, "https://casebook.dev/problems/%s", cb_err_type(err->code))));
	json_object_set_new(p, "title", json_string(cb_err_title(err->code)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "detail", json_string(err->message));
	json_t *items = json_array();
	for (int i = 0; i < err->nitems; i++) {
		json_t *it = json_object();
		json_object_set_new(it, "field", json_string(err->items[i].field));
		json_object_set_new(it, "message", json_string(err->items[i].message));
		json_array_append_new(items, it);
	}
	json_object_set_new(p, "errors", items);
	if (req->request_id)
		json_object_set_new(p, "request_id", json_string(req->request_id));
	cb_api_json(req, resp, status, p);
	resp->content_type = "application/problem+json";
}

int cb_api_media_is(const char *ct, const char *type)
{
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strlen(type);
	if (strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

json_t *cb_api_body_object(cb_req *req, cb_err *err)
{
	if (!cb_api_media_is(req->content_type, "application/json")) {
		cb_err_set(err, CB_E_MEDIA, "Content-Type", "expected application/json");
		return NULL;
	}
	if (!req->body || req->body_len == 0) {
		cb_err_set(err, CB_E_BADREQ, "", "request body is empty");
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		cb_err_set(err, CB_E_BADREQ, "", "malformed JSON at line %d, column %d: %s",
			   je.line, je.column, je.text);
		return NULL;
	}
	cb_api_own(req, v);
	if (!json_is_object(v)) {
		cb_err_set(err, CB_E_BADREQ, "", "the body must be a JSON object");
		return NULL;
	}
	return v;
}

const char *cb_api_query(const cb_req *req, const char *key)
{
	for (int i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].value ? req->query[i].value : "";
	return NULL;
}

int cb_api_check_query(const cb_req *req, const char *const *known, cb_err *err)
{
	for (int i = 0; i < req->nquery; i++) {
		int ok = 0;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, req->query[i].key) == 0;
		if (!ok)
			return cb_err_set(err, CB_E_BADREQ, req->query[i].key, "unknown query parameter");
	}
	return 0;
}

int cb_api_param_id(const cb_req *req, int i, int64_t *out, cb_err *err)
{
	const char *s = i < req->nparams ? req->params[i] : NULL;
	char *end = NULL;
	if (!s || !isdigit((unsigned char)*s))
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
	long long v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
	*out = v;
	return 0;
}

/* Cursor: "c" followed by the last id in base 36; opaque to clients. */
char *cb_api_cursor(cb_req *req, int64_t last)
{
	char tmp[32];
	int n = 0;
	uint64_t v = (uint64_t)last;
	do {
		int d = (int)(v % 36);
		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= 36;
	} while (v);
	char *s = cb_arena_alloc(req->arena, (size_t)n + 2);
	s[0] = 'c';
	for (int i = 0; i < n; i++)
		s[1 + i] = tmp[n - 1 - i];
	return s;
}

int cb_api_list(cb_req *req, cb_resp *resp, json_t *items, int64_t next)
{
	json_t *o = json_object();
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "next_cursor", next ? json_string(cb_api_cursor(req, next)) : json_null());
	return cb_api_json(req, resp, 200, o);
}

int cb_api_cursor_decode(const char *s, int64_t *out)
{
	if (!s || s[0] != 'c' || !s[1] || strlen(s) > 14)
		return -1;
	uint64_t v = 0;
	for (const char *p = s + 1; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'z')
			d = *p - 'a' + 10;
		else
			return -1;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / 36)
			return -1; /* would wrap: 13 digits reach past 2^64 (fuzz/regress/cursor) */
		v = v * 36 + (uint64_t)d;
	}
	if (v == 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int cb_api_page(const cb_req *req, int *limit, int64_t *after, cb_err *err)
{
	*limit = 50;
	*after = 0;
	const char *l = cb_api_query(req, "limit");
	if (l) {
		char *end = NULL;
		long v = strtol(l, &end, 10);
		if (!*l || *end || v < 1 || v > 500)
			return cb_err_set(err, CB_E_BADREQ, "limit", "must be an integer from 1 to 500");
		*limit = (int)v;
	}
	const char *c = cb_api_query(req, "cursor");
	if (c && *c && cb_api_cursor_decode(c, after))
		return cb_err_set(err, CB_E_BADREQ, "cursor", "invalid cursor");
	return 0;
}

/* ---- commit through the writer ---- */

struct commit_job {
	cb_req *req;
	cb_api_write_fn fn;
	void *arg;
	int *status_p; /* may be changed by fn (cb_api_commit_status) */
	char *body;
	size_t len;
	int replayed_conflict; /* another request with the same key won */
};

static int commit_fn(cb_conn *c, void *p, cb_err *err)
{
	struct commit_job *j = p;
	json_t *out = NULL;
	if (j->fn(c, j->req, j->arg, &out, err))
		return -1;
	char *s = json_dumps(out ? out : json_null(), JSON_COMPACT);
	json_decref(out);
	j->len = strlen(s);
	j->body = cb_arena_strndup(j->req->arena, s, j->len);
	free(s); /* jansson's allocation */
	if (j->req->idem_fingerprint) {
		int rc = cb_idem_store(c, j->req->actor.user_id, j->req->idempotency_key,
				       j->req->idem_fingerprint, *j->status_p,
				       j->body, j->req->now, err);
		if (rc) {
			if (err->code == CB_E_CONFLICT)
				j->replayed_conflict = 1;
			return -1;
		}
	}
	return 0;
}

int cb_api_commit(cb_req *req, cb_resp *resp, int status, cb_api_write_fn fn, void *arg,
		  cb_err *err)
{
	return cb_api_commit_status(req, resp, &status, fn, arg, err);
}

int cb_api_commit_status(cb_req *req, cb_resp *resp, int *status_p, cb_api_write_fn fn,
			 void *arg, cb_err *err)
{
	/* the route table decides the scope: only a write route changes state */
	if (req->route < 0 || req->route >= cb_routes_count ||
	    !(cb_routes[req->route].flags & CB_R_WRITE))
		return cb_err_set(err, CB_E_INTERNAL, NULL, "%s %s is not a write route", req->method,
				  req->path);
	struct commit_job j = {.req = req, .fn = fn, .arg = arg, .status_p = status_p};
	if (cb_scope_write(req->app, req->conn, commit_fn, &j, err)) {
		if (j.replayed_conflict) {
			/* a concurrent request with the same key committed first */
			cb_err e2 = {0};
			int st = 0;
			const char *body = NULL;
			if (cb_idem_lookup(req->app, req->arena, req->actor.user_id,
					   req->idempotency_key, req->idem_fingerprint, &st, &body,
					   &e2) == 1) {
				cb_err_clear(err);
				cb_api_raw(req, resp, st, "application/json", body, strlen(body));
				cb_api_header(req, resp, "Idempotent-Replayed", "true");
				return 0;
			}
		}
		return -1;
	}
	resp->status = *status_p;
	resp->content_type = "application/json";
	resp->body = j.body;
	resp->len = j.len;
	return 0;
}

const char *cb_api_cookie(cb_req *req, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = req->cookie; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && !strncmp(p, name, n) && p[n] == '=')
			return cb_arena_strndup(req->arena, p + n + 1, len - n - 1);
		p += len;
	}
	return NULL;
}

int cb_api_paged(cb_req *req, cb_resp *resp, const char *const *known, cb_api_page_fn fn,
		 cb_err *err)
{
	int limit;
	int64_t after;
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &after, err))
		return -1;
	json_t *items = NULL;
	int64_t next = 0;
	if (fn(req->conn, req, limit, after, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}

/* ---- resources with create / update / get use cases (write.h) ---- */

struct resource_job {
	const cb_api_resource *r;
	int64_t id, other;
	json_t *in;
};

static int resource_create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct resource_job *j = arg;
	if (j->r->create(c, &req->actor, req->now, j->in, &j->id, err))
		return -1;
	*out = j->r->get(c, j->id, err);
	return *out ? 0 : -1;
}

static int resource_update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct resource_job *j = arg;
	if (j->r->update(c, &req->actor, req->now, j->id, j->in, err))
		return -1;
	*out = j->r->get(c, j->id, err);
	return *out ? 0 : -1;
}

int cb_api_resource_create(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err)
{
	struct resource_job j = {.r = r};
	if (!(j.in = cb_api_body_object(req, err)))
		return -1;
	return cb_api_commit(req, resp, 201, resource_create_fn, &j, err);
}

int cb_api_resource_patch(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err)
{
	struct resource_job j = {.r = r};
	if (cb_api_param_id(req, 0, &j.id, err) || !(j.in = cb_api_body_object(req, err)))
		return -1;
	return cb_api_commit(req, resp, 200, resource_update_fn, &j, err);
}

int cb_api_resource_get(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	json_t *o = r->get(req->conn, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int resource_link_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct resource_job *j = arg;
	*out = j->r->link(c, &req->actor, req->now, j->id, j->in, err);
	return *out ? 0 : -1;
}

static int resource_unlink_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct resource_job *j = arg;
	if (j->r->unlink(c, &req->actor, req->now, j->id, j->other, err))
		return -1;
	*out = json_pack("{s:I, s:I, s:b}", "ticket", (json_int_t)j->id, j->r->noun,
			 (json_int_t)j->other, "unlinked", 1);
	return 0;
}

int cb_api_resource_link(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err)
{
	struct resource_job j = {.r = r};
	if (cb_api_param_id(req, 0, &j.id, err) || !(j.in = cb_api_body_object(req, err)))
		return -1;
	return cb_api_commit(req, resp, 201, resource_link_fn, &j, err);
}

int cb_api_resource_unlink(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err)
{
	struct resource_job j = {.r = r};
	if (cb_api_param_id(req, 0, &j.id, err) || cb_api_param_id(req, 1, &j.other, err))
		return -1;
	return cb_api_commit(req, resp, 200, resource_unlink_fn, &j, err);
}

int cb_api_resource_of_ticket(cb_req *req, cb_resp *resp, const cb_api_resource *r,
			      cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	json_t *items = NULL;
	if (r->of_ticket(req->conn, id, &items, err))
		return -1;
	return cb_api_list(req, resp, items, 0);
}
