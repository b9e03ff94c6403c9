/* arena.c - the request arena: allocations and deferred cleanups (src/util/arena.c). */
#include "harness.h"
#include "util/arena.h"

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
