/* fuzz_cursor.c - pagination query parameters: cb_api_page (limit, cursor)
 * and the cursor codec (cb_api_cursor / cb_api_cursor_decode).
 *
 * Input: "limit" value, a newline, "cursor" value (either may be absent:
 * a first byte of 0x01 leaves limit out, a missing newline leaves the cursor
 * out). Invariants: an accepted page has 1 <= limit <= 500 and after >= 0;
 * an accepted cursor is canonical up to leading zeros, i.e. it re-encodes
 * to itself (so two different cursors never name the same id); and
 * decode(encode(x)) == x for every valid id x (the first 8 bytes, reduced
 * to 1..INT64_MAX). */
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static void check_canonical(cb_req *req, const char *s, int64_t v)
{
	FUZZ_CHECK(v > 0);
	const char *digits = s + 1;
	while (digits[0] == '0' && digits[1])
		digits++;
	const char *enc = cb_api_cursor(req, v);
	FUZZ_CHECK(enc[0] == 'c');
	FUZZ_CHECK(strcmp(enc + 1, digits) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	char *s = fuzz_strndup(data, size);
	cb_req req = {0};
	req.arena = cb_arena_new();
	req.path = "/api/v1/tickets";

	const char *limit = s, *cursor = NULL;
	char *nl = memchr(s, '\n', size);
	if (nl) {
		*nl = '\0';
		cursor = nl + 1;
	}
	if (limit[0] == '\x01')
		limit = NULL;
	if (limit) {
		req.query[req.nquery].key = "limit";
		req.query[req.nquery++].value = limit;
	}
	if (cursor) {
		req.query[req.nquery].key = "cursor";
		req.query[req.nquery++].value = cursor;
	}

	int lim = -1;
	int64_t after = -1;
	cb_err err = {0};
	if (cb_api_page(&req, &lim, &after, &err) == 0) {
		FUZZ_CHECK(err.code == CB_OK);
		FUZZ_CHECK(lim >= 1 && lim <= 500);
		FUZZ_CHECK(after >= 0);
		if (cursor && *cursor)
			check_canonical(&req, cursor, after);
		else
			FUZZ_CHECK(after == 0);
	} else {
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_BADREQ);
	}

	/* the codec on its own, on the raw text */
	int64_t v = 0;
	if (cb_api_cursor_decode(s, &v) == 0)
		check_canonical(&req, s, v);

	/* decode(encode(x)) == x */
	if (size >= 8) {
		uint64_t x = 0;
		for (int i = 0; i < 8; i++)
			x = x << 8 | data[i];
		int64_t id = (int64_t)(x % (uint64_t)INT64_MAX) + 1;
		char *enc = cb_api_cursor(&req, id);
		int64_t back = 0;
		FUZZ_CHECK(cb_api_cursor_decode(enc, &back) == 0);
		FUZZ_CHECK(back == id);
	}
	cb_arena_free(req.arena);
	free(s);
	return 0;
}
