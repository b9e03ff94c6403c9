/* report.h - reporting use cases: the KPIs of docs/metrics.md section 5 over a
 * period (grouped, bucketed in a time zone, as JSON or CSV), the
 * operational reports (backlog, queue health, top drivers, throughput) and
 * the business gauges of /metrics.
 *
 * Every ticket write re-folds the ticket's KPI facts (core/kpi.h) in the
 * same transaction (cb_report_project, a consumer of the after-write step
 * of app/ticket/pipeline.c), so a
 * report is a few indexed range reads of kpi_facts, never an event scan. */
#ifndef CB_APP_REPORT_H
#define CB_APP_REPORT_H
#include <jansson.h>

#include "app/app.h"
#include "app/ticket/projection.h"
#include "core/kpi.h"
#include "util/buf.h"

/* Inside the ticket's write transaction: completes the KPI fold (kpi and s
 * folded over the same events) and rewrites the ticket's facts. */
int cb_report_store_facts(cb_conn *c, int64_t id, cb_kpi *kpi, const cb_sla *s, cb_err *err);
/* The after-write step's consumer: the facts of p's fold. */
int cb_report_project(const cb_projection *p, cb_err *err);
/* For rebuilds: the number of tickets, and the ids after `after` (at most
 * max, ascending). */
int cb_report_ticket_count(cb_app *app, int64_t *out, cb_err *err);
int cb_report_ticket_ids(cb_app *app, int64_t after, int max, int64_t *ids, int *out_n,
			 cb_err *err);

typedef struct {
	const char *from, *to;  /* RFC 3339, required; from < to */
	const char *group_by;   /* NULL, priority, account, tier, category, group, assignee */
	const char *bucket;     /* NULL, day, week, month */
	const char *tz;         /* IANA zone of the bucket edges (default UTC) */
	int source_facts;       /* compute from the per-ticket facts only, without the
				   rollups (a check of the rollups: same result) */
} cb_report_spec;

/* The KPIs report (docs/metrics.md section 5 layout); with a bucket,
 * {"from", "to", "group_by", "bucket", "tz", "buckets": [{"from", "to",
 * "kpis", "groups"?}]}. 422 names the bad parameter. */
json_t *cb_report_kpis(cb_conn *c, const cb_report_spec *spec, cb_ms now, cb_err *err);
/* The same report as CSV: a header, then one row per bucket (or the whole
 * period) and group: from, to, group_by, scope ("all" or "group"), key, then
 * one column per leaf of the kpis object named by its dotted path. Empty
 * field = null. Appends to out. */
void cb_report_csv(json_t *report, cb_buf *out);
/* JSON text with decimals as written (2 or 4 places, no binary noise). */
char *cb_report_dumps(json_t *v); /* jansson-allocated: free() */

/* Backlog aging per priority at `at` (default now), optionally grouped:
 * {"at", "group_by", "backlog_aging", "groups"?: [{"key", "backlog_aging"}]}. */
json_t *cb_report_backlog(cb_conn *c, const char *at, const char *group_by, cb_ms now,
			  cb_err *err);
/* Open tickets per group with their SLA state at now:
 * {"at", "total": {open, at_risk, breached}, "groups": [{"key", ...}]}. */
json_t *cb_report_queue_health(cb_conn *c, cb_ms now, cb_err *err);
/* Categories and tags of the tickets created in [from, to) by volume, with
 * the previous period of equal length: {"from", "to", "previous": {"from",
 * "to"}, "categories": [{"key", "count", "previous", "change"}], "tags": [...]}. */
json_t *cb_report_top_drivers(cb_conn *c, const char *from, const char *to, int limit,
			      cb_err *err);
/* Final solves in [from, to) per assignee or group (`by`: "agent" default,
 * "group") weighted by priority: weights "P1:8,P2:4,P3:2,P4:1" from the
 * query, else the setting report_weights ({"P1": 8, ...}), else those. */
json_t *cb_report_throughput(cb_conn *c, const char *from, const char *to, const char *by,
			     const char *weights, cb_err *err);

/* Business gauges and counters for /metrics (read on the caller's reader):
 * casebook_tickets_open{priority,status}, casebook_sla_clocks{clock,state}
 * (running, paused, at_risk, breached), casebook_sla_breaches_total{clock}. */
void cb_report_metrics_render(cb_db *db, cb_ms now, cb_buf *b);

/* Re-derives kpi_rollup from kpi_facts in one write (after a bulk copy of
 * facts by SQL, or as a repair). */
int cb_report_rollups_derive(cb_app *app, cb_err *err);

#endif
