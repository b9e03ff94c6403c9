/* eventlog.h - a ticket's append-only event log and the row folded from it:
 * the first stage of the write pipeline (load, append and fold, save). The
 * after-write step runs in app/ticket/pipeline.c; use cases append through it
 * (cb_pipeline_append) unless they are part of that step themselves. */
#ifndef CB_APP_EVENTLOG_H
#define CB_APP_EVENTLOG_H

#include <jansson.h>
#include <stdint.h>

#include "core/ticket.h"
#include "store/db.h"
#include "util/err.h"

/* Loads the ticket row of id (CB_E_NOTFOUND when there is none). */
int cb_eventlog_load(cb_conn *c, int64_t id, cb_ticket *t, cb_err *err);
/* A ticket from a row of CB_SQL_TICKET_GET's columns (pages of tickets read
 * them with CB_SQL_TICKET_PAGE). */
void cb_eventlog_from_row(cb_q *q, cb_ticket *t);
/* Saves t's row (insert: a new ticket, whose id the database gives:
 * t->id is set); tags_changed rewrites its tag index. A duplicate
 * external_id is CB_E_CONFLICT on "external_id". */
int cb_eventlog_save(cb_conn *c, cb_ticket *t, int insert, int tags_changed, cb_err *err);
/* Appends an event (data is consumed) and folds it into t; the row is saved
 * by the caller. out_event (may be NULL) receives the event's row id. */
int cb_eventlog_emit(cb_conn *c, cb_ticket *t, cb_evtype type, cb_ms at, int64_t actor,
		     json_t *data, int64_t *out_event, cb_err *err);
/* The first event of a new ticket (t->id 0): its row is inserted, and its
 * id given by the database, before the event that references it. */
int cb_eventlog_emit_created(cb_conn *c, cb_ticket *t, cb_ms at, int64_t actor, json_t *data,
			     int64_t *out_event, cb_err *err);
/* Load, emit, save: one event on ticket id (data is consumed), without the
 * after-write step. */
int cb_eventlog_append(cb_conn *c, int64_t id, cb_evtype type, cb_ms at, int64_t actor,
		       json_t *data, cb_err *err);

#endif
