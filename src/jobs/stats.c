/* stats.c - the job system on /metrics (see cb_jobs_metrics_render).
 *
 * Timer kinds are counted from the jobs table (one GROUP BY over it: the
 * jobs of every kind, and the due_at of the oldest one already due);
 * worker kinds by their own pending function. Running jobs, runs and
 * failures are this process's counters. */
#include "jobs/runner.h"
#include "store/sql.h"

#include <string.h>

typedef struct {
	long long n;
	cb_ms oldest; /* since when the oldest pending one waits; 0 none */
} pending;

/* label values: what the `kind` column may hold and still be a label */
static int label_ok(const char *s)
{
	if (!*s || strlen(s) > 60)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_'))
			return 0;
	return 1;
}

static double age_s(cb_ms now, cb_ms since)
{
	return since && since < now ? (double)(now - since) / 1000.0 : 0.0;
}

/* long: one Prometheus family per block, in exposition order */
void cb_jobs_metrics_render(cb_jobs *j, cb_db *db, cb_ms now, cb_buf *b)
{
	if (!j)
		return;
	pending p[CB_JOBS_MAX_KINDS];
	memset(p, 0, sizeof p);
	cb_buf other = {0}, other_age = {0}; /* kinds in the table that no row names */
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_JOBQ_STATS, &err) : NULL;
	if (q)
		cb_q_bind_i64(q, 1, now);
	while (q && cb_q_step(q, &err) == 1) {
		const char *kind = cb_q_text(q, 0) ? cb_q_text(q, 0) : "";
		long long n = (long long)cb_q_i64(q, 1);
		cb_ms oldest = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
		int k = 0;
		while (k < j->nkinds && !(j->kinds[k].source == CB_JOB_TIMER && !strcmp(j->kinds[k].name, kind)))
			k++;
		if (k < j->nkinds) {
			p[k].n = n;
			p[k].oldest = oldest;
		} else if (label_ok(kind)) {
			cb_buf_printf(&other, "casebook_jobs_pending{kind=\"%s\"} %lld\n", kind, n);
			cb_buf_printf(&other_age, "casebook_jobs_oldest_pending_seconds{kind=\"%s\"} %.3f\n",
				      kind, age_s(now, oldest));
		}
	}
	for (int k = 0; k < j->nkinds; k++) {
		const cb_job_kind *kd = &j->kinds[k];
		if (kd->source != CB_JOB_WORKER || !kd->pending)
			continue;
		int64_t n = 0;
		cb_ms since = 0;
		cb_err e = {0};
		if (kd->pending(j->app, now, &n, &since, &e) == 0) {
			p[k].n = (long long)n;
			p[k].oldest = since;
		}
	}

	cb_buf_puts(b, "# HELP casebook_jobs_pending Jobs waiting, by kind (timer jobs: due or not).\n"
		       "# TYPE casebook_jobs_pending gauge\n");
	for (int k = 0; k < j->nkinds; k++)
		cb_buf_printf(b, "casebook_jobs_pending{kind=\"%s\"} %lld\n", j->kinds[k].name, p[k].n);
	if (other.len)
		cb_buf_append(b, other.p, other.len);
	cb_buf_puts(b, "# HELP casebook_jobs_oldest_pending_seconds How long the oldest pending job"
		       " has waited since it became due (0 when none).\n"
		       "# TYPE casebook_jobs_oldest_pending_seconds gauge\n");
	for (int k = 0; k < j->nkinds; k++)
		cb_buf_printf(b, "casebook_jobs_oldest_pending_seconds{kind=\"%s\"} %.3f\n",
			      j->kinds[k].name, age_s(now, p[k].oldest));
	if (other_age.len)
		cb_buf_append(b, other_age.p, other_age.len);
	cb_buf_puts(b, "# HELP casebook_jobs_running Jobs (or worker turns) running in this process.\n"
		       "# TYPE casebook_jobs_running gauge\n");
	for (int k = 0; k < j->nkinds; k++)
		cb_buf_printf(b, "casebook_jobs_running{kind=\"%s\"} %d\n", j->kinds[k].name,
			      atomic_load(&j->running[k]));
	cb_buf_puts(b, "# HELP casebook_jobs_run_total Jobs run (a re-fold batch, a worker turn"
		       " count one).\n"
		       "# TYPE casebook_jobs_run_total counter\n");
	for (int k = 0; k < j->nkinds; k++)
		cb_buf_printf(b, "casebook_jobs_run_total{kind=\"%s\"} %llu\n", j->kinds[k].name,
			      (unsigned long long)atomic_load(&j->runs[k]));
	cb_buf_puts(b, "# HELP casebook_jobs_failed_total Job runs that failed (retried by the"
		       " kind's policy, or dropped).\n"
		       "# TYPE casebook_jobs_failed_total counter\n");
	for (int k = 0; k <= j->nkinds; k++)
		cb_buf_printf(b, "casebook_jobs_failed_total{kind=\"%s\"} %llu\n",
			      k < j->nkinds ? j->kinds[k].name : "other",
			      (unsigned long long)atomic_load(&j->failed[k]));
	unsigned long long refolded = 0;
	for (int k = 0; k < j->nkinds; k++)
		if (!strcmp(j->kinds[k].name, CB_JOB_SLA_REFOLD))
			refolded = atomic_load(&j->units[k]);
	cb_buf_printf(b,
		      "# HELP casebook_sla_refolded_tickets_total Tickets re-folded after SLA configuration changes.\n"
		      "# TYPE casebook_sla_refolded_tickets_total counter\n"
		      "casebook_sla_refolded_tickets_total %llu\n",
		      refolded);
	cb_buf_free(&other);
	cb_buf_free(&other_age);
	if (c)
		cb_conn_reset_all(c);
}
