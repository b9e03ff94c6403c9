/* search_backend.c - which search index implementation a connection uses
 * (store/search.h). The one place that knows the implementations, so the
 * backend-neutral code (search.c) and each implementation (search_fts5.c)
 * depend only on the interface. */
#include "store/search.h"
#include "store/search_fts5.h"

const cb_search_backend *cb_search_backend_of(cb_conn *c)
{
	(void)c; /* SQLite (FTS5) is the only backend so far */
	return &cb_search_fts5;
}
