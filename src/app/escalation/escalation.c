/* escalation.c - escalations to resolver groups (see escalation.h).
 *
 * The row is the current state (status, package, score, the last question,
 * answer and resolution, and a history of every step); the ticket timeline
 * holds the events the KPIs fold. Both change in the same write
 * transaction, so they never disagree. */
#include "app/escalation/escalation.h"
#include "app/ticket/eventlog.h"
#include "app/ticket/pipeline.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "core/escalation.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int64_t id, ticket, group, created_by;
	cb_esc_status status;
	json_t *package, *history; /* owned */
	int score, imported;
	char *question, *answer, *resolution; /* owned, NULL = none */
	cb_ms created_at, updated_at, ack_at, decided_at, resolved_at;
} esc_row;

static void row_clear(esc_row *r)
{
	json_decref(r->package);
	json_decref(r->history);
	cb_free(r->question);
	cb_free(r->answer);
	cb_free(r->resolution);
	memset(r, 0, sizeof *r);
}

static char *opt_dup(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? NULL : cb_xstrdup(cb_q_text(q, col));
}

static cb_ms opt_ms(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? 0 : cb_q_i64(q, col);
}

static void row_read(cb_q *q, esc_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = cb_q_i64(q, 0);
	r->ticket = cb_q_i64(q, 1);
	r->group = opt_ms(q, 2);
	if (cb_esc_status_parse(cb_q_text(q, 3), &r->status))
		r->status = CB_ESC_OPEN;
	r->package = json_loads(cb_q_text(q, 4), 0, NULL);
	if (!json_is_object(r->package)) {
		json_decref(r->package);
		r->package = json_object();
	}
	r->score = (int)cb_q_i64(q, 5);
	r->question = opt_dup(q, 6);
	r->answer = opt_dup(q, 7);
	r->resolution = opt_dup(q, 8);
	r->history = json_loads(cb_q_text(q, 9), 0, NULL);
	if (!json_is_array(r->history)) {
		json_decref(r->history);
		r->history = json_array();
	}
	r->imported = (int)cb_q_i64(q, 10);
	r->created_by = opt_ms(q, 11);
	r->created_at = cb_q_i64(q, 12);
	r->updated_at = cb_q_i64(q, 13);
	r->ack_at = opt_ms(q, 14);
	r->decided_at = opt_ms(q, 15);
	r->resolved_at = opt_ms(q, 16);
}

/* 1 and *r filled, 0 none (404 set), -1 error */
static int row_load(cb_conn *c, int64_t id, esc_row *r, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ESC_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such escalation: %lld", (long long)id);
		return 0;
	}
	row_read(q, r);
	cb_q_reset(q);
	return 1;
}

static int row_save(cb_conn *c, const esc_row *r, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_ESC_UPDATE, err);
	if (!q)
		return -1;
	char *pkg = json_dumps(r->package, JSON_COMPACT | JSON_SORT_KEYS);
	char *hist = json_dumps(r->history, JSON_COMPACT);
	cb_q_bind_i64(q, 1, r->id);
	cb_q_bind_text(q, 2, cb_esc_status_name(r->status));
	cb_q_bind_text(q, 3, pkg ? pkg : "{}");
	cb_q_bind_i64(q, 4, r->score);
	cb_q_bind_text(q, 5, r->question);
	cb_q_bind_text(q, 6, r->answer);
	cb_q_bind_text(q, 7, r->resolution);
	cb_q_bind_text(q, 8, hist ? hist : "[]");
	cb_q_bind_i64(q, 9, r->updated_at);
	cb_ms t[3] = {r->ack_at, r->decided_at, r->resolved_at};
	for (int i = 0; i < 3; i++) {
		if (t[i])
			cb_q_bind_i64(q, 10 + i, t[i]);
		else
			cb_q_bind_null(q, 10 + i);
	}
	int rc = cb_q_exec(q, err);
	free(pkg);
	free(hist);
	return rc;
}

static json_t *time_or_null(cb_ms t)
{
	if (!t)
		return json_null();
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *render(cb_conn *c, const esc_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_t *tk = json_pack("{s:I}", "id", (json_int_t)r->ticket);
	cb_err e = {0};
	cb_q *q = cb_q_get(c, CB_SQL_ESC_TICKET_INFO, &e);
	if (q) {
		cb_q_bind_i64(q, 1, r->ticket);
		if (cb_q_step(q, &e) == 1) {
			json_object_set_new(tk, "subject", json_string(cb_q_text(q, 0)));
			json_object_set_new(tk, "status", json_string(cb_q_text(q, 1)));
			cb_q_reset(q);
		}
	}
	json_object_set_new(o, "ticket", tk);
	json_object_set_new(o, "group", cb_dir_group_ref(c, r->group));
	json_object_set_new(o, "status", json_string(cb_esc_status_name(r->status)));
	json_t *next = json_array();
	unsigned m = cb_esc_allowed(r->status);
	for (int i = 0; i < CB_ESC__COUNT; i++)
		if (m & (1u << i))
			json_array_append_new(next, json_string(cb_esc_status_name((cb_esc_status)i)));
	json_object_set_new(o, "allowed_transitions", next);
	json_object_set(o, "package", r->package);
	json_t *missing = NULL;
	cb_esc_score(r->package, &missing, NULL);
	json_object_set_new(o, "score", json_integer(r->score));
	json_object_set_new(o, "missing", missing);
	json_object_set_new(o, "question", text_or_null(r->question));
	json_object_set_new(o, "answer", text_or_null(r->answer));
	json_object_set_new(o, "resolution", text_or_null(r->resolution));
	json_object_set_new(o, "imported", json_boolean(r->imported));
	json_object_set_new(o, "created_by", cb_dir_user_ref(c, r->created_by));
	json_object_set_new(o, "created_at", time_or_null(r->created_at));
	json_object_set_new(o, "updated_at", time_or_null(r->updated_at));
	json_object_set_new(o, "acknowledged_at", time_or_null(r->ack_at));
	json_object_set_new(o, "decided_at", time_or_null(r->decided_at));
	json_object_set_new(o, "resolved_at", time_or_null(r->resolved_at));
	json_t *hist = json_array();
	size_t i;
	json_t *h;
	json_array_foreach(r->history, i, h) {
		json_t *x = json_deep_copy(h);
		json_t *by = json_object_get(x, "by");
		json_object_set_new(x, "by", cb_dir_user_ref(c, json_is_integer(by) ? (int64_t)json_integer_value(by) : 0));
		json_t *at = json_object_get(x, "at");
		if (json_is_integer(at))
			json_object_set_new(x, "at", time_or_null((cb_ms)json_integer_value(at)));
		json_array_append_new(hist, x);
	}
	json_object_set_new(o, "history", hist);
	return o;
}

json_t *cb_escalation_get(cb_conn *c, int64_t id, cb_err *err)
{
	esc_row r;
	if (row_load(c, id, &r, err) != 1)
		return NULL;
	json_t *o = render(c, &r);
	row_clear(&r);
	return o;
}

/* ---- group settings ---- */

static int group_min(cb_conn *c, int64_t group, int *out, cb_err *err)
{
	int64_t v = 0;
	int rc = cb_q_one_by_id(c, CB_SQL_ESC_MIN_GET, group, &v, err);
	if (rc < 0)
		return -1;
	*out = rc == 1 ? (int)v : 0;
	return 0;
}

int cb_escalation_group_take(json_t *body, int *out, cb_err *err)
{
	*out = -1;
	json_t *v = json_object_get(body, "min_escalation_score");
	if (!v)
		return 0;
	if (json_is_null(v)) {
		*out = -2;
	} else if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 5) {
		return cb_err_set(err, CB_E_INVALID, "min_escalation_score",
				  "must be an integer from 0 to 5 or null");
	} else {
		*out = (int)json_integer_value(v);
	}
	json_object_del(body, "min_escalation_score");
	return 0;
}

int cb_escalation_group_set(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t group, int min,
			    cb_err *err)
{
	if (min < 0)
		min = 0;
	cb_q *q = cb_q_get(c, CB_SQL_ESC_MIN_SET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, group);
	cb_q_bind_i64(q, 2, min);
	if (cb_q_exec(q, err))
		return -1;
	char target[40], data[64];
	snprintf(target, sizeof target, "group:%lld", (long long)group);
	snprintf(data, sizeof data, "{\"min_escalation_score\":%d}", min);
	return cb_audit(c, actor, now, "group.escalation_settings", target, data, err);
}

void cb_escalation_group_decorate(cb_conn *c, json_t *group)
{
	json_t *id = json_object_get(group, "id");
	int min = 0;
	cb_err e = {0};
	if (json_is_integer(id) && group_min(c, (int64_t)json_integer_value(id), &min, &e))
		min = 0;
	json_object_set_new(group, "min_escalation_score", json_integer(min));
}

/* ---- scoring ---- */

static const char *const request_extra[] = {"group", NULL};

/* The package of a request: its package fields without nulls. */
static json_t *package_of(json_t *in)
{
	json_t *p = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) if (strcmp(k, "group") && !json_is_null(v))
		json_object_set(p, k, v);
	return p;
}

json_t *cb_escalation_score(cb_conn *c, json_t *in, cb_err *err)
{
	if (cb_esc_package_check(in, request_extra, err))
		return NULL;
	json_t *g = json_object_get(in, "group");
	int64_t gid = 0;
	int min = 0;
	if (g && !json_is_null(g) &&
	    (cb_dir_resolve_group(c, g, &gid, "group", err) || group_min(c, gid, &min, err)))
		return NULL;
	json_t *pkg = package_of(in);
	json_t *missing = NULL, *groups = NULL;
	int score = cb_esc_score(pkg, &missing, &groups);
	json_decref(pkg);
	json_t *o = json_pack("{s:i, s:i, s:o, s:o}", "score", score, "max", CB_ESC_GROUPS, "missing",
			      missing, "groups", groups);
	if (gid) {
		json_object_set_new(o, "group", cb_dir_group_ref(c, gid));
		json_object_set_new(o, "min_score", json_integer(min));
		json_object_set_new(o, "meets_minimum", json_boolean(score >= min));
	}
	return o;
}

/* 422 naming every missing field when score < min. */
static int enforce_min(cb_conn *c, int64_t gid, int score, json_t *missing, cb_err *err)
{
	int min = 0;
	if (group_min(c, gid, &min, err))
		return -1;
	if (score >= min)
		return 0;
	char names[200] = "";
	size_t i, len = 0;
	json_t *m;
	json_array_foreach(missing, i, m) {
		int w = snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
				 json_string_value(m));
		if (w < 0 || (size_t)w >= sizeof names - len)
			break;
		len += (size_t)w;
	}
	cb_err_set(err, CB_E_INVALID, NULL,
		   "the package scores %d but the group requires at least %d; missing: %s", score, min,
		   names);
	json_array_foreach(missing, i, m)
		cb_err_add(err, CB_E_INVALID, json_string_value(m), "is required by the group's minimum score");
	return -1;
}

/* ---- lifecycle ---- */

static void history_add(esc_row *r, cb_esc_status to, cb_ms at, int64_t by, const char *key,
			const char *text)
{
	json_t *h = json_pack("{s:s, s:I, s:I}", "status", cb_esc_status_name(to), "at",
			      (json_int_t)at, "by", (json_int_t)by);
	if (key && text)
		json_object_set_new(h, key, json_string(text));
	json_array_append_new(r->history, h);
}

static int audit_step(cb_conn *c, const cb_actor *actor, cb_ms now, const esc_row *r,
		      const char *from, cb_err *err)
{
	char action[64];
	snprintf(action, sizeof action, "escalation.%s", from ? cb_esc_status_name(r->status) : "create");
	json_t *d = json_pack("{s:I, s:s, s:i}", "ticket", (json_int_t)r->ticket, "to",
			      cb_esc_status_name(r->status), "score", r->score);
	if (from)
		json_object_set_new(d, "from", json_string(from));
	return cb_audit_json(c, actor, now, action, "escalation", r->id, d, err);
}

int cb_escalation_create(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket,
			 json_t *in, int64_t *out_id, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, ticket, &t, err))
		return -1;
	cb_status st = t.status;
	cb_ticket_clear(&t);
	if (st == CB_ST_CLOSED)
		return cb_err_set(err, CB_E_CONFLICT, NULL, "ticket %lld is closed", (long long)ticket);
	if (cb_esc_package_check(in, request_extra, err))
		return -1;
	json_t *g = json_object_get(in, "group");
	int64_t gid = 0;
	if (!g || json_is_null(g))
		return cb_err_set(err, CB_E_INVALID, "group", "is required (the resolver group)");
	if (cb_dir_resolve_group(c, g, &gid, "group", err))
		return -1;
	esc_row r = {0};
	r.package = package_of(in);
	json_t *missing = NULL;
	r.score = cb_esc_score(r.package, &missing, NULL);
	int rc = enforce_min(c, gid, r.score, missing, err);
	json_decref(missing);
	if (rc) {
		row_clear(&r);
		return -1;
	}
	r.ticket = ticket;
	r.group = gid;
	r.status = CB_ESC_OPEN;
	r.history = json_array();
	history_add(&r, CB_ESC_OPEN, now, actor->user_id, NULL, NULL);
	rc = -1;
	cb_q *q = cb_q_get(c, CB_SQL_ESC_INSERT, err);
	if (!q)
		goto out;
	char *pkg = json_dumps(r.package, JSON_COMPACT | JSON_SORT_KEYS);
	char *hist = json_dumps(r.history, JSON_COMPACT);
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_i64(q, 2, gid);
	cb_q_bind_text(q, 3, pkg ? pkg : "{}");
	cb_q_bind_i64(q, 4, r.score);
	cb_q_bind_text(q, 5, hist ? hist : "[]");
	cb_q_bind_i64(q, 6, 0);
	if (actor->user_id)
		cb_q_bind_i64(q, 7, actor->user_id);
	else
		cb_q_bind_null(q, 7);
	cb_q_bind_i64(q, 8, now);
	int x = cb_q_exec_id(q, &r.id, err);
	free(pkg);
	free(hist);
	if (x)
		goto out;
	json_t *data = json_pack("{s:I, s:I, s:i}", "escalation", (json_int_t)r.id, "group",
				 (json_int_t)gid, "score", r.score);
	json_t *summary = json_object_get(r.package, "summary");
	if (json_is_string(summary))
		json_object_set(data, "summary", summary);
	if (cb_pipeline_append(c, ticket, CB_EV_ESCALATION, now, actor->user_id, data, err) ||
	    audit_step(c, actor, now, &r, NULL, err))
		goto out;
	*out_id = r.id;
	rc = 0;
out:
	row_clear(&r);
	return rc;
}

static int nonblank(json_t *v)
{
	const char *s = json_string_value(v);
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 1;
	return 0;
}

/* The keys of a move and the texts that go with it; *to is the move's
 * target status. */
static int update_check_input(json_t *in, cb_esc_status *to, cb_err *err)
{
	static const char *const keys[] = {"status", "question", "answer", "resolution", "package",
					   NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	const char *ts = json_string_value(json_object_get(in, "status"));
	if (!json_object_get(in, "status"))
		return cb_err_set(err, CB_E_INVALID, "status", "is required");
	if (cb_esc_status_parse(ts, to))
		return cb_err_set(err, CB_E_INVALID, "status",
				  "must be one of open, acknowledged, accepted, returned, resolved");
	/* each text goes with its move */
	static const struct {
		const char *key;
		cb_esc_status with;
	} texts[] = {{"question", CB_ESC_RETURNED},
		     {"answer", CB_ESC_OPEN},
		     {"package", CB_ESC_OPEN},
		     {"resolution", CB_ESC_RESOLVED}};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *v = json_object_get(in, texts[i].key);
		if (!v)
			continue;
		if (*to != texts[i].with)
			return cb_err_set(err, CB_E_INVALID, texts[i].key, "only goes with status %s",
					  cb_esc_status_name(texts[i].with));
		if (i == 2 ? !json_is_object(v) : (!json_is_string(v) || json_string_length(v) > 20000))
			return cb_err_set(err, CB_E_INVALID, texts[i].key,
					  i == 2 ? "must be an object of package fields"
						 : "must be a string (at most 20000 bytes)");
	}
	return 0;
}

/* Who may move an escalation to `to` (403 for anyone else). */
static int update_check_party(cb_conn *c, const cb_actor *actor, const esc_row *r,
			      cb_esc_status to, cb_err *err)
{
	cb_esc_party party = cb_esc_party_of(to);
	if (party == CB_ESC_BY_RESOLVER) {
		if (actor->role != CB_ROLE_ADMIN && actor->user_id) {
			int m = r->group ? cb_dir_group_has_member(c, r->group, actor->user_id, err) : 0;
			if (m < 0)
				return -1;
			if (!m)
				return cb_err_set(err, CB_E_FORBIDDEN, NULL,
						  "only members of the escalation's resolver group (and admins) may move it to %s",
						  cb_esc_status_name(to));
		}
	} else if (actor->role != CB_ROLE_ADMIN && actor->role != CB_ROLE_AGENT && actor->user_id) {
		return cb_err_set(err, CB_E_FORBIDDEN, NULL, "only agents and admins may move an escalation to open (answer a returned one)");
	}
	return 0;
}

/* A resubmission: the answer is required, the package may be amended
 * (its score then checked against the group's minimum). */
static int update_resubmit(cb_conn *c, esc_row *r, json_t *in, const char **hkey,
			   const char **htext, cb_err *err)
{
	json_t *a = json_object_get(in, "answer");
	if (!nonblank(a))
		return cb_err_set(err, CB_E_INVALID, "answer", "is required: the answer to the question");
	json_t *p = json_object_get(in, "package");
	if (p) {
		if (cb_esc_package_check(p, NULL, err)) {
			/* name the field inside package */
			return -1;
		}
		const char *k;
		json_t *v;
		json_object_foreach(p, k, v) {
			if (json_is_null(v))
				json_object_del(r->package, k);
			else
				json_object_set(r->package, k, v);
		}
		json_t *missing = NULL;
		r->score = cb_esc_score(r->package, &missing, NULL);
		int bad = r->group ? enforce_min(c, r->group, r->score, missing, err) : 0;
		json_decref(missing);
		if (bad)
			return -1;
	}
	cb_free(r->answer);
	r->answer = cb_xstrdup(json_string_value(a));
	*hkey = "answer";
	*htext = r->answer;
	return 0;
}

/* The move's changes to the row, the ticket event it appends (*ev, or
 * CB_EV__COUNT for none) with its data, and the text its history entry
 * keeps. */
static int update_apply(cb_conn *c, esc_row *r, cb_esc_status to, cb_ms now, json_t *in,
			cb_evtype *ev, json_t **data, const char **hkey, const char **htext,
			cb_err *err)
{
	switch (to) {
	case CB_ESC_ACKNOWLEDGED:
		*ev = CB_EV_ESCALATION_ACK;
		if (!r->ack_at)
			r->ack_at = now;
		break;
	case CB_ESC_ACCEPTED:
		*ev = CB_EV_ESCALATION_ACCEPTED;
		if (!r->decided_at)
			r->decided_at = now;
		break;
	case CB_ESC_RETURNED: {
		json_t *q = json_object_get(in, "question");
		if (!nonblank(q))
			return cb_err_set(err, CB_E_INVALID, "question",
					  "is required: what the support engineer must answer");
		*ev = CB_EV_ESCALATION_RETURNED;
		if (!r->decided_at)
			r->decided_at = now;
		cb_free(r->question);
		r->question = cb_xstrdup(json_string_value(q));
		cb_free(r->answer);
		r->answer = NULL;
		*hkey = "question";
		*htext = r->question;
		*data = json_pack("{s:s}", "question", r->question);
		break;
	}
	case CB_ESC_OPEN:
		return update_resubmit(c, r, in, hkey, htext, err);
	case CB_ESC_RESOLVED: {
		*ev = CB_EV_ESCALATION_RESOLVED;
		r->resolved_at = now;
		json_t *res = json_object_get(in, "resolution");
		if (res) {
			cb_free(r->resolution);
			r->resolution = cb_xstrdup(json_string_value(res));
			*hkey = "resolution";
			*htext = r->resolution;
			*data = json_pack("{s:s}", "resolution", r->resolution);
		}
		break;
	}
	case CB_ESC__COUNT:
		break;
	}
	return 0;
}

int cb_escalation_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			 cb_err *err)
{
	cb_esc_status to;
	if (update_check_input(in, &to, err))
		return -1;
	esc_row r;
	int rc = row_load(c, id, &r, err);
	if (rc != 1)
		return -1;
	rc = -1;
	/* who may move it there first (403), then whether the move is legal
	 * from here (409): the state machine is no business of outsiders */
	cb_esc_status from = r.status;
	if (update_check_party(c, actor, &r, to, err))
		goto out;
	if (cb_esc_decide(from, to, NULL, err))
		goto out;
	cb_evtype ev = CB_EV__COUNT;
	json_t *data = NULL;
	const char *hkey = NULL, *htext = NULL;
	if (update_apply(c, &r, to, now, in, &ev, &data, &hkey, &htext, err))
		goto out;
	r.status = to;
	r.updated_at = now;
	history_add(&r, to, now, actor->user_id, hkey, htext);
	if (row_save(c, &r, err)) {
		json_decref(data);
		goto out;
	}
	if (ev != CB_EV__COUNT) {
		if (!data)
			data = json_object();
		json_object_set_new(data, "escalation", json_integer(r.id));
		if (cb_pipeline_append(c, r.ticket, ev, now, actor->user_id, data, err))
			goto out;
	} else {
		json_decref(data);
	}
	rc = audit_step(c, actor, now, &r, cb_esc_status_name(from), err);
out:
	row_clear(&r);
	return rc;
}

static int list_rows(cb_conn *c, cb_q *q, int limit, json_t **items, int *n, cb_err *err)
{
	int rc;
	*n = 0;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (limit >= 0 && *n >= limit) {
			(*n)++;
			cb_q_reset(q);
			return 0;
		}
		esc_row r;
		row_read(q, &r);
		/* render runs its own statements: keep the row, render after */
		json_t *o = json_pack("{s:I}", "_id", (json_int_t)r.id);
		json_array_append_new(*items, o);
		row_clear(&r);
		(*n)++;
	}
	return rc < 0 ? -1 : 0;
}

/* Replaces the placeholders {"_id"} of items with rendered escalations. */
static int render_all(cb_conn *c, json_t *items, cb_err *err)
{
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o) {
		json_t *full = cb_escalation_get(c, json_integer_value(json_object_get(o, "_id")), err);
		if (!full)
			return -1;
		json_array_set_new(items, i, full);
	}
	return 0;
}

int cb_escalation_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, ticket, &t, err))
		return -1;
	cb_ticket_clear(&t);
	cb_q *q = cb_q_get(c, CB_SQL_ESC_OF_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	*items = json_array();
	int n;
	if (list_rows(c, q, -1, items, &n, err) || render_all(c, *items, err)) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	return 0;
}

int cb_escalation_queue(cb_conn *c, const char *status, const char *group, int limit,
			int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	unsigned mask = 0;
	if (!status || !*status) {
		mask = ((1u << CB_ESC__COUNT) - 1) & ~(1u << CB_ESC_RESOLVED);
	} else {
		char *dup = cb_xstrdup(status), *save = NULL;
		for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			cb_esc_status s;
			if (cb_esc_status_parse(tok, &s)) {
				cb_err_set(err, CB_E_BADREQ, "status", "unknown escalation status '%.40s'",
					   tok);
				cb_free(dup);
				return -1;
			}
			mask |= 1u << s;
		}
		cb_free(dup);
	}
	int64_t gid = 0;
	if (group) {
		json_t *ref = json_string(group);
		char *end;
		long long v = strtoll(group, &end, 10);
		if (*group && !*end && v > 0) {
			json_decref(ref);
			ref = json_integer(v);
		}
		int rc = cb_dir_resolve_group(c, ref, &gid, "group", err);
		json_decref(ref);
		if (rc) {
			err->code = CB_E_BADREQ;
			return -1;
		}
	}
	cb_q *q = cb_q_get(c, CB_SQL_ESC_QUEUE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, gid);
	cb_q_bind_i64(q, 2, mask);
	cb_q_bind_i64(q, 3, limit + 1);
	cb_q_bind_i64(q, 4, offset);
	*items = json_array();
	*next = 0;
	int n;
	if (list_rows(c, q, limit, items, &n, err) || render_all(c, *items, err)) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	if (n > limit)
		*next = offset + limit;
	return 0;
}

/* ---- import ---- */

/* long: a flat switch over the imported escalation steps */
int cb_escalation_import(cb_conn *c, int64_t ticket, cb_evtype type, cb_ms at, int64_t actor,
			 json_t *data, cb_err *err)
{
	if (type == CB_EV_ESCALATION) {
		json_t *g = json_object_get(data, "group");
		int64_t gid = json_is_integer(g) ? (int64_t)json_integer_value(g) : 0;
		/* the package fields the event carries, when they are well formed */
		json_t *pkg = json_object();
		static const char *const pk[] = {"summary", "steps", "observed", "expected",
						 "environment", "artifacts", "impact",
						 "severity_rationale", "hypotheses", NULL};
		for (int i = 0; pk[i]; i++) {
			json_t *v = json_object_get(data, pk[i]);
			if (v && !json_is_null(v))
				json_object_set(pkg, pk[i], v);
		}
		cb_err e2 = {0};
		if (cb_esc_package_check(pkg, NULL, &e2)) {
			json_t *s = json_object_get(pkg, "summary");
			json_t *keep = json_is_string(s) ? json_pack("{s:O}", "summary", s) : json_object();
			json_decref(pkg);
			pkg = keep;
		}
		json_t *missing = NULL;
		int score = cb_esc_score(pkg, &missing, NULL);
		json_decref(missing);
		json_t *hist = json_array();
		json_array_append_new(hist, json_pack("{s:s, s:I, s:I}", "status", "open", "at",
						      (json_int_t)at, "by", (json_int_t)actor));
		char *p = json_dumps(pkg, JSON_COMPACT | JSON_SORT_KEYS);
		char *h = json_dumps(hist, JSON_COMPACT);
		json_decref(pkg);
		json_decref(hist);
		int rc = -1;
		int64_t esc_id = 0;
		cb_q *q = cb_q_get(c, CB_SQL_ESC_INSERT, err);
		if (q) {
			cb_q_bind_i64(q, 1, ticket);
			if (gid)
				cb_q_bind_i64(q, 2, gid);
			else
				cb_q_bind_null(q, 2);
			cb_q_bind_text(q, 3, p ? p : "{}");
			cb_q_bind_i64(q, 4, score);
			cb_q_bind_text(q, 5, h ? h : "[]");
			cb_q_bind_i64(q, 6, 1);
			if (actor)
				cb_q_bind_i64(q, 7, actor);
			else
				cb_q_bind_null(q, 7);
			cb_q_bind_i64(q, 8, at);
			rc = cb_q_exec_id(q, &esc_id, err);
		}
		free(p);
		free(h);
		if (rc)
			return -1;
		json_object_set_new(data, "escalation", json_integer(esc_id));
		json_object_del(data, "id");
		return 0;
	}
	/* any other step applies to the ticket's latest escalation */
	int64_t latest = 0;
	int rc = cb_q_one_by_id(c, CB_SQL_ESC_LATEST_OF_TICKET, ticket, &latest, err);
	if (rc < 0)
		return -1;
	json_object_del(data, "escalation");
	if (rc == 0)
		return 0; /* nothing escalated yet: the event stays informational */
	esc_row r;
	if (row_load(c, latest, &r, err) != 1)
		return -1;
	const char *hkey = NULL, *htext = NULL;
	json_t *txt = NULL;
	switch (type) {
	case CB_EV_ESCALATION_ACK:
		r.status = CB_ESC_ACKNOWLEDGED;
		if (!r.ack_at)
			r.ack_at = at;
		break;
	case CB_EV_ESCALATION_ACCEPTED:
	case CB_EV_ESCALATION_RETURNED:
		r.status = type == CB_EV_ESCALATION_ACCEPTED ? CB_ESC_ACCEPTED : CB_ESC_RETURNED;
		if (!r.decided_at)
			r.decided_at = at;
		if (type == CB_EV_ESCALATION_RETURNED && json_is_string(txt = json_object_get(data, "question"))) {
			cb_free(r.question);
			r.question = cb_xstrdup(json_string_value(txt));
			hkey = "question";
			htext = r.question;
		}
		break;
	default: /* resolved */
		r.status = CB_ESC_RESOLVED;
		r.resolved_at = at;
		if (json_is_string(txt = json_object_get(data, "resolution"))) {
			cb_free(r.resolution);
			r.resolution = cb_xstrdup(json_string_value(txt));
			hkey = "resolution";
			htext = r.resolution;
		}
		break;
	}
	r.updated_at = at;
	history_add(&r, r.status, at, actor, hkey, htext);
	rc = row_save(c, &r, err);
	if (rc == 0)
		json_object_set_new(data, "escalation", json_integer(r.id));
	row_clear(&r);
	return rc;
}
