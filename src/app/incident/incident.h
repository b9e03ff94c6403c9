/* incident.h - major incidents: lifecycle, roles, affected components and
 * accounts, linked tickets, updates (public ones reach every linked
 * ticket's requester as one public reply), the incident timeline, the
 * customer update cadence clock and the components of the status page.
 *
 * Every function that writes runs inside the caller's write transaction.
 * Incidents are staff-only (the routes need the engineer role); the public
 * sees them only through app/incident/status_page.h. docs/incidents.md describes
 * the rules; the pure ones are in core/incident.h. */
#ifndef CB_APP_INCIDENT_H
#define CB_APP_INCIDENT_H
#include <jansson.h>

#include "app/app.h"

int cb_incident_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		       cb_err *err);
/* PATCH: title, description, severity, status, public, commander,
 * technical_lead, communications_lead, components, component_states,
 * accounts, update_cadence_min. An illegal status move is a 409 naming the
 * allowed ones. */
int cb_incident_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		       cb_err *err);
/* The incident as the API shows it (404 when missing). */
json_t *cb_incident_get(cb_conn *c, int64_t id, cb_ms now, cb_err *err);

typedef struct {
	const char *status;   /* NULL or a status name */
	int severity;         /* 0 or 1..4 */
	int active;           /* -1 both, 1 active only, 0 resolved only */
} cb_incident_filter;
int cb_incident_list(cb_conn *c, const cb_incident_filter *f, cb_ms now, int limit, int64_t before,
		     json_t **items, int64_t *next, cb_err *err);

/* {"tickets": [ids]}: links each (once); each newly linked ticket gets an
 * `incident` event {"action":"linked","incident":id}. Returns
 * {"linked": [ids], "already_linked": [ids], "tickets": [all linked ids]}. */
json_t *cb_incident_link_tickets(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				 json_t *in, cb_err *err);
/* {"body", "public", "status"}: one timeline entry; a public update is
 * also one public reply on every linked ticket that is not closed, and
 * restarts the cadence clock. Returns the entry. */
/* Unlinks a ticket (404 when it is not linked): a ticket `incident` event
 * (action "unlinked") and an incident timeline entry. {"unlinked", "tickets"}. */
json_t *cb_incident_unlink_ticket(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				  int64_t ticket, cb_err *err);
json_t *cb_incident_post_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				json_t *in, cb_err *err);
/* The timeline, oldest first, after entry id `after`. */
int cb_incident_timeline(cb_conn *c, int64_t id, int limit, int64_t after, json_t **items,
			 int64_t *next, cb_err *err);

/* {"update_cadence_min": {"SEV1": 30, "SEV2": 60, "SEV3": null, "SEV4": null}} */
json_t *cb_incident_settings_get(cb_conn *c, cb_err *err);
/* Admins; partial (severities not given keep their value); audited; moves
 * the clocks of active incidents that follow the severity default. */
int cb_incident_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in,
			     cb_err *err);

/* The job of the update deadline `due` of incident id: records the one
 * `overdue` timeline entry of that deadline unless it was met, moved or
 * already recorded. */
int cb_incident_fire_overdue(cb_conn *c, int64_t id, cb_ms due, cb_err *err);

/* ---- components ---- */
int cb_component_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
			cb_err *err);
int cb_component_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
			cb_err *err);
json_t *cb_component_get(cb_conn *c, int64_t id, cb_err *err);
json_t *cb_component_list(cb_conn *c, cb_err *err);

/* Shared with review.c and status_page.c. */
json_t *cb_incident_time_json(cb_ms t); /* RFC 3339 string, or null for 0 */
int cb_incident_exists(cb_conn *c, int64_t id, cb_err *err); /* 0, or 404 */

#endif
