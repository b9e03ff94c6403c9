/* calendar.c - business calendars compiled to UTC open intervals (see
 * calendar.h).
 *
 * DESIGN: local time is a function of UTC, local(u) = u + off(u), piecewise
 * linear between the zone's transitions. The UTC instants whose local time
 * lies in [L0, L1) are therefore, for each offset segment k (UTC range
 * [t_k, t_k+1) with offset o_k), the interval [L0 - o_k, L1 - o_k) clipped
 * to the segment. That one rule gives docs/metrics.md section 2 exactly: a
 * spring-forward gap has no preimage (the skipped hour is absent), a
 * fall-back overlap has one preimage in each segment (the repeated hour
 * counts twice). Every UTC instant has one local date and time, so the
 * pieces of all (date, interval) pairs are disjoint; sorted and joined
 * where they touch they form the open set.
 *
 * With prefix sums P (P[k] = open ms in intervals 0..k-1), the open time
 * before t is C(t) = P[k] + min(t, e_k) - s_k for the last interval k with
 * s_k <= t; business_time(a, b) = C(b) - C(a), and business_due finds the
 * first k with P[k+1] >= C(start) + T by binary search.
 *
 * Coverage: an instant's local date is within the compiled local years
 * [y0, y1) when it lies in [L(y0) + 26 h, L(y1) - 26 h) (no zone is more
 * than 26 h from UTC); only inside that window are answers exact, so
 * queries outside it recompile a wider range first. */
#include "core/calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define MARGIN_MS (26 * 3600000LL)
#define MAX_NAME 100

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

typedef struct {
	int start, end; /* local minutes, [start, end), 0 <= start < end <= 1440 */
} span;

struct cb_cal {
	char *name;
	char *zone;
	int always_open;   /* the built-in 24x7 calendar */
	span *week[7];     /* per weekday (0 = Monday), sorted, disjoint */
	int nweek[7];
	int64_t *holidays; /* local dates as days since 1970-01-01, sorted, distinct */
	size_t nholidays;
	cb_tz_table tz;    /* owned copy */

	/* compiled cache */
	int y0, y1;              /* compiled local years [y0, y1); none when y0 >= y1 */
	cb_ms cov_from, cov_to;  /* exact answers for instants in [cov_from, cov_to] */
	size_t n;                /* intervals */
	cb_ms *s, *e;            /* interval starts and ends, UTC, sorted, disjoint */
	int64_t *p;              /* n + 1 prefix sums of open ms */
};

/* ---- small helpers ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int weekday_of_day(int64_t d) /* 0 = Monday; 1970-01-01 was a Thursday */
{
	int64_t w = (d + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static int year_of(cb_ms t)
{
	int64_t y;
	unsigned m, d;
	cb_civil_from_days(floor_div(t, DAY_MS), &y, &m, &d);
	return (int)y;
}

static cb_ms year_start(int y) /* local midnight of Jan 1, as local ms */
{
	return cb_days_from_civil(y, 1, 1) * DAY_MS;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static size_t sort_unique(int64_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_i64);
	size_t w = 1;
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[w - 1])
			v[w++] = v[i];
	return w;
}

static void drop_compiled(cb_cal *c)
{
	cb_free(c->s);
	cb_free(c->e);
	cb_free(c->p);
	c->s = c->e = NULL;
	c->p = NULL;
	c->n = 0;
	c->y0 = c->y1 = 0;
	c->cov_from = c->cov_to = 0;
}

/* ---- compilation ---- */

typedef struct {
	cb_ms s, e;
} piece;

typedef struct {
	piece *v;
	size_t n, cap;
} piece_vec;

static void piece_push(piece_vec *pv, cb_ms s, cb_ms e)
{
	if (pv->n == pv->cap) {
		pv->cap = pv->cap ? pv->cap * 2 : 1024;
		pv->v = cb_xrealloc(pv->v, pv->cap * sizeof *pv->v);
	}
	pv->v[pv->n].s = s;
	pv->v[pv->n].e = e;
	pv->n++;
}

static int cmp_piece(const void *a, const void *b)
{
	cb_ms x = ((const piece *)a)->s, y = ((const piece *)b)->s;
	return (x > y) - (x < y);
}

/* Index of the last transition at or before t, -1 if none. */
static long seg_index(const cb_tz_table *tz, cb_ms t)
{
	size_t lo = 0, hi = tz->n; /* first index with at > t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->v[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* Appends the UTC instants whose local time is in [l0, l1). */
static void preimage(const cb_tz_table *tz, cb_ms l0, cb_ms l1, piece_vec *pv)
{
	for (long k = seg_index(tz, l0 - MARGIN_MS); k < (long)tz->n; k++) {
		cb_ms seg_s = k < 0 ? INT64_MIN : tz->v[k].at;
		cb_ms seg_e = k + 1 < (long)tz->n ? tz->v[k + 1].at : INT64_MAX;
		if (seg_s > l1 + MARGIN_MS)
			break;
		cb_ms off = (cb_ms)(k < 0 ? tz->initial_offset_s : tz->v[k].offset_s) * 1000;
		cb_ms lo = l0 - off > seg_s ? l0 - off : seg_s;
		cb_ms hi = l1 - off < seg_e ? l1 - off : seg_e;
		if (lo < hi)
			piece_push(pv, lo, hi);
	}
}

static void compile(cb_cal *c, int y0, int y1)
{
	piece_vec pv = {0};
	int64_t d0 = cb_days_from_civil(y0, 1, 1), d1 = cb_days_from_civil(y1, 1, 1);
	size_t h = 0;
	while (h < c->nholidays && c->holidays[h] < d0)
		h++;
	for (int64_t d = d0; d < d1; d++) {
		while (h < c->nholidays && c->holidays[h] < d)
			h++;
		if (h < c->nholidays && c->holidays[h] == d)
			continue;
		int w = weekday_of_day(d);
		for (int i = 0; i < c->nweek[w]; i++)
			preimage(&c->tz, d * DAY_MS + c->week[w][i].start * MIN_MS,
				 d * DAY_MS + c->week[w][i].end * MIN_MS, &pv);
	}
	qsort(pv.v, pv.n, sizeof *pv.v, cmp_piece);
	size_t n = 0; /* join touching pieces in place */
	for (size_t i = 0; i < pv.n; i++) {
		if (n > 0 && pv.v[i].s <= pv.v[n - 1].e) {
			if (pv.v[i].e > pv.v[n - 1].e)
				pv.v[n - 1].e = pv.v[i].e;
		} else {
			pv.v[n++] = pv.v[i];
		}
	}
	drop_compiled(c);
	c->s = cb_xmalloc((n ? n : 1) * sizeof *c->s);
	c->e = cb_xmalloc((n ? n : 1) * sizeof *c->e);
	c->p = cb_xmalloc((n + 1) * sizeof *c->p);
	c->p[0] = 0;
	for (size_t i = 0; i < n; i++) {
		c->s[i] = pv.v[i].s;
		c->e[i] = pv.v[i].e;
		c->p[i + 1] = c->p[i] + (pv.v[i].e - pv.v[i].s);
	}
	cb_free(pv.v);
	c->n = n;
	c->y0 = y0;
	c->y1 = y1;
	c->cov_from = y0 <= CB_CAL_MIN_YEAR ? INT64_MIN : year_start(y0) + MARGIN_MS;
	c->cov_to = y1 > CB_CAL_MAX_YEAR ? INT64_MAX : year_start(y1) - MARGIN_MS;
}

static cb_ms clamp_ms(cb_ms t)
{
	cb_ms lo = year_start(CB_CAL_MIN_YEAR), hi = year_start(CB_CAL_MAX_YEAR + 1);
	return t < lo ? lo : t > hi ? hi : t;
}

static int clamp_year(int y)
{
	return y < CB_CAL_MIN_YEAR ? CB_CAL_MIN_YEAR : y > CB_CAL_MAX_YEAR + 1 ? CB_CAL_MAX_YEAR + 1 : y;
}

/* Makes [lo, hi] exact. Returns 1 when the compiled range changed. */
static int ensure(cb_cal *c, cb_ms lo, cb_ms hi)
{
	int have = c->y0 < c->y1;
	if (have && lo >= c->cov_from && hi <= c->cov_to)
		return 0;
	int need0 = year_of(clamp_ms(lo) - 2 * DAY_MS);
	int need1 = year_of(clamp_ms(hi) + 2 * DAY_MS) + 1;
	int ny0, ny1;
	if (!have) {
		ny0 = need0 - 1;
		ny1 = need1 + 3;
	} else {
		int width = c->y1 - c->y0;
		ny0 = c->y0;
		ny1 = c->y1;
		if (lo < c->cov_from && need0 < ny0)
			ny0 = need0 < c->y0 - width ? need0 : c->y0 - width;
		if (hi > c->cov_to && need1 > ny1)
			ny1 = need1 > c->y1 + width ? need1 : c->y1 + width;
	}
	ny0 = clamp_year(ny0);
	ny1 = clamp_year(ny1);
	if (ny0 >= ny1)
		ny1 = ny0 + 1;
	if (have && ny0 == c->y0 && ny1 == c->y1)
		return 0;
	compile(c, ny0, ny1);
	return 1;
}

/* Open ms in the compiled intervals before t. */
static int64_t open_before(const cb_cal *c, cb_ms t)
{
	size_t lo = 0, hi = c->n; /* first interval with s > t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->s[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	size_t k = lo - 1;
	return c->p[k] + ((t < c->e[k] ? t : c->e[k]) - c->s[k]);
}

/* ---- queries ---- */

cb_ms cb_cal_business_time(cb_cal *cal, cb_ms a, cb_ms b)
{
	if (b <= a)
		return 0;
	if (cal->always_open)
		return b - a;
	ensure(cal, a, b);
	return open_before(cal, b) - open_before(cal, a);
}

cb_ms cb_cal_business_due(cb_cal *cal, cb_ms start, cb_ms t)
{
	if (t <= 0)
		return start;
	if (cal->always_open)
		return start > INT64_MAX - t ? CB_CAL_NEVER : start + t;
	/* more than the whole supported range of calendar time cannot be reached */
	if (t > year_start(CB_CAL_MAX_YEAR + 1) - year_start(CB_CAL_MIN_YEAR))
		return CB_CAL_NEVER;
	ensure(cal, start, start);
	for (;;) {
		int64_t target = open_before(cal, start) + t;
		if (target <= cal->p[cal->n]) {
			size_t lo = 1, hi = cal->n; /* first j >= 1 with p[j] >= target */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cal->p[mid] >= target)
					hi = mid;
				else
					lo = mid + 1;
			}
			size_t k = lo - 1;
			cb_ms d = cal->s[k] + (target - cal->p[k]);
			if (d <= cal->cov_to)
				return d;
		}
		if (cal->cov_to == INT64_MAX)
			return CB_CAL_NEVER;
		if (!ensure(cal, start, cal->cov_to + 1))
			return CB_CAL_NEVER;
	}
}

void cb_cal_prepare(cb_cal *cal, cb_ms from, cb_ms to)
{
	if (!cal->always_open && from <= to)
		ensure(cal, from, to);
}

size_t cb_cal_compiled_intervals(const cb_cal *cal)
{
	return cal->n;
}

/* ---- construction ---- */

void cb_cal_free(cb_cal *cal)
{
	if (!cal)
		return;
	drop_compiled(cal);
	for (int i = 0; i < 7; i++)
		cb_free(cal->week[i]);
	cb_free(cal->holidays);
	cb_free(cal->tz.v);
	cb_free(cal->name);
	cb_free(cal->zone);
	cb_free(cal);
}

int cb_cal_24x7(cb_cal **out)
{
	cb_cal *c = cb_xcalloc(1, sizeof *c);
	c->name = cb_xstrdup(CB_CAL_24X7);
	c->zone = cb_xstrdup("UTC");
	c->always_open = 1;
	for (int i = 0; i < 7; i++) {
		c->week[i] = cb_xmalloc(sizeof(span));
		c->week[i][0].start = 0;
		c->week[i][0].end = 1440;
		c->nweek[i] = 1;
	}
	*out = c;
	return 0;
}

const char *cb_cal_name(const cb_cal *cal)
{
	return cal->name;
}

const char *cb_cal_timezone(const cb_cal *cal)
{
	return cal->zone;
}

int cb_cal_is_reserved_name(const char *name)
{
	return name && strcasecmp(name, CB_CAL_24X7) == 0;
}

int cb_cal_add_holidays(cb_cal *cal, const int64_t *days, size_t n, cb_err *err)
{
	if (cal->always_open)
		return cb_err_set(err, CB_E_INVALID, "holidays",
				  "the built-in 24x7 calendar has no holidays");
	if (n == 0)
		return 0;
	cal->holidays = cb_xrealloc(cal->holidays, (cal->nholidays + n) * sizeof *cal->holidays);
	memcpy(cal->holidays + cal->nholidays, days, n * sizeof *days);
	cal->nholidays = sort_unique(cal->holidays, cal->nholidays + n);
	drop_compiled(cal);
	return 0;
}

/* ---- JSON ---- */

typedef struct {
	cb_err *err;
	int bad; /* problems found */
} checker;

static void problem(checker *ck, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(checker *ck, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ck->bad++;
	if (ck->err)
		cb_err_add(ck->err, CB_E_INVALID, field, "%s", msg);
}

/* "HH:MM" from 00:00 to 24:00 -> minutes; -1 if malformed. */
static int parse_hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "YYYY-MM-DD", a real date -> days since 1970-01-01; -1 if malformed. */
static int parse_date(const char *s, int64_t *out)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > dm[m - 1] + (m == 2 && leap))
		return -1;
	*out = cb_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

typedef struct {
	span sp;
	int idx; /* position in the request */
} indexed_span;

static int cmp_ispan(const void *a, const void *b)
{
	const indexed_span *x = a, *y = b;
	return (x->sp.start > y->sp.start) - (x->sp.start < y->sp.start);
}

/* Parses one weekday's list into c->week[w]. */
static void parse_day(checker *ck, cb_cal *c, int w, json_t *list)
{
	char field[64];
	if (!json_is_array(list)) {
		snprintf(field, sizeof field, "hours.%s", day_keys[w]);
		problem(ck, field, "must be a list of [\"HH:MM\", \"HH:MM\"] intervals");
		return;
	}
	size_t n = json_array_size(list);
	indexed_span *v = cb_xcalloc(n ? n : 1, sizeof *v);
	size_t nv = 0;
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		json_t *iv = json_array_get(list, i);
		snprintf(field, sizeof field, "hours.%s[%zu]", day_keys[w], i);
		if (!json_is_array(iv) || json_array_size(iv) != 2 ||
		    !json_is_string(json_array_get(iv, 0)) || !json_is_string(json_array_get(iv, 1))) {
			problem(ck, field, "must be an interval [\"HH:MM\", \"HH:MM\"]");
			ok = 0;
			continue;
		}
		const char *ss = json_string_value(json_array_get(iv, 0));
		const char *es = json_string_value(json_array_get(iv, 1));
		int s = parse_hhmm(ss), e = parse_hhmm(es);
		if (s < 0 || s == 1440) {
			problem(ck, field, "start \"%s\" is not a time from 00:00 to 23:59", ss);
			ok = 0;
		} else if (e < 0) {
			problem(ck, field, "end \"%s\" is not a time from 00:00 to 24:00", es);
			ok = 0;
		} else if (e == s) {
			problem(ck, field, "empty interval (%s-%s)", ss, es);
			ok = 0;
		} else if (e < s) {
			problem(ck, field,
				"end %s is before start %s (write an overnight window as "
				"[\"%s\", \"24:00\"] and [\"00:00\", \"%s\"] on the next day)",
				es, ss, ss, es);
			ok = 0;
		} else {
			v[nv].sp.start = s;
			v[nv].sp.end = e;
			v[nv].idx = (int)i;
			nv++;
		}
	}
	if (ok && nv > 1) {
		qsort(v, nv, sizeof *v, cmp_ispan);
		size_t reach = 0; /* the interval reaching furthest so far */
		for (size_t i = 1; i < nv; i++) {
			if (v[i].sp.start < v[reach].sp.end) {
				const indexed_span *a = &v[reach], *b = &v[i];
				const indexed_span *later = b->idx > a->idx ? b : a;
				const indexed_span *earlier = later == b ? a : b;
				snprintf(field, sizeof field, "hours.%s[%d]", day_keys[w], later->idx);
				problem(ck, field, "overlaps hours.%s[%d]", day_keys[w], earlier->idx);
				ok = 0;
			}
			if (v[i].sp.end > v[reach].sp.end)
				reach = i;
		}
	}
	if (ok && nv > 0) {
		c->week[w] = cb_xmalloc(nv * sizeof(span));
		for (size_t i = 0; i < nv; i++)
			c->week[w][i] = v[i].sp;
		c->nweek[w] = (int)nv;
	}
	cb_free(v);
}

static void parse_hours(checker *ck, cb_cal *c, json_t *hours)
{
	if (!json_is_object(hours)) {
		problem(ck, "hours", "must be an object with keys mon..sun");
		return;
	}
	const char *key;
	json_t *val;
	int before = ck->bad;
	json_object_foreach(hours, key, val) {
		int w = -1;
		for (int i = 0; i < 7; i++)
			if (strcmp(key, day_keys[i]) == 0)
				w = i;
		if (w < 0) {
			char field[96];
			snprintf(field, sizeof field, "hours.%.80s", key);
			problem(ck, field, "unknown day (use mon, tue, wed, thu, fri, sat, sun)");
			continue;
		}
		parse_day(ck, c, w, val);
	}
	if (ck->bad == before) {
		int open = 0;
		for (int i = 0; i < 7; i++)
			open += c->nweek[i];
		if (!open)
			problem(ck, "hours", "calendar has no open hours");
	}
}

static void parse_holidays(checker *ck, cb_cal *c, json_t *hol)
{
	if (!json_is_array(hol)) {
		problem(ck, "holidays", "must be a list of \"YYYY-MM-DD\" dates");
		return;
	}
	size_t n = json_array_size(hol);
	c->holidays = cb_xcalloc(n ? n : 1, sizeof *c->holidays);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(hol, i));
		int64_t d;
		if (parse_date(s, &d) != 0) {
			char field[64];
			snprintf(field, sizeof field, "holidays[%zu]", i);
			problem(ck, field, "must be a date \"YYYY-MM-DD\"");
			continue;
		}
		c->holidays[c->nholidays++] = d;
	}
	c->nholidays = sort_unique(c->holidays, c->nholidays);
}

int cb_cal_from_json(cb_cal **out, json_t *doc, cb_tz_loader load, void *payload,
		     cb_err *err)
{
	*out = NULL;
	if (!json_is_object(doc))
		return cb_err_set(err, CB_E_INVALID, "", "calendar must be a JSON object");
	checker ck = {.err = err};
	cb_cal *c = cb_xcalloc(1, sizeof *c);

	const char *key;
	json_t *val;
	json_object_foreach(doc, key, val) {
		if (strcmp(key, "name") && strcmp(key, "timezone") && strcmp(key, "hours") &&
		    strcmp(key, "holidays"))
			problem(&ck, key, "unknown field");
	}

	json_t *name = json_object_get(doc, "name");
	if (!name)
		problem(&ck, "name", "is required");
	else if (!json_is_string(name) || json_string_length(name) == 0 ||
		 json_string_length(name) > MAX_NAME)
		problem(&ck, "name", "must be a string of 1 to %d bytes", MAX_NAME);
	else if (cb_cal_is_reserved_name(json_string_value(name)))
		problem(&ck, "name", "\"%s\" is reserved for the built-in always-open calendar",
			CB_CAL_24X7);
	else
		c->name = cb_xstrdup(json_string_value(name));

	json_t *zone = json_object_get(doc, "timezone");
	if (!zone)
		problem(&ck, "timezone", "is required");
	else if (!json_is_string(zone))
		problem(&ck, "timezone", "must be an IANA time zone name such as \"Europe/Berlin\"");
	else if (load(&c->tz, json_string_value(zone), payload) != 0)
		problem(&ck, "timezone", "unknown time zone \"%.64s\"", json_string_value(zone));
	else
		c->zone = cb_xstrdup(json_string_value(zone));

	json_t *hours = json_object_get(doc, "hours");
	if (!hours)
		problem(&ck, "hours", "is required");
	else
		parse_hours(&ck, c, hours);

	json_t *hol = json_object_get(doc, "holidays");
	if (hol)
		parse_holidays(&ck, c, hol);

	if (ck.bad) {
		cb_cal_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static json_t *hhmm(int minutes)
{
	char b[24];
	snprintf(b, sizeof b, "%02d:%02d", minutes / 60, minutes % 60);
	return json_string(b);
}

json_t *cb_cal_to_json(const cb_cal *cal)
{
	json_t *hours = json_object();
	for (int w = 0; w < 7; w++) {
		json_t *list = json_array();
		for (int i = 0; i < cal->nweek[w]; i++)
			json_array_append_new(list, json_pack("[o, o]", hhmm(cal->week[w][i].start),
							      hhmm(cal->week[w][i].end)));
		json_object_set_new(hours, day_keys[w], list);
	}
	json_t *hol = json_array();
	for (size_t i = 0; i < cal->nholidays; i++) {
		int64_t y;
		unsigned m, d;
		char b[16];
		cb_civil_from_days(cal->holidays[i], &y, &m, &d);
		snprintf(b, sizeof b, "%04d-%02u-%02u", (int)y, m, d);
		json_array_append_new(hol, json_string(b));
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "name", cal->name, "timezone", cal->zone, "hours",
			 hours, "holidays", hol);
}
