/* queue.c - the job system (src/jobs/): claims and leases of the persisted
 * queue (two claimers on one data directory, a takeover after a claimer
 * died), the retry policy, handlers that continue, and the worker threads
 * (a kick wakes one, a stop ends it and runs its close). */
#include "harness.h"
#include "jobs/jobs.h"
#include "jobs/runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NJOBS 600

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

static atomic_int runs[NJOBS + 1]; /* runs per job id */

static const char INS[] =
	"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance) VALUES (?1, ?2, NULL, NULL, ?3)";
static const char MARK[] = "INSERT INTO settings(key, value) VALUES ('unit.mark', 'x')";

struct ins {
	const char *kind;
	cb_ms due;
	int n;
};

static int ins_fn(cb_conn *c, void *arg, cb_err *err)
{
	const struct ins *in = arg;
	for (int i = 0; i < in->n; i++) {
		cb_q *q = cb_q_prepare(c, INS, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, in->due);
		cb_q_bind_text(q, 2, in->kind);
		cb_q_bind_i64(q, 3, 0);
		int rc = cb_q_exec(q, err);
		cb_q_free(q);
		if (rc)
			return -1;
	}
	return 0;
}

static void insert(cb_db *db, const char *kind, cb_ms due, int n)
{
	struct ins in = {kind, due, n};
	cb_err err = {0};
	CB_CHECK(cb_db_write(db, ins_fn, &in, &err) == 0);
}

static int64_t one(cb_db *db, const char *sql)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = c ? cb_q_prepare(c, sql, &err) : NULL;
	int64_t v = -1;
	if (q && cb_q_step(q, &err) == 1)
		v = cb_q_i64(q, 0);
	cb_q_free(q);
	return v;
}

static const char COUNT_JOBS[] = "SELECT count(*) FROM jobs";
static const char COUNT_MARKS[] = "SELECT count(*) FROM settings WHERE key = 'unit.mark'";
static const char ATTEMPTS[] = "SELECT attempts FROM jobs";
static const char DUE[] = "SELECT due_at FROM jobs";
static const char CLAIMED[] = "SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL";

/* t.count: counts its runs; t.fail: writes, then fails; t.again: three
 * batches, its progress in `instance` */
static int run_count(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	if (job->id >= 1 && job->id <= NJOBS)
		atomic_fetch_add(&runs[job->id], 1);
	return CB_JOB_DONE;
}

static int run_fail(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	cb_q *q = cb_q_prepare(c, MARK, err);
	int rc = q ? cb_q_exec(q, err) : -1;
	cb_q_free(q);
	if (rc)
		return -1;
	return cb_err_set(err, CB_E_INTERNAL, NULL, "failing on purpose");
}

static int64_t again_seen[8];
static int again_n;

static int run_again(cb_conn *c, cb_job *job, void **state, cb_err *err)
{
	if (again_n < 8)
		again_seen[again_n++] = job->instance;
	job->units = 10;
	job->instance++;
	return job->instance < 3 ? CB_JOB_AGAIN : CB_JOB_DONE;
}

static const cb_job_kind kinds[] = {
	{.name = "t.count", .source = CB_JOB_TIMER, .run = run_count, .lease_ms = 60000,
	 .max_attempts = 1},
	{.name = "t.fail", .source = CB_JOB_TIMER, .run = run_fail, .lease_ms = 60000,
	 .max_attempts = 3, .backoff_base_ms = 1000, .backoff_max_ms = 1500},
	{.name = "t.again", .source = CB_JOB_TIMER, .run = run_again, .lease_ms = 60000,
	 .alone = 1},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void reset_runs(void)
{
	for (int i = 0; i <= NJOBS; i++)
		atomic_store(&runs[i], 0);
}

/* A claims; B (another process on the same data dir) cannot claim the job
 * while A's lease holds, takes it over once it has run out (A died), and
 * A, if it was only slow, no longer runs it: the job runs once. */
CB_TEST(jobs_claim_is_exclusive_until_the_lease_runs_out)
{
	reset_runs();
	char *dir = tmpdir();
	cb_db *da = NULL, *dbb = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&da, dir, NULL, &err) == 0);
	CB_REQUIRE(cb_db_open(&dbb, dir, NULL, &err) == 0);
	cb_app aa = {.db = da, .data_dir = dir}, ab = {.db = dbb, .data_dir = dir};
	cb_jobs *a = cb_jobs_new(&aa, kinds, NKINDS, "node-a");
	cb_jobs *b = cb_jobs_new(&ab, kinds, NKINDS, "node-b");
	insert(da, "t.count", 1000, 1);
	cb_ms now = 2000;

	cb_job ja[4], jb[4];
	int na = 0, nb = 0, ran = 0, more = 0;
	CB_CHECK(cb_jobs_claim(a, now, 4, ja, &na, &err) == 0);
	CB_CHECK_INT(na, 1);
	CB_CHECK(cb_jobs_claim(b, now, 4, jb, &nb, &err) == 0);
	CB_CHECK_INT(nb, 0);                         /* held by A */
	CB_CHECK(cb_jobs_claim(b, now + 60000 - 1, 4, jb, &nb, &err) == 0);
	CB_CHECK_INT(nb, 0);                         /* the lease still holds */
	cb_ms next = 0;
	CB_CHECK_INT(cb_jobs_next_due(dbb, &next, &err), 1);
	CB_CHECK_INT(next, now + 60000);             /* claimable again then */
	CB_CHECK(cb_jobs_claim(b, now + 60000 + 1, 4, jb, &nb, &err) == 0);
	CB_CHECK_INT(nb, 1);                         /* A died: taken over */
	CB_CHECK_INT(jb[0].id, ja[0].id);

	/* A was only slow: its run finds the job no longer its own */
	CB_CHECK(cb_jobs_run_claimed(a, now + 60000 + 2, ja, na, &ran, &more, &err) == 0);
	CB_CHECK_INT(ran, 0);
	CB_CHECK_INT(atomic_load(&runs[ja[0].id]), 0);
	CB_CHECK_INT(one(da, COUNT_JOBS), 1);
	CB_CHECK(cb_jobs_run_claimed(b, now + 60000 + 2, jb, nb, &ran, &more, &err) == 0);
	CB_CHECK_INT(ran, 1);
	CB_CHECK_INT(atomic_load(&runs[jb[0].id]), 1);
	CB_CHECK_INT(one(da, COUNT_JOBS), 0);
	/* and running A's batch again changes nothing */
	CB_CHECK(cb_jobs_run_claimed(a, now + 60000 + 3, ja, na, &ran, &more, &err) == 0);
	CB_CHECK_INT(ran, 0);
	CB_CHECK_INT(atomic_load(&runs[ja[0].id]), 1);

	cb_jobs_free(a);
	cb_jobs_free(b);
	cb_db_close(dbb);
	cb_db_close(da);
}

/* After a crash the job is still claimed by the dead process; a new one
 * runs it once its lease is over, not before. */
CB_TEST(jobs_claim_of_a_crashed_process_is_taken_over_after_its_lease)
{
	reset_runs();
	char *dir = tmpdir();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	cb_app app = {.db = db, .data_dir = dir};
	insert(db, "t.count", 1000, 3);
	cb_jobs *dead = cb_jobs_new(&app, kinds, NKINDS, "dead");
	cb_job jd[4];
	int nd = 0, ran = 0;
	CB_CHECK(cb_jobs_claim(dead, 2000, 2, jd, &nd, &err) == 0); /* then the crash */
	CB_CHECK_INT(nd, 2);
	cb_jobs_free(dead);
	CB_CHECK_INT(one(db, CLAIMED), 2);

	cb_jobs *j = cb_jobs_new(&app, kinds, NKINDS, NULL); /* the restarted process */
	CB_CHECK(cb_jobs_run_due(j, 3000, &ran, &err) == 0);
	CB_CHECK_INT(ran, 1);                        /* only the unclaimed one */
	CB_CHECK_INT(one(db, COUNT_JOBS), 2);
	CB_CHECK(cb_jobs_run_due(j, 2000 + 60000 + 1, &ran, &err) == 0);
	CB_CHECK_INT(ran, 2);
	CB_CHECK_INT(one(db, COUNT_JOBS), 0);
	for (int i = 1; i <= 3; i++)
		CB_CHECK_INT(atomic_load(&runs[i]), 1);
	cb_jobs_free(j);
	cb_db_close(db);
}

struct racer {
	cb_jobs *j;
	int ran, rc;
};

static void *race(void *p)
{
	struct racer *r = p;
	cb_err err = {0};
	r->rc = cb_jobs_run_due(r->j, 5000, &r->ran, &err);
	return NULL;
}

/* Two processes (two databases open on one data directory, each with its
 * own writer) drain one queue at the same time: every job runs once. */
CB_TEST(jobs_two_claimers_on_one_data_dir_run_each_job_once)
{
	reset_runs();
	char *dir = tmpdir();
	cb_db *d1 = NULL, *d2 = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&d1, dir, NULL, &err) == 0);
	CB_REQUIRE(cb_db_open(&d2, dir, NULL, &err) == 0);
	insert(d1, "t.count", 1000, NJOBS);
	cb_app a1 = {.db = d1, .data_dir = dir}, a2 = {.db = d2, .data_dir = dir};
	struct racer r1 = {.j = cb_jobs_new(&a1, kinds, NKINDS, "one")};
	struct racer r2 = {.j = cb_jobs_new(&a2, kinds, NKINDS, "two")};
	pthread_t t1, t2;
	pthread_create(&t1, NULL, race, &r1);
	pthread_create(&t2, NULL, race, &r2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CB_CHECK_INT(r1.rc, 0);
	CB_CHECK_INT(r2.rc, 0);
	CB_CHECK_INT(r1.ran + r2.ran, NJOBS);
	int once = 0;
	for (int i = 1; i <= NJOBS; i++)
		once += atomic_load(&runs[i]) == 1;
	CB_CHECK_INT(once, NJOBS);
	CB_CHECK_INT(one(d1, COUNT_JOBS), 0);
	CB_CHECK_INT(atomic_load(&r1.j->runs[0]) + atomic_load(&r2.j->runs[0]), NJOBS);
	cb_jobs_free(r1.j);
	cb_jobs_free(r2.j);
	cb_db_close(d2);
	cb_db_close(d1);
}

/* A failing handler is rolled back alone, retried after the kind's backoff
 * (base, doubled, at most max) and dropped after max_attempts. */
CB_TEST(jobs_failure_is_rolled_back_and_retried_by_the_kinds_policy)
{
	char *dir = tmpdir();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	cb_app app = {.db = db, .data_dir = dir};
	cb_jobs *j = cb_jobs_new(&app, kinds, NKINDS, NULL);
	insert(db, "t.fail", 1000, 1);
	insert(db, "t.count", 1000, 1);
	int ran = 0;
	CB_CHECK(cb_jobs_run_due(j, 2000, &ran, &err) == 0);
	CB_CHECK_INT(ran, 2);
	CB_CHECK_INT(one(db, COUNT_MARKS), 0);       /* its write rolled back */
	CB_CHECK_INT(one(db, COUNT_JOBS), 1);        /* the other one ran and is gone */
	CB_CHECK_INT(one(db, ATTEMPTS), 1);
	CB_CHECK_INT(one(db, DUE), 2000 + 1000);
	CB_CHECK_INT(one(db, CLAIMED), 0);
	CB_CHECK(cb_jobs_run_due(j, 2999, &ran, &err) == 0);
	CB_CHECK_INT(ran, 0);                        /* not before its backoff */
	CB_CHECK(cb_jobs_run_due(j, 3001, &ran, &err) == 0);
	CB_CHECK_INT(one(db, ATTEMPTS), 2);
	CB_CHECK_INT(one(db, DUE), 3001 + 1500);     /* doubled, capped */
	CB_CHECK(cb_jobs_run_due(j, 5000, &ran, &err) == 0);
	CB_CHECK_INT(one(db, COUNT_JOBS), 0);        /* the third failure drops it */
	CB_CHECK_INT(atomic_load(&j->failed[1]), 3);
	CB_CHECK_INT(atomic_load(&j->runs[0]), 1);
	cb_buf b = {0};
	cb_jobs_metrics_render(j, db, 5000, &b);
	CB_CHECK(strstr(b.p, "casebook_jobs_failed_total{kind=\"t.fail\"} 3\n") != NULL);
	CB_CHECK(strstr(b.p, "casebook_jobs_run_total{kind=\"t.count\"} 1\n") != NULL);
	cb_buf_free(&b);
	cb_jobs_free(j);
	cb_db_close(db);
}

/* A handler that continues keeps its progress in the row and runs again,
 * each batch in a transaction of its own (`alone`); unknown kinds are
 * dropped and counted as "other"; /metrics shows the pending ones and the
 * age of the oldest. */
CB_TEST(jobs_continue_alone_and_drop_unknown_kinds)
{
	char *dir = tmpdir();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	cb_app app = {.db = db, .data_dir = dir};
	cb_jobs *j = cb_jobs_new(&app, kinds, NKINDS, NULL);
	insert(db, "t.count", 1000, 1);
	insert(db, "t.again", 1500, 1);
	insert(db, "t.count", 1500, 1);
	insert(db, "t.nobody", 1700, 1);
	insert(db, "t.count", 90000, 1);

	cb_buf b = {0};
	cb_jobs_metrics_render(j, db, 4000, &b);
	CB_CHECK(strstr(b.p, "casebook_jobs_pending{kind=\"t.count\"} 3\n") != NULL);
	CB_CHECK(strstr(b.p, "casebook_jobs_pending{kind=\"t.nobody\"} 1\n") != NULL);
	CB_CHECK(strstr(b.p, "casebook_jobs_oldest_pending_seconds{kind=\"t.count\"} 3.000\n") != NULL);
	CB_CHECK(strstr(b.p, "casebook_jobs_oldest_pending_seconds{kind=\"t.fail\"} 0.000\n") != NULL);
	cb_buf_free(&b);

	cb_job jb[8];
	int n = 0;
	CB_CHECK(cb_jobs_claim(j, 2000, 8, jb, &n, &err) == 0);
	CB_CHECK_INT(n, 1);                          /* stops before the one alone */
	CB_CHECK_STR(jb[0].kind, "t.count");
	int ran = 0, more = 0;
	CB_CHECK(cb_jobs_run_claimed(j, 2000, jb, n, &ran, &more, &err) == 0);
	CB_CHECK(cb_jobs_claim(j, 2000, 8, jb, &n, &err) == 0);
	CB_CHECK_INT(n, 1);                          /* by itself */
	CB_CHECK_STR(jb[0].kind, "t.again");
	CB_CHECK(cb_jobs_run_claimed(j, 2000, jb, n, &ran, &more, &err) == 0);
	CB_CHECK_INT(more, 1);
	CB_CHECK(cb_jobs_run_due(j, 2000, &ran, &err) == 0);
	CB_CHECK_INT(again_n, 3);
	CB_CHECK_INT(again_seen[0], 0);
	CB_CHECK_INT(again_seen[1], 1);
	CB_CHECK_INT(again_seen[2], 2);
	CB_CHECK_INT(one(db, COUNT_JOBS), 1);        /* the one due later */
	CB_CHECK_INT(atomic_load(&j->runs[2]), 3);
	CB_CHECK_INT(atomic_load(&j->units[2]), 30);
	CB_CHECK_INT(atomic_load(&j->failed[NKINDS]), 1);
	cb_jobs_free(j);
	cb_db_close(db);
}

/* ---- worker threads ---- */

static atomic_int turns, closed;

static int turn(cb_app *app, cb_ms *sleep_ms, cb_err *err)
{
	atomic_fetch_add(&turns, 1);
	*sleep_ms = 3600 * 1000; /* only a kick brings the next turn */
	return 0;
}

static void on_close(cb_app *app)
{
	atomic_fetch_add(&closed, 1);
}

static const cb_job_kind workers[] = {
	{.name = "t.worker", .source = CB_JOB_WORKER, .turn = turn, .close = on_close},
};

/* waits (at most 10 s) for *v to reach n */
static int wait_for(atomic_int *v, int n)
{
	for (int i = 0; i < 10000 && atomic_load(v) < n; i++) {
		struct timespec ts = {0, 1000000L};
		nanosleep(&ts, NULL);
	}
	return atomic_load(v);
}

CB_TEST(jobs_worker_runs_when_kicked_and_stops_cleanly)
{
	atomic_store(&turns, 0);
	atomic_store(&closed, 0);
	cb_app app = {0};
	cb_jobs *j = cb_jobs_new(&app, workers, 1, NULL);
	cb_err err = {0};
	CB_REQUIRE(cb_jobs_start(j, &err) == 0);
	CB_CHECK_INT(wait_for(&turns, 1), 1);
	cb_jobs_kick_kind("t.worker");
	CB_CHECK_INT(wait_for(&turns, 2), 2);
	cb_jobs_kick_kind("t.other"); /* another kind: nothing */
	cb_jobs_kick();               /* no timer kinds: nothing */
	cb_jobs_stop(j);              /* wakes the sleeping thread and joins it */
	CB_CHECK_INT(atomic_load(&turns), 2);
	CB_CHECK_INT(atomic_load(&closed), 1);
	CB_CHECK_INT(atomic_load(&j->runs[0]), 2);
	cb_jobs_kick_kind("t.worker"); /* stopped: a no-op */
	cb_jobs_free(j);
}
