/* search.h - full-text search over tickets and articles (FTS5, bm25,
 * Snowball-stemmed text from core/text.c) and ticket suggestions.
 *
 * Index (migration 011, design in search.c): search_index, one FTS5 row
 * per ticket (rowid = id: subject, description + public comments, internal
 * comments, meta tokens) and per article (rowid = -id). Customers match
 * only their account's tickets' public text and published public articles,
 * enforced inside the FTS5 MATCH; snippets are cut from text the caller may
 * see. Ranking is bm25 over the CB_SEARCH_WINDOW newest matches of each
 * kind; older matches follow, newest first. search_pending lists
 * documents still to (re-)index (an upgraded data dir, see
 * cb_search_index_pending). */
#ifndef CB_SEARCH_H
#define CB_SEARCH_H
#include <jansson.h>
#include "app/app.h"
#include "app/projection.h"

/* Rebuilds the index rows of one ticket / article (called after each write). */
/* The after-write step's consumer: reindexes the ticket of p. */
int cb_search_project(const cb_projection *p, cb_err *err);
int cb_search_index_ticket(cb_conn *c, int64_t id, cb_err *err);
int cb_search_index_article(cb_conn *c, int64_t id, cb_err *err);
/* Indexes up to max documents listed in search_pending and removes them
 * from it (run inside one write job); *done = how many. */
int cb_search_index_pending(cb_conn *c, int max, int *done, cb_err *err);

/* Matches ranked by bm25 per table, newest first: a query matching more
 * documents than this ranks the newest this many of each table. */
#define CB_SEARCH_WINDOW 1000

typedef struct {
	const char *q;
	const char *type;    /* ticket | article | kb | runbook | known_error | faq */
	const char *status;  /* ticket status or article state */
	int64_t account;     /* tickets of this account only (0: any) */
	cb_ms from, to;      /* created / updated range (0: open) */
} cb_search_query;

/* {"items":[{kind,id,title,snippet,score}], next offset in *next (0: none)}. */
int cb_search(cb_conn *c, const cb_actor *viewer, const cb_search_query *sq, int limit,
	      int64_t offset, json_t **items, int64_t *next, cb_err *err);
/* {"articles":[...5], "tickets":[...5, solved first]} for a ticket. */
json_t *cb_search_suggestions(cb_conn *c, const cb_actor *viewer, int64_t ticket, cb_err *err);
#endif
