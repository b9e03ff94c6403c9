/* incident.h - the pure rules of major incidents and their reviews: the
 * status machine, severities, the customer update cadence clock, component
 * states and the lifecycle of review actions. No I/O, no clock: `now` is
 * passed in (app/incident/incident.c and app/incident/review.c apply these rules).
 *
 * Incident status moves (docs/incidents.md):
 *   investigating -> identified | monitoring | resolved   (forward, may skip)
 *   identified    -> monitoring | resolved | investigating (the cause was wrong)
 *   monitoring    -> resolved | investigating | identified (the fix did not hold)
 *   resolved      -> nothing (terminal: a recurrence is a new incident)
 * Staying in the same status is not a move (no event). */
#ifndef CB_CORE_INCIDENT_H
#define CB_CORE_INCIDENT_H
#include <stddef.h>
#include <stdint.h>

#include "util/timeutil.h"

typedef enum {
	CB_INC_INVESTIGATING = 0,
	CB_INC_IDENTIFIED,
	CB_INC_MONITORING,
	CB_INC_RESOLVED,
	CB_INC__COUNT
} cb_inc_status;

const char *cb_inc_status_name(cb_inc_status s);
/* 0 and *out, or -1 for an unknown name (or NULL). */
int cb_inc_status_parse(const char *s, cb_inc_status *out);
/* 1 when from -> to is a legal move (see above); from == to is not a move. */
int cb_inc_move_ok(cb_inc_status from, cb_inc_status to);
/* The legal targets of from, in status order, as "a, b, c" (or "none")
 * into buf (n >= 64). Returns buf. */
const char *cb_inc_allowed_moves(cb_inc_status from, char *buf, size_t n);

/* "SEV1".."SEV4" -> 1..4; -1 when unknown. */
int cb_inc_severity_parse(const char *s);
const char *cb_inc_severity_name(int sev); /* NULL outside 1..4 */

/* The customer update cadence clock. The next public update is due
 * cadence_min minutes after the last public update (or after the start of
 * the incident when there was none). No clock (0) when the incident is
 * resolved or has no cadence (cadence_min <= 0). */
cb_ms cb_inc_next_update_due(cb_inc_status st, cb_ms started_at, cb_ms last_public_update,
			     int cadence_min);
/* 1 when a clock is running and now is strictly after its due instant. */
int cb_inc_overdue(cb_ms due, cb_ms now);

/* Component states, from best to worst. */
typedef enum {
	CB_COMP_OPERATIONAL = 0,
	CB_COMP_UNDER_MAINTENANCE,
	CB_COMP_DEGRADED,
	CB_COMP_PARTIAL_OUTAGE,
	CB_COMP_MAJOR_OUTAGE,
	CB_COMP__COUNT
} cb_comp_state;
const char *cb_comp_state_name(cb_comp_state s);
int cb_comp_state_parse(const char *s, cb_comp_state *out);

/* Post-incident review actions: open -> in_progress -> done, open -> done,
 * in_progress -> open; done is terminal. Types: corrective, preventive. */
typedef enum { CB_ACT_OPEN = 0, CB_ACT_IN_PROGRESS, CB_ACT_DONE, CB_ACT__COUNT } cb_act_status;
const char *cb_act_status_name(cb_act_status s);
int cb_act_status_parse(const char *s, cb_act_status *out);
int cb_act_move_ok(cb_act_status from, cb_act_status to);
const char *cb_act_allowed_moves(cb_act_status from, char *buf, size_t n);
int cb_act_type_valid(const char *s);
/* 1 when an action with this due date ("YYYY-MM-DD", may be NULL) and
 * status is overdue on the UTC day of now (due before today, not done). */
int cb_act_overdue(const char *due_date, cb_act_status st, cb_ms now);
/* 1 when s is a valid calendar date YYYY-MM-DD. */
int cb_date_valid(const char *s);

#endif
