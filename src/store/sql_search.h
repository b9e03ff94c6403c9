/* sql_search.h - statements of the FTS5 search backend (store/search_fts5.c)
 * that are not in sql_article.h: document frequencies per kind (tickets
 * at rowid > 0, articles at rowid < 0). The ranked queries are built at run
 * time there (their shape depends on the filters). */
#ifndef CB_SQL_SEARCH_H
#define CB_SQL_SEARCH_H

static const char CB_SQL_SEARCH_DF_TICKETS[] =
	"SELECT count(*) FROM search_index WHERE search_index MATCH ?1 AND rowid > 0";
static const char CB_SQL_SEARCH_DF_ARTICLES[] =
	"SELECT count(*) FROM search_index WHERE search_index MATCH ?1 AND rowid < 0";

#endif
