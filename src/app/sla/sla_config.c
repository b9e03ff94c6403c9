/* sla_config.c - business calendars and SLA policies (see sla_config.h).
 *
 * DESIGN
 * Calendars: the body is validated as a whole by core/calendar.c (zones
 * through cb_tz_load) and stored normalized (cb_cal_to_json), so what the
 * SLA engine later rebuilds from the row (app/sla/calendar_cache.c) is exactly
 * what was accepted. A PATCH merges the given keys into the stored calendar
 * and validates the result the same way. updated_at strictly increases on
 * every write because compiled calendars are cached by (id, updated_at).
 *
 * Policies: the body is checked without the database first (shapes, enum
 * values, targets); group and calendar references are resolved inside the
 * write transaction and stored as ids, in the JSON shapes that
 * cb_slasvc_cfgset_load (app/sla/sla.c) reads. Uniqueness of name and position is
 * checked before writing so the 409 names its field.
 *
 * Re-fold: configuration writes only enqueue the `sla.refold` job
 * (app/jobs.c) and answer; cb_slacfg_refold_batch() is that job's unit of
 * work, one configuration load per batch of tickets. */
#include "app/sla/sla_config.h"
#include "app/ticket/pipeline.h"
#include "store/sql.h"
#include "app/directory/auth.h"
#include "jobs/jobs.h"
#include "app/sla/sla.h"
#include "core/calendar.h"
#include "core/ticket.h"
#include "util/alloc.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 200

/* ---- helpers ---- */

static json_t *jtime(cb_ms t)
{
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}

static json_t *jstr(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

static json_t *jload(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	return v ? v : json_null();
}

/* Appends the audit row for kind:id; consumes data. */
static int audit(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action,
		 const char *kind, int64_t id, json_t *data, cb_err *err)
{
	char target[64];
	snprintf(target, sizeof target, "%s:%lld", kind, (long long)id);
	char *d = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	int rc = cb_audit(c, actor, now, action, target, d ? d : "{}", err);
	free(d); /* jansson's allocation */
	if (rc == 0) {
		cb_q *q = cb_q_get(c, CB_SQL_SLA_CONFIG_BUMP, err);
		rc = q ? cb_q_exec(q, err) : -1;
	}
	return rc;
}

/* Characters of a (valid UTF-8) string. */
static long chars(const char *s)
{
	long n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

static int has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* ---- calendars ---- */

int cb_slacfg_calendar_check(json_t *body, json_t **out_doc, cb_err *err)
{
	*out_doc = NULL;
	cb_cal *cal = NULL;
	int rc = cb_cal_from_json(&cal, body, cb_tz_load, NULL, err);
	const char *name = json_string_value(json_object_get(body, "name"));
	if (name && *name) {
		size_t n = strlen(name);
		if (has_control(name) || is_space(name[0]) || is_space(name[n - 1])) {
			cb_err_add(err, CB_E_INVALID, "name",
				   "must not contain control characters or surrounding spaces");
			rc = -1;
		}
	}
	if (rc) {
		cb_cal_free(cal);
		return cb_err_summarize(err);
	}
	*out_doc = cb_cal_to_json(cal);
	cb_cal_free(cal);
	return 0;
}

static int cal_name_free(cb_conn *c, const char *name, int64_t self, cb_err *err)
{
	int64_t other = 0;
	int r = cb_q_one_by_text(c, CB_SQL_CAL_BY_NAME, name, &other, err);
	if (r < 0)
		return -1;
	if (r == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "name",
				  "a calendar named '%.120s' already exists", name);
	return 0;
}

/* Writes the normalized doc as calendar id (0: a new row, *io_id set). */
static int cal_store(cb_conn *c, cb_ms now, json_t *doc, int64_t *io_id, cb_err *err)
{
	char *hours = json_dumps(json_object_get(doc, "hours"), JSON_COMPACT);
	char *hol = json_dumps(json_object_get(doc, "holidays"), JSON_COMPACT);
	const char *name = json_string_value(json_object_get(doc, "name"));
	const char *zone = json_string_value(json_object_get(doc, "timezone"));
	int rc = -1;
	cb_q *q = cb_q_get(c, *io_id ? CB_SQL_CAL_UPDATE : CB_SQL_CAL_INSERT, err);
	if (!q)
		goto out;
	if (*io_id) {
		cb_q_bind_i64(q, 1, *io_id);
		cb_q_bind_text(q, 2, name);
		cb_q_bind_text(q, 3, zone);
		cb_q_bind_text(q, 4, hours);
		cb_q_bind_text(q, 5, hol ? hol : "[]");
		cb_q_bind_i64(q, 6, now);
	} else {
		cb_q_bind_text(q, 1, name);
		cb_q_bind_text(q, 2, zone);
		cb_q_bind_text(q, 3, hours);
		cb_q_bind_text(q, 4, hol ? hol : "[]");
		cb_q_bind_i64(q, 5, now);
	}
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		goto out;
	if (!*io_id)
		*io_id = new_id;
	rc = 0;
out:
	free(hours); /* jansson's allocations */
	free(hol);
	return rc;
}

int cb_slacfg_calendar_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *doc,
			      int64_t *out_id, cb_err *err)
{
	const char *name = json_string_value(json_object_get(doc, "name"));
	if (!name)
		return cb_err_set(err, CB_E_INVALID, "name", "name is required");
	if (cal_name_free(c, name, 0, err))
		return -1;
	int64_t id = 0;
	if (cal_store(c, now, doc, &id, err))
		return -1;
	if (audit(c, actor, now, "calendar.create", "calendar", id,
		  json_pack("{s:s, s:O}", "name", name, "timezone", json_object_get(doc, "timezone")),
		  err))
		return -1;
	*out_id = id;
	return 0;
}

/* The stored calendar as the API body shape (new reference). */
static int cal_load(cb_conn *c, int64_t id, json_t **out, cb_err *err)
{
	*out = NULL;
	cb_q *q = cb_q_get(c, CB_SQL_CAL_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such calendar: %lld", (long long)id);
	*out = json_pack("{s:o, s:o, s:o, s:o}", "name", jstr(cb_q_text(q, 1)), "timezone",
			 jstr(cb_q_text(q, 2)), "hours", jload(cb_q_text(q, 3)), "holidays",
			 jload(cb_q_text(q, 4)));
	cb_q_reset(q);
	return 0;
}

static int cal_in_use(cb_conn *c, int64_t id, cb_err *err)
{
	int64_t one = 0;
	return cb_q_one_by_id(c, CB_SQL_CAL_IN_USE, id, &one, err);
}

static int builtin_readonly(cb_err *err)
{
	return cb_err_set(err, CB_E_CONFLICT, NULL, "the built-in %s calendar cannot be changed",
			  CB_CAL_24X7);
}

int cb_slacfg_calendar_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
			      json_t *body, cb_err *err)
{
	if (id == 0)
		return builtin_readonly(err);
	json_t *doc = NULL, *norm = NULL;
	int rc = -1;
	if (cal_load(c, id, &doc, err))
		return -1;
	json_t *before = json_deep_copy(doc);
	json_object_update(doc, body);
	if (cb_slacfg_calendar_check(doc, &norm, err))
		goto out;
	const char *name = json_string_value(json_object_get(norm, "name"));
	if (cal_name_free(c, name, id, err) || cal_store(c, now, norm, &id, err))
		goto out;
	json_t *fields = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
		json_array_append_new(fields, json_string(key));
	if (audit(c, actor, now, "calendar.update", "calendar", id,
		  json_pack("{s:o}", "fields", fields), err))
		goto out;
	if (!json_equal(before, norm)) {
		int used = cal_in_use(c, id, err);
		if (used < 0 || (used == 1 && cb_jobs_enqueue_refold(c, now, err)))
			goto out;
	}
	rc = 0;
out:
	json_decref(before);
	json_decref(doc);
	json_decref(norm);
	return rc;
}

int cb_slacfg_holidays_from_ics(const char *ics, cb_ms now, int64_t **out, size_t *n,
				cb_err *err)
{
	int64_t y;
	unsigned m, d;
	int64_t day = now / 86400000;
	if (now < 0 && now % 86400000)
		day--;
	cb_civil_from_days(day, &y, &m, &d);
	return cb_tz_holidays_from_ics(out, n, ics, (int)y - 1, (int)y + 5, err);
}

int cb_slacfg_calendar_add_holidays(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				    const int64_t *days, size_t n, int *out_added, cb_err *err)
{
	*out_added = 0;
	if (id == 0)
		return builtin_readonly(err);
	json_t *doc = NULL, *norm = NULL;
	cb_cal *cal = NULL;
	int rc = -1;
	if (cal_load(c, id, &doc, err))
		return -1;
	if (cb_cal_from_json(&cal, doc, cb_tz_load, NULL, err)) {
		/* the stored calendar no longer validates (e.g. a zone removed
		 * from the system database) */
		cb_err_clear(err);
		cb_err_set(err, CB_E_INTERNAL, NULL, "stored calendar %lld is invalid", (long long)id);
		goto out;
	}
	size_t before = json_array_size(json_object_get(doc, "holidays"));
	if (cb_cal_add_holidays(cal, days, n, err))
		goto out;
	norm = cb_cal_to_json(cal);
	size_t after = json_array_size(json_object_get(norm, "holidays"));
	*out_added = after > before ? (int)(after - before) : 0;
	if (*out_added == 0) {
		rc = 0;
		goto out;
	}
	if (cal_store(c, now, norm, &id, err))
		goto out;
	if (audit(c, actor, now, "calendar.holidays", "calendar", id,
		  json_pack("{s:i}", "added", *out_added), err))
		goto out;
	int used = cal_in_use(c, id, err);
	if (used < 0 || (used == 1 && cb_jobs_enqueue_refold(c, now, err)))
		goto out;
	rc = 0;
out:
	cb_cal_free(cal);
	json_decref(doc);
	json_decref(norm);
	return rc;
}

static json_t *builtin_json(void)
{
	cb_cal *cal = NULL;
	cb_cal_24x7(&cal);
	json_t *o = cb_cal_to_json(cal);
	cb_cal_free(cal);
	json_t *r = json_object();
	json_object_set_new(r, "id", json_integer(0));
	json_object_update(r, o);
	json_decref(o);
	json_object_set_new(r, "builtin", json_true());
	json_object_set_new(r, "created_at", json_null());
	json_object_set_new(r, "updated_at", json_null());
	return r;
}

/* A calendar from a row of CB_SQL_CAL_COLS. */
static json_t *cal_row_json(cb_q *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "name", jstr(cb_q_text(q, 1)));
	json_object_set_new(o, "timezone", jstr(cb_q_text(q, 2)));
	json_object_set_new(o, "hours", jload(cb_q_text(q, 3)));
	json_object_set_new(o, "holidays", jload(cb_q_text(q, 4)));
	json_object_set_new(o, "builtin", json_false());
	json_object_set_new(o, "created_at", jtime(cb_q_i64(q, 5)));
	json_object_set_new(o, "updated_at", jtime(cb_q_i64(q, 6)));
	return o;
}

int cb_slacfg_calendar_get(cb_conn *c, int64_t id, json_t **out, cb_err *err)
{
	*out = NULL;
	if (id == 0) {
		*out = builtin_json();
		return 0;
	}
	cb_q *q = cb_q_get(c, CB_SQL_CAL_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such calendar: %lld", (long long)id);
	*out = cal_row_json(q);
	cb_q_reset(q);
	return 0;
}

int cb_slacfg_calendar_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
			    int64_t *out_next, cb_err *err)
{
	/* cursors are id + 1 so that the built-in (id 0) can end a page */
	int64_t after = page->after - 1;
	int limit = page->limit > 0 ? page->limit : 50;
	json_t *items = json_array();
	int64_t last = -1;
	*out_next = 0;
	*out_items = NULL;
	if (after < 0) {
		json_array_append_new(items, builtin_json());
		last = 0;
	}
	int want = limit - (int)json_array_size(items);
	cb_q *q = cb_q_get(c, CB_SQL_CAL_LIST, err);
	if (!q) {
		json_decref(items);
		return -1;
	}
	cb_q_bind_i64(q, 1, after < 0 ? 0 : after);
	cb_q_bind_i64(q, 2, want + 1);
	int r, n = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n == want) {
			*out_next = last + 1;
			cb_q_reset(q);
			r = 0;
			break;
		}
		json_array_append_new(items, cal_row_json(q));
		last = cb_q_i64(q, 0);
		n++;
	}
	if (r < 0) {
		json_decref(items);
		return -1;
	}
	*out_items = items;
	return 0;
}

int cb_slacfg_resolve_calendar(cb_conn *c, json_t *ref, int64_t *out, const char *field,
			       cb_err *err)
{
	if (!field)
		field = "calendar";
	*out = 0;
	if (!ref || json_is_null(ref))
		return 0;
	if (json_is_integer(ref)) {
		json_int_t v = json_integer_value(ref);
		if (v == 0)
			return 0;
		int64_t id = 0;
		int r = v > 0 ? cb_q_one_by_id(c, CB_SQL_CAL_GET, (int64_t)v, &id, err) : 0;
		if (r < 0)
			return -1;
		if (r == 0)
			return cb_err_set(err, CB_E_INVALID, field, "no calendar with id %lld",
					  (long long)v);
		*out = id;
		return 0;
	}
	if (json_is_string(ref)) {
		const char *s = json_string_value(ref);
		if (cb_cal_is_reserved_name(s))
			return 0;
		int r = cb_q_one_by_text(c, CB_SQL_CAL_BY_NAME, s, out, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return cb_err_set(err, CB_E_INVALID, field, "no calendar with name '%.120s'", s);
		return 0;
	}
	return cb_err_set(err, CB_E_INVALID, field, "must be a calendar id or name");
}

/* ---- policies: database-free checks ---- */

static const char *const clock_keys[] = {"first_response", "next_update", "resolution"};
static const char *const cond_keys[] = {"priority", "tier", "category", "group"};
static const char *const tiers[] = {"enterprise", "business", "standard"};

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s && strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

/* Checks one value of condition `key`; adds an error on field. */
static void check_cond_value(const char *key, json_t *v, const char *field, cb_err *err)
{
	if (strcmp(key, "priority") == 0) {
		int p;
		if (!json_is_string(v) || cb_priority_parse(json_string_value(v), &p))
			cb_err_add(err, CB_E_INVALID, field, "must be P1, P2, P3 or P4");
	} else if (strcmp(key, "tier") == 0) {
		if (!json_is_string(v) || !one_of(json_string_value(v), tiers, 3))
			cb_err_add(err, CB_E_INVALID, field,
				   "must be enterprise, business or standard");
	} else if (strcmp(key, "category") == 0) {
		const char *s = json_string_value(v);
		if (!s || !*s || chars(s) > CB_SLACFG_CATEGORY_MAX || has_control(s))
			cb_err_add(err, CB_E_INVALID, field,
				   "must be a category of 1 to %d characters",
				   CB_SLACFG_CATEGORY_MAX);
	} else { /* group */
		if (!(json_is_integer(v) && json_integer_value(v) > 0) &&
		    !(json_is_string(v) && json_string_length(v) > 0))
			cb_err_add(err, CB_E_INVALID, field, "must be a group id or name");
	}
}

static void check_conditions(json_t *conds, cb_err *err)
{
	if (!json_is_object(conds)) {
		cb_err_add(err, CB_E_INVALID, "conditions",
			   "must be an object with any of priority, tier, category, group");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(conds, key, v) {
		char field[96];
		snprintf(field, sizeof field, "conditions.%.60s", key);
		if (!one_of(key, cond_keys, 4)) {
			cb_err_add(err, CB_E_INVALID, field, "unknown condition");
			continue;
		}
		if (json_is_null(v))
			continue; /* any */
		if (!json_is_array(v)) {
			check_cond_value(key, v, field, err);
			continue;
		}
		size_t n = json_array_size(v);
		if (n == 0 || n > CB_SLACFG_LIST_MAX) {
			cb_err_add(err, CB_E_INVALID, field, "must be a value or a list of 1 to %d",
				   CB_SLACFG_LIST_MAX);
			continue;
		}
		size_t i;
		json_t *one;
		json_array_foreach(v, i, one) {
			char f2[128];
			snprintf(f2, sizeof f2, "%.80s[%zu]", field, i);
			check_cond_value(key, one, f2, err);
		}
	}
}

static void check_targets(json_t *targets, cb_err *err)
{
	if (!json_is_object(targets)) {
		cb_err_add(err, CB_E_INVALID, "targets",
			   "must be an object of minutes: first_response, next_update, resolution");
		return;
	}
	const char *key;
	json_t *v;
	int n = 0, bad = 0;
	json_object_foreach(targets, key, v) {
		char field[96];
		snprintf(field, sizeof field, "targets.%.60s", key);
		if (!one_of(key, clock_keys, 3)) {
			cb_err_add(err, CB_E_INVALID, field, "unknown target");
			bad = 1;
			continue;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > CB_SLACFG_TARGET_MAX) {
			cb_err_add(err, CB_E_INVALID, field,
				   "must be a whole number of minutes from 1 to %d",
				   CB_SLACFG_TARGET_MAX);
			bad = 1;
			continue;
		}
		n++;
	}
	if (n == 0 && !bad)
		cb_err_add(err, CB_E_INVALID, "targets", "must give at least one target");
}

int cb_slacfg_policy_from_json(cb_slacfg_policy_in *out, json_t *body, int partial,
			       cb_arena *a, cb_err *err)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cb_err_set(err, CB_E_BADREQ, "", "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "name") == 0) {
			out->set |= CB_SLACFG_POL_NAME;
			const char *s = json_string_value(v);
			if (!s) {
				cb_err_add(err, CB_E_INVALID, "name", "must be a string");
				continue;
			}
			while (is_space(*s))
				s++;
			size_t n = strlen(s);
			while (n && is_space(s[n - 1]))
				n--;
			char *t = cb_arena_strndup(a, s, n);
			if (n == 0)
				cb_err_add(err, CB_E_INVALID, "name", "must not be empty");
			else if (has_control(t))
				cb_err_add(err, CB_E_INVALID, "name", "must not contain control characters");
			else if (chars(t) > NAME_MAX_CHARS)
				cb_err_add(err, CB_E_INVALID, "name", "must be at most %d characters",
					   NAME_MAX_CHARS);
			out->name = t;
		} else if (strcmp(key, "position") == 0) {
			out->set |= CB_SLACFG_POL_POSITION;
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > CB_SLACFG_POSITION_MAX)
				cb_err_add(err, CB_E_INVALID, "position",
					   "must be an integer from 0 to %d", CB_SLACFG_POSITION_MAX);
			else
				out->position = (int64_t)json_integer_value(v);
		} else if (strcmp(key, "conditions") == 0) {
			out->set |= CB_SLACFG_POL_CONDITIONS;
			if (!json_is_null(v)) {
				check_conditions(v, err);
				out->conditions = v;
			}
		} else if (strcmp(key, "calendar") == 0) {
			out->set |= CB_SLACFG_POL_CALENDAR;
			if (!json_is_null(v) && !json_is_string(v) &&
			    !(json_is_integer(v) && json_integer_value(v) >= 0))
				cb_err_add(err, CB_E_INVALID, "calendar",
					   "must be a calendar id or name (\"24x7\" for the built-in)");
			out->calendar = v;
		} else if (strcmp(key, "targets") == 0) {
			out->set |= CB_SLACFG_POL_TARGETS;
			check_targets(v, err);
			out->targets = v;
		} else {
			cb_err_add(err, CB_E_INVALID, key, "unknown field");
		}
	}
	if (!partial) {
		if (!(out->set & CB_SLACFG_POL_NAME))
			cb_err_add(err, CB_E_INVALID, "name", "is required");
		if (!(out->set & CB_SLACFG_POL_TARGETS))
			cb_err_add(err, CB_E_INVALID, "targets", "is required");
	}
	return err->code != CB_OK ? cb_err_summarize(err) : 0;
}

/* ---- policies: storage ---- */

/* The conditions as stored: null entries dropped, groups as ids. */
static int store_conditions(cb_conn *c, json_t *in, json_t **out, cb_err *err)
{
	json_t *o = json_object();
	*out = NULL;
	for (int k = 0; k < 4; k++) {
		json_t *v = in ? json_object_get(in, cond_keys[k]) : NULL;
		if (!v || json_is_null(v))
			continue;
		if (k < 3) {
			json_object_set(o, cond_keys[k], v);
			continue;
		}
		if (!json_is_array(v)) {
			int64_t id = 0;
			if (cb_dir_resolve_group(c, v, &id, "conditions.group", err))
				goto fail;
			json_object_set_new(o, "group", json_integer(id));
			continue;
		}
		json_t *ids = json_array();
		json_object_set_new(o, "group", ids);
		size_t i;
		json_t *one;
		json_array_foreach(v, i, one) {
			char field[64];
			snprintf(field, sizeof field, "conditions.group[%zu]", i);
			int64_t id = 0;
			if (cb_dir_resolve_group(c, one, &id, field, err))
				goto fail;
			json_array_append_new(ids, json_integer(id));
		}
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return -1;
}

static json_t *store_targets(json_t *in)
{
	json_t *o = json_object();
	for (int k = 0; k < 3; k++) {
		json_t *v = json_object_get(in, clock_keys[k]);
		if (json_is_integer(v))
			json_object_set_new(o, clock_keys[k], json_integer(json_integer_value(v)));
	}
	return o;
}

/* A stored policy row (strings owned by the struct). */
typedef struct {
	int64_t id;
	char *name;
	int64_t position;
	char *conditions;
	int64_t calendar_id; /* 0 = built-in */
	char *targets;
	cb_ms created_at, updated_at;
} polrow;

static void polrow_clear(polrow *r)
{
	cb_free(r->name);
	cb_free(r->conditions);
	cb_free(r->targets);
	memset(r, 0, sizeof *r);
}

static void polrow_read(cb_q *q, polrow *r)
{
	r->id = cb_q_i64(q, 0);
	r->name = cb_xstrdup(cb_q_text(q, 1));
	r->position = cb_q_i64(q, 2);
	r->conditions = cb_xstrdup(cb_q_text(q, 3));
	r->calendar_id = cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4);
	r->targets = cb_xstrdup(cb_q_text(q, 5));
	r->created_at = cb_q_i64(q, 6);
	r->updated_at = cb_q_i64(q, 7);
}

static int polrow_load(cb_conn *c, int64_t id, polrow *r, cb_err *err)
{
	memset(r, 0, sizeof *r);
	cb_q *q = cb_q_get(c, CB_SQL_POL_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such SLA policy: %lld", (long long)id);
	polrow_read(q, r);
	cb_q_reset(q);
	return 0;
}

static int pol_unique(cb_conn *c, const char *name, int64_t position, int64_t self, cb_err *err)
{
	int64_t other = 0;
	int r = cb_q_one_by_text(c, CB_SQL_POL_BY_NAME, name, &other, err);
	if (r < 0)
		return -1;
	if (r == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "name",
				  "an SLA policy named '%.120s' already exists", name);
	r = cb_q_one_by_id(c, CB_SQL_POL_BY_POSITION, position, &other, err);
	if (r < 0)
		return -1;
	if (r == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "position",
				  "position %lld is taken by SLA policy %lld", (long long)position,
				  (long long)other);
	return 0;
}

/* Inserts (r->id == 0) or updates the row; sets r->id. */
static int pol_write(cb_conn *c, cb_ms now, polrow *r, cb_err *err)
{
	cb_q *q = cb_q_get(c, r->id ? CB_SQL_POL_UPDATE : CB_SQL_POL_INSERT, err);
	if (!q)
		return -1;
	int i = 1;
	if (r->id)
		cb_q_bind_i64(q, i++, r->id);
	cb_q_bind_text(q, i++, r->name);
	cb_q_bind_i64(q, i++, r->position);
	cb_q_bind_text(q, i++, r->conditions);
	if (r->calendar_id)
		cb_q_bind_i64(q, i++, r->calendar_id);
	else
		cb_q_bind_null(q, i++);
	cb_q_bind_text(q, i++, r->targets);
	cb_q_bind_i64(q, i++, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	if (!r->id)
		r->id = new_id;
	return 0;
}

static char *dup_dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	char *r = cb_xstrdup(s ? s : "{}");
	free(s); /* jansson's allocation */
	return r;
}

/* Applies the fields of in->set onto r (resolving references). */
static int pol_apply(cb_conn *c, const cb_slacfg_policy_in *in, polrow *r, cb_err *err)
{
	if (in->set & CB_SLACFG_POL_NAME) {
		cb_free(r->name);
		r->name = cb_xstrdup(in->name);
	}
	if (in->set & CB_SLACFG_POL_POSITION)
		r->position = in->position;
	if (in->set & CB_SLACFG_POL_CONDITIONS) {
		json_t *conds = NULL;
		if (store_conditions(c, in->conditions, &conds, err))
			return -1;
		cb_free(r->conditions);
		r->conditions = dup_dump(conds);
		json_decref(conds);
	}
	if (in->set & CB_SLACFG_POL_CALENDAR) {
		if (cb_slacfg_resolve_calendar(c, in->calendar, &r->calendar_id, "calendar", err))
			return -1;
	}
	if (in->set & CB_SLACFG_POL_TARGETS) {
		json_t *t = store_targets(in->targets);
		cb_free(r->targets);
		r->targets = dup_dump(t);
		json_decref(t);
	}
	return 0;
}

int cb_slacfg_policy_create(cb_conn *c, const cb_actor *actor, cb_ms now,
			    const cb_slacfg_policy_in *in, int64_t *out_id, cb_err *err)
{
	if (!in->name || !in->targets)
		return cb_err_set(err, CB_E_INVALID, in->name ? "targets" : "name", "is required");
	polrow r = {.conditions = cb_xstrdup("{}"), .targets = cb_xstrdup("{}")};
	int rc = -1;
	if (!(in->set & CB_SLACFG_POL_POSITION)) {
		cb_q *q = cb_q_get(c, CB_SQL_POL_NEXT_POSITION, err);
		if (!q || cb_q_step(q, err) != 1)
			goto out;
		r.position = cb_q_i64(q, 0);
		cb_q_reset(q);
	}
	if (pol_apply(c, in, &r, err) || pol_unique(c, r.name, r.position, 0, err) ||
	    pol_write(c, now, &r, err))
		goto out;
	if (audit(c, actor, now, "sla_policy.create", "sla_policy", r.id,
		  json_pack("{s:s, s:I}", "name", r.name, "position", (json_int_t)r.position), err))
		goto out;
	if (cb_jobs_enqueue_refold(c, now, err))
		goto out;
	*out_id = r.id;
	rc = 0;
out:
	polrow_clear(&r);
	return rc;
}

int cb_slacfg_policy_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
			    const cb_slacfg_policy_in *in, cb_err *err)
{
	polrow r;
	if (polrow_load(c, id, &r, err))
		return -1;
	int rc = -1;
	if (pol_apply(c, in, &r, err) || pol_unique(c, r.name, r.position, id, err) ||
	    pol_write(c, now, &r, err))
		goto out;
	static const char *const names[] = {"name", "position", "conditions", "calendar",
					    "targets"};
	json_t *fields = json_array();
	for (int i = 0; i < 5; i++)
		if (in->set & (1u << i))
			json_array_append_new(fields, json_string(names[i]));
	if (audit(c, actor, now, "sla_policy.update", "sla_policy", id,
		  json_pack("{s:o}", "fields", fields), err))
		goto out;
	if (in->set && cb_jobs_enqueue_refold(c, now, err))
		goto out;
	rc = 0;
out:
	polrow_clear(&r);
	return rc;
}

static json_t *cal_ref(cb_conn *c, int64_t id)
{
	if (!id)
		return json_pack("{s:i, s:s}", "id", 0, "name", CB_CAL_24X7);
	cb_err e = {0};
	cb_q *q = cb_q_get(c, CB_SQL_CAL_NAME, &e);
	json_t *name = json_null();
	if (q) {
		cb_q_bind_i64(q, 1, id);
		if (cb_q_step(q, &e) == 1) {
			name = jstr(cb_q_text(q, 0));
			cb_q_reset(q);
		}
	}
	return json_pack("{s:I, s:o}", "id", (json_int_t)id, "name", name);
}

static json_t *pol_json(cb_conn *c, const polrow *r)
{
	json_t *conds = jload(r->conditions);
	if (!json_is_object(conds)) {
		json_decref(conds);
		conds = json_object();
	}
	json_t *g = json_object_get(conds, "group");
	if (json_is_integer(g)) {
		json_object_set_new(conds, "group", cb_dir_group_ref(c, json_integer_value(g)));
	} else if (json_is_array(g)) {
		json_t *refs = json_array();
		size_t i;
		json_t *one;
		json_array_foreach(g, i, one)
			json_array_append_new(refs, cb_dir_group_ref(c, json_integer_value(one)));
		json_object_set_new(conds, "group", refs);
	}
	json_t *targets = jload(r->targets);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "name", jstr(r->name));
	json_object_set_new(o, "position", json_integer(r->position));
	json_object_set_new(o, "conditions", conds);
	json_object_set_new(o, "calendar", cal_ref(c, r->calendar_id));
	json_object_set_new(o, "targets", json_is_object(targets) ? targets : json_object());
	if (!json_is_object(targets))
		json_decref(targets);
	json_object_set_new(o, "created_at", jtime(r->created_at));
	json_object_set_new(o, "updated_at", jtime(r->updated_at));
	return o;
}

int cb_slacfg_policy_get(cb_conn *c, int64_t id, json_t **out, cb_err *err)
{
	*out = NULL;
	polrow r;
	if (polrow_load(c, id, &r, err))
		return -1;
	*out = pol_json(c, &r);
	polrow_clear(&r);
	return 0;
}

int cb_slacfg_policy_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
			  int64_t *out_next, cb_err *err)
{
	/* cursors are position + 1 (positions start at 0) */
	int limit = page->limit > 0 ? page->limit : 50;
	*out_items = NULL;
	*out_next = 0;
	cb_q *q = cb_q_get(c, CB_SQL_POL_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, page->after - 1);
	cb_q_bind_i64(q, 2, limit + 1);
	polrow *rows = cb_xcalloc((size_t)limit, sizeof *rows);
	int n = 0, r;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n == limit) {
			*out_next = rows[n - 1].position + 1;
			cb_q_reset(q);
			r = 0;
			break;
		}
		polrow_read(q, &rows[n++]);
	}
	json_t *items = r < 0 ? NULL : json_array();
	for (int i = 0; i < n; i++) {
		if (items)
			json_array_append_new(items, pol_json(c, &rows[i]));
		polrow_clear(&rows[i]);
	}
	cb_free(rows);
	if (!items)
		return -1;
	*out_items = items;
	return 0;
}

/* ---- re-fold ---- */

int cb_slacfg_refold_batch(cb_conn *c, cb_ms now, int64_t after, int limit, int64_t *out_last,
			   int *out_n, cb_err *err)
{
	*out_last = after;
	*out_n = 0;
	cb_q *q = cb_q_get(c, CB_SQL_REFOLD_TICKETS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, after);
	cb_q_bind_i64(q, 2, limit);
	/* collect first: re-folding writes the tickets table being read */
	int64_t *ids = cb_xcalloc((size_t)(limit > 0 ? limit : 1), sizeof *ids);
	int n = 0, r;
	while ((r = cb_q_step(q, err)) == 1 && n < limit)
		ids[n++] = cb_q_i64(q, 0);
	if (r == 1)
		cb_q_reset(q);
	if (r < 0) {
		cb_free(ids);
		return -1;
	}
	cb_slasvc_cfgset *cs = NULL;
	if (n > 0 && cb_slasvc_cfgset_load(c, &cs, err)) {
		cb_free(ids);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		cb_err e = {0};
		if (cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "refold_one", err)) {
			rc = -1;
			break;
		}
		if (cb_pipeline_project(c, cs, ids[i], now, CB_PROJECT_CLOCKS, &e)) {
			cb_conn_reset_all(c);
			cb_err tmp = {0};
			cb_conn_savepoint(c, CB_SAVEPOINT_ROLLBACK, "refold_one", &tmp);
			json_t *line = json_pack("{s:s, s:s, s:I, s:i, s:s}", "event", "job_failed",
						 "kind", "sla.refold", "ticket", (json_int_t)ids[i],
						 "status", cb_err_http_status(e.code), "error",
						 e.message);
			char *txt = json_dumps(line, JSON_COMPACT);
			if (txt)
				fprintf(stderr, "%s\n", txt);
			free(txt); /* jansson's allocation */
			json_decref(line);
		}
		if (cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "refold_one", err)) {
			rc = -1;
			break;
		}
	}
	cb_slasvc_cfgset_free(cs);
	if (rc == 0) {
		*out_last = n ? ids[n - 1] : after;
		*out_n = n;
	}
	cb_free(ids);
	return rc;
}
