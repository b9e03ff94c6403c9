/* ticket_page.c - a list or queue page of tickets runs a bounded number of
 * statements whatever its size (issue 15 item 6), and renders exactly what
 * a GET of each ticket renders, for agents and customers, from a cold and
 * from a warm SLA fold cache. */
#include "harness.h"
#include "store/internal.h" /* fixtures seed rows with SQL text */
#include "app/sla/sla.h"
#include "app/ticket/ticket.h"
#include "app/ticket/ticket_page.h"
#include "app/ticket/views.h"
#include "store/db.h"

#include <stdlib.h>
#include <unistd.h>

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define NTICKETS 64
#define NACCOUNTS 12

/* the directory: accounts 1..12 (tiers in turn), customers 101..136 (three
 * per account), agents 201..205, groups 1..3 */
static int seed_directory(cb_conn *c, void *arg, cb_err *err)
{
	(void)arg;
	char sql[512];
	static const char *const tiers[] = {"enterprise", "business", "standard"};
	for (int a = 1; a <= NACCOUNTS; a++) {
		snprintf(sql, sizeof sql,
			 "INSERT INTO accounts(id, name, tier, created_at, updated_at)"
			 " VALUES (%d, 'acct%d', '%s', 0, 0)", a, a, tiers[a % 3]);
		if (cb_conn_exec(c, sql, err))
			return -1;
		for (int k = 0; k < 3; k++) {
			int u = 100 + (a - 1) * 3 + k + 1;
			snprintf(sql, sizeof sql,
				 "INSERT INTO users(id, email, name, role, account_id, created_at, updated_at)"
				 " VALUES (%d, 'c%d@acct%d.test', 'Customer %d', 'customer', %d, 0, 0)",
				 u, u, a, u, a);
			if (cb_conn_exec(c, sql, err))
				return -1;
		}
	}
	for (int u = 201; u <= 205; u++) {
		snprintf(sql, sizeof sql,
			 "INSERT INTO users(id, email, name, role, created_at, updated_at)"
			 " VALUES (%d, 'agent%d@support.test', 'Agent %d', 'agent', 0, 0)", u, u, u);
		if (cb_conn_exec(c, sql, err))
			return -1;
	}
	return cb_conn_exec(c,
		"INSERT INTO groups(id, name, created_at, updated_at) VALUES"
		" (1, 'tier1', 0, 0), (2, 'tier2', 0, 0), (3, 'billing', 0, 0);"
		"INSERT INTO sla_policies(name, position, conditions, targets, created_at, updated_at) VALUES"
		" ('gold', 1, '{\"tier\":\"enterprise\"}', '{\"first_response\":60,\"next_update\":120,"
		"\"resolution\":480}', 0, 42424242),"
		" ('silver', 2, '{\"tier\":[\"business\"]}', '{\"first_response\":240,\"resolution\":2880}',"
		" 0, 42424242);"
		"INSERT INTO settings(key, value) VALUES ('tickets.customer_custom_fields', '[\"plan\"]')"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value;",
		err);
}

/* tickets with every kind of reference: some without an assignee or group,
 * replies (clocks stopped and running), one moved to another account */
static int seed_tickets(cb_conn *c, void *arg, cb_err *err)
{
	int64_t *ids = arg;
	cb_actor agent = {.user_id = 201, .role = CB_ROLE_AGENT};
	for (int i = 0; i < NTICKETS; i++) {
		int requester = 101 + (i * 7) % (NACCOUNTS * 3);
		json_t *in = json_pack("{s:s, s:s, s:i, s:s, s:[s,s], s:{s:s, s:i}}", "subject",
				       "Printer on fire", "description", "smoke everywhere", "requester",
				       requester, "priority", i % 4 == 0 ? "P1" : "P3", "tags", "hw",
				       i % 2 ? "smoke" : "fire", "custom_fields", "plan", "gold",
				       "internal_score", i);
		if (i % 3)
			json_object_set_new(in, "assignee", json_integer(201 + i % 5));
		if (i % 4)
			json_object_set_new(in, "group", json_integer(1 + i % 3));
		int rc = cb_ticketsvc_create(c, &agent, T0 + i * 60000, in, 0, &ids[i], err);
		json_decref(in);
		if (rc)
			return -1;
		if (i % 5 == 0) {
			json_t *cm = json_pack("{s:s, s:b}", "body", "on it", "public", 1);
			int64_t ev = 0, tk = 0;
			rc = cb_ticketsvc_comment(c, &agent, T0 + i * 60000 + 30000, ids[i], cm, &ev, &tk,
					       err);
			json_decref(cm);
			if (rc)
				return -1;
		}
	}
	/* a ticket whose fold read two accounts' tiers */
	json_t *mv = json_pack("{s:i}", "account", 2);
	int rc = cb_ticketsvc_update(c, &agent, T0 + NTICKETS * 60000, ids[3], mv, err);
	json_decref(mv);
	return rc;
}

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

typedef struct {
	int view; /* 0: GET /tickets (status=open,pending), 1: the all_open queue */
	const cb_actor *who;
	int limit;
} page_req;

/* One page; *stmts: statements it ran. */
static json_t *page(cb_conn *c, const page_req *p, cb_ms now, uint64_t *stmts)
{
	cb_err err = {0};
	json_t *items = NULL;
	int64_t next = 0;
	cb_view_spec spec;
	if (p->view && cb_views_resolve(c, p->who, "all_open", &spec, &err))
		return NULL;
	uint64_t before = cb_conn_statements(c);
	int rc;
	if (p->view) {
		rc = cb_ticketsvc_view(c, p->who, &spec, p->limit, 0, now, &items, &next, &err);
	} else {
		cb_ticketsvc_filter f = {.status = "open,pending,new"};
		rc = cb_ticketsvc_list(c, p->who, &f, p->limit, 0, now, &items, &next, &err);
	}
	*stmts = cb_conn_statements(c) - before;
	cb_conn_reset_all(c);
	if (rc)
		fprintf(stderr, "page: %s\n", err.message);
	return rc ? NULL : items;
}

/* Each item is what a GET of the ticket renders at the same instant (the
 * agent view without its followups), byte for byte. */
static int same_as_gets(cb_conn *c, const cb_actor *who, json_t *items, cb_ms now)
{
	size_t i;
	json_t *o;
	int ok = 1;
	json_array_foreach(items, i, o) {
		cb_err err = {0};
		int64_t id = json_integer_value(json_object_get(o, "id"));
		json_t *g = cb_ticketsvc_render(c, who, id, now, &err);
		if (!g)
			return 0;
		json_object_del(g, "followups");
		char *a = json_dumps(o, JSON_COMPACT), *b = json_dumps(g, JSON_COMPACT);
		if (strcmp(a, b)) {
			fprintf(stderr, "ticket %lld:\n page %s\n get  %s\n", (long long)id, a, b);
			ok = 0;
		}
		free(a);
		free(b);
		json_decref(g);
	}
	cb_conn_reset_all(c);
	return ok;
}

/* Drops the cached folds, keeps the configuration loaded. */
static void cold_folds(cb_conn *c)
{
	cb_err err = {0};
	cb_slasvc_cfgset *cs = NULL;
	cb_slasvc_cache_shutdown();
	if (cb_slasvc_cfgset_load(c, &cs, &err) == 0)
		cb_slasvc_cfgset_free(cs);
	cb_conn_reset_all(c);
}

CB_TEST(ticket_page_bounded_statements_and_same_as_get)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	cb_slasvc_cache_shutdown();
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	int64_t ids[NTICKETS];
	CB_REQUIRE(cb_db_write(db, seed_directory, NULL, &err) == 0);
	if (cb_db_write(db, seed_tickets, ids, &err))
		fprintf(stderr, "seed: %s %s\n", err.nitems ? err.items[0].field : "", err.message);
	CB_REQUIRE(!err.code);
	cb_conn *c = cb_db_reader(db, &err);
	CB_REQUIRE(c);

	cb_actor agent = {.user_id = 202, .role = CB_ROLE_AGENT};
	cb_actor customer = {.user_id = 104, .role = CB_ROLE_CUSTOMER, .account_id = 2};
	cb_ms now = T0 + 3 * 3600000LL; /* some clocks breached, some running */
	const page_req reqs[] = {
		{0, &agent, 50}, {1, &agent, 50}, {0, &customer, 50},
	};
	for (size_t r = 0; r < sizeof reqs / sizeof reqs[0]; r++) {
		uint64_t cold = 0, warm = 0, small = 0;
		/* cold: no cached fold (the events are read in one statement); the
		 * configuration is loaded again first (once per change, not per page) */
		cold_folds(c);
		json_t *items = page(c, &reqs[r], now, &cold);
		CB_REQUIRE(items);
		/* the customer's account: tickets of requesters 104-106 and the moved one */
		CB_CHECK_INT(json_array_size(items), reqs[r].who == &customer ? 7 : 50);
		CB_CHECK(same_as_gets(c, reqs[r].who, items, now));
		json_decref(items);
		/* warm: the folds are cached */
		items = page(c, &reqs[r], now + 1000, &warm);
		CB_REQUIRE(items);
		CB_CHECK(same_as_gets(c, reqs[r].who, items, now + 1000));
		json_decref(items);
		page_req p10 = reqs[r];
		p10.limit = 10;
		items = page(c, &p10, now + 2000, &small);
		CB_REQUIRE(items);
		json_decref(items);
		fprintf(stderr, "page %zu: %llu statements cold, %llu warm, %llu for 10 rows\n", r,
			(unsigned long long)cold, (unsigned long long)warm, (unsigned long long)small);
		CB_CHECK(warm <= 6);
		CB_CHECK(cold <= 6);
		CB_CHECK_INT(small, warm); /* does not grow with the page size */
	}
	/* the page renderer alone, with follow-ups (the tickets of a defect) */
	cold_folds(c);
	json_t *items = NULL;
	uint64_t before = cb_conn_statements(c);
	CB_REQUIRE(cb_ticketsvc_page_render(c, &agent, ids, NTICKETS, now, CB_TICKET_PAGE_FOLLOWUPS,
					 &items, &err) == 0);
	CB_CHECK(cb_conn_statements(c) - before <= 6);
	cb_conn_reset_all(c);
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o) {
		json_t *g = cb_ticketsvc_render(c, &agent, ids[i], now, &err);
		CB_REQUIRE(g);
		CB_CHECK(json_equal(o, g));
		json_decref(g);
	}
	cb_conn_reset_all(c);
	json_decref(items);
	cb_db_close(db);
	cb_slasvc_cache_shutdown();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}
