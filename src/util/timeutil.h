/* timeutil.h - instants are int64 UTC milliseconds; RFC 3339 in and out.
 *
 * Parsing and formatting are pure. cb_now_ms() reads the clock and must not
 * be called from core/. */
#ifndef CB_TIMEUTIL_H
#define CB_TIMEUTIL_H
#include <stdint.h>
#include <stddef.h>

typedef int64_t cb_ms;

/* Parses "2026-03-06T21:30:00Z", with optional fraction and numeric offset
 * ("+01:00"). Returns 0 and the instant in *out, -1 if malformed. */
int cb_time_parse(const char *s, cb_ms *out);
/* Formats as "2026-03-06T21:30:00Z" (milliseconds only when non-zero). buf >= 32. */
void cb_time_format(cb_ms t, char *buf, size_t n);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t cb_days_from_civil(int64_t y, unsigned m, unsigned d);
void cb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
cb_ms cb_now_ms(void);

#endif
