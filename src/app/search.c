/* search.c - see search.h. */
#include "app/search.h"
#include "core/text.h"
#include "store/sql_article.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

enum { KIND_TICKET = 1, KIND_ARTICLE = 2 };
#define SNIPPET_TOKENS 24

static int fts_put(cb_conn *c, int64_t rowid, int kind, int64_t ref, int part, int64_t account,
		   const char *status, const char *type, int is_public, cb_ms at, const char *title,
		   const char *body, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_FTS_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, rowid);
	if (cb_q_exec(q, err))
		return -1;
	if (!title && !body) { /* nothing to index: drop the row */
		if (!(q = cb_q_get(c, CB_SQL_SEARCH_DOC_DELETE, err)))
			return -1;
		cb_q_bind_i64(q, 1, rowid);
		return cb_q_exec(q, err);
	}
	if (!(q = cb_q_get(c, CB_SQL_SEARCH_DOC_PUT, err)))
		return -1;
	cb_q_bind_i64(q, 1, rowid);
	cb_q_bind_i64(q, 2, kind);
	cb_q_bind_i64(q, 3, ref);
	cb_q_bind_i64(q, 4, part);
	if (account)
		cb_q_bind_i64(q, 5, account);
	else
		cb_q_bind_null(q, 5);
	cb_q_bind_text(q, 6, status);
	cb_q_bind_text(q, 7, type);
	cb_q_bind_i64(q, 8, is_public);
	cb_q_bind_i64(q, 9, at);
	if (cb_q_exec(q, err))
		return -1;
	cb_buf t = {0}, b = {0};
	cb_text_stem_into(&t, title);
	cb_text_stem_into(&b, body);
	int rc = -1;
	if ((q = cb_q_get(c, CB_SQL_SEARCH_FTS_INSERT, err))) {
		cb_q_bind_i64(q, 1, rowid);
		cb_q_bind_text(q, 2, t.p);
		cb_q_bind_text(q, 3, b.p);
		rc = cb_q_exec(q, err);
	}
	cb_buf_free(&t);
	cb_buf_free(&b);
	return rc;
}

/* The ticket's searchable text: description and comments (internal ones
 * too when internal). */
static int ticket_text(cb_conn *c, int64_t id, const char *description, int internal_only,
		       int with_internal, cb_buf *out, cb_err *err)
{
	if (!internal_only && description)
		cb_buf_puts(out, description);
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET_COMMENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		int pub = cb_q_i64(q, 1) != 0;
		if (cb_q_isnull(q, 0) || (internal_only ? pub : (!pub && !with_internal)))
			continue;
		if (out->len)
			cb_buf_puts(out, "\n");
		cb_buf_puts(out, cb_q_text(q, 0));
	}
	return r < 0 ? -1 : 0;
}

int cb_search_index_ticket(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	char *subject = cb_xstrdup(cb_q_text(q, 0));
	char *desc = cb_xstrdup(cb_q_text(q, 1));
	char *status = cb_xstrdup(cb_q_text(q, 2));
	int64_t account = cb_q_isnull(q, 3) ? 0 : cb_q_i64(q, 3);
	cb_ms at = cb_q_i64(q, 4);
	cb_q_reset(q);
	cb_buf pub = {0}, internal = {0};
	int rc = ticket_text(c, id, desc, 0, 0, &pub, err) ||
		 ticket_text(c, id, NULL, 1, 1, &internal, err) ||
		 fts_put(c, id * 4, KIND_TICKET, id, 0, account, status, "ticket", 0, at, subject,
			 pub.p ? pub.p : "", err) ||
		 fts_put(c, id * 4 + 1, KIND_TICKET, id, 1, account, status, "ticket", 0, at,
			 internal.len ? "" : NULL, internal.len ? internal.p : NULL, err);
	cb_buf_free(&pub);
	cb_buf_free(&internal);
	cb_free(subject);
	cb_free(desc);
	cb_free(status);
	return rc;
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

int cb_search_index_article(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_ARTICLE_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	cb_buf b = {0};
	article_body(q, &b);
	char *title = cb_xstrdup(cb_q_text(q, 0));
	char *type = cb_xstrdup(cb_q_text(q, 5));
	char *state = cb_xstrdup(cb_q_text(q, 6));
	int is_public = strcmp(cb_q_text(q, 7), "public") == 0;
	cb_q_reset(q);
	int64_t at = 0;
	int rc = cb_q_one_by_id(c, "SELECT created_at FROM articles WHERE id = ?1", id, &at, err) < 0 ||
		 fts_put(c, id * 4 + 2, KIND_ARTICLE, id, 0, 0, state, type, is_public, at, title, b.p,
			 err);
	cb_buf_free(&b);
	cb_free(title);
	cb_free(type);
	cb_free(state);
	return rc;
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
		rc = ticket_text(c, id, desc, 0, cb_role_is_agent_side(viewer->role), &text, err);
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

int cb_search(cb_conn *c, const cb_actor *viewer, const cb_search_query *sq, int limit,
	      int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	cb_text_terms terms;
	char *match = cb_text_query(sq->q, &terms);
	*next = 0;
	if (!match) {
		*items = json_array();
		return 0;
	}
	int customer = !cb_role_is_agent_side(viewer->role) && viewer->user_id;
	cb_buf sql = {0};
	/* bm25() may not appear inside an aggregate: rank the rows first */
	cb_buf_puts(&sql, "WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS r"
			  " FROM search_fts WHERE search_fts MATCH ?1)"
			  " SELECT d.kind, d.ref_id, min(m.r) AS s FROM m JOIN search_docs d ON d.id = m.id"
			  " WHERE 1");
	if (customer)
		cb_buf_puts(&sql, " AND d.part = 0 AND ((d.kind = 1 AND d.account_id = ?2)"
				  " OR (d.kind = 2 AND d.public = 1 AND d.status = 'published'))");
	int article_type = 0;
	if (sq->type) {
		if (strcmp(sq->type, "ticket") == 0)
			cb_buf_puts(&sql, " AND d.kind = 1");
		else if (strcmp(sq->type, "article") == 0)
			cb_buf_puts(&sql, " AND d.kind = 2");
		else {
			for (const char *const *t = article_types; *t; t++)
				article_type |= strcmp(*t, sq->type) == 0;
			if (!article_type) {
				cb_buf_free(&sql);
				cb_free(match);
				cb_text_terms_free(&terms);
				return cb_err_set(err, CB_E_BADREQ, "type",
						  "type must be ticket, article, kb, runbook, known_error or faq");
			}
			cb_buf_puts(&sql, " AND d.kind = 2 AND d.type = ?3");
		}
	}
	if (sq->status)
		cb_buf_puts(&sql, " AND d.status = ?4");
	if (sq->account)
		cb_buf_puts(&sql, " AND d.kind = 1 AND d.account_id = ?5");
	if (sq->from)
		cb_buf_puts(&sql, " AND d.at >= ?6");
	if (sq->to)
		cb_buf_puts(&sql, " AND d.at < ?7");
	cb_buf_puts(&sql, " GROUP BY d.kind, d.ref_id ORDER BY s, d.kind, d.ref_id LIMIT ?8 OFFSET ?9");
	cb_q *q = cb_q_prepare(c, sql.p, err);
	cb_buf_free(&sql);
	if (!q) {
		cb_free(match);
		cb_text_terms_free(&terms);
		return -1;
	}
	cb_q_bind_text(q, 1, match);
	if (customer)
		cb_q_bind_i64(q, 2, viewer->account_id ? viewer->account_id : -1);
	if (article_type)
		cb_q_bind_text(q, 3, sq->type);
	if (sq->status)
		cb_q_bind_text(q, 4, sq->status);
	if (sq->account)
		cb_q_bind_i64(q, 5, sq->account);
	if (sq->from)
		cb_q_bind_i64(q, 6, sq->from);
	if (sq->to)
		cb_q_bind_i64(q, 7, sq->to);
	cb_q_bind_i64(q, 8, limit + 1);
	cb_q_bind_i64(q, 9, offset);
	/* collect the page first: rendering runs other statements */
	int64_t ids[501];
	int kinds[501];
	double scores[501];
	int n = 0, r;
	while ((r = cb_q_step(q, err)) == 1 && n <= limit && n < 501) {
		kinds[n] = (int)cb_q_i64(q, 0);
		ids[n] = cb_q_i64(q, 1);
		scores[n] = -cb_q_double(q, 2);
		n++;
	}
	cb_q_free(q);
	cb_free(match);
	if (r < 0) {
		cb_text_terms_free(&terms);
		return -1;
	}
	if (n > limit) {
		n = limit;
		*next = offset + limit;
	}
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = render_hit(c, viewer, kinds[i], ids[i], scores[i], &terms, err);
		if (!o) {
			if (err->code)
				break;
			continue;
		}
		json_array_append_new(arr, o);
	}
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

#define SUGGEST_RANKED \
	"WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS r" \
	" FROM search_fts WHERE search_fts MATCH ?1) "
static const char SQL_SUGGEST_ARTICLES[] =
	SUGGEST_RANKED
	"SELECT d.kind, d.ref_id, min(m.r) AS s FROM m JOIN search_docs d ON d.id = m.id"
	" WHERE d.kind = 2 AND d.status = 'published'"
	" GROUP BY d.ref_id ORDER BY s, d.ref_id LIMIT 5";
static const char SQL_SUGGEST_TICKETS[] =
	SUGGEST_RANKED
	"SELECT kind, ref_id, s FROM ("
	" SELECT d.kind, d.ref_id, min(m.r) AS s, max(d.status IN ('solved', 'closed')) AS solved"
	" FROM m JOIN search_docs d ON d.id = m.id WHERE d.kind = 1 AND d.ref_id <> ?2"
	" GROUP BY d.ref_id ORDER BY s, d.ref_id LIMIT 20)"
	" ORDER BY solved DESC, s, ref_id LIMIT 5";

static json_t *suggest(cb_conn *c, const cb_actor *viewer, const char *sql, const char *match,
		       int64_t ticket, const cb_text_terms *terms, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return NULL;
	cb_q_bind_text(q, 1, match);
	if (ticket)
		cb_q_bind_i64(q, 2, ticket);
	int64_t ids[5];
	double scores[5];
	int n = 0, r;
	while ((r = cb_q_step(q, err)) == 1 && n < 5) {
		ids[n] = cb_q_i64(q, 1);
		scores[n++] = -cb_q_double(q, 2);
	}
	if (r == 1)
		cb_q_reset(q);
	if (r < 0)
		return NULL;
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = render_hit(c, viewer, ticket ? KIND_TICKET : KIND_ARTICLE, ids[i], scores[i],
				       terms, err);
		if (!o && err->code) {
			json_decref(arr);
			return NULL;
		}
		if (o)
			json_array_append_new(arr, o);
	}
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
	char *match = or_query(text.p, &terms);
	cb_buf_free(&text);
	if (!match)
		return json_pack("{s:[], s:[]}", "articles", "tickets");
	json_t *arts = suggest(c, viewer, SQL_SUGGEST_ARTICLES, match, 0, &terms, err);
	json_t *tix = arts ? suggest(c, viewer, SQL_SUGGEST_TICKETS, match, ticket, &terms, err) : NULL;
	cb_free(match);
	cb_text_terms_free(&terms);
	if (!tix) {
		json_decref(arts);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "articles", arts, "tickets", tix);
}
