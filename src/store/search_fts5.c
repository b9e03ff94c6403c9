/* search_fts5.c - the search index on SQLite FTS5 (store/search.h; the
 * semantics it implements are in docs/architecture.md, "Search").
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
 * Ranking is bm25 (cb_rank, store/fts_rank.c: title 10, body 1, notes 1,
 * meta 0) over a bounded candidate set: the cb_search_window() newest
 * matches of each kind, read in one walk of the doclists from the newest
 * end with their scores (a query with fewer matches is ranked completely).
 * Matches older than the window follow the ranked ones, newest first
 * (tickets, then articles), so paging is a total order and reaches every
 * match. The MATCH expression is planned (nest_and below) so that common
 * terms are sought only where the rarer conjuncts already match. The
 * trade-off: when a query matches more than the window, an old document,
 * however relevant, ranks after the window's. */
#include "store/search_fts5.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_TICKET = CB_SEARCH_TICKET, KIND_ARTICLE = CB_SEARCH_ARTICLE };

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

static int fts5_remove(cb_conn *c, int kind, int64_t id, cb_err *err)
{
	cb_q *q = kind == KIND_TICKET ? cb_q_get(c, CB_SQL_SEARCH_TICKET_DELETE, err)
				      : cb_q_get(c, CB_SQL_SEARCH_ARTICLE_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, kind == KIND_TICKET ? id : -id);
	return cb_q_exec(q, err);
}

static int fts5_put(cb_conn *c, const cb_search_doc *d, cb_err *err)
{
	if (fts5_remove(c, d->kind, d->id, err))
		return -1;
	cb_buf title = {0}, body = {0}, notes = {0}, meta = {0};
	cb_text_stem_into(&title, d->title);
	cb_text_stem_into(&body, d->body);
	cb_q *q;
	if (d->kind == KIND_TICKET) {
		char acct[32];
		snprintf(acct, sizeof acct, "%lld", (long long)d->account);
		meta_token(&meta, 'a', acct);
		meta_token(&meta, 's', d->status);
		cb_text_stem_into(&notes, d->notes);
		q = cb_q_get(c, CB_SQL_SEARCH_TICKET_INSERT, err);
		if (q) {
			cb_q_bind_i64(q, 1, d->id);
			cb_q_bind_text(q, 2, title.p);
			cb_q_bind_text(q, 3, body.p);
			cb_q_bind_text(q, 4, notes.p);
			cb_q_bind_text(q, 5, meta.p);
		}
	} else {
		meta_token(&meta, 't', d->type);
		meta_token(&meta, 's', d->status);
		meta_token(&meta, 'v', d->visibility);
		q = cb_q_get(c, CB_SQL_SEARCH_ARTICLE_INSERT, err);
		if (q) {
			cb_q_bind_i64(q, 1, -d->id);
			cb_q_bind_text(q, 2, title.p);
			cb_q_bind_text(q, 3, body.p);
			cb_q_bind_text(q, 4, meta.p);
		}
	}
	int rc = q ? cb_q_exec(q, err) : -1;
	cb_buf_free(&title);
	cb_buf_free(&body);
	cb_buf_free(&notes);
	cb_buf_free(&meta);
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
	cb_q *q = scope == DF_TICKETS ? cb_q_get(c, CB_SQL_SEARCH_DF_TICKETS, err)
				      : cb_q_get(c, CB_SQL_SEARCH_DF_ARTICLES, err);
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

/* The window of t: its cb_search_window() newest matches, each with its
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
	int64_t w = cb_search_window(), got = 0, last = 0;
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
	/* a window holds at most cb_search_window() rows: a far cursor costs no
	 * more memory than that */
	int64_t w = cb_search_window();
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

void cb_fts5_item(cb_buf *b, const cb_text_item *it)
{
	if (!it->prefix)
		cb_buf_printf(b, "\"%s\"", it->text);
	else if (it->alt)
		cb_buf_printf(b, "(\"%s\"* OR \"%s\"*)", it->text, it->alt);
	else
		cb_buf_printf(b, "\"%s\"*", it->text);
}

/* The text conjuncts: cols : <item> for each item of the query, or with
 * any, the one conjunct cols : (<item> OR <item> ...). */
static void conj_text(conjunct *v, int *n, const char *cols, const cb_text_parsed *t, int any)
{
	if (any) {
		cb_buf e = {0};
		cb_buf_printf(&e, "%s : (", cols);
		for (int i = 0; i < t->n; i++) {
			if (i)
				cb_buf_puts(&e, " OR ");
			cb_fts5_item(&e, &t->item[i]);
		}
		cb_buf_puts(&e, ")");
		conj_add(v, n, cb_buf_steal(&e));
		return;
	}
	for (int i = 0; i < t->n; i++) {
		cb_buf e = {0};
		cb_buf_printf(&e, "%s : ", cols);
		cb_fts5_item(&e, &t->item[i]);
		conj_add(v, n, cb_buf_steal(&e));
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


/* The conjunction of v[0, n) in the order given (an any-of query has one
 * text conjunct: nothing to plan); frees each v[i].expr. */
static char *join_and(conjunct *v, int n)
{
	cb_buf e = {0};
	for (int i = 0; i < n; i++) {
		cb_buf_printf(&e, "%s%s", i ? " AND " : "", v[i].expr);
		cb_free(v[i].expr);
	}
	return cb_buf_steal(&e);
}

/* The MATCH expression of one kind's part of r (*m = NULL: the kind has
 * nothing the viewer may see under these filters). */
static int kind_match(cb_conn *c, const cb_search_req *r, int kind, char **m, cb_err *err)
{
	*m = NULL;
	/* meta tokens (at most 4) and the text items */
	conjunct v[4 + CB_TEXT_MAX_TERMS];
	int nv = 0;
	char num[32];
	const char *cols = "{title body}";
	if (kind == KIND_TICKET && (r->account < 0 || (r->customer && r->customer_account <= 0)))
		return 0; /* no account's tickets: none match */
	if (kind == KIND_ARTICLE && r->account)
		return 0; /* articles belong to no account */
	if (kind == KIND_TICKET) {
		if (r->customer) {
			snprintf(num, sizeof num, "%lld", (long long)r->customer_account);
			conj_meta(v, &nv, 'a', num);
		} else {
			cols = "{title body notes}";
		}
		if (r->account) {
			snprintf(num, sizeof num, "%lld", (long long)r->account);
			conj_meta(v, &nv, 'a', num);
		}
	} else {
		if (r->customer) {
			conj_meta(v, &nv, 's', "published");
			conj_meta(v, &nv, 'v', "public");
		}
		if (r->article_type)
			conj_meta(v, &nv, 't', r->article_type);
	}
	if (r->status)
		conj_meta(v, &nv, 's', r->status);
	conj_text(v, &nv, cols, r->text, r->any);
	*m = r->any ? join_and(v, nv) : nest_and(c, kind, v, nv, err);
	return *m ? 0 : -1;
}

static int fts5_query(cb_conn *c, const cb_search_req *r, cb_search_hit *out, int *nout,
		      cb_err *err)
{
	*nout = 0;
	table_q ts[2];
	int nt = 0, rc = 0;
	static const int kinds[] = {KIND_TICKET, KIND_ARTICLE};
	for (int i = 0; i < 2 && !rc; i++) {
		if (!(r->kinds & CB_SEARCH_KIND_BIT(kinds[i])))
			continue;
		char *m = NULL;
		rc = kind_match(c, r, kinds[i], &m, err);
		if (m)
			ts[nt++] = (table_q){kinds[i], m, r->from, r->to, 0, NULL};
	}
	hit *hits = NULL;
	int n = 0;
	if (!rc && nt)
		rc = ranked_page(c, ts, nt, r->offset, r->limit, &hits, &n, err);
	for (int i = 0; i < nt; i++)
		cb_free(ts[i].match), cb_free(ts[i].rank);
	for (int i = 0; !rc && i < n; i++)
		out[i] = (cb_search_hit){hits[i].kind, hits[i].id, -hits[i].r};
	if (!rc)
		*nout = n;
	cb_free(hits);
	return rc;
}

const cb_search_backend cb_search_fts5 = {
	.name = "fts5",
	.put = fts5_put,
	.remove = fts5_remove,
	.query = fts5_query,
};
