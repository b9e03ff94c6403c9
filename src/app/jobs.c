/* jobs.c - the persisted job queue and its scheduler thread (see jobs.h).
 *
 * DESIGN
 * The queue is the `jobs` table; its order is the jobs_due index. The
 * scheduler keeps no job in memory: each turn it reads the earliest due_at
 * on its own reader connection (one indexed LIMIT 1 read), and either runs
 * a batch of due jobs through the writer or sleeps on a condition variable
 * (CLOCK_MONOTONIC) until 1 ms after that instant, at most
 * CB_JOBS_RECHECK_MS, or until cb_jobs_kick() / cb_jobs_stop() signal it.
 * Because every turn starts from the table, a job inserted by any path (a
 * ticket write that sets a timer, a configuration change, another process)
 * is found, and nothing is lost by a crash: a restart simply finds the
 * overdue rows and runs them first.
 *
 * A job is "due" when due_at < now (strictly): an SLA clock breaches only
 * when it is still running after its due instant, so the breach timer runs
 * 1 ms later. Timer jobs are removed, then the ticket is refreshed inside
 * its own savepoint; a failure rolls back only that ticket, is logged as a
 * JSON line on stderr and counted. An at-risk timer refreshes the ticket as
 * of the timer's own instant, so that a timer that runs late (the server
 * was down) still sees the clock at risk and records it before the breach
 * timer records the breach; sla_fired keeps each event to one per clock
 * instance whatever happens.
 *
 * A re-fold runs one batch of CB_JOBS_REFOLD_BATCH tickets per write
 * transaction and stores its cursor in the job row, so request traffic
 * interleaves with it at the writer and a restart resumes it. */
#include "app/jobs.h"
#include "app/pipeline.h"
#include "app/incident.h"
#include "app/sla.h"
#include "app/sla_config.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { K_AT_RISK, K_BREACHED, K_REFOLD, K_INCIDENT_DUE, K_OTHER, K__COUNT };
static const char *const kind_names[K__COUNT] = {CB_JOB_SLA_AT_RISK, CB_JOB_SLA_BREACHED,
						 CB_JOB_SLA_REFOLD, CB_JOB_INCIDENT_UPDATE_DUE,
						 "other"};

/* counters for /metrics (since the process started) */
static atomic_ullong runs_total[K__COUNT];
static atomic_ullong failed_total[K__COUNT];
static atomic_ullong refolded_total;

/* the scheduler (one per process) */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC; valid while started */
	pthread_t thread;
	int started;
	int kicked;        /* a kick arrived since the last read of the queue */
	atomic_int stop;
	cb_app *app;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int kind_index(const char *k)
{
	for (int i = 0; i < K_OTHER; i++)
		if (strcmp(k, kind_names[i]) == 0)
			return i;
	return K_OTHER;
}

/* One JSON line on stderr, like the server's request log. */
static void log_failure(const char *kind, int64_t ticket, const cb_err *e)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "event", "job_failed", "kind", kind,
			      "status", cb_err_http_status(e->code), "error", e->message);
	if (ticket)
		json_object_set_new(o, "ticket", json_integer(ticket));
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s); /* jansson's allocation */
	json_decref(o);
}

/* ---- running due jobs ---- */

struct batch {
	cb_ms now;
	int ran;                       /* jobs run (a re-fold batch counts one) */
	int more;                      /* stopped early: more may be due */
	unsigned long long ok[K__COUNT], failed[K__COUNT], refolded;
	cb_sla_cfgset *cs;             /* loaded once per transaction */
};

static int job_delete(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_JOBS_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	return cb_q_exec(q, err);
}

/* Refreshes one ticket inside its own savepoint. 1 done, 0 failed (rolled
 * back and logged), -1 when the transaction itself is broken. */
static int run_timer(cb_conn *c, struct batch *b, const char *kind, int64_t ticket, cb_ms at,
		     cb_err *err)
{
	if (!b->cs && cb_sla_cfgset_load(c, &b->cs, err))
		return -1;
	if (cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "job_one", err))
		return -1;
	cb_err e = {0};
	int ok = cb_pipeline_project(c, b->cs, ticket, at, CB_PROJECT_CLOCKS, &e) == 0;
	if (!ok) {
		cb_conn_reset_all(c);
		cb_err tmp = {0};
		cb_conn_savepoint(c, CB_SAVEPOINT_ROLLBACK, "job_one", &tmp);
		log_failure(kind, ticket, &e);
	}
	if (cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "job_one", err))
		return -1;
	return ok;
}

/* An incident's customer update deadline (app/incident.c records the one
 * overdue entry), in its own savepoint like run_timer. */
static int run_incident_due(cb_conn *c, int64_t incident, cb_ms due, cb_err *err)
{
	if (cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "job_one", err))
		return -1;
	cb_err e = {0};
	int ok = cb_incident_fire_overdue(c, incident, due, &e) == 0;
	if (!ok) {
		cb_conn_reset_all(c);
		cb_err tmp = {0};
		cb_conn_savepoint(c, CB_SAVEPOINT_ROLLBACK, "job_one", &tmp);
		log_failure(CB_JOB_INCIDENT_UPDATE_DUE, 0, &e);
	}
	if (cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "job_one", err))
		return -1;
	return ok;
}

static int batch_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct batch *b = arg;
	while (b->ran < CB_JOBS_TIMER_BATCH) {
		cb_q *q = cb_q_get(c, CB_SQL_JOBS_FIRST_DUE, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, b->now);
		int r = cb_q_step(q, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0; /* nothing else is due */
		int64_t id = cb_q_i64(q, 0);
		cb_ms due = cb_q_i64(q, 1);
		char kind[64];
		snprintf(kind, sizeof kind, "%s", cb_q_text(q, 2) ? cb_q_text(q, 2) : "");
		int64_t ticket = cb_q_isnull(q, 3) ? 0 : cb_q_i64(q, 3);
		int64_t instance = cb_q_isnull(q, 5) ? 0 : cb_q_i64(q, 5);
		cb_q_reset(q);
		int k = kind_index(kind);
		if (k == K_REFOLD) {
			if (b->ran > 0) {
				b->more = 1; /* a re-fold batch gets a transaction of its own */
				return 0;
			}
			int64_t last = 0;
			int n = 0;
			if (cb_slacfg_refold_batch(c, b->now, instance, CB_JOBS_REFOLD_BATCH, &last, &n,
						   err))
				return -1;
			if (n < CB_JOBS_REFOLD_BATCH) {
				if (job_delete(c, id, err))
					return -1;
			} else {
				q = cb_q_get(c, CB_SQL_JOBS_PROGRESS, err);
				if (!q)
					return -1;
				cb_q_bind_i64(q, 1, id);
				cb_q_bind_i64(q, 2, last);
				if (cb_q_exec(q, err))
					return -1;
			}
			b->ok[K_REFOLD]++;
			b->refolded += (unsigned long long)n;
			b->ran++;
			b->more = 1;
			return 0;
		}
		if (job_delete(c, id, err))
			return -1;
		b->ran++;
		if (k == K_INCIDENT_DUE) {
			int rc = run_incident_due(c, instance, due, err);
			if (rc < 0)
				return -1;
			if (rc)
				b->ok[k]++;
			else
				b->failed[k]++;
			continue;
		}
		if (k == K_OTHER || !ticket) {
			cb_err e = {0};
			cb_err_set(&e, CB_E_INTERNAL, NULL, "unknown job kind '%.40s' dropped", kind);
			log_failure(kind, ticket, &e);
			b->failed[K_OTHER]++;
			continue;
		}
		/* at risk: as of its own instant (see DESIGN); breach: now > due */
		int rc = run_timer(c, b, kind, ticket, k == K_AT_RISK ? due : b->now, err);
		if (rc < 0)
			return -1;
		if (rc)
			b->ok[k]++;
		else
			b->failed[k]++;
	}
	b->more = 1;
	return 0;
}

/* One write transaction of due jobs; counters updated once committed. */
static int run_batch(cb_app *app, cb_ms now, struct batch *b, cb_err *err)
{
	memset(b, 0, sizeof *b);
	b->now = now;
	int rc = cb_db_write(app->db, batch_fn, b, err);
	cb_sla_cfgset_free(b->cs);
	b->cs = NULL;
	if (rc)
		return -1;
	for (int k = 0; k < K__COUNT; k++) {
		atomic_fetch_add(&runs_total[k], b->ok[k]);
		atomic_fetch_add(&failed_total[k], b->failed[k]);
	}
	atomic_fetch_add(&refolded_total, b->refolded);
	return 0;
}

int cb_jobs_run_due(cb_app *app, cb_ms now, int *out_ran, cb_err *err)
{
	*out_ran = 0;
	for (;;) {
		struct batch b;
		if (run_batch(app, now, &b, err))
			return -1;
		*out_ran += b.ran;
		if (!b.more || b.ran == 0 || atomic_load(&S.stop))
			return 0;
	}
}

/* ---- the scheduler thread ---- */

/* 1 and *out = the earliest due_at, 0 when the queue is empty, -1 error. */
static int next_due(cb_db *db, cb_ms *out, cb_err *err)
{
	cb_conn *c = cb_db_reader(db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_JOBS_NEXT_DUE, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r == 1) {
		*out = cb_q_i64(q, 0);
		cb_q_reset(q);
	}
	return r;
}

/* Sleeps (S.mu held) up to ms, or until a kick or stop. */
static void sleep_locked(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!S.kicked && !atomic_load(&S.stop))
		if (pthread_cond_timedwait(&S.cv, &S.mu, &ts) == ETIMEDOUT)
			break;
}

static void *scheduler_main(void *arg)
{
	cb_app *app = arg;
	while (!atomic_load(&S.stop)) {
		pthread_mutex_lock(&S.mu);
		S.kicked = 0;
		pthread_mutex_unlock(&S.mu);
		cb_err err = {0};
		cb_ms now = cb_now_ms(), next = 0;
		int64_t wait = CB_JOBS_RECHECK_MS;
		int have = next_due(app->db, &next, &err);
		if (have < 0) {
			log_failure("scheduler", 0, &err);
		} else if (have == 1 && next < now) {
			struct batch b;
			if (run_batch(app, now, &b, &err) == 0)
				continue; /* look again at once: more may be due */
			log_failure("scheduler", 0, &err);
		} else if (have == 1 && next - now + 1 < wait) {
			wait = next - now + 1;
		}
		pthread_mutex_lock(&S.mu);
		sleep_locked(wait);
		pthread_mutex_unlock(&S.mu);
	}
	return NULL;
}

int cb_jobs_start(cb_app *app, cb_err *err)
{
	pthread_mutex_lock(&S.mu);
	if (S.started) {
		pthread_mutex_unlock(&S.mu);
		return cb_err_set(err, CB_E_INTERNAL, NULL, "the job scheduler is already running");
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.cv, &ca);
	pthread_condattr_destroy(&ca);
	S.app = app;
	S.kicked = 0;
	atomic_store(&S.stop, 0);
	if (pthread_create(&S.thread, NULL, scheduler_main, app) != 0) {
		pthread_cond_destroy(&S.cv);
		pthread_mutex_unlock(&S.mu);
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot start the job scheduler");
	}
	S.started = 1;
	pthread_mutex_unlock(&S.mu);
	return 0;
}

void cb_jobs_stop(void)
{
	pthread_mutex_lock(&S.mu);
	if (!S.started) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	atomic_store(&S.stop, 1);
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);
	pthread_mutex_lock(&S.mu);
	S.started = 0;
	S.app = NULL;
	pthread_cond_destroy(&S.cv);
	pthread_mutex_unlock(&S.mu);
}

void cb_jobs_kick(void)
{
	pthread_mutex_lock(&S.mu);
	if (S.started) {
		S.kicked = 1;
		pthread_cond_signal(&S.cv);
	}
	pthread_mutex_unlock(&S.mu);
}

/* ---- metrics ---- */

static int label_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_'))
			return 0;
	return 1;
}

void cb_jobs_metrics_render(cb_db *db, cb_buf *b)
{
	cb_buf_puts(b, "# HELP casebook_jobs_run_total Background jobs run (a re-fold batch counts one).\n"
		       "# TYPE casebook_jobs_run_total counter\n");
	for (int k = 0; k < K_OTHER; k++)
		cb_buf_printf(b, "casebook_jobs_run_total{kind=\"%s\"} %llu\n", kind_names[k],
			      (unsigned long long)atomic_load(&runs_total[k]));
	cb_buf_puts(b, "# HELP casebook_jobs_failed_total Background jobs that failed and were dropped.\n"
		       "# TYPE casebook_jobs_failed_total counter\n");
	for (int k = 0; k < K__COUNT; k++)
		cb_buf_printf(b, "casebook_jobs_failed_total{kind=\"%s\"} %llu\n", kind_names[k],
			      (unsigned long long)atomic_load(&failed_total[k]));
	cb_buf_printf(b,
		      "# HELP casebook_sla_refolded_tickets_total Tickets re-folded after SLA configuration changes.\n"
		      "# TYPE casebook_sla_refolded_tickets_total counter\n"
		      "casebook_sla_refolded_tickets_total %llu\n",
		      (unsigned long long)atomic_load(&refolded_total));
	cb_buf_puts(b, "# HELP casebook_jobs_pending Jobs waiting in the queue (due or not).\n"
		       "# TYPE casebook_jobs_pending gauge\n");
	long long known[K_OTHER] = {0};
	cb_buf other = {0};
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_JOBS_PENDING, &err) : NULL;
	while (q && cb_q_step(q, &err) == 1) {
		const char *kind = cb_q_text(q, 0);
		long long n = (long long)cb_q_i64(q, 1);
		int k = kind ? kind_index(kind) : K_OTHER;
		if (k < K_OTHER)
			known[k] = n;
		else if (kind && label_ok(kind))
			cb_buf_printf(&other, "casebook_jobs_pending{kind=\"%s\"} %lld\n", kind, n);
	}
	for (int k = 0; k < K_OTHER; k++)
		cb_buf_printf(b, "casebook_jobs_pending{kind=\"%s\"} %lld\n", kind_names[k], known[k]);
	if (other.len)
		cb_buf_append(b, other.p, other.len);
	cb_buf_free(&other);
}
