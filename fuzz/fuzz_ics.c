/* fuzz_ics.c - iCalendar holiday feeds (POST /calendars/{id}/holidays):
 * cb_tz_holidays_from_ics, i.e. libical's parser plus the VEVENT, DTEND,
 * DURATION, RDATE, EXDATE and RRULE handling around it.
 *
 * Input: the iCalendar text (cut at the first NUL, as a request body
 * string would be). The years kept are 2025..2031, as the API keeps for a
 * request made in 2026. Invariants: a success gives sorted, distinct days
 * inside the kept years (NULL exactly when there are none); a failure is
 * CB_E_INVALID on field "ics" with nothing returned. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/timeutil.h"
#include "util/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	char *text = fuzz_strndup(data, size);
	int64_t *days = (int64_t *)1;
	size_t n = 12345;
	cb_err err = {0};
	const int y0 = 2025, y1 = 2031;
	int rc = cb_tz_holidays_from_ics(&days, &n, text, y0, y1, &err);
	fuzz_note_err("ics", rc, &err);
	uint64_t sum = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		sum = sum * 31 + (uint64_t)days[i];
	fuzz_note("  %zu days, first %lld, last %lld, hash %llx", n, n ? (long long)days[0] : 0,
		  n ? (long long)days[n - 1] : 0, (unsigned long long)sum);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID);
		FUZZ_CHECK(days == NULL && n == 0);
	} else {
		FUZZ_CHECK(err.code == CB_OK);
		FUZZ_CHECK((days == NULL) == (n == 0));
		int64_t from = cb_days_from_civil(y0, 1, 1), to = cb_days_from_civil(y1 + 1, 1, 1);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(days[i] >= from && days[i] < to);
			if (i)
				FUZZ_CHECK(days[i] > days[i - 1]);
		}
	}
	cb_free(days);
	free(text);
	return 0;
}
