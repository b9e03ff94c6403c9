/* search.c - see search.h.
 *
 * DESIGN (migration 011)
 * One FTS5 table, search_index, one row per document: a ticket at rowid =
 * its id (title = subject, body = description + public comments, notes =
 * internal comments, meta = visibility/filter tokens "a<account>
 * s<status>"), an article at rowid = -id (title, body = body / symptoms /
 * cause / workaround, meta = "t<type> s<state> v<visibility>"); one table,
 * so bm25's statistics and scores are shared by both kinds. Text is
 * Snowball-stemmed (core/text.c). Visibility and filters are part of the
 * MATCH expression, so FTS5 itself restricts the rows before any ranking:
 * customers get `meta : "a<their account>" AND {title body} : (query)`
 * (internal notes are outside the column filter, so they neither match nor
 * add to the score) and, for articles, `meta : "spublished" AND meta :
 * "vpublic"`; user terms are always confined to the text columns, so they
 * never match meta tokens. Each kind is queried on its rowid range.
 *
 * Ranking is bm25 (title 10, body 1, notes 1, meta 0) over a bounded
 * candidate set: the CB_SEARCH_WINDOW newest matches of each kind, read in
 * one walk of the doclists from the newest end with their scores (a query
 * with fewer matches is ranked completely). Matches older than the window
 * follow the ranked ones, newest first (tickets, then articles), so paging
 * is a total order and reaches every match. The MATCH expression is planned
 * (nest_and below) so that common terms are sought only where the rarer
 * conjuncts already match. The trade-off: when a query matches more than the
 * window, an old document, however relevant, ranks after the window's. */
#include "app/search.h"
#include "core/text.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_TICKET = 1, KIND_ARTICLE = 2 };
#define SNIPPET_TOKENS 24

/* ---- indexing ---- */

/* "<prefix><value>" with only the letters and digits of value, lower-cased
 * (on_hold -> sonhold): one token of the unicode61 tokenizer. */
static void meta_token(cb_buf *b, char prefix, const char *value)
{
	if (b->len)
		cb_buf_puts(b, " ");
	char tmp[2] = {prefix, 0};
	cb_buf_puts(b, tmp);
	for (const char *p = value ? value : ""; *p; p++)
		if (isalnum((unsigned char)*p)) {
			tmp[0] = (char)tolower((unsigned char)*p);
			cb_buf_puts(b, tmp);
		}
}

/* The ticket's texts: description and public comments into pub, internal
 * comments into internal (either may be NULL). */
static int ticket_texts(cb_conn *c, int64_t id, const char *description, cb_buf *pub,
			cb_buf *internal, cb_err *err)
{
	if (pub && description)
		cb_buf_puts(pub, description);
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET_COMMENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		if (cb_q_isnull(q, 0))
			continue;
		cb_buf *out = cb_q_i64(q, 1) != 0 ? pub : internal;
		if (!out)
			continue;
		if (out->len)
			cb_buf_puts(out, "\n");
		cb_buf_puts(out, cb_q_text(q, 0));
	}
	return r < 0 ? -1 : 0;
}

static int delete_row(cb_conn *c, cb_sql sql, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	return cb_q_exec(q, err);
}

static int index_ticket(cb_conn *c, int64_t id, int fresh, cb_err *err)
{
	if (!fresh && delete_row(c, CB_SQL_SEARCH_TICKET_DELETE, id, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r; /* no such ticket: no row */
	cb_buf title = {0}, body = {0}, notes = {0}, meta = {0}, pub = {0}, internal = {0};
	cb_text_stem_into(&title, cb_q_text(q, 0));
	char *desc = cb_xstrdup(cb_q_text(q, 1));
	char acct[32];
	snprintf(acct, sizeof acct, "%lld", cb_q_isnull(q, 3) ? 0LL : (long long)cb_q_i64(q, 3));
	meta_token(&meta, 'a', acct);
	meta_token(&meta, 's', cb_q_text(q, 2));
	cb_q_reset(q);
	int rc = ticket_texts(c, id, desc, &pub, &internal, err);
	if (!rc) {
		cb_text_stem_into(&body, pub.p);
		cb_text_stem_into(&notes, internal.p);
		rc = -1;
		if ((q = cb_q_get(c, CB_SQL_SEARCH_TICKET_INSERT, err))) {
			cb_q_bind_i64(q, 1, id);
			cb_q_bind_text(q, 2, title.p ? title.p : "");
			cb_q_bind_text(q, 3, body.p ? body.p : "");
			cb_q_bind_text(q, 4, notes.p ? notes.p : "");
			cb_q_bind_text(q, 5, meta.p);
			rc = cb_q_exec(q, err);
		}
	}
	cb_free(desc);
	cb_buf_free(&title);
	cb_buf_free(&body);
	cb_buf_free(&notes);
	cb_buf_free(&meta);
	cb_buf_free(&pub);
	cb_buf_free(&internal);
	return rc;
}

int cb_search_project(const cb_projection *p, cb_err *err)
{
	return cb_search_index_ticket(p->c, p->ticket, err);
}

int cb_search_index_ticket(cb_conn *c, int64_t id, cb_err *err)
{
	return index_ticket(c, id, 0, err);
}

static void article_body(cb_q *q, cb_buf *b)
{
	/* body, symptoms, cause, workaround (columns 1..4 of ARTICLE_BRIEF) */
	for (int i = 1; i <= 4; i++) {
		const char *s = cb_q_text(q, i);
		if (s && *s) {
			if (b->len)
				cb_buf_puts(b, "\n");
			cb_buf_puts(b, s);
		}
	}
	if (!b->p)
		cb_buf_puts(b, "");
}

static int index_article(cb_conn *c, int64_t id, int fresh, cb_err *err)
{
	if (!fresh && delete_row(c, CB_SQL_SEARCH_ARTICLE_DELETE, -id, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_ARTICLE_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	cb_buf text = {0}, title = {0}, body = {0}, meta = {0};
	article_body(q, &text);
	cb_text_stem_into(&title, cb_q_text(q, 0));
	cb_text_stem_into(&body, text.p);
	meta_token(&meta, 't', cb_q_text(q, 5));
	meta_token(&meta, 's', cb_q_text(q, 6));
	meta_token(&meta, 'v', cb_q_text(q, 7));
	cb_q_reset(q);
	int rc = -1;
	if ((q = cb_q_get(c, CB_SQL_SEARCH_ARTICLE_INSERT, err))) {
		cb_q_bind_i64(q, 1, -id);
		cb_q_bind_text(q, 2, title.p ? title.p : "");
		cb_q_bind_text(q, 3, body.p ? body.p : "");
		cb_q_bind_text(q, 4, meta.p);
		rc = cb_q_exec(q, err);
	}
	cb_buf_free(&text);
	cb_buf_free(&title);
	cb_buf_free(&body);
	cb_buf_free(&meta);
	return rc;
}

int cb_search_index_article(cb_conn *c, int64_t id, cb_err *err)
{
	return index_article(c, id, 0, err);
}

int cb_search_index_pending(cb_conn *c, int max, int *done, cb_err *err)
{
	*done = 0;
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_PENDING, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, max);
	int64_t *ids = cb_xmalloc((size_t)max * sizeof *ids);
	int *kinds = cb_xmalloc((size_t)max * sizeof *kinds);
	int n = 0, r;
	while ((r = cb_q_step(q, err)) == 1 && n < max) {
		kinds[n] = (int)cb_q_i64(q, 0);
		ids[n++] = cb_q_i64(q, 1);
	}
	if (r == 1)
		cb_q_reset(q);
	int rc = r < 0 ? -1 : 0;
	for (int i = 0; i < n && !rc; i++) {
		/* fresh: a pending document has no row (m011 queued only those) */
		rc = kinds[i] == KIND_TICKET ? index_ticket(c, ids[i], 0, err)
					     : index_article(c, ids[i], 0, err);
		if (!rc && (q = cb_q_get(c, CB_SQL_SEARCH_PENDING_DONE, err))) {
			cb_q_bind_i64(q, 1, kinds[i]);
			cb_q_bind_i64(q, 2, ids[i]);
			rc = cb_q_exec(q, err);
		} else if (!rc) {
			rc = -1;
		}
	}
	cb_free(ids);
	cb_free(kinds);
	if (!rc)
		*done = n;
	return rc;
}

/* ---- queries ---- */

typedef struct {
	int kind;
	int64_t id;
	double r; /* bm25: lower is better */
} hit;

static int hit_cmp(const void *a, const void *b)
{
	const hit *x = a, *y = b;
	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	if (x->kind != y->kind) /* equal relevance: an article (an answer) first */
		return x->kind > y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* One table's query: its MATCH expression and an optional created_at range
 * (joined from the base table). */
typedef struct {
	int kind;
	char *match;
	cb_ms from, to;
	int64_t boundary; /* rowid of the window's oldest match; 0: all ranked */
	char *rank;       /* "ROWID, cb_rank(...)" with the query's document frequencies */
} table_q;

/* Tickets are rowids > 0 (newest = highest), articles rowid -id (newest =
 * lowest): each kind's "newer" direction and its rowid range. */
static const char *newest_first(int kind)
{
	return kind == KIND_TICKET ? "ORDER BY ROWID DESC" : "ORDER BY ROWID ASC";
}

/* Appends s with each "ROWID" qualified by the FTS table (a joined base
 * table has a rowid too). */
static void put_cols(cb_buf *b, const char *s, const char *tbl)
{
	const char *p;
	while ((p = strstr(s, "ROWID"))) {
		cb_buf_append(b, s, (size_t)(p - s));
		cb_buf_printf(b, "%s.rowid", tbl);
		s = p + 5;
	}
	cb_buf_puts(b, s);
}

/* SELECT <cols> FROM <fts> [JOIN base] WHERE <fts> MATCH ?1 AND <kind
 * range> [time] <tail>. A tail may bound the rowid only on the side the kind
 * range leaves open: FTS5 uses one bound per direction, and a second one on
 * the same side would be checked row by row after walking from the first. */
static cb_q *prepare(cb_conn *c, const table_q *t, const char *cols, const char *tail,
		     cb_err *err)
{
	const char *tbl = "search_index";
	cb_buf sql = {0};
	cb_buf_puts(&sql, "SELECT ");
	put_cols(&sql, cols, tbl);
	cb_buf_printf(&sql, " FROM %s", tbl);
	if (t->from || t->to)
		cb_buf_printf(&sql, " JOIN %s x ON x.id = %s%s.rowid",
			      t->kind == KIND_TICKET ? "tickets" : "articles",
			      t->kind == KIND_TICKET ? "" : "-", tbl);
	cb_buf_printf(&sql, " WHERE %s MATCH ?1 AND %s.rowid %s 0", tbl, tbl,
		      t->kind == KIND_TICKET ? ">" : "<");
	if (t->from)
		cb_buf_puts(&sql, " AND x.created_at >= ?2");
	if (t->to)
		cb_buf_puts(&sql, " AND x.created_at < ?3");
	cb_buf_puts(&sql, " ");
	put_cols(&sql, tail, tbl);
	cb_q *q = cb_q_prepare(c, sql.p, err);
	cb_buf_free(&sql);
	if (q) {
		cb_q_bind_text(q, 1, t->match);
		if (t->from)
			cb_q_bind_i64(q, 2, t->from);
		if (t->to)
			cb_q_bind_i64(q, 3, t->to);
	}
	return q;
}

/* ---- document frequencies ----
 * bm25's IDF needs each phrase's number of matching documents, and the
 * query plan (nest_and) each conjunct's; FTS5's bm25() counts them by
 * scanning every match on every query (about as costly as the rest of a
 * search over a big index together). They change slowly, so each is counted
 * once and kept DF_TTL_MS. */
#define DF_SLOTS 4096
#define DF_TTL_MS (10 * 60 * 1000)
static struct {
	pthread_mutex_t mu;
	struct {
		char key[128];
		int scope;
		int64_t df;
		cb_ms at;
	} e[DF_SLOTS];
} DF = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* what a count covers: one kind's rowid range (the whole index is the sum) */
enum { DF_TICKETS = KIND_TICKET, DF_ARTICLES = KIND_ARTICLE };
static const cb_sql SQL_DF[] = {CB_SQL_NONE, CB_SQL_SEARCH_DF_TICKETS, CB_SQL_SEARCH_DF_ARTICLES};

/* The number of documents in scope matching the MATCH expression
 * [expr, expr + n). */
/* The slot of (scope, key) among the DF_PROBE after its hash, or -1; with
 * *victim the slot to fill on a miss (an empty one, else the oldest). A
 * probe run, not a single slot, so two keys of one query that share a hash
 * slot do not evict each other on every search. Call with DF.mu held. */
#define DF_PROBE 8
static int df_find(uint32_t h, int scope, const char *key, size_t n, int *victim)
{
	*victim = -1;
	for (int i = 0; i < DF_PROBE; i++) {
		int slot = (int)((h + (uint32_t)i) % DF_SLOTS);
		if (DF.e[slot].scope == scope && strlen(DF.e[slot].key) == n &&
		    memcmp(DF.e[slot].key, key, n) == 0)
			return *victim = slot;
		if (*victim < 0 || !DF.e[slot].key[0] ||
		    (DF.e[*victim].key[0] && DF.e[slot].at < DF.e[*victim].at))
			*victim = slot;
	}
	return -1;
}

static int doc_freq(cb_conn *c, int scope, const char *expr, size_t n, int64_t *out, cb_err *err)
{
	uint32_t h = 2166136261u ^ (uint32_t)scope;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)expr[i]) * 16777619u;
	cb_ms now = cb_now_ms();
	int cacheable = n < sizeof DF.e[0].key, victim;
	if (cacheable) {
		pthread_mutex_lock(&DF.mu);
		int slot = df_find(h, scope, expr, n, &victim);
		int cached = slot >= 0 && now - DF.e[slot].at < DF_TTL_MS;
		if (cached)
			*out = DF.e[slot].df;
		pthread_mutex_unlock(&DF.mu);
		if (cached)
			return 0;
	}
	char *m = cb_xstrndup(expr, n);
	cb_q *q = cb_q_get(c, SQL_DF[scope], err);
	if (!q) {
		cb_free(m);
		return -1;
	}
	cb_q_bind_text(q, 1, m);
	int r = cb_q_step(q, err);
	cb_free(m);
	if (r != 1)
		return -1;
	*out = cb_q_i64(q, 0);
	cb_q_reset(q);
	if (cacheable) {
		pthread_mutex_lock(&DF.mu);
		df_find(h, scope, expr, n, &victim); /* again: others may have filled slots */
		memcpy(DF.e[victim].key, expr, n);
		DF.e[victim].key[n] = 0;
		DF.e[victim].scope = scope;
		DF.e[victim].df = *out;
		DF.e[victim].at = now;
		pthread_mutex_unlock(&DF.mu);
	}
	return 0;
}

/* A phrase's document frequency over the text columns of the whole index
 * (bm25's IDF): phrase is "stem"[*] as written in a MATCH expression. The
 * sum of the two kinds' counts, which the query plan (nest_and) reuses for
 * an agent's ticket conjunct of the same phrase. */
static int phrase_freq(cb_conn *c, const char *phrase, size_t n, int64_t *out, cb_err *err)
{
	cb_buf m = {0};
	cb_buf_puts(&m, "{title body notes} : ");
	cb_buf_append(&m, phrase, n);
	int64_t t = 0, a = 0;
	int rc = doc_freq(c, DF_TICKETS, m.p, m.len, &t, err) ||
		 doc_freq(c, DF_ARTICLES, m.p, m.len, &a, err) ? -1 : 0;
	cb_buf_free(&m);
	*out = t + a;
	return rc;
}

/* "ROWID, cb_rank(search_index, weights, df of each phrase of the MATCH
 * expression in order)"; meta phrases (weight 0) get 0. */
static int build_rank(cb_conn *c, table_q *t, cb_err *err)
{
	cb_buf b = {0};
	cb_buf_puts(&b, "ROWID, cb_rank(search_index, 10.0, 1.0, 1.0, 0.0");
	const char *p = t->match;
	while ((p = strchr(p, '"'))) {
		const char *e = strchr(p + 1, '"');
		if (!e)
			break;
		size_t n = (size_t)(e + 1 - p);
		if (e[1] == '*')
			n++;
		int meta = p - t->match >= 7 && strncmp(p - 7, "meta : ", 7) == 0;
		int64_t df = 0;
		if (!meta && phrase_freq(c, p, n, &df, err)) {
			cb_buf_free(&b);
			return -1;
		}
		cb_buf_printf(&b, ", %lld", (long long)df);
		p += n;
	}
	cb_buf_puts(&b, ")");
	t->rank = cb_buf_steal(&b);
	return 0;
}

/* CB_SEARCH_WINDOW, or CASEBOOK_SEARCH_WINDOW from the environment (tests
 * use a small one to exercise the window). */
static int64_t search_window(void)
{
	const char *e = getenv("CASEBOOK_SEARCH_WINDOW");
	long long w = e ? atoll(e) : 0;
	return w > 0 ? w : CB_SEARCH_WINDOW;
}

/* The window of t: its search_window() newest matches, each with its
 * rank, appended to out (*count); one walk of the doclists from the newest
 * end. A full window sets t->boundary to its oldest rowid (older matches
 * form the tail); a short one holds every match (boundary 0). */
static int fetch_window(cb_conn *c, table_q *t, hit *out, int *count, cb_err *err)
{
	t->boundary = 0;
	cb_buf tail = {0};
	cb_buf_printf(&tail, "%s LIMIT ?4", newest_first(t->kind));
	cb_q *q = prepare(c, t, t->rank, tail.p, err);
	cb_buf_free(&tail);
	if (!q)
		return -1;
	int64_t w = search_window(), got = 0, last = 0;
	int tk = t->kind == KIND_TICKET;
	cb_q_bind_i64(q, 4, w);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		last = cb_q_i64(q, 0);
		out[*count].kind = t->kind;
		out[*count].id = tk ? last : -last;
		out[*count].r = cb_q_double(q, 1);
		(*count)++;
		got++;
	}
	cb_q_free(q);
	if (r < 0)
		return -1;
	if (got == w)
		t->boundary = last;
	return 0;
}

/* Appends up to n of the matches of t older than its window, newest first,
 * after skipping off. */
static int fetch_tail(cb_conn *c, const table_q *t, int64_t n, int64_t off, hit *out, int *count,
		      cb_err *err)
{
	int tk = t->kind == KIND_TICKET;
	cb_buf sql = {0};
	cb_buf_printf(&sql, "AND ROWID %s ?5 %s LIMIT ?6 OFFSET ?7", tk ? "<" : ">",
		      newest_first(t->kind));
	cb_q *q = prepare(c, t, t->rank, sql.p, err);
	cb_buf_free(&sql);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 5, t->boundary);
	cb_q_bind_i64(q, 6, n);
	cb_q_bind_i64(q, 7, off);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		out[*count].kind = t->kind;
		out[*count].id = tk ? cb_q_i64(q, 0) : -cb_q_i64(q, 0);
		out[*count].r = cb_q_double(q, 1);
		(*count)++;
	}
	cb_q_free(q);
	return r < 0 ? -1 : 0;
}

static int64_t tail_count(cb_conn *c, const table_q *t, cb_err *err)
{
	cb_q *q = prepare(c, t, "count(*)", t->kind == KIND_TICKET ? "AND ROWID < ?5" : "AND ROWID > ?5",
			  err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 5, t->boundary);
	int64_t n = cb_q_step(q, err) == 1 ? cb_q_i64(q, 0) : -1;
	cb_q_free(q);
	return n;
}

/* Hits [off, off + n) of the total order over the tables (see DESIGN):
 * *outp (cb_free) and *count. */
static int ranked_page(cb_conn *c, table_q *ts, int nt, int64_t off, int64_t n, hit **outp,
		       int *count, cb_err *err)
{
	/* a window holds at most search_window() rows: a far cursor costs no
	 * more memory than that */
	int64_t w = search_window();
	hit *all = cb_xmalloc((size_t)(nt * w + 1) * sizeof *all);
	int m = 0;
	for (int i = 0; i < nt; i++)
		if (build_rank(c, &ts[i], err) || fetch_window(c, &ts[i], all, &m, err)) {
			cb_free(all);
			return -1;
		}
	qsort(all, (size_t)m, sizeof *all, hit_cmp);
	hit *out = cb_xmalloc((size_t)(n + 1) * sizeof *out);
	int k = 0;
	for (int64_t i = off; i < m && k < n; i++)
		out[k++] = all[i];
	cb_free(all);
	/* past the windows, the page continues into the matches older than
	 * each window */
	int64_t skip = off > m ? off - m : 0;
	for (int i = 0; i < nt && k < n; i++) {
		if (!ts[i].boundary)
			continue;
		int before = k;
		if (fetch_tail(c, &ts[i], n - k, skip, out, &k, err)) {
			cb_free(out);
			return -1;
		}
		if (k > before) {
			skip = 0;
		} else if (skip) {
			int64_t tc = tail_count(c, &ts[i], err);
			if (tc < 0) {
				cb_free(out);
				return -1;
			}
			skip = skip > tc ? skip - tc : 0;
		}
	}
	*outp = out;
	*count = k;
	return 0;
}

/* The title and snippet of one hit, from text the viewer may see. */
static json_t *render_hit(cb_conn *c, const cb_actor *viewer, int kind, int64_t id, double score,
			  const cb_text_terms *terms, cb_err *err)
{
	cb_buf text = {0};
	char *title = NULL, *status = NULL;
	cb_q *q = cb_q_get(c, kind == KIND_TICKET ? CB_SQL_SEARCH_TICKET_BRIEF
						   : CB_SQL_SEARCH_ARTICLE_BRIEF, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return NULL;
	title = cb_xstrdup(cb_q_text(q, 0));
	char *desc = NULL;
	if (kind == KIND_TICKET) {
		desc = cb_xstrdup(cb_q_text(q, 1));
		status = cb_xstrdup(cb_q_text(q, 2));
	} else {
		article_body(q, &text);
		status = cb_xstrdup(cb_q_text(q, 6));
	}
	cb_q_reset(q);
	int rc = 0;
	if (kind == KIND_TICKET)
		rc = ticket_texts(c, id, desc, &text,
				  cb_role_is_agent_side(viewer->role) ? &text : NULL, err);
	cb_free(desc);
	json_t *o = NULL;
	if (!rc) {
		char *snip = NULL;
		cb_text_snippet(text.p ? text.p : "", terms, SNIPPET_TOKENS, &snip);
		o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:f}", "kind",
			      kind == KIND_TICKET ? "ticket" : "article", "id", (json_int_t)id,
			      "title", title, "status", status, "snippet", snip, "score", score);
		cb_free(snip);
	}
	cb_buf_free(&text);
	cb_free(title);
	cb_free(status);
	return o;
}

static const char *const article_types[] = {"kb", "runbook", "known_error", "faq", NULL};

/* ---- the query plan ----
 * A query is a conjunction: the viewer's and the filters' meta tokens and
 * the user's terms. FTS5 evaluates a flat AND by leapfrogging every child to
 * the largest rowid among them, so a term in most documents ("user") is
 * sought once per step of the whole leapfrog, and far seeks in a long
 * doclist cost about 10 us each: a customer's "gcp user" walked 6,500 of
 * their account's tickets and sought "user" for each. nest_and orders the
 * conjuncts by document frequency in the table's kind and nests them left
 * deep, so each one is sought only at the matches of the rarer ones before
 * it: ((a AND b) OR meta : "z") AND c - the OR with a token never indexed
 * (meta tokens are a/s/t/v + value) keeps FTS5 from flattening the ANDs. */
#define NEST_MAX 6

typedef struct {
	char *expr; /* a MATCH expression */
	int64_t df; /* its documents in the table's kind */
	int order;  /* position in the query: ties keep it */
} conjunct;

static int conj_cmp(const void *a, const void *b)
{
	const conjunct *x = a, *y = b;
	if (x->df != y->df)
		return x->df < y->df ? -1 : 1;
	return x->order - y->order;
}

static void conj_add(conjunct *v, int *n, char *expr)
{
	v[*n] = (conjunct){expr, 0, *n};
	(*n)++;
}

/* meta : "<prefix><value>" */
static void conj_meta(conjunct *v, int *n, char prefix, const char *value)
{
	cb_buf tok = {0}, e = {0};
	meta_token(&tok, prefix, value);
	cb_buf_printf(&e, "meta : \"%s\"", tok.p);
	cb_buf_free(&tok);
	conj_add(v, n, cb_buf_steal(&e));
}

/* cols : <item> for each item of the text query (cb_text_query: items
 * separated by spaces outside quotes and parentheses). */
static void conj_text(conjunct *v, int *n, const char *cols, const char *match)
{
	const char *p = match, *start = match;
	int quote = 0, depth = 0;
	for (;; p++) {
		if (!*p || (*p == ' ' && !quote && !depth)) {
			if (p > start) {
				cb_buf e = {0};
				cb_buf_printf(&e, "%s : ", cols);
				cb_buf_append(&e, start, (size_t)(p - start));
				conj_add(v, n, cb_buf_steal(&e));
			}
			if (!*p)
				break;
			start = p + 1;
		} else if (*p == '"') {
			quote = !quote;
		} else if (!quote && *p == '(') {
			depth++;
		} else if (!quote && *p == ')') {
			depth--;
		}
	}
}

/* The conjunction of v[0, n) as one MATCH expression, planned (above);
 * frees each v[i].expr. */
static char *nest_and(cb_conn *c, int kind, conjunct *v, int n, cb_err *err)
{
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = doc_freq(c, kind, v[i].expr, strlen(v[i].expr), &v[i].df, err);
	char *out = NULL;
	if (!rc) {
		qsort(v, (size_t)n, sizeof *v, conj_cmp);
		cb_buf e = {0};
		for (int i = 0, levels = 0; i < n; i++) {
			if (i >= 2 && levels < NEST_MAX) {
				cb_buf w = {0};
				cb_buf_printf(&w, "((%s) OR meta : \"z\") AND %s", e.p, v[i].expr);
				cb_buf_free(&e);
				e = w;
				levels++;
			} else {
				cb_buf_printf(&e, "%s%s", i ? " AND " : "", v[i].expr);
			}
		}
		out = cb_buf_steal(&e);
	}
	for (int i = 0; i < n; i++)
		cb_free(v[i].expr);
	return out;
}

int cb_search(cb_conn *c, const cb_actor *viewer, const cb_search_query *sq, int limit,
	      int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	*next = 0;
	int want_t = 1, want_a = 1;
	const char *atype = NULL;
	if (sq->type) {
		if (strcmp(sq->type, "ticket") == 0) {
			want_a = 0;
		} else if (strcmp(sq->type, "article") == 0) {
			want_t = 0;
		} else {
			int ok = 0;
			for (const char *const *t = article_types; *t; t++)
				ok |= strcmp(*t, sq->type) == 0;
			if (!ok)
				return cb_err_set(err, CB_E_BADREQ, "type",
						  "type must be ticket, article, kb, runbook, known_error or faq");
			want_t = 0;
			atype = sq->type;
		}
	}
	if (sq->account)
		want_a = 0; /* an account's tickets only */
	cb_text_terms terms;
	char *match = cb_text_query(sq->q, &terms);
	if (!match || (!want_t && !want_a) || offset > ((int64_t)1 << 40)) {
		cb_free(match);
		cb_text_terms_free(&terms);
		*items = json_array();
		return 0;
	}
	int customer = !cb_role_is_agent_side(viewer->role) && viewer->user_id;
	table_q ts[2];
	int nt = 0;
	/* meta tokens (at most 4) and the text items (at most 2 per term) */
	conjunct v[4 + 2 * CB_TEXT_MAX_TERMS];
	int nv = 0;
	if (want_t) {
		char num[32];
		if (customer) {
			snprintf(num, sizeof num, "%lld",
				 (long long)(viewer->account_id ? viewer->account_id : -1));
			conj_meta(v, &nv, 'a', num);
		}
		if (sq->account) {
			snprintf(num, sizeof num, "%lld", (long long)sq->account);
			conj_meta(v, &nv, 'a', num);
		}
		if (sq->status)
			conj_meta(v, &nv, 's', sq->status);
		conj_text(v, &nv, customer ? "{title body}" : "{title body notes}", match);
		char *m = nest_and(c, KIND_TICKET, v, nv, err);
		if (!m)
			goto planned;
		ts[nt++] = (table_q){KIND_TICKET, m, sq->from, sq->to, 0, NULL};
	}
	if (want_a) {
		nv = 0;
		if (customer) {
			conj_meta(v, &nv, 's', "published");
			conj_meta(v, &nv, 'v', "public");
		}
		if (atype)
			conj_meta(v, &nv, 't', atype);
		if (sq->status)
			conj_meta(v, &nv, 's', sq->status);
		conj_text(v, &nv, "{title body}", match);
		char *m = nest_and(c, KIND_ARTICLE, v, nv, err);
		if (!m)
			goto planned;
		ts[nt++] = (table_q){KIND_ARTICLE, m, sq->from, sq->to, 0, NULL};
	}
planned:
	cb_free(match);
	hit *hits = NULL;
	int n = 0;
	int rc = err->code ? -1 : ranked_page(c, ts, nt, offset, limit + 1, &hits, &n, err);
	for (int i = 0; i < nt; i++)
		cb_free(ts[i].match), cb_free(ts[i].rank);
	if (rc) {
		cb_text_terms_free(&terms);
		return -1;
	}
	if (n > limit) {
		n = limit;
		*next = offset + limit;
	}
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = render_hit(c, viewer, hits[i].kind, hits[i].id, -hits[i].r, &terms, err);
		if (!o) {
			if (err->code)
				break;
			continue;
		}
		json_array_append_new(arr, o);
	}
	cb_free(hits);
	cb_text_terms_free(&terms);
	if (err->code) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

static const char *const stop[] = {"the", "and", "for", "with", "that", "this", "from", "are",
				   "was", "not", "but", "have", "has", "our", "you", "your",
				   "when", "after", "what", "can", "cannot", "all", "any", "get",
				   "they", "them", "there", "been", "will", "into", "its", "out",
				   "also", "some", "just", "onli", "veri", "thi", "wa", "ha", NULL};

/* "a" OR "b" OR ... of the distinct stems of text (NULL when none). */
static char *or_query(const char *text, cb_text_terms *terms)
{
	cb_buf stems = {0}, out = {0};
	cb_text_stem_into(&stems, text);
	memset(terms, 0, sizeof *terms);
	char *save = NULL;
	for (char *tok = strtok_r(stems.p, " ", &save); tok && terms->n < 24;
	     tok = strtok_r(NULL, " ", &save)) {
		if (strlen(tok) < 3)
			continue;
		int skip = 0;
		for (const char *const *s = stop; *s && !skip; s++)
			skip = strcmp(*s, tok) == 0;
		for (int i = 0; i < terms->n && !skip; i++)
			skip = strcmp(terms->term[i], tok) == 0;
		if (skip)
			continue;
		terms->term[terms->n++] = cb_xstrdup(tok);
		cb_buf_printf(&out, "%s\"%s\"", out.len ? " OR " : "", tok);
	}
	cb_buf_free(&stems);
	return out.len ? cb_buf_steal(&out) : (cb_buf_free(&out), NULL);
}

static json_t *render_all(cb_conn *c, const cb_actor *viewer, const hit *h, int n,
			  const cb_text_terms *terms, cb_err *err)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = render_hit(c, viewer, h[i].kind, h[i].id, -h[i].r, terms, err);
		if (!o && err->code) {
			json_decref(arr);
			return NULL;
		}
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}

static int solved_first(const void *a, const void *b)
{
	const hit *x = a, *y = b; /* kind holds 1 = solved / closed, 2 = other */
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return hit_cmp(a, b);
}

/* Related tickets: the best 20 other tickets, then the solved ones first. */
static json_t *suggest_tickets(cb_conn *c, const cb_actor *viewer, const char *orq, int64_t ticket,
			       const cb_text_terms *terms, cb_err *err)
{
	cb_buf m = {0};
	cb_buf_printf(&m, "{title body notes} : (%s)", orq);
	table_q t = {KIND_TICKET, cb_buf_steal(&m), 0, 0, 0, NULL};
	hit *h = NULL;
	int n = 0;
	int rc = ranked_page(c, &t, 1, 0, 21, &h, &n, err);
	cb_free(t.match), cb_free(t.rank);
	if (rc)
		return NULL;
	int k = 0;
	for (int i = 0; i < n && k < 20; i++) {
		if (h[i].id == ticket)
			continue;
		cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET_BRIEF, err);
		if (!q) {
			cb_free(h);
			return NULL;
		}
		cb_q_bind_i64(q, 1, h[i].id);
		int r = cb_q_step(q, err);
		if (r < 0) {
			cb_free(h);
			return NULL;
		}
		int solved = r == 1 && (strcmp(cb_q_text(q, 2), "solved") == 0 ||
					strcmp(cb_q_text(q, 2), "closed") == 0);
		if (r == 1)
			cb_q_reset(q);
		h[k] = h[i];
		h[k++].kind = solved ? 1 : 2;
	}
	qsort(h, (size_t)k, sizeof *h, solved_first);
	if (k > 5)
		k = 5;
	for (int i = 0; i < k; i++)
		h[i].kind = KIND_TICKET;
	json_t *arr = render_all(c, viewer, h, k, terms, err);
	cb_free(h);
	return arr;
}

json_t *cb_search_suggestions(cb_conn *c, const cb_actor *viewer, int64_t ticket, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET_BRIEF, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, ticket);
	int r = cb_q_step(q, err);
	if (r <= 0) {
		if (r == 0)
			cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)ticket);
		return NULL;
	}
	cb_buf text = {0};
	cb_buf_printf(&text, "%s\n%s", cb_q_text(q, 0), cb_q_text(q, 1));
	cb_q_reset(q);
	cb_text_terms terms;
	char *orq = or_query(text.p, &terms);
	cb_buf_free(&text);
	if (!orq)
		return json_pack("{s:[], s:[]}", "articles", "tickets");
	cb_buf m = {0};
	cb_buf_printf(&m, "meta : \"spublished\" AND {title body} : (%s)", orq);
	table_q t = {KIND_ARTICLE, cb_buf_steal(&m), 0, 0, 0, NULL};
	hit *h = NULL;
	int n = 0;
	json_t *arts = NULL, *tix = NULL;
	if (ranked_page(c, &t, 1, 0, 5, &h, &n, err) == 0) {
		arts = render_all(c, viewer, h, n, &terms, err);
		cb_free(h);
	}
	cb_free(t.match), cb_free(t.rank);
	if (arts)
		tix = suggest_tickets(c, viewer, orq, ticket, &terms, err);
	cb_free(orq);
	cb_text_terms_free(&terms);
	if (!tix) {
		json_decref(arts);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "articles", arts, "tickets", tix);
}
