/* text.c - see text.h. */
#include "core/text.h"
#include "util/alloc.h"

#include <libstemmer.h>
#include <pthread.h>
#include <string.h>

/* one stemmer per thread (sb_stemmer is not thread-safe), freed at thread exit */
static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;

static void stem_free(void *p)
{
	sb_stemmer_delete(p);
}

static void stem_init(void)
{
	pthread_key_create(&stem_key, stem_free);
}

static struct sb_stemmer *stemmer(void)
{
	pthread_once(&stem_once, stem_init);
	struct sb_stemmer *s = pthread_getspecific(stem_key);
	if (!s) {
		s = sb_stemmer_new("english", NULL);
		pthread_setspecific(stem_key, s);
	}
	return s;
}

static int is_word(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch >= 0x80;
}

/* Lower-cases and stems token [s, s+n) into buf (NUL-terminated); returns length. */
static size_t stem_token(const char *s, size_t n, char *buf, size_t cap)
{
	char low[256];
	if (n >= sizeof low)
		n = sizeof low - 1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	low[n] = 0;
	struct sb_stemmer *st = stemmer();
	const sb_symbol *r = st ? sb_stemmer_stem(st, (const sb_symbol *)low, (int)n) : NULL;
	size_t len = r ? (size_t)sb_stemmer_length(st) : n;
	const char *src = r ? (const char *)r : low;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, src, len);
	buf[len] = 0;
	return len;
}

static void lower_token(const char *s, size_t n, char *buf, size_t cap)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	buf[n] = 0;
}

void cb_text_stem_into(cb_buf *out, const char *text)
{
	const char *p = text ? text : "";
	char stem[256];
	while (*p) {
		while (*p && !is_word((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && is_word((unsigned char)*p))
			p++;
		if (p > s) {
			size_t n = stem_token(s, (size_t)(p - s), stem, sizeof stem);
			if (out->len)
				cb_buf_append(out, " ", 1);
			cb_buf_append(out, stem, n);
		}
	}
	if (!out->p)
		cb_buf_append(out, "", 0);
}

static void add_term(cb_text_terms *t, const char *s, int prefix)
{
	for (int i = 0; i < t->n; i++)
		if (t->prefix[i] == prefix && strcmp(t->term[i], s) == 0)
			return;
	if (t->n < CB_TEXT_MAX_TERMS) {
		t->term[t->n] = cb_xstrdup(s);
		t->prefix[t->n++] = (unsigned char)prefix;
	}
}

static void item_add(cb_text_parsed *p, int prefix, const char *text, const char *alt)
{
	cb_text_item *it = &p->item[p->n++];
	it->prefix = prefix;
	it->text = cb_xstrdup(text);
	it->alt = alt ? cb_xstrdup(alt) : NULL;
}

int cb_text_parse(const char *q, cb_text_parsed *out, cb_text_terms *terms)
{
	memset(terms, 0, sizeof *terms);
	memset(out, 0, sizeof *out);
	const char *p = q ? q : "";
	char stem[256], low[256];
	while (*p && out->n < CB_TEXT_MAX_TERMS) {
		if (*p == '"') {
			/* phrase: every token stemmed, one item */
			p++;
			cb_buf ph = {0};
			while (*p && *p != '"') {
				while (*p && *p != '"' && !is_word((unsigned char)*p))
					p++;
				const char *s = p;
				while (*p && is_word((unsigned char)*p))
					p++;
				if (p > s) {
					stem_token(s, (size_t)(p - s), stem, sizeof stem);
					if (ph.len)
						cb_buf_append(&ph, " ", 1);
					cb_buf_puts(&ph, stem);
					add_term(terms, stem, 0);
				}
			}
			if (*p == '"')
				p++;
			if (ph.len)
				item_add(out, 0, ph.p, NULL);
			cb_buf_free(&ph);
			continue;
		}
		if (!is_word((unsigned char)*p)) {
			p++;
			continue;
		}
		const char *s = p;
		while (*p && is_word((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - s);
		if (*p == '*') {
			p++;
			lower_token(s, n, low, sizeof low);
			stem_token(s, n, stem, sizeof stem);
			/* the index holds stems: match the word as typed or its stem */
			if (strcmp(low, stem) != 0 && strncmp(low, stem, strlen(stem)) != 0) {
				item_add(out, 1, low, stem);
				add_term(terms, stem, 1);
			} else {
				item_add(out, 1, strlen(stem) < strlen(low) ? stem : low, NULL);
			}
			add_term(terms, low, 1);
		} else {
			stem_token(s, n, stem, sizeof stem);
			item_add(out, 0, stem, NULL);
			add_term(terms, stem, 0);
		}
	}
	if (!out->n)
		cb_text_terms_free(terms);
	return out->n;
}

void cb_text_parsed_add(cb_text_parsed *p, const char *stem)
{
	if (p->n < CB_TEXT_MAX_TERMS)
		item_add(p, 0, stem, NULL);
}

void cb_text_parsed_free(cb_text_parsed *p)
{
	for (int i = 0; i < p->n; i++) {
		cb_free(p->item[i].text);
		cb_free(p->item[i].alt);
	}
	p->n = 0;
}

void cb_text_terms_free(cb_text_terms *t)
{
	for (int i = 0; i < t->n; i++)
		cb_free(t->term[i]);
	t->n = 0;
}

static int token_matches(const char *s, size_t n, const cb_text_terms *t)
{
	char stem[256], low[256];
	stem_token(s, n, stem, sizeof stem);
	lower_token(s, n, low, sizeof low);
	for (int i = 0; i < t->n; i++) {
		size_t k = strlen(t->term[i]);
		if (t->prefix[i]) {
			if (strncmp(low, t->term[i], k) == 0 || strncmp(stem, t->term[i], k) == 0)
				return 1;
		} else if (strcmp(stem, t->term[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

int cb_text_matches(const char *text, const cb_text_terms *t)
{
	const char *p = text ? text : "";
	while (*p) {
		while (*p && !is_word((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && is_word((unsigned char)*p))
			p++;
		if (p > s && token_matches(s, (size_t)(p - s), t))
			return 1;
	}
	return 0;
}

static void escape(cb_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': cb_buf_puts(b, "&lt;"); break;
		case '>': cb_buf_puts(b, "&gt;"); break;
		case '&': cb_buf_puts(b, "&amp;"); break;
		case '"': cb_buf_puts(b, "&quot;"); break;
		case '\n': case '\r': case '\t': cb_buf_append(b, " ", 1); break;
		default: cb_buf_append(b, s + i, 1);
		}
	}
}

int cb_text_snippet(const char *text, const cb_text_terms *t, int max_tokens, char **out)
{
	const char *p = text ? text : "";
	/* find the first match's token index */
	int idx = 0, first = -1;
	const char *q = p;
	while (*q) {
		while (*q && !is_word((unsigned char)*q))
			q++;
		const char *s = q;
		while (*q && is_word((unsigned char)*q))
			q++;
		if (q > s) {
			if (first < 0 && token_matches(s, (size_t)(q - s), t)) {
				first = idx;
				break;
			}
			idx++;
		}
	}
	int start = first > max_tokens / 3 ? first - max_tokens / 3 : 0;
	cb_buf b = {0};
	idx = 0;
	q = p;
	const char *from = NULL; /* start of the snippet's text */
	int emitted = 0;
	if (start > 0)
		cb_buf_puts(&b, "…");
	while (*q) {
		const char *gap = q;
		while (*q && !is_word((unsigned char)*q))
			q++;
		const char *s = q;
		while (*q && is_word((unsigned char)*q))
			q++;
		if (q == s)
			break;
		if (idx++ < start)
			continue;
		if (!from)
			from = s;
		else
			escape(&b, gap, (size_t)(s - gap));
		if (emitted++ >= max_tokens) {
			cb_buf_puts(&b, "…");
			break;
		}
		int m = token_matches(s, (size_t)(q - s), t);
		if (m)
			cb_buf_puts(&b, "<mark>");
		escape(&b, s, (size_t)(q - s));
		if (m)
			cb_buf_puts(&b, "</mark>");
	}
	if (!b.p)
		cb_buf_append(&b, "", 0);
	*out = cb_buf_steal(&b);
	return first >= 0;
}
