/* csv.c - CSV cells, formula neutralising (src/util/csv.c). */
#include "harness.h"
#include "util/buf.h"
#include "util/csv.h"

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
