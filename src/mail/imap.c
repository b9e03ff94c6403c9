/* imap.c - see imap.h. */
#include "mail/imap.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/compose.h"
#include "util/alloc.h"
#include "util/buf.h"

struct cb_imap_session {
	CURL *h;
	curl_socket_t sock;
	long timeout_s;
	int tag;
	cb_buf in;  /* bytes received and not yet consumed, from `pos` */
	size_t pos;
};

/* Untagged response handler: the response's text (literals left out) and
 * its first literal, if any. */
typedef void (*untagged_fn)(void *arg, const char *text, const char *lit, size_t litlen,
			    int truncated);

static int fail(cb_err *err, const char *what, CURLcode rc)
{
	return cb_err_set(err, CB_E_BUSY, NULL, "imap: %s: %s", what, curl_easy_strerror(rc));
}

/* Waits for the socket; 0, or -1 on timeout. */
static int wait_sock(cb_imap_session *s, short events)
{
	struct pollfd p = {.fd = s->sock, .events = events};
	for (;;) {
		int r = poll(&p, 1, (int)(s->timeout_s * 1000));
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0 ? 0 : -1;
	}
}

static int send_all(cb_imap_session *s, const char *p, size_t n, cb_err *err)
{
	while (n) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(s->h, p, n, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(s, POLLOUT))
				return cb_err_set(err, CB_E_BUSY, NULL, "imap: timed out sending");
			continue;
		}
		if (rc != CURLE_OK)
			return fail(err, "send", rc);
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Reads more bytes into s->in. */
static int fill(cb_imap_session *s, cb_err *err)
{
	if (s->pos && s->pos == s->in.len) {
		s->in.len = 0;
		s->pos = 0;
	}
	char buf[65536];
	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(s->h, buf, sizeof buf, &n);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(s, POLLIN))
				return cb_err_set(err, CB_E_BUSY, NULL, "imap: timed out waiting for the server");
			continue;
		}
		if (rc != CURLE_OK)
			return fail(err, "receive", rc);
		if (n == 0)
			return cb_err_set(err, CB_E_BUSY, NULL, "imap: the server closed the connection");
		cb_buf_append(&s->in, buf, n);
		return 0;
	}
}

/* The next line (without CRLF) as a copy, or NULL with err. */
static char *read_line(cb_imap_session *s, cb_err *err)
{
	for (;;) {
		const char *start = s->in.p ? s->in.p + s->pos : NULL;
		const char *nl = start ? memchr(start, '\n', s->in.len - s->pos) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - start);
			char *l = cb_xstrndup(start, n && start[n - 1] == '\r' ? n - 1 : n);
			s->pos += n + 1;
			return l;
		}
		if (s->in.len - s->pos > (1u << 20)) {
			cb_err_set(err, CB_E_BUSY, NULL, "imap: a response line is too long");
			return NULL;
		}
		if (fill(s, err))
			return NULL;
	}
}

/* Reads a literal of n bytes, keeping at most max into *out. */
static int read_literal(cb_imap_session *s, size_t n, size_t max, cb_buf *out, int *truncated,
			cb_err *err)
{
	while (n) {
		if (s->pos == s->in.len && fill(s, err))
			return -1;
		size_t have = s->in.len - s->pos, k = have < n ? have : n;
		size_t keep = out->len < max ? (max - out->len < k ? max - out->len : k) : 0;
		if (keep)
			cb_buf_append(out, s->in.p + s->pos, keep);
		if (keep < k)
			*truncated = 1;
		s->pos += k;
		n -= k;
	}
	return 0;
}

/* "... {123}" at the end of a line: 123, else -1. */
static long long literal_size(const char *l)
{
	size_t n = strlen(l);
	if (n < 3 || l[n - 1] != '}')
		return -1;
	const char *b = strrchr(l, '{');
	if (!b)
		return -1;
	char *end;
	long long v = strtoll(b + 1, &end, 10);
	return end == l + n - 1 && v >= 0 ? v : -1;
}

/* Sends "<tag> <command>" and reads the responses up to the tagged one;
 * untagged ones go to fn. 0 on OK, -1 with err on NO/BAD or trouble. */
static int command(cb_imap_session *s, size_t max_literal, untagged_fn fn, void *arg, cb_err *err,
		   const char *fmt, ...)
{
	char tag[16];
	snprintf(tag, sizeof tag, "c%d", ++s->tag);
	cb_buf cmd = {0};
	cb_buf_printf(&cmd, "%s ", tag);
	va_list ap;
	va_start(ap, fmt);
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cb_buf_printf(&cmd, "%s\r\n", line);
	int rc = send_all(s, cmd.p, cmd.len, err);
	cb_buf_free(&cmd);
	if (rc)
		return -1;
	size_t tl = strlen(tag);
	for (;;) {
		char *l = read_line(s, err);
		if (!l)
			return -1;
		if (!strncmp(l, tag, tl) && l[tl] == ' ') {
			const char *st = l + tl + 1;
			int ok = !strncasecmp(st, "OK", 2);
			if (!ok)
				cb_err_set(err, CB_E_BUSY, NULL, "imap: %.60s: %.200s", line, st);
			cb_free(l);
			return ok ? 0 : -1;
		}
		/* an untagged response, possibly with literals */
		cb_buf text = {0}, lit = {0};
		int have_lit = 0, truncated = 0;
		cb_buf_puts(&text, l);
		long long n = literal_size(l);
		cb_free(l);
		while (n >= 0) {
			cb_buf extra = {0};
			int tr = 0;
			cb_buf *dst = have_lit ? &extra : &lit;
			if (read_literal(s, (size_t)n, have_lit ? 0 : max_literal, dst, have_lit ? &tr : &truncated,
					 err)) {
				cb_buf_free(&extra);
				cb_buf_free(&text);
				cb_buf_free(&lit);
				return -1;
			}
			cb_buf_free(&extra);
			have_lit = 1;
			char *rest = read_line(s, err);
			if (!rest) {
				cb_buf_free(&text);
				cb_buf_free(&lit);
				return -1;
			}
			cb_buf_puts(&text, rest);
			n = literal_size(rest);
			cb_free(rest);
		}
		if (fn && text.p && text.p[0] == '*')
			fn(arg, text.p, have_lit ? (lit.p ? lit.p : "") : NULL, lit.len, truncated);
		cb_buf_free(&text);
		cb_buf_free(&lit);
	}
}

/* The mailbox of the URL's path ("INBOX" when none), decoded. */
static char *mailbox_of(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
	const char *p = path ? path : "";
	while (*p == '/')
		p++;
	size_t n = strcspn(p, ";/");
	char *box = n ? cb_xstrndup(p, n) : cb_xstrdup("INBOX");
	curl_free(path);
	curl_url_cleanup(u);
	return box;
}

int cb_imap_open(const cb_imap *box, cb_imap_session **out, cb_err *err)
{
	*out = NULL;
	cb_smtp_global_init();
	CURL *h = curl_easy_init();
	if (!h)
		return cb_err_set(err, CB_E_BUSY, NULL, "curl_easy_init failed");
	char ebuf[CURL_ERROR_SIZE] = "";
	long t = box->timeout_s > 0 ? box->timeout_s : 60L;
	curl_easy_setopt(h, CURLOPT_URL, box->url);
	if (box->user)
		curl_easy_setopt(h, CURLOPT_USERNAME, box->user);
	if (box->password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, box->password);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L); /* connect, TLS, log in */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, t);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, t);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(h);
		return cb_err_set(err, CB_E_BUSY, NULL, "imap: %s%s%s", curl_easy_strerror(rc),
				  *ebuf ? ": " : "", ebuf);
	}
	cb_imap_session *s = cb_xcalloc(1, sizeof *s);
	s->h = h;
	s->timeout_s = t;
	curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &s->sock);
	char *mb = mailbox_of(box->url);
	cb_buf q = {0};
	for (const char *p = mb; *p; p++) /* a quoted string */
		cb_buf_printf(&q, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	int r = command(s, 0, NULL, NULL, err, "SELECT \"%s\"", q.p ? q.p : "");
	cb_buf_free(&q);
	cb_free(mb);
	if (r) {
		cb_imap_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void cb_imap_close(cb_imap_session *s)
{
	if (!s)
		return;
	cb_err e = {0};
	s->timeout_s = 5;
	command(s, 0, NULL, NULL, &e, "LOGOUT");
	curl_easy_cleanup(s->h);
	cb_buf_free(&s->in);
	cb_free(s);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct uidlist {
	int64_t *v;
	int n, cap;
};

static void on_search(void *arg, const char *text, const char *lit, size_t litlen, int tr)
{
	(void)lit, (void)litlen, (void)tr;
	struct uidlist *u = arg;
	if (strncasecmp(text, "* SEARCH", 8))
		return;
	for (const char *p = text + 8; *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		if (v > 0) {
			if (u->n == u->cap) {
				u->cap = u->cap ? u->cap * 2 : 16;
				u->v = cb_xrealloc(u->v, sizeof(int64_t) * (size_t)u->cap);
			}
			u->v[u->n++] = v;
		}
		p = end;
	}
}

int cb_imap_unseen(cb_imap_session *s, int64_t **uids, int *n, cb_err *err)
{
	struct uidlist u = {0};
	*uids = NULL;
	*n = 0;
	if (command(s, 0, on_search, &u, err, "UID SEARCH UNSEEN")) {
		cb_free(u.v);
		return -1;
	}
	if (u.n)
		qsort(u.v, (size_t)u.n, sizeof(int64_t), cmp_i64);
	*uids = u.v;
	*n = u.n;
	return 0;
}

/* The value after `item` in a FETCH response's text, or -1. */
static long long fetch_item(const char *text, const char *item)
{
	const char *p = strcasestr(text, item);
	if (!p)
		return -1;
	char *end;
	long long v = strtoll(p + strlen(item), &end, 10);
	return end == p + strlen(item) ? -1 : v;
}

struct fetched {
	int64_t uid;
	long long size;
	cb_buf data;
	int got, truncated;
};

static void on_fetch(void *arg, const char *text, const char *lit, size_t litlen, int tr)
{
	struct fetched *f = arg;
	if (!strcasestr(text, " FETCH ") || fetch_item(text, "UID ") != f->uid)
		return;
	long long sz = fetch_item(text, "RFC822.SIZE ");
	if (sz >= 0)
		f->size = sz;
	if (lit && !f->got && strcasestr(text, "BODY[]")) {
		cb_buf_append(&f->data, lit, litlen);
		f->got = 1;
		f->truncated = tr;
	}
}

int cb_imap_size(cb_imap_session *s, int64_t uid, size_t *size, cb_err *err)
{
	struct fetched f = {.uid = uid, .size = -1};
	if (command(s, 0, on_fetch, &f, err, "UID FETCH %lld (RFC822.SIZE)", (long long)uid))
		return -1;
	if (f.size < 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "imap: no message with UID %lld",
				  (long long)uid);
	*size = (size_t)f.size;
	return 0;
}

int cb_imap_fetch(cb_imap_session *s, int64_t uid, size_t max, char **raw, size_t *len,
		  int *truncated, cb_err *err)
{
	struct fetched f = {.uid = uid, .size = -1};
	*raw = NULL;
	*len = 0;
	*truncated = 0;
	if (command(s, max, on_fetch, &f, err, "UID FETCH %lld (BODY.PEEK[])", (long long)uid)) {
		cb_buf_free(&f.data);
		return -1;
	}
	if (!f.got) {
		cb_buf_free(&f.data);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "imap: no message with UID %lld",
				  (long long)uid);
	}
	*len = f.data.len;
	*raw = f.data.p ? cb_buf_steal(&f.data) : cb_xstrdup("");
	*truncated = f.truncated;
	cb_buf_free(&f.data);
	return 0;
}

int cb_imap_store(cb_imap_session *s, int64_t uid, const char *flags, cb_err *err)
{
	return command(s, 0, NULL, NULL, err, "UID STORE %lld %s", (long long)uid, flags);
}
