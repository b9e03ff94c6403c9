/* dispatch.c - the route table decides a request's database scope, its
 * body limit and whether it may be shed (api/api.h); app/scope.h gives a
 * read scope one snapshot and runs a write route's change in the group
 * commit, answering what it committed. */
#include "harness.h"
#include "api/api.h"
#include "api/write.h"
#include "app/idempotency.h"
#include "app/mail/mail_in.h"
#include "app/scope.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int route_named(const char *name)
{
	for (int i = 0; i < cb_routes_count; i++)
		if (!strcmp(cb_routes[i].name, name))
			return i;
	return -1;
}

CB_TEST(api_route_table_decides_shedding)
{
	CB_CHECK(cb_api_never_shed("/healthz"));
	CB_CHECK(cb_api_never_shed("/metrics"));
	CB_CHECK(!cb_api_never_shed("/"));
	CB_CHECK(!cb_api_never_shed("/api/v1/tickets"));
	CB_CHECK(!cb_api_never_shed("/healthz/x"));
	CB_CHECK(!cb_api_never_shed("/app/app.js"));
	/* exactly the flagged rows, and only public ones (nothing to authenticate) */
	int n = 0;
	for (int i = 0; i < cb_routes_count; i++)
		if (cb_routes[i].flags & CB_R_NOSHED) {
			n++;
			CB_CHECK(cb_routes[i].flags & CB_R_PUBLIC);
			CB_CHECK(cb_api_never_shed(cb_routes[i].pattern));
		}
	CB_CHECK_INT(n, 2);
}

CB_TEST(api_route_table_decides_body_limit)
{
	size_t def = 1000;
	CB_CHECK_INT(cb_api_body_limit(route_named("mail.inbound"), def), CB_MAIL_MAX);
	CB_CHECK_INT(cb_api_body_limit(route_named("import.tickets"), def), CB_API_SPOOL_MAX);
	CB_CHECK_INT(cb_api_body_limit(route_named("tickets.create"), def), def);
	CB_CHECK_INT(cb_api_body_limit(-1, def), def);
}

CB_TEST(api_route_table_decides_write_scope)
{
	/* every route that is not a GET changes state, except the escalation
	 * score (a computation on the posted document); no GET writes */
	for (int i = 0; i < cb_routes_count; i++) {
		const cb_route *r = &cb_routes[i];
		int write = (r->flags & CB_R_WRITE) != 0;
		if (!strcmp(r->method, "GET"))
			CB_CHECK(!write);
		else if (strcmp(r->name, "escalations.score") != 0 && !write) {
			cb_test_fail(__FILE__, __LINE__, r->name);
		}
	}
}

static cb_db *open_db(void)
{
	char tmpl[] = "/tmp/cb-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir)
		return NULL;
	cb_db_opts o = {.synchronous_full = 0};
	cb_err err = {0};
	cb_db *db = NULL;
	if (cb_db_open(&db, dir, &o, &err))
		return NULL;
	return db;
}

static int store_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int *ran = arg;
	(*ran)++;
	if (cb_idem_store(c, 7, "k", "fp", 201, "{\"a\":1}", req->now, err))
		return -1;
	*out = json_pack("{s:i}", "a", 1);
	return 0;
}

CB_TEST(api_commit_runs_only_on_write_routes_and_answers_after_commit)
{
	cb_db *db = open_db();
	CB_REQUIRE(db);
	cb_app app = {.db = db};
	cb_arena *a = cb_arena_new();
	cb_req req = {.arena = a, .app = &app, .method = "GET", .path = "/api/v1/tickets/1",
		      .route = route_named("tickets.get"), .now = 1000};
	cb_resp resp = {0};
	cb_err err = {0};
	int ran = 0;
	/* a read route may not change state: nothing runs */
	req.conn = cb_scope_begin(&app, CB_SCOPE_READ, &err);
	CB_REQUIRE(req.conn);
	CB_CHECK_INT(cb_api_commit(&req, &resp, 201, store_fn, &ran, &err), -1);
	CB_CHECK_INT(err.code, CB_E_INTERNAL);
	CB_CHECK_INT(ran, 0);
	cb_scope_end(&app, req.conn);
	cb_err_clear(&err);

	/* a write route: fn runs in the group commit, the answer is its JSON,
	 * and the request then reads what it wrote */
	req.method = "POST";
	req.path = "/api/v1/tickets";
	req.route = route_named("tickets.create");
	req.conn = cb_scope_begin(&app, CB_SCOPE_WRITE, &err);
	CB_REQUIRE(req.conn);
	CB_CHECK_INT(cb_api_commit(&req, &resp, 201, store_fn, &ran, &err), 0);
	CB_CHECK_INT(ran, 1);
	CB_CHECK_INT(resp.status, 201);
	CB_CHECK_STR(resp.body, "{\"a\":1}");
	int status = 0;
	const char *body = NULL;
	CB_CHECK_INT(cb_idem_lookup(&app, a, 7, "k", "fp", &status, &body, &err), 1);
	CB_CHECK_INT(status, 201);
	cb_scope_end(&app, req.conn);
	cb_arena_free(a);
	cb_db_close(db);
}

static void *other_writer(void *p)
{
	cb_app *app = p;
	cb_err err = {0};
	cb_idem_remember(app, 9, "s", "fp", 200, "{}", 1000, &err);
	return NULL;
}

CB_TEST(api_read_scope_sees_one_snapshot)
{
	cb_db *db = open_db();
	CB_REQUIRE(db);
	cb_app app = {.db = db};
	cb_arena *a = cb_arena_new();
	cb_err err = {0};
	int status = 0;
	const char *body = NULL;
	cb_conn *c = cb_scope_begin(&app, CB_SCOPE_READ, &err);
	CB_REQUIRE(c);
	CB_CHECK_INT(cb_idem_lookup(&app, a, 9, "s", "fp", &status, &body, &err), 0);
	/* another thread commits: this request's snapshot does not move */
	pthread_t t;
	CB_REQUIRE(pthread_create(&t, NULL, other_writer, &app) == 0);
	pthread_join(t, NULL);
	CB_CHECK_INT(cb_idem_lookup(&app, a, 9, "s", "fp", &status, &body, &err), 0);
	cb_scope_end(&app, c);
	/* the next request sees the commit */
	c = cb_scope_begin(&app, CB_SCOPE_READ, &err);
	CB_REQUIRE(c);
	CB_CHECK_INT(cb_idem_lookup(&app, a, 9, "s", "fp", &status, &body, &err), 1);
	cb_scope_end(&app, c);
	cb_arena_free(a);
	cb_db_close(db);
}
