/* search.h - full-text search over tickets and articles (FTS5, bm25,
 * Snowball-stemmed text from core/text.c) and ticket suggestions.
 *
 * Index rows (search_docs + search_fts, rowid): ticket id*4 holds subject,
 * description and public comments; id*4+1 the internal comments, matched
 * only for agent-side callers; article id*4+2. Customers match only their
 * account's tickets' public rows and published public articles; snippets
 * are cut from text the caller may see. */
#ifndef CB_SEARCH_H
#define CB_SEARCH_H
#include <jansson.h>
#include "app/app.h"

/* Rebuilds the index rows of one ticket / article (called after each write). */
int cb_search_index_ticket(cb_conn *c, int64_t id, cb_err *err);
int cb_search_index_article(cb_conn *c, int64_t id, cb_err *err);

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
