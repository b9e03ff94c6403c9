/* store_db.c - the group-committing writer of src/store/db.c: concurrent
 * jobs all commit, a failing job is rolled back alone, data survives a
 * reopen, backups restore, the counters for /metrics read while it
 * commits. */
#include "harness.h"
#include "store/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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
