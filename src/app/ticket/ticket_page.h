/* ticket_page.h - rendering a page of tickets (list, queue, the tickets of
 * a defect) in a bounded number of statements, whatever the page size.
 *
 * A page renders exactly what cb_ticketsvc_render gives for each ticket alone
 * (without `followups` unless asked for): the same renderer
 * (cb_ticketsvc_render_row) fed from page-wide loads instead of one lookup per
 * reference. Statements for a page of agent-side tickets, on a warm fold
 * cache: the SLA configuration version, the tickets, their references (with
 * the account tiers the SLA folds depend on), and with CB_TICKET_PAGE_FOLLOWUPS
 * the follow-ups; one more for the events of tickets whose cached fold is
 * missing or stale. Customers: the customer-visible fields, the tickets and
 * their references. */
#ifndef CB_APP_TICKET_PAGE_H
#define CB_APP_TICKET_PAGE_H
#include <jansson.h>

#include "app/app.h"
#include "core/ticket.h"

enum {
	CB_TICKET_PAGE_FOLLOWUPS = 1 << 0, /* agent-side viewers: add `followups` as a GET does */
};

/* Renders tickets ids[0..n) for viewer (who may see them: the caller's query
 * decided) into a new array *items, in that order. 404 when one is missing. */
int cb_ticketsvc_page_render(cb_conn *c, const cb_actor *viewer, const int64_t *ids, int n, cb_ms now,
			  unsigned flags, json_t **items, cb_err *err);

/* Shared with app/ticket/ticket.c. */
/* The API object of t from its references (each consumed: account,
 * requester, assignee, group refs and the `sla` object, NULL for "no
 * policy"); customer_fields: NULL for agent-side viewers, else the
 * customer-visible custom field keys (the CustomerTicket view, no sla). */
json_t *cb_ticketsvc_render_row(const cb_ticket *t, json_t *account, json_t *requester,
			     json_t *assignee, json_t *group, json_t *sla, json_t *customer_fields);
/* The custom field keys customers may see: a JSON array; NULL with err. */
json_t *cb_ticketsvc_customer_fields(cb_conn *c, cb_err *err);

#endif
