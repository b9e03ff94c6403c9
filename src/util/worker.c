/* worker.c - see worker.h. */
#include "util/worker.h"

#include <errno.h>
#include <time.h>

static void *worker_main(void *p)
{
	cb_worker *w = p;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		w->kicked = 0;
		pthread_mutex_unlock(&w->mu);
		long ms = w->fn(w->arg);
		pthread_mutex_lock(&w->mu);
		if (w->stop || w->kicked)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ms < 1)
			ms = 1;
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!w->stop && !w->kicked)
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int cb_worker_start(cb_worker *w, cb_worker_fn fn, void *arg)
{
	pthread_mutex_lock(&w->mu);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->fn = fn;
	w->arg = arg;
	w->stop = w->kicked = 0;
	int rc = pthread_create(&w->th, NULL, worker_main, w);
	w->started = rc == 0;
	if (rc)
		pthread_cond_destroy(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return rc ? -1 : 0;
}

void cb_worker_kick(cb_worker *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->started) {
		w->kicked = 1;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

void cb_worker_stop(cb_worker *w)
{
	pthread_mutex_lock(&w->mu);
	if (!w->started) {
		pthread_mutex_unlock(&w->mu);
		return;
	}
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_lock(&w->mu);
	w->started = 0;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_unlock(&w->mu);
}
