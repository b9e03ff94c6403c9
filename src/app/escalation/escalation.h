/* escalation.h - escalations of a ticket to a resolver group: a structured
 * package scored 0..5 (core/escalation.h), a group minimum score, and the
 * lifecycle open -> acknowledged -> accepted | returned -> ... -> resolved.
 *
 * Every step is a row change, an audit row ("escalation.<status>") and,
 * except a resubmission after a return, a ticket timeline event
 * (escalation, escalation_ack, escalation_accepted, escalation_returned,
 * escalation_resolved) whose data carries {"escalation": id}: the KPI fold
 * (mtte, escalation_rate, escalation_acceptance_rate) reads those events.
 * Escalations and their events are internal: customers never see them.
 *
 * Who: agents and admins create and resubmit; members of the target group
 * and admins acknowledge, accept, return and resolve (403 otherwise). */
#ifndef CB_APP_ESCALATION_H
#define CB_APP_ESCALATION_H
#include <jansson.h>

#include "app/app.h"
#include "core/ticket.h"

/* Scores a draft without saving: {"score", "max": 5, "missing", "groups"}
 * and, when it names a "group", {"group", "min_score", "meets_minimum"}. */
json_t *cb_escalation_score(cb_conn *c, json_t *in, cb_err *err);
/* Creates an escalation of ticket from {"group", package fields...}; 422
 * naming the missing fields when the score is below the group's minimum. */
int cb_escalation_create(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket,
			 json_t *in, int64_t *out_id, cb_err *err);
/* {"status", "question" | "answer" (+ "package") | "resolution"}. */
int cb_escalation_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			 cb_err *err);
json_t *cb_escalation_get(cb_conn *c, int64_t id, cb_err *err);
/* Every escalation of a ticket, oldest first (404 for a missing ticket). */
int cb_escalation_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err);
/* The queue: statuses (comma-separated; default every one but resolved),
 * group (id or name; NULL any); unacknowledged first, then oldest first.
 * The cursor is an offset. */
int cb_escalation_queue(cb_conn *c, const char *status, const char *group, int limit,
			int64_t offset, json_t **items, int64_t *next, cb_err *err);

/* Import: keeps the escalations table in step with an imported escalation
 * event before it is appended. `escalation` creates a row (status open)
 * and any other escalation_* event moves the ticket's latest one; data
 * gets "escalation": the row's id (replacing an id from another system). */
int cb_escalation_import(cb_conn *c, int64_t ticket, cb_evtype type, cb_ms at, int64_t actor,
			 json_t *data, cb_err *err);

/* Groups: takes "min_escalation_score" (0..5 or null) out of a group
 * request body; *out = -1 when absent, -2 for null (back to 0). */
int cb_escalation_group_take(json_t *body, int *out, cb_err *err);
int cb_escalation_group_set(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t group, int min,
			    cb_err *err);
/* Adds "min_escalation_score" to a rendered group object. */
void cb_escalation_group_decorate(cb_conn *c, json_t *group);

#endif
