/* queue.c - the persisted job queue: claim, run, then delete or reschedule
 * (see jobs.h).
 *
 * DESIGN
 * The queue is the `jobs` table, ordered by the jobs_due index. Nothing of
 * it is kept in memory: the scheduler reads the earliest runnable instant
 * each turn, so a job inserted by any path (a ticket write that sets a
 * timer, a configuration change, another process) is found, and a crash
 * loses nothing.
 *
 * A job is "due" when due_at < now (strictly): an SLA clock breaches only
 * when it is still running after its due instant, so the breach timer runs
 * 1 ms later.
 *
 * Two transactions per batch. The claim (claim_fn) marks up to a batch of
 * due rows with this runner's node id and a lease (the kind's lease_ms), one
 * UPDATE per row that only matches a row nobody holds or whose lease has
 * run out, so of two claimers racing for a row exactly one sees a change.
 * The run (run_fn) gives each job a savepoint in which it first checks that
 * the row is still held by this node (a claimer whose lease ran out may have
 * been overtaken, and a ticket write may have replaced an SLA timer with a
 * new row), then removes the row and runs the kind's handler (which may
 * set new rows, even of the same kind: an SLA refresh re-sets its ticket's
 * timers, and a new row may reuse the freed id), and puts the row back as a
 * new one if the handler asked to continue. Jobs that came due before the
 * claimed ones meanwhile (a write set a timer in the past between the two
 * transactions) are claimed in the run transaction and run first, so jobs
 * run in due order as one transaction of a single-step scheduler would run
 * them. The handler's changes and the row's removal commit together while
 * the claim holds, so a job runs once: a second claimer only gets the row
 * back if the first one never committed. A failing handler is rolled back to
 * its savepoint alone, logged, counted, and retried after the kind's
 * backoff or dropped after max_attempts. If the run transaction itself
 * fails, the claims are released in a transaction of their own (or, failing
 * that too, their leases run out).
 *
 * For PostgreSQL the claim reads its candidates FOR UPDATE SKIP LOCKED and
 * the run checks the claim the same way; the steps do not change. */
#include "jobs/runner.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

static int kind_index(const cb_jobs *j, const char *name)
{
	for (int i = 0; i < j->nkinds; i++)
		if (j->kinds[i].source == CB_JOB_TIMER && strcmp(j->kinds[i].name, name) == 0)
			return i;
	return j->nkinds; /* unknown: claimed to be dropped, as "other" */
}

/* ---- claim ---- */

#define UNKNOWN_LEASE_MS 60000

/* Claims up to max jobs due before now and ordered before (due, id), into
 * out[*n...]. catch_up: inside a run transaction, where a kind that runs
 * alone is left for a transaction of its own; else such a kind is claimed
 * only as the first and only job. */
static int claim_in(cb_conn *c, cb_jobs *j, cb_ms now, int max, cb_ms due, int64_t id,
		    int catch_up, cb_job *out, int *n, cb_err *err)
{
	int first = *n;
	cb_q *q = cb_q_get(c, CB_SQL_JOBQ_CANDIDATES, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, now);
	cb_q_bind_i64(q, 2, max);
	cb_q_bind_i64(q, 3, due);
	cb_q_bind_i64(q, 4, id);
	/* read the candidates first: the claims update the rows being read */
	int m = first, r = 0;
	while (m < first + max && (r = cb_q_step(q, err)) == 1) {
		cb_job *jb = &out[m++];
		memset(jb, 0, sizeof *jb);
		jb->id = cb_q_i64(q, 0);
		jb->due_at = cb_q_i64(q, 1);
		snprintf(jb->kind, sizeof jb->kind, "%s", cb_q_text(q, 2) ? cb_q_text(q, 2) : "");
		jb->ticket = cb_q_isnull(q, 3) ? 0 : cb_q_i64(q, 3);
		snprintf(jb->clock, sizeof jb->clock, "%s", cb_q_text(q, 4) ? cb_q_text(q, 4) : "");
		jb->instance = cb_q_isnull(q, 5) ? 0 : cb_q_i64(q, 5);
		jb->attempts = (int)cb_q_i64(q, 6);
		jb->kind_index = kind_index(j, jb->kind);
	}
	if (m == first + max)
		cb_q_reset(q);
	else if (r < 0)
		return -1;
	for (int i = first; i < m; i++) {
		cb_job *jb = &out[i];
		int k = jb->kind_index;
		int alone = k < j->nkinds && j->kinds[k].alone;
		if (alone && catch_up)
			continue;
		if (alone && *n > 0)
			break; /* it gets a transaction of its own, next */
		cb_ms lease = k < j->nkinds ? j->kinds[k].lease_ms : UNKNOWN_LEASE_MS;
		q = cb_q_get(c, CB_SQL_JOBQ_CLAIM, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, jb->id);
		cb_q_bind_text(q, 2, j->node);
		cb_q_bind_i64(q, 3, now + lease);
		cb_q_bind_i64(q, 4, now);
		if (cb_q_exec(q, err))
			return -1;
		if (cb_conn_changes(c) != 1)
			continue; /* another claimer was first */
		if (i != *n)
			out[*n] = *jb;
		(*n)++;
		if (alone)
			break;
	}
	return 0;
}

struct claim {
	cb_jobs *j;
	cb_ms now;
	int max;
	cb_job *out;
	int n;
};

static int claim_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct claim *cl = arg;
	cl->n = 0;
	return claim_in(c, cl->j, cl->now, cl->max, cl->now, 0, 0, cl->out, &cl->n, err);
}

int cb_jobs_claim(cb_jobs *j, cb_ms now, int max, cb_job *out, int *n, cb_err *err)
{
	struct claim cl = {.j = j, .now = now, .max = max, .out = out};
	*n = 0;
	if (cb_db_write(j->app->db, claim_fn, &cl, err))
		return -1;
	*n = cl.n;
	return 0;
}

/* ---- run ---- */

struct run {
	cb_jobs *j;
	cb_ms now;
	cb_job *jobs;
	int n;
	int ran, more;
	void *state[CB_JOBS_MAX_KINDS];
	unsigned long long ok[CB_JOBS_MAX_KINDS + 1], failed[CB_JOBS_MAX_KINDS + 1],
		units[CB_JOBS_MAX_KINDS + 1];
};

static int row_exec(cb_conn *c, cb_sql sql, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	return cb_q_exec(q, err);
}

static int reschedule(cb_conn *c, const cb_job *jb, cb_ms due, int64_t instance, int attempts,
		      cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_JOBQ_RESCHEDULE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, jb->id);
	cb_q_bind_i64(q, 2, due);
	cb_q_bind_i64(q, 3, instance);
	cb_q_bind_i64(q, 4, attempts);
	return cb_q_exec(q, err);
}

/* 1 when this node still holds the job, 0 when not, -1 error. */
static int owned(cb_conn *c, const cb_jobs *j, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_JOBQ_OWNED, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, j->node);
	int r = cb_q_step(q, err);
	if (r == 1)
		cb_q_reset(q);
	return r;
}

/* A handler failed (its changes are rolled back): retry later or drop. */
static int failed(cb_conn *c, struct run *rn, cb_job *jb, const cb_err *e, cb_err *err)
{
	const cb_job_kind *k = &rn->j->kinds[jb->kind_index];
	int attempts = jb->attempts + 1;
	rn->failed[jb->kind_index]++;
	if (k->max_attempts && attempts >= k->max_attempts) {
		cb_jobs__log("job_failed", k->name, jb->ticket, k->max_attempts > 1 ? attempts : 0, e);
		return row_exec(c, CB_SQL_JOBQ_DELETE, jb->id, err);
	}
	cb_jobs__log("job_retried", k->name, jb->ticket, attempts, e);
	return reschedule(c, jb, rn->now + cb_jobs__backoff(k, attempts), jb->instance, attempts, err);
}

/* One job in its savepoint: 0, or -1 when the transaction is broken. */
static int run_one(cb_conn *c, struct run *rn, cb_job *jb, cb_err *err)
{
	int r = owned(c, rn->j, jb->id, err);
	if (r <= 0)
		return r; /* overtaken or replaced: not ours to run */
	int k = jb->kind_index;
	if (k == rn->j->nkinds) {
		cb_err e = {0};
		cb_err_set(&e, CB_E_INTERNAL, NULL, "unknown job kind '%.40s' dropped", jb->kind);
		cb_jobs__log("job_failed", jb->kind, jb->ticket, 0, &e);
		rn->failed[k]++;
		return row_exec(c, CB_SQL_JOBQ_DELETE, jb->id, err);
	}
	const cb_job_kind *kd = &rn->j->kinds[k];
	int64_t instance = jb->instance;
	/* removed before the handler runs, as a handler may replace the job's
	 * row (an SLA refresh re-sets its ticket's timers, and a new row may
	 * get the freed id) */
	if (row_exec(c, CB_SQL_JOBQ_DELETE, jb->id, err))
		return -1;
	jb->now = rn->now;
	jb->units = 0;
	cb_err e = {0};
	atomic_fetch_add(&rn->j->running[k], 1);
	int rc = kd->run(c, jb, &rn->state[k], &e);
	atomic_fetch_sub(&rn->j->running[k], 1);
	rn->ran++;
	if (rc < 0) {
		cb_conn_reset_all(c);
		cb_err tmp = {0};
		cb_conn_savepoint(c, CB_SAVEPOINT_ROLLBACK, "job_one", &tmp);
		jb->instance = instance;
		return failed(c, rn, jb, &e, err);
	}
	rn->ok[k]++;
	rn->units[k] += (unsigned long long)jb->units;
	if (rc != CB_JOB_AGAIN)
		return 0;
	rn->more = 1;
	cb_q *q = cb_q_get(c, CB_SQL_JOBQ_REINSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, jb->due_at);
	cb_q_bind_text(q, 2, jb->kind);
	if (jb->ticket)
		cb_q_bind_i64(q, 3, jb->ticket);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_text(q, 4, jb->clock[0] ? jb->clock : NULL);
	cb_q_bind_i64(q, 5, jb->instance);
	return cb_q_exec(q, err);
}

static int job_before(const cb_job *a, const cb_job *b)
{
	return a->due_at < b->due_at || (a->due_at == b->due_at && a->id < b->id);
}

/* Runs the claimed jobs in due order. Jobs that came due before the last
 * of them since the claim (a write committed in between set a timer in the
 * past) are claimed here and run in their place in that order, as one
 * transaction of the old single-step scheduler would have: an SLA timer
 * imported overdue runs before a re-fold claimed just before the import. */
static int run_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct run *rn = arg;
	cb_job *late = NULL;
	int nl = 0;
	if (rn->n > 0) {
		const cb_job *last = &rn->jobs[rn->n - 1];
		late = cb_xcalloc(CB_JOBS_TIMER_BATCH, sizeof *late);
		if (claim_in(c, rn->j, rn->now, CB_JOBS_TIMER_BATCH, last->due_at, last->id, 1, late,
			     &nl, err)) {
			cb_free(late);
			return -1;
		}
	}
	int a = 0, b = 0, rc = 0;
	while (rc == 0 && (a < rn->n || b < nl)) {
		cb_job *jb = b < nl && (a == rn->n || job_before(&late[b], &rn->jobs[a])) ? &late[b++]
											 : &rn->jobs[a++];
		rc = cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "job_one", err) || run_one(c, rn, jb, err) ||
		     cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "job_one", err) ? -1 : 0;
	}
	cb_free(late);
	return rc;
}

static int release_fn(cb_conn *c, void *arg, cb_err *err)
{
	const struct run *rn = arg;
	for (int i = 0; i < rn->n; i++) {
		cb_q *q = cb_q_get(c, CB_SQL_JOBQ_RELEASE, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, rn->jobs[i].id);
		cb_q_bind_text(q, 2, rn->j->node);
		if (cb_q_exec(q, err))
			return -1;
	}
	return 0;
}

int cb_jobs_run_claimed(cb_jobs *j, cb_ms now, cb_job *jobs, int n, int *ran, int *more,
			cb_err *err)
{
	struct run *rn = cb_xcalloc(1, sizeof *rn);
	rn->j = j;
	rn->now = now;
	rn->jobs = jobs;
	rn->n = n;
	int rc = cb_db_write(j->app->db, run_fn, rn, err);
	for (int k = 0; k < j->nkinds; k++)
		if (rn->state[k] && j->kinds[k].txn_end)
			j->kinds[k].txn_end(rn->state[k]);
	if (rc == 0) {
		for (int k = 0; k <= j->nkinds; k++) {
			atomic_fetch_add(&j->runs[k], rn->ok[k]);
			atomic_fetch_add(&j->failed[k], rn->failed[k]);
			atomic_fetch_add(&j->units[k], rn->units[k]);
		}
		*ran = rn->ran;
		*more = rn->more;
	} else {
		cb_err tmp = {0};
		cb_db_write(j->app->db, release_fn, rn, &tmp); /* else the leases run out */
		*ran = 0;
		*more = 0;
	}
	cb_free(rn);
	return rc;
}

int cb_jobs_run_due(cb_jobs *j, cb_ms now, int *out_ran, cb_err *err)
{
	*out_ran = 0;
	cb_job *batch = cb_xcalloc(CB_JOBS_TIMER_BATCH, sizeof *batch);
	int rc = 0;
	while (!cb_jobs__stopping(j)) {
		int n = 0, ran = 0, more = 0;
		rc = cb_jobs_claim(j, now, CB_JOBS_TIMER_BATCH, batch, &n, err);
		if (rc || n == 0)
			break;
		rc = cb_jobs_run_claimed(j, now, batch, n, &ran, &more, err);
		if (rc)
			break;
		*out_ran += ran;
	}
	cb_free(batch);
	return rc;
}

int cb_jobs_next_due(cb_db *db, cb_ms *out, cb_err *err)
{
	cb_conn *c = cb_db_reader(db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_JOBQ_NEXT, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	int have = 0;
	for (int col = 0; col < 2; col++)
		if (!cb_q_isnull(q, col) && (!have || cb_q_i64(q, col) < *out)) {
			*out = cb_q_i64(q, col);
			have = 1;
		}
	cb_q_reset(q);
	return have;
}

int cb_jobs_enqueue_refold(cb_conn *c, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_JOBS_REFOLD_CLEAR, err);
	if (!q || cb_q_exec(q, err))
		return -1;
	q = cb_q_get(c, CB_SQL_JOBS_REFOLD_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, now);
	return cb_q_exec(q, err);
}
