/* calendar_cache.c - see calendar_cache.h. */
#include "app/sla/calendar_cache.h"
#include "core/calendar.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/tz.h"

#include <pthread.h>
#include <string.h>

struct cb_cal_entry {
	int64_t id;
	cb_ms updated_at;
	cb_cal *cal;
	pthread_mutex_t mu;
	struct cb_cal_entry *next;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cb_cal_entry *cache;

static struct cb_cal_entry *find(int64_t id, cb_ms updated_at)
{
	for (struct cb_cal_entry *e = cache; e; e = e->next)
		if (e->id == id && e->updated_at == updated_at)
			return e;
	return NULL;
}

int cb_calcache_get(cb_conn *c, int64_t cal_id, cb_cal_ref *out, cb_err *err)
{
	cb_ms updated = 0;
	json_t *doc = NULL;
	if (cal_id) {
		cb_q *q = cb_q_get(c, CB_SQL_SLA_CALENDAR, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, cal_id);
		int r = cb_q_step(q, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return cb_err_set(err, CB_E_INTERNAL, NULL, "calendar %lld is missing", (long long)cal_id);
		updated = cb_q_i64(q, 5);
		doc = json_pack("{s:s, s:s, s:o, s:o}", "name", cb_q_text(q, 1), "timezone", cb_q_text(q, 2),
				"hours", json_loads(cb_q_text(q, 3), 0, NULL), "holidays",
				json_loads(cb_q_text(q, 4), 0, NULL));
		cb_q_reset(q);
	}
	pthread_mutex_lock(&cache_mu);
	struct cb_cal_entry *e = find(cal_id, updated);
	if (!e) {
		cb_cal *cal = NULL;
		int rc = cal_id ? cb_cal_from_json(&cal, doc, cb_tz_load, NULL, err) : cb_cal_24x7(&cal);
		if (rc) {
			pthread_mutex_unlock(&cache_mu);
			json_decref(doc);
			return -1;
		}
		e = cb_xcalloc(1, sizeof *e);
		e->id = cal_id;
		e->updated_at = updated;
		e->cal = cal;
		pthread_mutex_init(&e->mu, NULL);
		e->next = cache;
		cache = e;
	}
	pthread_mutex_unlock(&cache_mu);
	json_decref(doc);
	out->e = e;
	return 0;
}

void cb_calcache_release(cb_cal_ref *r)
{
	r->e = NULL; /* entries live until shutdown */
}

static int64_t bt(const void *p, cb_ms a, cb_ms b)
{
	struct cb_cal_entry *e = (struct cb_cal_entry *)p;
	pthread_mutex_lock(&e->mu);
	int64_t v = cb_cal_business_time(e->cal, a, b);
	pthread_mutex_unlock(&e->mu);
	return v;
}

static cb_ms due(const void *p, cb_ms start, int64_t ms)
{
	struct cb_cal_entry *e = (struct cb_cal_entry *)p;
	pthread_mutex_lock(&e->mu);
	cb_ms v = cb_cal_business_due(e->cal, start, ms);
	pthread_mutex_unlock(&e->mu);
	return v;
}

cb_sla_calendar cb_calcache_adapter(const cb_cal_ref *r)
{
	cb_sla_calendar c = {r->e, bt, due};
	return c;
}

void cb_calcache_shutdown(void)
{
	pthread_mutex_lock(&cache_mu);
	struct cb_cal_entry *e = cache;
	while (e) {
		struct cb_cal_entry *n = e->next;
		cb_cal_free(e->cal);
		pthread_mutex_destroy(&e->mu);
		cb_free(e);
		e = n;
	}
	cache = NULL;
	pthread_mutex_unlock(&cache_mu);
}
