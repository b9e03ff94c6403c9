/* incident.c - major incidents (see incident.h and docs/incidents.md).
 *
 * DESIGN
 * An incident is one row of `incidents` plus its own append-only timeline
 * (`incident_events`): creation, status, severity, role, visibility,
 * cadence, component and account changes, ticket links, updates and
 * overdue entries. Every change loads the row, validates and applies the
 * request field by field (recording one timeline entry per change), then
 * recomputes the customer update clock and writes the row back, all in the
 * caller's write transaction, so a rejected request writes nothing.
 *
 * The update clock: next_update_due = (last public update, or the start)
 * + the cadence (the incident's own override, else the admin-configured
 * default of its severity). It is persisted as one `incident.update_due`
 * job per incident (jobs.instance = incident id), replaced whenever the
 * deadline moves and removed when it stops (resolved, no cadence). When
 * the job runs after the deadline it records one `overdue` entry at the
 * deadline instant; overdue_fired_due remembers the deadline it was
 * recorded for, and the job row is deleted in the same transaction, so a
 * restart neither loses nor repeats it. A public update restarts the
 * clock; the next missed deadline is recorded again, once. */
#include "app/incident/incident.h"
#include "app/ticket/pipeline.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"
#include "core/incident.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TITLE 500
#define MAX_TEXT 100000
#define MAX_UPDATE 20000
#define MAX_LINK 1000
#define MAX_CADENCE 1440
#define SETTING_CADENCE "incident.update_cadence"

static const char *const role_keys[3] = {"commander", "technical_lead", "communications_lead"};

typedef struct {
	int64_t id;
	char *title, *description;
	int severity;
	cb_inc_status status;
	int pub;
	int64_t role[3];
	int has_cadence, cadence; /* the incident's own override */
	cb_ms started_at, last_pub, next_due, fired_due, resolved_at;
	int64_t created_by;
	cb_ms created_at, updated_at;
} inc_row;

static void row_free(inc_row *r)
{
	cb_free(r->title);
	cb_free(r->description);
	r->title = r->description = NULL;
}

static cb_ms opt_ms(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? 0 : cb_q_i64(q, col);
}

json_t *cb_incident_time_json(cb_ms t)
{
	if (!t)
		return json_null();
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}

static int load(cb_conn *c, int64_t id, inc_row *r, cb_err *err)
{
	memset(r, 0, sizeof *r);
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc < 0 ? -1 : cb_err_set(err, CB_E_NOTFOUND, NULL, "no such incident: %lld", (long long)id);
	r->id = cb_q_i64(q, 0);
	r->title = cb_xstrdup(cb_q_text(q, 1));
	r->description = cb_xstrdup(cb_q_text(q, 2));
	r->severity = (int)cb_q_i64(q, 3);
	if (cb_inc_status_parse(cb_q_text(q, 4), &r->status))
		r->status = CB_INC_INVESTIGATING;
	r->pub = (int)cb_q_i64(q, 5);
	for (int i = 0; i < 3; i++)
		r->role[i] = opt_ms(q, 6 + i);
	r->has_cadence = !cb_q_isnull(q, 9);
	r->cadence = r->has_cadence ? (int)cb_q_i64(q, 9) : 0;
	r->started_at = cb_q_i64(q, 10);
	r->last_pub = opt_ms(q, 11);
	r->next_due = opt_ms(q, 12);
	r->fired_due = opt_ms(q, 13);
	r->resolved_at = opt_ms(q, 14);
	r->created_by = opt_ms(q, 15);
	r->created_at = cb_q_i64(q, 16);
	r->updated_at = cb_q_i64(q, 17);
	cb_q_reset(q);
	return 0;
}

int cb_incident_exists(cb_conn *c, int64_t id, cb_err *err)
{
	inc_row r;
	if (load(c, id, &r, err))
		return -1;
	row_free(&r);
	return 0;
}

static void bind_opt(cb_q *q, int i, int64_t v)
{
	if (v)
		cb_q_bind_i64(q, i, v);
	else
		cb_q_bind_null(q, i);
}

static int save(cb_conn *c, const inc_row *r, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_UPDATE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, r->id);
	cb_q_bind_text(q, 2, r->title);
	cb_q_bind_text(q, 3, r->description);
	cb_q_bind_i64(q, 4, r->severity);
	cb_q_bind_text(q, 5, cb_inc_status_name(r->status));
	cb_q_bind_i64(q, 6, r->pub);
	for (int i = 0; i < 3; i++)
		bind_opt(q, 7 + i, r->role[i]);
	if (r->has_cadence)
		cb_q_bind_i64(q, 10, r->cadence);
	else
		cb_q_bind_null(q, 10);
	cb_q_bind_i64(q, 11, r->started_at);
	bind_opt(q, 12, r->last_pub);
	bind_opt(q, 13, r->next_due);
	bind_opt(q, 14, r->fired_due);
	bind_opt(q, 15, r->resolved_at);
	cb_q_bind_i64(q, 16, r->updated_at);
	return cb_q_exec(q, err);
}

/* Appends a timeline entry; data is consumed. */
static int ev_add(cb_conn *c, int64_t id, cb_ms at, int64_t actor, const char *kind, int pub,
		  json_t *data, int64_t *out_id, cb_err *err)
{
	char *s = json_dumps(data ? data : json_object(), JSON_COMPACT);
	json_decref(data);
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_EVENT_INSERT, err);
	if (!q) {
		free(s); /* jansson's allocation */
		return -1;
	}
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, at);
	bind_opt(q, 3, actor);
	cb_q_bind_text(q, 4, kind);
	cb_q_bind_i64(q, 5, pub);
	cb_q_bind_text(q, 6, s ? s : "{}");
	int64_t new_id = 0;
	int rc = cb_q_exec_id(q, &new_id, err);
	free(s); /* jansson's allocation */
	if (!rc && out_id)
		*out_id = new_id;
	return rc;
}

/* ---- cadence settings ---- */

static const int default_cadence[5] = {0, 30, 60, 0, 0};

/* out[1..4]: minutes per severity, 0 = none */
static int cadence_load(cb_conn *c, int out[5], cb_err *err)
{
	memcpy(out, default_cadence, sizeof default_cadence);
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_SETTING_GET, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, SETTING_CADENCE);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 0;
	json_t *v = json_loads(cb_q_text(q, 0), 0, NULL);
	cb_q_reset(q);
	for (int s = 1; s <= 4; s++) {
		json_t *m = json_object_get(v, cb_inc_severity_name(s));
		if (m)
			out[s] = json_is_integer(m) ? (int)json_integer_value(m) : 0;
	}
	json_decref(v);
	return 0;
}

static int effective_cadence(const inc_row *r, const int cad[5])
{
	if (r->has_cadence)
		return r->cadence;
	return r->severity >= 1 && r->severity <= 4 ? cad[r->severity] : 0;
}

/* Recomputes next_update_due and puts the row's job in line with it. */
static int reclock(cb_conn *c, inc_row *r, const int cad[5], cb_err *err)
{
	cb_ms due = cb_inc_next_update_due(r->status, r->started_at, r->last_pub,
					   effective_cadence(r, cad));
	if (due == r->next_due && due)
		return 0; /* unchanged: the job already waits for it */
	r->next_due = due;
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_JOB_CLEAR, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, r->id);
	if (cb_q_exec(q, err))
		return -1;
	if (!due || r->fired_due == due)
		return 0;
	q = cb_q_get(c, CB_SQL_INCIDENT_JOB_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, r->id);
	cb_q_bind_i64(q, 2, due);
	return cb_q_exec(q, err);
}

/* ---- rendering ---- */

/* The rows of sql bound to ?1 = id, each rendered (cb_app_rows). */
static json_t *rows_of(cb_conn *c, cb_sql sql, int64_t id,
		       json_t *(*render)(cb_conn *c, cb_q *q), cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	return cb_app_rows(c, q, render, err);
}

static json_t *row_id(cb_conn *c, cb_q *q)
{
	return json_integer(cb_q_i64(q, 0));
}

static json_t *id_list(cb_conn *c, cb_sql sql, int64_t id, cb_err *err)
{
	return rows_of(c, sql, id, row_id, err);
}

static json_t *row_component_ref(cb_conn *c, cb_q *q)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)cb_q_i64(q, 0), "name",
			 cb_q_text(q, 1), "state", cb_q_text(q, 2));
}

static json_t *components_of(cb_conn *c, int64_t id, cb_err *err)
{
	return rows_of(c, CB_SQL_INCIDENT_COMPONENTS, id, row_component_ref, err);
}

static json_t *render(cb_conn *c, const inc_row *r, const int cad[5], cb_ms now, cb_err *err)
{
	json_t *comps = components_of(c, r->id, err);
	json_t *accts = comps ? id_list(c, CB_SQL_INCIDENT_ACCOUNTS, r->id, err) : NULL;
	json_t *tickets = accts ? id_list(c, CB_SQL_INCIDENT_TICKETS, r->id, err) : NULL;
	if (!tickets) {
		json_decref(comps);
		json_decref(accts);
		return NULL;
	}
	json_t *arefs = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(accts, i, v)
		json_array_append_new(arefs, cb_dir_account_ref(c, json_integer_value(v)));
	json_decref(accts);
	json_t *roles = json_object();
	for (int k = 0; k < 3; k++)
		json_object_set_new(roles, role_keys[k], cb_dir_user_ref(c, r->role[k]));
	int eff = effective_cadence(r, cad);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "description", json_string(r->description));
	json_object_set_new(o, "severity", json_string(cb_inc_severity_name(r->severity)));
	json_object_set_new(o, "status", json_string(cb_inc_status_name(r->status)));
	json_object_set_new(o, "public", json_boolean(r->pub));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "components", comps);
	json_object_set_new(o, "accounts", arefs);
	json_object_set_new(o, "tickets", tickets);
	json_object_set_new(o, "update_cadence_min", eff > 0 ? json_integer(eff) : json_null());
	json_object_set_new(o, "cadence_source", json_string(r->has_cadence ? "incident" : "severity"));
	json_object_set_new(o, "next_update_due", cb_incident_time_json(r->next_due));
	json_object_set_new(o, "overdue", json_boolean(cb_inc_overdue(r->next_due, now)));
	json_object_set_new(o, "last_public_update_at", cb_incident_time_json(r->last_pub));
	json_object_set_new(o, "started_at", cb_incident_time_json(r->started_at));
	json_object_set_new(o, "resolved_at", cb_incident_time_json(r->resolved_at));
	json_object_set_new(o, "created_by", cb_dir_user_ref(c, r->created_by));
	json_object_set_new(o, "created_at", cb_incident_time_json(r->created_at));
	json_object_set_new(o, "updated_at", cb_incident_time_json(r->updated_at));
	return o;
}

json_t *cb_incident_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err)
{
	int cad[5];
	inc_row r;
	if (cadence_load(c, cad, err) || load(c, id, &r, err))
		return NULL;
	json_t *o = render(c, &r, cad, now, err);
	row_free(&r);
	return o;
}

int cb_incident_list(cb_conn *c, const cb_incident_filter *f, cb_ms now, int limit, int64_t before,
		     json_t **items, int64_t *next, cb_err *err)
{
	*items = NULL;
	*next = 0;
	int cad[5];
	if (cadence_load(c, cad, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, before ? before : INT64_MAX);
	cb_q_bind_text(q, 2, f->status);
	if (f->severity)
		cb_q_bind_i64(q, 3, f->severity);
	else
		cb_q_bind_null(q, 3);
	if (f->active >= 0)
		cb_q_bind_i64(q, 4, f->active);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_i64(q, 5, limit + 1);
	int64_t ids[501];
	int n = 0, rc;
	while ((rc = cb_q_step(q, err)) == 1)
		if (n < limit + 1 && n < 501)
			ids[n++] = cb_q_i64(q, 0);
	if (rc < 0)
		return -1;
	json_t *arr = json_array();
	for (int i = 0; i < n && i < limit; i++) {
		inc_row r;
		json_t *o = NULL;
		if (load(c, ids[i], &r, err) == 0) {
			o = render(c, &r, cad, now, err);
			row_free(&r);
		}
		if (!o) {
			json_decref(arr);
			return -1;
		}
		json_array_append_new(arr, o);
	}
	if (n > limit)
		*next = ids[limit - 1];
	*items = arr;
	return 0;
}

/* ---- validation helpers ---- */

static int text_field(json_t *v, const char *k, size_t min, size_t max, cb_err *err)
{
	if (!json_is_string(v) || json_string_length(v) < min || json_string_length(v) > max)
		return cb_err_set(err, CB_E_INVALID, k, "must be a string of %zu to %zu characters", min,
				  max);
	return 0;
}

/* A staff user (not a customer) or null (0). */
static int resolve_staff(cb_conn *c, json_t *v, const char *field, int64_t *out, cb_err *err)
{
	*out = 0;
	if (json_is_null(v))
		return 0;
	if (cb_dir_resolve_user(c, v, out, field, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_USER_ROLE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, *out);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	int customer = rc == 1 && strcmp(cb_q_text(q, 0), "customer") == 0;
	if (rc == 1)
		cb_q_reset(q);
	if (customer)
		return cb_err_set(err, CB_E_INVALID, field, "must be a staff user (admin, agent or engineer)");
	return 0;
}

/* A component by id (integer) or name (string). */
static int resolve_component(cb_conn *c, json_t *v, const char *field, int64_t *out, cb_err *err)
{
	int rc;
	if (json_is_integer(v))
		rc = cb_q_one_by_id(c, CB_SQL_COMPONENT_BY_ID, json_integer_value(v), out, err);
	else if (json_is_string(v))
		rc = cb_q_one_by_text(c, CB_SQL_COMPONENT_BY_NAME, json_string_value(v), out, err);
	else
		return cb_err_set(err, CB_E_INVALID, field, "must be a component id or name");
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_INVALID, field, "no such component");
	return 0;
}

static json_t *comp_ref(cb_conn *c, int64_t id)
{
	json_t *o = cb_component_get(c, id, &(cb_err){0});
	if (!o)
		return json_null();
	json_t *r = json_pack("{s:I, s:O}", "id", (json_int_t)id, "name", json_object_get(o, "name"));
	json_decref(o);
	return r;
}

/* Sets one component's state (recorded on the incident's timeline and in
 * the audit trail when it changes). */
static int set_component_state(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t incident,
			       int64_t comp, const char *from, const char *to, cb_err *err)
{
	if (strcmp(from, to) == 0)
		return 0;
	cb_q *q = cb_q_get(c, CB_SQL_COMPONENT_SET_STATE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, comp);
	cb_q_bind_text(q, 2, to);
	cb_q_bind_i64(q, 3, now);
	if (cb_q_exec(q, err))
		return -1;
	char target[48], data[160];
	snprintf(target, sizeof target, "component:%lld", (long long)comp);
	snprintf(data, sizeof data, "{\"from\":\"%s\",\"to\":\"%s\",\"incident\":%lld}", from, to,
		 (long long)incident);
	if (cb_audit(c, actor, now, "component.state", target, data, err))
		return -1;
	return ev_add(c, incident, now, actor->user_id, "component", 0,
		      json_pack("{s:o, s:s, s:s}", "component", comp_ref(c, comp), "from", from, "to",
				to),
		      NULL, err);
}

/* After resolving: components of this incident that no other active
 * incident affects go back to operational. */
static int restore_components(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_COMPONENTS_TO_RESTORE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int64_t ids[256];
	char states[256][32];
	int n = 0, rc;
	while ((rc = cb_q_step(q, err)) == 1)
		if (n < 256) {
			ids[n] = cb_q_i64(q, 0);
			snprintf(states[n++], sizeof states[0], "%s", cb_q_text(q, 2));
		}
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (set_component_state(c, actor, now, id, ids[i], states[i], "operational", err))
			return -1;
	return 0;
}

static int move_status(cb_conn *c, const cb_actor *actor, cb_ms now, inc_row *r, const char *to_s,
		       cb_err *err)
{
	cb_inc_status to;
	if (cb_inc_status_parse(to_s, &to))
		return cb_err_set(err, CB_E_INVALID, "status",
				  "must be one of investigating, identified, monitoring, resolved");
	if (to == r->status)
		return 0;
	if (!cb_inc_move_ok(r->status, to)) {
		char allowed[96];
		return cb_err_set(err, CB_E_CONFLICT, "status", "cannot move from %s to %s; allowed: %s",
				  cb_inc_status_name(r->status), cb_inc_status_name(to),
				  cb_inc_allowed_moves(r->status, allowed, sizeof allowed));
	}
	if (ev_add(c, r->id, now, actor->user_id, "status", 0,
		   json_pack("{s:s, s:s}", "from", cb_inc_status_name(r->status), "to",
			     cb_inc_status_name(to)),
		   NULL, err))
		return -1;
	r->status = to;
	if (to == CB_INC_RESOLVED) {
		r->resolved_at = now;
		return restore_components(c, actor, now, r->id, err);
	}
	return 0;
}

static int set_ids(cb_conn *c, cb_sql clear_sql, cb_sql add_sql, int64_t id,
		   const int64_t *ids, size_t n, cb_err *err)
{
	cb_q *q = cb_q_get(c, clear_sql, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	if (cb_q_exec(q, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		q = cb_q_get(c, add_sql, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, ids[i]);
		if (cb_q_exec(q, err))
			return -1;
	}
	return 0;
}

static json_t *ids_json(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

static const char *const create_keys[] = {
	"title", "description", "severity", "public", "components", "component_states", "accounts",
	"commander", "technical_lead", "communications_lead", "update_cadence_min", "started_at",
	NULL};
static const char *const patch_keys[] = {
	"title", "description", "severity", "status", "public", "components", "component_states",
	"accounts", "commander", "technical_lead", "communications_lead", "update_cadence_min", NULL};

#define MAX_REFS 200

/* Applies the fields of `in` to r (timeline entries for changes unless
 * creating). Component and account sets are replaced when given. */
/* The shape of the fields apply() takes, each bad one named, before
 * anything is looked up or written. */
static int shape(json_t *in, int creating, cb_err *err)
{
	int bad = 0;
	json_t *v;
	if ((v = json_object_get(in, "title")))
		bad |= text_field(v, "title", 1, MAX_TITLE, err) != 0;
	else if (creating)
		bad = cb_err_set(err, CB_E_INVALID, "title", "is required");
	if ((v = json_object_get(in, "description")))
		bad |= text_field(v, "description", 0, MAX_TEXT, err) != 0;
	v = json_object_get(in, "severity");
	if ((v || creating) && cb_inc_severity_parse(json_string_value(v)) < 0)
		bad = cb_err_set(err, CB_E_INVALID, "severity",
				 v ? "must be one of SEV1, SEV2, SEV3, SEV4"
				   : "is required: one of SEV1, SEV2, SEV3, SEV4");
	if ((v = json_object_get(in, "public")) && !json_is_boolean(v))
		bad = cb_err_set(err, CB_E_INVALID, "public", "must be a boolean");
	return bad ? -1 : 0;
}

/* Each apply_* step checks and applies one part of an incident's input to
 * the row, appending its history event unless the incident is being
 * created. */
static int apply_scalars(cb_conn *c, cb_ms now, int64_t who, inc_row *r, json_t *in, int creating,
			 cb_err *err)
{
	json_t *v;
	if ((v = json_object_get(in, "title"))) {
		if (text_field(v, "title", 1, MAX_TITLE, err))
			return -1;
		cb_free(r->title);
		r->title = cb_xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(in, "description"))) {
		if (text_field(v, "description", 0, MAX_TEXT, err))
			return -1;
		cb_free(r->description);
		r->description = cb_xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(in, "severity"))) {
		int s = cb_inc_severity_parse(json_string_value(v));
		if (s < 0)
			return cb_err_set(err, CB_E_INVALID, "severity", "must be one of SEV1, SEV2, SEV3, SEV4");
		if (!creating && s != r->severity &&
		    ev_add(c, r->id, now, who, "severity", 0,
			   json_pack("{s:s, s:s}", "from", cb_inc_severity_name(r->severity), "to",
				     cb_inc_severity_name(s)),
			   NULL, err))
			return -1;
		r->severity = s;
	}
	if ((v = json_object_get(in, "public"))) {
		if (!json_is_boolean(v))
			return cb_err_set(err, CB_E_INVALID, "public", "must be a boolean");
		int p = json_is_true(v);
		if (!creating && p != r->pub &&
		    ev_add(c, r->id, now, who, "public", 0, json_pack("{s:b, s:b}", "from", r->pub, "to", p),
			   NULL, err))
			return -1;
		r->pub = p;
	}
	return 0;
}

static int apply_roles_cadence(cb_conn *c, cb_ms now, int64_t who, inc_row *r, json_t *in,
			       int creating, cb_err *err)
{
	json_t *v;
	for (int k = 0; k < 3; k++) {
		if (!(v = json_object_get(in, role_keys[k])))
			continue;
		int64_t uid;
		if (resolve_staff(c, v, role_keys[k], &uid, err))
			return -1;
		if (!creating && uid != r->role[k] &&
		    ev_add(c, r->id, now, who, "role", 0,
			   json_pack("{s:s, s:o, s:o}", "role", role_keys[k], "from",
				     cb_dir_user_ref(c, r->role[k]), "to", cb_dir_user_ref(c, uid)),
			   NULL, err))
			return -1;
		r->role[k] = uid;
	}
	if ((v = json_object_get(in, "update_cadence_min"))) {
		int has = !json_is_null(v);
		json_int_t m = has && json_is_integer(v) ? json_integer_value(v) : -1;
		if (has && (m < 0 || m > MAX_CADENCE))
			return cb_err_set(err, CB_E_INVALID, "update_cadence_min",
					  "must be minutes from 0 (no cadence) to %d, or null (the severity default)",
					  MAX_CADENCE);
		if (!creating && (has != r->has_cadence || (has && m != r->cadence)) &&
		    ev_add(c, r->id, now, who, "cadence", 0,
			   json_pack("{s:o}", "update_cadence_min", has ? json_integer(m) : json_null()),
			   NULL, err))
			return -1;
		r->has_cadence = has;
		r->cadence = has ? (int)m : 0;
	}
	return 0;
}

static int apply_accounts(cb_conn *c, cb_ms now, int64_t who, inc_row *r, json_t *v, int creating,
			  cb_err *err)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_REFS)
		return cb_err_set(err, CB_E_INVALID, "accounts", "must be a list of at most %d accounts",
				  MAX_REFS);
	int64_t ids[MAX_REFS];
	size_t i, n = 0;
	json_t *a;
	json_array_foreach(v, i, a) {
		char f[48];
		snprintf(f, sizeof f, "accounts[%zu]", i);
		if (cb_dir_resolve_account(c, a, &ids[n++], f, err))
			return -1;
	}
	if (set_ids(c, CB_SQL_INCIDENT_ACCOUNTS_CLEAR, CB_SQL_INCIDENT_ACCOUNT_ADD, r->id, ids, n, err))
		return -1;
	if (!creating && ev_add(c, r->id, now, who, "accounts", 0,
				json_pack("{s:o}", "accounts", ids_json(ids, n)), NULL, err))
		return -1;
	return 0;
}

static int apply_components(cb_conn *c, cb_ms now, int64_t who, inc_row *r, json_t *v,
			    int creating, cb_err *err)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_REFS)
		return cb_err_set(err, CB_E_INVALID, "components",
				  "must be a list of at most %d component ids or names", MAX_REFS);
	int64_t ids[MAX_REFS];
	size_t i, n = 0;
	json_t *a;
	json_array_foreach(v, i, a) {
		char f[48];
		snprintf(f, sizeof f, "components[%zu]", i);
		if (resolve_component(c, a, f, &ids[n++], err))
			return -1;
	}
	if (set_ids(c, CB_SQL_INCIDENT_COMPONENTS_CLEAR, CB_SQL_INCIDENT_COMPONENT_ADD, r->id, ids,
		    n, err))
		return -1;
	if (!creating && ev_add(c, r->id, now, who, "components", 0,
				json_pack("{s:o}", "components", ids_json(ids, n)), NULL, err))
		return -1;
	return 0;
}

/* component_states: each named component joins the incident and moves to
 * its state. */
static int apply_component_states(cb_conn *c, const cb_actor *actor, cb_ms now, inc_row *r,
				  json_t *states, cb_err *err)
{
	const char *name;
	json_t *st;
	json_object_foreach(states, name, st) {
		char f[160];
		snprintf(f, sizeof f, "component_states.%.100s", name);
		int64_t comp;
		cb_comp_state s;
		if (cb_q_one_by_text(c, CB_SQL_COMPONENT_BY_NAME, name, &comp, err) != 1)
			return cb_err_set(err, CB_E_INVALID, f, "no such component");
		if (cb_comp_state_parse(json_string_value(st), &s))
			return cb_err_set(err, CB_E_INVALID, f,
					  "must be one of operational, degraded_performance, "
					  "partial_outage, major_outage, under_maintenance");
		json_t *cur = cb_component_get(c, comp, err);
		if (!cur)
			return -1;
		char from[32];
		snprintf(from, sizeof from, "%s", json_string_value(json_object_get(cur, "state")));
		json_decref(cur);
		cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_COMPONENT_ADD, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, r->id);
		cb_q_bind_i64(q, 2, comp);
		if (cb_q_exec(q, err) ||
		    set_component_state(c, actor, now, r->id, comp, from, cb_comp_state_name(s), err))
			return -1;
	}
	return 0;
}

static int apply(cb_conn *c, const cb_actor *actor, cb_ms now, inc_row *r, json_t *in,
		 int creating, cb_err *err)
{
	json_t *v;
	int64_t who = actor->user_id;
	if (apply_scalars(c, now, who, r, in, creating, err) ||
	    apply_roles_cadence(c, now, who, r, in, creating, err))
		return -1;
	if ((v = json_object_get(in, "accounts")) && apply_accounts(c, now, who, r, v, creating, err))
		return -1;
	json_t *states = json_object_get(in, "component_states");
	if (states && !json_is_object(states))
		return cb_err_set(err, CB_E_INVALID, "component_states",
				  "must be an object of component name to state");
	if ((v = json_object_get(in, "components")) &&
	    apply_components(c, now, who, r, v, creating, err))
		return -1;
	if (states && apply_component_states(c, actor, now, r, states, err))
		return -1;
	if ((v = json_object_get(in, "status"))) {
		if (!json_is_string(v))
			return cb_err_set(err, CB_E_INVALID, "status", "must be a string");
		if (move_status(c, actor, now, r, json_string_value(v), err))
			return -1;
	}
	return 0;
}

int cb_incident_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		       cb_err *err)
{
	int bad = cb_json_check_keys(in, create_keys, "", err) != 0;
	bad |= shape(in, 1, err) != 0;
	if (bad)
		return cb_err_summarize(err);
	json_t *t = json_object_get(in, "title");
	if (!t)
		return cb_err_set(err, CB_E_INVALID, "title", "is required");
	if (text_field(t, "title", 1, MAX_TITLE, err))
		return -1;
	int sev = cb_inc_severity_parse(json_string_value(json_object_get(in, "severity")));
	if (sev < 0)
		return cb_err_set(err, CB_E_INVALID, "severity", "is required: one of SEV1, SEV2, SEV3, SEV4");
	cb_ms started = now;
	json_t *sa = json_object_get(in, "started_at");
	if (sa && (!json_is_string(sa) || cb_time_parse(json_string_value(sa), &started)))
		return cb_err_set(err, CB_E_INVALID, "started_at", "must be an RFC 3339 time");
	if (started > now)
		return cb_err_set(err, CB_E_INVALID, "started_at", "must not be in the future");
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, json_string_value(t));
	cb_q_bind_text(q, 2, "");
	cb_q_bind_i64(q, 3, sev);
	cb_q_bind_text(q, 4, "investigating");
	cb_q_bind_i64(q, 5, 0);
	for (int i = 6; i <= 9; i++)
		cb_q_bind_null(q, i);
	cb_q_bind_i64(q, 10, started);
	for (int i = 11; i <= 14; i++)
		cb_q_bind_null(q, i);
	bind_opt(q, 15, actor->user_id);
	cb_q_bind_i64(q, 16, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	int64_t id = new_id;
	inc_row r;
	int cad[5];
	if (load(c, id, &r, err))
		return -1;
	int rc = ev_add(c, id, now, actor->user_id, "created", 0,
			json_pack("{s:s, s:s}", "title", r.title, "severity", cb_inc_severity_name(sev)),
			NULL, err) ||
		 apply(c, actor, now, &r, in, 1, err) || cadence_load(c, cad, err) ||
		 reclock(c, &r, cad, err) || save(c, &r, err);
	row_free(&r);
	if (rc)
		return -1;
	*out_id = id;
	return 0;
}

int cb_incident_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		       cb_err *err)
{
	int bad = cb_json_check_keys(in, patch_keys, "", err) != 0;
	bad |= shape(in, 0, err) != 0;
	if (bad)
		return cb_err_summarize(err);
	inc_row r;
	int cad[5];
	if (load(c, id, &r, err))
		return -1;
	r.updated_at = now;
	int rc = apply(c, actor, now, &r, in, 0, err) || cadence_load(c, cad, err) ||
		 reclock(c, &r, cad, err) || save(c, &r, err);
	row_free(&r);
	return rc ? -1 : 0;
}

/* ---- tickets and updates ---- */

json_t *cb_incident_link_tickets(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				 json_t *in, cb_err *err)
{
	static const char *const keys[] = {"tickets", NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return NULL;
	json_t *list = json_object_get(in, "tickets");
	if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > MAX_LINK) {
		cb_err_set(err, CB_E_INVALID, "tickets", "must be a list of 1 to %d ticket ids", MAX_LINK);
		return NULL;
	}
	inc_row r;
	if (load(c, id, &r, err))
		return NULL;
	row_free(&r);
	json_t *linked = json_array(), *already = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		char f[32];
		snprintf(f, sizeof f, "tickets[%zu]", i);
		int64_t tid = json_is_integer(v) ? json_integer_value(v) : 0;
		int rc = tid > 0 ? cb_q_one_by_id(c, CB_SQL_INCIDENT_TICKET_STATUS, tid, NULL, err) : 0;
		if (rc == 0)
			cb_err_set(err, CB_E_INVALID, f, "no such ticket");
		if (rc != 1)
			goto fail;
		cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_TICKET_ADD, err);
		if (!q)
			goto fail;
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, tid);
		cb_q_bind_i64(q, 3, now);
		bind_opt(q, 4, actor->user_id);
		if (cb_q_exec(q, err))
			goto fail;
		if (cb_conn_changes(c) == 0) {
			json_array_append_new(already, json_integer(tid));
			continue;
		}
		if (cb_pipeline_append(c, tid, CB_EV_INCIDENT, now, actor->user_id,
				     json_pack("{s:s, s:I}", "action", "linked", "incident", (json_int_t)id),
				     err))
			goto fail;
		json_array_append_new(linked, json_integer(tid));
	}
	if (json_array_size(linked) &&
	    ev_add(c, id, now, actor->user_id, "linked", 0, json_pack("{s:O}", "tickets", linked), NULL,
		   err))
		goto fail;
	json_t *all = id_list(c, CB_SQL_INCIDENT_TICKETS, id, err);
	if (!all)
		goto fail;
	return json_pack("{s:o, s:o, s:o}", "linked", linked, "already_linked", already, "tickets", all);
fail:
	json_decref(linked);
	json_decref(already);
	return NULL;
}

json_t *cb_incident_unlink_ticket(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				  int64_t ticket, cb_err *err)
{
	inc_row r;
	if (load(c, id, &r, err))
		return NULL;
	row_free(&r);
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_TICKET_REMOVE, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, ticket);
	if (cb_q_exec(q, err))
		return NULL;
	if (cb_conn_changes(c) == 0) {
		cb_err_set(err, CB_E_NOTFOUND, NULL, "ticket %lld is not linked to incident %lld",
			   (long long)ticket, (long long)id);
		return NULL;
	}
	if (cb_pipeline_append(c, ticket, CB_EV_INCIDENT, now, actor->user_id,
			     json_pack("{s:s, s:I}", "action", "unlinked", "incident", (json_int_t)id),
			     err) ||
	    ev_add(c, id, now, actor->user_id, "unlinked", 0,
		   json_pack("{s:[I]}", "tickets", (json_int_t)ticket), NULL, err))
		return NULL;
	json_t *all = id_list(c, CB_SQL_INCIDENT_TICKETS, id, err);
	if (!all)
		return NULL;
	return json_pack("{s:I, s:o}", "unlinked", (json_int_t)ticket, "tickets", all);
}

static json_t *render_event(cb_conn *c, cb_q *q)
{
	json_t *data = json_loads(cb_q_text(q, 5), 0, NULL);
	return json_pack("{s:I, s:o, s:s, s:b, s:o, s:o}", "id", (json_int_t)cb_q_i64(q, 0), "at",
			 cb_incident_time_json(cb_q_i64(q, 1)), "kind", cb_q_text(q, 3), "public",
			 (int)cb_q_i64(q, 4), "actor", cb_dir_user_ref(c, opt_ms(q, 2)), "data",
			 data ? data : json_object());
}

int cb_incident_timeline(cb_conn *c, int64_t id, int limit, int64_t after, json_t **items,
			 int64_t *next, cb_err *err)
{
	*items = NULL;
	*next = 0;
	if (cb_incident_exists(c, id, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_EVENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, after);
	cb_q_bind_i64(q, 3, limit + 1);
	json_t *arr = json_array();
	int rc, n = 0;
	int64_t last = 0;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (n++ == limit) {
			*next = last;
			cb_q_reset(q);
			break;
		}
		last = cb_q_i64(q, 0);
		json_array_append_new(arr, render_event(c, q));
	}
	if (rc < 0) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

/* The keys and fields of a posted incident update. */
static int post_update_check(json_t *in, json_t **body, int *pub, json_t **st, cb_err *err)
{
	static const char *const keys[] = {"body", "public", "status", NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	*body = json_object_get(in, "body");
	if (!*body)
		return cb_err_set(err, CB_E_INVALID, "body", "is required");
	if (text_field(*body, "body", 1, MAX_UPDATE, err))
		return -1;
	json_t *pv = json_object_get(in, "public");
	if (pv && !json_is_boolean(pv))
		return cb_err_set(err, CB_E_INVALID, "public", "must be a boolean");
	*pub = json_is_true(pv);
	*st = json_object_get(in, "status");
	if (*st && !json_is_string(*st))
		return cb_err_set(err, CB_E_INVALID, "status", "must be a string");
	return 0;
}

/* A public update as a public comment on each linked ticket that is not
 * closed (a closed one would fork a follow-up: its id joins skipped). */
static int notify_tickets(cb_conn *c, const cb_actor *actor, cb_ms now, const inc_row *r,
			  int64_t id, json_t *body, json_t *skipped, int *notified, cb_err *err)
{
	json_t *all = id_list(c, CB_SQL_INCIDENT_TICKETS, id, err);
	if (!all)
		return -1;
	size_t n = json_array_size(all), i;
	int64_t *tids = cb_xmalloc((n ? n : 1) * sizeof *tids);
	for (i = 0; i < n; i++)
		tids[i] = json_integer_value(json_array_get(all, i));
	json_decref(all);
	/* the title of a non-public incident is internal: customers get
	 * the update without it */
	cb_buf text = {0};
	if (r->pub)
		cb_buf_printf(&text, "Incident update: %s [%s]\n\n%s", r->title,
			      cb_inc_status_name(r->status), json_string_value(body));
	else
		cb_buf_printf(&text, "Incident update [%s]\n\n%s", cb_inc_status_name(r->status),
			      json_string_value(body));
	json_t *cin = json_pack("{s:s%, s:b}", "body", text.p, text.len, "public", 1);
	cb_buf_free(&text);
	int rc = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		int64_t status_ok = 0;
		cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_TICKET_STATUS, err);
		if (!q) {
			rc = -1;
			break;
		}
		cb_q_bind_i64(q, 1, tids[i]);
		int r1 = cb_q_step(q, err);
		if (r1 == 1) {
			status_ok = strcmp(cb_q_text(q, 0), "closed") != 0;
			cb_q_reset(q);
		}
		if (r1 < 0) {
			rc = -1;
			break;
		}
		if (!status_ok) { /* a closed ticket would fork a follow-up */
			json_array_append_new(skipped, json_integer(tids[i]));
			continue;
		}
		int64_t ev, tk;
		if (cb_ticketsvc_comment(c, actor, now, tids[i], cin, &ev, &tk, err)) {
			rc = -1;
			break;
		}
		(*notified)++;
	}
	json_decref(cin);
	cb_free(tids);
	return rc;
}

json_t *cb_incident_post_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				json_t *in, cb_err *err)
{
	json_t *body = NULL, *st = NULL;
	int pub = 0;
	if (post_update_check(in, &body, &pub, &st, err))
		return NULL;
	inc_row r;
	int cad[5];
	json_t *out = NULL, *skipped = json_array();
	if (load(c, id, &r, err))
		goto done;
	r.updated_at = now;
	if (st && move_status(c, actor, now, &r, json_string_value(st), err))
		goto done;
	int notified = 0;
	if (pub) {
		r.last_pub = now;
		if (notify_tickets(c, actor, now, &r, id, body, skipped, &notified, err))
			goto done;
	}
	int64_t eid;
	if (ev_add(c, id, now, actor->user_id, "update", pub,
		   json_pack("{s:O, s:s, s:i}", "body", body, "status", cb_inc_status_name(r.status),
			     "tickets_notified", notified),
		   &eid, err) ||
	    cadence_load(c, cad, err) || reclock(c, &r, cad, err) || save(c, &r, err))
		goto done;
	out = json_pack("{s:I, s:o, s:s, s:b, s:O, s:s, s:i, s:O, s:o, s:o}", "id", (json_int_t)eid,
			"at", cb_incident_time_json(now), "kind", "update", "public", pub, "body", body,
			"status", cb_inc_status_name(r.status), "tickets_notified", notified,
			"tickets_skipped", skipped, "next_update_due", cb_incident_time_json(r.next_due),
			"actor", cb_dir_user_ref(c, actor->user_id));
done:
	json_decref(skipped);
	row_free(&r);
	return out;
}

/* ---- settings ---- */

json_t *cb_incident_settings_get(cb_conn *c, cb_err *err)
{
	int cad[5];
	if (cadence_load(c, cad, err))
		return NULL;
	json_t *m = json_object();
	for (int s = 1; s <= 4; s++)
		json_object_set_new(m, cb_inc_severity_name(s), cad[s] > 0 ? json_integer(cad[s]) : json_null());
	return json_pack("{s:o}", "update_cadence_min", m);
}

int cb_incident_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, cb_err *err)
{
	static const char *const keys[] = {"update_cadence_min", NULL};
	static const char *const sev_keys[] = {"SEV1", "SEV2", "SEV3", "SEV4", NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *m = json_object_get(in, "update_cadence_min");
	if (!json_is_object(m))
		return cb_err_set(err, CB_E_INVALID, "update_cadence_min",
				  "is required: an object of severity to minutes or null");
	if (cb_json_check_keys(m, sev_keys, "update_cadence_min.", err))
		return -1;
	int cad[5];
	if (cadence_load(c, cad, err))
		return -1;
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (!json_is_null(v) && (n < 1 || n > MAX_CADENCE)) {
			char f[48];
			snprintf(f, sizeof f, "update_cadence_min.%s", k);
			return cb_err_set(err, CB_E_INVALID, f, "must be minutes from 1 to %d, or null (none)",
					  MAX_CADENCE);
		}
		cad[cb_inc_severity_parse(k)] = json_is_null(v) ? 0 : (int)n;
	}
	json_t *cur = json_object();
	for (int s = 1; s <= 4; s++)
		json_object_set_new(cur, cb_inc_severity_name(s), cad[s] > 0 ? json_integer(cad[s]) : json_null());
	char *s = json_dumps(cur, JSON_COMPACT);
	json_decref(cur);
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_SETTING_PUT, err);
	int rc = -1;
	if (q) {
		cb_q_bind_text(q, 1, SETTING_CADENCE);
		cb_q_bind_text(q, 2, s);
		rc = cb_q_exec(q, err) || cb_audit(c, actor, now, "incident.settings", SETTING_CADENCE, s, err);
	}
	free(s); /* jansson's allocation */
	if (rc)
		return -1;
	/* active incidents on the severity default get their clock moved */
	q = cb_q_get(c, CB_SQL_INCIDENT_ACTIVE_DEFAULT_CADENCE, err);
	if (!q)
		return -1;
	json_t *ids = json_array();
	while ((rc = cb_q_step(q, err)) == 1)
		json_array_append_new(ids, json_integer(cb_q_i64(q, 0)));
	size_t i;
	json_array_foreach(ids, i, v) {
		inc_row r;
		if (rc < 0 || load(c, json_integer_value(v), &r, err)) {
			rc = -1;
			break;
		}
		rc = reclock(c, &r, cad, err) || save(c, &r, err) ? -1 : 0;
		row_free(&r);
	}
	json_decref(ids);
	return rc < 0 ? -1 : 0;
}

int cb_incident_fire_overdue(cb_conn *c, int64_t id, cb_ms due, cb_err *err)
{
	inc_row r;
	if (load(c, id, &r, err))
		return err->code == CB_E_NOTFOUND ? (cb_err_clear(err), 0) : -1;
	int rc = 0;
	if (r.status != CB_INC_RESOLVED && r.next_due == due && r.fired_due != due) {
		int cad[5];
		rc = cadence_load(c, cad, err) ||
		     ev_add(c, id, due, 0, "overdue", 0,
			    json_pack("{s:o, s:i, s:o}", "due_at", cb_incident_time_json(due),
				      "update_cadence_min", effective_cadence(&r, cad), "last_public_update_at",
				      cb_incident_time_json(r.last_pub)),
			    NULL, err);
		r.fired_due = due;
		rc = rc || save(c, &r, err) ? -1 : 0;
	}
	row_free(&r);
	return rc;
}

/* ---- components ---- */

static json_t *render_component(cb_conn *c, cb_q *q)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:s, s:o, s:o}", "id", (json_int_t)cb_q_i64(q, 0),
			 "name", cb_q_text(q, 1), "description", cb_q_text(q, 2), "position",
			 (json_int_t)cb_q_i64(q, 3), "state", cb_q_text(q, 4), "created_at",
			 cb_incident_time_json(cb_q_i64(q, 5)), "updated_at",
			 cb_incident_time_json(cb_q_i64(q, 6)));
}

json_t *cb_component_get(cb_conn *c, int64_t id, cb_err *err)
{
	return cb_app_row(c, CB_SQL_COMPONENT_COLS_GET, id, render_component, "component", err);
}

json_t *cb_component_list(cb_conn *c, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_COMPONENT_LIST, err);
	return q ? cb_app_rows(c, q, render_component, err) : NULL;
}

static const char *const comp_keys[] = {"name", "description", "position", "state", NULL};

/* Merges in into cur (a rendered component), validating. */
static int comp_merge(json_t *cur, json_t *in, int creating, cb_err *err)
{
	int bad = cb_json_check_keys(in, comp_keys, "", err) != 0;
	json_t *v;
	if ((v = json_object_get(in, "name")))
		bad |= text_field(v, "name", 1, 100, err) != 0;
	else if (creating)
		bad = cb_err_set(err, CB_E_INVALID, "name", "is required");
	if ((v = json_object_get(in, "description")))
		bad |= text_field(v, "description", 0, 2000, err) != 0;
	if ((v = json_object_get(in, "position")) &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000))
		bad = cb_err_set(err, CB_E_INVALID, "position", "must be an integer from 0 to 1000000");
	cb_comp_state s;
	if ((v = json_object_get(in, "state")) && cb_comp_state_parse(json_string_value(v), &s))
		bad = cb_err_set(err, CB_E_INVALID, "state",
				 "must be one of operational, degraded_performance, partial_outage, "
				 "major_outage, under_maintenance");
	if (bad)
		return cb_err_summarize(err);
	json_object_update_existing(cur, in);
	return 0;
}

static int comp_audit(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action, int64_t id,
		      json_t *in, cb_err *err)
{
	char target[48];
	snprintf(target, sizeof target, "component:%lld", (long long)id);
	char *s = json_dumps(in, JSON_COMPACT);
	int rc = cb_audit(c, actor, now, action, target, s ? s : "{}", err);
	free(s); /* jansson's allocation */
	return rc;
}

int cb_component_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
			cb_err *err)
{
	json_t *cur = json_pack("{s:s, s:s, s:i, s:s}", "name", "", "description", "", "position", 0,
				"state", "operational");
	int rc = comp_merge(cur, in, 1, err);
	cb_q *q = rc ? NULL : cb_q_get(c, CB_SQL_COMPONENT_INSERT, err);
	if (q) {
		cb_q_bind_text(q, 1, json_string_value(json_object_get(cur, "name")));
		cb_q_bind_text(q, 2, json_string_value(json_object_get(cur, "description")));
		cb_q_bind_i64(q, 3, json_integer_value(json_object_get(cur, "position")));
		cb_q_bind_text(q, 4, json_string_value(json_object_get(cur, "state")));
		cb_q_bind_i64(q, 5, now);
		int64_t new_id = 0;
		rc = cb_q_exec_id(q, &new_id, err);
		if (rc && err->code == CB_E_CONFLICT) {
			cb_err_clear(err);
			cb_err_set(err, CB_E_CONFLICT, "name", "a component with this name exists");
		}
		if (!rc) {
			*out_id = new_id;
			rc = comp_audit(c, actor, now, "component.create", *out_id, cur, err);
		}
	} else {
		rc = -1;
	}
	json_decref(cur);
	return rc;
}

int cb_component_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			cb_err *err)
{
	json_t *cur = cb_component_get(c, id, err);
	if (!cur)
		return -1;
	int rc = comp_merge(cur, in, 0, err);
	cb_q *q = rc ? NULL : cb_q_get(c, CB_SQL_COMPONENT_UPDATE, err);
	if (q) {
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_text(q, 2, json_string_value(json_object_get(cur, "name")));
		cb_q_bind_text(q, 3, json_string_value(json_object_get(cur, "description")));
		cb_q_bind_i64(q, 4, json_integer_value(json_object_get(cur, "position")));
		cb_q_bind_text(q, 5, json_string_value(json_object_get(cur, "state")));
		cb_q_bind_i64(q, 6, now);
		rc = cb_q_exec(q, err);
		if (rc && err->code == CB_E_CONFLICT) {
			cb_err_clear(err);
			cb_err_set(err, CB_E_CONFLICT, "name", "a component with this name exists");
		}
		rc = rc || comp_audit(c, actor, now, "component.update", id, in, err) ? -1 : 0;
	} else {
		rc = -1;
	}
	json_decref(cur);
	return rc;
}
