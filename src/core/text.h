/* text.h - tokenizing, Snowball stemming and highlighting for search.
 *
 * Pure (no I/O). Tokens are runs of ASCII letters/digits and non-ASCII
 * bytes (UTF-8), lower-cased, then stemmed with libstemmer's English
 * Snowball stemmer. The search index (store/search.h) holds the stemmed
 * text; queries are stemmed the same way; snippets are cut from the
 * original text. */
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

/* One item of a parsed query: a phrase of stems (a single word is a phrase
 * of one stem: the item matches a document holding these stems
 * consecutively), or a prefix (the item matches a document holding a token
 * that starts with text, or with alt when alt is set). */
typedef struct {
	int prefix;
	char *text; /* phrase: its stems separated by one space; prefix: the prefix */
	char *alt;  /* prefix only: a second prefix (the stem of a word typed in
		     * full that the lower-cased word does not start with), or NULL */
} cb_text_item;

/* A parsed query: its items in the order written. How the items combine
 * (all of them or any) is the caller's choice (store/search.h). */
typedef struct {
	int n;
	cb_text_item item[CB_TEXT_MAX_TERMS];
} cb_text_parsed;

/* Parses a user query: words, "quoted phrases" and prefix* terms (any other
 * punctuation separates words; nothing is an operator). Returns the number
 * of items (0: no term); fills p (release with cb_text_parsed_free) and
 * terms (release with cb_text_terms_free). */
int cb_text_parse(const char *q, cb_text_parsed *p, cb_text_terms *terms);
/* Appends a phrase item of the one stem s (an any-of query built by the
 * caller, e.g. suggestions); ignored when p is full. */
void cb_text_parsed_add(cb_text_parsed *p, const char *stem);
void cb_text_parsed_free(cb_text_parsed *p);
void cb_text_terms_free(cb_text_terms *t);

/* A snippet of about max_tokens tokens of text around the first matching
 * token, HTML-escaped, matches wrapped in <mark>...</mark>. Returns 1 when
 * a token matched, 0 when not (the snippet is then the start of the text).
 * out receives the snippet (cb_free). */
int cb_text_snippet(const char *text, const cb_text_terms *t, int max_tokens, char **out);

/* Whether text contains a token matching the terms. */
int cb_text_matches(const char *text, const cb_text_terms *t);
#endif
