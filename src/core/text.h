/* text.h - tokenizing, Snowball stemming and highlighting for search.
 *
 * Pure (no I/O). Tokens are runs of ASCII letters/digits and non-ASCII
 * bytes (UTF-8), lower-cased, then stemmed with libstemmer's English
 * Snowball stemmer. The FTS5 index stores the stemmed text; queries are
 * stemmed the same way; snippets are cut from the original text. */
#ifndef CB_TEXT_H
#define CB_TEXT_H
#include <stddef.h>
#include "util/buf.h"

/* Appends the stemmed tokens of text, separated by spaces. */
void cb_text_stem_into(cb_buf *out, const char *text);

/* The terms of a parsed query, for highlighting. */
#define CB_TEXT_MAX_TERMS 32
typedef struct {
	int n;
	char *term[CB_TEXT_MAX_TERMS]; /* stem, or lower-cased prefix */
	unsigned char prefix[CB_TEXT_MAX_TERMS];
} cb_text_terms;

/* Parses a user query: words, "quoted phrases" and prefix* terms. Returns
 * the FTS5 MATCH expression (cb_free) or NULL when there is no term; fills
 * terms (release with cb_text_terms_free). */
char *cb_text_query(const char *q, cb_text_terms *terms);
void cb_text_terms_free(cb_text_terms *t);

/* A snippet of about max_tokens tokens of text around the first matching
 * token, HTML-escaped, matches wrapped in <mark>...</mark>. Returns 1 when
 * a token matched, 0 when not (the snippet is then the start of the text).
 * out receives the snippet (cb_free). */
int cb_text_snippet(const char *text, const cb_text_terms *t, int max_tokens, char **out);

/* Whether text contains a token matching the terms. */
int cb_text_matches(const char *text, const cb_text_terms *t);
#endif
