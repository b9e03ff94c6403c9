/* review.c - post-incident reviews and their actions (see review.h). */
#include "app/incident/review.h"
#include "app/directory/directory.h"
#include "app/incident/incident.h"
#include "core/incident.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 500
#define MAX_ITEM_TEXT 2000
#define MAX_TEXT 100000

/* One line of the prefilled timeline for an incident timeline entry. */
static char *entry_text(const char *kind, json_t *d, const char *actor)
{
	cb_buf b = {0};
	const char *from = json_string_value(json_object_get(d, "from"));
	const char *to = json_string_value(json_object_get(d, "to"));
	if (strcmp(kind, "created") == 0) {
		cb_buf_printf(&b, "Incident declared: %s (%s)",
			      json_string_value(json_object_get(d, "title")),
			      json_string_value(json_object_get(d, "severity")));
	} else if (strcmp(kind, "status") == 0 || strcmp(kind, "severity") == 0) {
		cb_buf_printf(&b, "%s: %s -> %s", strcmp(kind, "status") == 0 ? "Status" : "Severity",
			      from ? from : "?", to ? to : "?");
	} else if (strcmp(kind, "update") == 0) {
		cb_buf_printf(&b, "%s update (%s): %s",
			      json_is_true(json_object_get(d, "public")) ? "Public" : "Internal",
			      json_string_value(json_object_get(d, "status")),
			      json_string_value(json_object_get(d, "body")));
	} else if (strcmp(kind, "linked") == 0) {
		cb_buf_printf(&b, "Linked %zu ticket(s)", json_array_size(json_object_get(d, "tickets")));
	} else if (strcmp(kind, "overdue") == 0) {
		cb_buf_printf(&b, "Customer update overdue (was due %s)",
			      json_string_value(json_object_get(d, "due_at")));
	} else if (strcmp(kind, "component") == 0) {
		cb_buf_printf(&b, "Component %s: %s -> %s",
			      json_string_value(json_object_get(json_object_get(d, "component"), "name")),
			      from ? from : "?", to ? to : "?");
	} else if (strcmp(kind, "role") == 0) {
		json_t *u = json_object_get(d, "to");
		cb_buf_printf(&b, "%s: %s", json_string_value(json_object_get(d, "role")),
			      json_is_object(u) ? json_string_value(json_object_get(u, "email")) : "unassigned");
	} else {
		cb_buf_printf(&b, "%s changed", kind);
	}
	if (actor && *actor)
		cb_buf_printf(&b, " (by %s)", actor);
	return cb_buf_steal(&b);
}

static json_t *prefill(cb_conn *c, int64_t incident, cb_err *err)
{
	json_t *out = json_array();
	int64_t after = 0;
	for (;;) {
		json_t *items = NULL;
		int64_t next = 0;
		if (cb_incident_timeline(c, incident, 500, after, &items, &next, err)) {
			json_decref(out);
			return NULL;
		}
		size_t i;
		json_t *e;
		json_array_foreach(items, i, e) {
			json_t *actor = json_object_get(e, "actor");
			char *t = entry_text(json_string_value(json_object_get(e, "kind")),
					     json_object_get(e, "data"),
					     json_string_value(json_object_get(actor, "email")));
			json_array_append_new(out, json_pack("{s:O, s:s}", "at", json_object_get(e, "at"),
							     "text", t));
			cb_free(t);
		}
		json_decref(items);
		if (!next)
			return out;
		after = next;
	}
}

static json_t *actions_of(cb_conn *c, int64_t incident, cb_ms now, cb_err *err);

json_t *cb_review_get(cb_conn *c, int64_t incident, cb_ms now, cb_err *err)
{
	if (cb_incident_exists(c, incident, err))
		return NULL;
	cb_q *q = cb_q_get(c, CB_SQL_REVIEW_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, incident);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return NULL;
	json_t *o;
	if (rc == 1) {
		json_t *tl = json_loads(cb_q_text(q, 2), 0, NULL);
		json_t *cf = json_loads(cb_q_text(q, 3), 0, NULL);
		int64_t by = cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4);
		cb_ms created = cb_q_i64(q, 5), updated = cb_q_i64(q, 6);
		o = json_pack("{s:I, s:b, s:s, s:s, s:o, s:o, s:o, s:o}", "incident_id",
			      (json_int_t)incident, "saved", 1, "summary", cb_q_text(q, 0),
			      "customer_impact", cb_q_text(q, 1), "timeline", tl ? tl : json_array(),
			      "contributing_factors", cf ? cf : json_array(), "created_at",
			      cb_incident_time_json(created), "updated_at", cb_incident_time_json(updated));
		cb_q_reset(q);
		json_object_set_new(o, "updated_by", cb_dir_user_ref(c, by));
	} else {
		json_t *tl = prefill(c, incident, err);
		if (!tl)
			return NULL;
		o = json_pack("{s:I, s:b, s:s, s:s, s:o, s:[], s:n, s:n, s:n}", "incident_id",
			      (json_int_t)incident, "saved", 0, "summary", "", "customer_impact", "",
			      "timeline", tl, "contributing_factors", "created_at", "updated_at",
			      "updated_by");
	}
	json_t *acts = actions_of(c, incident, now, err);
	if (!acts) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "actions", acts);
	return o;
}

static int check_timeline(json_t *v, json_t **out, cb_err *err)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_ITEMS)
		return cb_err_set(err, CB_E_INVALID, "timeline", "must be a list of at most %d entries",
				  MAX_ITEMS);
	json_t *norm = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		static const char *const keys[] = {"at", "text", NULL};
		char f[48];
		snprintf(f, sizeof f, "timeline[%zu].", i);
		cb_ms at;
		json_t *t = json_object_get(e, "text");
		const char *as = json_string_value(json_object_get(e, "at"));
		if (!json_is_object(e) || cb_json_check_keys(e, keys, f, err)) {
			snprintf(f, sizeof f, "timeline[%zu]", i);
			cb_err_set(err, CB_E_INVALID, f, "must be an object {\"at\", \"text\"}");
			goto bad;
		}
		if (!as || cb_time_parse(as, &at)) {
			snprintf(f, sizeof f, "timeline[%zu].at", i);
			cb_err_set(err, CB_E_INVALID, f, "must be an RFC 3339 time");
			goto bad;
		}
		if (!json_is_string(t) || !json_string_length(t) || json_string_length(t) > MAX_ITEM_TEXT) {
			snprintf(f, sizeof f, "timeline[%zu].text", i);
			cb_err_set(err, CB_E_INVALID, f, "must be a string of 1 to %d characters", MAX_ITEM_TEXT);
			goto bad;
		}
		json_array_append_new(norm, json_pack("{s:o, s:O}", "at", cb_incident_time_json(at), "text", t));
	}
	*out = norm;
	return 0;
bad:
	json_decref(norm);
	return -1;
}

int cb_review_put(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t incident, json_t *in,
		  cb_err *err)
{
	static const char *const keys[] = {"summary", "customer_impact", "timeline",
					   "contributing_factors", NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *cur = cb_review_get(c, incident, now, err);
	if (!cur)
		return -1;
	int rc = -1;
	json_t *v;
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "customer_impact" : "summary";
		if ((v = json_object_get(in, name))) {
			if (!json_is_string(v) || json_string_length(v) > MAX_TEXT) {
				cb_err_set(err, CB_E_INVALID, name, "must be a string (at most %d)", MAX_TEXT);
				goto done;
			}
			json_object_set(cur, name, v);
		}
	}
	if ((v = json_object_get(in, "timeline"))) {
		json_t *norm = NULL;
		if (check_timeline(v, &norm, err))
			goto done;
		json_object_set_new(cur, "timeline", norm);
	}
	if ((v = json_object_get(in, "contributing_factors"))) {
		size_t i;
		json_t *f;
		if (!json_is_array(v) || json_array_size(v) > 100) {
			cb_err_set(err, CB_E_INVALID, "contributing_factors",
				   "must be a list of at most 100 strings");
			goto done;
		}
		json_array_foreach(v, i, f) {
			if (!json_is_string(f) || !json_string_length(f) ||
			    json_string_length(f) > MAX_ITEM_TEXT) {
				char fld[48];
				snprintf(fld, sizeof fld, "contributing_factors[%zu]", i);
				cb_err_set(err, CB_E_INVALID, fld, "must be a string of 1 to %d characters",
					   MAX_ITEM_TEXT);
				goto done;
			}
		}
		json_object_set(cur, "contributing_factors", v);
	}
	char *tl = json_dumps(json_object_get(cur, "timeline"), JSON_COMPACT);
	char *cf = json_dumps(json_object_get(cur, "contributing_factors"), JSON_COMPACT);
	cb_q *q = cb_q_get(c, CB_SQL_REVIEW_PUT, err);
	if (q) {
		cb_q_bind_i64(q, 1, incident);
		cb_q_bind_text(q, 2, json_string_value(json_object_get(cur, "summary")));
		cb_q_bind_text(q, 3, json_string_value(json_object_get(cur, "customer_impact")));
		cb_q_bind_text(q, 4, tl ? tl : "[]");
		cb_q_bind_text(q, 5, cf ? cf : "[]");
		if (actor->user_id)
			cb_q_bind_i64(q, 6, actor->user_id);
		else
			cb_q_bind_null(q, 6);
		cb_q_bind_i64(q, 7, now);
		rc = cb_q_exec(q, err);
	}
	free(tl); /* jansson's allocations */
	free(cf);
done:
	json_decref(cur);
	return rc;
}

/* ---- actions ---- */

static json_t *render_action(cb_conn *c, cb_q *q, cb_ms now)
{
	cb_act_status st;
	if (cb_act_status_parse(cb_q_text(q, 6), &st))
		st = CB_ACT_OPEN;
	const char *due = cb_q_isnull(q, 5) ? NULL : cb_q_text(q, 5);
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o}", "id",
			      (json_int_t)cb_q_i64(q, 0), "incident_id", (json_int_t)cb_q_i64(q, 1),
			      "type", cb_q_text(q, 2), "title", cb_q_text(q, 3), "due_date",
			      due ? json_string(due) : json_null(), "status", cb_act_status_name(st),
			      "overdue", cb_act_overdue(due, st, now), "created_at",
			      cb_incident_time_json(cb_q_i64(q, 7)), "updated_at",
			      cb_incident_time_json(cb_q_i64(q, 8)), "done_at",
			      cb_incident_time_json(cb_q_isnull(q, 9) ? 0 : cb_q_i64(q, 9)));
	json_object_set_new(o, "owner", cb_dir_user_ref(c, cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4)));
	return o;
}

static json_t *actions_of(cb_conn *c, int64_t incident, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ACTIONS_OF_INCIDENT, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, incident);
	json_t *a = json_array();
	int rc;
	while ((rc = cb_q_step(q, err)) == 1)
		json_array_append_new(a, render_action(c, q, now));
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *cb_review_action_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ACTION_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0) {
		if (rc == 0)
			cb_err_set(err, CB_E_NOTFOUND, NULL, "no such review action: %lld", (long long)id);
		return NULL;
	}
	json_t *o = render_action(c, q, now);
	cb_q_reset(q);
	return o;
}

typedef struct {
	char type[16], status[16];
	char *title;
	int64_t owner;
	char due[16]; /* "" = none */
	cb_ms done_at;
} action;

static const char *const action_keys[] = {"type", "title", "owner", "due_date", "status", NULL};

static int action_merge(cb_conn *c, action *a, json_t *in, int creating, cb_ms now, cb_err *err)
{
	if (cb_json_check_keys(in, action_keys, "", err))
		return -1;
	json_t *v;
	if ((v = json_object_get(in, "type"))) {
		if (!cb_act_type_valid(json_string_value(v)))
			return cb_err_set(err, CB_E_INVALID, "type", "must be corrective or preventive");
		snprintf(a->type, sizeof a->type, "%s", json_string_value(v));
	} else if (creating) {
		return cb_err_set(err, CB_E_INVALID, "type", "is required: corrective or preventive");
	}
	if ((v = json_object_get(in, "title"))) {
		if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 500)
			return cb_err_set(err, CB_E_INVALID, "title", "must be a string of 1 to 500 characters");
		cb_free(a->title);
		a->title = cb_xstrdup(json_string_value(v));
	} else if (creating) {
		return cb_err_set(err, CB_E_INVALID, "title", "is required");
	}
	if ((v = json_object_get(in, "owner"))) {
		a->owner = 0;
		if (!json_is_null(v) && cb_dir_resolve_user(c, v, &a->owner, "owner", err))
			return -1;
	}
	if ((v = json_object_get(in, "due_date"))) {
		if (!json_is_null(v) && !cb_date_valid(json_string_value(v)))
			return cb_err_set(err, CB_E_INVALID, "due_date", "must be a date YYYY-MM-DD or null");
		snprintf(a->due, sizeof a->due, "%s", json_is_null(v) ? "" : json_string_value(v));
	}
	if ((v = json_object_get(in, "status"))) {
		cb_act_status from, to;
		if (cb_act_status_parse(json_string_value(v), &to))
			return cb_err_set(err, CB_E_INVALID, "status", "must be one of open, in_progress, done");
		if (creating) {
			snprintf(a->status, sizeof a->status, "%s", cb_act_status_name(to));
		} else {
			cb_act_status_parse(a->status, &from);
			if (from != to && !cb_act_move_ok(from, to)) {
				char allowed[64];
				return cb_err_set(err, CB_E_CONFLICT, "status",
						  "cannot move from %s to %s; allowed: %s",
						  cb_act_status_name(from), cb_act_status_name(to),
						  cb_act_allowed_moves(from, allowed, sizeof allowed));
			}
			snprintf(a->status, sizeof a->status, "%s", cb_act_status_name(to));
		}
		if (to == CB_ACT_DONE && !a->done_at)
			a->done_at = now;
		if (to != CB_ACT_DONE)
			a->done_at = 0;
	}
	return 0;
}

static void bind_action(cb_q *q, const action *a, cb_ms now)
{
	cb_q_bind_text(q, 2, a->type);
	cb_q_bind_text(q, 3, a->title);
	if (a->owner)
		cb_q_bind_i64(q, 4, a->owner);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_text(q, 5, a->due[0] ? a->due : NULL);
	cb_q_bind_text(q, 6, a->status);
	cb_q_bind_i64(q, 7, now);
	if (a->done_at)
		cb_q_bind_i64(q, 8, a->done_at);
	else
		cb_q_bind_null(q, 8);
}

int cb_review_action_create(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t incident,
			    json_t *in, int64_t *out_id, cb_err *err)
{
	if (cb_incident_exists(c, incident, err))
		return -1;
	action a = {.status = "open"};
	int rc = action_merge(c, &a, in, 1, now, err);
	cb_q *q = rc ? NULL : cb_q_get(c, CB_SQL_ACTION_INSERT, err);
	if (q) {
		cb_q_bind_i64(q, 1, incident);
		bind_action(q, &a, now);
		int64_t new_id = 0;
		rc = cb_q_exec_id(q, &new_id, err);
		if (!rc)
			*out_id = new_id;
	} else {
		rc = -1;
	}
	cb_free(a.title);
	return rc;
}

int cb_review_action_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			    cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ACTION_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc < 0 ? -1 : cb_err_set(err, CB_E_NOTFOUND, NULL, "no such review action: %lld", (long long)id);
	action a = {0};
	snprintf(a.type, sizeof a.type, "%s", cb_q_text(q, 2));
	a.title = cb_xstrdup(cb_q_text(q, 3));
	a.owner = cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4);
	snprintf(a.due, sizeof a.due, "%s", cb_q_isnull(q, 5) ? "" : cb_q_text(q, 5));
	snprintf(a.status, sizeof a.status, "%s", cb_q_text(q, 6));
	a.done_at = cb_q_isnull(q, 9) ? 0 : cb_q_i64(q, 9);
	cb_q_reset(q);
	rc = action_merge(c, &a, in, 0, now, err);
	q = rc ? NULL : cb_q_get(c, CB_SQL_ACTION_UPDATE, err);
	if (q) {
		cb_q_bind_i64(q, 1, id);
		bind_action(q, &a, now);
		rc = cb_q_exec(q, err);
	} else {
		rc = -1;
	}
	cb_free(a.title);
	return rc;
}

int cb_review_action_list(cb_conn *c, const cb_review_action_filter *f, cb_ms now, int limit,
			  int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	*items = NULL;
	*next = 0;
	cb_q *q = cb_q_get(c, CB_SQL_ACTIONS_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, f->status);
	if (f->incident)
		cb_q_bind_i64(q, 2, f->incident);
	else
		cb_q_bind_null(q, 2);
	char today[16];
	if (f->overdue) {
		int64_t y;
		unsigned m, d;
		cb_civil_from_days(now >= 0 ? now / 86400000 : -((-now + 86399999) / 86400000), &y, &m, &d);
		snprintf(today, sizeof today, "%04lld-%02u-%02u", (long long)y, m, d);
		cb_q_bind_text(q, 3, today);
	} else {
		cb_q_bind_null(q, 3);
	}
	if (f->owner)
		cb_q_bind_i64(q, 4, f->owner);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_i64(q, 5, limit + 1);
	cb_q_bind_i64(q, 6, offset);
	json_t *arr = json_array();
	int rc, n = 0;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (n++ == limit) {
			*next = offset + limit;
			cb_q_reset(q);
			break;
		}
		json_array_append_new(arr, render_action(c, q, now));
	}
	if (rc < 0) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}
