/* db.h - the storage layer: connections, migrations, statement cache and the
 * single group-committing writer.
 *
 * Only store/ includes sqlite3.h. Other layers see opaque handles:
 *   cb_db    the open database (one data directory)
 *   cb_conn  one connection with its prepared-statement cache
 *   cb_q     one prepared statement
 *
 * Reads use cb_db_reader(): a connection private to the calling thread.
 * Every change goes through cb_db_write(): the caller's function runs on the
 * writer thread inside a savepoint of a transaction shared with concurrent
 * callers (group commit); cb_db_write() returns only after that transaction
 * is durably committed, or with the error and nothing written. */
#ifndef CB_DB_H
#define CB_DB_H
#include <stdint.h>
#include <stddef.h>

#include "store/sql.h"
#include "util/err.h"
#include "util/progress.h"

typedef struct cb_db cb_db;
typedef struct cb_conn cb_conn;
typedef struct cb_q cb_q;

/* A write job that fails with CB_E_STALE (it decided on a ticket that
 * another writer changed) runs again on the fresh state, up to this many
 * times in all. */
#define CB_DB_STALE_TRIES 4

typedef struct {
	int synchronous_full; /* 1: synchronous=FULL (default), 0: NORMAL */
	int max_batch;        /* jobs per group commit, default 512 */
	int max_queue;        /* jobs waiting for the writer beyond which cb_db_write()
			       * fails at once with CB_E_BUSY; default 4096, <0 unbounded */
	int queue_wait_ms;    /* a job not yet taken by the writer after this long is
			       * withdrawn (CB_E_BUSY, nothing written); 0 (default) waits */
	int existing;         /* 1: DIR/casebook.db must already exist and hold a
			       * Casebook schema; nothing is created (CB_E_NOTFOUND
			       * naming DIR otherwise). 0: DIR and the file are
			       * created when missing (`casebook init`) */
} cb_db_opts;

/* Process-wide SQLite settings; call once before anything opens a database. */
void cb_db_global_init(void);
/* Opens DIR/casebook.db (creating it unless opts->existing) and migrates it. */
int cb_db_open(cb_db **out, const char *dir, const cb_db_opts *opts, cb_err *err);
/* Drains the writer queue, stops the writer and closes every connection. */
void cb_db_close(cb_db *db);
const char *cb_db_path(cb_db *db);

/* The reader lent to the calling thread's request, else the thread's own
 * reader connection (opened on first use). */
cb_conn *cb_db_reader(cb_db *db, cb_err *err);

/* A request's database access. begin lends the calling thread a reader from
 * a pool (at most CASEBOOK_READERS, default 2 x CPUs + 2, opened on demand
 * and kept: warm page caches and prepared statements; when all are busy for
 * a second the thread's own reader serves), which cb_db_reader returns until
 * end. snapshot: one read transaction for the whole request, so every
 * statement sees the same database state and none pays for its own
 * transaction (WAL lock traffic); a cb_db_write from this thread moves the
 * snapshot past its own commit (when no statement is mid-walk), so a request
 * still reads what it wrote. */
void cb_db_request_begin(cb_db *db, int snapshot);
void cb_db_request_end(cb_db *db);
/* A new snapshot for this thread's open one (after waiting for a write
 * made by another thread), unless a statement is mid-walk. */
void cb_db_snapshot_refresh(cb_db *db);

typedef int (*cb_write_fn)(cb_conn *c, void *arg, cb_err *err);
/* Runs fn on the writer connection inside a savepoint of the next group
 * commit. fn returns 0 on success, -1 (with err set) to roll back its own
 * changes. Returns 0 once committed, -1 with err on failure. Overload: when
 * max_queue jobs already wait, or the job waited queue_wait_ms without the
 * writer taking it, fn is never run and the error is CB_E_BUSY. Once the
 * writer has taken a job, the caller waits for its commit. */
int cb_db_write(cb_db *db, cb_write_fn fn, void *arg, cb_err *err);
/* Changes max_queue and queue_wait_ms of an open database (as in cb_db_opts:
 * max_queue 0 is the default; a negative queue_wait_ms leaves it unchanged). */
void cb_db_set_write_limits(cb_db *db, int max_queue, int queue_wait_ms);

/* Stats for /metrics. */
typedef struct {
	uint64_t commits;   /* group commits done */
	uint64_t jobs;      /* write jobs run */
	uint64_t failed;    /* write jobs rolled back */
	uint64_t retried;   /* jobs decided again after CB_E_STALE */
	uint64_t max_batch; /* largest batch seen */
	uint64_t queued;    /* jobs waiting for the writer now */
	uint64_t rejected;  /* jobs refused with CB_E_BUSY (queue full or wait exceeded) */
	uint64_t sqlite_bytes; /* page caches of the writer and the pooled readers */
} cb_db_stats;
void cb_db_get_stats(cb_db *db, cb_db_stats *out);

/* Online backup of the live database to PATH, and restore from it. The
 * restore creates DIR when missing and holds DIR's lock (cb_db_lock_dir)
 * while it copies: CB_E_CONFLICT when a server holds the directory. */
int cb_db_backup(cb_db *db, const char *path, cb_err *err);
int cb_db_restore_file(const char *dir, const char *path, cb_err *err);
/* The same, reporting the pages copied (p may be NULL). */
int cb_db_backup_progress(cb_db *db, const char *path, const cb_progress *p, cb_err *err);
int cb_db_restore_file_progress(const char *dir, const char *path, const cb_progress *p,
				cb_err *err);

/* The data directory's lock: an exclusive flock on DIR/casebook.lock, held by
 * `casebook serve` for its lifetime and by a restore while it copies (the
 * kernel drops it when the process ends, however it ends). Returns the
 * descriptor holding it, or -1 with CB_E_CONFLICT when another process holds
 * it. cb_db_unlock_dir releases it (fd < 0 is ignored). */
int cb_db_lock_dir(const char *dir, cb_err *err);
void cb_db_unlock_dir(int fd);

/* PRAGMA integrity_check on a reader: 0 when "ok", else CB_E_INTERNAL with
 * the first problem reported. */
int cb_db_integrity(cb_db *db, cb_err *err);

/* A named statement (store/sql.h) in the connection's dialect, prepared
 * once per connection; reset and unbound at each call. */
cb_q *cb_q_get(cb_conn *c, cb_sql id, cb_err *err);
/* A one-off statement for SQL built at run time in store/ (not cached);
 * finalize with cb_q_free. */
cb_q *cb_q_prepare(cb_conn *c, const char *sql, cb_err *err);
void cb_q_free(cb_q *q);
void cb_q_bind_i64(cb_q *q, int i, int64_t v);
void cb_q_bind_double(cb_q *q, int i, double v);
void cb_q_bind_text(cb_q *q, int i, const char *s); /* NULL binds NULL */
void cb_q_bind_textn(cb_q *q, int i, const char *s, size_t n);
void cb_q_bind_blob(cb_q *q, int i, const void *p, size_t n);
void cb_q_bind_null(cb_q *q, int i);
/* 1 = a row, 0 = done (statement reset), -1 = error (err set, reset). A
 * UNIQUE violation is reported as CB_E_CONFLICT. */
int cb_q_step(cb_q *q, cb_err *err);
void cb_q_reset(cb_q *q);
int64_t cb_q_i64(cb_q *q, int col);
double cb_q_double(cb_q *q, int col);
const char *cb_q_text(cb_q *q, int col); /* valid until the next step/reset */
const void *cb_q_blob(cb_q *q, int col, size_t *n);
int cb_q_isnull(cb_q *q, int col);
/* Convenience: runs a statement expecting no rows. */
int cb_q_exec(cb_q *q, cb_err *err);
/* Runs an INSERT ... RETURNING id: *out_id = the id the database gave the
 * row (left as it is when no row was inserted: OR IGNORE, an UPDATE). Ids
 * always come from the database, never from the application. */
int cb_q_exec_id(cb_q *q, int64_t *out_id, cb_err *err);

/* One-row lookups binding ?1: 1 and *out = column 0 when a row matches
 * (out may be NULL), 0 when none, -1 on error. */
int cb_q_one_by_text(cb_conn *c, cb_sql sql, const char *key, int64_t *out, cb_err *err);
int cb_q_one_by_id(cb_conn *c, cb_sql sql, int64_t id, int64_t *out, cb_err *err);

int cb_conn_changes(cb_conn *c);
/* Runs a named statement that returns no rows; its text may hold several
 * statements (a script such as CB_SQL_ROLLUP_REBUILD). */
int cb_conn_run(cb_conn *c, cb_sql id, cb_err *err);
/* Savepoints inside the current transaction: name is [a-z_]+. */
typedef enum { CB_SAVEPOINT_BEGIN, CB_SAVEPOINT_ROLLBACK, CB_SAVEPOINT_RELEASE } cb_savepoint_op;
int cb_conn_savepoint(cb_conn *c, cb_savepoint_op op, const char *name, cb_err *err);
/* Resets every active statement of the connection (ends implicit reads). */
void cb_conn_reset_all(cb_conn *c);
/* The database a connection belongs to. */
cb_db *cb_conn_db(cb_conn *c);
/* Statements the connection has run since it was opened (every run of a
 * cached or one-off statement and of plain SQL; trigger programs are not
 * counted apart). Each is a round trip on a database server: the difference
 * around a use case is its round-trip count (tests, debugging). */
uint64_t cb_conn_statements(cb_conn *c);

#endif
