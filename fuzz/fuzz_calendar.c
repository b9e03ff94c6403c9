/* fuzz_calendar.c - calendar documents (POST/PATCH /calendars bodies) through
 * cb_cal_from_json with a synthetic zone loader (no tz files), then
 * business time on the result.
 *
 * Input: the JSON body. Zones known to the loader: "UTC", "Test/Plus14",
 * "Test/Minus12", "Test/NewYork" (US rules, generated for 1970..2100),
 * "Test/Jump" (one +02:00 jump in 2026) and "Test/Odd" (an LMT-like offset
 * of -4:56:02 until 1990). Invariants: a failure is CB_E_INVALID with items;
 * a success round-trips (cb_cal_to_json, parsed again, gives the same
 * document) and answers business-time queries sanely (0 <= bt(a, b) <=
 * b - a, additive, business_due inverts business_time). */
#include "common.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/calendar.h"
#include "util/alloc.h"

#define HOUR_S 3600

static int loader(cb_tz_table *out, const char *zone, void *payload)
{
	(void)payload;
	memset(out, 0, sizeof *out);
	if (strcmp(zone, "UTC") == 0)
		return 0;
	if (strcmp(zone, "Test/Plus14") == 0) {
		out->initial_offset_s = 14 * HOUR_S;
		return 0;
	}
	if (strcmp(zone, "Test/Minus12") == 0) {
		out->initial_offset_s = -12 * HOUR_S;
		return 0;
	}
	if (strcmp(zone, "Test/Jump") == 0) {
		out->n = 1;
		out->v = cb_xmalloc(sizeof *out->v);
		out->v[0].at = cb_days_from_civil(2026, 6, 1) * 86400000LL;
		out->v[0].offset_s = 2 * HOUR_S;
		return 0;
	}
	if (strcmp(zone, "Test/Odd") == 0) {
		out->initial_offset_s = -(4 * HOUR_S + 56 * 60 + 2);
		out->n = 1;
		out->v = cb_xmalloc(sizeof *out->v);
		out->v[0].at = cb_days_from_civil(1990, 1, 1) * 86400000LL;
		out->v[0].offset_s = -5 * HOUR_S;
		return 0;
	}
	if (strcmp(zone, "Test/NewYork") == 0) {
		out->initial_offset_s = -5 * HOUR_S;
		out->n = 2 * (2100 - 1970 + 1);
		out->v = cb_xmalloc(out->n * sizeof *out->v);
		for (int y = 1970, i = 0; y <= 2100; y++) {
			/* second Sunday of March 07:00Z, first Sunday of November 06:00Z */
			int64_t m1 = cb_days_from_civil(y, 3, 1), n1 = cb_days_from_civil(y, 11, 1);
			int64_t wm = ((m1 + 3) % 7 + 7) % 7, wn = ((n1 + 3) % 7 + 7) % 7; /* 0 = Mon */
			int64_t sun_m = m1 + (6 - wm) + 7, sun_n = n1 + (6 - wn);
			out->v[i].at = sun_m * 86400000LL + 7 * 3600000LL;
			out->v[i++].offset_s = -4 * HOUR_S;
			out->v[i].at = sun_n * 86400000LL + 6 * 3600000LL;
			out->v[i++].offset_s = -5 * HOUR_S;
		}
		return 0;
	}
	return -1;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void queries(cb_cal *cal, const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	const cb_ms base = cb_days_from_civil(2020, 1, 1) * 86400000LL;
	const cb_ms span = 12LL * 365 * 86400000LL;
	cb_ms a = base + (cb_ms)(mix(h) % (uint64_t)span);
	cb_ms b = a + (cb_ms)(mix(h + 1) % (uint64_t)(40LL * 86400000));
	cb_ms c = b + (cb_ms)(mix(h + 2) % (uint64_t)(400LL * 86400000));
	cb_ms ab = cb_cal_business_time(cal, a, b), bc = cb_cal_business_time(cal, b, c);
	cb_ms ac = cb_cal_business_time(cal, a, c);
	FUZZ_CHECK(ab >= 0 && ab <= b - a);
	FUZZ_CHECK(bc >= 0 && bc <= c - b);
	FUZZ_CHECK(ac == ab + bc);
	if (ac > 0) {
		cb_ms d = cb_cal_business_due(cal, a, ac);
		FUZZ_CHECK(d != CB_CAL_NEVER && d > a && d <= c);
		FUZZ_CHECK(cb_cal_business_time(cal, a, d) == ac);
		FUZZ_CHECK(cb_cal_business_time(cal, a, d - 1) < ac);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	cb_req req = {0};
	req.arena = cb_arena_new();
	req.content_type = "application/json";
	req.body = (const char *)data;
	req.body_len = size;
	cb_err err = {0};
	json_t *body = cb_api_body_object(&req, &err);
	if (!body) {
		fuzz_check_err(&err);
		cb_arena_free(req.arena);
		return 0;
	}
	cb_cal *cal = NULL;
	int rc = cb_cal_from_json(&cal, body, loader, NULL, &err);
	fuzz_note_err("calendar", rc, &err);
	if (rc != 0) {
		FUZZ_CHECK(cal == NULL);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID && err.nitems > 0);
		cb_arena_free(req.arena);
		return 0;
	}
	FUZZ_CHECK(cal != NULL);
	json_t *doc = cb_cal_to_json(cal);
	FUZZ_CHECK(doc != NULL);
	cb_cal *again = NULL;
	cb_err err2 = {0};
	FUZZ_CHECK(cb_cal_from_json(&again, doc, loader, NULL, &err2) == 0);
	json_t *doc2 = cb_cal_to_json(again);
	FUZZ_CHECK(json_equal(doc, doc2));
	FUZZ_CHECK(strcmp(cb_cal_name(cal), cb_cal_name(again)) == 0);
	FUZZ_CHECK(strcmp(cb_cal_timezone(cal), cb_cal_timezone(again)) == 0);
	json_decref(doc);
	json_decref(doc2);
	queries(cal, data, size);
	cb_cal_free(again);
	cb_cal_free(cal);
	cb_arena_free(req.arena);
	return 0;
}
