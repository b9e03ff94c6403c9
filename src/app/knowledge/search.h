/* search.h - full-text search over tickets and articles, and ticket
 * suggestions: the use cases over the search index of store/search.h
 * (its semantics: docs/architecture.md, "Search"). This layer parses the
 * query (core/text.c), validates the filters, sets the viewer's visibility
 * (customers: their account's public text and published public articles)
 * and renders hits as JSON; matching, ranking and paging are the index's. */
#ifndef CB_SEARCH_H
#define CB_SEARCH_H
#include <jansson.h>
#include "app/app.h"
#include "app/ticket/projection.h"
#include "store/search.h"

/* Rebuilds the index entry of one ticket / article (called after each
 * write; cb_search_reindex). cb_search_index_pending (store/search.h)
 * indexes the documents listed in search_pending. */
/* The after-write step's consumer: reindexes the ticket of p. */
int cb_searchsvc_project(const cb_projection *p, cb_err *err);
int cb_searchsvc_index_ticket(cb_conn *c, int64_t id, cb_err *err);
int cb_searchsvc_index_article(cb_conn *c, int64_t id, cb_err *err);

typedef struct {
	const char *q;
	const char *type;    /* ticket | article | kb | runbook | known_error | faq */
	const char *status;  /* ticket status or article state */
	int64_t account;     /* tickets of this account only (0: any; < 0: none) */
	cb_ms from, to;      /* created_at range [from, to) (0: open) */
} cb_searchsvc_query;

/* {"items":[{kind,id,title,snippet,score}], next offset in *next (0: none)}. */
int cb_search(cb_conn *c, const cb_actor *viewer, const cb_searchsvc_query *sq, int limit,
	      int64_t offset, json_t **items, int64_t *next, cb_err *err);
/* {"articles":[...5], "tickets":[...5, solved first]} for a ticket. */
json_t *cb_searchsvc_suggestions(cb_conn *c, const cb_actor *viewer, int64_t ticket, cb_err *err);
#endif
