/* search_fts5.h - the SQLite FTS5 implementation of the search index
 * (store/search.h); its design is at the top of search_fts5.c. */
#ifndef CB_STORE_SEARCH_FTS5_H
#define CB_STORE_SEARCH_FTS5_H
#include "store/search.h"
#include "util/buf.h"

extern const cb_search_backend cb_search_fts5;

/* Appends the FTS5 MATCH text of a query item: "stem"[ "stem"...] for a
 * phrase, "prefix"* or ("prefix"* OR "alt"*) for a prefix. */
void cb_fts5_item(cb_buf *b, const cb_text_item *it);

#endif
