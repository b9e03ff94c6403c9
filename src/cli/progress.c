/* progress.c - the progress line of long CLI work (see progress.h). */
#include "cli/progress.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cb_cli_progress {
	char what[64], unit[32];
	double start, last_draw;
	int64_t done, total, fixed_total;
	int drawn;
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n with thousands separators */
static const char *num(char *buf, size_t cap, int64_t n)
{
	char raw[32];
	int len = snprintf(raw, sizeof raw, "%lld", (long long)(n < 0 ? -n : n));
	size_t o = 0;
	if (n < 0 && o + 1 < cap)
		buf[o++] = '-';
	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *duration(char *buf, size_t cap, double s)
{
	if (s < 60)
		snprintf(buf, cap, "%.0f s", s < 1 ? 1 : s);
	else if (s < 3600)
		snprintf(buf, cap, "%d min %02d s", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, cap, "%d h %02d min", (int)s / 3600, (int)s % 3600 / 60);
	return buf;
}

cb_cli_progress *cb_cli_progress_start(const char *what, const char *unit)
{
	if (!isatty(STDERR_FILENO))
		return NULL;
	cb_cli_progress *p = cb_xcalloc(1, sizeof *p);
	snprintf(p->what, sizeof p->what, "%s", what);
	snprintf(p->unit, sizeof p->unit, "%s", unit);
	p->start = mono_s();
	return p;
}

void cb_cli_progress_total(cb_cli_progress *p, int64_t total)
{
	if (p)
		p->fixed_total = total;
}

static void draw(cb_cli_progress *p, double now)
{
	char d[32], t[32], r[32], left[48];
	double el = now - p->start;
	double rate = el > 0 ? (double)p->done / el : 0;
	int64_t total = p->total > 0 ? p->total : p->fixed_total;
	if (total > 0 && p->done <= total) {
		left[0] = '\0';
		if (rate > 0 && p->done > 0 && p->done < total) {
			char dur[32];
			snprintf(left, sizeof left, ", %s left",
				 duration(dur, sizeof dur, (double)(total - p->done) / rate));
		}
		fprintf(stderr, "\r\033[K%s: %s/%s %s (%d%%), %s %s/s%s", p->what, num(d, sizeof d, p->done),
			num(t, sizeof t, total), p->unit, (int)(100 * p->done / total),
			num(r, sizeof r, (int64_t)rate), p->unit, left);
	} else {
		fprintf(stderr, "\r\033[K%s: %s %s, %s %s/s", p->what, num(d, sizeof d, p->done), p->unit,
			num(r, sizeof r, (int64_t)rate), p->unit);
	}
	fflush(stderr);
	p->drawn = 1;
	p->last_draw = now;
}

void cb_cli_progress_update(cb_cli_progress *p, int64_t done, int64_t total)
{
	if (!p)
		return;
	p->done = done;
	p->total = total;
	double now = mono_s();
	if (!p->drawn || now - p->last_draw >= 0.1)
		draw(p, now);
}

static void sink_fn(void *ctx, int64_t done, int64_t total)
{
	cb_cli_progress_update(ctx, done, total);
}

cb_progress cb_cli_progress_sink(cb_cli_progress *p)
{
	cb_progress s = {p ? sink_fn : NULL, p};
	return s;
}

void cb_cli_progress_end(cb_cli_progress *p)
{
	if (!p)
		return;
	double el = mono_s() - p->start;
	char d[32], r[32], dur[32];
	fprintf(stderr, "\r\033[K%s: %s %s in %s, %s %s/s\n", p->what, num(d, sizeof d, p->done),
		p->unit, el < 1 ? "under 1 s" : duration(dur, sizeof dur, el),
		num(r, sizeof r, el > 0 ? (int64_t)((double)p->done / el) : 0), p->unit);
	fflush(stderr);
	cb_free(p);
}
