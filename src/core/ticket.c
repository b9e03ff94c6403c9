/* ticket.c - fold and status machine (see ticket.h).
 *
 * DESIGN: apply() is literal: a status event sets the status it names and
 * updates solve/close/reopen bookkeeping; it never derives further changes.
 * Derived changes are decided before appending (decide_* and *_effect) and
 * stored as their own events marked "auto", so the stored timeline is the
 * complete history and folds back to the same row. */
#include "core/ticket.h"

#include <string.h>

static const char *const status_names[] = {"new", "open", "pending", "on_hold", "solved",
					   "closed"};
static const char *const ev_names[CB_EV__COUNT] = {
	"created", "comment", "status", "priority", "assign", "category", "tags", "fields",
	"escalation", "escalation_ack", "escalation_accepted", "escalation_returned", "csat",
	"ces", "account", "sla", "escalation_resolved", "article_linked", "defect", "problem",
	"incident"};

const char *cb_status_name(cb_status s)
{
	return (unsigned)s < 6 ? status_names[s] : "new";
}

int cb_status_parse(const char *s, cb_status *out)
{
	for (int i = 0; s && i < 6; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (cb_status)i;
			return 0;
		}
	return -1;
}

int cb_priority_parse(const char *s, int *out)
{
	if (s && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' && s[2] == '\0') {
		*out = s[1] - '0';
		return 0;
	}
	return -1;
}

const char *cb_priority_name(int p)
{
	static const char *const n[] = {"P1", "P2", "P3", "P4"};
	return p >= 1 && p <= 4 ? n[p - 1] : "P3";
}

const char *cb_evtype_name(cb_evtype t)
{
	return (unsigned)t < CB_EV__COUNT ? ev_names[t] : "unknown";
}

int cb_evtype_parse(const char *s, cb_evtype *out)
{
	for (int i = 0; s && i < CB_EV__COUNT; i++)
		if (strcmp(s, ev_names[i]) == 0) {
			*out = (cb_evtype)i;
			return 0;
		}
	return -1;
}

void cb_ticket_init(cb_ticket *t)
{
	memset(t, 0, sizeof *t);
	t->status = CB_ST_NEW;
	t->priority = 3;
	t->doc = json_object();
}

void cb_ticket_clear(cb_ticket *t)
{
	json_decref(t->doc);
	t->doc = NULL;
}

static int64_t id_of(json_t *data, const char *key)
{
	json_t *v = json_object_get(data, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void copy_key(json_t *doc, json_t *data, const char *key)
{
	json_t *v = json_object_get(data, key);
	if (v)
		json_object_set(doc, key, v);
}

int cb_ticket_is_reopen(cb_status from, cb_status to)
{
	return from == CB_ST_SOLVED && to != CB_ST_SOLVED && to != CB_ST_CLOSED;
}

static void set_status(cb_ticket *t, cb_status to, cb_ms at)
{
	if (cb_ticket_is_reopen(t->status, to))
		t->reopen_count++;
	if (to == CB_ST_SOLVED && t->status != CB_ST_SOLVED)
		t->solved_at = at;
	if (to == CB_ST_CLOSED)
		t->closed_at = at;
	if (to != CB_ST_SOLVED && to != CB_ST_CLOSED)
		t->solved_at = 0;
	t->status = to;
}

/* long: a flat switch over event types */
void cb_ticket_apply(cb_ticket *t, const cb_event *e)
{
	if (e->type == CB_EV_SLA) {
		/* recorded at the clock's instant, which may precede later events:
		 * it changes nothing but the event count */
		t->nevents++;
		return;
	}
	json_t *d = e->data;
	cb_status st;
	int p;
	switch (e->type) {
	case CB_EV_CREATED:
		t->created_at = e->at;
		t->status = CB_ST_NEW;
		if (cb_status_parse(json_string_value(json_object_get(d, "status")), &st) == 0)
			t->status = st;
		if (cb_priority_parse(json_string_value(json_object_get(d, "priority")), &p) == 0)
			t->priority = p;
		t->account_id = id_of(d, "account");
		t->requester_id = id_of(d, "requester");
		t->assignee_id = id_of(d, "assignee");
		t->group_id = id_of(d, "group");
		t->followup_of = id_of(d, "followup_of");
		copy_key(t->doc, d, "subject");
		copy_key(t->doc, d, "description");
		copy_key(t->doc, d, "category");
		copy_key(t->doc, d, "tags");
		copy_key(t->doc, d, "environment");
		copy_key(t->doc, d, "custom_fields");
		copy_key(t->doc, d, "external_id");
		break;
	case CB_EV_STATUS:
		if (cb_status_parse(json_string_value(json_object_get(d, "to")), &st) == 0)
			set_status(t, st, e->at);
		break;
	case CB_EV_PRIORITY:
		if (cb_priority_parse(json_string_value(json_object_get(d, "to")), &p) == 0)
			t->priority = p;
		break;
	case CB_EV_ASSIGN:
		if (json_object_get(d, "assignee"))
			t->assignee_id = id_of(d, "assignee");
		if (json_object_get(d, "group"))
			t->group_id = id_of(d, "group");
		break;
	case CB_EV_CATEGORY:
		json_object_set(t->doc, "category",
				json_object_get(d, "to") ? json_object_get(d, "to") : json_null());
		break;
	case CB_EV_TAGS:
		copy_key(t->doc, d, "tags");
		break;
	case CB_EV_FIELDS:
		copy_key(t->doc, d, "subject");
		copy_key(t->doc, d, "description");
		copy_key(t->doc, d, "environment");
		copy_key(t->doc, d, "custom_fields");
		break;
	case CB_EV_ACCOUNT:
		t->account_id = id_of(d, "to");
		break;
	case CB_EV_ESCALATION:
		t->escalations++;
		break;
	case CB_EV_COMMENT:
	case CB_EV_ESCALATION_ACK:
	case CB_EV_ESCALATION_ACCEPTED:
	case CB_EV_ESCALATION_RETURNED:
	case CB_EV_CSAT:
	case CB_EV_CES:
	case CB_EV_SLA:
	case CB_EV_ESCALATION_RESOLVED:
	case CB_EV_ARTICLE_LINKED:
	case CB_EV_DEFECT:
	case CB_EV_PROBLEM:
	case CB_EV_INCIDENT:
	case CB_EV__COUNT:
		break;
	}
	t->updated_at = e->at;
	t->nevents++;
}

int cb_ticket_decide_status(const cb_ticket *t, cb_status to, cb_status steps[2], int *n,
			    cb_err *err)
{
	*n = 0;
	if (t->status == CB_ST_CLOSED)
		return cb_err_set(err, CB_E_CONFLICT, "status", "the ticket is closed");
	if (to == t->status)
		return 0;
	if (to == CB_ST_NEW)
		return cb_err_set(err, CB_E_INVALID, "status", "a ticket cannot go back to new");
	if (to == CB_ST_CLOSED && t->status != CB_ST_SOLVED)
		steps[(*n)++] = CB_ST_SOLVED;
	steps[(*n)++] = to;
	return 0;
}

int cb_ticket_comment_effect(const cb_ticket *t, cb_side side, int is_public, cb_status *to)
{
	if (!is_public || t->status == CB_ST_CLOSED)
		return 0;
	if (side == CB_SIDE_AGENT && t->status == CB_ST_NEW) {
		*to = CB_ST_OPEN;
		return 1;
	}
	if (side == CB_SIDE_REQUESTER && (t->status == CB_ST_PENDING || t->status == CB_ST_SOLVED)) {
		*to = CB_ST_OPEN;
		return 1;
	}
	return 0;
}

int cb_ticket_assign_effect(const cb_ticket *t, int64_t new_assignee, cb_status *to)
{
	if (t->status == CB_ST_NEW && new_assignee) {
		*to = CB_ST_OPEN;
		return 1;
	}
	return 0;
}
