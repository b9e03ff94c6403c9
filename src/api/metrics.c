/* metrics.c - per-route request counters and latency histograms, rendered
 * in the Prometheus text format by GET /metrics.
 *
 * Counters are C11 atomics indexed by route (as Redis keeps calls and
 * microseconds in struct redisCommand); no lock on the request path. */
#include "api/api.h"
#include "app/mail/mail_channels.h"
#include "app/mail/mail_out.h"
#include "app/report/report.h"
#include "app/sla/sla.h"
#include "jobs/kinds.h"
#include "util/buf.h"
#include "util/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 256
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof bounds / sizeof bounds[0])
#define NCLASS 5 /* 1xx..5xx */

static struct {
	atomic_ullong by_class[NCLASS];
	atomic_ullong buckets[NB]; /* non-cumulative; summed when rendered */
	atomic_ullong count;
	atomic_ullong sum_us;
} stats[MAX_ROUTES + 1]; /* last slot: unmatched */

void cb_api_metrics_record(int route, int status, double seconds)
{
	int i = route >= 0 && route < MAX_ROUTES ? route : MAX_ROUTES;
	int cls = status / 100 - 1;
	if (cls < 0 || cls >= NCLASS)
		cls = NCLASS - 1;
	atomic_fetch_add_explicit(&stats[i].by_class[cls], 1, memory_order_relaxed);
	size_t b = 0;
	while (b < NB && seconds > bounds[b])
		b++;
	if (b < NB)
		atomic_fetch_add_explicit(&stats[i].buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats[i].count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats[i].sum_us, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
}

static atomic_ullong shed[CB_SHED__COUNT];
static atomic_int inflight_now;

void cb_api_metrics_shed(cb_shed_reason why)
{
	if ((unsigned)why < CB_SHED__COUNT)
		atomic_fetch_add_explicit(&shed[why], 1, memory_order_relaxed);
}

void cb_api_metrics_inflight_add(int delta)
{
	atomic_fetch_add_explicit(&inflight_now, delta, memory_order_relaxed);
}

static const char *route_label(int i)
{
	return i < cb_routes_count ? cb_routes[i].name : "unmatched";
}

/* long: one Prometheus family per block, in exposition order */
void cb_api_metrics_render(cb_req *req, cb_resp *resp)
{
	cb_buf b = {0};
	cb_buf_puts(&b, "# HELP casebook_http_requests_total HTTP requests by route and status class.\n"
			"# TYPE casebook_http_requests_total counter\n");
	int n = cb_routes_count < MAX_ROUTES ? cb_routes_count : MAX_ROUTES;
	for (int i = 0; i <= MAX_ROUTES; i++) {
		if (i >= n && i != MAX_ROUTES)
			continue;
		for (int c = 0; c < NCLASS; c++) {
			unsigned long long v = atomic_load(&stats[i].by_class[c]);
			if (v || c == 1)
				cb_buf_printf(&b,
					      "casebook_http_requests_total{route=\"%s\",code=\"%dxx\"} %llu\n",
					      route_label(i), c + 1, v);
		}
	}
	cb_buf_puts(&b, "# HELP casebook_http_request_duration_seconds Request latency by route.\n"
			"# TYPE casebook_http_request_duration_seconds histogram\n");
	for (int i = 0; i <= MAX_ROUTES; i++) {
		if (i >= n && i != MAX_ROUTES)
			continue;
		unsigned long long cum = 0;
		for (size_t k = 0; k < NB; k++) {
			cum += atomic_load(&stats[i].buckets[k]);
			cb_buf_printf(&b,
				      "casebook_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				      route_label(i), bounds[k], cum);
		}
		unsigned long long cnt = atomic_load(&stats[i].count);
		cb_buf_printf(&b,
			      "casebook_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
			      "casebook_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
			      "casebook_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			      route_label(i), cnt, route_label(i),
			      (double)atomic_load(&stats[i].sum_us) / 1e6, route_label(i), cnt);
	}
	cb_buf_printf(&b,
		      "# HELP casebook_http_shed_total Requests answered without being run:"
		      " 503 over --max-inflight (inflight) or refused by the writer queue (busy),"
		      " 429 over the caller's rate (rate).\n"
		      "# TYPE casebook_http_shed_total counter\n"
		      "casebook_http_shed_total{reason=\"inflight\"} %llu\n"
		      "casebook_http_shed_total{reason=\"busy\"} %llu\n"
		      "casebook_http_shed_total{reason=\"rate\"} %llu\n"
		      "# HELP casebook_http_inflight Requests admitted and not yet complete.\n"
		      "# TYPE casebook_http_inflight gauge\n"
		      "casebook_http_inflight %d\n",
		      (unsigned long long)atomic_load(&shed[CB_SHED_INFLIGHT]),
		      (unsigned long long)atomic_load(&shed[CB_SHED_BUSY]),
		      (unsigned long long)atomic_load(&shed[CB_SHED_RATE]),
		      atomic_load(&inflight_now));
	cb_db_stats ds;
	cb_db_get_stats(req->app->db, &ds);
	cb_buf_printf(&b,
		      "# HELP casebook_db_commits_total Group commits of the writer.\n"
		      "# TYPE casebook_db_commits_total counter\n"
		      "casebook_db_commits_total %llu\n"
		      "# HELP casebook_db_write_jobs_total Write jobs run by the writer.\n"
		      "# TYPE casebook_db_write_jobs_total counter\n"
		      "casebook_db_write_jobs_total %llu\n"
		      "# HELP casebook_db_write_jobs_failed_total Write jobs rolled back.\n"
		      "# TYPE casebook_db_write_jobs_failed_total counter\n"
		      "casebook_db_write_jobs_failed_total %llu\n"
		      "# HELP casebook_db_max_batch Largest group commit so far.\n"
		      "# TYPE casebook_db_max_batch gauge\n"
		      "casebook_db_max_batch %llu\n"
		      "# HELP casebook_db_write_queue Write jobs waiting for the writer.\n"
		      "# TYPE casebook_db_write_queue gauge\n"
		      "casebook_db_write_queue %llu\n"
		      "# HELP casebook_db_write_rejected_total Write jobs refused as overload.\n"
		      "# TYPE casebook_db_write_rejected_total counter\n"
		      "casebook_db_write_rejected_total %llu\n"
		      "# HELP casebook_sqlite_cache_bytes Page caches of the writer and the pooled readers.\n"
		      "# TYPE casebook_sqlite_cache_bytes gauge\n"
		      "casebook_sqlite_cache_bytes %llu\n",
		      (unsigned long long)ds.commits, (unsigned long long)ds.jobs,
		      (unsigned long long)ds.failed, (unsigned long long)ds.max_batch,
		      (unsigned long long)ds.queued, (unsigned long long)ds.rejected,
		      (unsigned long long)ds.sqlite_bytes);
	cb_jobs_serve_metrics(req->app->db, req->now, &b);
	cb_slasvc_metrics_render(&b);
	cb_report_metrics_render(req->app->db, req->now, &b);
	cb_mailsvc_metrics_render(req->app->db, &b);
	cb_mailsvc_channels_metrics_render(&b);
	cb_api_raw(req, resp, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
	cb_buf_free(&b);
}
