/* search.c - the search index interface (src/store/search.h) held to
 * the semantics of docs/architecture.md, "Search": documents put and
 * removed through the backend, queried with visibility, filters, phrases,
 * prefixes, any-of, paging and the ranking window. Nothing here knows the
 * backend, so a second implementation runs the same checks. Plus the FTS5
 * backend's own rendering of query items. */
#include "harness.h"
#include "store/search.h"
#include "store/search_fts5.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir(void)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/tmp/cb-unit-XXXXXX");
	return mkdtemp(buf);
}

enum { T = CB_SEARCH_TICKET, A = CB_SEARCH_ARTICLE };

static const cb_search_doc docs[] = {
	{T, 1, "Printer jams", "the paper tray jams", "zebra secret", 5, "open", NULL, NULL},
	{T, 2, "Scanner", "printer offline daily", "", 6, "on_hold", NULL, NULL},
	{T, 3, "Gone", "printer", "", 5, "open", NULL, NULL},
	{A, 1, "Printer guide", "power cycle", "", 0, "published", "kb", "public"},
	{A, 2, "Printer runbook", "zebra steps", "", 0, "published", "runbook", "internal"},
	{A, 3, "Printer draft", "not yet", "", 0, "draft", "known_error", "public"},
};

static int put_all(cb_conn *c, void *arg, cb_err *err)
{
	const cb_search_backend *be = cb_search_backend_of(c);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
		if (be->put(c, &docs[i], err))
			return -1;
	/* a put replaces: the second put of ticket 1 leaves one entry */
	if (be->put(c, &docs[0], err))
		return -1;
	return be->remove(c, T, 3, err);
}

/* The hits of q as "t1 a2 ..." in rank order. */
static char *run(cb_db *db, const char *text, cb_search_req r)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_text_parsed p;
	cb_text_terms terms;
	cb_text_parse(text, &p, &terms);
	r.text = &p;
	if (!r.kinds)
		r.kinds = CB_SEARCH_ALL_KINDS;
	if (!r.limit)
		r.limit = 50;
	cb_search_hit *h = NULL;
	int n = 0;
	int rc = cb_search_rank(c, &r, &h, &n, &err);
	cb_conn_reset_all(c);
	cb_text_parsed_free(&p);
	cb_text_terms_free(&terms);
	if (rc)
		return cb_xstrdup("error");
	cb_buf b = {0};
	for (int i = 0; i < n; i++) {
		cb_buf_printf(&b, "%s%c%lld", i ? " " : "", h[i].kind == T ? 't' : 'a', (long long)h[i].id);
		if (i && h[i].score > h[i - 1].score && !getenv("CASEBOOK_SEARCH_WINDOW"))
			cb_buf_puts(&b, "!"); /* out of order */
	}
	cb_free(h);
	return b.p ? cb_buf_steal(&b) : cb_xstrdup("");
}

#define EXPECT(text, want, ...)                                     \
	do {                                                        \
		char *got_ = run(db, text, (cb_search_req){__VA_ARGS__}); \
		CB_CHECK_STR(got_, want);                           \
		cb_free(got_);                                      \
	} while (0)

CB_TEST(store_search_interface_semantics)
{
	char *dir = tmpdir();
	CB_REQUIRE(dir);
	cb_db *db = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_db_open(&db, dir, NULL, &err) == 0);
	CB_REQUIRE(cb_db_write(db, put_all, NULL, &err) == 0);

	/* an agent: every document, notes included; title matches rank first
	 * (title 10 to 1); equal scores: articles first, then by id */
	EXPECT("printer", "a1 a2 a3 t1 t2");
	EXPECT("zebra", "a2 t1");
	EXPECT("printer", "t1 t2", .kinds = CB_SEARCH_KIND_BIT(T));
	/* every term must match; a phrase in order; prefixes on the word or its stem */
	EXPECT("printer jams", "t1");
	EXPECT("\"paper tray\"", "t1");
	EXPECT("\"tray paper\"", "");
	EXPECT("jam*", "t1");
	EXPECT("print* daily", "t2");
	/* any-of: a document matching one item */
	EXPECT("zebra scanner", "t2 a2 t1", .any = 1);
	/* a customer of account 5: own account's tickets without the notes,
	 * published public articles */
	EXPECT("printer", "a1 t1", .customer = 1, .customer_account = 5);
	EXPECT("zebra", "", .customer = 1, .customer_account = 5);
	EXPECT("printer", "", .customer = 1, .customer_account = 5, .account = 6);
	EXPECT("printer", "", .customer = 1, .customer_account = 5, .account = -1);
	EXPECT("printer", "a1", .customer = 1, .customer_account = 0);
	/* filters: status (ticket status or article state, compared without
	 * case and punctuation), account, article type */
	EXPECT("printer", "t2", .status = "on_hold");
	EXPECT("printer", "t2", .status = "On-Hold");
	EXPECT("printer", "a3", .status = "draft");
	EXPECT("printer", "t2", .account = 6);
	EXPECT("printer", "", .account = -1, .kinds = CB_SEARCH_KIND_BIT(T));
	EXPECT("printer", "a2", .article_type = "runbook", .kinds = CB_SEARCH_KIND_BIT(A));
	/* the index's own tokens are not text */
	EXPECT("sonhold", "");
	EXPECT("a5", "");
	/* pages of the total order */
	EXPECT("printer", "a2 a3", .offset = 1, .limit = 2);
	EXPECT("printer", "", .offset = 5);

	/* a window of 1: per kind the newest match is ranked (ticket 2, article
	 * 3), then the older ones follow newest first, tickets then articles */
	setenv("CASEBOOK_SEARCH_WINDOW", "1", 1);
	EXPECT("printer", "a3 t2 t1 a2 a1");
	EXPECT("printer", "t1 a2", .offset = 2, .limit = 2);
	unsetenv("CASEBOOK_SEARCH_WINDOW");

	cb_db_close(db);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CB_CHECK(system(cmd) == 0);
}

CB_TEST(store_search_fts5_match_syntax)
{
	cb_text_parsed p;
	cb_text_terms t;
	CB_REQUIRE(cb_text_parse("Failing \"nightly Exports\" replic* happy* a OR b NEAR(c)", &p, &t) == 9);
	cb_buf b = {0};
	for (int i = 0; i < p.n; i++) {
		if (i)
			cb_buf_puts(&b, " ");
		cb_fts5_item(&b, &p.item[i]);
	}
	/* user input never passes FTS5 syntax through */
	CB_CHECK_STR(b.p, "\"fail\" \"night export\" \"replic\"* (\"happy\"* OR \"happi\"*) \"a\" \"or\" \"b\" "
			  "\"near\" \"c\"");
	cb_buf_free(&b);
	cb_text_parsed_free(&p);
	cb_text_terms_free(&t);
}
