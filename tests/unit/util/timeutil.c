/* timeutil.c - time parsing and formatting, civil dates (src/util/timeutil.c). */
#include "harness.h"
#include "util/timeutil.h"

CB_TEST(time_parse_format_roundtrip)
{
	cb_ms t = 0;
	CB_REQUIRE(cb_time_parse("2026-03-06T21:30:00Z", &t) == 0);
	CB_CHECK_INT(t, 1772832600000LL);
	char buf[40];
	cb_time_format(t, buf, sizeof buf);
	CB_CHECK_STR(buf, "2026-03-06T21:30:00Z");
	CB_REQUIRE(cb_time_parse("2026-03-06T16:30:00.250-05:00", &t) == 0);
	CB_CHECK_INT(t, 1772832600250LL);
	cb_time_format(t, buf, sizeof buf);
	CB_CHECK_STR(buf, "2026-03-06T21:30:00.250Z");
}

CB_TEST(time_parse_rejects_malformed)
{
	cb_ms t;
	const char *bad[] = {"", "2026-03-06", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
			     "2026-03-06T24:00:00Z", "2026-03-06T21:30:00", "2026-03-06T21:30:00Zx",
			     "2026-03-06T21:30:00+5", "abcd-03-06T21:30:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CB_CHECK(cb_time_parse(bad[i], &t) == -1);
	CB_CHECK(cb_time_parse("2024-02-29T00:00:00Z", &t) == 0);
}

CB_TEST(civil_days_roundtrip)
{
	for (int64_t z = -1000; z < 200000; z += 37) {
		int64_t y;
		unsigned m, d;
		cb_civil_from_days(z, &y, &m, &d);
		CB_CHECK_INT(cb_days_from_civil(y, m, d), z);
	}
}
