/* kinds.h - the job kinds of `casebook serve` and the process's runner.
 *
 * cb_job_kinds[] (kinds.c) is the one table of job kinds: adding a kind is
 * a name in jobs.h, a handler in app/ and a row there. */
#ifndef CB_JOBS_KINDS_H
#define CB_JOBS_KINDS_H
#include "jobs/jobs.h"

#define CB_JOBS_REFOLD_BATCH 500 /* tickets re-folded per write transaction */

extern const cb_job_kind cb_job_kinds[];
extern const int cb_job_kinds_count;

/* Starts the runner of the serve process over cb_job_kinds (every timer
 * kind and worker); the caller has blocked the signals it handles. 0, or
 * -1 with err. */
int cb_jobs_serve_start(cb_app *app, cb_err *err);
/* Stops it (each job or turn finishes first; the portal activity still
 * queued is written). Call before cb_db_close(); no-op when not started. */
void cb_jobs_serve_stop(void);
/* The runner's /metrics (nothing when it does not run). */
void cb_jobs_serve_metrics(cb_db *db, cb_ms now, cb_buf *b);

#endif
