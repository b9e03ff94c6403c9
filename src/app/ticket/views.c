/* views.c - built-in and saved views (see views.h).
 *
 * A saved view stores its base queue, its filters as JSON with groups and
 * users as ids, and its sort. Personal views are visible to their owner
 * only (404 to anyone else); shared views to every agent-side user, and
 * only their creator or an admin may change them. */
#include "app/ticket/views.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "core/ticket.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	cb_view_kind kind;
} builtins[] = {
	{"all_open", CB_VIEW_ALL_OPEN}, {"mine", CB_VIEW_MINE}, {"unassigned", CB_VIEW_UNASSIGNED},
	{"at_risk", CB_VIEW_AT_RISK},   {"breached", CB_VIEW_BREACHED},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

static const char *const sorts[] = {"urgency", "priority", "created_asc", "created_desc",
				    "updated_desc"};

static int base_parse(const char *s, cb_view_kind *out)
{
	for (size_t i = 0; s && i < NBUILTIN; i++)
		if (strcmp(s, builtins[i].name) == 0) {
			*out = builtins[i].kind;
			return 0;
		}
	return -1;
}

static int sort_parse(const char *s, int *out)
{
	for (int i = 0; s && i < (int)(sizeof sorts / sizeof sorts[0]); i++)
		if (strcmp(s, sorts[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static int prio_bits(json_t *v, unsigned *out, const char *field, cb_err *err)
{
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	json_t *arr = json_is_array(v) ? v : NULL;
	size_t n = arr ? json_array_size(arr) : 1;
	for (size_t i = 0; i < n; i++) {
		int p;
		if (cb_priority_parse(json_string_value(arr ? json_array_get(arr, i) : v), &p))
			return cb_err_set(err, CB_E_INVALID, field, "must be P1..P4 or a list of them");
		*out |= 1u << p;
	}
	return 0;
}

/* Stored filters -> spec (ids already resolved). */
static void spec_from_row(const char *base, const char *filters, const char *sort,
			  const cb_actor *viewer, cb_view_spec *out)
{
	memset(out, 0, sizeof *out);
	base_parse(base, &out->base);
	sort_parse(sort, &out->sort);
	json_t *f = json_loads(filters, 0, NULL);
	json_t *g = json_object_get(f, "group");
	out->group = json_is_integer(g) ? (int64_t)json_integer_value(g) : json_is_string(g) ? -1 : 0;
	cb_err e = {0};
	prio_bits(json_object_get(f, "priority"), &out->priorities, "", &e);
	const char *tier = json_string_value(json_object_get(f, "tier"));
	if (tier)
		snprintf(out->tier, sizeof out->tier, "%s", tier);
	json_t *a = json_object_get(f, "assignee");
	if (json_is_integer(a))
		out->assignee = (int64_t)json_integer_value(a);
	else if (json_is_string(a) && strcmp(json_string_value(a), "me") == 0)
		out->assignee = viewer->user_id;
	else if (json_is_string(a))
		out->assignee = -1;
	json_decref(f);
}

static int visible(const cb_actor *viewer, int64_t owner)
{
	return owner == 0 || owner == viewer->user_id;
}

int cb_views_resolve(cb_conn *c, const cb_actor *viewer, const char *name, cb_view_spec *out,
		     cb_err *err)
{
	memset(out, 0, sizeof *out);
	if (base_parse(name, &out->base) == 0)
		return 0;
	cb_q *q;
	char *end;
	long long id = strtoll(name, &end, 10);
	if (*name && !*end) {
		q = cb_q_get(c, CB_SQL_VIEW_GET, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, id);
	} else {
		q = cb_q_get(c, CB_SQL_VIEW_BY_NAME, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, name);
		cb_q_bind_i64(q, 2, viewer->user_id);
	}
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0 || !visible(viewer, cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2))) {
		if (r == 1)
			cb_q_reset(q);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such view: %s", name);
	}
	spec_from_row(cb_q_text(q, 3), cb_q_text(q, 4), cb_q_text(q, 5), viewer, out);
	cb_q_reset(q);
	return 0;
}

static int resolve_group_str(cb_conn *c, const char *s, int64_t *out, cb_err *err)
{
	if (strcmp(s, "none") == 0) {
		*out = -1;
		return 0;
	}
	char *end;
	long long num = strtoll(s, &end, 10);
	json_t *ref = (*s && !*end) ? json_integer(num) : json_string(s);
	int r = cb_dir_resolve_group(c, ref, out, "group", err);
	json_decref(ref);
	return r;
}

int cb_views_narrow(cb_conn *c, cb_view_spec *spec, const char *group, const char *priority,
		    const char *tier, const char *sort, cb_err *err)
{
	if (group) {
		if (resolve_group_str(c, group, &spec->group, err)) {
			cb_err_clear(err);
			return cb_err_set(err, CB_E_BADREQ, "group", "unknown group: %s", group);
		}
	}
	if (priority) {
		unsigned bits = 0;
		const char *p = priority;
		while (*p) {
			size_t n = strcspn(p, ",");
			char one[4] = {0};
			int pr;
			if (n >= sizeof one || (memcpy(one, p, n), cb_priority_parse(one, &pr)))
				return cb_err_set(err, CB_E_BADREQ, "priority", "unknown priority");
			bits |= 1u << pr;
			p += n;
			if (*p == ',')
				p++;
		}
		/* narrowing: the query string can only remove priorities */
		spec->priorities = spec->priorities ? (spec->priorities & bits ? spec->priorities & bits : 1u)
						    : bits;
	}
	if (tier) {
		if (strcmp(tier, "enterprise") && strcmp(tier, "business") && strcmp(tier, "standard"))
			return cb_err_set(err, CB_E_BADREQ, "tier", "must be enterprise, business or standard");
		if (spec->tier[0] && strcmp(spec->tier, tier))
			snprintf(spec->tier, sizeof spec->tier, "-"); /* matches nothing */
		else
			snprintf(spec->tier, sizeof spec->tier, "%s", tier);
	}
	if (sort && sort_parse(sort, &spec->sort))
		return cb_err_set(err, CB_E_BADREQ, "sort",
				  "must be urgency, priority, created_asc, created_desc or updated_desc");
	return 0;
}

/* ---- saved views ---- */

static const char *const view_keys[] = {"name", "base", "filters", "sort", "shared", NULL};
static const char *const filter_keys[] = {"group", "priority", "tier", "assignee", NULL};

/* Validates a body (create: partial = 0) and builds the stored filters.
 * long: every filter checked in one pass, each bad one named */
static int build(cb_conn *c, const cb_actor *actor, json_t *in, int partial, json_t *cur_filters,
		 json_t **filters_out, cb_err *err)
{
	/* every bad field named: the checks below go on after a failure */
	int bad = cb_json_check_keys(in, view_keys, "", err) != 0;
	json_t *name = json_object_get(in, "name");
	if ((!partial || name) && (!json_is_string(name) || json_string_length(name) == 0 ||
				   json_string_length(name) > 100))
		bad = cb_err_set(err, CB_E_INVALID, "name", "must be a string of 1 to 100 characters");
	else if (name) {
		cb_view_kind k;
		const char *s = json_string_value(name);
		char *end;
		strtoll(s, &end, 10);
		if (base_parse(s, &k) == 0 || !*end)
			bad = cb_err_set(err, CB_E_INVALID, "name", "is reserved (a built-in view name or a number)");
	}
	json_t *base = json_object_get(in, "base");
	cb_view_kind k;
	if (base && base_parse(json_string_value(base), &k))
		bad = cb_err_set(err, CB_E_INVALID, "base",
				 "must be one of all_open, mine, unassigned, at_risk, breached");
	json_t *sort = json_object_get(in, "sort");
	int so;
	if (sort && sort_parse(json_string_value(sort), &so))
		bad = cb_err_set(err, CB_E_INVALID, "sort",
				 "must be urgency, priority, created_asc, created_desc or updated_desc");
	json_t *sh = json_object_get(in, "shared");
	if (sh && !json_is_boolean(sh))
		bad = cb_err_set(err, CB_E_INVALID, "shared", "must be a boolean");
	if (bad)
		return cb_err_summarize(err);
	if (sh && json_is_true(sh) && actor->role != CB_ROLE_ADMIN && actor->role != CB_ROLE_AGENT)
		return cb_err_set(err, CB_E_FORBIDDEN, "shared", "only agents and admins share views");
	json_t *f = json_object_get(in, "filters");
	if (!f) {
		*filters_out = cur_filters ? json_incref(cur_filters) : json_object();
		return 0;
	}
	if (!json_is_object(f))
		return cb_err_set(err, CB_E_INVALID, "filters", "must be an object");
	if (cb_json_check_keys(f, filter_keys, "filters.", err))
		return -1;
	json_t *out = json_object();
	json_t *g = json_object_get(f, "group");
	if (g && !json_is_null(g)) {
		int64_t gid;
		if (json_is_string(g) && strcmp(json_string_value(g), "none") == 0) {
			json_object_set_new(out, "group", json_string("none"));
		} else if (cb_dir_resolve_group(c, g, &gid, "filters.group", err)) {
			json_decref(out);
			return -1;
		} else {
			json_object_set_new(out, "group", json_integer(gid));
		}
	}
	json_t *p = json_object_get(f, "priority");
	unsigned bits;
	if (prio_bits(p, &bits, "filters.priority", err)) {
		json_decref(out);
		return -1;
	}
	if (bits) {
		json_t *arr = json_array();
		for (int i = 1; i <= 4; i++)
			if (bits & (1u << i))
				json_array_append_new(arr, json_string(cb_priority_name(i)));
		json_object_set_new(out, "priority", arr);
	}
	json_t *t = json_object_get(f, "tier");
	if (t && !json_is_null(t)) {
		const char *ts = json_string_value(t);
		if (!ts || (strcmp(ts, "enterprise") && strcmp(ts, "business") && strcmp(ts, "standard"))) {
			json_decref(out);
			return cb_err_set(err, CB_E_INVALID, "filters.tier", "must be enterprise, business or standard");
		}
		json_object_set(out, "tier", t);
	}
	json_t *a = json_object_get(f, "assignee");
	if (a && !json_is_null(a)) {
		const char *as = json_string_value(a);
		if (as && (strcmp(as, "me") == 0 || strcmp(as, "none") == 0)) {
			json_object_set(out, "assignee", a);
		} else {
			int64_t uid;
			if (cb_dir_resolve_user(c, a, &uid, "filters.assignee", err)) {
				json_decref(out);
				return -1;
			}
			json_object_set_new(out, "assignee", json_integer(uid));
		}
	}
	*filters_out = out;
	return 0;
}

static int store(cb_conn *c, cb_sql sql, int64_t id, const char *name, int64_t owner,
		 const char *base, json_t *filters, const char *sort, int64_t creator, cb_ms now,
		 int64_t *out_id, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	char *fs = json_dumps(filters, JSON_COMPACT);
	if (sql == CB_SQL_VIEW_INSERT) {
		cb_q_bind_text(q, 1, name);
		if (owner)
			cb_q_bind_i64(q, 2, owner);
		else
			cb_q_bind_null(q, 2);
		cb_q_bind_text(q, 3, base);
		cb_q_bind_text(q, 4, fs);
		cb_q_bind_text(q, 5, sort);
		cb_q_bind_i64(q, 6, creator);
		cb_q_bind_i64(q, 7, now);
	} else {
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_text(q, 2, name);
		if (owner)
			cb_q_bind_i64(q, 3, owner);
		else
			cb_q_bind_null(q, 3);
		cb_q_bind_text(q, 4, base);
		cb_q_bind_text(q, 5, fs);
		cb_q_bind_text(q, 6, sort);
		cb_q_bind_i64(q, 7, now);
	}
	free(fs); /* jansson's allocation */
	int64_t new_id = 0;
	int rc = cb_q_exec_id(q, &new_id, err);
	if (rc == 0 && out_id)
		*out_id = new_id;
	if (rc && err->code == CB_E_CONFLICT) {
		cb_err_clear(err);
		cb_err_set(err, CB_E_CONFLICT, "name", "a view with this name exists");
	}
	return rc;
}

int cb_views_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		    cb_err *err)
{
	json_t *filters = NULL;
	if (build(c, actor, in, 0, NULL, &filters, err))
		return -1;
	const char *base = json_string_value(json_object_get(in, "base"));
	const char *sort = json_string_value(json_object_get(in, "sort"));
	int shared = json_is_true(json_object_get(in, "shared"));
	int rc = store(c, CB_SQL_VIEW_INSERT, 0, json_string_value(json_object_get(in, "name")),
		       shared ? 0 : actor->user_id, base ? base : "all_open", filters,
		       sort ? sort : "urgency", actor->user_id, now, out_id, err);
	json_decref(filters);
	if (rc)
		return -1;
	if (shared) {
		char target[48];
		snprintf(target, sizeof target, "view:%lld", (long long)*out_id);
		return cb_audit(c, actor, now, "view.create", target, "{}", err);
	}
	return 0;
}

struct row {
	int64_t id, owner;
	char *name, *base, *filters, *sort;
	cb_ms created, updated;
};

static int load(cb_conn *c, int64_t id, struct row *r, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_VIEW_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc;
	r->id = cb_q_i64(q, 0);
	r->name = cb_xstrdup(cb_q_text(q, 1));
	r->owner = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
	r->base = cb_xstrdup(cb_q_text(q, 3));
	r->filters = cb_xstrdup(cb_q_text(q, 4));
	r->sort = cb_xstrdup(cb_q_text(q, 5));
	r->created = cb_q_i64(q, 6);
	r->updated = cb_q_i64(q, 7);
	cb_q_reset(q);
	return 1;
}

static void row_free(struct row *r)
{
	cb_free(r->name);
	cb_free(r->base);
	cb_free(r->filters);
	cb_free(r->sort);
}

/* May the actor change this view? Personal: its owner; shared: its
 * creator or an admin (checked by the caller for shared). */
static int may_edit(const cb_actor *a, const struct row *r)
{
	return r->owner ? r->owner == a->user_id : a->role == CB_ROLE_ADMIN || a->role == CB_ROLE_AGENT;
}

int cb_views_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err)
{
	struct row r = {0};
	int found = load(c, id, &r, err);
	if (found < 0)
		return -1;
	if (!found || !visible(actor, r.owner)) {
		row_free(&r);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such view: %lld", (long long)id);
	}
	if (!may_edit(actor, &r)) {
		row_free(&r);
		return cb_err_set(err, CB_E_FORBIDDEN, NULL, "only agents and admins change shared views");
	}
	json_t *cur = json_loads(r.filters, 0, NULL);
	json_t *filters = NULL;
	int rc = build(c, actor, in, 1, cur, &filters, err);
	json_decref(cur);
	if (rc == 0) {
		json_t *v;
		const char *name = (v = json_object_get(in, "name")) ? json_string_value(v) : r.name;
		const char *base = (v = json_object_get(in, "base")) ? json_string_value(v) : r.base;
		const char *sort = (v = json_object_get(in, "sort")) ? json_string_value(v) : r.sort;
		json_t *sh = json_object_get(in, "shared");
		int64_t owner = sh ? (json_is_true(sh) ? 0 : actor->user_id) : r.owner;
		rc = store(c, CB_SQL_VIEW_UPDATE, id, name, owner, base, filters, sort, 0, now, NULL, err);
	}
	json_decref(filters);
	row_free(&r);
	return rc;
}

int cb_views_delete(cb_conn *c, const cb_actor *actor, int64_t id, cb_err *err)
{
	struct row r = {0};
	int found = load(c, id, &r, err);
	if (found < 0)
		return -1;
	int ok = found && visible(actor, r.owner);
	int edit = ok && may_edit(actor, &r);
	row_free(&r);
	if (!ok)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such view: %lld", (long long)id);
	if (!edit)
		return cb_err_set(err, CB_E_FORBIDDEN, NULL, "only agents and admins change shared views");
	cb_q *q = cb_q_get(c, CB_SQL_VIEW_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	return cb_q_exec(q, err);
}

static json_t *render(cb_conn *c, const struct row *r)
{
	json_t *f = json_loads(r->filters, 0, NULL);
	if (!f)
		f = json_object();
	json_t *g = json_object_get(f, "group");
	if (json_is_integer(g))
		json_object_set_new(f, "group", cb_dir_group_ref(c, (int64_t)json_integer_value(g)));
	json_t *a = json_object_get(f, "assignee");
	if (json_is_integer(a))
		json_object_set_new(f, "assignee", cb_dir_user_ref(c, (int64_t)json_integer_value(a)));
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "builtin", json_false());
	json_object_set_new(o, "base", json_string(r->base));
	json_object_set_new(o, "filters", f);
	json_object_set_new(o, "sort", json_string(r->sort));
	json_object_set_new(o, "shared", json_boolean(r->owner == 0));
	json_object_set_new(o, "owner", r->owner ? cb_dir_user_ref(c, r->owner) : json_null());
	json_object_set_new(o, "created_at", cb_json_time(r->created));
	json_object_set_new(o, "updated_at", cb_json_time(r->updated));
	return o;
}

json_t *cb_views_get(cb_conn *c, const cb_actor *viewer, int64_t id, cb_err *err)
{
	struct row r = {0};
	int found = load(c, id, &r, err);
	if (found < 0)
		return NULL;
	json_t *o = NULL;
	if (!found || !visible(viewer, r.owner))
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such view: %lld", (long long)id);
	else
		o = render(c, &r);
	row_free(&r);
	return o;
}

json_t *cb_views_list(cb_conn *c, const cb_actor *viewer, cb_err *err)
{
	json_t *items = json_array();
	for (size_t i = 0; i < NBUILTIN; i++)
		json_array_append_new(items, json_pack("{s:n, s:s, s:b, s:s, s:{}, s:s, s:b}", "id",
						       "name", builtins[i].name, "builtin", 1, "base",
						       builtins[i].name, "filters", "sort", "urgency",
						       "shared", 1));
	cb_q *q = cb_q_get(c, CB_SQL_VIEW_LIST, err);
	if (!q) {
		json_decref(items);
		return NULL;
	}
	cb_q_bind_i64(q, 1, viewer->user_id);
	int64_t ids[1000];
	int n = 0, r;
	while (n < 1000 && (r = cb_q_step(q, err)) == 1)
		ids[n++] = cb_q_i64(q, 0);
	cb_q_reset(q);
	for (int i = 0; i < n; i++) {
		json_t *o = cb_views_get(c, viewer, ids[i], err);
		if (o)
			json_array_append_new(items, o);
	}
	json_t *out = json_object();
	json_object_set_new(out, "items", items);
	json_object_set_new(out, "next_cursor", json_null());
	return out;
}
