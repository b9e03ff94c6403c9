/* fuzz_calbiz.c - business time on random valid calendars (core/calendar.c).
 *
 * Input: bytes read as a recipe (missing bytes read as 0): a zone table
 * (initial offset and up to 8 transitions, any whole-second offset within
 * +-14 h, gaps of 1 s to 400 days from 1990 on), weekly hours (0-3 intervals
 * per weekday, or all day), up to 7 holidays around 2026, then three instants
 * a <= b <= c within 1905..2995 and a target T. The calendar is built
 * through cb_cal_from_json with a loader returning that table.
 * Invariants:
 *   0 <= bt(a, b) <= b - a; bt(a, c) == bt(a, b) + bt(b, c);
 *   a fresh calendar asked bt(a, c) first agrees (compiled-range growth is
 *   invisible);
 *   d = business_due(a, T): bt(a, d) == T and bt(a, d - 1) < T, or NEVER
 *   and T cannot be reached by the end of 2999;
 *   open all day every day without holidays: bt(a, b) == b - a (whatever
 *   the offsets do); a fixed offset without holidays: any 7 days hold the
 *   weekly open minutes exactly. */
#include "common.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/calendar.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL

typedef struct {
	const uint8_t *p;
	size_t n;
} reader;

static uint64_t rd(reader *r, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (r->n) {
			v |= *r->p++;
			r->n--;
		}
	}
	return v;
}

static int loader(cb_tz_table *out, const char *zone, void *payload)
{
	const cb_tz_table *t = payload;
	if (strcmp(zone, "Fuzz/Zone") != 0)
		return -1;
	out->initial_offset_s = t->initial_offset_s;
	out->n = t->n;
	out->v = NULL;
	if (t->n) {
		out->v = cb_xmalloc(t->n * sizeof *out->v);
		memcpy(out->v, t->v, t->n * sizeof *out->v);
	}
	return 0;
}

static int32_t offset(reader *r)
{
	return (int32_t)(rd(r, 4) % (28 * 3600 + 1)) - 14 * 3600;
}

static json_t *hhmm(int m)
{
	char b[24];
	snprintf(b, sizeof b, "%02d:%02d", m / 60, m % 60);
	return json_string(b);
}

static cb_cal *build(json_t *doc, cb_tz_table *tz)
{
	cb_cal *cal = NULL;
	cb_err err = {0};
	if (cb_cal_from_json(&cal, doc, loader, tz, &err) != 0) {
		fprintf(stderr, "calendar rejected: %s\n", err.message);
		FUZZ_CHECK(!"a generated calendar is valid");
	}
	return cal;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	reader r = {data, size};
	unsigned flags = (unsigned)rd(&r, 1);
	int all_day = (flags & 3) == 3;

	/* the zone */
	cb_tz_transition tv[8];
	cb_tz_table tz = {.initial_offset_s = offset(&r), .n = 0, .v = tv};
	size_t ntr = (flags >> 2) % 9;
	cb_ms at = cb_days_from_civil(1990, 1, 1) * DAY_MS;
	for (size_t i = 0; i < ntr; i++) {
		at += (cb_ms)(rd(&r, 4) % (400LL * 86400) + 1) * 1000;
		tv[i].at = at;
		tv[i].offset_s = offset(&r);
	}
	tz.n = ntr;

	/* the week */
	json_t *hours = json_object();
	static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	int64_t weekly_min = 0;
	for (int w = 0; w < 7; w++) {
		json_t *list = json_array();
		if (all_day) {
			json_array_append_new(list, json_pack("[o, o]", hhmm(0), hhmm(1440)));
			weekly_min += 1440;
		} else {
			int k = (int)(rd(&r, 1) % 4), m = 0;
			for (int i = 0; i < k; i++) {
				int s = m + (int)(rd(&r, 2) % 720);
				if (s >= 1440)
					break;
				int e = s + 1 + (int)(rd(&r, 2) % 720);
				if (e > 1440)
					e = 1440;
				json_array_append_new(list, json_pack("[o, o]", hhmm(s), hhmm(e)));
				weekly_min += e - s;
				m = e;
			}
		}
		json_object_set_new(hours, days[w], list);
	}
	json_t *hol = json_array();
	int nhol = all_day ? 0 : (int)(rd(&r, 1) % 8);
	for (int i = 0; i < nhol; i++) {
		int64_t d = cb_days_from_civil(2026, 1, 1) + (int64_t)(rd(&r, 2) % 2000) - 1000;
		int64_t y;
		unsigned mo, dd;
		cb_civil_from_days(d, &y, &mo, &dd);
		char b[48];
		snprintf(b, sizeof b, "%04d-%02u-%02u", (int)y, mo, dd);
		json_array_append_new(hol, json_string(b));
	}
	if (weekly_min == 0) { /* a calendar needs open hours */
		json_object_set_new(hours, "mon", json_pack("[[s, s]]", "09:00", "17:00"));
		weekly_min = 480;
	}
	json_t *doc = json_pack("{s:s, s:s, s:o, s:o}", "name", "fuzz", "timezone", "Fuzz/Zone",
				"hours", hours, "holidays", hol);

	/* the instants: mostly near the transitions and holidays, sometimes
	 * anywhere in the supported range, sometimes with decades between */
	const cb_ms lo = cb_days_from_civil(1905, 1, 1) * DAY_MS;
	const cb_ms hi = cb_days_from_civil(2995, 1, 1) * DAY_MS;
	cb_ms a, b, c;
	unsigned where = (flags >> 6) & 3;
	if (where == 0)
		a = lo + (cb_ms)(rd(&r, 8) % (uint64_t)(hi - lo));
	else
		a = cb_days_from_civil(1988, 1, 1) * DAY_MS +
		    (cb_ms)(rd(&r, 8) % (uint64_t)(45LL * 365 * DAY_MS));
	cb_ms reach = (where == 3 ? 15LL * 365 : 400) * DAY_MS;
	b = a + (cb_ms)(rd(&r, 8) % (uint64_t)reach);
	c = b + (cb_ms)(rd(&r, 8) % (uint64_t)reach);
	if (b > hi)
		b = hi;
	if (c > hi)
		c = hi;
	/* a target of up to ~3 years of open weeks (15 with where == 3): due
	 * dates are usually found; a calendar of holidays-only weeks or a zone
	 * that drops the open hours can still make one unreachable */
	uint64_t weeks = where == 3 ? 52 * 15 : 52 * 3;
	cb_ms T = (cb_ms)(rd(&r, 8) % (uint64_t)(weekly_min * MIN_MS * (int64_t)weeks + 1));

	cb_cal *cal = build(doc, &tz);
	cb_cal *fresh = build(doc, &tz);
	json_decref(doc);

	cb_ms bc = cb_cal_business_time(cal, b, c);
	cb_ms ab = cb_cal_business_time(cal, a, b);
	cb_ms ac = cb_cal_business_time(cal, a, c);
	FUZZ_CHECK(ab >= 0 && ab <= b - a);
	FUZZ_CHECK(bc >= 0 && bc <= c - b);
	FUZZ_CHECK(ac == ab + bc);
	FUZZ_CHECK(cb_cal_business_time(fresh, a, c) == ac);
	if (all_day)
		FUZZ_CHECK(ac == c - a);
	if (ntr == 0 && nhol == 0 && a + 7 * DAY_MS <= hi)
		FUZZ_CHECK(cb_cal_business_time(cal, a, a + 7 * DAY_MS) == weekly_min * MIN_MS);

	cb_ms d = cb_cal_business_due(cal, a, T);
	if (T == 0) {
		FUZZ_CHECK(d == a);
	} else if (d == CB_CAL_NEVER) {
		cb_ms end = cb_days_from_civil(CB_CAL_MAX_YEAR, 12, 30) * DAY_MS;
		FUZZ_CHECK(cb_cal_business_time(cal, a, end) < T);
	} else {
		FUZZ_CHECK(d > a);
		FUZZ_CHECK(cb_cal_business_time(cal, a, d) == T);
		FUZZ_CHECK(cb_cal_business_time(cal, a, d - 1) < T);
		FUZZ_CHECK(cb_cal_business_due(fresh, a, T) == d);
	}
	cb_cal_free(cal);
	cb_cal_free(fresh);
	return 0;
}
