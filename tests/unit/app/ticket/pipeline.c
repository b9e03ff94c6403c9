/* pipeline.c - the write pipeline (src/app/ticket/eventlog.c, pipeline.c):
 * ticket ids come from the database, a save checks the row's version, and
 * a write job that decided on a ticket another writer changed is decided
 * again on the fresh state (store/db.c). */
#include "harness.h"
#include "app/ticket/eventlog.h"
#include "app/ticket/pipeline.h"
#include "app/directory/setup.h"
#include "app/ticket/ticket.h"
#include "util/arena.h"

#include <stdlib.h>

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

static const cb_actor admin = {.user_id = 1, .role = CB_ROLE_ADMIN};

struct create {
	int64_t id[2];
};

static int create_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct create *x = arg;
	for (int i = 0; i < 2; i++) {
		json_t *in = json_pack("{s:s, s:s, s:s}", "subject", "s", "description", "d",
				       "requester", "admin@desk.test");
		int rc = cb_ticketsvc_create(c, &admin, 1000, in, 0, &x->id[i], err);
		json_decref(in);
		if (rc)
			return -1;
	}
	return 0;
}

/* Loads the ticket, lets "another writer" append an event to it, then saves
 * the stale copy (only on the first run): the save must refuse it. */
struct stale {
	int64_t id;
	int runs;
	cb_errcode first; /* the first run's error */
};

static int stale_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct stale *x = arg;
	x->runs++;
	cb_ticket t;
	if (cb_eventlog_load(c, x->id, &t, err))
		return -1;
	if (x->runs == 1 &&
	    cb_eventlog_append(c, x->id, CB_EV_CSAT, 2000, 1, json_pack("{s:i}", "score", 5), err)) {
		cb_ticket_clear(&t);
		return -1;
	}
	int rc = cb_eventlog_emit(c, &t, CB_EV_CES, 3000, 1, json_pack("{s:i}", "score", 2), NULL, err) ||
		 cb_eventlog_save(c, &t, 0, 0, err);
	if (rc && x->runs == 1)
		x->first = err->code;
	cb_ticket_clear(&t);
	return rc ? -1 : cb_pipeline_project(c, NULL, x->id, 3000, CB_PROJECT_ALL, err);
}

/* A row saved from a copy loaded before another writer's append is
 * refused by its version, even without an event of its own. */
static int stale_row_fn(cb_conn *c, void *arg, cb_err *err)
{
	int64_t id = *(int64_t *)arg;
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	int rc = cb_eventlog_append(c, id, CB_EV_CSAT, 4000, 1, json_pack("{s:i}", "score", 4), err);
	cb_err e2 = {0};
	int saved = rc ? -1 : cb_eventlog_save(c, &t, 0, 0, &e2);
	cb_ticket_clear(&t);
	if (rc)
		return -1;
	/* report what the stale save said, as a distinct outcome */
	return saved == -1 && e2.code == CB_E_STALE ? cb_err_set(err, CB_E_FORBIDDEN, NULL, "stale") : 0;
}

CB_TEST(pipeline_ids_from_the_database_and_stale_decisions_retried)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	cb_app app = {.data_dir = dir};
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&app.db, dir, NULL, &err) == 0);
	cb_arena *a = cb_arena_new();
	char *token = NULL;
	CB_REQUIRE(cb_setup_init(&app, a, "admin@desk.test", 1000, &token, &err) == 0);
	struct create cr = {{0, 0}};
	int crc = cb_db_write(app.db, create_fn, &cr, &err);
	if (crc)
		fprintf(stderr, "    create: %d %s\n", err.code, err.message);
	CB_REQUIRE(crc == 0);
	CB_CHECK(cr.id[0] > 0);
	CB_CHECK_INT(cr.id[1], cr.id[0] + 1);

	struct stale st = {.id = cr.id[0]};
	int wrc = cb_db_write(app.db, stale_fn, &st, &err);
	if (wrc)
		fprintf(stderr, "    write: %d %s (runs %d)\n", err.code, err.message, st.runs);
	CB_REQUIRE(wrc == 0);
	CB_CHECK_INT(st.first, CB_E_STALE); /* the stale save was refused */
	CB_CHECK_INT(st.runs, 2);           /* and the job decided again */
	cb_db_stats s;
	cb_db_get_stats(app.db, &s);
	CB_CHECK(s.retried >= 1);
	/* the first run was rolled back whole: the ticket holds the second
	 * run's event only, and its row is the fold of its log */
	cb_conn *c = cb_db_reader(app.db, &err);
	cb_ticket t;
	CB_REQUIRE(cb_eventlog_load(c, cr.id[0], &t, &err) == 0);
	CB_CHECK_INT(t.nevents, 2); /* created + ces */
	cb_ticket_clear(&t);
	CB_CHECK(cb_ticketsvc_verify_fold(c, cr.id[0], &err) == 1);
	cb_conn_reset_all(c);

	cb_err e3 = {0};
	CB_CHECK(cb_db_write(app.db, stale_row_fn, &cr.id[1], &e3) == -1 && e3.code == CB_E_FORBIDDEN);

	cb_arena_free(a);
	cb_db_close(app.db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}
