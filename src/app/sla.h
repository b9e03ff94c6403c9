/* sla.h - the SLA engine's use cases: folding a ticket's clocks from its
 * events with the configured policies and calendars, keeping the queue
 * summary (ticket_sla), the clock instances (sla_instances) and the timers
 * (jobs) up to date in the ticket's own write transaction, and rendering
 * the `sla` object and its history at the request's `now`. */
#ifndef CB_APP_SLA_H
#define CB_APP_SLA_H
#include <jansson.h>

#include "app/app.h"
#include "app/projection.h"
#include "core/kpi.h"
#include "core/sla.h"
#include "util/buf.h"

/* Policies and calendars as loaded from the database. */
typedef struct cb_sla_cfgset cb_sla_cfgset;

/* Returns the current configuration, shared and reference-counted: loaded
 * once and reused while policies and calendars are unchanged (a cheap
 * version query per call). Release with cb_sla_cfgset_free. */
int cb_sla_cfgset_load(cb_conn *c, cb_sla_cfgset **out, cb_err *err);
void cb_sla_cfgset_free(cb_sla_cfgset *cs);
/* casebook_sla_fold_cache_{hits,misses}_total for /metrics. */
void cb_sla_metrics_render(cb_buf *b);
/* Drops the shared configuration and the cached folds (at exit). */
void cb_sla_cache_shutdown(void);

/* Folds ticket `id` (caller frees with cb_sla_free). */
int cb_sla_fold_ticket(cb_conn *c, const cb_sla_cfgset *cs, int64_t id, cb_sla *out, cb_err *err);

/* The same fold with the ticket's KPI facts over the same events (for the
 * after-write step, app/pipeline.c). */
int cb_sla_fold_with_kpi(cb_conn *c, const cb_sla_cfgset *cs, int64_t id, cb_sla *out, cb_kpi *kpi,
			 cb_err *err);
/* The after-write step's consumer: stores the queue summary, instances and
 * timers of p's fold; records at-risk and breach events already due at
 * p->now exactly once. */
int cb_sla_project(const cb_projection *p, cb_err *err);

/* The API's `sla` object at now (the _with form reuses a loaded config).
 * nevents: the ticket's event count (tickets.nevents), which keys a cache
 * of folds (the log is append-only); 0 folds afresh and keeps nothing. */
json_t *cb_sla_render(cb_conn *c, int64_t id, int nevents, cb_ms now, cb_err *err);
json_t *cb_sla_render_with(cb_conn *c, const cb_sla_cfgset *cs, int64_t id, int nevents, cb_ms now,
			   cb_err *err);
/* {"items":[{clock, instance, kind, at, elapsed_s, target_s, policy}]}. */
json_t *cb_sla_history(cb_conn *c, int64_t id, cb_ms now, cb_err *err);

#endif
