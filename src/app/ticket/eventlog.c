/* eventlog.c - a ticket's event log and its row (see eventlog.h).
 *
 * DESIGN
 * The first stage of the write pipeline: an event is appended with the
 * next sequence number and folded into the ticket (core/ticket.c), and the
 * ticket row is saved from the fold. Nothing here runs the after-write
 * step (app/ticket/pipeline.c does), so the modules the after-write step calls
 * (SLA clocks appending their at-risk/breach events) can use it without a
 * cycle. */
#include "app/ticket/eventlog.h"
#include "store/sql.h"

#include <stdlib.h>

static void bind_json(cb_q *q, int i, json_t *v)
{
	char *s = json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
	cb_q_bind_text(q, i, s);
	free(s); /* jansson's allocation */
}

static json_t *loads(const char *s)
{
	return s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

static int64_t col_id(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? 0 : cb_q_i64(q, col);
}

static void bind_id(cb_q *q, int i, int64_t v)
{
	if (v)
		cb_q_bind_i64(q, i, v);
	else
		cb_q_bind_null(q, i);
}

int cb_eventlog_load(cb_conn *c, int64_t id, cb_ticket *t, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	cb_eventlog_from_row(q, t);
	cb_q_reset(q);
	return 0;
}

void cb_eventlog_from_row(cb_q *q, cb_ticket *t)
{
	cb_ticket_init(t);
	t->id = cb_q_i64(q, 0);
	json_t *d = t->doc;
	json_object_set_new(d, "external_id",
			    cb_q_isnull(q, 1) ? json_null() : json_string(cb_q_text(q, 1)));
	json_object_set_new(d, "subject", json_string(cb_q_text(q, 2)));
	json_object_set_new(d, "description", json_string(cb_q_text(q, 3)));
	cb_status_parse(cb_q_text(q, 4), &t->status);
	cb_priority_parse(cb_q_text(q, 5), &t->priority);
	json_object_set_new(d, "category",
			    cb_q_isnull(q, 6) ? json_null() : json_string(cb_q_text(q, 6)));
	json_object_set_new(d, "tags", loads(cb_q_text(q, 7)));
	t->account_id = col_id(q, 8);
	t->requester_id = col_id(q, 9);
	t->assignee_id = col_id(q, 10);
	t->group_id = col_id(q, 11);
	json_object_set_new(d, "environment", loads(cb_q_text(q, 12)));
	json_object_set_new(d, "custom_fields", loads(cb_q_text(q, 13)));
	t->followup_of = col_id(q, 14);
	t->created_at = cb_q_i64(q, 15);
	t->updated_at = cb_q_i64(q, 16);
	t->solved_at = col_id(q, 17);
	t->closed_at = col_id(q, 18);
	t->reopen_count = (int)cb_q_i64(q, 19);
	t->nevents = (int)cb_q_i64(q, 20);
	t->version = t->nevents;
}

static const char *doc_str(const cb_ticket *t, const char *key)
{
	return json_string_value(json_object_get(t->doc, key));
}

static json_t *doc_or(const cb_ticket *t, const char *key, json_t *dflt)
{
	json_t *v = json_object_get(t->doc, key);
	if (v && !json_is_null(v)) {
		json_decref(dflt);
		return json_incref(v);
	}
	return dflt;
}

int cb_eventlog_save(cb_conn *c, cb_ticket *t, int insert, int tags_changed, cb_err *err)
{
	cb_q *q = cb_q_get(c, insert ? CB_SQL_TICKET_INSERT : CB_SQL_TICKET_UPDATE, err);
	if (!q)
		return -1;
	bind_id(q, 1, t->id); /* inserted: the database gives the id */
	cb_q_bind_text(q, 2, doc_str(t, "external_id"));
	cb_q_bind_text(q, 3, doc_str(t, "subject") ? doc_str(t, "subject") : "");
	cb_q_bind_text(q, 4, doc_str(t, "description") ? doc_str(t, "description") : "");
	cb_q_bind_text(q, 5, cb_status_name(t->status));
	cb_q_bind_text(q, 6, cb_priority_name(t->priority));
	cb_q_bind_text(q, 7, doc_str(t, "category"));
	json_t *tags = doc_or(t, "tags", json_array());
	bind_json(q, 8, tags);
	bind_id(q, 9, t->account_id);
	cb_q_bind_i64(q, 10, t->requester_id);
	bind_id(q, 11, t->assignee_id);
	bind_id(q, 12, t->group_id);
	json_t *env = doc_or(t, "environment", json_object());
	json_t *cf = doc_or(t, "custom_fields", json_object());
	bind_json(q, 13, env);
	bind_json(q, 14, cf);
	json_decref(env);
	json_decref(cf);
	bind_id(q, 15, t->followup_of);
	cb_q_bind_i64(q, 16, t->created_at);
	cb_q_bind_i64(q, 17, t->updated_at);
	bind_id(q, 18, t->solved_at);
	bind_id(q, 19, t->closed_at);
	cb_q_bind_i64(q, 20, t->reopen_count);
	cb_q_bind_i64(q, 21, t->nevents);
	int64_t saved = 0;
	if (!insert)
		cb_q_bind_i64(q, 22, t->version);
	if (cb_q_exec_id(q, &saved, err)) {
		json_decref(tags);
		if (err->code == CB_E_CONFLICT) {
			/* the only unique key of a ticket row is its external_id */
			cb_err_clear(err);
			cb_err_set(err, CB_E_CONFLICT, "external_id", "a ticket with this external_id exists");
		}
		return -1;
	}
	if (!saved) {
		/* an update whose row moved on since the load: another writer
		 * appended events; the job is decided again on the fresh state */
		json_decref(tags);
		return cb_err_set(err, CB_E_STALE, NULL,
				  "ticket %lld changed while this change was decided", (long long)t->id);
	}
	t->id = saved;
	t->version = t->nevents;
	if (tags_changed) {
		q = cb_q_get(c, CB_SQL_TAGS_DELETE, err);
		if (!q || (cb_q_bind_i64(q, 1, t->id), cb_q_exec(q, err))) {
			json_decref(tags);
			return -1;
		}
		size_t i;
		json_t *tg;
		json_array_foreach(tags, i, tg) {
			q = cb_q_get(c, CB_SQL_TAGS_INSERT, err);
			if (!q) {
				json_decref(tags);
				return -1;
			}
			cb_q_bind_text(q, 1, json_string_value(tg));
			cb_q_bind_i64(q, 2, t->id);
			if (cb_q_exec(q, err)) {
				json_decref(tags);
				return -1;
			}
		}
	}
	json_decref(tags);
	return 0;
}

static int insert_event(cb_conn *c, int64_t ticket, int seq, cb_evtype type, cb_ms at,
			int64_t actor, json_t *data, int64_t *out_event, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_EVENT_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_i64(q, 2, seq);
	cb_q_bind_i64(q, 3, at);
	bind_id(q, 4, actor);
	cb_q_bind_text(q, 5, cb_evtype_name(type));
	bind_json(q, 6, data);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err)) {
		/* (ticket, seq) is unique: the sequence number is taken when
		 * another writer appended to the ticket since it was loaded */
		if (err->code == CB_E_CONFLICT) {
			cb_err_clear(err);
			cb_err_set(err, CB_E_STALE, NULL, "ticket %lld changed while this change was decided",
				   (long long)ticket);
		}
		return -1;
	}
	if (out_event)
		*out_event = new_id;
	return 0;
}

int cb_eventlog_emit(cb_conn *c, cb_ticket *t, cb_evtype type, cb_ms at, int64_t actor, json_t *data,
		int64_t *out_event, cb_err *err)
{
	cb_event e = {.type = type, .at = at, .actor_id = actor, .data = data};
	cb_ticket_apply(t, &e);
	int rc = insert_event(c, t->id, t->nevents, type, at, actor, data, out_event, err);
	json_decref(data);
	return rc;
}

int cb_eventlog_emit_created(cb_conn *c, cb_ticket *t, cb_ms at, int64_t actor, json_t *data,
			int64_t *out_event, cb_err *err)
{
	cb_event e = {.type = CB_EV_CREATED, .at = at, .actor_id = actor, .data = data};
	cb_ticket_apply(t, &e);
	int rc = cb_eventlog_save(c, t, 1, 1, err);
	if (rc == 0)
		rc = insert_event(c, t->id, t->nevents, CB_EV_CREATED, at, actor, data, out_event, err);
	json_decref(data);
	return rc;
}

int cb_eventlog_append(cb_conn *c, int64_t id, cb_evtype type, cb_ms at, int64_t actor,
		       json_t *data, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err)) {
		json_decref(data);
		return -1;
	}
	int rc = cb_eventlog_emit(c, &t, type, at, actor, data, NULL, err) ||
		 cb_eventlog_save(c, &t, 0, 0, err);
	cb_ticket_clear(&t);
	return rc ? -1 : 0;
}
