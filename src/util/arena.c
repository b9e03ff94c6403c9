/* arena.c - bump allocator in growing blocks, plus a cleanup stack.
 *
 * DESIGN: blocks of at least 16 KiB are chained; an allocation larger than a
 * quarter block gets a block of its own. Memory is returned only by
 * cb_arena_free(). In CB_ARENA_DEBUG builds each allocation is its own
 * malloc'd block so sanitizers can see overruns. */
#include "util/arena.h"
#include "util/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_MIN (16 * 1024)

struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[]; /* payload */
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

struct cb_arena {
	struct block *head;      /* current block (first in chain) */
	struct cleanup *cleanups; /* LIFO */
};

cb_arena *cb_arena_new(void)
{
	return cb_xcalloc(1, sizeof(cb_arena));
}

static struct block *block_new(size_t size)
{
	struct block *b = cb_xmalloc(sizeof(struct block) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *cb_arena_alloc(cb_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
#ifdef CB_ARENA_DEBUG
	struct block *d = block_new(n);
	d->used = n;
	d->next = a->head;
	a->head = d;
	memset(d->data, 0, n);
	return d->data;
#else
	struct block *b = a->head;
	if (!b || b->size - b->used < n) {
		if (n > BLOCK_MIN / 4) {
			/* big allocation: own block, linked behind the current one */
			struct block *big = block_new(n);
			big->used = n;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				a->head = big;
			}
			memset(big->data, 0, n);
			return big->data;
		}
		b = block_new(BLOCK_MIN);
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
#endif
}

char *cb_arena_strndup(cb_arena *a, const char *s, size_t n)
{
	char *p = cb_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cb_arena_strdup(cb_arena *a, const char *s)
{
	return s ? cb_arena_strndup(a, s, strlen(s)) : NULL;
}

char *cb_arena_vprintf(cb_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *p = cb_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *cb_arena_printf(cb_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = cb_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void cb_arena_defer(cb_arena *a, void (*fn)(void *), void *p)
{
	struct cleanup *c = cb_arena_alloc(a, sizeof(*c));
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
}

void cb_arena_free(cb_arena *a)
{
	if (!a)
		return;
	/* cleanups live in the arena: run them all before freeing blocks */
	for (struct cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->p);
	struct block *b = a->head;
	while (b) {
		struct block *n = b->next;
		cb_free(b);
		b = n;
	}
	cb_free(a);
}
