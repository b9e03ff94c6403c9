/* search.c - the backend-neutral part of the search index (search.h): the
 * documents as read from their tables, the pending list, hit descriptions
 * and snippets. Nothing here depends on how an index stores or ranks. */
#include "store/search.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define SNIPPET_TOKENS 24

int64_t cb_search_window(void)
{
	const char *e = getenv("CASEBOOK_SEARCH_WINDOW");
	long long w = e ? atoll(e) : 0;
	return w > 0 ? w : CB_SEARCH_WINDOW;
}

/* ---- documents ---- */

/* A ticket's comments in order, public ones into pub, internal ones into
 * internal (either may be NULL; both the same buffer: all in order),
 * separated by newlines, after what the buffers hold. */
static int ticket_comments(cb_conn *c, int64_t id, cb_buf *pub, cb_buf *internal, cb_err *err)
{
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

/* An article's text: body, symptoms, cause, workaround (columns 1..4 of
 * CB_SQL_SEARCH_ARTICLE_BRIEF), the empty ones left out. */
static void article_text(cb_q *q, cb_buf *b)
{
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

/* A document with the storage of its strings. */
typedef struct {
	cb_search_doc d;
	cb_buf title, body, notes, status, type, visibility;
} loaded_doc;

static void loaded_free(loaded_doc *l)
{
	cb_buf_free(&l->title);
	cb_buf_free(&l->body);
	cb_buf_free(&l->notes);
	cb_buf_free(&l->status);
	cb_buf_free(&l->type);
	cb_buf_free(&l->visibility);
}

static const char *str(cb_buf *b)
{
	if (!b->p)
		cb_buf_puts(b, "");
	return b->p;
}

static int load_ticket(cb_conn *c, int64_t id, loaded_doc *l, int *found, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	*found = r == 1;
	if (r <= 0)
		return r;
	cb_buf_puts(&l->title, cb_q_text(q, 0));
	if (!cb_q_isnull(q, 1))
		cb_buf_puts(&l->body, cb_q_text(q, 1));
	cb_buf_puts(&l->status, cb_q_text(q, 2));
	l->d.account = cb_q_isnull(q, 3) ? 0 : cb_q_i64(q, 3);
	cb_q_reset(q);
	return ticket_comments(c, id, &l->body, &l->notes, err);
}

static int load_article(cb_conn *c, int64_t id, loaded_doc *l, int *found, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_ARTICLE_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	*found = r == 1;
	if (r <= 0)
		return r;
	cb_buf_puts(&l->title, cb_q_text(q, 0));
	article_text(q, &l->body);
	cb_buf_puts(&l->type, cb_q_text(q, 5));
	cb_buf_puts(&l->status, cb_q_text(q, 6));
	cb_buf_puts(&l->visibility, cb_q_text(q, 7));
	cb_q_reset(q);
	return 0;
}

int cb_search_reindex(cb_conn *c, int kind, int64_t id, cb_err *err)
{
	const cb_search_backend *be = cb_search_backend_of(c);
	loaded_doc l = {0};
	int found = 0;
	int rc = kind == CB_SEARCH_TICKET ? load_ticket(c, id, &l, &found, err)
					  : load_article(c, id, &l, &found, err);
	if (!rc && found) {
		l.d.kind = kind;
		l.d.id = id;
		l.d.title = str(&l.title);
		l.d.body = str(&l.body);
		l.d.notes = str(&l.notes);
		l.d.status = str(&l.status);
		l.d.type = str(&l.type);
		l.d.visibility = str(&l.visibility);
		rc = be->put(c, &l.d, err);
	} else if (!rc) {
		rc = be->remove(c, kind, id, err);
	}
	loaded_free(&l);
	return rc;
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
		rc = cb_search_reindex(c, kinds[i] == CB_SEARCH_TICKET ? CB_SEARCH_TICKET
								     : CB_SEARCH_ARTICLE,
				       ids[i], err);
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

/* ---- querying ---- */

int cb_search_rank(cb_conn *c, const cb_search_req *r, cb_search_hit **hits, int *n, cb_err *err)
{
	*hits = NULL;
	*n = 0;
	if (!r->text || r->text->n == 0 || !r->kinds || r->limit <= 0)
		return 0;
	cb_search_hit *out = cb_xmalloc((size_t)r->limit * sizeof *out);
	if (cb_search_backend_of(c)->query(c, r, out, n, err)) {
		cb_free(out);
		*n = 0;
		return -1;
	}
	*hits = out;
	return 0;
}

int cb_search_describe(cb_conn *c, int kind, int64_t id, int with_notes, const cb_text_terms *terms,
		       cb_search_brief *out, int *found, cb_err *err)
{
	memset(out, 0, sizeof *out);
	cb_q *q = cb_q_get(c, kind == CB_SEARCH_TICKET ? CB_SQL_SEARCH_TICKET_BRIEF
							: CB_SQL_SEARCH_ARTICLE_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	*found = r == 1;
	if (r <= 0)
		return r;
	cb_buf text = {0};
	out->title = cb_xstrdup(cb_q_text(q, 0));
	if (kind == CB_SEARCH_TICKET) {
		if (terms && !cb_q_isnull(q, 1))
			cb_buf_puts(&text, cb_q_text(q, 1));
		out->status = cb_xstrdup(cb_q_text(q, 2));
	} else {
		if (terms)
			article_text(q, &text);
		out->status = cb_xstrdup(cb_q_text(q, 6));
	}
	cb_q_reset(q);
	int rc = 0;
	if (terms && kind == CB_SEARCH_TICKET)
		rc = ticket_comments(c, id, &text, with_notes ? &text : NULL, err);
	if (!rc && terms)
		cb_text_snippet(text.p ? text.p : "", terms, SNIPPET_TOKENS, &out->snippet);
	cb_buf_free(&text);
	if (rc)
		cb_search_brief_free(out);
	return rc;
}

void cb_search_brief_free(cb_search_brief *b)
{
	cb_free(b->title);
	cb_free(b->status);
	cb_free(b->snippet);
	memset(b, 0, sizeof *b);
}

int cb_search_ticket_text(cb_conn *c, int64_t id, char **subject, char **description, int *found,
			  cb_err *err)
{
	*subject = *description = NULL;
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_TICKET_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	*found = r == 1;
	if (r <= 0)
		return r;
	*subject = cb_xstrdup(cb_q_text(q, 0));
	*description = cb_xstrdup(cb_q_text(q, 1));
	cb_q_reset(q);
	return 0;
}
