/* calendar.c - business calendars (src/core/calendar.c) and the libical
 * zone loader and iCalendar holiday import (src/util/tz.c). Core is tested
 * at given instants only; expectations are computed by hand from
 * docs/metrics.md sections 2 and 6. */
#include "harness.h"
#include "core/calendar.h"
#include "util/alloc.h"
#include "util/tz.h"

#include <stdlib.h>

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

static cb_ms at(const char *s)
{
	cb_ms t = 0;
	if (cb_time_parse(s, &t) != 0)
		cb_test_fail(__FILE__, __LINE__, s);
	return t;
}

/* A calendar from JSON text through the system loader; NULL (and a test
 * failure) if it does not validate. */
static cb_cal *cal_from(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	if (!doc) {
		cb_test_fail(__FILE__, __LINE__, jerr.text);
		return NULL;
	}
	cb_cal *cal = NULL;
	cb_err err = {0};
	if (cb_cal_from_json(&cal, doc, cb_tz_load, NULL, &err) != 0)
		cb_test_fail(__FILE__, __LINE__, err.message);
	json_decref(doc);
	return cal;
}

static cb_cal *cal_hours(const char *zone, const char *hours)
{
	char text[1024];
	snprintf(text, sizeof text, "{\"name\": \"t\", \"timezone\": \"%s\", \"hours\": %s}", zone,
		 hours);
	return cal_from(text);
}

static int32_t offset_at(const cb_tz_table *t, cb_ms u)
{
	int32_t o = t->initial_offset_s;
	for (size_t i = 0; i < t->n && t->v[i].at <= u; i++)
		o = t->v[i].offset_s;
	return o;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void) /* xorshift64*: deterministic across runs */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static cb_ms rnd_range(cb_ms lo, cb_ms hi) /* [lo, hi) */
{
	return lo + (cb_ms)(rnd() % (uint64_t)(hi - lo));
}

/* ---- docs/metrics.md section 6 ---- */

CB_TEST(calendar_metrics_worked_example)
{
	cb_cal *c = cal_from("{\"name\": \"ny-business\", \"timezone\": \"America/New_York\","
			     " \"hours\": {\"mon\": [[\"09:00\", \"17:00\"]], \"tue\": [[\"09:00\", \"17:00\"]],"
			     " \"wed\": [[\"09:00\", \"17:00\"]], \"thu\": [[\"09:00\", \"17:00\"]],"
			     " \"fri\": [[\"09:00\", \"17:00\"]]}, \"holidays\": [\"2026-03-09\"]}");
	CB_REQUIRE(c);
	cb_ms created = at("2026-03-06T21:30:00Z");
	/* 1. first_response (60 min): 30 min on Friday, Monday holiday, DST on Sunday */
	CB_CHECK_INT(cb_cal_business_due(c, created, 60 * MIN_MS), at("2026-03-10T13:30:00Z"));
	/* 2. reply Tue 09:10 local: elapsed 30 + 10 = 40 min; next_update due 13:10 local */
	cb_ms reply = at("2026-03-10T13:10:00Z");
	CB_CHECK_INT(cb_cal_business_time(c, created, reply), 40 * MIN_MS);
	CB_CHECK_INT(cb_cal_business_due(c, reply, 240 * MIN_MS), at("2026-03-10T17:10:00Z"));
	/* 3. pending Tue 10:00 local: resolution 30 + 60 = 90 min, next_update 50 min */
	cb_ms pending = at("2026-03-10T14:00:00Z");
	CB_CHECK_INT(cb_cal_business_time(c, created, pending), 90 * MIN_MS);
	CB_CHECK_INT(cb_cal_business_time(c, reply, pending), 50 * MIN_MS);
	/* 4. resumed Wed 11:00 local: next_update due Wed 14:10 local (18:10Z) */
	cb_ms resumed = at("2026-03-11T15:00:00Z");
	CB_CHECK_INT(cb_cal_business_due(c, resumed, 190 * MIN_MS), at("2026-03-11T18:10:00Z"));
	/* 5. solved Wed 15:00 local: 240 more minutes; resolution 330 */
	cb_ms solved = at("2026-03-11T19:00:00Z");
	CB_CHECK_INT(cb_cal_business_time(c, resumed, solved), 240 * MIN_MS);
	CB_CHECK_INT(cb_cal_business_time(c, created, pending) +
			     cb_cal_business_time(c, resumed, solved),
		     330 * MIN_MS);
	/* FRT: 315,600 s calendar, 2,400 s business */
	CB_CHECK_INT((reply - created) / 1000, 315600);
	CB_CHECK_INT(cb_cal_business_time(c, created, reply) / 1000, 2400);
	/* the pause between: Tue 10:00 .. Wed 11:00 local is 7 + 2 = 9 business hours */
	CB_CHECK_INT(cb_cal_business_time(c, pending, resumed), 9 * HOUR_MS);
	cb_cal_free(c);
}

/* ---- time zones from the system tz database ---- */

CB_TEST(tz_system_zones_and_transitions)
{
	CB_CHECK(cb_tz_valid("America/New_York"));
	CB_CHECK(cb_tz_valid("UTC"));
	CB_CHECK(cb_tz_valid("Asia/Kolkata"));
	CB_CHECK(!cb_tz_valid("Mars/Olympus_Mons"));
	CB_CHECK(!cb_tz_valid(""));
	CB_CHECK(!cb_tz_valid(NULL));
	CB_CHECK(!cb_tz_valid("../../../etc/passwd"));
	CB_CHECK(!cb_tz_valid("/usr/share/zoneinfo/UTC"));
	CB_CHECK(!cb_tz_valid("America"));
	CB_CHECK(!cb_tz_valid("America/New York"));

	cb_tz_table t = {0};
	CB_REQUIRE(cb_tz_load(&t, "America/New_York", NULL) == 0);
	CB_CHECK(t.n > 200); /* two a year, 1970..2100 */
	CB_CHECK_INT(offset_at(&t, at("2026-03-08T06:59:59Z")), -5 * 3600);
	CB_CHECK_INT(offset_at(&t, at("2026-03-08T07:00:00Z")), -4 * 3600);
	CB_CHECK_INT(offset_at(&t, at("2026-11-01T05:59:59Z")), -4 * 3600);
	CB_CHECK_INT(offset_at(&t, at("2026-11-01T06:00:00Z")), -5 * 3600);
	CB_CHECK_INT(offset_at(&t, at("2090-07-01T12:00:00Z")), -4 * 3600);
	for (size_t i = 1; i < t.n; i++)
		CB_CHECK(t.v[i].at > t.v[i - 1].at && t.v[i].offset_s != t.v[i - 1].offset_s);
	cb_tz_table_clear(&t);
	CB_CHECK(t.v == NULL && t.n == 0);

	CB_REQUIRE(cb_tz_load(&t, "Asia/Kolkata", NULL) == 0);
	CB_CHECK_INT(t.n, 0);
	CB_CHECK_INT(t.initial_offset_s, 5 * 3600 + 1800);
	cb_tz_table_clear(&t);
	CB_CHECK(cb_tz_load(&t, "Nowhere/Town", NULL) == -1);
	cb_tz_table_clear(NULL);
}

/* Mexico dropped DST in 2022: June 2023 is UTC-6 (libical's bundled zones
 * and ICU 72's tzdata say UTC-5). The system tz database must be used. */
CB_TEST(tz_mexico_city_june_2023_is_utc_minus_6)
{
	cb_tz_table t = {0};
	CB_REQUIRE(cb_tz_load(&t, "America/Mexico_City", NULL) == 0);
	CB_CHECK_INT(offset_at(&t, at("2023-06-15T12:00:00Z")), -6 * 3600);
	CB_CHECK_INT(offset_at(&t, at("2021-06-15T12:00:00Z")), -5 * 3600); /* DST then */
	cb_tz_table_clear(&t);

	cb_cal *c = cal_hours("America/Mexico_City", "{\"thu\": [[\"09:00\", \"17:00\"]]}");
	CB_REQUIRE(c);
	/* Thu 2023-06-15 09:00 local = 15:00Z */
	CB_CHECK_INT(cb_cal_business_time(c, at("2023-06-15T14:00:00Z"), at("2023-06-15T15:00:00Z")), 0);
	CB_CHECK_INT(cb_cal_business_time(c, at("2023-06-15T15:00:00Z"), at("2023-06-15T16:00:00Z")),
		     HOUR_MS);
	CB_CHECK_INT(cb_cal_business_due(c, at("2023-06-15T00:00:00Z"), 8 * HOUR_MS),
		     at("2023-06-15T23:00:00Z"));
	cb_cal_free(c);
}

/* ---- DST: hand-computed days ---- */

static void check_day(cb_cal *c, const char *from, const char *to, cb_ms expect, int line)
{
	cb_ms got = cb_cal_business_time(c, at(from), at(to));
	if (got != expect) {
		char m[160];
		snprintf(m, sizeof m, "business_time(%s, %s) = %lld ms, expected %lld", from, to,
			 (long long)got, (long long)expect);
		cb_test_fail(__FILE__, line, m);
	}
}
#define CHECK_BT(c, from, to, expect) check_day(c, from, to, expect, __LINE__)

CB_TEST(calendar_dst_new_york)
{
	/* Sunday 00:00-24:00: 23 h on the spring-forward Sunday, 25 h on the
	 * fall-back Sunday (Sun 2026-03-08 and Sun 2026-11-01) */
	cb_cal *c = cal_hours("America/New_York", "{\"sun\": [[\"00:00\", \"24:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", 23 * HOUR_MS);
	CHECK_BT(c, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23 * HOUR_MS);
	CHECK_BT(c, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z", 25 * HOUR_MS);
	CHECK_BT(c, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25 * HOUR_MS);
	CHECK_BT(c, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z", 24 * HOUR_MS);
	/* a whole year: 52 Sundays, the short and the long one cancel out */
	CHECK_BT(c, "2026-01-01T05:00:00Z", "2027-01-01T05:00:00Z", 52 * 24 * HOUR_MS);
	cb_cal_free(c);

	/* 01:00-03:00 on Sundays: 1 h on the spring-forward day (02:00-03:00 is
	 * skipped), 3 h on the fall-back day (01:00-02:00 twice) */
	c = cal_hours("America/New_York", "{\"sun\": [[\"01:00\", \"03:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", HOUR_MS);
	CHECK_BT(c, "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", HOUR_MS); /* 01:00-02:00 EST */
	CHECK_BT(c, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 3 * HOUR_MS);
	CHECK_BT(c, "2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z", 3 * HOUR_MS);
	CHECK_BT(c, "2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z", 2 * HOUR_MS);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-08T00:00:00Z"), 30 * MIN_MS),
		     at("2026-03-08T06:30:00Z"));
	/* 90 min: 60 on Mar 8, the rest on Sun 2026-03-15 01:30 EDT */
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-08T00:00:00Z"), 90 * MIN_MS),
		     at("2026-03-15T05:30:00Z"));
	/* fall back: 01:00 EDT (05Z) .. 02:00 EST (07Z); 150 min ends 02:30 EST */
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-11-01T00:00:00Z"), 150 * MIN_MS),
		     at("2026-11-01T07:30:00Z"));
	cb_cal_free(c);

	/* 02:00-03:00 exists only in the gap: absent on the spring-forward day */
	c = cal_hours("America/New_York", "{\"sun\": [[\"02:00\", \"03:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 0);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-08T00:00:00Z"), MIN_MS),
		     at("2026-03-15T06:01:00Z"));
	cb_cal_free(c);

	/* The repeated hour interleaves windows in UTC: 01:00-01:30 and
	 * 01:45-02:00 give 05:00-05:30, 05:45-06:00, 06:00-06:30, 06:45-07:00 Z */
	c = cal_hours("America/New_York",
		      "{\"sun\": [[\"01:00\", \"01:30\"], [\"01:45\", \"02:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 90 * MIN_MS);
	CHECK_BT(c, "2026-11-01T05:00:00Z", "2026-11-01T06:15:00Z", 60 * MIN_MS);
	CHECK_BT(c, "2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z", 0);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-11-01T05:20:00Z"), 30 * MIN_MS),
		     at("2026-11-01T06:05:00Z"));
	cb_cal_free(c);
}

CB_TEST(calendar_dst_berlin)
{
	/* CET->CEST Sun 2026-03-29 at 02:00 local (01:00Z); back Sun 2026-10-25
	 * at 03:00 CEST (01:00Z) */
	cb_cal *c = cal_hours("Europe/Berlin", "{\"sun\": [[\"00:00\", \"24:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z", 23 * HOUR_MS);
	CHECK_BT(c, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23 * HOUR_MS);
	CHECK_BT(c, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z", 25 * HOUR_MS);
	CHECK_BT(c, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25 * HOUR_MS);
	cb_cal_free(c);

	c = cal_hours("Europe/Berlin", "{\"sun\": [[\"02:00\", \"04:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z", HOUR_MS);
	CHECK_BT(c, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", HOUR_MS); /* 03-04 CEST */
	CHECK_BT(c, "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", 3 * HOUR_MS);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-10-24T12:00:00Z"), 3 * HOUR_MS),
		     at("2026-10-25T03:00:00Z"));
	cb_cal_free(c);
}

CB_TEST(calendar_dst_sydney_southern_hemisphere)
{
	/* AEDT->AEST Sun 2026-04-05 03:00 -> 02:00 (Apr 4 16:00Z);
	 * AEST->AEDT Sun 2026-10-04 02:00 -> 03:00 (Oct 3 16:00Z) */
	cb_cal *c = cal_hours("Australia/Sydney", "{\"sun\": [[\"00:00\", \"24:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z", 25 * HOUR_MS);
	CHECK_BT(c, "2026-04-03T00:00:00Z", "2026-04-07T00:00:00Z", 25 * HOUR_MS);
	CHECK_BT(c, "2026-10-03T14:00:00Z", "2026-10-04T13:00:00Z", 23 * HOUR_MS);
	CHECK_BT(c, "2026-10-02T00:00:00Z", "2026-10-06T00:00:00Z", 23 * HOUR_MS);
	cb_cal_free(c);

	c = cal_hours("Australia/Sydney", "{\"sun\": [[\"02:00\", \"03:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z", 2 * HOUR_MS);
	CHECK_BT(c, "2026-04-04T15:00:00Z", "2026-04-04T17:00:00Z", 2 * HOUR_MS);
	CHECK_BT(c, "2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z", 0);
	cb_cal_free(c);
}

CB_TEST(calendar_kolkata_half_hour_offset)
{
	cb_cal *c = cal_hours("Asia/Kolkata", "{\"mon\": [[\"09:00\", \"17:30\"]],"
					      " \"sun\": [[\"00:00\", \"24:00\"]]}");
	CB_REQUIRE(c);
	/* Mon 2026-03-09 09:00 IST = 03:30Z */
	CHECK_BT(c, "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z", 8 * HOUR_MS + 30 * MIN_MS);
	CHECK_BT(c, "2026-03-09T03:00:00Z", "2026-03-09T04:00:00Z", 30 * MIN_MS);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-09T00:00:00Z"), HOUR_MS),
		     at("2026-03-09T04:30:00Z"));
	/* no DST: every Sunday is 24 h; 2026 has 52 Sundays and 52 Mondays */
	CHECK_BT(c, "2025-12-31T18:30:00Z", "2026-12-31T18:30:00Z",
		 52 * 24 * HOUR_MS + 52 * (8 * HOUR_MS + 30 * MIN_MS));
	cb_cal_free(c);
}

/* A synthetic zone through a caller-provided loader: core needs only the
 * plain table. Offset 0, then +02:00 from Mon 2026-06-01T00:00Z. */
static int fake_loader(cb_tz_table *out, const char *zone, void *payload)
{
	int *calls = payload;
	(*calls)++;
	if (strcmp(zone, "Test/Jump") != 0)
		return -1;
	out->initial_offset_s = 0;
	out->n = 1;
	out->v = cb_xmalloc(sizeof *out->v);
	out->v[0].at = at("2026-06-01T00:00:00Z");
	out->v[0].offset_s = 7200;
	return 0;
}

CB_TEST(calendar_with_caller_provided_zone_table)
{
	int calls = 0;
	json_t *doc = json_pack("{s:s, s:s, s:{s:[[s,s]]}}", "name", "fake", "timezone",
				"Test/Jump", "hours", "mon", "00:00", "24:00");
	cb_cal *c = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_cal_from_json(&c, doc, fake_loader, &calls, &err) == 0);
	CB_CHECK_INT(calls, 1);
	/* Monday Jun 1 loses local 00:00-02:00: 22 h */
	CHECK_BT(c, "2026-05-30T00:00:00Z", "2026-06-03T00:00:00Z", 22 * HOUR_MS);
	/* Monday May 25 (offset 0) and Jun 8 (+2) are whole */
	CHECK_BT(c, "2026-05-25T00:00:00Z", "2026-05-26T00:00:00Z", 24 * HOUR_MS);
	CHECK_BT(c, "2026-06-07T22:00:00Z", "2026-06-08T22:00:00Z", 24 * HOUR_MS);
	cb_cal_free(c);

	/* open every day all day: business time = calendar time across the jump */
	json_object_set_new(doc, "hours",
			    json_pack("{s:[[s,s]], s:[[s,s]], s:[[s,s]], s:[[s,s]], s:[[s,s]],"
				      " s:[[s,s]], s:[[s,s]]}",
				      "mon", "00:00", "24:00", "tue", "00:00", "24:00", "wed", "00:00",
				      "24:00", "thu", "00:00", "24:00", "fri", "00:00", "24:00", "sat",
				      "00:00", "24:00", "sun", "00:00", "24:00"));
	CB_REQUIRE(cb_cal_from_json(&c, doc, fake_loader, &calls, &err) == 0);
	CHECK_BT(c, "2026-05-20T03:17:00Z", "2026-06-11T09:00:00Z",
		 at("2026-06-11T09:00:00Z") - at("2026-05-20T03:17:00Z"));
	cb_cal_free(c);

	json_object_set_new(doc, "timezone", json_string("Test/Nowhere"));
	CB_CHECK(cb_cal_from_json(&c, doc, fake_loader, &calls, &err) == -1);
	CB_CHECK(c == NULL);
	CB_CHECK_STR(err.items[0].field, "timezone");
	json_decref(doc);
}

/* ---- overnight windows and holidays ---- */

CB_TEST(calendar_overnight_window_and_holidays)
{
	const char *hours = "{\"mon\": [[\"22:00\", \"24:00\"]], \"tue\": [[\"00:00\", \"06:00\"]]}";
	char text[512];
	/* no holiday: Mon 22:00 .. Tue 06:00 is one 8 h window */
	cb_cal *c = cal_hours("UTC", hours);
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-09T20:00:00Z", "2026-03-10T08:00:00Z", 8 * HOUR_MS);
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-09T22:00:00Z"), 3 * HOUR_MS),
		     at("2026-03-10T01:00:00Z"));
	cb_cal_free(c);
	/* Tuesday holiday: only Monday's half remains */
	snprintf(text, sizeof text,
		 "{\"name\": \"n\", \"timezone\": \"UTC\", \"hours\": %s, \"holidays\": [\"2026-03-10\"]}",
		 hours);
	c = cal_from(text);
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-09T20:00:00Z", "2026-03-10T08:00:00Z", 2 * HOUR_MS);
	/* 3 h from Mon 22:00: 2 h now, then the next window Mon 03-16 22:00 */
	CB_CHECK_INT(cb_cal_business_due(c, at("2026-03-09T22:00:00Z"), 3 * HOUR_MS),
		     at("2026-03-16T23:00:00Z"));
	cb_cal_free(c);
	/* Monday holiday: only Tuesday's half remains */
	snprintf(text, sizeof text,
		 "{\"name\": \"n\", \"timezone\": \"UTC\", \"hours\": %s, \"holidays\": [\"2026-03-09\"]}",
		 hours);
	c = cal_from(text);
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-09T20:00:00Z", "2026-03-10T08:00:00Z", 6 * HOUR_MS);
	cb_cal_free(c);
}

/* ---- holidays from an iCalendar feed ---- */

static const char ics_feed[] =
	"BEGIN:VCALENDAR\r\n"
	"VERSION:2.0\r\n"
	"PRODID:-//casebook//test//EN\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:1@test\r\n"
	"SUMMARY:Staff day\r\n"
	"DTSTART;VALUE=DATE:20260309\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:2@test\r\n"
	"SUMMARY:Winter break\r\n"
	"DTSTART;VALUE=DATE:20261224\r\n"
	"DTEND;VALUE=DATE:20261227\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:3@test\r\n"
	"SUMMARY:New Year\r\n"
	"DTSTART;VALUE=DATE:20250101\r\n"
	"RRULE:FREQ=YEARLY\r\n"
	"EXDATE;VALUE=DATE:20270101\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:4@test\r\n"
	"SUMMARY:Team meeting (timed, not a holiday)\r\n"
	"DTSTART:20260310T150000Z\r\n"
	"DTEND:20260310T160000Z\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:5@test\r\n"
	"SUMMARY:Retreat\r\n"
	"DTSTART;VALUE=DATE:20260601\r\n"
	"DURATION:P2D\r\n"
	"END:VEVENT\r\n"
	"END:VCALENDAR\r\n";

static int64_t day(int y, int m, int d)
{
	return cb_days_from_civil(y, (unsigned)m, (unsigned)d);
}

CB_TEST(calendar_holidays_from_ics)
{
	int64_t *days = NULL;
	size_t n = 0;
	cb_err err = {0};
	CB_REQUIRE(cb_tz_holidays_from_ics(&days, &n, ics_feed, 2025, 2028, &err) == 0);
	const int64_t expect[] = {day(2025, 1, 1),   day(2026, 1, 1),   day(2026, 3, 9),
				  day(2026, 6, 1),   day(2026, 6, 2),   day(2026, 12, 24),
				  day(2026, 12, 25), day(2026, 12, 26), day(2028, 1, 1)};
	CB_CHECK_INT(n, sizeof expect / sizeof expect[0]);
	for (size_t i = 0; i < n && i < sizeof expect / sizeof expect[0]; i++)
		CB_CHECK_INT(days[i], expect[i]);

	/* the worked example's holiday, imported instead of written */
	cb_cal *c = cal_hours("America/New_York",
			      "{\"mon\": [[\"09:00\", \"17:00\"]], \"tue\": [[\"09:00\", \"17:00\"]],"
			      " \"wed\": [[\"09:00\", \"17:00\"]], \"thu\": [[\"09:00\", \"17:00\"]],"
			      " \"fri\": [[\"09:00\", \"17:00\"]]}");
	CB_REQUIRE(c);
	cb_ms created = at("2026-03-06T21:30:00Z");
	CB_CHECK_INT(cb_cal_business_due(c, created, 60 * MIN_MS), at("2026-03-09T13:30:00Z"));
	CB_REQUIRE(cb_cal_add_holidays(c, days, n, &err) == 0);
	CB_CHECK_INT(cb_cal_business_due(c, created, 60 * MIN_MS), at("2026-03-10T13:30:00Z"));
	json_t *j = cb_cal_to_json(c);
	json_t *hol = json_object_get(j, "holidays");
	CB_CHECK_INT(json_array_size(hol), n);
	CB_CHECK_STR(json_string_value(json_array_get(hol, 2)), "2026-03-09");
	json_decref(j);
	cb_cal_free(c);
	cb_free(days);

	/* a narrower year range keeps only its dates */
	CB_REQUIRE(cb_tz_holidays_from_ics(&days, &n, ics_feed, 2027, 2027, &err) == 0);
	CB_CHECK_INT(n, 0);
	CB_CHECK(days == NULL);

	struct {
		const char *text;
	} bad[] = {
		{"not a calendar"},
		{""},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261345\r\nEND:VEVENT\r\n"
		 "END:VCALENDAR\r\n"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n"
		 "DTEND;VALUE=DATE:20261220\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n"
		 "DTEND;VALUE=DATE:20280101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cb_err_clear(&err);
		days = NULL;
		CB_CHECK(cb_tz_holidays_from_ics(&days, &n, bad[i].text, 2020, 2030, &err) == -1);
		CB_CHECK(days == NULL);
		CB_CHECK_INT(err.code, CB_E_INVALID);
		CB_CHECK_STR(err.items[0].field, "ics");
	}
}

/* ---- validation ---- */

CB_TEST(calendar_validation_errors_name_their_field)
{
#define OK_HOURS "\"hours\": {\"mon\": [[\"09:00\", \"17:00\"]]}"
#define HEAD "\"name\": \"c\", \"timezone\": \"Europe/Berlin\", "
	static const struct {
		const char *doc;
		const char *field;
	} cases[] = {
		{"[]", ""},
		{"{\"timezone\": \"UTC\", " OK_HOURS "}", "name"},
		{"{\"name\": \"24x7\", \"timezone\": \"UTC\", " OK_HOURS "}", "name"},
		{"{\"name\": \"24X7\", \"timezone\": \"UTC\", " OK_HOURS "}", "name"},
		{"{\"name\": \"\", \"timezone\": \"UTC\", " OK_HOURS "}", "name"},
		{"{\"name\": 7, \"timezone\": \"UTC\", " OK_HOURS "}", "name"},
		{"{\"name\": \"c\", " OK_HOURS "}", "timezone"},
		{"{\"name\": \"c\", \"timezone\": \"Mars/Olympus_Mons\", " OK_HOURS "}", "timezone"},
		{"{\"name\": \"c\", \"timezone\": \"../../etc/passwd\", " OK_HOURS "}", "timezone"},
		{"{\"name\": \"c\", \"timezone\": 5, " OK_HOURS "}", "timezone"},
		{"{" HEAD "\"colour\": \"red\", " OK_HOURS "}", "colour"},
		{"{" HEAD "\"hours\": []}", "hours"},
		{"{" HEAD "\"hours\": {}}", "hours"},
		{"{\"name\": \"c\", \"timezone\": \"UTC\"}", "hours"},
		{"{" HEAD "\"hours\": {\"mon\": [], \"tue\": [], \"sun\": []}}", "hours"},
		{"{" HEAD "\"hours\": {\"xyz\": [[\"09:00\", \"17:00\"]]}}", "hours.xyz"},
		{"{" HEAD "\"hours\": {\"mon\": {\"a\": 1}}}", "hours.mon"},
		{"{" HEAD "\"hours\": {\"mon\": [[\"08:00\", \"09:00\"], [\"9:00\", \"17:00\"]]}}", "hours.mon[1]"},
		{"{" HEAD "\"hours\": {\"mon\": [[\"08:00\", \"09:00\"], [\"25:00\", \"26:00\"]]}}", "hours.mon[1]"},
		{"{" HEAD "\"hours\": {\"tue\": [[\"12:60\", \"13:00\"]]}}", "hours.tue[0]"},
		{"{" HEAD "\"hours\": {\"tue\": [[\"24:00\", \"24:00\"]]}}", "hours.tue[0]"},
		{"{" HEAD "\"hours\": {\"tue\": [[\"23:00\", \"24:30\"]]}}", "hours.tue[0]"},
		{"{" HEAD "\"hours\": {\"tue\": [[\"09:00\", \"17:00x\"]]}}", "hours.tue[0]"},
		{"{" HEAD "\"hours\": {\"wed\": [[\"09:00\"]]}}", "hours.wed[0]"},
		{"{" HEAD "\"hours\": {\"wed\": [[\"09:00\", 17]]}}", "hours.wed[0]"},
		{"{" HEAD "\"hours\": {\"wed\": [\"09:00-17:00\"]}}", "hours.wed[0]"},
		{"{" HEAD "\"hours\": {\"thu\": [[\"17:00\", \"09:00\"]]}}", "hours.thu[0]"},
		{"{" HEAD "\"hours\": {\"thu\": [[\"22:00\", \"06:00\"]]}}", "hours.thu[0]"},
		{"{" HEAD "\"hours\": {\"fri\": [[\"09:00\", \"09:00\"]]}}", "hours.fri[0]"},
		{"{" HEAD "\"hours\": {\"sat\": [[\"09:00\", \"12:00\"], [\"11:00\", \"13:00\"]]}}", "hours.sat[1]"},
		{"{" HEAD "\"hours\": {\"sat\": [[\"11:00\", \"13:00\"], [\"09:00\", \"12:00\"]]}}", "hours.sat[1]"},
		{"{" HEAD "\"hours\": {\"sun\": [[\"09:00\", \"17:00\"], [\"10:00\", \"11:00\"], [\"18:00\", \"19:00\"]]}}", "hours.sun[1]"},
		{"{" HEAD "\"hours\": {\"sun\": [[\"00:00\", \"24:00\"], [\"00:00\", \"24:00\"]]}}", "hours.sun[1]"},
		{"{" HEAD OK_HOURS ", \"holidays\": \"2026-12-25\"}", "holidays"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2026-12-25\", \"2026-12-26\", \"2026-02-30\"]}", "holidays[2]"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2026-12-25\", \"2026-12-26\", \"2026-2-01\"]}", "holidays[2]"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2026-12-25\", \"2026-12-26\", 20260101]}", "holidays[2]"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2026-13-01\"]}", "holidays[0]"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2026-12-25T00:00:00Z\"]}", "holidays[0]"},
		{"{" HEAD OK_HOURS ", \"holidays\": [\"2025-02-29\"]}", "holidays[0]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t jerr;
		json_t *doc = json_loads(cases[i].doc, 0, &jerr);
		if (!doc) {
			cb_test_fail(__FILE__, __LINE__, cases[i].doc);
			continue;
		}
		cb_cal *c = (cb_cal *)1;
		cb_err err = {0};
		int rc = cb_cal_from_json(&c, doc, cb_tz_load, NULL, &err);
		json_decref(doc);
		if (rc != -1 || c != NULL || err.code != CB_E_INVALID ||
		    (cases[i].field[0] && (err.nitems < 1 || strcmp(err.items[0].field, cases[i].field)))) {
			char m[600];
			snprintf(m, sizeof m, "case %zu %s: rc %d, field \"%s\" (%s), expected \"%s\"", i,
				 cases[i].doc, rc, err.nitems ? err.items[0].field : "", err.message,
				 cases[i].field);
			cb_test_fail(__FILE__, __LINE__, m);
		}
		if (rc == 0)
			cb_cal_free(c);
	}

	/* several problems are all reported, each with its field */
	json_t *doc = json_loads("{\"name\": \"24x7\", \"timezone\": \"Nowhere/X\", \"hours\":"
				 " {\"mon\": [[\"17:00\", \"09:00\"]]}, \"holidays\": [\"x\"]}",
				 0, NULL);
	cb_cal *c = NULL;
	cb_err err = {0};
	CB_CHECK(cb_cal_from_json(&c, doc, cb_tz_load, NULL, &err) == -1);
	CB_REQUIRE(err.nitems == 4);
	CB_CHECK_STR(err.items[0].field, "name");
	CB_CHECK_STR(err.items[1].field, "timezone");
	CB_CHECK_STR(err.items[2].field, "hours.mon[0]");
	CB_CHECK_STR(err.items[3].field, "holidays[0]");
	json_decref(doc);

	/* touching intervals are fine (not overlapping) */
	c = cal_hours("UTC", "{\"mon\": [[\"12:00\", \"17:00\"], [\"09:00\", \"12:00\"]]}");
	CB_REQUIRE(c);
	CHECK_BT(c, "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z", 8 * HOUR_MS);
	cb_cal_free(c);
#undef OK_HOURS
#undef HEAD
}

CB_TEST(calendar_json_roundtrip)
{
	cb_cal *c = cal_from("{\"name\": \"support\", \"timezone\": \"Europe/Berlin\", \"hours\":"
			     " {\"fri\": [[\"13:00\", \"17:30\"], [\"08:00\", \"12:00\"]],"
			     " \"sun\": [[\"22:00\", \"24:00\"]]},"
			     " \"holidays\": [\"2026-12-25\", \"2026-01-01\", \"2026-12-25\"]}");
	CB_REQUIRE(c);
	CB_CHECK_STR(cb_cal_name(c), "support");
	CB_CHECK_STR(cb_cal_timezone(c), "Europe/Berlin");
	json_t *got = cb_cal_to_json(c);
	json_t *want = json_loads(
		"{\"name\": \"support\", \"timezone\": \"Europe/Berlin\", \"hours\": {\"mon\": [],"
		" \"tue\": [], \"wed\": [], \"thu\": [],"
		" \"fri\": [[\"08:00\", \"12:00\"], [\"13:00\", \"17:30\"]], \"sat\": [],"
		" \"sun\": [[\"22:00\", \"24:00\"]]}, \"holidays\": [\"2026-01-01\", \"2026-12-25\"]}",
		0, NULL);
	CB_CHECK(json_equal(got, want));
	/* and it parses back to the same */
	cb_cal *c2 = NULL;
	cb_err err = {0};
	CB_REQUIRE(cb_cal_from_json(&c2, got, cb_tz_load, NULL, &err) == 0);
	json_t *again = cb_cal_to_json(c2);
	CB_CHECK(json_equal(again, want));
	json_decref(again);
	json_decref(got);
	json_decref(want);
	cb_cal_free(c2);
	cb_cal_free(c);
	cb_cal_free(NULL);
}

CB_TEST(calendar_24x7_is_always_open)
{
	cb_cal *c = NULL;
	CB_REQUIRE(cb_cal_24x7(&c) == 0);
	CB_CHECK_STR(cb_cal_name(c), CB_CAL_24X7);
	CB_CHECK(cb_cal_is_reserved_name("24x7") && cb_cal_is_reserved_name("24X7"));
	CB_CHECK(!cb_cal_is_reserved_name("24x5"));
	cb_ms a = at("2026-03-08T01:23:45Z");
	CB_CHECK_INT(cb_cal_business_time(c, a, a + 987654321), 987654321);
	CB_CHECK_INT(cb_cal_business_time(c, a, a), 0);
	CB_CHECK_INT(cb_cal_business_time(c, a, a - 5), 0);
	CB_CHECK_INT(cb_cal_business_due(c, a, 60 * MIN_MS), a + 60 * MIN_MS);
	CB_CHECK_INT(cb_cal_business_due(c, a, 0), a);
	CB_CHECK_INT(cb_cal_business_due(c, a, INT64_MAX), CB_CAL_NEVER);
	json_t *j = cb_cal_to_json(c);
	CB_CHECK_STR(json_string_value(json_array_get(
			     json_array_get(json_object_get(json_object_get(j, "hours"), "sun"), 0), 1)),
		     "24:00");
	json_decref(j);
	cb_err err = {0};
	int64_t d = day(2026, 12, 25);
	CB_CHECK(cb_cal_add_holidays(c, &d, 1, &err) == -1);
	CB_CHECK_STR(err.items[0].field, "holidays");
	cb_cal_free(c);
}

/* ---- properties (docs/metrics.md section 2), randomized ---- */

static const char *const prop_calendars[][2] = {
	{"America/New_York", "{\"mon\": [[\"09:00\", \"17:00\"]], \"tue\": [[\"09:00\", \"17:00\"]],"
			     " \"wed\": [[\"09:00\", \"17:00\"]], \"thu\": [[\"09:00\", \"17:00\"]],"
			     " \"fri\": [[\"09:00\", \"17:00\"]]}"},
	/* overnight: 22:00-06:00 Mon night .. Fri night */
	{"Europe/Berlin", "{\"mon\": [[\"22:00\", \"24:00\"]], \"tue\": [[\"00:00\", \"06:00\"], [\"22:00\", \"24:00\"]],"
			  " \"wed\": [[\"00:00\", \"06:00\"], [\"22:00\", \"24:00\"]],"
			  " \"thu\": [[\"00:00\", \"06:00\"], [\"22:00\", \"24:00\"]],"
			  " \"fri\": [[\"00:00\", \"06:00\"], [\"22:00\", \"24:00\"]], \"sat\": [[\"00:00\", \"06:00\"]]}"},
	/* split shifts */
	{"Australia/Sydney", "{\"mon\": [[\"08:00\", \"12:00\"], [\"13:00\", \"17:30\"]],"
			     " \"wed\": [[\"08:00\", \"12:00\"], [\"13:00\", \"17:30\"]],"
			     " \"fri\": [[\"07:15\", \"11:45\"], [\"12:30\", \"16:00\"], [\"20:00\", \"21:00\"]],"
			     " \"sat\": [[\"10:00\", \"14:00\"]]}"},
	{"Asia/Kolkata", "{\"mon\": [[\"09:30\", \"18:30\"]], \"thu\": [[\"00:00\", \"24:00\"]]}"},
	/* windows across the DST change hours */
	{"America/New_York", "{\"sun\": [[\"00:30\", \"01:30\"], [\"01:45\", \"03:00\"]],"
			     " \"sat\": [[\"23:00\", \"24:00\"]]}"},
	{"America/Mexico_City", "{\"tue\": [[\"00:00\", \"24:00\"]], \"sat\": [[\"06:00\", \"06:01\"]]}"},
};

static cb_cal *prop_cal(size_t i)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "{\"name\": \"p\", \"timezone\": \"%s\", \"hours\": %s,"
		 " \"holidays\": [\"2025-12-25\", \"2026-03-09\", \"2026-11-01\", \"2027-07-05\"]}",
		 prop_calendars[i][0], prop_calendars[i][1]);
	return cal_from(text);
}

CB_TEST(calendar_property_additivity)
{
	cb_ms lo = at("2024-01-01T00:00:00Z"), hi = at("2028-01-01T00:00:00Z");
	for (size_t k = 0; k < sizeof prop_calendars / sizeof prop_calendars[0]; k++) {
		cb_cal *c = prop_cal(k);
		CB_REQUIRE(c);
		int bad = 0;
		for (int i = 0; i < 2000 && bad < 5; i++) {
			cb_ms x[3];
			for (int j = 0; j < 3; j++)
				x[j] = rnd_range(lo, hi);
			if (i % 2) { /* also short spans around one instant */
				x[1] = x[0] + (cb_ms)(rnd() % (3 * DAY_MS));
				x[2] = x[1] + (cb_ms)(rnd() % (3 * DAY_MS));
			}
			for (int p = 0; p < 3; p++) /* sort */
				for (int q = p + 1; q < 3; q++)
					if (x[q] < x[p]) {
						cb_ms t = x[p];
						x[p] = x[q];
						x[q] = t;
					}
			cb_ms ab = cb_cal_business_time(c, x[0], x[1]);
			cb_ms bc = cb_cal_business_time(c, x[1], x[2]);
			cb_ms ac = cb_cal_business_time(c, x[0], x[2]);
			if (ab + bc != ac || ab < 0 || ab > x[1] - x[0]) {
				bad++;
				char m[200];
				snprintf(m, sizeof m, "cal %zu: %lld + %lld != %lld at %lld %lld %lld", k,
					 (long long)ab, (long long)bc, (long long)ac, (long long)x[0],
					 (long long)x[1], (long long)x[2]);
				cb_test_fail(__FILE__, __LINE__, m);
			}
		}
		cb_cal_free(c);
	}
}

CB_TEST(calendar_property_due_inverts_business_time)
{
	cb_ms lo = at("2024-01-01T00:00:00Z"), hi = at("2028-01-01T00:00:00Z");
	for (size_t k = 0; k < sizeof prop_calendars / sizeof prop_calendars[0]; k++) {
		cb_cal *c = prop_cal(k);
		CB_REQUIRE(c);
		int bad = 0;
		for (int i = 0; i < 2000 && bad < 5; i++) {
			cb_ms start = rnd_range(lo, hi);
			cb_ms t;
			switch (i % 4) {
			case 0: t = (cb_ms)(rnd() % (200 * HOUR_MS)); break; /* any ms */
			case 1: t = (cb_ms)(rnd() % 6000) * MIN_MS; break;  /* whole minutes */
			case 2: t = (cb_ms)(rnd() % 3); break;              /* 0, 1, 2 ms */
			default: t = (cb_ms)(rnd() % (2000 * HOUR_MS)); break;
			}
			if (i % 8 == 3) /* start on a boundary */
				start = start / HOUR_MS * HOUR_MS;
			cb_ms d = cb_cal_business_due(c, start, t);
			int ok = d != CB_CAL_NEVER && d >= start && cb_cal_business_time(c, start, d) == t;
			if (t == 0)
				ok = ok && d == start;
			else
				ok = ok && cb_cal_business_time(c, start, d - 1) < t;
			if (!ok) {
				bad++;
				char m[200];
				snprintf(m, sizeof m, "cal %zu: start %lld t %lld -> due %lld (bt %lld)", k,
					 (long long)start, (long long)t, (long long)d,
					 (long long)cb_cal_business_time(c, start, d));
				cb_test_fail(__FILE__, __LINE__, m);
			}
		}
		cb_cal_free(c);
	}
}

/* An independent reference: walk minute by minute, take each minute's
 * local date and time from the zone table, and test it against the hours. */
typedef struct {
	int start, end;
} ref_span;

static int ref_open(const cb_tz_table *tz, const ref_span week[7][4], const int nweek[7],
		    const int64_t *hol, size_t nhol, cb_ms u)
{
	cb_ms local = u + (cb_ms)offset_at(tz, u) * 1000;
	int64_t d = local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS);
	int minute = (int)((local - d * DAY_MS) / MIN_MS);
	for (size_t i = 0; i < nhol; i++)
		if (hol[i] == d)
			return 0;
	int w = (int)(((d + 3) % 7 + 7) % 7);
	for (int i = 0; i < nweek[w]; i++)
		if (minute >= week[w][i].start && minute < week[w][i].end)
			return 1;
	return 0;
}

CB_TEST(calendar_matches_minute_by_minute_reference)
{
	static const struct {
		const char *zone;
		const char *around; /* a DST change or other interesting instant */
	} zones[] = {
		{"America/New_York", "2026-03-08T07:00:00Z"}, {"America/New_York", "2026-11-01T06:00:00Z"},
		{"Europe/Berlin", "2026-03-29T01:00:00Z"},    {"Europe/Berlin", "2026-10-25T01:00:00Z"},
		{"Australia/Sydney", "2026-04-04T16:00:00Z"}, {"Australia/Sydney", "2026-10-03T16:00:00Z"},
		{"Asia/Kolkata", "2026-05-01T00:00:00Z"},     {"America/Mexico_City", "2022-10-30T07:00:00Z"},
	};
	/* Sat 22:00-24:00, Sun 00:00-00:30, 01:30-02:30, 02:45-03:10, 21:00-24:00,
	 * Mon 00:00-09:00 (overnight), holiday on the Monday after the change */
	const ref_span week[7][4] = {
		{{0, 540}}, {{0}}, {{0}}, {{0}}, {{0}}, {{1320, 1440}},
		{{0, 30}, {90, 150}, {165, 190}, {1260, 1440}}};
	const int nweek[7] = {1, 0, 0, 0, 0, 1, 4};
	const char *hours = "{\"mon\": [[\"00:00\", \"09:00\"]], \"sat\": [[\"22:00\", \"24:00\"]],"
			    " \"sun\": [[\"00:00\", \"00:30\"], [\"01:30\", \"02:30\"],"
			    " [\"02:45\", \"03:10\"], [\"21:00\", \"24:00\"]]}";
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		cb_tz_table tz = {0};
		CB_REQUIRE(cb_tz_load(&tz, zones[z].zone, NULL) == 0);
		cb_ms mid = at(zones[z].around);
		/* holiday: the local date 9 days after the change (a weekday), and
		 * the Monday after the change for half the zones */
		int64_t hol[1];
		int64_t dmid = mid / DAY_MS;
		int64_t monday = dmid + (7 - (int)(((dmid + 3) % 7 + 7) % 7)) % 7;
		hol[0] = monday + (z % 2 ? 0 : 7);
		int64_t y;
		unsigned m, dd;
		cb_civil_from_days(hol[0], &y, &m, &dd);
		char text[1024];
		snprintf(text, sizeof text,
			 "{\"name\": \"r\", \"timezone\": \"%s\", \"hours\": %s,"
			 " \"holidays\": [\"%04d-%02u-%02u\"]}",
			 zones[z].zone, hours, (int)y, m, dd);
		cb_cal *c = cal_from(text);
		CB_REQUIRE(c);
		cb_ms lo = mid - 5 * DAY_MS, hi = mid + 12 * DAY_MS;
		/* cumulative reference by minute */
		size_t nmin = (size_t)((hi - lo) / MIN_MS);
		int64_t *cum = cb_xmalloc((nmin + 1) * sizeof *cum);
		cum[0] = 0;
		for (size_t i = 0; i < nmin; i++)
			cum[i + 1] = cum[i] + (ref_open(&tz, week, nweek, hol, 1, lo + (cb_ms)i * MIN_MS)
						       ? MIN_MS
						       : 0);
		int bad = 0;
		for (int i = 0; i < 1500 && bad < 5; i++) {
			size_t a = (size_t)(rnd() % (nmin + 1)), b = (size_t)(rnd() % (nmin + 1));
			if (b < a) {
				size_t t = a;
				a = b;
				b = t;
			}
			cb_ms got = cb_cal_business_time(c, lo + (cb_ms)a * MIN_MS, lo + (cb_ms)b * MIN_MS);
			if (got != cum[b] - cum[a]) {
				bad++;
				char msg[200];
				snprintf(msg, sizeof msg, "%s: [%zu, %zu) got %lld want %lld", zones[z].zone,
					 a, b, (long long)got, (long long)(cum[b] - cum[a]));
				cb_test_fail(__FILE__, __LINE__, msg);
			}
		}
		CB_CHECK_INT(cb_cal_business_time(c, lo, hi), cum[nmin]);
		cb_free(cum);
		cb_tz_table_clear(&tz);
		cb_cal_free(c);
	}
}

/* ---- compilation range ---- */

CB_TEST(calendar_extends_compiled_range_on_demand)
{
	cb_cal *a = prop_cal(2), *b = prop_cal(2);
	CB_REQUIRE(a && b);
	/* a compiles around 2026 first, then must reach 2012 and 2047 */
	cb_ms t0 = at("2026-05-05T00:00:00Z");
	CB_CHECK(cb_cal_business_time(a, t0, t0 + 7 * DAY_MS) > 0);
	size_t n0 = cb_cal_compiled_intervals(a);
	cb_ms old = at("2012-02-29T10:00:00Z"), far = at("2047-08-01T00:00:00Z");
	cb_ms x = cb_cal_business_time(a, old, far);
	CB_CHECK(cb_cal_compiled_intervals(a) > n0);
	/* b is asked in pieces, in another order */
	cb_ms y = cb_cal_business_time(b, t0, far) + cb_cal_business_time(b, old, t0);
	CB_CHECK_INT(x, y);
	CB_CHECK_INT(cb_cal_business_due(a, old, x), cb_cal_business_due(b, old, x));
	/* a due decades ahead extends forward */
	cb_cal *c = prop_cal(0);
	CB_REQUIRE(c);
	cb_ms d = cb_cal_business_due(c, t0, 20000 * HOUR_MS); /* ~10 years of 40 h weeks */
	CB_CHECK(d > at("2035-01-01T00:00:00Z") && d < at("2037-01-01T00:00:00Z"));
	CB_CHECK_INT(cb_cal_business_time(c, t0, d), 20000 * HOUR_MS);
	/* beyond the supported years: never */
	CB_CHECK_INT(cb_cal_business_due(c, t0, 2000LL * 365 * DAY_MS), CB_CAL_NEVER);
	CB_CHECK_INT(cb_cal_business_due(c, t0, 500LL * 365 * DAY_MS), CB_CAL_NEVER);
	cb_cal_free(a);
	cb_cal_free(b);
	cb_cal_free(c);
}

/* Speed belongs in benchmarks; this only shows 100k dues complete on a
 * 10-year compiled calendar without recompiling. */
CB_TEST(calendar_100k_dues_on_ten_compiled_years)
{
	cb_cal *c = prop_cal(2);
	CB_REQUIRE(c);
	cb_ms lo = at("2026-01-01T00:00:00Z"), hi = at("2036-01-01T00:00:00Z");
	cb_cal_prepare(c, lo, hi);
	size_t n = cb_cal_compiled_intervals(c);
	CB_CHECK(n > 10 * 52 * 4);
	int bad = 0;
	for (int i = 0; i < 100000; i++) {
		cb_ms start = rnd_range(lo, hi - 400 * DAY_MS);
		cb_ms t = (cb_ms)(rnd() % (100 * HOUR_MS));
		cb_ms d = cb_cal_business_due(c, start, t);
		if (d < start || d > hi)
			bad++;
	}
	CB_CHECK_INT(bad, 0);
	CB_CHECK_INT(cb_cal_compiled_intervals(c), n);
	cb_cal_free(c);
}
