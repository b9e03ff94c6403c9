/* buf.h - growable byte string (heap), for building responses and SQL. */
#ifndef CB_BUF_H
#define CB_BUF_H
#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *p;    /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
} cb_buf;

void cb_buf_append(cb_buf *b, const void *s, size_t n);
void cb_buf_puts(cb_buf *b, const char *s);
void cb_buf_printf(cb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *cb_buf_steal(cb_buf *b); /* caller frees with cb_free; buffer reset */
void cb_buf_free(cb_buf *b);

#endif
