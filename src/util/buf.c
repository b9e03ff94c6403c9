/* buf.c - growable byte string (see buf.h). */
#include "util/buf.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

static void reserve(cb_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->p = cb_xrealloc(b->p, cap);
	b->cap = cap;
}

void cb_buf_append(cb_buf *b, const void *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cb_buf_puts(cb_buf *b, const char *s)
{
	cb_buf_append(b, s, strlen(s));
}

void cb_buf_printf(cb_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n > 0) {
		reserve(b, (size_t)n);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		b->len += (size_t)n;
	}
	va_end(ap);
}

char *cb_buf_steal(cb_buf *b)
{
	if (!b->p)
		reserve(b, 0), b->p[0] = '\0';
	char *p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void cb_buf_free(cb_buf *b)
{
	cb_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
