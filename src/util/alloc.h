/* alloc.h - the one allocation policy: allocation failure aborts.
 *
 * Every heap allocation outside arenas goes through these wrappers, so an
 * out-of-memory condition is reported once and never half-handled. */
#ifndef CB_ALLOC_H
#define CB_ALLOC_H
#include <stddef.h>

void *cb_xmalloc(size_t n);
void *cb_xcalloc(size_t n, size_t size);
void *cb_xrealloc(void *p, size_t n);
char *cb_xstrdup(const char *s);
char *cb_xstrndup(const char *s, size_t n);
void cb_free(void *p);

#endif
