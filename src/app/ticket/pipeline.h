/* pipeline.h - the write pipeline of a ticket: append events (app/ticket/eventlog.h)
 * -> fold -> the after-write step, in one transaction.
 *
 * The after-write step (cb_pipeline_project) is the one place that runs
 * after a ticket changed: it folds the event log once and calls, in order,
 * every consumer of the table in pipeline.c (SLA clocks and timers, KPI
 * facts and rollups, the search document). A new consumer (triggers,
 * webhook or notification outboxes) is one row of that table: a function
 * of app/ticket/projection.h and the changes it runs on. */
#ifndef CB_APP_PIPELINE_H
#define CB_APP_PIPELINE_H

#include <jansson.h>

#include "app/app.h"
#include "app/ticket/projection.h"
#include "app/sla/sla.h"
#include "core/ticket.h"

/* Runs the after-write step for ticket id at now inside the current write
 * transaction. cs: the SLA configuration, or NULL to load it. what: the
 * CB_PROJECT_* changes (a consumer runs when it shares one). */
int cb_pipeline_project(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_ms now, unsigned what,
			cb_err *err);

/* Appends one event that changes no field of the row (a survey response, a
 * system note) at `at` (>= the last event), then runs the after-write step.
 * data is consumed. The caller checked visibility and rules. */
int cb_pipeline_append(cb_conn *c, int64_t id, cb_evtype type, cb_ms at, int64_t actor,
		       json_t *data, cb_err *err);

/* Re-runs the after-write step for every ticket (`casebook report rebuild`),
 * in write batches of `batch`, then derives the KPI rollups again. */
int cb_pipeline_rebuild(cb_app *app, cb_ms now, int batch, int64_t *out_n, cb_err *err);

#endif
