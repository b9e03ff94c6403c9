/* search.c - see search.h. The index itself (matching, visibility inside
 * the query, ranking, paging) is store/search.h; this file turns requests
 * into its queries and hits into JSON. */
#include "app/knowledge/search.h"
#include "core/text.h"
#include "store/search.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* ---- indexing (after each write) ---- */

int cb_searchsvc_project(const cb_projection *p, cb_err *err)
{
	return cb_searchsvc_index_ticket(p->c, p->ticket, err);
}

int cb_searchsvc_index_ticket(cb_conn *c, int64_t id, cb_err *err)
{
	return cb_search_reindex(c, CB_SEARCH_TICKET, id, err);
}

int cb_searchsvc_index_article(cb_conn *c, int64_t id, cb_err *err)
{
	return cb_search_reindex(c, CB_SEARCH_ARTICLE, id, err);
}

/* ---- search ---- */

static const char *const article_types[] = {"kb", "runbook", "known_error", "faq", NULL};

/* The viewer's visibility: customers see their own account only. */
static void visibility(const cb_actor *viewer, cb_search_req *r)
{
	r->customer = !cb_role_is_agent_side(viewer->role);
	r->customer_account = r->customer ? viewer->account_id : 0;
}

/* One hit as JSON (NULL with err unset: the document is gone, skip it). */
static json_t *render_hit(cb_conn *c, const cb_actor *viewer, const cb_search_hit *h,
			  const cb_text_terms *terms, cb_err *err)
{
	cb_search_brief b;
	int found = 0;
	if (cb_search_describe(c, h->kind, h->id, cb_role_is_agent_side(viewer->role), terms, &b,
			       &found, err) || !found)
		return NULL;
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:f}", "kind",
			      h->kind == CB_SEARCH_TICKET ? "ticket" : "article", "id",
			      (json_int_t)h->id, "title", b.title, "status", b.status, "snippet",
			      b.snippet, "score", h->score);
	cb_search_brief_free(&b);
	return o;
}

static json_t *render_all(cb_conn *c, const cb_actor *viewer, const cb_search_hit *h, int n,
			  const cb_text_terms *terms, cb_err *err)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = render_hit(c, viewer, &h[i], terms, err);
		if (!o && err->code) {
			json_decref(arr);
			return NULL;
		}
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}

int cb_search(cb_conn *c, const cb_actor *viewer, const cb_searchsvc_query *sq, int limit,
	      int64_t offset, json_t **items, int64_t *next, cb_err *err)
{
	*next = 0;
	cb_search_req r = {.kinds = CB_SEARCH_ALL_KINDS};
	if (sq->type) {
		if (strcmp(sq->type, "ticket") == 0) {
			r.kinds = CB_SEARCH_KIND_BIT(CB_SEARCH_TICKET);
		} else if (strcmp(sq->type, "article") == 0) {
			r.kinds = CB_SEARCH_KIND_BIT(CB_SEARCH_ARTICLE);
		} else {
			if (!cb_app_one_of(sq->type, article_types))
				return cb_err_set(err, CB_E_BADREQ, "type",
						  "type must be ticket, article, kb, runbook, known_error or faq");
			r.kinds = CB_SEARCH_KIND_BIT(CB_SEARCH_ARTICLE);
			r.article_type = sq->type;
		}
	}
	cb_text_parsed text;
	cb_text_terms terms;
	if (!cb_text_parse(sq->q, &text, &terms) || !r.kinds || offset > ((int64_t)1 << 40)) {
		cb_text_parsed_free(&text);
		cb_text_terms_free(&terms);
		*items = json_array();
		return 0;
	}
	visibility(viewer, &r);
	r.text = &text;
	r.account = sq->account;
	r.status = sq->status;
	r.from = sq->from;
	r.to = sq->to;
	r.offset = offset;
	r.limit = limit + 1; /* one more: is there a next page */
	cb_search_hit *hits = NULL;
	int n = 0;
	int rc = cb_search_rank(c, &r, &hits, &n, err);
	cb_text_parsed_free(&text);
	json_t *arr = NULL;
	if (!rc) {
		if (n > limit) {
			n = limit;
			*next = offset + limit;
		}
		arr = render_all(c, viewer, hits, n, &terms, err);
	}
	cb_free(hits);
	cb_text_terms_free(&terms);
	if (!arr)
		return -1;
	*items = arr;
	return 0;
}

/* ---- suggestions ---- */

static const char *const stop[] = {"the", "and", "for", "with", "that", "this", "from", "are",
				   "was", "not", "but", "have", "has", "our", "you", "your",
				   "when", "after", "what", "can", "cannot", "all", "any", "get",
				   "they", "them", "there", "been", "will", "into", "its", "out",
				   "also", "some", "just", "onli", "veri", "thi", "wa", "ha", NULL};

/* The distinct stems of text (at most 24, none shorter than 3 letters, no
 * stop words) as an any-of query; 0 when none. */
static int any_query(const char *text, cb_text_parsed *p, cb_text_terms *terms)
{
	cb_buf stems = {0};
	cb_text_stem_into(&stems, text);
	memset(terms, 0, sizeof *terms);
	memset(p, 0, sizeof *p);
	char *save = NULL;
	for (char *tok = strtok_r(stems.p, " ", &save); tok && terms->n < 24;
	     tok = strtok_r(NULL, " ", &save)) {
		if (strlen(tok) < 3 || cb_app_one_of(tok, stop))
			continue;
		int seen = 0;
		for (int i = 0; i < terms->n && !seen; i++)
			seen = strcmp(terms->term[i], tok) == 0;
		if (seen)
			continue;
		terms->term[terms->n++] = cb_xstrdup(tok);
		cb_text_parsed_add(p, tok);
	}
	cb_buf_free(&stems);
	return p->n;
}

typedef struct {
	cb_search_hit h;
	int solved;
} suggestion;

static int solved_first(const void *a, const void *b)
{
	const suggestion *x = a, *y = b;
	if (x->solved != y->solved)
		return y->solved - x->solved;
	if (x->h.score != y->h.score)
		return x->h.score > y->h.score ? -1 : 1;
	return x->h.id < y->h.id ? -1 : x->h.id > y->h.id;
}

/* Related tickets: the best 20 other tickets, then the solved ones first. */
static json_t *suggest_tickets(cb_conn *c, const cb_actor *viewer, cb_search_req *r, int64_t ticket,
			       const cb_text_terms *terms, cb_err *err)
{
	r->kinds = CB_SEARCH_KIND_BIT(CB_SEARCH_TICKET);
	r->status = NULL;
	r->limit = 21;
	cb_search_hit *h = NULL;
	int n = 0;
	if (cb_search_rank(c, r, &h, &n, err))
		return NULL;
	suggestion s[21];
	int k = 0;
	for (int i = 0; i < n && k < 20; i++) {
		if (h[i].id == ticket)
			continue;
		cb_search_brief b;
		int found = 0;
		if (cb_search_describe(c, CB_SEARCH_TICKET, h[i].id, 0, NULL, &b, &found, err)) {
			cb_free(h);
			return NULL;
		}
		s[k].h = h[i];
		s[k++].solved = found && (strcmp(b.status, "solved") == 0 || strcmp(b.status, "closed") == 0);
		if (found)
			cb_search_brief_free(&b);
	}
	cb_free(h);
	qsort(s, (size_t)k, sizeof *s, solved_first);
	if (k > 5)
		k = 5;
	cb_search_hit top[5];
	for (int i = 0; i < k; i++)
		top[i] = s[i].h;
	return render_all(c, viewer, top, k, terms, err);
}

json_t *cb_searchsvc_suggestions(cb_conn *c, const cb_actor *viewer, int64_t ticket, cb_err *err)
{
	char *subject = NULL, *description = NULL;
	int found = 0;
	if (cb_search_ticket_text(c, ticket, &subject, &description, &found, err))
		return NULL;
	if (!found) {
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)ticket);
		return NULL;
	}
	cb_buf text = {0};
	cb_buf_printf(&text, "%s\n%s", subject, description);
	cb_free(subject);
	cb_free(description);
	cb_text_parsed q;
	cb_text_terms terms;
	int nq = any_query(text.p, &q, &terms);
	cb_buf_free(&text);
	if (!nq) {
		cb_text_terms_free(&terms);
		return json_pack("{s:[], s:[]}", "articles", "tickets");
	}
	/* published articles, then tickets, matching any of the stems */
	cb_search_req r = {.text = &q, .any = 1, .kinds = CB_SEARCH_KIND_BIT(CB_SEARCH_ARTICLE),
			   .status = "published", .limit = 5};
	visibility(viewer, &r);
	cb_search_hit *h = NULL;
	int n = 0;
	json_t *arts = NULL, *tix = NULL;
	if (cb_search_rank(c, &r, &h, &n, err) == 0)
		arts = render_all(c, viewer, h, n, &terms, err);
	cb_free(h);
	if (arts)
		tix = suggest_tickets(c, viewer, &r, ticket, &terms, err);
	cb_text_parsed_free(&q);
	cb_text_terms_free(&terms);
	if (!tix) {
		json_decref(arts);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "articles", arts, "tickets", tix);
}
