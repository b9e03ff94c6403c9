/* defect.c - defects in external trackers and their ticket links (see
 * defect.h for the impact rule). */
#include "app/escalation/defect.h"
#include "app/ticket/pipeline.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"
#include "app/ticket/ticket_page.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"open", "in_progress", "fixed", "wont_fix", "duplicate",
				       NULL};

/* A row of CB_DEFECT_COLS. */
static json_t *row_json(cb_conn *c, cb_q *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "tracker", json_string(cb_q_text(q, 1)));
	json_object_set_new(o, "key", json_string(cb_q_text(q, 2)));
	json_object_set_new(o, "url", cb_app_col_text(q, 3));
	json_object_set_new(o, "title", json_string(cb_q_text(q, 4)));
	json_object_set_new(o, "status", json_string(cb_q_text(q, 5)));
	json_object_set_new(o, "fixed_at", cb_app_col_time(q, 6));
	json_object_set_new(o, "created_by",
			    cb_dir_user_ref(c, cb_q_isnull(q, 7) ? 0 : cb_q_i64(q, 7)));
	json_object_set_new(o, "created_at", cb_app_col_time(q, 8));
	json_object_set_new(o, "updated_at", cb_app_col_time(q, 9));
	json_object_set_new(o, "linked_tickets", json_integer(cb_q_i64(q, 10)));
	return o;
}

static json_t *load(cb_conn *c, int64_t id, cb_err *err)
{
	return cb_app_row(c, CB_SQL_DEFECT_GET, id, row_json, "defect", err);
}

/* Validates the fields of a create (all keys) or update (url, title, status). */
static int check(json_t *in, int creating, cb_err *err)
{
	static const char *const ckeys[] = {"tracker", "key", "url", "title", "status", NULL};
	static const char *const ukeys[] = {"url", "title", "status", NULL};
	int bad = cb_json_check_keys(in, creating ? ckeys : ukeys, "", err) != 0;
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (!strcmp(k, "tracker") || !strcmp(k, "key")) {
			size_t max = k[0] == 't' ? 100 : 200;
			if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > max)
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a non-empty string (at most %zu)", max);
		} else if (!strcmp(k, "url")) {
			const char *s = json_string_value(v);
			if (!json_is_null(v) &&
			    (!s || strlen(s) > 2000 || (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))))
				bad = cb_err_set(err, CB_E_INVALID, k, "must be an http(s) URL or null");
		} else if (!strcmp(k, "title")) {
			if (!json_is_string(v) || json_string_length(v) > 500)
				bad = cb_err_set(err, CB_E_INVALID, k, "must be a string (at most 500)");
		} else if (!strcmp(k, "status")) {
			if (!cb_app_one_of(json_string_value(v), statuses))
				bad = cb_err_set(err, CB_E_INVALID, k,
						  "must be one of open, in_progress, fixed, wont_fix, duplicate");
		}
	}
	if (creating) {
		if (!json_object_get(in, "tracker"))
			bad = cb_err_set(err, CB_E_INVALID, "tracker", "is required");
		if (!json_object_get(in, "key"))
			bad = cb_err_set(err, CB_E_INVALID, "key", "is required");
	}
	return bad ? cb_err_summarize(err) : 0;
}

static int insert(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		  cb_err *err)
{
	const char *tracker = json_string_value(json_object_get(in, "tracker"));
	const char *key = json_string_value(json_object_get(in, "key"));
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_BY_KEY, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, tracker);
	cb_q_bind_text(q, 2, key);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		cb_q_reset(q);
		return cb_err_set(err, CB_E_CONFLICT, "key", "defect %s %s already exists", tracker, key);
	}
	const char *status = json_string_value(json_object_get(in, "status"));
	if (!status)
		status = "open";
	q = cb_q_get(c, CB_SQL_DEFECT_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, tracker);
	cb_q_bind_text(q, 2, key);
	cb_q_bind_text(q, 3, json_string_value(json_object_get(in, "url")));
	const char *title = json_string_value(json_object_get(in, "title"));
	cb_q_bind_text(q, 4, title ? title : "");
	cb_q_bind_text(q, 5, status);
	if (!strcmp(status, "fixed"))
		cb_q_bind_i64(q, 6, now);
	else
		cb_q_bind_null(q, 6);
	if (actor->user_id)
		cb_q_bind_i64(q, 7, actor->user_id);
	else
		cb_q_bind_null(q, 7);
	cb_q_bind_i64(q, 8, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	*out_id = new_id;
	return cb_audit_json(c, actor, now, "defect.create", "defect", *out_id,
			  json_pack("{s:s, s:s, s:s}", "tracker", tracker, "key", key, "status", status),
			  err);
}

int cb_defect_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		     cb_err *err)
{
	if (check(in, 1, err))
		return -1;
	return insert(c, actor, now, in, out_id, err);
}

/* Appends a `defect` event to ticket. */
static int ticket_event(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket,
			const char *action, int64_t defect, const char *tracker, const char *key,
			cb_err *err)
{
	json_t *d = json_pack("{s:s, s:I, s:s, s:s}", "action", action, "defect", (json_int_t)defect,
			      "tracker", tracker, "key", key);
	return cb_pipeline_append(c, ticket, CB_EV_DEFECT, now, actor->user_id, d, err);
}

int cb_defect_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		     cb_err *err)
{
	if (check(in, 0, err))
		return -1;
	json_t *cur = load(c, id, err);
	if (!cur)
		return -1;
	int rc = -1;
	const char *old = json_string_value(json_object_get(cur, "status"));
	json_t *v;
	const char *url = json_string_value(json_object_get(cur, "url"));
	if ((v = json_object_get(in, "url")))
		url = json_string_value(v);
	const char *title = json_string_value(json_object_get(cur, "title"));
	if ((v = json_object_get(in, "title")))
		title = json_string_value(v);
	const char *status = old;
	if ((v = json_object_get(in, "status")))
		status = json_string_value(v);
	int becomes_fixed = !strcmp(status, "fixed") && strcmp(old, "fixed");
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_UPDATE, err);
	if (!q)
		goto out;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, url);
	cb_q_bind_text(q, 3, title);
	cb_q_bind_text(q, 4, status);
	cb_ms fixed_at = 0;
	if (becomes_fixed)
		fixed_at = now;
	else if (!strcmp(status, "fixed"))
		cb_time_parse(json_string_value(json_object_get(cur, "fixed_at")), &fixed_at);
	if (fixed_at)
		cb_q_bind_i64(q, 5, fixed_at);
	else
		cb_q_bind_null(q, 5);
	cb_q_bind_i64(q, 6, now);
	if (cb_q_exec(q, err))
		goto out;
	json_t *notified = json_array();
	if (becomes_fixed) {
		q = cb_q_get(c, CB_SQL_DEFECT_OPEN_TICKETS, err);
		if (!q) {
			json_decref(notified);
			goto out;
		}
		cb_q_bind_i64(q, 1, id);
		int r;
		while ((r = cb_q_step(q, err)) == 1)
			json_array_append_new(notified, json_integer(cb_q_i64(q, 0)));
		if (r < 0) {
			json_decref(notified);
			goto out;
		}
		const char *tracker = json_string_value(json_object_get(cur, "tracker"));
		const char *key = json_string_value(json_object_get(cur, "key"));
		size_t i;
		json_t *t;
		json_array_foreach(notified, i, t) if (ticket_event(c, actor, now, json_integer_value(t),
								     "fixed", id, tracker, key, err)) {
			json_decref(notified);
			goto out;
		}
	}
	json_t *changed = json_deep_copy(in);
	json_object_set_new(changed, "from_status", json_string(old));
	json_object_set_new(changed, "notified_tickets", notified);
	rc = cb_audit_json(c, actor, now, "defect.update", "defect", id, changed, err);
out:
	json_decref(cur);
	return rc;
}

static int tier_weight(const char *tier)
{
	if (tier && !strcmp(tier, "enterprise"))
		return 3;
	if (tier && !strcmp(tier, "business"))
		return 2;
	return 1;
}

static int priority_weight(const char *p)
{
	int n = p && p[0] == 'P' ? p[1] - '0' : 4;
	return n == 1 ? 8 : n == 2 ? 4 : n == 3 ? 2 : 1;
}

static int open_status(const char *s)
{
	return strcmp(s, "solved") && strcmp(s, "closed");
}

static int by_impact(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t ix = json_integer_value(json_object_get(x, "impact"));
	json_int_t iy = json_integer_value(json_object_get(y, "impact"));
	if (ix != iy)
		return ix > iy ? -1 : 1;
	json_int_t ox = json_integer_value(json_object_get(x, "open_tickets"));
	json_int_t oy = json_integer_value(json_object_get(y, "open_tickets"));
	if (ox != oy)
		return ox > oy ? -1 : 1;
	json_int_t kx = json_integer_value(json_object_get(x, "_order"));
	json_int_t ky = json_integer_value(json_object_get(y, "_order"));
	return kx < ky ? -1 : kx > ky;
}

static void sort_array(json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n < 2)
		return;
	json_t **v = cb_xmalloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof *v, by_impact);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++) {
		json_object_del(v[i], "_order");
		json_array_append_new(arr, v[i]);
	}
	cb_free(v);
}

json_t *cb_defect_get(cb_conn *c, int64_t id, cb_err *err)
{
	json_t *o = load(c, id, err);
	if (!o)
		return NULL;
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_TICKETS, err);
	if (!q) {
		json_decref(o);
		return NULL;
	}
	cb_q_bind_i64(q, 1, id);
	json_t *tickets = json_array(), *accounts = json_object();
	int r;
	json_int_t total = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		int64_t tid = cb_q_i64(q, 0);
		const char *status = cb_q_text(q, 2), *prio = cb_q_text(q, 3);
		const char *tier = cb_q_isnull(q, 6) ? NULL : cb_q_text(q, 6);
		int open = open_status(status);
		json_int_t impact = open ? tier_weight(tier) * priority_weight(prio) : 0;
		total += impact;
		json_t *acct = cb_q_isnull(q, 4) ? json_null()
						  : json_pack("{s:I, s:s, s:s}", "id", (json_int_t)cb_q_i64(q, 4),
							      "name", cb_q_text(q, 5), "tier", tier ? tier : "");
		char lb[40];
		cb_time_format(cb_q_i64(q, 7), lb, sizeof lb);
		json_array_append_new(tickets,
				      json_pack("{s:I, s:s, s:s, s:s, s:O, s:I, s:i, s:s, s:I}", "id",
						(json_int_t)tid, "subject", cb_q_text(q, 1), "status", status,
						"priority", prio, "account", acct, "impact", impact,
						"open_tickets", open, "linked_at", lb, "_order", (json_int_t)tid));
		if (!cb_q_isnull(q, 4)) {
			char k[32];
			snprintf(k, sizeof k, "%lld", (long long)cb_q_i64(q, 4));
			json_t *a = json_object_get(accounts, k);
			if (!a) {
				a = json_pack("{s:O, s:I, s:I, s:I, s:I}", "account", acct, "tickets",
					      (json_int_t)0, "open_tickets", (json_int_t)0, "impact",
					      (json_int_t)0, "_order", (json_int_t)cb_q_i64(q, 4));
				json_object_set_new(accounts, k, a);
			}
			json_object_set_new(a, "tickets",
					    json_integer(json_integer_value(json_object_get(a, "tickets")) + 1));
			json_object_set_new(a, "open_tickets",
					    json_integer(json_integer_value(json_object_get(a, "open_tickets")) + open));
			json_object_set_new(a, "impact",
					    json_integer(json_integer_value(json_object_get(a, "impact")) + impact));
		}
		json_decref(acct);
	}
	if (r < 0) {
		json_decref(o);
		json_decref(tickets);
		json_decref(accounts);
		return NULL;
	}
	sort_array(tickets);
	size_t i;
	json_t *t;
	json_array_foreach(tickets, i, t) json_object_del(t, "open_tickets");
	json_t *alist = json_array();
	const char *k;
	json_t *a;
	json_object_foreach(accounts, k, a) json_array_append(alist, a);
	json_decref(accounts);
	sort_array(alist);
	json_object_set_new(o, "impact", json_integer(total));
	json_object_set_new(o, "tickets", tickets);
	json_object_set_new(o, "accounts", alist);
	return o;
}

int cb_defect_list(cb_conn *c, const char *status, const char *tracker, int limit, int64_t after,
		   json_t **items, int64_t *next, cb_err *err)
{
	if (status && !cb_app_one_of(status, statuses))
		return cb_err_set(err, CB_E_BADREQ, "status",
				  "must be one of open, in_progress, fixed, wont_fix, duplicate");
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, status ? status : "");
	cb_q_bind_text(q, 2, tracker ? tracker : "");
	cb_q_bind_i64(q, 3, after);
	cb_q_bind_i64(q, 4, limit + 1);
	return cb_app_page(c, q, limit, row_json, items, next, err);
}

json_t *cb_defect_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
		       cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return NULL;
	int64_t id = 0;
	int created = 0;
	json_t *ref = json_object_get(in, "defect");
	if (ref) {
		static const char *const k[] = {"defect", NULL};
		if (cb_json_check_keys(in, k, "", err))
			return NULL;
		if (!json_is_integer(ref) || json_integer_value(ref) < 1) {
			cb_err_set(err, CB_E_INVALID, "defect", "must be a defect id");
			return NULL;
		}
		id = (int64_t)json_integer_value(ref);
		int rc = cb_q_one_by_id(c, CB_SQL_DEFECT_GET, id, NULL, err);
		if (rc <= 0) {
			if (rc == 0)
				cb_err_set(err, CB_E_INVALID, "defect", "no defect with id %lld", (long long)id);
			return NULL;
		}
	} else {
		if (check(in, 1, err))
			return NULL;
		cb_q *q = cb_q_get(c, CB_SQL_DEFECT_BY_KEY, err);
		if (!q)
			return NULL;
		cb_q_bind_text(q, 1, json_string_value(json_object_get(in, "tracker")));
		cb_q_bind_text(q, 2, json_string_value(json_object_get(in, "key")));
		int rc = cb_q_step(q, err);
		if (rc < 0)
			return NULL;
		if (rc == 1) {
			id = cb_q_i64(q, 0);
			cb_q_reset(q);
		} else {
			if (insert(c, actor, now, in, &id, err))
				return NULL;
			created = 1;
		}
	}
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_LINK, err);
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
			cb_err_set(err, CB_E_CONFLICT, "defect", "ticket %lld is already linked to defect %lld",
				   (long long)ticket, (long long)id);
		}
		return NULL;
	}
	json_t *d = load(c, id, err);
	if (!d)
		return NULL;
	if (ticket_event(c, actor, now, ticket, "linked", id,
			 json_string_value(json_object_get(d, "tracker")),
			 json_string_value(json_object_get(d, "key")), err) ||
	    cb_audit_json(c, actor, now, "defect.link", "defect", id,
		       json_pack("{s:I}", "ticket", (json_int_t)ticket), err)) {
		json_decref(d);
		return NULL;
	}
	char b[40];
	cb_time_format(now, b, sizeof b);
	return json_pack("{s:I, s:o, s:b, s:s}", "ticket", (json_int_t)ticket, "defect", d, "created",
			 created, "linked_at", b);
}

int cb_defect_unlink(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, int64_t defect,
		     cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return -1;
	json_t *d = load(c, defect, err);
	if (!d)
		return -1;
	int rc = -1;
	cb_q *q = cb_q_get(c, CB_SQL_DEFECT_UNLINK, err);
	if (!q)
		goto out;
	cb_q_bind_i64(q, 1, defect);
	cb_q_bind_i64(q, 2, ticket);
	if (cb_q_exec(q, err))
		goto out;
	if (cb_conn_changes(c) == 0) {
		cb_err_set(err, CB_E_NOTFOUND, NULL, "ticket %lld is not linked to defect %lld",
			   (long long)ticket, (long long)defect);
		goto out;
	}
	rc = ticket_event(c, actor, now, ticket, "unlinked", defect,
			  json_string_value(json_object_get(d, "tracker")),
			  json_string_value(json_object_get(d, "key")), err) ||
			     cb_audit_json(c, actor, now, "defect.unlink", "defect", defect,
					json_pack("{s:I}", "ticket", (json_int_t)ticket), err)
		     ? -1
		     : 0;
out:
	json_decref(d);
	return rc;
}

int cb_defect_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err)
{
	if (cb_ticketsvc_exists(c, ticket, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_DEFECTS_OF_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	*items = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		json_t *o = row_json(c, q);
		json_object_set_new(o, "linked_at", cb_app_col_time(q, 11));
		json_array_append_new(*items, o);
	}
	if (r < 0) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	return 0;
}

int cb_defect_fix_available(cb_conn *c, const cb_actor *viewer, cb_ms now, int limit,
			    int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_FIX_AVAILABLE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, limit + 1);
	cb_q_bind_i64(q, 2, offset);
	json_t *ids = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_array_append_new(ids, json_integer(cb_q_i64(q, 0)));
	if (r < 0) {
		json_decref(ids);
		return -1;
	}
	*next = 0;
	if ((int)json_array_size(ids) > limit) {
		json_array_remove(ids, (size_t)limit);
		*next = offset + limit;
	}
	/* the page in a bounded number of statements (app/ticket/ticket_page.h) */
	size_t n = json_array_size(ids), i;
	int64_t *tid = cb_xcalloc(n ? n : 1, sizeof *tid);
	json_t *v;
	json_array_foreach(ids, i, v)
		tid[i] = json_integer_value(v);
	r = cb_ticketsvc_page_render(c, viewer, tid, (int)n, now, CB_TICKET_PAGE_FOLLOWUPS, items, err);
	cb_free(tid);
	if (r)
		goto fail;
	json_t *t;
	json_array_foreach(*items, i, t)
		json_object_set_new(t, "fixed_defects", json_array());
	char *js = json_dumps(ids, JSON_COMPACT);
	q = cb_q_get(c, CB_SQL_FIXED_DEFECTS_OF_TICKETS, err);
	if (q)
		cb_q_bind_text(q, 1, js);
	free(js); /* bound as a copy; jansson's allocation */
	if (!q)
		goto fail;
	while ((r = cb_q_step(q, err)) == 1) {
		int64_t of = cb_q_i64(q, 0);
		json_array_foreach(*items, i, t) {
			if (json_integer_value(json_object_get(t, "id")) != of)
				continue;
			json_array_append_new(
				json_object_get(t, "fixed_defects"),
				json_pack("{s:I, s:s, s:s, s:o, s:s, s:o}", "id", (json_int_t)cb_q_i64(q, 1),
					  "tracker", cb_q_text(q, 2), "key", cb_q_text(q, 3), "url",
					  cb_app_col_text(q, 4), "title", cb_q_text(q, 5), "fixed_at",
					  cb_app_col_time(q, 6)));
		}
	}
	if (r < 0)
		goto fail;
	json_decref(ids);
	return 0;
fail:
	json_decref(ids);
	json_decref(*items);
	*items = NULL;
	return -1;
}
