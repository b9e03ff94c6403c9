/* calendar.h - business calendars and business time (docs/metrics.md section 2).
 * Pure: no I/O, no clock; instants are passed in.
 *
 * A calendar is an IANA zone, weekly open hours (per weekday, zero or more
 * [start, end) local minutes; end may be 24:00) and holidays (local dates,
 * closed all day). Business time counts the instants whose local wall time
 * falls inside an open interval of their own local date, with the zone's
 * real offsets: the skipped hour of a spring-forward day is absent, the
 * repeated hour of a fall-back day counts twice when open, and both halves
 * of an overnight window written 22:00-24:00 / 00:00-06:00 belong to their
 * own dates (a holiday closes only its own date's half).
 *
 * Zone data: core never calls libical. The caller passes a cb_tz_loader
 * (util/tz.h; app/ and api/ pass cb_tz_load) that fills a plain table of
 * UTC offset transitions; the calendar copies it once at construction.
 *
 * Compilation: on demand, whole local years are compiled into one sorted
 * array of disjoint UTC open intervals with prefix sums of open
 * milliseconds. The first query compiles its year - 1 .. year + 3; a query
 * outside the compiled range recompiles a range at least twice as large in
 * that direction (amortised, rare). Queries are then two binary searches:
 * business_time and business_due are O(log n). Compiled years are bounded
 * to CB_CAL_MIN_YEAR .. CB_CAL_MAX_YEAR; time outside counts as closed.
 *
 * Queries compile lazily and so modify the calendar: a cb_cal is not safe
 * for concurrent use; give each thread (or request) its own, or lock. */
#ifndef CB_CORE_CALENDAR_H
#define CB_CORE_CALENDAR_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/tz.h"

#define CB_CAL_24X7 "24x7" /* name of the built-in always-open calendar */
#define CB_CAL_NEVER INT64_MAX /* business_due when the target cannot be reached */
#define CB_CAL_MIN_YEAR 1900
#define CB_CAL_MAX_YEAR 2999

typedef struct cb_cal cb_cal;

/* Parses and validates the API shape
 *   {"name": "ny-business", "timezone": "America/New_York",
 *    "hours": {"mon": [["09:00", "17:00"]], ..., "sun": []},
 *    "holidays": ["2026-12-25"]}
 * name, timezone and hours are required; days missing from hours are
 * closed; holidays is optional. Unknown keys are rejected. The zone is
 * resolved with load(…, payload) (required; cb_tz_load outside tests).
 * @param[out] out  the calendar (cb_cal_free), NULL on error
 * @return 0, or -1 with CB_E_INVALID and one item per problem, each with its
 *         field path: "name" (missing, reserved "24x7"), "timezone"
 *         (unknown), "hours" (not an object, no open hours at all),
 *         "hours.xyz" (unknown day), "hours.mon[1]" (malformed "HH:MM",
 *         24:00 as a start, empty, reversed, overlapping an earlier
 *         interval), "holidays[2]" (not a real YYYY-MM-DD date), "<key>"
 *         (unknown key). */
int cb_cal_from_json(cb_cal **out, json_t *doc, cb_tz_loader load, void *payload,
		     cb_err *err);
/* The calendar in the same shape: all seven days mon..sun (closed days as
 * []), intervals sorted, holidays sorted and distinct. New reference. */
json_t *cb_cal_to_json(const cb_cal *cal);
/* The built-in always-open calendar "24x7" (zone UTC): business time equals
 * calendar time. */
int cb_cal_24x7(cb_cal **out);
void cb_cal_free(cb_cal *cal); /* accepts NULL */

const char *cb_cal_name(const cb_cal *cal);     /* borrowed */
const char *cb_cal_timezone(const cb_cal *cal); /* borrowed */
/* 1 when `name` is the reserved built-in name (compared case-insensitively). */
int cb_cal_is_reserved_name(const char *name);

/* Adds holidays (local dates as days since 1970-01-01, e.g. from
 * cb_tz_holidays_from_ics) and drops the compiled cache. -1 with
 * CB_E_INVALID on "holidays" for the 24x7 calendar. */
int cb_cal_add_holidays(cb_cal *cal, const int64_t *days, size_t n, cb_err *err);

/* Milliseconds of [a, b) inside open hours (0 when b <= a). O(log n) once
 * the years of a and b are compiled. */
cb_ms cb_cal_business_time(cb_cal *cal, cb_ms a, cb_ms b);
/* The earliest d >= start with business_time(start, d) == t (start when
 * t <= 0); CB_CAL_NEVER if not reached before CB_CAL_MAX_YEAR ends. */
cb_ms cb_cal_business_due(cb_cal *cal, cb_ms start, cb_ms t);
/* Compiles at least the local years containing from .. to ahead of use. */
void cb_cal_prepare(cb_cal *cal, cb_ms from, cb_ms to);
/* Number of compiled UTC open intervals (for tests and metrics). */
size_t cb_cal_compiled_intervals(const cb_cal *cal);

#endif
