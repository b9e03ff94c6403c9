/* h_articles.c - the knowledge base: articles, versions, diffs, links to
 * tickets, votes, stats, the knowledge report and the public known-issues
 * list. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/knowledge/article.h"
#include "app/directory/directory.h"
#include "app/knowledge/kb_log.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

static int time_param(const cb_req *req, const char *key, cb_ms dflt, cb_ms *out, cb_err *err)
{
	const char *s = cb_api_query(req, key);
	*out = dflt;
	if (s && cb_time_parse(s, out))
		return cb_err_set(err, CB_E_BADREQ, key, "must be an RFC 3339 time");
	return 0;
}

struct art_arg {
	int64_t id;
	json_t *in;
	const char *kind;
};

static int create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id;
	if (cb_article_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	*out = cb_article_get(c, &req->actor, id, err);
	return *out ? 0 : -1;
}

int cb_h_articles_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	return in ? cb_api_commit(req, resp, 201, create_fn, in, err) : -1;
}

static int update_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct art_arg *a = arg;
	if (cb_article_update(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = cb_article_get(c, &req->actor, a->id, err);
	return *out ? 0 : -1;
}

int cb_h_articles_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct art_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 200, update_fn, &a, err) : -1;
}

static int list_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		   int64_t *next, cb_err *err)
{
	const char *stale = cb_api_query(req, "stale");
	if (stale && strcmp(stale, "true") && strcmp(stale, "false"))
		return cb_err_set(err, CB_E_BADREQ, "stale", "must be true or false");
	cb_article_filter f = {
		.type = cb_api_query(req, "type"),
		.state = cb_api_query(req, "state"),
		.visibility = cb_api_query(req, "visibility"),
		.tag = cb_api_query(req, "tag"),
		.product_area = cb_api_query(req, "product_area"),
		.stale = stale && strcmp(stale, "true") == 0,
	};
	return cb_article_list(c, &req->actor, &f, req->now, limit, after, items, next, err);
}

int cb_h_articles_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", "type", "state", "visibility", "tag",
					    "product_area", "stale", NULL};
	return cb_api_paged(req, resp, known, list_fn, err);
}

/* Records a view or search for the reuse and deflection counts, queued
 * for the next group commit (app/knowledge/kb_log.h): the read does not wait for an
 * fsync, and a failure to record never fails it. */
void cb_h_kb_record(cb_req *req, const char *kind, int64_t article)
{
	cb_kb_log_record(req->app->db, &req->actor, req->now, kind, article);
}

int cb_h_articles_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_article_get(c, &req->actor, id, err);
	if (!o)
		return -1;
	cb_h_kb_record(req, "view", id);
	return cb_api_json(req, resp, 200, o);
}

static int versions_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
		       int64_t *next, cb_err *err)
{
	int64_t id;
	return cb_api_param_id(req, 0, &id, err) ||
	       cb_article_versions(c, &req->actor, id, limit, after, items, next, err) ? -1 : 0;
}

int cb_h_articles_versions(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", NULL};
	return cb_api_paged(req, resp, known, versions_fn, err);
}

static int version_param(const cb_req *req, const char *key, int64_t *out, cb_err *err)
{
	const char *s = cb_api_query(req, key);
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || v < 1)
		return cb_err_set(err, CB_E_BADREQ, key, "must be a version number");
	*out = v;
	return 0;
}

int cb_h_articles_diff(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"from", "to", NULL};
	int64_t id, from, to;
	if (cb_api_param_id(req, 0, &id, err) || cb_api_check_query(req, known, err) ||
	    version_param(req, "from", &from, err) || version_param(req, "to", &to, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_article_diff(c, &req->actor, id, from, to, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_articles_stats(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"as_of", NULL};
	int64_t id;
	cb_ms as_of;
	if (cb_api_param_id(req, 0, &id, err) || cb_api_check_query(req, known, err) ||
	    time_param(req, "as_of", req->now, &as_of, err))
		return -1;
	cb_conn *c = req->conn;
	cb_kb_log_sync(req->app->db); /* every view recorded before this read */
	json_t *o = cb_article_stats(c, id, as_of, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int vote_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct art_arg *a = arg;
	if (cb_article_vote(c, &req->actor, req->now, a->id, a->in, err))
		return -1;
	*out = json_pack("{s:I, s:O}", "article_id", (json_int_t)a->id, "helpful",
			 json_object_get(a->in, "helpful"));
	return 0;
}

int cb_h_articles_vote(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct art_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 201, vote_fn, &a, err) : -1;
}

static int link_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct art_arg *a = arg;
	*out = cb_article_link(c, &req->actor, req->now, a->id, a->in, err);
	return *out ? 0 : -1;
}

int cb_h_ticket_articles_link(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct art_arg a = {0};
	if (cb_api_param_id(req, 0, &a.id, err))
		return -1;
	a.in = cb_api_body_object(req, err);
	return a.in ? cb_api_commit(req, resp, 201, link_fn, &a, err) : -1;
}

int cb_h_ticket_articles_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_article_links(c, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_reports_knowledge(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"from", "to", "as_of", NULL};
	cb_ms from, to, as_of;
	if (cb_api_check_query(req, known, err) || time_param(req, "from", 0, &from, err) ||
	    time_param(req, "to", req->now + 1, &to, err) ||
	    time_param(req, "as_of", req->now, &as_of, err))
		return -1;
	cb_conn *c = req->conn;
	cb_kb_log_sync(req->app->db);
	json_t *o = cb_kb_report(c, from, to, as_of, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static json_t *known_issues(cb_req *req, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = cb_article_known_issues(c, err);
	return o;
}

int cb_h_known_issues_json(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *o = known_issues(req, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_known_issues_html(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *o = known_issues(req, err);
	if (!o)
		return -1;
	char *page = cb_article_known_issues_html(o);
	json_decref(o);
	cb_api_html(req, resp, 200, page, strlen(page));
	cb_free(page);
	return 0;
}
