/* html.c - see html.h. */
#include "util/html.h"

void cb_html_escape(cb_buf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&': cb_buf_puts(b, "&amp;"); break;
		case '<': cb_buf_puts(b, "&lt;"); break;
		case '>': cb_buf_puts(b, "&gt;"); break;
		case '"': cb_buf_puts(b, "&quot;"); break;
		case '\'': cb_buf_puts(b, "&#39;"); break;
		default: cb_buf_append(b, p, 1);
		}
	}
}
