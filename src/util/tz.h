/* tz.h - IANA time zones from the system tz database, through libical, and
 * holiday dates from iCalendar feeds.
 *
 * How core/ gets zone data without calling libical: a zone is handed over
 * as plain data, a cb_tz_table (the UTC offset in force before the first
 * transition, then every instant at which the offset changes). core/ builds
 * a calendar through a cb_tz_loader callback given by its caller: app/ and
 * api/ pass cb_tz_load (this file, libical), tests may pass a synthetic
 * loader. The calendar copies the table once, at construction; from then on
 * all business-time math is pure arithmetic on that copy.
 *
 * The table covers CB_TZ_FIRST_YEAR .. CB_TZ_LAST_YEAR (UTC). Before it the
 * initial offset is assumed, after it the last one (no DST after 2100).
 *
 * Source of truth: libical with icaltimezone_set_builtin_tzdata(0), so zones
 * come from /usr/share/zoneinfo (Debian's tzdata, kept current by the OS),
 * never from libical's bundled copy. Tables are cached per zone for the life
 * of the process (restart to pick up a tzdata update). Every function here
 * is thread-safe (one lock around all libical calls).
 *
 * cb_tz_load, cb_tz_valid and cb_tz_holidays_from_ics read files and must not
 * be called from core/; the types are plain data and may be used anywhere. */
#ifndef CB_TZ_H
#define CB_TZ_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/timeutil.h"

#define CB_TZ_FIRST_YEAR 1970
#define CB_TZ_LAST_YEAR 2100

/* From `at` on (UTC), local time = UTC + offset_s. */
typedef struct {
	cb_ms at;
	int32_t offset_s; /* seconds east of UTC */
} cb_tz_transition;

/* A zone's offsets. Plain memory: `v` is allocated with cb_xmalloc and owned
 * by whoever holds the table (release with cb_free or cb_tz_table_clear). */
typedef struct {
	int32_t initial_offset_s; /* offset before v[0].at (or always, if n == 0) */
	size_t n;                 /* number of transitions */
	cb_tz_transition *v;      /* sorted by `at`, strictly increasing */
} cb_tz_table;

/* Fills *out (caller owns out->v) with the offsets of `zone`. Returns 0, or
 * -1 when the zone is unknown (*out untouched). */
typedef int (*cb_tz_loader)(cb_tz_table *out, const char *zone, void *payload);

/* The system loader (payload unused): an IANA name such as
 * "America/New_York" or "UTC". Names are checked for shape (no "..", no
 * leading '/', [A-Za-z0-9_+-/] only, at most 64 bytes) before any file is
 * read. Matches cb_tz_loader. */
int cb_tz_load(cb_tz_table *out, const char *zone, void *payload);
/* 1 when `zone` is a known IANA zone, else 0. */
int cb_tz_valid(const char *zone);
/* Releases t->v and empties the table (accepts NULL). */
void cb_tz_table_clear(cb_tz_table *t);

/* Holiday dates from an iCalendar text (RFC 5545), via libical's parser.
 * Each all-day VEVENT (DTSTART;VALUE=DATE) gives its DTSTART date and, when
 * DTEND (exclusive) or DURATION says it lasts several days, every day it
 * covers; RRULE and RDATE occurrences are expanded and EXDATE removed.
 * Timed events are ignored: a holiday closes a whole local date. Only dates
 * in years year_from..year_to (inclusive) are kept.
 * @param[out] out  sorted, distinct days since 1970-01-01 (cb_free); NULL if none
 * @param[out] n    how many
 * @return 0, or -1 with CB_E_INVALID on field "ics" (not an iCalendar text,
 *         an event without a valid DTSTART, an event ending before it starts,
 *         an event longer than 366 days, a bad RRULE or one repeating more
 *         often than daily). */
int cb_tz_holidays_from_ics(int64_t **out, size_t *n, const char *ics, int year_from,
			    int year_to, cb_err *err);

#endif
