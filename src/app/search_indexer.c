/* search_indexer.c - see search_indexer.h. */
#include "app/search_indexer.h"
#include "app/search.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static struct {
	pthread_t thread;
	int started;
	atomic_int stop;
	cb_app *app;
} S;

struct batch {
	int done;
};

static int batch_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct batch *b = arg;
	return cb_search_index_pending(c, CB_SEARCH_INDEX_BATCH, &b->done, err);
}

static int drain(cb_app *app, const atomic_int *stop, int64_t *n, cb_err *err)
{
	*n = 0;
	for (;;) {
		if (stop && atomic_load(stop))
			return 0;
		struct batch b = {0};
		if (cb_db_write(app->db, batch_fn, &b, err))
			return -1;
		if (b.done == 0)
			return 0;
		*n += b.done;
	}
}

int cb_search_indexer_drain(cb_app *app, int64_t *n, cb_err *err)
{
	return drain(app, NULL, n, err);
}

static void log_line(const char *event, int64_t n, cb_ms ms, const cb_err *e)
{
	json_t *o = json_pack("{s:s, s:I, s:I}", "event", event, "documents", (json_int_t)n, "ms",
			      (json_int_t)ms);
	if (e)
		json_object_set_new(o, "error", json_string(e->message));
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s); /* jansson's allocation */
	json_decref(o);
}

static void *indexer_main(void *arg)
{
	cb_app *app = arg;
	cb_ms t0 = cb_now_ms();
	int64_t n = 0;
	cb_err err = {0};
	int rc = drain(app, &S.stop, &n, &err);
	if (rc)
		log_line("search_index_failed", n, cb_now_ms() - t0, &err);
	else if (n)
		log_line("search_indexed", n, cb_now_ms() - t0, NULL);
	return NULL;
}

int cb_search_indexer_start(cb_app *app, cb_err *err)
{
	if (S.started)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "the search indexer is already running");
	atomic_store(&S.stop, 0);
	S.app = app;
	if (pthread_create(&S.thread, NULL, indexer_main, app) != 0)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot start the search indexer");
	S.started = 1;
	return 0;
}

void cb_search_indexer_stop(void)
{
	if (!S.started)
		return;
	atomic_store(&S.stop, 1);
	pthread_join(S.thread, NULL);
	S.started = 0;
	S.app = NULL;
}
