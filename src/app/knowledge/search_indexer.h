/* search_indexer.h - the background indexer of search_pending (documents
 * an upgraded data dir's index did not hold, see migration 011): the
 * search.index worker kind of src/jobs/kinds.c, started with the server.
 * Each turn indexes one batch through the writer (request traffic
 * interleaves between batches); the worker ends when the list is empty. A
 * restart resumes where it stopped: the list is a table. */
#ifndef CB_SEARCH_INDEXER_H
#define CB_SEARCH_INDEXER_H
#include "app/app.h"

#define CB_SEARCH_INDEX_BATCH 500

/* One batch: 0 (more may follow), 1 when nothing was left (finished), -1
 * with err. Logs one line when it finishes after indexing something. */
int cb_searchsvc_indexer_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err);
/* The documents still listed (pending work for /metrics; oldest: when this
 * process started, as the list has no instants). */
int cb_searchsvc_indexer_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err);
/* Indexes every pending document now (CLI, tests); *n = how many. */
int cb_searchsvc_indexer_drain(cb_app *app, int64_t *n, cb_err *err);

#endif
