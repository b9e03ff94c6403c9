/* pipeline.c - the after-write step (see pipeline.h).
 *
 * DESIGN
 * One fold of the ticket's event log feeds every consumer: the clocks and
 * the KPI facts come out of the same pass (app/sla/sla.c folds; core/ does the
 * work), so the SLA rows, the facts and their rollups always describe the
 * same history. Consumers run in the order of the table; the first error
 * stops the step and the caller's transaction rolls back, so a write and
 * its projections land together or not at all. */
#include "app/ticket/pipeline.h"
#include "app/ticket/eventlog.h"
#include "app/report/report.h"
#include "app/knowledge/search.h"
#include "util/alloc.h"

/* The consumers of the after-write step, in the order they run. */
static const struct {
	const char *name;
	unsigned on;         /* CB_PROJECT_* changes it runs on */
	cb_projection_fn run;
} consumers[] = {
	{"sla", CB_PROJECT_ALL, cb_slasvc_project},         /* clocks, queue index, timers */
	{"kpi", CB_PROJECT_ALL, cb_report_project},      /* KPI facts and hourly rollups */
	{"search", CB_PROJECT_CONTENT, cb_searchsvc_project}, /* the ticket's search document */
};

int cb_pipeline_project(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_ms now, unsigned what,
			cb_err *err)
{
	cb_slasvc_cfgset *own = NULL;
	if (!cs) {
		if (cb_slasvc_cfgset_load(c, &own, err))
			return -1;
		cs = own;
	}
	cb_sla s;
	cb_kpi kpi;
	cb_kpi_init(&kpi);
	int rc = cb_slasvc_fold_with_kpi(c, cs, id, &s, &kpi, err);
	if (rc == 0) {
		cb_projection p = {.c = c, .ticket = id, .now = now, .what = what, .sla = &s, .kpi = &kpi};
		for (size_t i = 0; rc == 0 && i < sizeof consumers / sizeof *consumers; i++)
			if (consumers[i].on & what)
				rc = consumers[i].run(&p, err);
		cb_sla_free(&s);
	}
	cb_kpi_free(&kpi);
	cb_slasvc_cfgset_free(own);
	return rc ? -1 : 0;
}

int cb_pipeline_append(cb_conn *c, int64_t id, cb_evtype type, cb_ms at, int64_t actor,
		       json_t *data, cb_err *err)
{
	if (cb_eventlog_append(c, id, type, at, actor, data, err))
		return -1;
	return cb_pipeline_project(c, NULL, id, at, CB_PROJECT_ALL, err);
}

/* ---- rebuild ---- */

struct rebuild {
	int64_t *ids;
	int n;
	cb_ms now;
};

static int rebuild_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct rebuild *rb = arg;
	cb_slasvc_cfgset *cs = NULL;
	if (cb_slasvc_cfgset_load(c, &cs, err))
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < rb->n; i++)
		rc = cb_pipeline_project(c, cs, rb->ids[i], rb->now, CB_PROJECT_ALL, err);
	cb_slasvc_cfgset_free(cs);
	return rc;
}

int cb_pipeline_rebuild(cb_app *app, cb_ms now, int batch, int64_t *out_n, cb_err *err)
{
	*out_n = 0;
	int64_t total = 0, after = 0;
	if (cb_report_ticket_count(app, &total, err))
		return -1;
	int64_t *ids = cb_xmalloc((size_t)batch * sizeof *ids);
	int rc = 0;
	for (;;) {
		int n = 0;
		if (cb_report_ticket_ids(app, after, batch, ids, &n, err)) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		struct rebuild rb = {ids, n, now};
		if (cb_db_write(app->db, rebuild_fn, &rb, err)) {
			rc = -1;
			break;
		}
		*out_n += n;
		after = ids[n - 1];
		cb_progress_report(&app->progress, *out_n, total);
	}
	cb_free(ids);
	return rc ? rc : cb_report_rollups_derive(app, err);
}
