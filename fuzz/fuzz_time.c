/* fuzz_time.c - RFC 3339 parsing (cb_time_parse) and formatting.
 *
 * Input: the text to parse. Invariants: a parsed instant formats to a
 * string that parses back to the same instant and is a fixed point
 * (format(parse(format(t))) == format(t)); the formatted text is at most
 * 24 characters of the canonical shape. The first 8 bytes, read as an
 * instant inside 1970..9999, must survive format then parse. */
#include "common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

#define MAX_INSTANT 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static void canonical_shape(const char *s)
{
	size_t n = strlen(s);
	FUZZ_CHECK(n == 20 || n == 24);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (i == 4 || i == 7)
			FUZZ_CHECK(c == '-');
		else if (i == 10)
			FUZZ_CHECK(c == 'T');
		else if (i == 13 || i == 16)
			FUZZ_CHECK(c == ':');
		else if (i == n - 1)
			FUZZ_CHECK(c == 'Z');
		else if (i == 19)
			FUZZ_CHECK(c == '.');
		else
			FUZZ_CHECK(isdigit((unsigned char)c));
	}
}

static void round_trip(cb_ms t)
{
	char a[64], b[64];
	cb_time_format(t, a, sizeof a);
	canonical_shape(a);
	cb_ms u = -1;
	FUZZ_CHECK(cb_time_parse(a, &u) == 0);
	FUZZ_CHECK(u == t);
	cb_time_format(u, b, sizeof b);
	FUZZ_CHECK(strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	char *s = fuzz_strndup(data, size);
	cb_ms t = 0;
	if (cb_time_parse(s, &t) == 0) {
		/* what the parser accepts is an instant the system can print and
		 * read back: inside 1970-01-01 .. 9999-12-31 UTC */
		FUZZ_CHECK(t >= 0 && t <= MAX_INSTANT);
		round_trip(t);
	}
	free(s);

	if (size >= 8) {
		uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v = v << 8 | data[i];
		round_trip((cb_ms)(v % (uint64_t)(MAX_INSTANT + 1)));
	}
	return 0;
}
