/* imap.c - see imap.h. */
#include "mail/imap.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "mail/compose.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CB_IMAP_MAX_MESSAGE (64u << 20)

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	cb_buf *b = arg;
	if (b->len + size * n > CB_IMAP_MAX_MESSAGE)
		return 0; /* aborts the transfer */
	cb_buf_append(b, p, size * n);
	return size * n;
}

static int perform(const cb_imap *box, const char *url, const char *custom, cb_buf *out,
		   cb_err *err)
{
	cb_smtp_global_init();
	CURL *h = curl_easy_init();
	if (!h)
		return cb_err_set(err, CB_E_BUSY, NULL, "curl_easy_init failed");
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (box->user)
		curl_easy_setopt(h, CURLOPT_USERNAME, box->user);
	if (box->password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, box->password);
	if (custom)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, custom);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, box->timeout_s > 0 ? box->timeout_s : 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		return cb_err_set(err, CB_E_BUSY, NULL, "imap: %s%s%s", curl_easy_strerror(rc),
				  *ebuf ? ": " : "", ebuf);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int cb_imap_unseen(const cb_imap *box, int64_t **uids, int *n, cb_err *err)
{
	*uids = NULL;
	*n = 0;
	cb_buf out = {0};
	if (perform(box, box->url, "UID SEARCH UNSEEN", &out, err)) {
		cb_buf_free(&out);
		return -1;
	}
	/* "* SEARCH 3 7 9" (possibly several lines) */
	int cap = 0;
	for (const char *p = out.p ? out.p : ""; (p = strstr(p, "SEARCH")) != NULL;) {
		p += 6;
		while (*p && *p != '\r' && *p != '\n') {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p) {
				p++;
				continue;
			}
			if (v > 0) {
				if (*n == cap) {
					cap = cap ? cap * 2 : 16;
					*uids = cb_xrealloc(*uids, sizeof(int64_t) * (size_t)cap);
				}
				(*uids)[(*n)++] = v;
			}
			p = end;
		}
	}
	cb_buf_free(&out);
	if (*n)
		qsort(*uids, (size_t)*n, sizeof(int64_t), cmp_i64);
	return 0;
}

static char *with_path(const char *url, const char *suffix)
{
	cb_buf b = {0};
	size_t n = strlen(url);
	cb_buf_printf(&b, "%.*s%s", (int)(n && url[n - 1] == '/' ? n - 1 : n), url, suffix);
	return cb_buf_steal(&b);
}

int cb_imap_fetch(const cb_imap *box, int64_t uid, char **raw, size_t *len, cb_err *err)
{
	char suffix[48];
	snprintf(suffix, sizeof suffix, "/;UID=%lld", (long long)uid);
	char *url = with_path(box->url, suffix);
	cb_buf out = {0};
	int rc = perform(box, url, NULL, &out, err);
	cb_free(url);
	if (rc) {
		cb_buf_free(&out);
		return -1;
	}
	*len = out.len;
	*raw = out.p ? cb_buf_steal(&out) : cb_xstrdup("");
	cb_buf_free(&out);
	return 0;
}

int cb_imap_store(const cb_imap *box, int64_t uid, const char *flags, cb_err *err)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "UID STORE %lld %s", (long long)uid, flags);
	cb_buf out = {0};
	int rc = perform(box, box->url, cmd, &out, err);
	cb_buf_free(&out);
	return rc;
}
