/* arena.h - per-request bump allocator with deferred cleanups.
 *
 * A request allocates everything it needs from its arena and frees it all at
 * once when the response is sent. Resources that are not memory (prepared
 * statements, jansson values, files) register a cleanup with
 * cb_arena_defer(); cleanups run in reverse order of registration.
 *
 * Build with -DCB_ARENA_DEBUG to send every allocation to malloc so that
 * AddressSanitizer and valgrind see overruns of individual allocations. */
#ifndef CB_ARENA_H
#define CB_ARENA_H
#include <stdarg.h>
#include <stddef.h>

typedef struct cb_arena cb_arena;

cb_arena *cb_arena_new(void);
void cb_arena_free(cb_arena *a); /* runs cleanups, frees memory; NULL ok */
void *cb_arena_alloc(cb_arena *a, size_t n);  /* zeroed, 16-aligned */
char *cb_arena_strdup(cb_arena *a, const char *s); /* NULL -> NULL */
char *cb_arena_strndup(cb_arena *a, const char *s, size_t n);
char *cb_arena_printf(cb_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *cb_arena_vprintf(cb_arena *a, const char *fmt, va_list ap);
void cb_arena_defer(cb_arena *a, void (*fn)(void *), void *p);

#endif
