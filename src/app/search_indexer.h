/* search_indexer.h - the background indexer of search_pending (documents
 * an upgraded data dir's index did not hold, see migration 011): one thread,
 * started with the server, that indexes them in batches through the writer
 * (request traffic interleaves between batches) and exits when the list is
 * empty. A restart resumes where it stopped: the list is a table. */
#ifndef CB_SEARCH_INDEXER_H
#define CB_SEARCH_INDEXER_H
#include "app/app.h"

#define CB_SEARCH_INDEX_BATCH 500

int cb_search_indexer_start(cb_app *app, cb_err *err);
/* Stops the thread after its current batch (before cb_db_close). */
void cb_search_indexer_stop(void);
/* Indexes every pending document now (CLI, tests); *n = how many. */
int cb_search_indexer_drain(cb_app *app, int64_t *n, cb_err *err);

#endif
