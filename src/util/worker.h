/* worker.h - a background thread that runs one function over and over: it
 * sleeps for as long as the function asks (or until kicked), and stops on
 * request after the current run. The mail sender and the IMAP poller are
 * workers. */
#ifndef CB_WORKER_H
#define CB_WORKER_H
#include <pthread.h>

/* One run; returns how long to sleep before the next, in milliseconds. */
typedef long (*cb_worker_fn)(void *arg);

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	pthread_t th;
	int started, stop, kicked;
	cb_worker_fn fn;
	void *arg;
} cb_worker;

#define CB_WORKER_INIT {.mu = PTHREAD_MUTEX_INITIALIZER}

/* 0, or -1 when the thread cannot be created. */
int cb_worker_start(cb_worker *w, cb_worker_fn fn, void *arg);
/* Runs fn again as soon as the current run ends (or at once if asleep). */
void cb_worker_kick(cb_worker *w);
/* Waits for the current run to end and joins the thread; no-op if stopped. */
void cb_worker_stop(cb_worker *w);

#endif
