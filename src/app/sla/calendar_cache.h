/* calendar_cache.h - compiled business calendars shared by every thread.
 *
 * Compiling a calendar (years of UTC open intervals) is the only expensive
 * part of SLA math, so compiled calendars are kept per (id, updated_at) for
 * the life of the process; an edited calendar gets a new entry. A cb_cal
 * compiles lazily and is not thread-safe, so each entry has a lock taken
 * around every query. Calendar id 0 is the built-in 24x7. */
#ifndef CB_CALENDAR_CACHE_H
#define CB_CALENDAR_CACHE_H
#include "app/app.h"
#include "core/sla.h"

struct cb_cal_entry;

typedef struct {
	struct cb_cal_entry *e;
} cb_cal_ref;

int cb_calcache_get(cb_conn *c, int64_t cal_id, cb_cal_ref *out, cb_err *err);
void cb_calcache_release(cb_cal_ref *r);
/* The calendar as the SLA fold uses it (valid while the ref is held). */
cb_sla_calendar cb_calcache_adapter(const cb_cal_ref *r);
/* Frees every cached calendar (at exit). */
void cb_calcache_shutdown(void);

#endif
