/* runner.h - the runner's insides, shared by the files of src/jobs/ (the
 * public interface is jobs.h). */
#ifndef CB_JOBS_RUNNER_H
#define CB_JOBS_RUNNER_H
#include "jobs/jobs.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct cb_jobs_thread cb_jobs_thread;
struct cb_jobs_thread {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* CLOCK_MONOTONIC */
	pthread_t th;
	int stop, kicked;    /* under mu */
	cb_jobs *j;
	int kind;            /* the worker kind's index; -1 for the scheduler */
	int failures;        /* consecutive failed turns (the thread's own) */
	long (*turn)(cb_jobs_thread *t); /* ms to sleep, 0 at once, <0 finished */
};

/* Per kind counters are indexed by the kind's row; index nkinds counts the
 * jobs of kinds the runner does not know ("other"). */
struct cb_jobs {
	cb_app *app;
	const cb_job_kind *kinds;
	int nkinds;
	char node[128];                    /* claimed_by */
	int has_timers;
	int started, sched_on, nthreads;
	atomic_int stopping;
	cb_ms started_at;
	cb_jobs_thread sched;
	cb_jobs_thread threads[CB_JOBS_MAX_KINDS];
	atomic_ullong runs[CB_JOBS_MAX_KINDS + 1];
	atomic_ullong failed[CB_JOBS_MAX_KINDS + 1];
	atomic_ullong units[CB_JOBS_MAX_KINDS + 1];
	atomic_int running[CB_JOBS_MAX_KINDS + 1];
};

/* One JSON line on stderr (like the request log): event, kind, and the
 * status and message of e, the ticket and the attempt when not 0. */
void cb_jobs__log(const char *event, const char *kind, int64_t ticket, int attempt,
		  const cb_err *e);
/* The wait before the retry after `failures` failed runs (>= 1). */
cb_ms cb_jobs__backoff(const cb_job_kind *k, int failures);
int cb_jobs__stopping(cb_jobs *j);

#endif
