/* review.h - post-incident reviews: summary, customer impact, a timeline
 * prefilled from the incident's own timeline (editable), contributing
 * factors, and corrective/preventive actions with owner, due date and
 * status (open -> in_progress -> done, core/incident.h) tracked to
 * closure, with an overdue view. Staff only; writes run inside the
 * caller's write transaction. */
#ifndef CB_APP_REVIEW_H
#define CB_APP_REVIEW_H
#include <jansson.h>

#include "app/app.h"

/* The review of an incident; before the first save it is a draft whose
 * timeline is prefilled from the incident (saved: false). */
json_t *cb_review_get(cb_conn *c, int64_t incident, cb_ms now, cb_err *err);
/* Saves summary, customer_impact, timeline, contributing_factors (fields
 * not given keep their value). */
int cb_review_put(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t incident, json_t *in,
		  cb_err *err);

int cb_review_action_create(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t incident,
			    json_t *in, int64_t *out_id, cb_err *err);
/* PATCH: type, title, owner, due_date, status (an illegal move is a 409
 * naming the allowed ones). */
int cb_review_action_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			    cb_err *err);
json_t *cb_review_action_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err);

typedef struct {
	int overdue;          /* only open/in-progress actions due before today (UTC) */
	const char *status;   /* NULL or a status */
	int64_t incident;     /* 0 = any */
	int64_t owner;        /* 0 = any */
} cb_review_action_filter;
/* Ordered by due date (undated last), then id; offset cursor. */
int cb_review_action_list(cb_conn *c, const cb_review_action_filter *f, cb_ms now, int limit,
			  int64_t offset, json_t **items, int64_t *next, cb_err *err);

#endif
