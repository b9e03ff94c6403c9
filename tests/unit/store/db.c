/* db.c - the group-committing writer of src/store/db.c: concurrent jobs
 * all commit, a failing job is rolled back alone, data survives a reopen,
 * backups restore, the counters for /metrics read while it commits, and
 * its queue under overload (bounded, with bounded waits). */
#include "harness.h"
#include "store/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

/* a fixture's own query, not a statement of the product: prepared once */
static const char COUNT[] = "SELECT count(*) FROM accounts";

/* an account named name (the product's statement) */
static int insert_account(cb_conn *c, const char *name, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, name);
	cb_q_bind_text(q, 2, "standard");
	cb_q_bind_text(q, 3, "[]");
	cb_q_bind_i64(q, 4, 0);
	return cb_q_exec(q, err);
}

struct job {
	cb_db *db;
	int n;
	int fail; /* insert, then fail: must leave nothing behind */
	int rc;
};

static int ins_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct job *j = arg;
	char name[32];
	snprintf(name, sizeof name, "acct-%d", j->n);
	if (insert_account(c, name, err))
		return -1;
	if (j->fail)
		return cb_err_set(err, CB_E_INVALID, "x", "failing on purpose");
	return 0;
}

static void *worker(void *p)
{
	struct job *j = p;
	cb_err err = {0};
	j->rc = cb_db_write(j->db, ins_fn, j, &err);
	return NULL;
}

static int64_t count(cb_db *db)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = cb_q_prepare(c, COUNT, &err);
	int64_t n = -1;
	if (q && cb_q_step(q, &err) == 1)
		n = cb_q_i64(q, 0);
	cb_q_free(q);
	return n;
}

CB_TEST(store_concurrent_writes_commit_and_failures_roll_back_alone)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	enum { N = 32 };
	struct job jobs[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){.db = db, .n = i, .fail = (i % 8 == 3)};
		pthread_create(&th[i], NULL, worker, &jobs[i]);
	}
	int ok = 0, failed = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (jobs[i].rc == 0)
			ok++;
		else
			failed++;
		CB_CHECK_INT(jobs[i].rc, jobs[i].fail ? -1 : 0);
	}
	CB_CHECK_INT(ok, 28);
	CB_CHECK_INT(failed, 4);
	CB_CHECK_INT(count(db), 28);
	/* a duplicate name is reported as a conflict and writes nothing */
	struct job dup = {.db = db, .n = 0};
	cb_err e2 = {0};
	CB_CHECK(cb_db_write(db, ins_fn, &dup, &e2) == -1);
	CB_CHECK_INT(e2.code, CB_E_CONFLICT);
	cb_db_stats st;
	cb_db_get_stats(db, &st);
	CB_CHECK_INT(st.jobs, 33);
	CB_CHECK_INT(st.failed, 5);
	CB_CHECK(st.commits >= 1 && st.commits <= 33);
	/* backup, then everything survives close + reopen and a restore */
	char bk[128];
	snprintf(bk, sizeof bk, "%s/backup.db", dir);
	CB_CHECK(cb_db_backup(db, bk, &err) == 0);
	cb_db_close(db);
	db = NULL;
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	CB_CHECK_INT(count(db), 28);
	cb_db_close(db);
	char dir2[128];
	snprintf(dir2, sizeof dir2, "%s/restored", dir);
	CB_REQUIRE(cb_db_restore_file(dir2, bk, &err) == 0);
	CB_REQUIRE(cb_db_open(&db, dir2, NULL, &err) == 0);
	CB_CHECK_INT(count(db), 28);
	cb_db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}

CB_TEST(store_statement_cache_reuses_prepared_statements)
{
	char *dir = tmpdir();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	cb_conn *c = cb_db_reader(db, &err);
	CB_REQUIRE(c);
	cb_q *a = cb_q_get(c, CB_SQL_TICKET_GET, &err);
	cb_q *b = cb_q_get(c, CB_SQL_TICKET_GET, &err);
	CB_CHECK(a && a == b);
	CB_CHECK(cb_q_get(c, CB_SQL_DIR_ACCOUNT_INSERT, &err) != a);
	/* an unknown name is an error, not a crash */
	cb_err e2 = {0};
	CB_CHECK(cb_q_get(c, CB_SQL__COUNT, &e2) == NULL && e2.code == CB_E_INTERNAL);
	/* readers are read-only */
	cb_err e3 = {0};
	CB_CHECK(insert_account(c, "x", &e3) == -1);
	cb_db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}

/* Every named statement has a text in the SQLite dialect, and every text
 * prepares against the migrated schema (a typo or a dropped column fails
 * here, not in the one request that runs it). */
CB_TEST(store_every_named_statement_prepares)
{
	char *dir = tmpdir();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	cb_conn *c = cb_db_reader(db, &err);
	CB_REQUIRE(c);
	CB_CHECK(cb_sql_sqlite_text(CB_SQL_NONE) == NULL);
	int bad = 0;
	for (int id = 1; id < CB_SQL__COUNT; id++) {
		const char *text = cb_sql_sqlite_text((cb_sql)id);
		if (!text || !*text) {
			fprintf(stderr, "    statement %d has no text\n", id);
			bad++;
			continue;
		}
		/* scripts (several statements) run through cb_conn_run */
		if (id == CB_SQL_ROLLUP_REBUILD)
			continue;
		cb_err e = {0};
		cb_q *q = cb_q_prepare(c, text, &e);
		if (!q) {
			fprintf(stderr, "    statement %d: %s\n", id, e.message);
			bad++;
		}
		cb_q_free(q);
	}
	CB_CHECK_INT(bad, 0);
	cb_db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}

/* /metrics reads the writer's counters while it commits: every read sees
 * counters that only grow, with no more commits than jobs, and the totals
 * add up. (Under ThreadSanitizer, `make check-tsan`, this is also the race
 * check of the counters: the writer updates them under the queue's lock.) */
struct stats_reader {
	cb_db *db;
	atomic_int *stop;
	int reads, bad;
};

static void *stats_main(void *p)
{
	struct stats_reader *r = p;
	cb_db_stats prev = {0};
	while (!atomic_load(r->stop)) {
		cb_db_stats st;
		cb_db_get_stats(r->db, &st);
		if (st.commits < prev.commits || st.jobs < prev.jobs || st.commits > st.jobs ||
		    st.failed > st.jobs || st.max_batch > st.jobs)
			r->bad++;
		prev = st;
		r->reads++;
	}
	return NULL;
}

static int noop_fn(cb_conn *c, void *arg, cb_err *err)
{
	return 0;
}

static void *noop_writer(void *p)
{
	cb_db *db = p;
	for (int i = 0; i < 50; i++) {
		cb_err err = {0};
		if (cb_db_write(db, noop_fn, NULL, &err))
			return (void *)1;
	}
	return NULL;
}

CB_TEST(store_stats_read_while_the_writer_commits)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	atomic_int stop = 0;
	struct stats_reader r = {.db = db, .stop = &stop};
	pthread_t reader, th[8];
	pthread_create(&reader, NULL, stats_main, &r);
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, noop_writer, db);
	int failed = 0;
	for (int i = 0; i < 8; i++) {
		void *rc = NULL;
		pthread_join(th[i], &rc);
		failed += rc != NULL;
	}
	atomic_store(&stop, 1);
	pthread_join(reader, NULL);
	CB_CHECK_INT(failed, 0);
	CB_CHECK(r.reads > 0);
	CB_CHECK_INT(r.bad, 0);
	cb_db_stats st;
	cb_db_get_stats(db, &st);
	CB_CHECK_INT(st.jobs, 400);
	CB_CHECK_INT(st.failed, 0);
	CB_CHECK(st.commits >= 1 && st.commits <= 400);
	cb_db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}

/* The writer queue under overload: a full queue refuses a write at once
 * with CB_E_BUSY, a write the writer has not started within queue_wait_ms
 * is withdrawn (from any place in the queue) with CB_E_BUSY, a refused
 * write never runs, and every admitted write still commits once the writer
 * is free again. */

static atomic_int blocker_started, blocker_release;

struct ojob {
	cb_db *db;
	int n;
	int block; /* hold the writer until blocker_release */
	int ran;
	int rc;
	cb_err err;
};

static int ov_ins_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct ojob *j = arg;
	j->ran = 1;
	char name[32];
	snprintf(name, sizeof name, "ov-%d", j->n);
	if (insert_account(c, name, err))
		return -1;
	if (j->block) {
		atomic_store(&blocker_started, 1);
		while (!atomic_load(&blocker_release))
			usleep(1000);
	}
	return 0;
}

static void *ov_worker(void *p)
{
	struct ojob *j = p;
	j->rc = cb_db_write(j->db, ov_ins_fn, j, &j->err);
	return NULL;
}

static uint64_t queued(cb_db *db)
{
	cb_db_stats st;
	cb_db_get_stats(db, &st);
	return st.queued;
}

/* Polls until the writer queue holds n jobs (at most 5 s). */
static int wait_queued(cb_db *db, uint64_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (queued(db) == n)
			return 1;
		usleep(1000);
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

CB_TEST(db_write_queue_is_bounded_and_waits_are_bounded)
{
	char dir[] = "/tmp/cb-unit-ov-XXXXXX";
	CB_REQUIRE(mkdtemp(dir));
	cb_db *db = NULL;
	cb_err err = {0};
	cb_db_opts o = {.synchronous_full = 0, .max_queue = 2};
	CB_REQUIRE(cb_db_open(&db, dir, &o, &err) == 0);
	atomic_store(&blocker_started, 0);
	atomic_store(&blocker_release, 0);

	/* A holds the writer; B and C fill the queue (limit 2) */
	struct ojob a = {.db = db, .n = 1, .block = 1}, b = {.db = db, .n = 2},
		    c = {.db = db, .n = 3}, e = {.db = db, .n = 5}, f = {.db = db, .n = 6};
	pthread_t ta, tb, tc, te, tf;
	pthread_create(&ta, NULL, ov_worker, &a);
	for (int i = 0; i < 5000 && !atomic_load(&blocker_started); i++)
		usleep(1000);
	CB_REQUIRE(atomic_load(&blocker_started));
	pthread_create(&tb, NULL, ov_worker, &b);
	pthread_create(&tc, NULL, ov_worker, &c);
	CB_REQUIRE(wait_queued(db, 2));

	/* D: the queue is full, refused at once, never run */
	struct ojob d = {.db = db, .n = 4};
	double t0 = now_s();
	CB_CHECK_INT(cb_db_write(db, ov_ins_fn, &d, &d.err), -1);
	CB_CHECK_INT(d.err.code, CB_E_BUSY);
	CB_CHECK_INT(d.ran, 0);
	CB_CHECK(now_s() - t0 < 1.0);

	/* E waits at most 200 ms; F, queued behind it, waits for as long as it
	 * takes. E is withdrawn from the middle of the queue. */
	cb_db_set_write_limits(db, 10, 200);
	pthread_create(&te, NULL, ov_worker, &e);
	CB_REQUIRE(wait_queued(db, 3));
	cb_db_set_write_limits(db, 10, 0);
	pthread_create(&tf, NULL, ov_worker, &f);
	CB_REQUIRE(wait_queued(db, 4));
	t0 = now_s();
	pthread_join(te, NULL);
	CB_CHECK_INT(e.rc, -1);
	CB_CHECK_INT(e.err.code, CB_E_BUSY);
	CB_CHECK_INT(e.ran, 0);
	CB_CHECK(now_s() - t0 < 5.0);
	CB_CHECK_INT(queued(db), 3);

	/* the writer is free again: every admitted write commits, in order */
	atomic_store(&blocker_release, 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	pthread_join(tf, NULL);
	CB_CHECK_INT(a.rc, 0);
	CB_CHECK_INT(b.rc, 0);
	CB_CHECK_INT(c.rc, 0);
	CB_CHECK_INT(f.rc, 0);
	CB_CHECK_INT(queued(db), 0);
	cb_db_stats st;
	cb_db_get_stats(db, &st);
	CB_CHECK_INT(st.rejected, 2);

	cb_conn *r = cb_db_reader(db, &err);
	CB_REQUIRE(r);
	cb_q *q = cb_q_prepare(r, COUNT, &err);
	CB_REQUIRE(q && cb_q_step(q, &err) == 1);
	CB_CHECK_INT(cb_q_i64(q, 0), 4);
	cb_q_free(q);
	cb_db_close(db);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}
