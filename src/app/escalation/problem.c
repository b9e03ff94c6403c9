/* problem.c - problems and known errors, their ticket links and repeat
 * counts (see problem.h). */
#include "app/escalation/problem.h"
#include "app/ticket/pipeline.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"open", "known_error", "resolved", NULL};

static json_t *row_json(cb_conn *c, cb_q *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "title", json_string(cb_q_text(q, 1)));
	json_object_set_new(o, "description", json_string(cb_q_text(q, 2)));
	json_object_set_new(o, "status", json_string(cb_q_text(q, 3)));
	json_object_set_new(o, "category", cb_app_col_text(q, 4));
	json_object_set_new(o, "root_cause", cb_app_col_text(q, 5));
	json_object_set_new(o, "workaround", cb_app_col_text(q, 6));
	json_object_set_new(o, "article", cb_q_isnull(q, 7) ? json_null()
							   : json_integer(cb_q_i64(q, 7)));
	json_object_set_new(o, "created_by",
			    cb_dir_user_ref(c, cb_q_isnull(q, 8) ? 0 : cb_q_i64(q, 8)));
	json_object_set_new(o, "created_at", cb_app_col_time(q, 9));
	json_object_set_new(o, "updated_at", cb_app_col_time(q, 10));
	json_object_set_new(o, "resolved_at", cb_app_col_time(q, 11));
	json_object_set_new(o, "linked_tickets", json_integer(cb_q_i64(q, 12)));
	return o;
}

static json_t *load(cb_conn *c, int64_t id, cb_err *err)
{
	return cb_app_row(c, CB_SQL_PROBLEM_GET, id, row_json, "problem", err);
}

/* open -> known_error -> resolved; open -> resolved; known_error -> open
 * (the cause was wrong); resolved -> open (it came back). */
static int move_ok(const char *from, const char *to)
{
	static const char *const ok[][2] = {{"open", "known_error"}, {"open", "resolved"},
					    {"known_error", "resolved"}, {"known_error", "open"},
					    {"resolved", "open"}};
	if (!strcmp(from, to))
		return 1;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(ok[i][0], from) && !strcmp(ok[i][1], to))
			return 1;
	return 0;
}

static const char *allowed_from(const char *from)
{
	if (!strcmp(from, "open"))
		return "known_error, resolved";
	if (!strcmp(from, "known_error"))
		return "resolved, open";
	return "open";
}

/* Merges in into the problem object p (validating). */
static int merge(cb_conn *c, json_t *p, json_t *in, int creating, cb_err *err)
{
	static const char *const keys[] = {"title", "description", "status", "category",
					   "root_cause", "workaround", "article", NULL};
	int bad = cb_json_check_keys(in, keys, "", err) != 0;
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (!strcmp(k, "title")) {
			const char *t = json_string_value(v);
			if (!t || !*t || strlen(t) > 500) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a non-empty string (at most 500)");
				continue;
			}
		} else if (!strcmp(k, "description")) {
			if (!json_is_string(v) || json_string_length(v) > 100000) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a string (at most 100000)");
				continue;
			}
		} else if (!strcmp(k, "status")) {
			if (!cb_app_one_of(json_string_value(v), statuses)) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be one of open, known_error, resolved");
				continue;
			}
			const char *from = json_string_value(json_object_get(p, "status"));
			const char *to = json_string_value(v);
			if (creating && !strcmp(to, "resolved")) {
				bad = cb_err_set(err, CB_E_INVALID, k, "a new problem is open or known_error");
				continue;
			}
			if (!creating && !move_ok(from, to))
				return cb_err_set(err, CB_E_CONFLICT, k,
						  "a problem cannot move from %s to %s; allowed from %s: %s",
						  from, to, from, allowed_from(from));
		} else if (!strcmp(k, "category")) {
			if (!json_is_null(v) && (!json_is_string(v) || !json_string_length(v) ||
						 json_string_length(v) > 200)) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a non-empty string or null");
				continue;
			}
		} else if (!strcmp(k, "root_cause") || !strcmp(k, "workaround")) {
			if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 100000)) {
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a string or null");
				continue;
			}
		} else if (!strcmp(k, "article")) {
			if (!json_is_null(v)) {
				if (!json_is_integer(v)) {
					bad = cb_err_set(err, CB_E_INVALID, k, "must be an article id or null");
					continue;
				}
				cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_ARTICLE_TYPE, err);
				if (!q)
					return -1;
				cb_q_bind_i64(q, 1, (int64_t)json_integer_value(v));
				int rc = cb_q_step(q, err);
				if (rc < 0)
					return -1;
				int ok = rc == 1 && !strcmp(cb_q_text(q, 0), "known_error");
				if (rc == 1)
					cb_q_reset(q);
				if (!ok) {
					bad = cb_err_set(err, CB_E_INVALID, k,
							  "must be the id of a known_error article");
					continue;
				}
			}
		}
		json_object_set(p, k, v);
	}
	if (creating && !json_object_get(in, "title"))
		bad = cb_err_set(err, CB_E_INVALID, "title", "is required");
	if (bad)
		return cb_err_summarize(err);
	const char *st = json_string_value(json_object_get(p, "status"));
	if (!strcmp(st, "known_error") && !json_string_length(json_object_get(p, "root_cause")) &&
	    !json_string_length(json_object_get(p, "workaround")))
		return cb_err_set(err, CB_E_INVALID, "workaround",
				  "a known error needs a root_cause or a workaround");
	return 0;
}

static void bind_opt_text(cb_q *q, int i, json_t *v)
{
	cb_q_bind_text(q, i, json_is_string(v) ? json_string_value(v) : NULL);
}

static void bind_fields(cb_q *q, int first, json_t *p)
{
	cb_q_bind_text(q, first, json_string_value(json_object_get(p, "title")));
	const char *d = json_string_value(json_object_get(p, "description"));
	cb_q_bind_text(q, first + 1, d ? d : "");
	cb_q_bind_text(q, first + 2, json_string_value(json_object_get(p, "status")));
	bind_opt_text(q, first + 3, json_object_get(p, "category"));
	bind_opt_text(q, first + 4, json_object_get(p, "root_cause"));
	bind_opt_text(q, first + 5, json_object_get(p, "workaround"));
	json_t *a = json_object_get(p, "article");
	if (json_is_integer(a))
		cb_q_bind_i64(q, first + 6, (int64_t)json_integer_value(a));
	else
		cb_q_bind_null(q, first + 6);
}

int cb_problem_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		      cb_err *err)
{
	json_t *p = json_pack("{s:s}", "status", "open");
	int rc = -1;
	if (merge(c, p, in, 1, err))
		goto out;
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_INSERT, err);
	if (!q)
		goto out;
	bind_fields(q, 1, p);
	if (actor->user_id)
		cb_q_bind_i64(q, 8, actor->user_id);
	else
		cb_q_bind_null(q, 8);
	cb_q_bind_i64(q, 9, now);
	cb_q_bind_null(q, 10);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		goto out;
	*out_id = new_id;
	rc = cb_audit_json(c, actor, now, "problem.create", "problem", *out_id, json_incref(p), err);
out:
	json_decref(p);
	return rc;
}

int cb_problem_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      cb_err *err)
{
	json_t *p = load(c, id, err);
	if (!p)
		return -1;
	int rc = -1;
	const char *old = json_string_value(json_object_get(p, "status"));
	char from[16];
	snprintf(from, sizeof from, "%s", old);
	cb_ms resolved_at = 0;
	cb_time_parse(json_string_value(json_object_get(p, "resolved_at")), &resolved_at);
	if (merge(c, p, in, 0, err))
		goto out;
	const char *to = json_string_value(json_object_get(p, "status"));
	if (!strcmp(to, "resolved") && strcmp(from, "resolved"))
		resolved_at = now;
	else if (strcmp(to, "resolved"))
		resolved_at = 0;
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_UPDATE, err);
	if (!q)
		goto out;
	cb_q_bind_i64(q, 1, id);
	bind_fields(q, 2, p);
	cb_q_bind_i64(q, 9, now);
	if (resolved_at)
		cb_q_bind_i64(q, 10, resolved_at);
	else
		cb_q_bind_null(q, 10);
	if (cb_q_exec(q, err))
		goto out;
	json_t *d = json_deep_copy(in);
	json_object_set_new(d, "from_status", json_string(from));
	rc = cb_audit_json(c, actor, now, "problem.update", "problem", id, d, err);
out:
	json_decref(p);
	return rc;
}

static int tickets_of(cb_conn *c, int64_t id, json_t **out, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_TICKETS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	json_t *arr = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id",
						     (json_int_t)cb_q_i64(q, 0), "subject", cb_q_text(q, 1),
						     "status", cb_q_text(q, 2), "priority", cb_q_text(q, 3),
						     "category", cb_app_col_text(q, 4), "linked_at",
						     cb_json_time(cb_q_i64(q, 5))));
	if (r < 0) {
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

json_t *cb_problem_get(cb_conn *c, int64_t id, cb_err *err)
{
	json_t *o = load(c, id, err);
	json_t *t = NULL;
	if (!o || tickets_of(c, id, &t, err)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "tickets", t);
	return o;
}

int cb_problem_list(cb_conn *c, const char *status, const char *category, int limit,
		    int64_t after, json_t **items, int64_t *next, cb_err *err)
{
	if (status && !cb_app_one_of(status, statuses))
		return cb_err_set(err, CB_E_BADREQ, "status", "must be one of open, known_error, resolved");
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, status ? status : "");
	cb_q_bind_text(q, 2, category ? category : "");
	cb_q_bind_i64(q, 3, after);
	cb_q_bind_i64(q, 4, limit + 1);
	return cb_app_page(c, q, limit, row_json, items, next, err);
}

json_t *cb_problem_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
			cb_err *err)
{
	static const char *const keys[] = {"problem", NULL};
	if (cb_ticketsvc_exists(c, ticket, err) || cb_json_check_keys(in, keys, "", err))
		return NULL;
	json_t *ref = json_object_get(in, "problem");
	if (!json_is_integer(ref) || json_integer_value(ref) < 1) {
		cb_err_set(err, CB_E_INVALID, "problem", "is required: a problem id");
		return NULL;
	}
	int64_t id = (int64_t)json_integer_value(ref);
	int rc = cb_q_one_by_id(c, CB_SQL_PROBLEM_GET, id, NULL, err);
	if (rc <= 0) {
		if (rc == 0)
			cb_err_set(err, CB_E_INVALID, "problem", "no problem with id %lld", (long long)id);
		return NULL;
	}
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_LINK, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, ticket);
	if (actor->user_id)
		cb_q_bind_i64(q, 3, actor->user_id);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_i64(q, 4, now);
	if (cb_q_exec(q, err)) {
		if (err->code == CB_E_CONFLICT) {
			cb_err_clear(err);
			cb_err_set(err, CB_E_CONFLICT, "problem", "ticket %lld is already linked to problem %lld",
				   (long long)ticket, (long long)id);
		}
		return NULL;
	}
	json_t *d = json_pack("{s:s, s:I}", "action", "linked", "problem", (json_int_t)id);
	if (cb_pipeline_append(c, ticket, CB_EV_PROBLEM, now, actor->user_id, d, err) ||
	    cb_audit_json(c, actor, now, "problem.link", "problem", id, json_pack("{s:I}", "ticket", (json_int_t)ticket),
		       err))
		return NULL;
	json_t *p = load(c, id, err);
	if (!p)
		return NULL;
	return json_pack("{s:I, s:o, s:o}", "ticket", (json_int_t)ticket, "problem", p, "linked_at",
			 cb_json_time(now));
}

int cb_problem_unlink(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket,
		      int64_t problem, cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_UNLINK, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, problem);
	cb_q_bind_i64(q, 2, ticket);
	if (cb_q_exec(q, err))
		return -1;
	if (cb_conn_changes(c) == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "ticket %lld is not linked to problem %lld",
				  (long long)ticket, (long long)problem);
	json_t *d = json_pack("{s:s, s:I}", "action", "unlinked", "problem", (json_int_t)problem);
	if (cb_pipeline_append(c, ticket, CB_EV_PROBLEM, now, actor->user_id, d, err))
		return -1;
	return cb_audit_json(c, actor, now, "problem.unlink", "problem", problem,
			  json_pack("{s:I}", "ticket", (json_int_t)ticket), err);
}

int cb_problem_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEMS_OF_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	*items = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		json_t *o = row_json(c, q);
		json_object_set_new(o, "linked_at", cb_app_col_time(q, 13));
		json_array_append_new(*items, o);
	}
	if (r < 0) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	return 0;
}

/* ---- repeat counts ---- */

#define DAY_MS 86400000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b) != 0 && ((a < 0) != (b < 0)));
}

/* The start of the bucket holding t (UTC). */
static cb_ms bucket_start(const char *bucket, cb_ms t)
{
	int64_t day = floor_div(t, DAY_MS);
	if (!strcmp(bucket, "day"))
		return day * DAY_MS;
	if (!strcmp(bucket, "week")) /* 1970-01-01 was a Thursday; Monday = day - (day + 3) % 7 */
		return (day - (((day + 3) % 7) + 7) % 7) * DAY_MS;
	int64_t y;
	unsigned m, d;
	cb_civil_from_days(day, &y, &m, &d);
	return cb_days_from_civil(y, m, 1) * DAY_MS;
}

static cb_ms bucket_next(const char *bucket, cb_ms start)
{
	if (!strcmp(bucket, "day"))
		return start + DAY_MS;
	if (!strcmp(bucket, "week"))
		return start + 7 * DAY_MS;
	int64_t y;
	unsigned m, d;
	cb_civil_from_days(floor_div(start, DAY_MS), &y, &m, &d);
	return (m == 12 ? cb_days_from_civil(y + 1, 1, 1) : cb_days_from_civil(y, m + 1, 1)) * DAY_MS;
}

/* long: bucketing, counting and rendering share the bucket array */
json_t *cb_problem_stats(cb_conn *c, int64_t id, const char *bucket, cb_ms from, cb_ms to,
			 cb_err *err)
{
	if (!bucket)
		bucket = "week";
	if (strcmp(bucket, "day") && strcmp(bucket, "week") && strcmp(bucket, "month")) {
		cb_err_set(err, CB_E_BADREQ, "bucket", "must be day, week or month");
		return NULL;
	}
	if (to <= from) {
		cb_err_set(err, CB_E_BADREQ, "to", "must be after from");
		return NULL;
	}
	json_t *o = NULL;
	if (id) {
		o = load(c, id, err);
		if (!o)
			return NULL;
		json_decref(o);
	}
	/* the buckets overlapping [from, to) */
	json_t *buckets = json_array();
	int n = 0;
	for (cb_ms s = bucket_start(bucket, from); s < to; s = bucket_next(bucket, s)) {
		if (++n > 1000) {
			json_decref(buckets);
			cb_err_set(err, CB_E_BADREQ, "bucket", "more than 1000 buckets: widen the bucket");
			return NULL;
		}
		json_array_append_new(buckets, json_pack("{s:o, s:o, s:I, s:o}", "from", cb_json_time(s), "to",
							 cb_json_time(bucket_next(bucket, s)), "count",
							 (json_int_t)0, "by_category", json_object()));
	}
	cb_q *q = cb_q_get(c, CB_SQL_PROBLEM_OCCURRENCES, err);
	if (!q) {
		json_decref(buckets);
		return NULL;
	}
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, from);
	cb_q_bind_i64(q, 3, to);
	json_t *cats = json_object(), *probs = json_object();
	json_int_t total = 0;
	int r;
	cb_ms first = bucket_start(bucket, from);
	while ((r = cb_q_step(q, err)) == 1) {
		cb_ms at = cb_q_i64(q, 0);
		const char *cat = cb_q_isnull(q, 1) ? "" : cb_q_text(q, 1);
		/* the index of at's bucket */
		size_t i = 0;
		for (cb_ms s = first; bucket_next(bucket, s) <= at; s = bucket_next(bucket, s))
			i++;
		json_t *b = json_array_get(buckets, i);
		if (!b)
			continue;
		total++;
		json_object_set_new(b, "count", json_integer(json_integer_value(json_object_get(b, "count")) + 1));
		json_t *bc = json_object_get(b, "by_category");
		json_object_set_new(bc, cat, json_integer(json_integer_value(json_object_get(bc, cat)) + 1));
		json_object_set_new(cats, cat, json_integer(json_integer_value(json_object_get(cats, cat)) + 1));
		char pk[32];
		snprintf(pk, sizeof pk, "%lld", (long long)cb_q_i64(q, 2));
		json_object_set_new(probs, pk, json_integer(json_integer_value(json_object_get(probs, pk)) + 1));
	}
	if (r < 0) {
		json_decref(buckets);
		json_decref(cats);
		json_decref(probs);
		return NULL;
	}
	/* by_category as a list; the empty key is "no category" (null) */
	json_t *clist = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(cats, k, v)
		json_array_append_new(clist, json_pack("{s:o, s:O}", "category",
							*k ? json_string(k) : json_null(), "count", v));
	json_decref(cats);
	size_t i;
	json_t *b;
	json_array_foreach(buckets, i, b) {
		json_t *bc = json_object_get(b, "by_category");
		json_t *l = json_array();
		json_object_foreach(bc, k, v)
			json_array_append_new(l, json_pack("{s:o, s:O}", "category",
							   *k ? json_string(k) : json_null(), "count", v));
		json_object_set_new(b, "by_category", l);
	}
	o = json_pack("{s:o, s:s, s:o, s:o, s:I, s:o, s:o}", "problem",
		      id ? json_integer(id) : json_null(), "bucket", bucket, "from", cb_json_time(from),
		      "to", cb_json_time(to), "total", total, "buckets", buckets, "by_category", clist);
	if (!id) {
		json_t *pl = json_array();
		json_object_foreach(probs, k, v)
			json_array_append_new(pl, json_pack("{s:I, s:O}", "problem",
							    (json_int_t)strtoll(k, NULL, 10), "count", v));
		json_object_set_new(o, "by_problem", pl);
	}
	json_decref(probs);
	return o;
}
