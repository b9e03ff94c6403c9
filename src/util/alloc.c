/* alloc.c - aborting allocation wrappers (see alloc.h). */
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "casebook: out of memory allocating %zu bytes\n", n);
	abort();
}

void *cb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *cb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *cb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *cb_xstrdup(const char *s)
{
	return cb_xstrndup(s, strlen(s));
}

char *cb_xstrndup(const char *s, size_t n)
{
	char *p = cb_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void cb_free(void *p)
{
	free(p);
}
