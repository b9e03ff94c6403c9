/* kb_log.c - see kb_log.h. */
#include "app/knowledge/kb_log.h"
#include "app/knowledge/article.h"
#include "jobs/jobs.h"
#include "util/alloc.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct row {
	int64_t user, account, article;
	cb_role role;
	cb_ms at;
	const char *kind; /* a string literal of the caller */
};

/* The queue of the process (one portal.flush worker per process). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t done;
	int active;           /* a worker flushes it (between open and close) */
	int urgent;           /* a reader of the counts waits: flush at once */
	cb_db *db;
	struct row *rows;
	size_t n, cap;
	int64_t first_mono;   /* monotonic ms when rows[0] was queued */
	uint64_t queued, committed; /* rows queued / written (or dropped) so far */
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct batch {
	const struct row *rows;
	size_t n;
};

static int write_fn(cb_conn *c, void *arg, cb_err *err)
{
	const struct batch *b = arg;
	for (size_t i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		cb_actor a = {.user_id = r->user, .role = r->role, .account_id = r->account};
		if (cb_kb_record(c, &a, r->at, r->kind, r->article, err))
			return -1;
	}
	return 0;
}

static void log_failure(size_t n, const cb_err *e)
{
	json_t *o = json_pack("{s:s, s:I, s:s}", "event", "kb_activity_dropped", "rows",
			      (json_int_t)n, "error", e->message);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s); /* jansson's allocation */
	json_decref(o);
}

/* Writes a batch; a busy writer (overload shedding) is retried a few times. */
static void write_batch(cb_db *db, const struct row *rows, size_t n)
{
	struct batch b = {rows, n};
	cb_err e = {0};
	for (int attempt = 0; attempt < 5; attempt++) {
		memset(&e, 0, sizeof e);
		if (cb_db_write(db, write_fn, &b, &e) == 0)
			return;
		if (e.code != CB_E_BUSY)
			break;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	log_failure(n, &e);
}

int cb_kb_log_open(cb_app *app, cb_err *err)
{
	(void)err;
	pthread_mutex_lock(&S.mu);
	S.db = app->db;
	S.active = 1;
	pthread_mutex_unlock(&S.mu);
	return 0;
}

/* Gathers for up to CB_KB_LOG_DELAY_MS after the first row: every commit
 * makes the readers drop their page caches (WAL), so one write per
 * interval, not one per portal request; a full batch or a reader of the
 * counts cuts the wait short. */
int cb_kb_log_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err)
{
	(void)app;
	(void)err;
	pthread_mutex_lock(&S.mu);
	if (S.n == 0) {
		pthread_mutex_unlock(&S.mu);
		*sleep_ms = 60000; /* the first row kicks the worker */
		return 0;
	}
	int64_t waited = mono_ms() - S.first_mono;
	if (!S.urgent && S.n < CB_KB_LOG_BATCH && waited < CB_KB_LOG_DELAY_MS) {
		pthread_mutex_unlock(&S.mu);
		*sleep_ms = CB_KB_LOG_DELAY_MS - waited;
		return 0;
	}
	S.urgent = 0;
	struct row *rows = S.rows;
	size_t n = S.n;
	uint64_t upto = S.queued;
	cb_db *db = S.db;
	S.rows = NULL;
	S.n = S.cap = 0;
	pthread_mutex_unlock(&S.mu);
	write_batch(db, rows, n);
	cb_free(rows);
	pthread_mutex_lock(&S.mu);
	S.committed = upto;
	pthread_cond_broadcast(&S.done);
	pthread_mutex_unlock(&S.mu);
	*sleep_ms = 0; /* look again: rows may have come meanwhile */
	return 0;
}

int cb_kb_log_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err)
{
	(void)app;
	(void)err;
	pthread_mutex_lock(&S.mu);
	*n = (int64_t)S.n;
	*oldest = S.n ? now - (cb_ms)(mono_ms() - S.first_mono) : 0;
	pthread_mutex_unlock(&S.mu);
	return 0;
}

void cb_kb_log_record(cb_db *db, const cb_actor *actor, cb_ms now, const char *kind,
		      int64_t article)
{
	if (!actor->user_id)
		return;
	struct row r = {actor->user_id, actor->account_id, article, actor->role, now, kind};
	pthread_mutex_lock(&S.mu);
	if (S.active && S.db == db && S.n < CB_KB_LOG_MAX) {
		if (S.n == S.cap) {
			S.cap = S.cap ? 2 * S.cap : 64;
			S.rows = cb_xrealloc(S.rows, S.cap * sizeof *S.rows);
		}
		if (S.n == 0)
			S.first_mono = mono_ms();
		S.rows[S.n++] = r;
		S.queued++;
		if (S.n == 1 || S.n >= CB_KB_LOG_BATCH)
			cb_jobs_kick_kind(CB_JOB_PORTAL_FLUSH);
		pthread_mutex_unlock(&S.mu);
		return;
	}
	pthread_mutex_unlock(&S.mu);
	write_batch(db, &r, 1); /* no queue for this database, or it is full */
}

void cb_kb_log_sync(cb_db *db)
{
	pthread_mutex_lock(&S.mu);
	if (S.active && S.db == db) {
		uint64_t target = S.queued;
		if (S.committed < target) {
			S.urgent = 1;
			cb_jobs_kick_kind(CB_JOB_PORTAL_FLUSH);
		}
		while (S.committed < target)
			pthread_cond_wait(&S.done, &S.mu);
	}
	pthread_mutex_unlock(&S.mu);
	cb_db_snapshot_refresh(db); /* the request reads what was just written */
}

void cb_kb_log_close(cb_app *app)
{
	(void)app;
	pthread_mutex_lock(&S.mu);
	struct row *late = S.rows; /* queued after the worker's last turn */
	size_t n = S.n;
	cb_db *db = S.db;
	S.rows = NULL;
	S.n = S.cap = 0;
	S.committed = S.queued;
	S.active = 0;
	S.db = NULL;
	pthread_cond_broadcast(&S.done);
	pthread_mutex_unlock(&S.mu);
	if (n)
		write_batch(db, late, n);
	cb_free(late);
}
