/* csv.c - CSV cells (see csv.h). */
#include "util/csv.h"

#include <string.h>

void cb_csv_text(cb_buf *b, const char *s)
{
	int formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
	if (!formula && !strpbrk(s, ",\"\r\n")) {
		cb_buf_puts(b, s);
		return;
	}
	cb_buf_puts(b, "\"");
	if (formula)
		cb_buf_puts(b, "'");
	for (; *s; s++) {
		if (*s == '"')
			cb_buf_puts(b, "\"");
		cb_buf_append(b, s, 1);
	}
	cb_buf_puts(b, "\"");
}

void cb_csv_int(cb_buf *b, int64_t v)
{
	cb_buf_printf(b, "%lld", (long long)v);
}

void cb_csv_real(cb_buf *b, double v)
{
	cb_buf_printf(b, "%.15g", v);
}
