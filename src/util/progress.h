/* progress.h - how long work (an import, an export, a check, a rebuild, a
 * backup) tells its caller how far it got: done of total units, total 0
 * when unknown. The CLI draws it on a terminal (cli/progress.c); everyone
 * else leaves fn NULL. */
#ifndef CB_UTIL_PROGRESS_H
#define CB_UTIL_PROGRESS_H
#include <stdint.h>

typedef struct {
	void (*fn)(void *ctx, int64_t done, int64_t total);
	void *ctx;
} cb_progress;

static inline void cb_progress_report(const cb_progress *p, int64_t done, int64_t total)
{
	if (p && p->fn)
		p->fn(p->ctx, done, total);
}

#endif
