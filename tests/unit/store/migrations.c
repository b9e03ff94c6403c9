/* migrations.c - migration 011 on a data dir of the 009/010 layout: the
 * old index's stemmed text is carried into search_index (with the meta
 * tokens that visibility and filters match on), documents the old index
 * lacked are queued in search_pending, and once those are indexed search
 * finds everything, with the customer restrictions of the new layout. */
#include "harness.h"
#include "app/knowledge/search.h"
#include "core/text.h"
#include "store/db.h"
#include "store/migrations.h"
#include "util/alloc.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

static char *stem(const char *s)
{
	cb_buf b = {0};
	cb_text_stem_into(&b, s);
	return b.p ? cb_buf_steal(&b) : cb_xstrdup("");
}

/* an old-layout (009) index row */
static void old_row(sqlite3 *db, int64_t rowid, int kind, int64_t ref, int part, int64_t account,
		    const char *title, const char *body)
{
	char *t = stem(title), *b = stem(body);
	char *sql = sqlite3_mprintf(
		"INSERT INTO search_docs(id, kind, ref_id, part, account_id, status, type, public, at)"
		" VALUES (%lld, %d, %lld, %d, %lld, 'open', 'ticket', 0, 0);"
		"INSERT INTO search_fts(rowid, title, body) VALUES (%lld, %Q, %Q);",
		(long long)rowid, kind, (long long)ref, part, (long long)account, (long long)rowid, t, b);
	CB_CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_free(sql);
	cb_free(t);
	cb_free(b);
}

static int64_t one(cb_conn *c, const char *sql)
{
	cb_err err = {0};
	cb_q *q = cb_q_prepare(c, sql, &err);
	int64_t v = q && cb_q_step(q, &err) == 1 ? cb_q_i64(q, 0) : -1;
	cb_q_free(q);
	return v;
}

static int pending_fn(cb_conn *c, void *arg, cb_err *err)
{
	return cb_search_index_pending(c, 100, arg, err);
}

static int has(json_t *items, const char *kind, int64_t id)
{
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o) if (
		strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0 &&
		json_integer_value(json_object_get(o, "id")) == id) return 1;
	return 0;
}

static json_t *find(cb_db *db, const cb_actor *who, const char *q)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_searchsvc_query sq = {.q = q};
	json_t *items = NULL;
	int64_t next = 0;
	int rc = cb_search(c, who, &sq, 50, 0, &items, &next, &err);
	cb_conn_reset_all(c);
	return rc ? NULL : items;
}

CB_TEST(search_migration_011_upgrades_the_009_index)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	char path[128];
	snprintf(path, sizeof path, "%s/casebook.db", dir);
	sqlite3 *db = NULL;
	CB_REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	/* the schema as it was before 011 */
	for (int i = 0; i < 10; i++)
		CB_REQUIRE(sqlite3_exec(db, cb_migrations[i], NULL, NULL, NULL) == SQLITE_OK);
	CB_REQUIRE(sqlite3_exec(db,
		"PRAGMA user_version = 10;"
		"INSERT INTO accounts(id, name, tier, created_at, updated_at) VALUES"
		" (1, 'acme', 'standard', 0, 0), (2, 'globex', 'standard', 0, 0);"
		"INSERT INTO users(id, email, role, account_id, created_at, updated_at) VALUES"
		" (1, 'a@acme.test', 'customer', 1, 0, 0), (2, 'g@globex.test', 'customer', 2, 0, 0);"
		"INSERT INTO tickets(id, subject, description, status, priority, account_id, requester_id,"
		" created_at, updated_at) VALUES"
		" (1, 'Printers jam daily', 'paper jams', 'on_hold', 'P3', 1, 1, 1000, 1000),"
		" (2, 'Printer offline', 'printer gone', 'open', 'P3', 2, 2, 2000, 2000);"
		"INSERT INTO articles(id, type, state, visibility, title, body, version, created_at, updated_at)"
		" VALUES (1, 'known_error', 'published', 'public', 'Printer guide', 'power cycle', 1, 0, 0),"
		" (2, 'kb', 'draft', 'internal', 'Printer secrets', 'zebra', 1, 0, 0);",
		NULL, NULL, NULL) == SQLITE_OK);
	/* the old index holds ticket 1 (with an internal note) and article 1 only */
	old_row(db, 4, 1, 1, 0, 1, "Printers jam daily", "paper jams");
	old_row(db, 5, 1, 1, 1, 1, "", "zebrasecret internal");
	old_row(db, 6, 2, 1, 0, 0, "Printer guide", "power cycle");
	sqlite3_close(db);

	cb_db *cdb = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&cdb, dir, NULL, &err) == 0);
	cb_conn *c = cb_db_reader(cdb, &err);
	CB_REQUIRE(c);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM sqlite_master WHERE name IN ('search_fts', 'search_docs')"), 0);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_index"), 2);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_pending"), 2);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_pending WHERE (kind, id) IN (VALUES (1, 2), (2, 2))"), 2);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_index WHERE rowid = 1 AND meta = 'a1 sonhold'"
			    " AND notes = 'zebrasecret intern'"), 1);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_index WHERE rowid = -1"
			    " AND meta = 'tknownerror spublished vpublic'"), 1);
	cb_conn_reset_all(c);

	cb_actor agent = {.user_id = 0, .role = CB_ROLE_ADMIN};
	cb_actor alice = {.user_id = 1, .role = CB_ROLE_CUSTOMER, .account_id = 1};
	/* the carried-over rows are searchable at once (stemmed: printers) */
	json_t *items = find(cdb, &agent, "printers");
	CB_REQUIRE(items);
	CB_CHECK(has(items, "ticket", 1) && has(items, "article", 1) && !has(items, "ticket", 2));
	json_decref(items);

	/* the background indexer's job: the pending documents */
	int done = 0;
	CB_REQUIRE(cb_db_write(cdb, pending_fn, &done, &err) == 0);
	CB_CHECK_INT(done, 2);
	c = cb_db_reader(cdb, &err);
	CB_CHECK_INT(one(c, "SELECT count(*) FROM search_pending"), 0);
	cb_conn_reset_all(c);
	items = find(cdb, &agent, "printer");
	CB_REQUIRE(items);
	CB_CHECK_INT(json_array_size(items), 4);
	CB_CHECK(has(items, "ticket", 2) && has(items, "article", 2));
	json_decref(items);
	/* a customer: own account's ticket and the published public article */
	items = find(cdb, &alice, "printer");
	CB_REQUIRE(items);
	CB_CHECK_INT(json_array_size(items), 2);
	CB_CHECK(has(items, "ticket", 1) && has(items, "article", 1));
	json_decref(items);
	items = find(cdb, &alice, "zebrasecret");
	CB_CHECK(items && json_array_size(items) == 0);
	json_decref(items);
	items = find(cdb, &agent, "zebrasecret");
	CB_CHECK(items && json_array_size(items) == 1 && has(items, "ticket", 1));
	json_decref(items);
	cb_db_close(cdb);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}
