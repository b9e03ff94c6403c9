/* jobs.h - persisted background jobs and the scheduler that runs them.
 *
 * Jobs are rows of the `jobs` table ordered by due time (index jobs_due):
 *   sla.at_risk, sla.breached  timers of one SLA clock instance (ticket_id,
 *                              clock, instance), written by app/sla.c; run
 *                              as the after-write step (cb_pipeline_project) of the ticket, which
 *                              records the at-risk or breach event once
 *                              (sla_fired) at the clock's own instant.
 *   sla.refold                 re-fold every open ticket after an SLA policy
 *                              or calendar changed; CB_JOBS_REFOLD_BATCH
 *                              tickets per write transaction, the id of the
 *                              last ticket done kept in the row's `instance`
 *                              column so that a restart continues there;
 *                              the row is deleted after the last batch.
 *   incident.update_due        the customer update deadline of an incident
 *                              (instance = incident id), written by
 *                              app/incident.c; records the one overdue
 *                              timeline entry of that deadline.
 *
 * The scheduler is one thread (cb_jobs_start/cb_jobs_stop, from `casebook
 * serve`). It reads the earliest due_at and sleeps on a condition variable
 * until just after it; cb_jobs_kick() wakes it early after an insert. Jobs
 * inserted without a kick are found by a re-check at most
 * CB_JOBS_RECHECK_MS later (one indexed LIMIT 1 read: it never scans
 * tickets). Jobs already overdue at start-up (a restart) run at once. Every
 * job runs inside cb_db_write(); a failing job is rolled back on its own,
 * logged, counted and dropped. */
#ifndef CB_APP_JOBS_H
#define CB_APP_JOBS_H
#include "app/app.h"
#include "util/buf.h"

#define CB_JOB_SLA_AT_RISK "sla.at_risk"
#define CB_JOB_SLA_BREACHED "sla.breached"
#define CB_JOB_SLA_REFOLD "sla.refold"

#define CB_JOBS_REFOLD_BATCH 500  /* tickets re-folded per write transaction */
#define CB_JOBS_TIMER_BATCH 200   /* timer jobs per write transaction */
#define CB_JOBS_RECHECK_MS 1000   /* longest sleep without a kick */

/* Starts the scheduler thread for app (one per process). The caller must
 * have blocked the signals it handles before. 0, or -1 with err. */
int cb_jobs_start(cb_app *app, cb_err *err);
/* Stops and joins the scheduler (a running job finishes first); call it
 * before cb_db_close(). Accepts being called when not started. */
void cb_jobs_stop(void);
/* Wakes the scheduler to re-read the earliest job (call after the insert
 * has committed). A no-op when no scheduler runs (CLI, unit tests). */
void cb_jobs_kick(void);


/* Runs the jobs due strictly before now, each batch in its own write
 * transaction, until none is left or the scheduler is being stopped.
 * *out_ran counts the jobs (and re-fold batches) run. Used by the
 * scheduler; callable directly (tests, CLI). */
int cb_jobs_run_due(cb_app *app, cb_ms now, int *out_ran, cb_err *err);

/* Appends the Prometheus text of casebook_jobs_run_total{kind},
 * casebook_jobs_failed_total{kind}, casebook_sla_refolded_tickets_total and
 * the gauge casebook_jobs_pending{kind} (read on the caller's reader). */
void cb_jobs_metrics_render(cb_db *db, cb_buf *b);

#endif
