/* util.c - tests of src/util: time parsing/formatting, arena, buffers. */
#include "harness.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/safename.h"
#include "app/ticket/upload.h"
#include "util/err.h"
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

CB_TEST(arena_alloc_and_cleanups)
{
	static int ran;
	ran = 0;
	cb_arena *a = cb_arena_new();
	char *s = cb_arena_printf(a, "%s-%d", "x", 42);
	CB_CHECK_STR(s, "x-42");
	char *big = cb_arena_alloc(a, 100000);
	big[99999] = 1;
	for (int i = 0; i < 2000; i++)
		CB_CHECK(cb_arena_alloc(a, 24) != NULL);
	void inc(void *p);
	cb_arena_defer(a, inc, &ran);
	cb_arena_defer(a, inc, &ran);
	cb_arena_free(a);
	CB_CHECK_INT(ran, 2);
}

void inc(void *p)
{
	(*(int *)p)++;
}

CB_TEST(buf_printf_grows)
{
	cb_buf b = {0};
	for (int i = 0; i < 1000; i++)
		cb_buf_printf(&b, "%d,", i);
	CB_CHECK(b.len > 3000);
	CB_CHECK(strncmp(b.p, "0,1,2,", 6) == 0);
	cb_buf_free(&b);
}

CB_TEST(err_keeps_first_error)
{
	cb_err e = {0};
	cb_err_set(&e, CB_E_NOTFOUND, "a", "first");
	cb_err_set(&e, CB_E_INTERNAL, "b", "second");
	CB_CHECK_INT(e.code, CB_E_NOTFOUND);
	CB_CHECK_STR(e.message, "first");
	CB_CHECK_INT(cb_err_http_status(CB_E_INVALID), 422);
}

CB_TEST(csv_cells_neutralise_formulas)
{
	struct { const char *in, *out; } cases[] = {
		{"plain", "plain"},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
		{"+1", "\"'+1\""},
		{"-2+3", "\"'-2+3\""},
		{"@SUM(A1)", "\"'@SUM(A1)\""},
		{"\tx", "\"'\tx\""},
		{"\rx", "\"'\rx\""},
		{"a=b", "a=b"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cb_buf b = {0};
		cb_csv_text(&b, cases[i].in);
		CB_CHECK_STR(b.p ? b.p : "", cases[i].out);
		cb_buf_free(&b);
	}
	/* numbers stay numbers */
	cb_buf b = {0};
	cb_csv_int(&b, -3);
	cb_buf_puts(&b, ",");
	cb_csv_real(&b, -0.25);
	CB_CHECK_STR(b.p, "-3,-0.25");
	cb_buf_free(&b);
}

CB_TEST(file_names_unsafe_characters)
{
	const char *bad[] = {"a\x01" "b", "a\x7f" "b", "a\xc2\x85" "b", "invoice_\xe2\x80\xae" "fdp.exe",
			     "\xe2\x80\xaa", "\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x80\x8f", "\xd8\x9c"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CB_CHECK(cb_name_has_unsafe(bad[i]));
	const char *good[] = {"report.pdf", "r\xc3\xa9sum\xc3\xa9.pdf", "\xd7\xa9\xd7\x9c.txt",
			      "\xe2\x80\x94" "dash", "\xe2\x82\xac.csv"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CB_CHECK(!cb_name_has_unsafe(good[i]));
	char s[] = "invoice_\xe2\x80\xae" "fdp.exe\x01\xc2\x85x";
	cb_name_clean(s);
	CB_CHECK_STR(s, "invoice__fdp.exe__x");
}

CB_TEST(media_type_inline_compares_the_type)
{
	char mt[64];
	CB_CHECK(!cb_media_inline("image/svg+xml; charset=utf-8", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("IMAGE/SVG+XML", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/svg+xml", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/pngx", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("image/png x", mt, sizeof mt));
	CB_CHECK(!cb_media_inline("text/html", mt, sizeof mt));
	CB_CHECK(!cb_media_inline(NULL, mt, sizeof mt));
	CB_REQUIRE(cb_media_inline(" Image/PNG ; name=a", mt, sizeof mt));
	CB_CHECK_STR(mt, "image/png");
	CB_REQUIRE(cb_media_inline("image/jpeg", mt, sizeof mt));
	CB_CHECK_STR(mt, "image/jpeg");
}
