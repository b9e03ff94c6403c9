/* runner.c - the threads of the job system (see jobs.h).
 *
 * DESIGN
 * Every thread of the runner is the same loop (`loop`): call the thread's
 * turn, then sleep on its condition variable (CLOCK_MONOTONIC) for as long
 * as the turn asked, unless a kick or a stop arrived meanwhile; a kick that
 * comes while the turn runs makes the next turn start at once. The timer
 * scheduler's turn runs one claimed batch of due jobs (queue.c) or computes
 * the sleep until the earliest one; a worker kind's turn is its own
 * function, counted and logged here. Stopping signals every thread, joins
 * them (each ends after its current turn), then calls the worker kinds'
 * close hooks (the portal-activity flush writes what is left).
 *
 * Kicks reach the process's runner through one registered pointer (set by
 * cb_jobs_start, cleared under the same mutex before the threads stop), so
 * app code can wake a worker without holding a handle: a kick is only a
 * hint, every worker also re-checks on a timer. */
#include "jobs/runner.h"
#include "util/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static cb_jobs *current; /* the running runner kicks reach, or NULL */

/* ---- node id ---- */

static pthread_once_t node_once = PTHREAD_ONCE_INIT;
static char node_id[128];

static void node_init(void)
{
	char host[64] = "";
	if (gethostname(host, sizeof host - 1) != 0 || !*host)
		snprintf(host, sizeof host, "host");
	unsigned char r[6] = {0};
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		cb_ms t = cb_now_ms();
		memcpy(r, &t, sizeof r);
	}
	snprintf(node_id, sizeof node_id, "%s:%ld:%02x%02x%02x%02x%02x%02x", host, (long)getpid(),
		 r[0], r[1], r[2], r[3], r[4], r[5]);
}

const char *cb_jobs_node_id(void)
{
	pthread_once(&node_once, node_init);
	return node_id;
}

/* ---- logging ---- */

void cb_jobs__log(const char *event, const char *kind, int64_t ticket, int attempt,
		  const cb_err *e)
{
	json_t *o = json_pack("{s:s, s:s}", "event", event, "kind", kind);
	if (e) {
		json_object_set_new(o, "status", json_integer(cb_err_http_status(e->code)));
		json_object_set_new(o, "error", json_string(e->message));
	}
	if (ticket)
		json_object_set_new(o, "ticket", json_integer(ticket));
	if (attempt)
		json_object_set_new(o, "attempt", json_integer(attempt));
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s); /* jansson's allocation */
	json_decref(o);
}

cb_ms cb_jobs__backoff(const cb_job_kind *k, int failures)
{
	cb_ms wait = k->backoff_base_ms;
	for (int i = 1; i < failures && wait < k->backoff_max_ms; i++)
		wait *= 2;
	return k->backoff_max_ms && wait > k->backoff_max_ms ? k->backoff_max_ms : wait;
}

/* ---- one thread ---- */

static void thread_init(cb_jobs_thread *t, cb_jobs *j, int kind, long (*turn)(cb_jobs_thread *))
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	t->j = j;
	t->kind = kind;
	t->turn = turn;
}

static void *loop(void *p)
{
	cb_jobs_thread *t = p;
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		t->kicked = 0;
		pthread_mutex_unlock(&t->mu);
		long ms = t->turn(t);
		pthread_mutex_lock(&t->mu);
		if (ms < 0)
			break; /* finished for good */
		if (t->stop || t->kicked || ms == 0)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!t->stop && !t->kicked)
			if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void thread_kick(cb_jobs_thread *t)
{
	pthread_mutex_lock(&t->mu);
	t->kicked = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void thread_signal_stop(cb_jobs_thread *t)
{
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* ---- turns ---- */

/* The scheduler: one claimed batch when something is due, else the sleep
 * until the earliest job (at most CB_JOBS_RECHECK_MS). */
static long scheduler_turn(cb_jobs_thread *t)
{
	cb_jobs *j = t->j;
	cb_err err = {0};
	cb_ms now = cb_now_ms(), next = 0;
	int have = cb_jobs_next_due(j->app->db, &next, &err);
	if (have < 0) {
		cb_jobs__log("job_failed", "scheduler", 0, 0, &err);
		return CB_JOBS_RECHECK_MS;
	}
	if (have == 1 && next < now) {
		cb_job *batch = cb_xcalloc(CB_JOBS_TIMER_BATCH, sizeof *batch);
		int n = 0, ran = 0, more = 0;
		int rc = cb_jobs_claim(j, now, CB_JOBS_TIMER_BATCH, batch, &n, &err);
		if (rc == 0 && n)
			rc = cb_jobs_run_claimed(j, now, batch, n, &ran, &more, &err);
		cb_free(batch);
		if (rc == 0)
			return 0; /* look again at once: more may be due */
		cb_jobs__log("job_failed", "scheduler", 0, 0, &err);
		return CB_JOBS_RECHECK_MS;
	}
	if (have == 1 && next - now + 1 < CB_JOBS_RECHECK_MS)
		return (long)(next - now + 1);
	return CB_JOBS_RECHECK_MS;
}

/* A worker kind: its turn, counted; consecutive failures back off by the
 * kind's policy. */
static long worker_turn(cb_jobs_thread *t)
{
	cb_jobs *j = t->j;
	const cb_job_kind *k = &j->kinds[t->kind];
	cb_ms sleep = CB_JOBS_RECHECK_MS;
	cb_err err = {0};
	atomic_fetch_add(&j->running[t->kind], 1);
	int rc = k->turn(j->app, &sleep, &err);
	atomic_fetch_sub(&j->running[t->kind], 1);
	if (rc < 0) {
		atomic_fetch_add(&j->failed[t->kind], 1);
		t->failures++;
		cb_jobs__log("job_failed", k->name, 0, t->failures, &err);
		cb_ms wait = cb_jobs__backoff(k, t->failures);
		if (wait > sleep)
			sleep = wait;
	} else {
		atomic_fetch_add(&j->runs[t->kind], 1);
		t->failures = 0;
	}
	if (rc == 1)
		return -1;
	return sleep < 0 ? 0 : (long)sleep;
}

/* ---- the runner ---- */

cb_jobs *cb_jobs_new(cb_app *app, const cb_job_kind *kinds, int nkinds, const char *node)
{
	cb_jobs *j = cb_xcalloc(1, sizeof *j);
	j->app = app;
	j->kinds = kinds;
	j->nkinds = nkinds < CB_JOBS_MAX_KINDS ? nkinds : CB_JOBS_MAX_KINDS;
	snprintf(j->node, sizeof j->node, "%s", node ? node : cb_jobs_node_id());
	for (int i = 0; i < j->nkinds; i++)
		if (kinds[i].source == CB_JOB_TIMER)
			j->has_timers = 1;
	return j;
}

void cb_jobs_free(cb_jobs *j)
{
	if (!j)
		return;
	cb_jobs_stop(j);
	cb_free(j);
}

static void stop_threads(cb_jobs *j)
{
	atomic_store(&j->stopping, 1);
	if (j->sched_on)
		thread_signal_stop(&j->sched);
	for (int i = 0; i < j->nthreads; i++)
		thread_signal_stop(&j->threads[i]);
	if (j->sched_on)
		pthread_join(j->sched.th, NULL);
	for (int i = 0; i < j->nthreads; i++)
		pthread_join(j->threads[i].th, NULL);
	for (int i = j->nthreads - 1; i >= 0; i--) {
		const cb_job_kind *k = &j->kinds[j->threads[i].kind];
		if (k->close)
			k->close(j->app);
	}
	if (j->sched_on) {
		pthread_cond_destroy(&j->sched.cv);
		pthread_mutex_destroy(&j->sched.mu);
	}
	for (int i = 0; i < j->nthreads; i++) {
		pthread_cond_destroy(&j->threads[i].cv);
		pthread_mutex_destroy(&j->threads[i].mu);
	}
	j->sched_on = 0;
	j->nthreads = 0;
}

int cb_jobs_start(cb_jobs *j, cb_err *err)
{
	if (j->started)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "the job runner is already running");
	atomic_store(&j->stopping, 0);
	j->started_at = cb_now_ms();
	if (j->has_timers) {
		thread_init(&j->sched, j, -1, scheduler_turn);
		if (pthread_create(&j->sched.th, NULL, loop, &j->sched) != 0) {
			pthread_cond_destroy(&j->sched.cv);
			pthread_mutex_destroy(&j->sched.mu);
			return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot start the job scheduler");
		}
		j->sched_on = 1;
	}
	for (int i = 0; i < j->nkinds; i++) {
		const cb_job_kind *k = &j->kinds[i];
		if (k->source != CB_JOB_WORKER)
			continue;
		if (k->open && k->open(j->app, err))
			goto fail;
		cb_jobs_thread *t = &j->threads[j->nthreads];
		thread_init(t, j, i, worker_turn);
		if (pthread_create(&t->th, NULL, loop, t) != 0) {
			pthread_cond_destroy(&t->cv);
			pthread_mutex_destroy(&t->mu);
			if (k->close)
				k->close(j->app);
			cb_err_set(err, CB_E_INTERNAL, NULL, "cannot start the %s worker", k->name);
			goto fail;
		}
		j->nthreads++;
	}
	j->started = 1;
	pthread_mutex_lock(&reg_mu);
	current = j;
	pthread_mutex_unlock(&reg_mu);
	return 0;
fail:
	stop_threads(j);
	return -1;
}

void cb_jobs_stop(cb_jobs *j)
{
	if (!j || !j->started)
		return;
	pthread_mutex_lock(&reg_mu);
	if (current == j)
		current = NULL;
	pthread_mutex_unlock(&reg_mu);
	stop_threads(j);
	j->started = 0;
}

int cb_jobs__stopping(cb_jobs *j)
{
	return atomic_load(&j->stopping);
}

void cb_jobs_kick(void)
{
	pthread_mutex_lock(&reg_mu);
	if (current && current->sched_on)
		thread_kick(&current->sched);
	pthread_mutex_unlock(&reg_mu);
}

void cb_jobs_kick_kind(const char *kind)
{
	pthread_mutex_lock(&reg_mu);
	for (int i = 0; current && i < current->nthreads; i++)
		if (strcmp(current->kinds[current->threads[i].kind].name, kind) == 0)
			thread_kick(&current->threads[i]);
	pthread_mutex_unlock(&reg_mu);
}
