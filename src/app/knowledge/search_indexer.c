/* search_indexer.c - see search_indexer.h. */
#include "app/knowledge/search_indexer.h"
#include "app/knowledge/search.h"
#include "store/sql.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* for the one log line at the end, and the age on /metrics (the worker
 * runs once per process) */
static atomic_llong started_at, indexed;

struct batch {
	int done;
};

static int batch_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct batch *b = arg;
	return cb_search_index_pending(c, CB_SEARCH_INDEX_BATCH, &b->done, err);
}

int cb_searchsvc_indexer_drain(cb_app *app, int64_t *n, cb_err *err)
{
	*n = 0;
	for (;;) {
		struct batch b = {0};
		if (cb_db_write(app->db, batch_fn, &b, err))
			return -1;
		if (b.done == 0)
			return 0;
		*n += b.done;
	}
}

static void log_line(const char *event, int64_t n, cb_ms ms)
{
	json_t *o = json_pack("{s:s, s:I, s:I}", "event", event, "documents", (json_int_t)n, "ms",
			      (json_int_t)ms);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s); /* jansson's allocation */
	json_decref(o);
}

int cb_searchsvc_indexer_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err)
{
	long long zero = 0;
	atomic_compare_exchange_strong(&started_at, &zero, (long long)cb_now_ms());
	struct batch b = {0};
	*sleep_ms = 0; /* the next batch at once */
	if (cb_db_write(app->db, batch_fn, &b, err))
		return -1;
	if (b.done) {
		atomic_fetch_add(&indexed, b.done);
		return 0;
	}
	long long n = atomic_exchange(&indexed, 0);
	if (n)
		log_line("search_indexed", n, cb_now_ms() - atomic_load(&started_at));
	return 1;
}

int cb_searchsvc_indexer_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err)
{
	*n = 0;
	*oldest = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	int64_t count = 0;
	cb_q *q = cb_q_get(c, CB_SQL_SEARCH_PENDING_COUNT, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		count = cb_q_i64(q, 0);
		cb_q_reset(q);
	}
	*n = count;
	cb_ms since = (cb_ms)atomic_load(&started_at);
	*oldest = count && since ? since : count ? now : 0;
	return 0;
}
