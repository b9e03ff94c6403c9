/* api.h - the HTTP API independent of the server library.
 *
 * http/ turns a library request into a cb_req, calls cb_api_dispatch(), and
 * sends the cb_resp. Everything between (routing, authentication, role
 * checks, JSON in and out, mapping errors to problem+json) lives in api/.
 * Handlers call app/ use cases; they never touch SQL, and they never open a
 * connection or a transaction: the dispatcher opens the request's database
 * scope from its route's row (app/scope.h) and hands the reader over in
 * req->conn; a write route's change runs through cb_api_commit (write.h). */
#ifndef CB_API_H
#define CB_API_H
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "app/app.h"
#include "util/arena.h"
#include "util/err.h"

#define CB_API_MAX_PARAMS 4
#define CB_API_MAX_QUERY 32
#define CB_API_MAX_HEADERS 8

typedef struct {
	const char *key, *value;
} cb_kv;

typedef struct cb_req {
	cb_arena *arena;
	cb_app *app;
	cb_ms now;
	const char *method;
	const char *path;          /* without the query string */
	const char *body;          /* NULL when empty (and with body_file) */
	size_t body_len;
	FILE *body_file;           /* CB_R_SPOOL routes: the body in a temporary file, at its
				    * start (body is NULL, body_len its size) */
	int path_has_nul;          /* the request target held %00: 400 */
	const char *content_type;  /* header value or NULL */
	const char *accept;
	const char *authorization;
	const char *idempotency_key;
	const char *cookie;          /* Cookie header (browser sessions) */
	const char *csrf_token;      /* X-CSRF-Token header */
	const char *forwarded_proto; /* X-Forwarded-Proto (https behind a TLS proxy); only
				      * from the --trusted-proxy address, else NULL */
	const char *client_ip;       /* the peer's address ("" when unknown) */
	const char *if_none_match;   /* If-None-Match (static pages: 304) */
	int64_t session_id;          /* set when the cookie authenticated the request */
	const char *request_id;
	cb_kv query[CB_API_MAX_QUERY];
	int nquery;
	const char *params[CB_API_MAX_PARAMS]; /* path parameters, in order */
	int nparams;
	cb_actor actor;            /* resolved by the dispatcher */
	cb_conn *conn;             /* the request's reader, opened by the dispatcher from the
				    * route's row: one snapshot for a read route, the latest
				    * commit for a CB_R_WRITE route (app/scope.h) */
	const char *idem_fingerprint; /* set when an Idempotency-Key applies */
	int route;                 /* index into the route table, -1 none */
} cb_req;

typedef struct {
	int status;
	const char *content_type;
	char *body;                /* arena-owned */
	size_t len;
	cb_kv headers[CB_API_MAX_HEADERS];
	int nheaders;
} cb_resp;

typedef int (*cb_handler)(cb_req *req, cb_resp *resp, cb_err *err);

/* A route's flags: its columns besides method, pattern, handler and role.
 * Database scope: a route without CB_R_WRITE is a read and runs in one
 * snapshot; a CB_R_WRITE route reads the latest commit and makes its change
 * through the group commit. Body limit: --max-body, or CB_R_MAIL's or
 * CB_R_SPOOL's (cb_api_body_limit). Shedding: CB_R_NOSHED. */
enum {
	CB_R_PUBLIC = 1 << 0,   /* no authentication */
	CB_R_WRITE = 1 << 1,    /* changes state: its scope is a write (cb_api_commit, or an
				 * app/ use case that owns its transactions); honours
				 * Idempotency-Key on POST unless CB_R_NOIDEM */
	CB_R_JSON_BODY = 1 << 2,/* requires a JSON body */
	CB_R_UNLIMITED = 1 << 3,/* public and cheap: no rate limit (health, metrics, static pages) */
	CB_R_SPOOL = 1 << 4,    /* large bodies (CB_API_SPOOL_MAX): spooled to a file, never
				 * held in memory (req->body_file) */
	CB_R_MAIL = 1 << 5,     /* a mail message: the mail size limit (CB_MAIL_MAX), not
				 * --max-body */
	CB_R_NOSHED = 1 << 6,   /* never shed over --max-inflight (health checks, metrics: an
				 * overloaded server still answers them and says why) */
	CB_R_NOIDEM = 1 << 7,   /* a CB_R_WRITE route that ignores Idempotency-Key (public or
				 * cookie routes whose answer is not a stored JSON body) */
};

/* Body limit of CB_R_SPOOL routes (the import). */
#define CB_API_SPOOL_MAX ((size_t)256 << 20)
/* What a refused request (401, 403, 404, 405, 429 decided from its
 * headers) may still send as a body: it is read and dropped so the
 * connection can be kept; a longer one gets its answer at once and the
 * connection is closed without reading the body. */
#define CB_API_REFUSED_BODY ((size_t)64 << 10)

typedef struct {
	const char *method;
	const char *pattern;    /* "/api/v1/tickets/{id}/comments" */
	cb_handler handler;
	cb_role min_role;       /* least role allowed (NONE with PUBLIC) */
	unsigned flags;
	const char *name;       /* label for metrics and logs */
} cb_route;

extern const cb_route cb_routes[];
extern const int cb_routes_count;

/* Routes, authenticates and runs the handler; fills resp (problem+json on
 * error). Never fails: every outcome is a response. */
void cb_api_dispatch(cb_req *req, cb_resp *resp);
/* The body limit of route (an index into cb_routes) given --max-body. */
size_t cb_api_body_limit(int route, size_t max_body);
/* 1 when path is a CB_R_NOSHED route's (whatever the method): http/ never
 * sheds it, so it is decided before the request is routed. */
int cb_api_never_shed(const char *path);
/* cb_api_dispatch in two steps, so that no body is read for a caller who
 * may not send it. cb_api_admit decides from the request line and headers
 * alone (route, 405, credentials, role, rate limits): 0 when the request
 * may go on (req->route set: its flags tell the body limit), -1 when resp
 * holds the answer. cb_api_run then runs an admitted request with its
 * body. */
int cb_api_admit(cb_req *req, cb_resp *resp);
void cb_api_run(cb_req *req, cb_resp *resp);

/* ---- helpers for handlers ---- */

/* Responds with a JSON value (takes ownership of v). */
int cb_api_json(cb_req *req, cb_resp *resp, int status, json_t *v);
/* Responds with raw bytes (copied into the arena). */
void cb_api_raw(cb_req *req, cb_resp *resp, int status, const char *ctype,
		const char *body, size_t len);
void cb_api_problem(cb_req *req, cb_resp *resp, const cb_err *err);
void cb_api_header(cb_req *req, cb_resp *resp, const char *k, const char *v);
/* The one place that sets the security headers of HTML pages and web
 * assets (the console, portal and dashboard, /status, /known-issues, the
 * survey page): Content-Security-Policy (this origin's scripts, styles and
 * images only, no inline code, frame-ancestors 'none'), X-Frame-Options:
 * DENY, X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer. */
void cb_api_page_headers(cb_req *req, cb_resp *resp);
/* Responds with an HTML page (text/html; charset=utf-8) and those headers. */
void cb_api_html(cb_req *req, cb_resp *resp, int status, const char *html, size_t len);

/* 1 when the Content-Type header ct names exactly the media type `type`
 * ("application/json"), optionally followed by parameters (";charset=..."). */
int cb_api_media_is(const char *ct, const char *type);
/* Parses the body as a JSON object (400 on malformed JSON or invalid UTF-8,
 * 415 on a wrong content type). The value is released with the arena. */
json_t *cb_api_body_object(cb_req *req, cb_err *err);
const char *cb_api_query(const cb_req *req, const char *key);
/* The value of cookie `name` from the Cookie header (arena), or NULL. */
const char *cb_api_cookie(cb_req *req, const char *name);
/* 400 naming the first query parameter not in the NULL-terminated known. */
int cb_api_check_query(const cb_req *req, const char *const *known, cb_err *err);
/* Path parameter i as a positive id (404 if not a number). */
int cb_api_param_id(const cb_req *req, int i, int64_t *out, cb_err *err);
/* Releases v with the request's arena. */
json_t *cb_api_own(cb_req *req, json_t *v);

/* Pagination: limit (default 50, max 500) and opaque cursor. */
int cb_api_page(const cb_req *req, int *limit, int64_t *after, cb_err *err);
char *cb_api_cursor(cb_req *req, int64_t last);
/* Responds 200 {"items": items, "next_cursor": cursor of next or null}. */
int cb_api_list(cb_req *req, cb_resp *resp, json_t *items, int64_t next);
/* A paged list read: checks the query string against known, reads limit
 * and cursor, runs fn on the request's reader (req->conn) and answers
 * cb_api_list. */
typedef int (*cb_api_page_fn)(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
			      int64_t *next, cb_err *err);
int cb_api_paged(cb_req *req, cb_resp *resp, const char *const *known, cb_api_page_fn fn,
		 cb_err *err);
/* Decodes a cursor made by cb_api_cursor; -1 if invalid. */
int cb_api_cursor_decode(const char *s, int64_t *out);

/* Per-route metrics (read by /metrics). */
void cb_api_metrics_record(int route, int status, double seconds);
void cb_api_metrics_render(cb_req *req, cb_resp *resp);
/* Load shedding: a request answered 503 without running its handler
 * (http/ over --max-inflight), or refused by the writer (CB_E_BUSY). */
typedef enum { CB_SHED_INFLIGHT, CB_SHED_BUSY, CB_SHED_RATE, CB_SHED__COUNT } cb_shed_reason;
void cb_api_metrics_shed(cb_shed_reason why);
/* Requests admitted and not yet complete (kept by http/, shown by /metrics). */
void cb_api_metrics_inflight_add(int delta);

#endif
