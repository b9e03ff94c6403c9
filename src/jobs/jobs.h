/* jobs.h - the job system: kinds of background work and the one framework
 * that runs them.
 *
 * A job kind is one row of a table (src/jobs/kinds.c for `serve`; tests
 * pass their own): its name (the `kind` column and the metrics label), how
 * it runs, its lease and its retry policy. There are two sources of work:
 *
 *   CB_JOB_TIMER   rows of the `jobs` table, due at an instant. One
 *                  scheduler thread runs every timer kind: it sleeps until
 *                  the earliest due (or claimable again) row, at most
 *                  CB_JOBS_RECHECK_MS, woken early by cb_jobs_kick(). A due
 *                  job is claimed (claimed_by = this node, lease_until) in
 *                  a write transaction of its own, then run inside a
 *                  savepoint of the next write transaction, which first
 *                  checks that the claim still holds, and deleted there, or
 *                  rescheduled (the handler asked to continue, or it failed
 *                  and the kind's policy retries). A job whose claimer died
 *                  is claimable again once its lease has run out; its
 *                  effects and its deletion commit together, under the
 *                  claim, so a job is never run twice.
 *   CB_JOB_WORKER  a polling worker: a thread of its own that calls the
 *                  kind's turn function and sleeps as long as it asks, woken
 *                  early by cb_jobs_kick_kind() (the mail outbox, the IMAP
 *                  poll, the search indexer, the portal-activity flush:
 *                  they wait on the network or on a memory queue, so they
 *                  must not hold up the timers).
 *
 * Every kind is counted on /metrics with a `kind` label: jobs pending, jobs
 * running in this process, jobs run and failed (totals), and the age of the
 * oldest pending one (cb_jobs_metrics_render).
 *
 * To add a kind: a name below, a handler (a function of app/), and a row in
 * src/jobs/kinds.c. Nothing else dispatches on kinds. */
#ifndef CB_JOBS_JOBS_H
#define CB_JOBS_JOBS_H
#include "app/app.h"
#include "util/buf.h"

/* kind names (the jobs.kind column, the metrics label) */
#define CB_JOB_SLA_AT_RISK "sla.at_risk"
#define CB_JOB_SLA_BREACHED "sla.breached"
#define CB_JOB_SLA_REFOLD "sla.refold"
#define CB_JOB_INCIDENT_UPDATE_DUE "incident.update_due"
#define CB_JOB_MAIL_OUTBOX "mail.outbox"
#define CB_JOB_IMAP_POLL "mail.imap_poll"
#define CB_JOB_SEARCH_INDEX "search.index"
#define CB_JOB_PORTAL_FLUSH "portal.flush"

#define CB_JOBS_TIMER_BATCH 200  /* timer jobs claimed and run per transaction */
#define CB_JOBS_RECHECK_MS 1000  /* the scheduler's longest sleep without a kick */
#define CB_JOBS_MAX_KINDS 32

/* One claimed timer job, as its handler sees it. */
typedef struct {
	int64_t id;
	char kind[64];     /* the kind column */
	int kind_index;    /* its row in the runner's table (the table's size: unknown) */
	cb_ms due_at;
	int64_t ticket;    /* 0 when NULL */
	char clock[32];
	int64_t instance;  /* 0 when NULL; a handler that continues sets it */
	int attempts;      /* failed runs so far */
	cb_ms now;         /* the instant of this run */
	int64_t units;     /* a handler may count what it did (re-folded tickets) */
} cb_job;

/* What a timer handler returns: done (the row is deleted), or again (the
 * row stays, due at its due_at, with job->instance as its progress, and
 * runs again at once in a transaction of its own). -1 with err: failed,
 * its changes rolled back; the kind's policy retries or drops it. */
enum { CB_JOB_DONE = 0, CB_JOB_AGAIN = 1 };
/* Runs inside a savepoint of a write transaction. *state is the kind's
 * scratch for this transaction (NULL at first; freed by the kind's
 * txn_end), e.g. a configuration loaded once for a batch. */
typedef int (*cb_job_run_fn)(cb_conn *c, cb_job *job, void **state, cb_err *err);

/* One turn of a worker kind. *sleep_ms: how long to sleep before the next
 * turn (a kick cuts it short). 0 done, -1 failed (err is logged and
 * counted), 1 finished for good (the thread ends). */
typedef int (*cb_job_turn_fn)(cb_app *app, cb_ms *sleep_ms, cb_err *err);

/* Pending work of a worker kind: how much, and since when the oldest
 * waits (0 when none). 0, or -1 with err. */
typedef int (*cb_job_pending_fn)(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest_since,
				 cb_err *err);

typedef enum { CB_JOB_TIMER, CB_JOB_WORKER } cb_job_source;

typedef struct {
	const char *name;
	cb_job_source source;
	const char *what;      /* one line for the documentation and logs */
	/* retry policy: a failed run is retried after base, doubling up to max,
	 * until max_attempts runs failed (0: no limit); then dropped, logged */
	int max_attempts;
	cb_ms backoff_base_ms, backoff_max_ms;
	/* CB_JOB_TIMER */
	cb_job_run_fn run;
	void (*txn_end)(void *state); /* frees run's scratch after the transaction */
	cb_ms lease_ms;        /* longer than one transaction of it can take */
	int alone;             /* 1: runs in a transaction of its own (a batch) */
	/* CB_JOB_WORKER */
	cb_job_turn_fn turn;
	int (*open)(cb_app *app, cb_err *err); /* before its thread starts (optional) */
	void (*close)(cb_app *app);            /* after its thread ended (optional) */
	cb_job_pending_fn pending;             /* optional: else 0 pending */
} cb_job_kind;

/* The runner: the kinds it runs, its node id (claimed_by), its threads and
 * counters. One per process in `serve` (src/jobs/kinds.c); tests make
 * several to act as several processes. */
typedef struct cb_jobs cb_jobs;

/* node: the claimer id (NULL: cb_jobs_node_id()). Never fails. */
cb_jobs *cb_jobs_new(cb_app *app, const cb_job_kind *kinds, int nkinds, const char *node);
void cb_jobs_free(cb_jobs *j);
/* Starts the scheduler (when there are timer kinds) and one thread per
 * worker kind; the caller has blocked the signals it handles. Becomes the
 * process's runner for kicks. 0, or -1 with err (nothing left running). */
int cb_jobs_start(cb_jobs *j, cb_err *err);
/* Stops every thread after its current turn (a running job finishes),
 * then calls each worker kind's close. Call before cb_db_close(). */
void cb_jobs_stop(cb_jobs *j);

/* This process's node id: host, pid and a random part (a restarted process
 * never reuses its predecessor's). */
const char *cb_jobs_node_id(void);

/* Wakes the process's scheduler to re-read the queue (after an insert has
 * committed), or one worker kind. No-ops when nothing runs (CLI, tests). */
void cb_jobs_kick(void);
void cb_jobs_kick_kind(const char *kind);

/* ---- the persisted queue (src/jobs/queue.c) ---- */

/* Claims up to max due jobs (due_at < now, unclaimed or lease run out) of
 * the runner's timer kinds, or of unknown kinds, in one write transaction;
 * a kind with `alone` is claimed by itself. *n jobs in out. 0, or -1. */
int cb_jobs_claim(cb_jobs *j, cb_ms now, int max, cb_job *out, int *n, cb_err *err);
/* Runs claimed jobs in one write transaction (see above); a job no longer
 * held (taken over, or replaced by a write) is skipped. *ran counts the
 * jobs run, *more whether one asked to continue. 0, or -1 (nothing of the
 * transaction committed; the claims are released when possible, else
 * their leases run out). */
int cb_jobs_run_claimed(cb_jobs *j, cb_ms now, cb_job *jobs, int n, int *ran, int *more,
			cb_err *err);
/* Claims and runs what is due before now until nothing is (or the runner
 * is stopping). *ran counts the jobs run. Used by the scheduler; callable
 * directly (tests, CLI). */
int cb_jobs_run_due(cb_jobs *j, cb_ms now, int *ran, cb_err *err);
/* 1 and *out = the earliest instant a job becomes runnable, 0 when the
 * queue is empty, -1 with err. On the calling thread's reader. */
int cb_jobs_next_due(cb_db *db, cb_ms *out, cb_err *err);

/* Inside a write transaction: (re)starts the re-fold of every open ticket,
 * due at now. A re-fold already under way starts over, since tickets it has
 * done were folded with the old configuration. */
int cb_jobs_enqueue_refold(cb_conn *c, cb_ms now, cb_err *err);

/* Prometheus text, per kind of the runner (label `kind`):
 * casebook_jobs_pending, casebook_jobs_running, casebook_jobs_run_total,
 * casebook_jobs_failed_total, casebook_jobs_oldest_pending_seconds, and
 * casebook_sla_refolded_tickets_total. j may be NULL (nothing runs). */
void cb_jobs_metrics_render(cb_jobs *j, cb_db *db, cb_ms now, cb_buf *b);

#endif
