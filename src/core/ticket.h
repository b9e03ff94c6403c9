/* ticket.h - the ticket as a fold of its events, and the status machine of
 * docs/metrics.md section 3. Pure: no I/O, no clock; instants are passed in.
 *
 * A ticket's state is cb_ticket_apply() folded over its events in order.
 * Deciding what events a command produces (which may include automatic
 * status changes, e.g. a requester reply reopening a solved ticket) is done
 * by the cb_ticket_decide_* functions; applying is total and literal, so a
 * stored timeline always folds back to the same state. */
#ifndef CB_CORE_TICKET_H
#define CB_CORE_TICKET_H
#include <jansson.h>
#include <stdint.h>

#include "util/err.h"
#include "util/timeutil.h"

typedef enum {
	CB_ST_NEW,
	CB_ST_OPEN,
	CB_ST_PENDING,
	CB_ST_ON_HOLD,
	CB_ST_SOLVED,
	CB_ST_CLOSED,
} cb_status;

/* Which side of the conversation acted (docs/metrics.md section 3). */
typedef enum {
	CB_SIDE_AGENT,     /* admin, agent, engineer */
	CB_SIDE_REQUESTER, /* customers */
} cb_side;

typedef enum {
	CB_EV_CREATED,
	CB_EV_COMMENT,
	CB_EV_STATUS,
	CB_EV_PRIORITY,
	CB_EV_ASSIGN,
	CB_EV_CATEGORY,
	CB_EV_TAGS,
	CB_EV_FIELDS,
	CB_EV_ESCALATION,
	CB_EV_ESCALATION_ACK,
	CB_EV_ESCALATION_ACCEPTED,
	CB_EV_ESCALATION_RETURNED,
	CB_EV_CSAT,
	CB_EV_CES,
	CB_EV_ACCOUNT,
	CB_EV_SLA, /* an SLA clock became at risk or breached (derived, informational) */
	CB_EV_ESCALATION_RESOLVED, /* the resolver group resolved an escalation */
	CB_EV_ARTICLE_LINKED,      /* a knowledge article was linked to the ticket */
	CB_EV_DEFECT,              /* linked to / unlinked from / fix of an external defect */
	CB_EV_PROBLEM,             /* grouped under / removed from a problem */
	CB_EV_INCIDENT,            /* linked to a major incident, or an incident update */
	CB_EV__COUNT
} cb_evtype;

/* One timeline entry. `data` is a JSON object whose keys depend on type:
 *   created   subject, description, priority, category, tags, account,
 *             requester, assignee, group, environment, custom_fields,
 *             external_id, followup_of (ids are integers, absent = none)
 *   comment   body, public (bool), side ("agent"|"requester")
 *   status    from, to, auto (true when derived from another event)
 *   priority  from, to          category  from, to
 *   assign    assignee and/or group (id or null; an absent key is kept)
 *   tags      tags (the whole new list)
 *   fields    any of subject, description, environment, custom_fields
 *   account   from, to (account id)
 *   escalation group, summary ...; escalation_* and csat/ces as imported */
typedef struct {
	cb_evtype type;
	cb_ms at;
	int64_t actor_id; /* 0 = system */
	json_t *data;     /* borrowed */
} cb_event;

typedef struct {
	int64_t id;
	cb_status status;
	int priority;                    /* 1 (P1) .. 4 (P4) */
	int64_t account_id;              /* 0 = none */
	int64_t requester_id;
	int64_t assignee_id;             /* 0 = unassigned */
	int64_t group_id;                /* 0 = none */
	int64_t followup_of;             /* 0 = none */
	cb_ms created_at, updated_at;
	cb_ms solved_at;                 /* latest solve, 0 if not solved */
	cb_ms closed_at;                 /* 0 if not closed */
	int reopen_count;
	int escalations;
	int nevents;
	int version;     /* nevents of the stored row it was loaded from or last
			    saved as: a save checks the row still has it */
	json_t *doc; /* owned: subject, description, category, tags, environment,
			custom_fields, external_id */
} cb_ticket;

const char *cb_status_name(cb_status s);
int cb_status_parse(const char *s, cb_status *out);       /* 0 ok, -1 unknown */
int cb_priority_parse(const char *s, int *out);           /* "P1".."P4" */
const char *cb_priority_name(int p);
const char *cb_evtype_name(cb_evtype t);
int cb_evtype_parse(const char *s, cb_evtype *out);

void cb_ticket_init(cb_ticket *t);  /* empty state, doc = {} */
void cb_ticket_clear(cb_ticket *t); /* releases doc */
/* Applies one event (total: never fails on a well-formed event). */
void cb_ticket_apply(cb_ticket *t, const cb_event *e);

/* ---- decisions ---- */

/* The status events needed to move t to `to`, in order (closing an unsolved
 * ticket solves it first). *n = 0 when already there. 409 if t is closed,
 * 422 for a move that is not allowed (back to `new`). */
int cb_ticket_decide_status(const cb_ticket *t, cb_status to, cb_status steps[2], int *n,
			    cb_err *err);
/* Status change caused by a comment: 1 and *to when the comment moves the
 * ticket (agent public reply on new -> open; requester public reply on
 * pending or solved -> open), else 0. A closed ticket takes no comment (the
 * caller creates a follow-up ticket instead). */
int cb_ticket_comment_effect(const cb_ticket *t, cb_side side, int is_public, cb_status *to);
/* Status change caused by assigning a person: new -> open. */
int cb_ticket_assign_effect(const cb_ticket *t, int64_t new_assignee, cb_status *to);
/* 1 when moving from `from` to `to` counts as a reopen. */
int cb_ticket_is_reopen(cb_status from, cb_status to);

#endif
