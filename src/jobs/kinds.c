/* kinds.c - the table of job kinds (see jobs.h) and the runner of `serve`.
 *
 * One row per kind. Timer kinds are rows of the `jobs` table, written by
 * app/ (SLA timers by app/sla/sla.c, re-folds by app/sla/sla_config.c, incident
 * deadlines by app/incident/incident.c) and run here through their handler; worker
 * kinds are the polling loops whose turn functions live in app/.
 *
 * Policies as built: an SLA timer or an incident deadline that fails is
 * logged, counted and dropped (one attempt; the next write to the ticket
 * or incident sets its timers again), a re-fold batch is retried with
 * backoff until it succeeds (the configuration must reach every ticket);
 * a worker turn that fails backs off by its row (the IMAP poll keeps its
 * interval, the outbox's per-message retries are its own: docs/email.md). */
#include "jobs/kinds.h"
#include "app/incident/incident.h"
#include "app/knowledge/kb_log.h"
#include "app/mail/mail_channels.h"
#include "app/mail/mail_out.h"
#include "app/knowledge/search_indexer.h"
#include "app/ticket/pipeline.h"
#include "app/sla/sla.h"
#include "app/sla/sla_config.h"

#include <pthread.h>

/* ---- handlers of the timer kinds ---- */

static int sla_timer(cb_conn *c, cb_job *job, void **state, cb_err *err, cb_ms at)
{
	if (!job->ticket)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "%s job without a ticket", job->kind);
	cb_slasvc_cfgset *cs = *state;
	if (!cs) { /* one configuration per transaction */
		if (cb_slasvc_cfgset_load(c, &cs, err))
			return -1;
		*state = cs;
	}
	return cb_pipeline_project(c, cs, job->ticket, at, CB_PROJECT_CLOCKS, err) ? -1 : CB_JOB_DONE;
}

/* An at-risk timer refreshes its ticket as of its own instant, so that one
 * running late (the server was down) still sees the clock at risk and
 * records it before the breach timer records the breach; sla_fired keeps
 * each event to one per clock instance whatever happens. */
static int run_at_risk(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	return sla_timer(c, job, state, err, job->due_at);
}

/* A breach: as of now (now > due, the clock is past its target). */
static int run_breached(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	return sla_timer(c, job, state, err, job->now);
}

static void free_cfgset(void *state)
{
	cb_slasvc_cfgset_free(state);
}

/* One batch of the re-fold of every open ticket; the id of the last ticket
 * done is the job's progress (`instance`), so a restart continues there. */
static int run_refold(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	(void)state;
	int64_t last = 0;
	int n = 0;
	if (cb_slacfg_refold_batch(c, job->now, job->instance, CB_JOBS_REFOLD_BATCH, &last, &n, err))
		return -1;
	job->units = n;
	if (n < CB_JOBS_REFOLD_BATCH)
		return CB_JOB_DONE;
	job->instance = last;
	return CB_JOB_AGAIN;
}

/* An incident's customer update deadline (instance = incident id): the one
 * overdue timeline entry of that deadline. */
static int run_incident_due(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	(void)state;
	return cb_incident_fire_overdue(c, job->instance, job->due_at, err) ? -1 : CB_JOB_DONE;
}

/* ---- the table ---- */

const cb_job_kind cb_job_kinds[] = {
	{.name = CB_JOB_SLA_AT_RISK, .source = CB_JOB_TIMER,
	 .what = "an SLA clock instance reaches its at-risk instant",
	 .run = run_at_risk, .txn_end = free_cfgset, .lease_ms = 60000, .max_attempts = 1},
	{.name = CB_JOB_SLA_BREACHED, .source = CB_JOB_TIMER,
	 .what = "an SLA clock instance passes its due instant",
	 .run = run_breached, .txn_end = free_cfgset, .lease_ms = 60000, .max_attempts = 1},
	{.name = CB_JOB_SLA_REFOLD, .source = CB_JOB_TIMER,
	 .what = "re-fold every open ticket after an SLA configuration change",
	 .run = run_refold, .lease_ms = 300000, .alone = 1,
	 .max_attempts = 0, .backoff_base_ms = 1000, .backoff_max_ms = 60000},
	{.name = CB_JOB_INCIDENT_UPDATE_DUE, .source = CB_JOB_TIMER,
	 .what = "a major incident's customer update deadline",
	 .run = run_incident_due, .lease_ms = 60000, .max_attempts = 1},
	{.name = CB_JOB_MAIL_OUTBOX, .source = CB_JOB_WORKER,
	 .what = "deliver the due rows of the mail outbox over SMTP",
	 .open = cb_mailsvc_sender_open, .turn = cb_mailsvc_sender_turn, .pending = cb_mailsvc_outbox_pending,
	 .backoff_base_ms = 1000, .backoff_max_ms = 60000},
	{.name = CB_JOB_IMAP_POLL, .source = CB_JOB_WORKER,
	 .what = "poll the IMAP mailbox every imap_interval_s (when imap_url is set)",
	 .turn = cb_mailsvc_poller_turn},
	{.name = CB_JOB_SEARCH_INDEX, .source = CB_JOB_WORKER,
	 .what = "index the documents an upgraded data dir's index lacked (search_pending)",
	 .turn = cb_searchsvc_indexer_turn, .pending = cb_searchsvc_indexer_pending,
	 .backoff_base_ms = 1000, .backoff_max_ms = 60000},
	{.name = CB_JOB_PORTAL_FLUSH, .source = CB_JOB_WORKER,
	 .what = "write the queued portal activity (article views, customer searches)",
	 .open = cb_kb_log_open, .turn = cb_kb_log_turn, .close = cb_kb_log_close,
	 .pending = cb_kb_log_pending},
};
const int cb_job_kinds_count = (int)(sizeof cb_job_kinds / sizeof cb_job_kinds[0]);

/* ---- the runner of the serve process ---- */

static pthread_mutex_t serve_mu = PTHREAD_MUTEX_INITIALIZER;
static cb_jobs *serve_runner; /* while `serve` runs */

int cb_jobs_serve_start(cb_app *app, cb_err *err)
{
	pthread_mutex_lock(&serve_mu);
	int rc = 0;
	if (serve_runner) {
		rc = cb_err_set(err, CB_E_INTERNAL, NULL, "the job runner is already running");
	} else {
		cb_jobs *j = cb_jobs_new(app, cb_job_kinds, cb_job_kinds_count, NULL);
		rc = cb_jobs_start(j, err);
		if (rc)
			cb_jobs_free(j);
		else
			serve_runner = j;
	}
	pthread_mutex_unlock(&serve_mu);
	return rc;
}

void cb_jobs_serve_stop(void)
{
	pthread_mutex_lock(&serve_mu);
	cb_jobs *j = serve_runner;
	serve_runner = NULL;
	pthread_mutex_unlock(&serve_mu);
	cb_jobs_free(j);
}

void cb_jobs_serve_metrics(cb_db *db, cb_ms now, cb_buf *b)
{
	pthread_mutex_lock(&serve_mu);
	cb_jobs_metrics_render(serve_runner, db, now, b);
	pthread_mutex_unlock(&serve_mu);
}
