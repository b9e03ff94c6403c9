/* fts_rank.h - cb_rank(), the FTS5 ranking function of the search index
 * (store/search_fts5.c), registered on every connection.
 *
 *   cb_rank(search_index, w_col0, ..., w_colN-1, df_phrase0, df_phrase1, ...)
 *
 * is Okapi BM25 exactly as FTS5's bm25() computes it (k1 = 1.2, b = 0.75,
 * column weights, the IDF floor of 1e-6), negated (lower is better), with
 * two differences: (1) the document frequency of each phrase of the query
 * is an argument instead of being counted by a scan of every match on
 * every query (bm25()'s xQueryPhrase: the dominant cost of a search over a
 * big index), so the caller supplies cached counts; a phrase without one
 * counts as matching every document (IDF floor); (2) only columns of
 * weight > 0 count towards a document's length, so filter tokens do not
 * dilute scores. */
#ifndef CB_FTS_RANK_H
#define CB_FTS_RANK_H

struct sqlite3;
/* Registers cb_rank on a connection (0 ok, -1 when FTS5 is missing). */
int cb_fts_rank_register(struct sqlite3 *h);

#endif
