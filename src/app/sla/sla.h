/* sla.h - the SLA engine's use cases: folding a ticket's clocks from its
 * events with the configured policies and calendars, keeping the queue
 * summary (ticket_sla), the clock instances (sla_instances) and the timers
 * (jobs) up to date in the ticket's own write transaction, and rendering
 * the `sla` object and its history at the request's `now`. */
#ifndef CB_APP_SLA_H
#define CB_APP_SLA_H
#include <jansson.h>

#include "app/app.h"
#include "app/ticket/projection.h"
#include "core/kpi.h"
#include "core/sla.h"
#include "util/buf.h"

/* Policies and calendars as loaded from the database. */
typedef struct cb_slasvc_cfgset cb_slasvc_cfgset;

/* Returns the current configuration, shared and reference-counted: loaded
 * once and reused while policies and calendars are unchanged (a cheap
 * version query per call). Release with cb_slasvc_cfgset_free. */
int cb_slasvc_cfgset_load(cb_conn *c, cb_slasvc_cfgset **out, cb_err *err);
void cb_slasvc_cfgset_free(cb_slasvc_cfgset *cs);
/* casebook_sla_fold_cache_{hits,misses}_total for /metrics. */
void cb_slasvc_metrics_render(cb_buf *b);
/* Drops the shared configuration and the cached folds (at exit). */
void cb_slasvc_cache_shutdown(void);

/* Folds ticket `id` (caller frees with cb_sla_free). */
int cb_slasvc_fold_ticket(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_sla *out, cb_err *err);

/* The same fold with the ticket's KPI facts over the same events (for the
 * after-write step, app/ticket/pipeline.c). */
int cb_slasvc_fold_with_kpi(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_sla *out, cb_kpi *kpi,
			 cb_err *err);
/* The after-write step's consumer: stores the queue summary, instances and
 * timers of p's fold; records at-risk and breach events already due at
 * p->now exactly once. */
int cb_slasvc_project(const cb_projection *p, cb_err *err);

/* The API's `sla` object at now (the _with form reuses a loaded config).
 * nevents: the ticket's event count (tickets.nevents), which keys a cache
 * of folds (the log is append-only); 0 folds afresh and keeps nothing. */
json_t *cb_slasvc_render(cb_conn *c, int64_t id, int nevents, cb_ms now, cb_err *err);
json_t *cb_slasvc_render_with(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, int nevents, cb_ms now,
			   cb_err *err);
/* The same objects for a page of tickets in a bounded number of statements
 * (a list or queue page; app/ticket/ticket_page.c):
 *   p = cb_slasvc_page_begin(c, cs, n, ids, nevents)  looks up the cached folds
 *       (no statement); ids and nevents must outlive p;
 *   cb_slasvc_page_accounts(p, &accts)  the accounts whose tiers those folds
 *       depend on: the caller loads them (with the page's own accounts);
 *   cb_slasvc_page_render(p, known, ctx, now, out, err)  out[i] for ids[i]
 *       (NULL where cb_slasvc_render_with would fail for that ticket alone),
 *       reading the events of the tickets without a current fold in one
 *       statement; known(ctx, account, &tier) gives the tiers the caller
 *       loaded (1, tier NULL for no such account) or 0 (then it is read).
 *       -1 with err (and out all NULL) on a database error. */
typedef struct cb_slasvc_page cb_slasvc_page;
typedef int (*cb_slasvc_tier_known)(void *ctx, int64_t account_id, const char **tier);
cb_slasvc_page *cb_slasvc_page_begin(cb_conn *c, const cb_slasvc_cfgset *cs, int n, const int64_t *ids,
			       const int *nevents);
int cb_slasvc_page_accounts(const cb_slasvc_page *p, const int64_t **accts);
int cb_slasvc_page_render(cb_slasvc_page *p, cb_slasvc_tier_known known, void *ctx, cb_ms now,
		       json_t **out, cb_err *err);
void cb_slasvc_page_free(cb_slasvc_page *p);

/* {"items":[{clock, instance, kind, at, elapsed_s, target_s, policy}]}. */
json_t *cb_slasvc_history(cb_conn *c, int64_t id, cb_ms now, cb_err *err);

#endif
