/* article.c - the knowledge base (see article.h). */
#include "app/knowledge/article.h"
#include "app/ticket/pipeline.h"
#include "app/directory/directory.h"
#include "app/knowledge/search.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {"kb", "runbook", "known_error", "faq", NULL};
static const char *const states[] = {"draft", "in_review", "published", "archived", NULL};
static const char *const visibilities[] = {"internal", "public", NULL};
static const char *const keys[] = {"type", "title", "body", "visibility", "state", "symptoms",
				   "cause", "workaround", "defect", "tags", "product_area",
				   "owner", "review_by", NULL};
/* the text fields of a snapshot, in diff order */
static const char *const text_fields[] = {"type", "state", "visibility", "title", "product_area",
					  "review_by", "defect", "symptoms", "cause", "workaround",
					  "body", NULL};

static const char *opt_text(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? NULL : cb_q_text(q, col);
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The current row of CB_SQL_ARTICLE_GET as its snapshot (owner as id). */
static json_t *snapshot_of(cb_q *q)
{
	json_t *tags = json_loads(cb_q_text(q, 10), 0, NULL);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "type", cb_q_text(q, 1), "state", cb_q_text(q, 2), "visibility",
			 cb_q_text(q, 3), "title", cb_q_text(q, 4), "body", cb_q_text(q, 5),
			 "symptoms", text_or_null(opt_text(q, 6)), "cause",
			 text_or_null(opt_text(q, 7)), "workaround", text_or_null(opt_text(q, 8)),
			 "defect", text_or_null(opt_text(q, 9)), "tags", tags ? tags : json_array(),
			 "product_area", text_or_null(opt_text(q, 11)), "owner",
			 cb_q_isnull(q, 12) ? json_null() : json_integer(cb_q_i64(q, 12)),
			 "review_by", text_or_null(opt_text(q, 13)));
}

static int may_see(const cb_actor *viewer, const char *state, const char *visibility)
{
	if (cb_role_is_agent_side(viewer->role) || viewer->user_id == 0)
		return 1;
	return strcmp(state, "published") == 0 && strcmp(visibility, "public") == 0;
}

static json_t *render_row(cb_conn *c, cb_q *q)
{
	json_t *o = snapshot_of(q);
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "owner", cb_q_isnull(q, 12) ? json_null()
							 : json_pack("{s:I, s:s}", "id",
								     (json_int_t)cb_q_i64(q, 12),
								     "email", cb_q_isnull(q, 18) ? "" : cb_q_text(q, 18)));
	json_object_set_new(o, "version", json_integer(cb_q_i64(q, 14)));
	json_object_set_new(o, "created_at", cb_json_time(cb_q_i64(q, 16)));
	json_object_set_new(o, "updated_at", cb_json_time(cb_q_i64(q, 17)));
	return o;
}

/* Loads the snapshot of article id (NULL and 404 when missing or hidden). */
static json_t *load(cb_conn *c, const cb_actor *viewer, int64_t id, int render, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return NULL;
	if (r == 0 || !may_see(viewer, cb_q_text(q, 2), cb_q_text(q, 3))) {
		if (r == 1)
			cb_q_reset(q);
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such article: %lld", (long long)id);
		return NULL;
	}
	json_t *o = render ? render_row(c, q) : snapshot_of(q);
	cb_q_reset(q);
	return o;
}

json_t *cb_article_get(cb_conn *c, const cb_actor *viewer, int64_t id, cb_err *err)
{
	return load(c, viewer, id, 1, err);
}

static int valid_date(const char *s)
{
	unsigned y, m, d;
	char extra;
	return s && strlen(s) == 10 && sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &extra) == 3 && m >= 1 &&
	       m <= 12 && d >= 1 && d <= 31;
}

/* Merges the request into the snapshot s, validating each field. */
static int merge(cb_conn *c, json_t *s, json_t *in, int creating, cb_err *err)
{
	int bad = cb_json_check_keys(in, keys, "", err) != 0;
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "state") == 0 || strcmp(k, "visibility") == 0) {
			const char *const *list = k[0] == 't' ? types : k[0] == 's' ? states : visibilities;
			if (!cb_app_one_of(json_string_value(v), list)) {
				bad = cb_err_set(err, CB_E_INVALID, k, "unknown %s", k);
				continue;
			}
		} else if (strcmp(k, "title") == 0) {
			const char *t = json_string_value(v);
			if (!t || !*t || strlen(t) > 500) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a non-empty string (at most 500)");
				continue;
			}
		} else if (strcmp(k, "body") == 0) {
			if (!json_is_string(v) || json_string_length(v) > 200000) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a string (at most 200000)");
				continue;
			}
		} else if (strcmp(k, "tags") == 0) {
			if (!json_is_array(v) || json_array_size(v) > 50) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a list of strings");
				continue;
			}
			size_t i;
			json_t *t;
			int ok = 1;
			json_array_foreach(v, i, t) if (!json_is_string(t) || !json_string_length(t) ||
							json_string_length(t) > 100) ok = 0;
			if (!ok) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a list of strings");
				continue;
			}
		} else if (strcmp(k, "owner") == 0) {
			int64_t uid = 0;
			if (!json_is_null(v) && cb_dir_resolve_user(c, v, &uid, "owner", err))
				return -1;
			json_object_set_new(s, k, uid ? json_integer(uid) : json_null());
			continue;
		} else if (strcmp(k, "review_by") == 0) {
			if (!json_is_null(v) && !valid_date(json_string_value(v))) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a date YYYY-MM-DD or null");
				continue;
			}
		} else { /* symptoms, cause, workaround, defect, product_area */
			if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 100000)) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a string or null");
				continue;
			}
		}
		json_object_set(s, k, v);
	}
	if (creating && !json_string_value(json_object_get(s, "title")))
		bad = cb_err_set(err, CB_E_INVALID, "title", "required");
	return bad ? cb_err_summarize(err) : 0;
}

/* draft -> in_review -> published -> archived; back to draft from review or archive */
static int transition_ok(const char *from, const char *to)
{
	static const char *const ok[][2] = {
		{"draft", "in_review"}, {"in_review", "draft"},   {"in_review", "published"},
		{"draft", "published"}, {"published", "archived"}, {"published", "draft"},
		{"archived", "draft"},
	};
	if (strcmp(from, to) == 0)
		return 1;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(ok[i][0], from) == 0 && strcmp(ok[i][1], to) == 0)
			return 1;
	return 0;
}

static const char *sget(json_t *s, const char *k)
{
	return json_string_value(json_object_get(s, k));
}

static void bind_fields(cb_q *q, json_t *s, int first)
{
	/* type, state, visibility, title, body, symptoms, cause, workaround,
	 * defect, tags, product_area, owner, review_by */
	static const char *const f[] = {"type", "state", "visibility", "title", "body",
					"symptoms", "cause", "workaround", "defect"};
	for (int i = 0; i < 9; i++)
		cb_q_bind_text(q, first + i, sget(s, f[i]));
	char *tags = json_dumps(json_object_get(s, "tags"), JSON_COMPACT);
	cb_q_bind_text(q, first + 9, tags ? tags : "[]");
	free(tags);
	cb_q_bind_text(q, first + 10, sget(s, "product_area"));
	json_t *o = json_object_get(s, "owner");
	if (json_is_integer(o))
		cb_q_bind_i64(q, first + 11, (int64_t)json_integer_value(o));
	else
		cb_q_bind_null(q, first + 11);
	cb_q_bind_text(q, first + 12, sget(s, "review_by"));
}

static int put_version(cb_conn *c, int64_t id, int64_t version, const cb_actor *actor, cb_ms now,
		       json_t *s, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_VERSION_INSERT, err);
	if (!q)
		return -1;
	char *data = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, version);
	if (actor->user_id)
		cb_q_bind_i64(q, 3, actor->user_id);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_i64(q, 4, now);
	cb_q_bind_text(q, 5, data);
	int rc = cb_q_exec(q, err);
	free(data);
	return rc;
}

int cb_article_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *id,
		      cb_err *err)
{
	json_t *s = json_pack("{s:s, s:s, s:s, s:n, s:s, s:n, s:n, s:n, s:n, s:[], s:n, s:n, s:n}",
			      "type", "kb", "state", "draft", "visibility", "internal", "title",
			      "body", "", "symptoms", "cause", "workaround", "defect", "tags",
			      "product_area", "owner", "review_by");
	if (actor->user_id)
		json_object_set_new(s, "owner", json_integer(actor->user_id));
	int rc = merge(c, s, in, 1, err);
	cb_q *q = rc ? NULL : cb_q_get(c, CB_SQL_ARTICLE_INSERT, err);
	if (q) {
		bind_fields(q, s, 1);
		if (actor->user_id)
			cb_q_bind_i64(q, 14, actor->user_id);
		else
			cb_q_bind_null(q, 14);
		cb_q_bind_i64(q, 15, now);
		int64_t new_id = 0;
		rc = cb_q_exec_id(q, &new_id, err);
		if (!rc) {
			*id = new_id;
			rc = put_version(c, *id, 1, actor, now, s, err) ||
			     cb_searchsvc_index_article(c, *id, err);
		}
	} else {
		rc = -1;
	}
	json_decref(s);
	return rc;
}

int cb_article_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      cb_err *err)
{
	json_t *s = load(c, actor, id, 0, err);
	if (!s)
		return -1;
	char *from = cb_xstrdup(sget(s, "state"));
	int rc = merge(c, s, in, 0, err);
	if (!rc && !transition_ok(from, sget(s, "state")))
		rc = cb_err_set(err, CB_E_CONFLICT, "state", "cannot move an article from %s to %s",
				from, sget(s, "state"));
	cb_q *q = rc ? NULL : cb_q_get(c, CB_SQL_ARTICLE_UPDATE, err);
	if (q) {
		cb_q_bind_i64(q, 1, id);
		bind_fields(q, s, 2);
		cb_q_bind_i64(q, 15, now);
		rc = cb_q_exec(q, err);
		int64_t version = 0;
		if (!rc)
			rc = cb_q_one_by_id(c, CB_SQL_ARTICLE_VERSION_OF, id, &version,
					    err) < 0;
		if (!rc)
			rc = put_version(c, id, version, actor, now, s, err) ||
			     cb_searchsvc_index_article(c, id, err);
	} else {
		rc = -1;
	}
	cb_free(from);
	json_decref(s);
	return rc;
}

int cb_article_list(cb_conn *c, const cb_actor *viewer, const cb_article_filter *f, cb_ms now,
		    int limit, int64_t after, json_t **items, int64_t *next, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_LIST, err);
	if (!q)
		return -1;
	int64_t y;
	unsigned m, d;
	cb_civil_from_days(now / 86400000, &y, &m, &d);
	char today[16];
	snprintf(today, sizeof today, "%04lld-%02u-%02u", (long long)y, m, d);
	cb_q_bind_i64(q, 1, after);
	if (f->type)
		cb_q_bind_text(q, 2, f->type);
	if (f->state)
		cb_q_bind_text(q, 3, f->state);
	if (f->visibility)
		cb_q_bind_text(q, 4, f->visibility);
	if (f->tag)
		cb_q_bind_text(q, 5, f->tag);
	if (f->product_area)
		cb_q_bind_text(q, 6, f->product_area);
	if (f->stale)
		cb_q_bind_text(q, 7, today);
	cb_q_bind_i64(q, 8, limit + 1);
	/* customers see published public articles only */
	cb_q_bind_i64(q, 9, !cb_role_is_agent_side(viewer->role) && viewer->user_id);
	json_t *arr = json_array();
	int r, n = 0;
	*next = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n++ == limit) {
			*next = (int64_t)json_integer_value(json_object_get(json_array_get(arr, (size_t)limit - 1), "id"));
			break;
		}
		json_array_append_new(arr, render_row(c, q));
	}
	if (r < 0) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

int cb_article_versions(cb_conn *c, const cb_actor *viewer, int64_t id, int limit, int64_t after,
			json_t **items, int64_t *next, cb_err *err)
{
	json_t *s = load(c, viewer, id, 0, err);
	if (!s)
		return -1;
	json_decref(s);
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_VERSIONS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, after);
	cb_q_bind_i64(q, 3, limit + 1);
	json_t *arr = json_array();
	int r, n = 0;
	*next = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n++ == limit) {
			*next = cb_q_i64(q, 0) - 1;
			cb_q_reset(q);
			break;
		}
		json_t *data = json_loads(cb_q_text(q, 4), 0, NULL);
		json_t *author = cb_q_isnull(q, 1) ? json_null()
						   : json_pack("{s:I, s:s}", "id", (json_int_t)cb_q_i64(q, 1),
							       "email", cb_q_isnull(q, 2) ? "" : cb_q_text(q, 2));
		json_array_append_new(arr, json_pack("{s:I, s:o, s:o, s:o}", "version",
						     (json_int_t)cb_q_i64(q, 0), "author", author, "at",
						     cb_json_time(cb_q_i64(q, 3)), "data",
						     data ? data : json_object()));
	}
	if (r < 0) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

static json_t *version_data(cb_conn *c, int64_t id, int64_t v, const char *field, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_VERSION_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, v);
	int r = cb_q_step(q, err);
	if (r <= 0) {
		if (r == 0)
			cb_err_set(err, CB_E_INVALID, field, "no such version: %lld", (long long)v);
		return NULL;
	}
	json_t *d = json_loads(cb_q_text(q, 0), 0, NULL);
	cb_q_reset(q);
	return d ? d : json_object();
}

/* "field: value" lines, then the body's lines (the text a diff compares) */
static int lines_of(json_t *s, char ***out)
{
	cb_buf b = {0};
	for (const char *const *f = text_fields; *f; f++) {
		const char *v = sget(s, *f);
		if (strcmp(*f, "body") == 0)
			cb_buf_printf(&b, "body:\n%s", v ? v : "");
		else {
			cb_buf_printf(&b, "%s: %s\n", *f, v ? v : "");
			if (strcmp(*f, "review_by") == 0) {
				char *tags = json_dumps(json_object_get(s, "tags"), JSON_COMPACT);
				cb_buf_printf(&b, "tags: %s\n", tags ? tags : "[]");
				free(tags);
			}
		}
	}
	int n = 0, cap = 16;
	char **lines = cb_xmalloc(sizeof *lines * (size_t)cap);
	char *p = b.p;
	while (p) {
		char *nl = strchr(p, '\n');
		if (n == cap)
			lines = cb_xrealloc(lines, sizeof *lines * (size_t)(cap *= 2));
		lines[n++] = nl ? cb_xstrndup(p, (size_t)(nl - p)) : cb_xstrdup(p);
		p = nl ? nl + 1 : NULL;
	}
	cb_buf_free(&b);
	*out = lines;
	return n;
}

json_t *cb_article_diff(cb_conn *c, const cb_actor *viewer, int64_t id, int64_t from, int64_t to,
			cb_err *err)
{
	json_t *cur = load(c, viewer, id, 0, err);
	if (!cur)
		return NULL;
	json_decref(cur);
	json_t *a = version_data(c, id, from, "from", err);
	json_t *b = a ? version_data(c, id, to, "to", err) : NULL;
	if (!b) {
		json_decref(a);
		return NULL;
	}
	char **la, **lb;
	int na = lines_of(a, &la), nb = lines_of(b, &lb);
	json_t *fields = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) if (!json_equal(v, json_object_get(a, k)))
		json_array_append_new(fields, json_string(k));
	json_t *lines = json_array();
	if ((int64_t)na * nb > 16000000) {
		cb_err_set(err, CB_E_INVALID, "to", "versions too long to compare");
		json_decref(lines);
		lines = NULL;
	} else {
		/* LCS table from the end */
		int *t = cb_xcalloc((size_t)(na + 1) * (size_t)(nb + 1), sizeof *t);
#define T(i, j) t[(size_t)(i) * (size_t)(nb + 1) + (size_t)(j)]
		for (int i = na - 1; i >= 0; i--)
			for (int j = nb - 1; j >= 0; j--)
				T(i, j) = strcmp(la[i], lb[j]) == 0 ? T(i + 1, j + 1) + 1
								   : (T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
		int i = 0, j = 0;
		while (i < na || j < nb) {
			const char *op, *text;
			if (i < na && j < nb && strcmp(la[i], lb[j]) == 0) {
				op = " ", text = la[i++], j++;
			} else if (j < nb && (i == na || T(i, j + 1) >= T(i + 1, j))) {
				op = "+", text = lb[j++];
			} else {
				op = "-", text = la[i++];
			}
			json_array_append_new(lines, json_pack("{s:s, s:s}", "op", op, "text", text));
		}
#undef T
		cb_free(t);
	}
	for (int i = 0; i < na; i++)
		cb_free(la[i]);
	for (int i = 0; i < nb; i++)
		cb_free(lb[i]);
	cb_free(la);
	cb_free(lb);
	json_decref(a);
	json_decref(b);
	if (!lines) {
		json_decref(fields);
		return NULL;
	}
	return json_pack("{s:I, s:I, s:o, s:o}", "from", (json_int_t)from, "to", (json_int_t)to,
			 "fields", fields, "lines", lines);
}

json_t *cb_article_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
			cb_err *err)
{
	static const char *const lkeys[] = {"article", NULL};
	if (cb_ticketsvc_exists(c, ticket, err) || cb_json_check_keys(in, lkeys, "", err))
		return NULL;
	json_t *a = json_object_get(in, "article");
	if (!json_is_integer(a)) {
		cb_err_set(err, CB_E_INVALID, "article", "must be an article id");
		return NULL;
	}
	int64_t aid = (int64_t)json_integer_value(a);
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_LINK_INFO, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, aid);
	int r = cb_q_step(q, err);
	if (r <= 0) {
		if (r == 0)
			cb_err_set(err, CB_E_INVALID, "article", "no such article: %lld", (long long)aid);
		return NULL;
	}
	/* the timeline event of the link (staff only: app/ticket/ticket.c shows
	 * customers no article_linked events, so internal titles stay inside) */
	json_t *ev = json_pack("{s:I, s:s, s:s, s:s}", "article", (json_int_t)aid, "title",
			       cb_q_text(q, 0), "type", cb_q_text(q, 1), "visibility", cb_q_text(q, 2));
	cb_q_reset(q);
	if (!(q = cb_q_get(c, CB_SQL_ARTICLE_LINK, err))) {
		json_decref(ev);
		return NULL;
	}
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_i64(q, 2, aid);
	if (actor->user_id)
		cb_q_bind_i64(q, 3, actor->user_id);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_i64(q, 4, now);
	if (cb_q_exec(q, err)) {
		json_decref(ev);
		return NULL;
	}
	/* a repeated link (INSERT OR IGNORE kept the first) adds no event */
	if (cb_conn_changes(c) == 1) {
		if (cb_pipeline_append(c, ticket, CB_EV_ARTICLE_LINKED, now, actor->user_id, ev, err))
			return NULL;
	} else {
		json_decref(ev);
	}
	json_t *links = cb_article_links(c, ticket, err);
	if (!links)
		return NULL;
	json_t *found = NULL;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(links, "items"), i, l) if (
		json_integer_value(json_object_get(json_object_get(l, "article"), "id")) == aid) found =
		json_incref(l);
	json_decref(links);
	return found;
}

json_t *cb_article_links(cb_conn *c, int64_t ticket, cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return NULL;
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_LINKS_OF_TICKET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, ticket);
	json_t *arr = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		json_t *by = cb_q_isnull(q, 2) ? json_null()
					       : json_pack("{s:I, s:s}", "id", (json_int_t)cb_q_i64(q, 2),
							   "email", cb_q_isnull(q, 3) ? "" : cb_q_text(q, 3));
		json_array_append_new(
			arr, json_pack("{s:I, s:{s:I, s:s}, s:o, s:o}", "ticket_id", (json_int_t)ticket,
				       "article", "id", (json_int_t)cb_q_i64(q, 0), "title",
				       cb_q_text(q, 1), "linked_by", by, "at", cb_json_time(cb_q_i64(q, 4))));
	}
	if (r < 0) {
		json_decref(arr);
		return NULL;
	}
	return json_pack("{s:o}", "items", arr);
}

int cb_article_vote(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err)
{
	static const char *const vkeys[] = {"helpful", NULL};
	json_t *s = load(c, actor, id, 0, err);
	if (!s)
		return -1;
	json_decref(s);
	if (cb_json_check_keys(in, vkeys, "", err))
		return -1;
	json_t *h = json_object_get(in, "helpful");
	if (!json_is_boolean(h))
		return cb_err_set(err, CB_E_INVALID, "helpful", "must be true or false");
	if (!actor->user_id)
		return cb_err_set(err, CB_E_FORBIDDEN, NULL, "votes need a user");
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_VOTE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, actor->user_id);
	cb_q_bind_i64(q, 3, json_is_true(h));
	cb_q_bind_i64(q, 4, now);
	return cb_q_exec(q, err);
}

int cb_kb_record(cb_conn *c, const cb_actor *actor, cb_ms now, const char *kind, int64_t article,
		 cb_err *err)
{
	if (!actor->user_id)
		return 0;
	cb_q *q = cb_q_get(c, CB_SQL_KB_ACTIVITY, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, actor->user_id);
	cb_q_bind_i64(q, 2, actor->role == CB_ROLE_CUSTOMER);
	cb_q_bind_text(q, 3, kind);
	if (article)
		cb_q_bind_i64(q, 4, article);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_i64(q, 5, now);
	return cb_q_exec(q, err);
}

json_t *cb_article_stats(cb_conn *c, int64_t id, cb_ms as_of, cb_err *err)
{
	cb_actor sys = {0};
	json_t *s = load(c, &sys, id, 0, err);
	if (!s)
		return NULL;
	json_decref(s);
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_STATS, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, as_of);
	if (cb_q_step(q, err) != 1)
		return NULL;
	json_t *o = json_pack("{s:I, s:I, s:I, s:{s:I, s:I}, s:I, s:I, s:o}", "id", (json_int_t)id,
			      "views", (json_int_t)cb_q_i64(q, 0), "links", (json_int_t)cb_q_i64(q, 1),
			      "votes", "helpful", (json_int_t)cb_q_i64(q, 2), "not_helpful",
			      (json_int_t)cb_q_i64(q, 3), "versions", (json_int_t)cb_q_i64(q, 4),
			      "deflections", (json_int_t)cb_q_i64(q, 5), "as_of", cb_json_time(as_of));
	cb_q_reset(q);
	return o;
}

json_t *cb_kb_report(cb_conn *c, cb_ms from, cb_ms to, cb_ms as_of, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_KB_DEFLECTION, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, as_of);
	cb_q_bind_i64(q, 2, from);
	cb_q_bind_i64(q, 3, to);
	/* both activities always appear, with zeros before the first one */
	json_t *defl = json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "search", "total", 0,
				 "deflected", 0, "pending", 0, "view", "total", 0, "deflected", 0,
				 "pending", 0);
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_object_set_new(defl, cb_q_text(q, 0),
				    json_pack("{s:I, s:I, s:I}", "total", (json_int_t)cb_q_i64(q, 1),
					      "deflected", (json_int_t)cb_q_i64(q, 2), "pending",
					      (json_int_t)cb_q_i64(q, 3)));
	if (r < 0 || !(q = cb_q_get(c, CB_SQL_KB_AUTHORS, err))) {
		json_decref(defl);
		return NULL;
	}
	cb_q_bind_i64(q, 1, from);
	cb_q_bind_i64(q, 2, to);
	json_t *authors = json_array();
	while ((r = cb_q_step(q, err)) == 1) {
		json_t *who = cb_q_isnull(q, 0) ? json_null()
						: json_pack("{s:I, s:s}", "id", (json_int_t)cb_q_i64(q, 0),
							    "email", cb_q_isnull(q, 1) ? "" : cb_q_text(q, 1));
		json_array_append_new(authors, json_pack("{s:o, s:I, s:I, s:I, s:I}", "author", who,
							 "versions", (json_int_t)cb_q_i64(q, 2),
							 "articles_edited", (json_int_t)cb_q_i64(q, 3),
							 "articles_created", (json_int_t)cb_q_i64(q, 4),
							 "articles_published", (json_int_t)cb_q_i64(q, 5)));
	}
	if (r < 0) {
		json_decref(defl);
		json_decref(authors);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "from", cb_json_time(from), "to", cb_json_time(to),
			 "as_of", cb_json_time(as_of), "deflection", defl, "authors", authors);
}

json_t *cb_article_known_issues(cb_conn *c, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ARTICLE_KNOWN, err);
	if (!q)
		return NULL;
	json_t *arr = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_array_append_new(
			arr, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
				       (json_int_t)cb_q_i64(q, 0), "title", cb_q_text(q, 4), "symptoms",
				       text_or_null(opt_text(q, 6)), "cause", text_or_null(opt_text(q, 7)),
				       "workaround", text_or_null(opt_text(q, 8)), "defect",
				       text_or_null(opt_text(q, 9)), "product_area",
				       text_or_null(opt_text(q, 11)), "updated_at",
				       cb_json_time(cb_q_i64(q, 17))));
	if (r < 0) {
		json_decref(arr);
		return NULL;
	}
	return json_pack("{s:o}", "items", arr);
}

static void html(cb_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': cb_buf_puts(b, "&lt;"); break;
		case '>': cb_buf_puts(b, "&gt;"); break;
		case '&': cb_buf_puts(b, "&amp;"); break;
		case '"': cb_buf_puts(b, "&quot;"); break;
		case '\'': cb_buf_puts(b, "&#39;"); break;
		default: cb_buf_append(b, s, 1);
		}
	}
}

char *cb_article_known_issues_html(json_t *list)
{
	cb_buf b = {0};
	cb_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			"<title>Known issues</title><link rel=\"stylesheet\" href=\"/app/pages.css\">"
			"</head><body>\n<h1>Known issues</h1>\n");
	json_t *items = json_object_get(list, "items");
	if (!json_array_size(items))
		cb_buf_puts(&b, "<p>No known issues.</p>\n");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		cb_buf_printf(&b, "<article id=\"ki-%lld\">\n<h2>",
			      (long long)json_integer_value(json_object_get(it, "id")));
		html(&b, sget(it, "title"));
		cb_buf_puts(&b, "</h2>\n");
		static const char *const f[][2] = {{"symptoms", "Symptoms"}, {"cause", "Cause"},
						   {"workaround", "Workaround"}, {"defect", "Defect"}};
		for (int k = 0; k < 4; k++) {
			const char *v = sget(it, f[k][0]);
			if (!v)
				continue;
			cb_buf_printf(&b, "<h3>%s</h3><p>", f[k][1]);
			html(&b, v);
			cb_buf_puts(&b, "</p>\n");
		}
		cb_buf_printf(&b, "<p><small>Updated %s</small></p>\n</article>\n", sget(it, "updated_at"));
	}
	cb_buf_puts(&b, "</body></html>\n");
	return cb_buf_steal(&b);
}
