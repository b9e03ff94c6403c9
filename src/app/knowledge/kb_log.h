/* kb_log.h - portal activity (customer article views and searches, for the
 * deflection counts) recorded without making the read wait for a commit.
 *
 * cb_kb_log_record() appends the row to an in-memory queue and returns; the
 * portal.flush worker of the job system (src/jobs/kinds.c, while `serve`
 * runs) gathers rows for up to
 * CB_KB_LOG_DELAY_MS (or CB_KB_LOG_BATCH rows) and hands them to the writer
 * as one job, so they join the next group commit together with whatever
 * other writes are in flight: a portal search costs a mutex, not an fsync,
 * and the readers' page caches (dropped by SQLite after every commit in WAL
 * mode) are invalidated once per interval, not once per search. Rows are
 * durable once that commit is done; a crash (not a clean shutdown:
 * cb_kb_log_close() drains the queue) loses the rows of the last interval,
 * at most CB_KB_LOG_DELAY_MS plus one commit. Readers of the counts call
 * cb_kb_log_sync() first: it flushes at once and waits, so they see every
 * row recorded before them.
 * When no worker runs (CLI), the queue is full (CB_KB_LOG_MAX rows) or the
 * log serves another database, the row is written synchronously. */
#ifndef CB_KB_LOG_H
#define CB_KB_LOG_H
#include "app/app.h"

#define CB_KB_LOG_MAX 65536
#define CB_KB_LOG_DELAY_MS 1000
#define CB_KB_LOG_BATCH 1024

/* Queues one activity row (kind "view" with an article, or "search"). A
 * failure to record never fails the caller (it is logged on stderr). */
void cb_kb_log_record(cb_db *db, const cb_actor *actor, cb_ms now, const char *kind,
		      int64_t article);
/* Waits until every row queued before the call is committed (or dropped
 * after a failed write). Returns at once when nothing is pending. */
void cb_kb_log_sync(cb_db *db);
/* The portal.flush worker kind: open attaches the queue to app's database;
 * a turn writes the gathered rows once they are due (or asks to sleep
 * until then); close (after the worker's thread ended) writes what is
 * left, and later rows are written synchronously. pending: the rows
 * queued and the instant of the oldest. */
int cb_kb_log_open(cb_app *app, cb_err *err);
int cb_kb_log_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err);
void cb_kb_log_close(cb_app *app);
int cb_kb_log_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err);

#endif
