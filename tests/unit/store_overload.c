/* store_overload.c - the writer queue of src/store/db.c under overload: a
 * full queue refuses a write at once with CB_E_BUSY, a write the writer
 * has not started within queue_wait_ms is withdrawn (from any place in the
 * queue) with CB_E_BUSY, a refused write never runs, and every admitted
 * write still commits once the writer is free again. */
#include "harness.h"
#include "store/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

static atomic_int blocker_started, blocker_release;

struct ojob {
	cb_db *db;
	int n;
	int block; /* hold the writer until blocker_release */
	int ran;
	int rc;
	cb_err err;
};

static int ins_fn(cb_conn *c, void *arg, cb_err *err)
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

static void *worker(void *p)
{
	struct ojob *j = p;
	j->rc = cb_db_write(j->db, ins_fn, j, &j->err);
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
	pthread_create(&ta, NULL, worker, &a);
	for (int i = 0; i < 5000 && !atomic_load(&blocker_started); i++)
		usleep(1000);
	CB_REQUIRE(atomic_load(&blocker_started));
	pthread_create(&tb, NULL, worker, &b);
	pthread_create(&tc, NULL, worker, &c);
	CB_REQUIRE(wait_queued(db, 2));

	/* D: the queue is full, refused at once, never run */
	struct ojob d = {.db = db, .n = 4};
	double t0 = now_s();
	CB_CHECK_INT(cb_db_write(db, ins_fn, &d, &d.err), -1);
	CB_CHECK_INT(d.err.code, CB_E_BUSY);
	CB_CHECK_INT(d.ran, 0);
	CB_CHECK(now_s() - t0 < 1.0);

	/* E waits at most 200 ms; F, queued behind it, waits for as long as it
	 * takes. E is withdrawn from the middle of the queue. */
	cb_db_set_write_limits(db, 10, 200);
	pthread_create(&te, NULL, worker, &e);
	CB_REQUIRE(wait_queued(db, 3));
	cb_db_set_write_limits(db, 10, 0);
	pthread_create(&tf, NULL, worker, &f);
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
