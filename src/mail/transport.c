/* transport.c - see transport.h. */
#include "mail/transport.h"

#include <curl/curl.h>
#include <stddef.h>
#include <string.h>

#include "mail/compose.h"
#include "util/alloc.h"

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	cb_buf *b = arg;
	if (b->len < 64 * 1024)
		cb_buf_append(b, p, size * n);
	return size * n;
}

int cb_mail_post_inbound(const char *server, const char *token, const char *raw, size_t len,
			 long timeout_s, long *status, cb_buf *answer)
{
	*status = 0;
	cb_smtp_global_init();
	CURL *h = curl_easy_init();
	if (!h) {
		cb_buf_puts(answer, "curl_easy_init failed");
		return -1;
	}
	cb_buf url = {0}, auth = {0};
	size_t sl = strlen(server);
	cb_buf_printf(&url, "%.*s/api/v1/mail/inbound", (int)(sl && server[sl - 1] == '/' ? sl - 1 : sl),
		      server);
	cb_buf_printf(&auth, "Authorization: Bearer %s", token);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: message/rfc822");
	hdr = curl_slist_append(hdr, auth.p);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, raw);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "casebook-mail-ingest/" CB_VERSION);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	else
		cb_buf_printf(answer, "%s: %s", url.p, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	cb_buf_free(&url);
	cb_buf_free(&auth);
	return rc == CURLE_OK ? 0 : -1;
}

char *cb_form_value(const char *body, size_t len, const char *key)
{
	size_t kl = strlen(key);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if ((size_t)(e - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			char *raw = cb_xstrndup(p + kl + 1, (size_t)(e - p - (ptrdiff_t)kl - 1));
			for (char *q = raw; *q; q++)
				if (*q == '+')
					*q = ' ';
			int n = 0;
			char *dec = curl_easy_unescape(NULL, raw, 0, &n);
			cb_free(raw);
			char *r = dec ? cb_xstrndup(dec, (size_t)n) : NULL;
			curl_free(dec);
			return r;
		}
		p = e + 1;
	}
	return NULL;
}
