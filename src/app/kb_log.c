/* kb_log.c - see kb_log.h. */
#include "app/kb_log.h"
#include "app/article.h"
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

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t thread;
	int started, stop, urgent;
	cb_db *db;
	struct row *rows;
	size_t n, cap;
	uint64_t queued, committed; /* rows queued / written (or dropped) so far */
} S = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

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

static void *flusher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&S.mu);
	for (;;) {
		while (S.n == 0 && !S.stop)
			pthread_cond_wait(&S.work, &S.mu);
		if (S.n == 0)
			break; /* stopping, and drained */
		/* gather for up to CB_KB_LOG_DELAY_MS: every commit makes the readers
		 * drop their page caches (WAL), so one write per interval, not one
		 * per portal request; a reader of the counts cuts the wait short */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)CB_KB_LOG_DELAY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!S.stop && !S.urgent && S.n < CB_KB_LOG_BATCH)
			if (pthread_cond_timedwait(&S.work, &S.mu, &until) != 0)
				break;
		S.urgent = 0;
		struct row *rows = S.rows;
		size_t n = S.n;
		uint64_t upto = S.queued;
		S.rows = NULL;
		S.n = S.cap = 0;
		cb_db *db = S.db;
		pthread_mutex_unlock(&S.mu);
		write_batch(db, rows, n);
		cb_free(rows);
		pthread_mutex_lock(&S.mu);
		S.committed = upto;
		pthread_cond_broadcast(&S.done);
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

void cb_kb_log_record(cb_db *db, const cb_actor *actor, cb_ms now, const char *kind,
		      int64_t article)
{
	if (!actor->user_id)
		return;
	struct row r = {actor->user_id, actor->account_id, article, actor->role, now, kind};
	pthread_mutex_lock(&S.mu);
	if (!S.started && !S.stop) {
		S.db = db;
		S.started = pthread_create(&S.thread, NULL, flusher_main, NULL) == 0;
	}
	if (S.started && S.db == db && S.n < CB_KB_LOG_MAX) {
		if (S.n == S.cap) {
			S.cap = S.cap ? 2 * S.cap : 64;
			S.rows = cb_xrealloc(S.rows, S.cap * sizeof *S.rows);
		}
		S.rows[S.n++] = r;
		S.queued++;
		if (S.n == 1 || S.n >= CB_KB_LOG_BATCH)
			pthread_cond_signal(&S.work);
		pthread_mutex_unlock(&S.mu);
		return;
	}
	pthread_mutex_unlock(&S.mu);
	write_batch(db, &r, 1); /* no queue for this database, or it is full */
}

void cb_kb_log_sync(cb_db *db)
{
	pthread_mutex_lock(&S.mu);
	if (S.started && S.db == db) {
		uint64_t target = S.queued;
		if (S.committed < target) {
			S.urgent = 1;
			pthread_cond_signal(&S.work);
		}
		while (S.committed < target)
			pthread_cond_wait(&S.done, &S.mu);
	}
	pthread_mutex_unlock(&S.mu);
	cb_db_snapshot_refresh(db); /* the request reads what was just written */
}

void cb_kb_log_stop(void)
{
	pthread_mutex_lock(&S.mu);
	if (!S.started) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	S.stop = 1;
	pthread_cond_signal(&S.work);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);
	pthread_mutex_lock(&S.mu);
	struct row *late = S.rows; /* queued after the flusher's last turn */
	size_t n = S.n;
	cb_db *db = S.db;
	S.rows = NULL;
	S.n = S.cap = 0;
	S.committed = S.queued;
	S.started = 0;
	S.stop = 0;
	S.db = NULL;
	pthread_cond_broadcast(&S.done);
	pthread_mutex_unlock(&S.mu);
	if (n)
		write_batch(db, late, n);
	cb_free(late);
}
