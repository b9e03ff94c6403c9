/* tz.c - time zones and holiday feeds through libical (see tz.h).
 *
 * DESIGN: libical 3.0 does not export a zone's list of transitions, only
 * "what is the UTC offset at this UTC instant"
 * (icaltimezone_get_utc_offset_of_utc_time). We sample that every 12 hours
 * from CB_TZ_FIRST_YEAR to CB_TZ_LAST_YEAR and, wherever two samples differ,
 * bisect down to the second, which gives the exact transition instants
 * (tzdb transitions are whole seconds). A DST period shorter than 12 hours
 * would be missed; the tz database has none. One load is about 100k cheap
 * calls (~25 ms) and is cached per zone for the process.
 *
 * libical keeps process-wide state (its builtin zone list, each zone's
 * lazily expanded change array, the parser's temporary buffers), so every
 * libical call here runs under one mutex. */
#include "util/tz.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define SAMPLE_STEP_S (12 * 3600)
#define MAX_ZONE_NAME 64
#define MAX_EVENT_DAYS 366
#define MAX_OCCURRENCES 100000

typedef struct zone_entry {
	char *name;
	cb_tz_table table;
	struct zone_entry *next;
} zone_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static zone_entry *cache; /* immutable entries, only ever prepended */

static void init_libical(void)
{
	/* System tzdata (/usr/share/zoneinfo), never libical's bundled zones. */
	icaltimezone_set_builtin_tzdata(0);
	icaltimezone_set_tzid_prefix("/casebook.invalid/");
	icalerror_set_errors_are_fatal(0);
}

void cb_tz_table_clear(cb_tz_table *t)
{
	if (!t)
		return;
	cb_free(t->v);
	memset(t, 0, sizeof *t);
}

/* Shape check before the name reaches libical, which opens
 * <zoneinfo>/<name> as a file. */
static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > MAX_ZONE_NAME || s[0] == '/' || s[0] == '.' || s[n - 1] == '/' ||
	    strstr(s, "..") || strstr(s, "//"))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return 0;
	}
	return 1;
}

static int32_t offset_at(icaltimezone *z, int64_t sec)
{
	struct icaltimetype t =
		icaltime_from_timet_with_zone((time_t)sec, 0, icaltimezone_get_utc_timezone());
	int is_daylight = 0;
	return (int32_t)icaltimezone_get_utc_offset_of_utc_time(z, &t, &is_daylight);
}

typedef struct {
	cb_tz_transition *v;
	size_t n, cap;
} trans_vec;

static void push(trans_vec *tv, int64_t sec, int32_t off)
{
	if (tv->n == tv->cap) {
		tv->cap = tv->cap ? tv->cap * 2 : 64;
		tv->v = cb_xrealloc(tv->v, tv->cap * sizeof *tv->v);
	}
	tv->v[tv->n].at = (cb_ms)sec * 1000;
	tv->v[tv->n].offset_s = off;
	tv->n++;
}

/* off(lo) = olo != ohi = off(hi): records the transitions in (lo, hi]. */
static void bisect(icaltimezone *z, trans_vec *tv, int64_t lo, int32_t olo, int64_t hi,
		   int32_t ohi)
{
	if (hi - lo <= 1) {
		push(tv, hi, ohi);
		return;
	}
	int64_t mid = lo + (hi - lo) / 2;
	int32_t om = offset_at(z, mid);
	if (om != olo)
		bisect(z, tv, lo, olo, mid, om);
	if (om != ohi)
		bisect(z, tv, mid, om, hi, ohi);
}

static void build_table(icaltimezone *z, cb_tz_table *out)
{
	int64_t from = cb_days_from_civil(CB_TZ_FIRST_YEAR, 1, 1) * 86400;
	int64_t to = cb_days_from_civil(CB_TZ_LAST_YEAR + 1, 1, 1) * 86400;
	trans_vec tv = {0};
	int32_t prev = offset_at(z, from);
	out->initial_offset_s = prev;
	for (int64_t s = from + SAMPLE_STEP_S; s <= to; s += SAMPLE_STEP_S) {
		int32_t o = offset_at(z, s);
		if (o != prev)
			bisect(z, &tv, s - SAMPLE_STEP_S, prev, s, o);
		prev = o;
	}
	out->n = tv.n;
	out->v = tv.v;
}

/* Under the lock: the cached entry for `zone`, loading it if needed. */
static const zone_entry *lookup(const char *zone)
{
	for (const zone_entry *e = cache; e; e = e->next)
		if (strcmp(e->name, zone) == 0)
			return e;
	icaltimezone *z = icaltimezone_get_builtin_timezone(zone);
	if (!z)
		return NULL;
	zone_entry *e = cb_xcalloc(1, sizeof *e);
	e->name = cb_xstrdup(zone);
	build_table(z, &e->table);
	e->next = cache;
	cache = e;
	return e;
}

int cb_tz_load(cb_tz_table *out, const char *zone, void *payload)
{
	(void)payload;
	if (!name_ok(zone))
		return -1;
	pthread_once(&once, init_libical);
	pthread_mutex_lock(&lock);
	const zone_entry *e = lookup(zone);
	if (e) {
		out->initial_offset_s = e->table.initial_offset_s;
		out->n = e->table.n;
		out->v = NULL;
		if (e->table.n) {
			out->v = cb_xmalloc(e->table.n * sizeof *out->v);
			memcpy(out->v, e->table.v, e->table.n * sizeof *out->v);
		}
	}
	pthread_mutex_unlock(&lock);
	return e ? 0 : -1;
}

int cb_tz_valid(const char *zone)
{
	if (!name_ok(zone))
		return 0;
	pthread_once(&once, init_libical);
	pthread_mutex_lock(&lock);
	int ok = lookup(zone) != NULL;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* ---- holidays from iCalendar ---- */

typedef struct {
	int64_t *v;
	size_t n, cap;
} day_vec;

static void day_push(day_vec *dv, int64_t d)
{
	if (dv->n == dv->cap) {
		dv->cap = dv->cap ? dv->cap * 2 : 64;
		dv->v = cb_xrealloc(dv->v, dv->cap * sizeof *dv->v);
	}
	dv->v[dv->n++] = d;
}

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int real_date(int y, int m, int d)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= dm[m - 1] + (m == 2 && leap);
}

static int time_day(struct icaltimetype t, int64_t *out)
{
	if (icaltime_is_null_time(t) || !real_date(t.year, t.month, t.day))
		return -1;
	*out = cb_days_from_civil(t.year, (unsigned)t.month, (unsigned)t.day);
	return 0;
}

typedef struct {
	day_vec days;
	int year_from, year_to;
	int64_t day_from, day_to; /* [day_from, day_to) from the year bounds */
	int nevents;
	cb_err *err;
} ics_ctx;

/* Adds `len` days from `first`, within the year bounds, unless excluded. */
static void add_span(ics_ctx *cx, int64_t first, int64_t len, const int64_t *ex, size_t nex)
{
	for (size_t i = 0; i < nex; i++)
		if (ex[i] == first)
			return;
	for (int64_t d = first; d < first + len; d++)
		if (d >= cx->day_from && d < cx->day_to)
			day_push(&cx->days, d);
}

/* long: one VEVENT's RRULE, RDATE and EXDATE expansion through libical, one sequence */
static int event_days(ics_ctx *cx, icalcomponent *ev)
{
	int idx = ++cx->nevents;
	icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	if (!p)
		return cb_err_set(cx->err, CB_E_INVALID, "ics", "VEVENT %d has no DTSTART", idx);
	struct icaltimetype start = icalproperty_get_dtstart(p);
	int64_t first;
	if (time_day(start, &first) != 0)
		return cb_err_set(cx->err, CB_E_INVALID, "ics", "VEVENT %d has an invalid DTSTART",
				  idx);
	if (!start.is_date)
		return 0; /* timed event: not a whole-day holiday */

	int64_t len = 1;
	if ((p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY))) {
		int64_t end;
		if (time_day(icalproperty_get_dtend(p), &end) != 0)
			return cb_err_set(cx->err, CB_E_INVALID, "ics",
					  "VEVENT %d has an invalid DTEND", idx);
		len = end - first;
	} else if ((p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY))) {
		struct icaldurationtype du = icalproperty_get_duration(p);
		if (du.is_neg)
			return cb_err_set(cx->err, CB_E_INVALID, "ics",
					  "VEVENT %d ends before it starts", idx);
		len = (int64_t)du.weeks * 7 + du.days;
	}
	if (len < 1)
		return cb_err_set(cx->err, CB_E_INVALID, "ics", "VEVENT %d ends before it starts",
				  idx);
	if (len > MAX_EVENT_DAYS)
		return cb_err_set(cx->err, CB_E_INVALID, "ics",
				  "VEVENT %d lasts more than %d days", idx, MAX_EVENT_DAYS);

	day_vec ex = {0};
	for (p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
		int64_t d;
		if (time_day(icalproperty_get_exdate(p), &d) == 0)
			day_push(&ex, d);
	}

	add_span(cx, first, len, ex.v, ex.n);
	for (p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
		int64_t d;
		if (time_day(rd.time, &d) == 0)
			add_span(cx, d, len, ex.v, ex.n);
	}
	int rc = 0;
	p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	if (p) {
		struct icalrecurrencetype rule = icalproperty_get_rrule(p);
		/* libical searches occurrence by occurrence (up to year 2582 for a rule
		 * whose BY parts never match), so a feed of a few hundred bytes could
		 * hold the libical lock for minutes (fuzz/regress/ics). A holiday is a
		 * whole day: rules more frequent than daily are refused. The search
		 * stops after the last year kept and, for a rule without COUNT or
		 * INTERVAL (both count from DTSTART), starts at the first year kept,
		 * less the event's length. */
		int subdaily = rule.freq == ICAL_SECONDLY_RECURRENCE ||
			       rule.freq == ICAL_MINUTELY_RECURRENCE ||
			       rule.freq == ICAL_HOURLY_RECURRENCE;
		struct icaltimetype last = icaltime_from_day_of_year(1, cx->year_to + 1);
		last.is_date = 1;
		icaltime_adjust(&last, -1, 0, 0, 0);
		if (icaltime_is_null_time(rule.until) || icaltime_compare(rule.until, last) > 0)
			rule.until = last;
		icalrecur_iterator *it = NULL;
		if (subdaily)
			rc = cb_err_set(cx->err, CB_E_INVALID, "ics",
					"VEVENT %d repeats more often than daily", idx);
		else if (rule.freq == ICAL_NO_RECURRENCE || !(it = icalrecur_iterator_new(rule, start)))
			rc = cb_err_set(cx->err, CB_E_INVALID, "ics", "VEVENT %d has an invalid RRULE",
					idx);
		if (it && rule.count == 0 && rule.interval <= 1 && first + len < cx->day_from) {
			struct icaltimetype from = icaltime_from_day_of_year(1, cx->year_from);
			from.is_date = 1;
			icaltime_adjust(&from, -(int)len, 0, 0, 0);
			icalrecur_iterator_set_start(it, from);
		}
		if (it) {
			for (int k = 0; k < MAX_OCCURRENCES; k++) {
				struct icaltimetype o = icalrecur_iterator_next(it);
				int64_t d;
				if (icaltime_is_null_time(o) || o.year > cx->year_to ||
				    time_day(o, &d) != 0)
					break;
				if (d != first) /* DTSTART itself is already in */
					add_span(cx, d, len, ex.v, ex.n);
			}
			icalrecur_iterator_free(it);
		}
	}
	cb_free(ex.v);
	return rc;
}

static int walk(ics_ctx *cx, icalcomponent *c)
{
	if (icalcomponent_isa(c) == ICAL_VEVENT_COMPONENT)
		return event_days(cx, c);
	for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
	     k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		if (walk(cx, k) != 0)
			return -1;
	return 0;
}

static int has_calendar(icalcomponent *c)
{
	icalcomponent_kind k = icalcomponent_isa(c);
	if (k == ICAL_VCALENDAR_COMPONENT || k == ICAL_VEVENT_COMPONENT)
		return 1;
	return k == ICAL_XROOT_COMPONENT &&
	       icalcomponent_get_first_component(c, ICAL_VCALENDAR_COMPONENT) != NULL;
}

int cb_tz_holidays_from_ics(int64_t **out, size_t *n, const char *ics, int year_from,
			    int year_to, cb_err *err)
{
	*out = NULL;
	*n = 0;
	if (year_from < 1)
		year_from = 1;
	if (year_to > 9999)
		year_to = 9999;
	ics_ctx cx = {.year_from = year_from,
		      .year_to = year_to,
		      .day_from = cb_days_from_civil(year_from, 1, 1),
		      .day_to = cb_days_from_civil(year_to + 1, 1, 1),
		      .err = err};
	if (!ics || !*ics)
		return cb_err_set(err, CB_E_INVALID, "ics", "empty iCalendar text");
	pthread_once(&once, init_libical);
	pthread_mutex_lock(&lock);
	icalcomponent *root = icalparser_parse_string(ics);
	int rc;
	if (!root || !has_calendar(root))
		rc = cb_err_set(err, CB_E_INVALID, "ics", "not an iCalendar text (no VCALENDAR)");
	else
		rc = walk(&cx, root);
	if (root)
		icalcomponent_free(root);
	pthread_mutex_unlock(&lock);
	if (rc != 0) {
		cb_free(cx.days.v);
		return -1;
	}
	if (cx.days.n) {
		qsort(cx.days.v, cx.days.n, sizeof *cx.days.v, cmp_day);
		size_t w = 1;
		for (size_t i = 1; i < cx.days.n; i++)
			if (cx.days.v[i] != cx.days.v[w - 1])
				cx.days.v[w++] = cx.days.v[i];
		cx.days.n = w;
		*out = cx.days.v;
		*n = cx.days.n;
	}
	return 0;
}
