/* search.h - the full-text search index behind a backend-neutral interface.
 *
 * The semantics every implementation meets (what matches, visibility,
 * filters, the ranking window, cursors, snippets) are written down in
 * docs/architecture.md, "Search"; this header is their programming
 * interface. The implementation for SQLite is FTS5 (store/search_fts5.c,
 * with its ranking function in store/fts_rank.c); a backend is a
 * cb_search_backend, chosen per connection by cb_search_backend_of().
 *
 * Callers (app/knowledge/search.c) parse the user's text with core/text.c
 * (cb_text_parse: stemmed words, phrases, prefixes), decide the viewer's
 * visibility and the filters, and hand both here; they never see how the
 * index is stored or queried. Documents are indexed from their original
 * text: an implementation tokenizes and stems it with cb_text_stem_into
 * (core/text.h), exactly as queries are, so both sides hold the same
 * stems. */
#ifndef CB_STORE_SEARCH_H
#define CB_STORE_SEARCH_H
#include "core/text.h"
#include "store/db.h"
#include "util/timeutil.h"

/* Document kinds (also the kind column of search_pending). */
enum { CB_SEARCH_TICKET = 1, CB_SEARCH_ARTICLE = 2 };
#define CB_SEARCH_KIND_BIT(k) (1 << (k))
#define CB_SEARCH_ALL_KINDS (CB_SEARCH_KIND_BIT(CB_SEARCH_TICKET) | CB_SEARCH_KIND_BIT(CB_SEARCH_ARTICLE))

/* Ranking window: a query matching more documents of a kind than this
 * ranks the newest this many of that kind by relevance; the older matches
 * follow, newest first. CASEBOOK_SEARCH_WINDOW in the environment sets
 * another (tests use a small one). */
#define CB_SEARCH_WINDOW 1000
int64_t cb_search_window(void);

/* One document as indexed: its original text and the attributes that
 * visibility and filters test. */
typedef struct {
	int kind;
	int64_t id;
	const char *title;      /* ticket subject, article title */
	const char *body;       /* text every viewer of the document may read: a
				 * ticket's description and public comments; an
				 * article's body, symptoms, cause, workaround */
	const char *notes;      /* agent-only text: a ticket's internal comments */
	int64_t account;        /* ticket: its account (0: none) */
	const char *status;     /* ticket status, article state */
	const char *type;       /* article type */
	const char *visibility; /* article: public | internal */
} cb_search_doc;

/* A query. */
typedef struct {
	const cb_text_parsed *text; /* at least one item */
	int any;                /* 0: every item must match; 1: any item (suggestions) */
	int kinds;              /* CB_SEARCH_KIND_BIT of each kind searched */
	/* visibility: a customer (customer_account: their account) matches only
	 * their account's tickets, on title and public text, and published
	 * public articles; otherwise (agent side) everything, notes included */
	int customer;
	int64_t customer_account;
	/* filters (0 / NULL: none) */
	int64_t account;        /* tickets of this account only, no articles
				 * (< 0: nothing matches) */
	const char *status;     /* ticket status or article state */
	const char *article_type;
	cb_ms from, to;         /* created_at in [from, to) */
	/* page of the total order */
	int64_t offset;
	int limit;
} cb_search_req;

/* A ranked hit: score is higher for better matches (BM25). */
typedef struct {
	int kind;
	int64_t id;
	double score;
} cb_search_hit;

/* An implementation. */
typedef struct cb_search_backend {
	const char *name;
	/* Puts a document into the index, replacing its previous entry. */
	int (*put)(cb_conn *c, const cb_search_doc *d, cb_err *err);
	/* Removes a document's entry (none: nothing happens). */
	int (*remove)(cb_conn *c, int kind, int64_t id, cb_err *err);
	/* The hits [r->offset, r->offset + r->limit) of the query's total
	 * order into out (room for r->limit), *n of them. */
	int (*query)(cb_conn *c, const cb_search_req *r, cb_search_hit *out, int *n, cb_err *err);
} cb_search_backend;

const cb_search_backend *cb_search_backend_of(cb_conn *c);

/* ---- indexing ---- */

/* Re-indexes one document from its tables (called after every write to
 * it): put when it exists, remove when it does not. */
int cb_search_reindex(cb_conn *c, int kind, int64_t id, cb_err *err);
/* Indexes up to max documents listed in search_pending (an upgraded data
 * dir's, migration 011; a restored dump's) and removes them from the list;
 * *done = how many. */
int cb_search_index_pending(cb_conn *c, int max, int *done, cb_err *err);

/* ---- querying ---- */

/* The ranked hits [r->offset, r->offset + r->limit), *hits (cb_free),
 * *n of them. */
int cb_search_rank(cb_conn *c, const cb_search_req *r, cb_search_hit **hits, int *n,
		   cb_err *err);

/* What a hit shows: title, status (ticket status / article state) and a
 * snippet of the text the viewer may read (with_notes: internal comments
 * too), matches of terms in <mark>. */
typedef struct {
	char *title, *status, *snippet;
} cb_search_brief;
/* *found = 0 when the document is gone (the hit is skipped); terms NULL:
 * title and status only (snippet NULL). */
int cb_search_describe(cb_conn *c, int kind, int64_t id, int with_notes, const cb_text_terms *terms,
		       cb_search_brief *out, int *found, cb_err *err);
void cb_search_brief_free(cb_search_brief *b);

/* A ticket's subject and description (*found = 0: no such ticket); cb_free. */
int cb_search_ticket_text(cb_conn *c, int64_t id, char **subject, char **description, int *found,
			  cb_err *err);
#endif
