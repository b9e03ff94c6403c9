/* ticket.h - ticket use cases: create, update, comment, read, list, and the
 * event-level operations the importer replays.
 *
 * Every function that changes a ticket runs inside the caller's write
 * transaction (a cb_db_write job), loads the materialized row, decides the
 * events (core/ticket.h), appends them to `events`, folds them into the row
 * and writes it back. Inputs are JSON objects validated here, so the API and
 * the importer share one validation path; errors name the offending field.
 *
 * Visibility: customers see only tickets of their own account and only
 * public comments; anything else is reported as 404. Every read renders for
 * its viewer: customers get the customer view (no agent-side fields, no SLA
 * object, timeline numbered over what they see). */
#ifndef CB_APP_TICKET_H
#define CB_APP_TICKET_H
#include <jansson.h>

#include "app/app.h"
#include "app/ticket/views.h"
#include "core/ticket.h"

enum {
	CB_TICKET_IMPORT = 1 << 0, /* input is an import line: allows created_at, events */
};

/* Creates a ticket from `in` (docs/openapi.yaml `TicketCreate`). With CB_TICKET_IMPORT
 * the SLA clocks are not folded: the importer runs cb_pipeline_project() once
 * after the line's last event (see cb_ticketsvc_import_event). */
int cb_ticketsvc_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, unsigned flags,
		     int64_t *out_id, cb_err *err);
/* Applies a PATCH object: any of subject, description, status, priority,
 * category, tags, assignee, group, account, environment, custom_fields. */
int cb_ticketsvc_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		     cb_err *err);
/* Adds a comment. On a closed ticket a follow-up ticket is created instead
 * (*out_ticket is then the new ticket's id). *out_event is the comment's id. */
int cb_ticketsvc_comment(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      int64_t *out_event, int64_t *out_ticket, cb_err *err);
/* Appends one imported event (docs/openapi.yaml `ImportTicket`) at its own instant.
 * Does not run the after-write step: after a ticket's last imported event
 * the caller runs cb_pipeline_project(c, NULL, id, instant of that event,
 * CB_PROJECT_ALL) once, which records breaches at their own instants and
 * sets the timers. */
int cb_ticketsvc_import_event(cb_conn *c, const cb_actor *system, int64_t id, json_t *ev,
			   cb_err *err);

/* Reads: NULL with 404 when missing or not visible to viewer. */
json_t *cb_ticketsvc_render(cb_conn *c, const cb_actor *viewer, int64_t id, cb_ms now, cb_err *err);
/* One event rendered as a timeline entry as viewer sees it (the caller
 * checked the ticket's visibility; for a customer, 404 when the event is
 * hidden from them). */
json_t *cb_ticketsvc_render_comment(cb_conn *c, const cb_actor *viewer, int64_t ticket_id,
				 int64_t event_id, cb_err *err);

/* The customer's view of tickets (docs/openapi.yaml CustomerTicket): the
 * custom field keys an admin marked customer-visible. */
json_t *cb_ticketsvc_settings_get(cb_conn *c, cb_err *err);
int cb_ticketsvc_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, cb_err *err);

typedef struct {
	const char *status;      /* comma-separated statuses */
	const char *priority;    /* comma-separated P1..P4 */
	const char *assignee;    /* id, e-mail or "none" */
	const char *group;       /* id, name or "none" */
	const char *account;     /* id or name */
	const char *requester;   /* id or e-mail */
	const char *tag;
	const char *external_id;
	const char *created_after, *created_before; /* RFC 3339 */
} cb_ticketsvc_filter;

/* Lists tickets newest first (id descending), after cursor id `before` (0 =
 * from the newest). Sets *next to the cursor id or 0 at the end. */
int cb_ticketsvc_list(cb_conn *c, const cb_actor *viewer, const cb_ticketsvc_filter *f, int limit,
		   int64_t before, cb_ms now, json_t **items, int64_t *next, cb_err *err);
/* Queues: open tickets of a resolved view (app/ticket/views.h), in its order.
 * The cursor is an offset. */
int cb_ticketsvc_view(cb_conn *c, const cb_actor *viewer, const cb_view_spec *spec, int limit,
		   int64_t offset, cb_ms now, json_t **items, int64_t *next, cb_err *err);

/* Timeline and comments, oldest first, after sequence number `after`. */
int cb_ticketsvc_events(cb_conn *c, const cb_actor *viewer, int64_t id, int comments_only,
		     int limit, int64_t after, json_t **items, int64_t *next, cb_err *err);

/* 0 when ticket id exists, else -1 with 404 (no visibility check). */
int cb_ticketsvc_exists(cb_conn *c, int64_t id, cb_err *err);
/* Re-folds the ticket from its events and compares with the stored row:
 * 1 if equal, 0 if they differ (for tests and `casebook check`). */
int cb_ticketsvc_verify_fold(cb_conn *c, int64_t id, cb_err *err);

#endif
