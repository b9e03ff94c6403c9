/* html.h - escaping text for HTML element content and quoted attributes. */
#ifndef CB_HTML_H
#define CB_HTML_H
#include "util/buf.h"

/* Appends s with & < > " ' escaped. */
void cb_html_escape(cb_buf *b, const char *s);

#endif
