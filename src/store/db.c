/* db.c - SQLite connections, migrations, statement cache, group commit.
 *
 * DESIGN
 * One writer thread owns the only write connection. cb_db_write() queues a
 * job and waits. The writer takes every queued job (up to max_batch), opens
 * one IMMEDIATE transaction, runs each job inside its own SAVEPOINT (a job
 * that fails is rolled back to its savepoint alone), commits once, and only
 * then wakes the callers. With synchronous=FULL the commit is one fsync for
 * the whole batch: durable acknowledgements at the cost of one sync per
 * batch rather than per request.
 *
 * Overload: the queue is bounded (max_queue jobs; beyond it cb_db_write()
 * answers CB_E_BUSY at once) and, when queue_wait_ms is set, a job the
 * writer has not taken within that time is unlinked and answered CB_E_BUSY.
 * Either way its function never ran, so a refused write wrote nothing and
 * can be retried. A job the writer has taken is always waited for.
 *
 * Readers: each thread gets its own connection (WAL lets them read while the
 * writer writes), found through a pthread key and registered so that
 * cb_db_close() can close them all. The key's destructor closes a thread's
 * connection when the thread exits: with a thread per HTTP connection,
 * readers would otherwise pile up (with their page caches) for every
 * connection ever made, until shutdown.
 *
 * Statement cache: an open-addressing table keyed by the address of the SQL
 * string (static storage), prepared with SQLITE_PREPARE_PERSISTENT. */
#include "store/db.h"
#include "store/internal.h"
#include "store/fts_rank.h"
#include "store/migrations.h"
#include "util/alloc.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cb_conn {
	sqlite3 *h;
	cb_db *db;
	sqlite3_stmt *stmts[CB_SQL__COUNT]; /* named statements, prepared on first use */
	struct cb_conn *next_reader; /* registry chain (thread-local readers) */
	struct cb_conn *next_pooled; /* every pooled reader / the idle ones */
	struct cb_conn *next_idle;
	int snapshot;                /* a request's read transaction is open */
	atomic_ullong nstmts;        /* statements run (cb_conn_statements) */
	atomic_llong cache_bytes;    /* page cache, as of its last use (pool, writer) */
};

struct job {
	cb_write_fn fn;
	void *arg;
	cb_err *err;
	int rc;
	int taken; /* the writer has detached it from the queue */
	int done;
	struct job *next;
};

struct cb_db {
	char *dir, *path;
	cb_db_opts opts;
	cb_conn *writer;
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv_work; /* writer waits for jobs */
	pthread_cond_t cv_done; /* callers wait for their job */
	struct job *head, *tail;
	int nqueued;            /* jobs in head..tail */
	pthread_key_t key;
	pthread_mutex_t readers_mu;
	cb_conn *readers;
	/* the pool of readers lent to requests (cb_db_request_begin) */
	pthread_key_t lent;
	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv;
	cb_conn *pooled, *idle;
	int npooled, pool_max;
	cb_db_stats stats; /* guarded by mu: the writer thread counts its batches,
			    * callers count refusals, /metrics reads them */
};

static int sql_err(sqlite3 *h, int rc, cb_err *err)
{
	int base = rc & 0xff;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return cb_err_set(err, CB_E_CONFLICT, NULL, "already exists");
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return cb_err_set(err, CB_E_BUSY, NULL, "database busy");
	if (base == SQLITE_CONSTRAINT)
		return cb_err_set(err, CB_E_INVALID, NULL, "constraint failed: %s",
				  h ? sqlite3_errmsg(h) : "");
	return cb_err_set(err, CB_E_INTERNAL, NULL, "database error: %s",
			  h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

/* Records c's page cache size; only its current user may call this
 * (connections are not shared while in use). */
static void note_cache(cb_conn *c)
{
	int cur = 0, hi = 0;
	if (sqlite3_db_status(c->h, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0) == SQLITE_OK)
		atomic_store(&c->cache_bytes, cur);
}

/* SQLITE_TRACE_STMT fires when a statement starts running (and again for
 * each trigger program it runs, whose text starts with "--"): one count
 * per statement run, cached, one-off or plain SQL (cb_conn_exec). */
static int count_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)p;
	const char *sql = x;
	if (!(sql && sql[0] == '-' && sql[1] == '-'))
		atomic_fetch_add_explicit(&((cb_conn *)ctx)->nstmts, 1, memory_order_relaxed);
	return 0;
}

static int conn_open(cb_db *db, cb_conn **out, int writer, cb_err *err)
{
	sqlite3 *h = NULL;
	/* only the writer of a new data directory (`casebook init`) creates the
	 * file; every other connection opens an existing one */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (writer && !db->opts.existing ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(db->path, &h, flags, NULL);
	if (rc != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", db->path,
			   h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, 10000);
	sqlite3_extended_result_codes(h, 1);
	cb_fts_rank_register(h); /* the search index's ranking (store/fts_rank.h) */
	/* The writer keeps temp_store=FILE: with MEMORY, SQLite's statement
	 * sub-journal is an in-memory list of 1 KiB chunks that is walked from
	 * its head on every statement release, so a job touching many pages
	 * inside the writer's SAVEPOINT (an import batch, a re-fold batch)
	 * costs O(pages^2); bench/README.md, "import hot spot". Readers map up
	 * to 256 MiB of the file, which saves a copy per page on the long range
	 * reads of reports and queues. */
	char pragmas[512];
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 "PRAGMA cache_size=-65536; PRAGMA temp_store=%s;%s",
		 db->opts.synchronous_full ? "FULL" : "NORMAL", writer ? "FILE" : "MEMORY",
		 writer ? "" : " PRAGMA query_only=ON; PRAGMA mmap_size=268435456;");
	char *msg = NULL;
	rc = sqlite3_exec(h, pragmas, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", db->path,
			   msg ? msg : "");
		sqlite3_free(msg);
		sqlite3_close(h);
		return -1;
	}
	cb_conn *c = cb_xcalloc(1, sizeof *c);
	c->h = h;
	c->db = db;
	sqlite3_trace_v2(h, SQLITE_TRACE_STMT, count_stmt, c);
	*out = c;
	return 0;
}

static void conn_close(cb_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < CB_SQL__COUNT; i++)
		if (c->stmts[i])
			sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->h);
	cb_free(c);
}

/* ---- statement cache ---- */

/* A named statement of the connection: prepared once (persistent), reset
 * and unbound at each use. */
cb_q *cb_q_get(cb_conn *c, cb_sql id, cb_err *err)
{
	if ((unsigned)id >= CB_SQL__COUNT || id == CB_SQL_NONE) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "no statement %d", (int)id);
		return NULL;
	}
	sqlite3_stmt *st = c->stmts[id];
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return (cb_q *)st;
	}
	int rc = sqlite3_prepare_v3(c->h, cb_sql_sqlite_text(id), -1, SQLITE_PREPARE_PERSISTENT,
				    &st, NULL);
	if (rc != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot prepare statement %d: %s", (int)id,
			   sqlite3_errmsg(c->h));
		return NULL;
	}
	c->stmts[id] = st;
	return (cb_q *)st;
}

cb_q *cb_q_prepare(cb_conn *c, const char *sql, cb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot prepare statement: %s",
			   sqlite3_errmsg(c->h));
		return NULL;
	}
	return (cb_q *)st;
}

void cb_q_free(cb_q *q)
{
	sqlite3_finalize((sqlite3_stmt *)q);
}

#define ST(q) ((sqlite3_stmt *)(q))

void cb_q_bind_i64(cb_q *q, int i, int64_t v) { sqlite3_bind_int64(ST(q), i, v); }
void cb_q_bind_double(cb_q *q, int i, double v) { sqlite3_bind_double(ST(q), i, v); }
void cb_q_bind_null(cb_q *q, int i) { sqlite3_bind_null(ST(q), i); }

void cb_q_bind_text(cb_q *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(ST(q), i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(ST(q), i);
}

void cb_q_bind_textn(cb_q *q, int i, const char *s, size_t n)
{
	sqlite3_bind_text(ST(q), i, s, (int)n, SQLITE_TRANSIENT);
}

void cb_q_bind_blob(cb_q *q, int i, const void *p, size_t n)
{
	sqlite3_bind_blob(ST(q), i, p, (int)n, SQLITE_TRANSIENT);
}

int cb_q_step(cb_q *q, cb_err *err)
{
	int rc = sqlite3_step(ST(q));
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(ST(q));
		return 0;
	}
	sqlite3 *h = sqlite3_db_handle(ST(q));
	int ext = sqlite3_extended_errcode(h);
	sql_err(h, ext ? ext : rc, err);
	sqlite3_reset(ST(q));
	return -1;
}

void cb_q_reset(cb_q *q) { sqlite3_reset(ST(q)); }
int64_t cb_q_i64(cb_q *q, int col) { return sqlite3_column_int64(ST(q), col); }
double cb_q_double(cb_q *q, int col) { return sqlite3_column_double(ST(q), col); }
const char *cb_q_text(cb_q *q, int col) { return (const char *)sqlite3_column_text(ST(q), col); }
int cb_q_isnull(cb_q *q, int col) { return sqlite3_column_type(ST(q), col) == SQLITE_NULL; }

const void *cb_q_blob(cb_q *q, int col, size_t *n)
{
	const void *p = sqlite3_column_blob(ST(q), col);
	*n = (size_t)sqlite3_column_bytes(ST(q), col);
	return p;
}

int cb_q_exec(cb_q *q, cb_err *err)
{
	int rc;
	while ((rc = cb_q_step(q, err)) == 1)
		;
	return rc;
}

static int one_row(cb_q *q, int64_t *out, cb_err *err)
{
	int rc = cb_q_step(q, err);
	if (rc == 1) {
		if (out)
			*out = cb_q_i64(q, 0);
		cb_q_reset(q);
	}
	return rc;
}

int cb_q_one_by_text(cb_conn *c, cb_sql sql, const char *key, int64_t *out, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, key);
	return one_row(q, out, err);
}

int cb_q_one_by_id(cb_conn *c, cb_sql sql, int64_t id, int64_t *out, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	return one_row(q, out, err);
}

int cb_q_exec_id(cb_q *q, int64_t *out_id, cb_err *err)
{
	int rc, first = 1;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (first && out_id)
			*out_id = cb_q_i64(q, 0);
		first = 0;
	}
	return rc;
}
int cb_conn_changes(cb_conn *c) { return sqlite3_changes(c->h); }
cb_db *cb_conn_db(cb_conn *c) { return c->db; }
uint64_t cb_conn_statements(cb_conn *c)
{
	return atomic_load_explicit(&c->nstmts, memory_order_relaxed);
}

int cb_conn_exec(cb_conn *c, const char *sql, cb_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int ext = sqlite3_extended_errcode(c->h);
		sqlite3_free(msg);
		return sql_err(c->h, ext ? ext : rc, err);
	}
	return 0;
}

int cb_conn_run(cb_conn *c, cb_sql id, cb_err *err)
{
	const char *sql = (unsigned)id < CB_SQL__COUNT ? cb_sql_sqlite_text(id) : NULL;
	if (!sql)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "no statement %d", (int)id);
	return cb_conn_exec(c, sql, err);
}

int cb_conn_savepoint(cb_conn *c, cb_savepoint_op op, const char *name, cb_err *err)
{
	static const char *const verb[] = {"SAVEPOINT", "ROLLBACK TO", "RELEASE"};
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != n || (unsigned)op > 2)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "bad savepoint");
	char sql[64];
	snprintf(sql, sizeof sql, "%s %s", verb[op], name);
	return cb_conn_exec(c, sql, err);
}

void cb_conn_reset_all(cb_conn *c)
{
	sqlite3_stmt *st = NULL;
	while ((st = sqlite3_next_stmt(c->h, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

/* ---- migrations ---- */

static int migrate(cb_conn *c, cb_err *err)
{
	cb_q *q = cb_q_prepare(c, "PRAGMA user_version", err);
	if (!q)
		return -1;
	int version = 0;
	if (cb_q_step(q, err) == 1)
		version = (int)cb_q_i64(q, 0);
	cb_q_free(q);
	for (int i = version; i < cb_migrations_count; i++) {
		char setv[64];
		snprintf(setv, sizeof setv, "PRAGMA user_version=%d", i + 1);
		if (cb_conn_exec(c, "BEGIN IMMEDIATE", err))
			return -1;
		if (cb_conn_exec(c, cb_migrations[i], err) || cb_conn_exec(c, setv, err)) {
			cb_err tmp = {0};
			cb_conn_exec(c, "ROLLBACK", &tmp);
			return -1;
		}
		if (cb_conn_exec(c, "COMMIT", err))
			return -1;
	}
	return 0;
}

/* ---- writer ---- */

static int exec_cached(cb_conn *c, cb_sql id, cb_err *err)
{
	cb_q *q = cb_q_get(c, id, err);
	return q ? cb_q_exec(q, err) : -1;
}

/* Runs the batch in one transaction; returns how many of its jobs committed,
 * or -1 when the transaction could not begin (every job failed). */
static int run_batch(cb_db *db, struct job *batch, int *out_retried)
{
	cb_conn *c = db->writer;
	cb_err berr = {0};
	int nok = 0;
	if (exec_cached(c, CB_SQL_TX_BEGIN_IMMEDIATE, &berr)) {
		for (struct job *j = batch; j; j = j->next) {
			*j->err = berr;
			j->rc = -1;
		}
		return -1;
	}
	for (struct job *j = batch; j; j = j->next) {
		cb_err serr = {0};
		if (exec_cached(c, CB_SQL_TX_SAVEPOINT_JOB, &serr)) {
			*j->err = serr;
			j->rc = -1;
			continue;
		}
		/* a decision made on state that changed under it (CB_E_STALE:
		 * another writer, on a server database) is made again on the
		 * fresh state, a few times, before the client hears 409 */
		for (int attempt = 1;; attempt++) {
			j->rc = j->fn(c, j->arg, j->err);
			cb_conn_reset_all(c);
			if (j->rc == 0 || j->err->code != CB_E_STALE || attempt == CB_DB_STALE_TRIES)
				break;
			(*out_retried)++;
			cb_err_clear(j->err);
			exec_cached(c, CB_SQL_TX_ROLLBACK_TO_JOB, &serr);
		}
		if (j->rc != 0) {
			if (j->err->code == CB_OK)
				cb_err_set(j->err, CB_E_INTERNAL, NULL, "write failed");
			exec_cached(c, CB_SQL_TX_ROLLBACK_TO_JOB, &serr);
			exec_cached(c, CB_SQL_TX_RELEASE_JOB, &serr);
		} else {
			exec_cached(c, CB_SQL_TX_RELEASE_JOB, &serr);
			nok++;
		}
	}
	cb_err cerr = {0};
	if (exec_cached(c, CB_SQL_TX_COMMIT, &cerr)) {
		cb_err rerr = {0};
		exec_cached(c, CB_SQL_TX_ROLLBACK, &rerr);
		for (struct job *j = batch; j; j = j->next) {
			if (j->rc == 0) {
				cb_err_clear(j->err);
				*j->err = cerr;
				j->rc = -1;
			}
		}
		nok = 0;
	}
	note_cache(c);
	return nok;
}

static void *writer_main(void *p)
{
	cb_db *db = p;
	pthread_mutex_lock(&db->mu);
	for (;;) {
		while (!db->head && db->running)
			pthread_cond_wait(&db->cv_work, &db->mu);
		if (!db->head && !db->running)
			break;
		/* take up to max_batch jobs */
		struct job *batch = db->head, *last = batch;
		int n = 1;
		batch->taken = 1;
		while (last->next && n < db->opts.max_batch) {
			last = last->next;
			last->taken = 1;
			n++;
		}
		db->head = last->next;
		if (!db->head)
			db->tail = NULL;
		last->next = NULL;
		db->nqueued -= n;
		pthread_mutex_unlock(&db->mu);
		int retried = 0;
		int nok = run_batch(db, batch, &retried);
		pthread_mutex_lock(&db->mu);
		db->stats.retried += (uint64_t)retried;
		if (nok >= 0) {
			db->stats.commits++;
			db->stats.jobs += (uint64_t)n;
			db->stats.failed += (uint64_t)(n - nok);
			if ((uint64_t)n > db->stats.max_batch)
				db->stats.max_batch = (uint64_t)n;
		}
		for (struct job *j = batch; j; j = j->next)
			j->done = 1;
		pthread_cond_broadcast(&db->cv_done);
	}
	pthread_mutex_unlock(&db->mu);
	return NULL;
}

/* Removes a job the writer has not taken from the queue (mu held). */
static void unlink_job(cb_db *db, struct job *j)
{
	struct job *prev = NULL;
	for (struct job *p = db->head; p; prev = p, p = p->next) {
		if (p != j)
			continue;
		if (prev)
			prev->next = p->next;
		else
			db->head = p->next;
		if (db->tail == p)
			db->tail = prev;
		db->nqueued--;
		return;
	}
}

/* ---- request snapshots ---- */

/* request transactions (the statements are prepared once per connection) */
static int run_cached(cb_conn *c, cb_sql sql)
{
	cb_err e = {0};
	return exec_cached(c, sql, &e);
}

/* A pooled reader for this request: an idle one, a new one while fewer
 * than pool_max are open, else the first returned within the wait; NULL
 * after the wait (the thread's own reader serves then: never unbounded). */
static cb_conn *pool_take(cb_db *db)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&db->pool_mu);
	cb_conn *c = NULL;
	for (;;) {
		if (db->idle) {
			c = db->idle;
			db->idle = c->next_idle;
			break;
		}
		if (db->npooled < db->pool_max) {
			db->npooled++;
			pthread_mutex_unlock(&db->pool_mu);
			cb_err e = {0};
			if (conn_open(db, &c, 0, &e)) {
				pthread_mutex_lock(&db->pool_mu);
				db->npooled--;
				pthread_mutex_unlock(&db->pool_mu);
				return NULL;
			}
			pthread_mutex_lock(&db->pool_mu);
			c->next_pooled = db->pooled;
			db->pooled = c;
			break;
		}
		if (pthread_cond_timedwait(&db->pool_cv, &db->pool_mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&db->pool_mu);
	return c;
}

void cb_db_request_begin(cb_db *db, int snapshot)
{
	cb_conn *c = pthread_getspecific(db->lent);
	if (!c && (c = pool_take(db)))
		pthread_setspecific(db->lent, c);
	if (!snapshot)
		return;
	cb_err e = {0};
	if (!c && !(c = cb_db_reader(db, &e)))
		return;
	/* deferred: the snapshot is taken by the first read */
	if (!c->snapshot && run_cached(c, CB_SQL_TX_BEGIN) == 0)
		c->snapshot = 1;
}

void cb_db_request_end(cb_db *db)
{
	cb_conn *lent = pthread_getspecific(db->lent);
	cb_conn *c = lent ? lent : pthread_getspecific(db->key);
	if (c && c->snapshot) {
		cb_conn_reset_all(c);
		if (run_cached(c, CB_SQL_TX_COMMIT))
			run_cached(c, CB_SQL_TX_ROLLBACK);
		c->snapshot = 0;
	}
	if (!lent)
		return;
	cb_conn_reset_all(lent);
	note_cache(lent);
	pthread_setspecific(db->lent, NULL);
	pthread_mutex_lock(&db->pool_mu);
	lent->next_idle = db->idle;
	db->idle = lent;
	pthread_cond_signal(&db->pool_cv);
	pthread_mutex_unlock(&db->pool_mu);
}

void cb_db_snapshot_refresh(cb_db *db)
{
	cb_conn *c = pthread_getspecific(db->lent);
	if (!c)
		c = pthread_getspecific(db->key);
	if (!c || !c->snapshot)
		return;
	sqlite3_stmt *st = NULL;
	while ((st = sqlite3_next_stmt(c->h, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			return;
	if (run_cached(c, CB_SQL_TX_COMMIT))
		run_cached(c, CB_SQL_TX_ROLLBACK);
	if (run_cached(c, CB_SQL_TX_BEGIN))
		c->snapshot = 0;
}

int cb_db_write(cb_db *db, cb_write_fn fn, void *arg, cb_err *err)
{
	struct job j = {.fn = fn, .arg = arg, .err = err};
	pthread_mutex_lock(&db->mu);
	if (!db->running) {
		pthread_mutex_unlock(&db->mu);
		return cb_err_set(err, CB_E_BUSY, NULL, "shutting down");
	}
	if (db->opts.max_queue >= 0 && db->nqueued >= db->opts.max_queue) {
		int n = db->nqueued;
		db->stats.rejected++;
		pthread_mutex_unlock(&db->mu);
		return cb_err_set(err, CB_E_BUSY, NULL, "overloaded: %d writes already queued", n);
	}
	if (db->tail)
		db->tail->next = &j;
	else
		db->head = &j;
	db->tail = &j;
	db->nqueued++;
	pthread_cond_signal(&db->cv_work);
	int wait_ms = db->opts.queue_wait_ms;
	struct timespec deadline;
	if (wait_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += wait_ms / 1000;
		deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	while (!j.done) {
		if (wait_ms <= 0 || j.taken) {
			pthread_cond_wait(&db->cv_done, &db->mu);
			continue;
		}
		if (pthread_cond_timedwait(&db->cv_done, &db->mu, &deadline) == ETIMEDOUT &&
		    !j.taken) {
			unlink_job(db, &j);
			db->stats.rejected++;
			pthread_mutex_unlock(&db->mu);
			return cb_err_set(err, CB_E_BUSY, NULL,
					  "overloaded: the write waited %d ms for the writer", wait_ms);
		}
	}
	pthread_mutex_unlock(&db->mu);
	cb_db_snapshot_refresh(db);
	return j.rc;
}

void cb_db_set_write_limits(cb_db *db, int max_queue, int queue_wait_ms)
{
	pthread_mutex_lock(&db->mu);
	db->opts.max_queue = max_queue ? max_queue : 4096;
	if (queue_wait_ms >= 0)
		db->opts.queue_wait_ms = queue_wait_ms;
	pthread_mutex_unlock(&db->mu);
}

void cb_db_get_stats(cb_db *db, cb_db_stats *out)
{
	pthread_mutex_lock(&db->mu);
	*out = db->stats;
	out->queued = (uint64_t)db->nqueued;
	pthread_mutex_unlock(&db->mu);
	/* SQLite's own memory statistics are off (cb_db_global_init), so
	 * the page caches of the writer and the pooled readers are summed */
	uint64_t b = (uint64_t)atomic_load(&db->writer->cache_bytes);
	pthread_mutex_lock(&db->pool_mu);
	for (cb_conn *c = db->pooled; c; c = c->next_pooled)
		b += (uint64_t)atomic_load(&c->cache_bytes);
	pthread_mutex_unlock(&db->pool_mu);
	out->sqlite_bytes = b;
}

void cb_db_global_init(void)
{
	/* SQLite counts every allocation under one global mutex when memory
	 * statistics are on (the default): 8% of a ticket GET at 8 clients,
	 * contended. cb_db_get_stats reports page caches instead. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- open/close ---- */

/* pthread key destructor: the exiting thread's reader. cb_db_close() empties
 * the registry first, so a connection is closed exactly once. */
static void reader_exit(void *p)
{
	cb_conn *c = p;
	cb_db *db = c->db;
	int found = 0;
	pthread_mutex_lock(&db->readers_mu);
	for (cb_conn **pp = &db->readers; *pp; pp = &(*pp)->next_reader) {
		if (*pp == c) {
			*pp = c->next_reader;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&db->readers_mu);
	if (found)
		conn_close(c);
}

/* long: the open sequence (look, writer, readers, migrations) with one cleanup path */
int cb_db_open(cb_db **out, const char *dir, const cb_db_opts *opts, cb_err *err)
{
	if (opts && opts->existing) {
		char file[4096];
		struct stat st;
		snprintf(file, sizeof file, "%s/casebook.db", dir);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return cb_err_set(err, CB_E_NOTFOUND, NULL,
					  "%s is not a Casebook data directory (%s)", dir,
					  stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
		if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
			return cb_err_set(err, CB_E_NOTFOUND, NULL,
					  "%s is not a Casebook data directory (no casebook.db)", dir);
		/* look before the writer configures (and so writes) the file */
		sqlite3 *h = NULL;
		sqlite3_stmt *q = NULL;
		int version = 0;
		if (sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			version = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		sqlite3_close(h);
		if (version <= 0)
			return cb_err_set(err, CB_E_NOTFOUND, NULL,
					  "%s is not a Casebook data directory (casebook.db has no "
					  "Casebook schema)", dir);
	} else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot create %s: %s", dir,
				  strerror(errno));
	}
	cb_db *db = cb_xcalloc(1, sizeof *db);
	db->dir = cb_xstrdup(dir);
	size_t n = strlen(dir) + 32;
	db->path = cb_xmalloc(n);
	snprintf(db->path, n, "%s/casebook.db", dir);
	db->opts.synchronous_full = opts ? opts->synchronous_full : 1;
	db->opts.max_batch = opts && opts->max_batch > 0 ? opts->max_batch : 512;
	db->opts.max_queue = opts && opts->max_queue ? opts->max_queue : 4096;
	db->opts.queue_wait_ms = opts && opts->queue_wait_ms > 0 ? opts->queue_wait_ms : 0;
	db->opts.existing = opts ? opts->existing : 0;
	pthread_mutex_init(&db->mu, NULL);
	pthread_cond_init(&db->cv_work, NULL);
	{
		/* callers may wait with a deadline: measure it on the monotonic clock */
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&db->cv_done, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&db->readers_mu, NULL);
	pthread_key_create(&db->key, reader_exit);
	pthread_key_create(&db->lent, NULL);
	pthread_mutex_init(&db->pool_mu, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&db->pool_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		const char *e = getenv("CASEBOOK_READERS");
		db->pool_max = e && atoi(e) > 0 ? atoi(e) : (int)(ncpu > 1 ? 2 * ncpu + 2 : 4);
	}
	if (conn_open(db, &db->writer, 1, err) || migrate(db->writer, err)) {
		conn_close(db->writer);
		db->writer = NULL;
		pthread_key_delete(db->key);
		pthread_key_delete(db->lent);
		pthread_mutex_destroy(&db->mu);
		pthread_cond_destroy(&db->cv_work);
		pthread_cond_destroy(&db->cv_done);
		pthread_mutex_destroy(&db->readers_mu);
		pthread_mutex_destroy(&db->pool_mu);
		pthread_cond_destroy(&db->pool_cv);
		cb_free(db->path);
		cb_free(db->dir);
		cb_free(db);
		return -1;
	}
	db->running = 1;
	pthread_create(&db->thread, NULL, writer_main, db);
	*out = db;
	return 0;
}

void cb_db_close(cb_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->mu);
	db->running = 0;
	pthread_cond_signal(&db->cv_work);
	pthread_mutex_unlock(&db->mu);
	pthread_join(db->thread, NULL);
	/* no reader_exit() for threads that exit from now on: their readers are
	 * closed here (threads still using a reader must be stopped first) */
	pthread_key_delete(db->key);
	pthread_mutex_lock(&db->readers_mu);
	cb_conn *r = db->readers;
	db->readers = NULL;
	pthread_mutex_unlock(&db->readers_mu);
	while (r) {
		cb_conn *n = r->next_reader;
		conn_close(r);
		r = n;
	}
	pthread_key_delete(db->lent);
	for (cb_conn *p = db->pooled; p;) {
		cb_conn *n = p->next_pooled;
		conn_close(p);
		p = n;
	}
	{
		/* fold the WAL back into the main file on a clean shutdown */
		cb_err tmp = {0};
		cb_conn_exec(db->writer, "PRAGMA wal_checkpoint(TRUNCATE)", &tmp);
	}
	conn_close(db->writer);
	pthread_mutex_destroy(&db->mu);
	pthread_cond_destroy(&db->cv_work);
	pthread_cond_destroy(&db->cv_done);
	pthread_mutex_destroy(&db->readers_mu);
	pthread_mutex_destroy(&db->pool_mu);
	pthread_cond_destroy(&db->pool_cv);
	cb_free(db->path);
	cb_free(db->dir);
	cb_free(db);
}

const char *cb_db_path(cb_db *db) { return db->path; }

cb_conn *cb_db_reader(cb_db *db, cb_err *err)
{
	cb_conn *c = pthread_getspecific(db->lent);
	if (c)
		return c;
	c = pthread_getspecific(db->key);
	if (c)
		return c;
	if (conn_open(db, &c, 0, err))
		return NULL;
	pthread_mutex_lock(&db->readers_mu);
	c->next_reader = db->readers;
	db->readers = c;
	pthread_mutex_unlock(&db->readers_mu);
	pthread_setspecific(db->key, c);
	return c;
}

int cb_db_integrity(cb_db *db, cb_err *err)
{
	cb_conn *c = cb_db_reader(db, err);
	if (!c)
		return -1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->h, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "integrity check failed: %s",
				  sqlite3_errmsg(c->h));
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (!r || strcmp(r, "ok") != 0)
			rc = cb_err_set(err, CB_E_INTERNAL, NULL, "integrity check: %s", r ? r : "?");
	} else {
		rc = cb_err_set(err, CB_E_INTERNAL, NULL, "integrity check failed");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- backup / restore ---- */

static int copy_db(sqlite3 *from, sqlite3 *to, const cb_progress *p, cb_err *err)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errmsg(to));
	int rc;
	do {
		rc = sqlite3_backup_step(b, 1024);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(5);
		int total = sqlite3_backup_pagecount(b);
		cb_progress_report(p, total - sqlite3_backup_remaining(b), total);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errstr(rc));
	return 0;
}

int cb_db_backup(cb_db *db, const char *path, cb_err *err)
{
	return cb_db_backup_progress(db, path, NULL, err);
}

int cb_db_restore_file(const char *dir, const char *path, cb_err *err)
{
	return cb_db_restore_file_progress(dir, path, NULL, err);
}

int cb_db_backup_progress(cb_db *db, const char *path, const cb_progress *p, cb_err *err)
{
	cb_conn *r = cb_db_reader(db, err);
	if (!r)
		return -1;
	sqlite3 *to = NULL;
	if (sqlite3_open(path, &to) != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", path, sqlite3_errmsg(to));
		sqlite3_close(to);
		return -1;
	}
	int rc = copy_db(r->h, to, p, err);
	sqlite3_close(to);
	return rc;
}

int cb_db_restore_file_progress(const char *dir, const char *path, const cb_progress *p,
				cb_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "cannot read %s: %s", path, strerror(errno));
	sqlite3 *from = NULL;
	if (sqlite3_open_v2(path, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", path, sqlite3_errmsg(from));
		sqlite3_close(from);
		return -1;
	}
	/* check it is a Casebook database before overwriting anything */
	sqlite3_stmt *st2 = NULL;
	int ok = sqlite3_prepare_v2(from, "SELECT count(*) FROM sqlite_master WHERE name='tickets'", -1, &st2, NULL) == SQLITE_OK &&
		 sqlite3_step(st2) == SQLITE_ROW && sqlite3_column_int(st2, 0) == 1;
	sqlite3_finalize(st2);
	if (!ok) {
		sqlite3_close(from);
		return cb_err_set(err, CB_E_INVALID, NULL, "%s is not a Casebook backup", path);
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sqlite3_close(from);
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot create %s: %s", dir, strerror(errno));
	}
	/* never under a running server: it would keep serving (and writing)
	 * the database it has open while the file changes beneath it */
	int lock = cb_db_lock_dir(dir, err);
	if (lock < 0) {
		sqlite3_close(from);
		return -1;
	}
	size_t n = strlen(dir) + 32;
	char *dst = cb_xmalloc(n);
	snprintf(dst, n, "%s/casebook.db", dir);
	sqlite3 *to = NULL;
	int rc = -1;
	if (sqlite3_open(dst, &to) != SQLITE_OK) {
		cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", dst, sqlite3_errmsg(to));
	} else {
		rc = copy_db(from, to, p, err);
	}
	sqlite3_close(to);
	sqlite3_close(from);
	cb_free(dst);
	cb_db_unlock_dir(lock);
	return rc;
}

int cb_db_lock_dir(const char *dir, cb_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/casebook.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot open %s: %s", path,
				  strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return cb_err_set(err, CB_E_CONFLICT, NULL,
					  "%s is in use by a running casebook server or restore",
					  dir);
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot lock %s: %s", path,
				  strerror(e));
	}
	return fd;
}

void cb_db_unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the only descriptor releases the flock */
}
