/* compose.c - building and sending mail (see compose.h). */
#include "mail/compose.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "mail/message.h"
#include "util/alloc.h"
#include "util/buf.h"

static void set_ids(GMimeObject *o, const char *name, const char *const *ids, int n)
{
	cb_buf b = {0};
	for (int i = 0; i < n; i++)
		cb_buf_printf(&b, "%s<%s>", i ? " " : "", ids[i]);
	if (b.len)
		g_mime_object_set_header(o, name, b.p, NULL);
	cb_buf_free(&b);
}

char *cb_mail_compose(const cb_mail_out *o, size_t *len)
{
	cb_mail_init();
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeObject *mo = GMIME_OBJECT(msg);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, o->from_name ? o->from_name : "",
				   o->from_addr);
	for (int i = 0; i < o->nto; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, "", o->to[i]);
	g_mime_message_set_subject(msg, o->subject ? o->subject : "", "utf-8");
	GDateTime *d = g_date_time_new_from_unix_utc(o->date / 1000);
	g_mime_message_set_date(msg, d);
	g_date_time_unref(d);
	g_mime_message_set_message_id(msg, o->message_id);
	if (o->in_reply_to)
		set_ids(mo, "In-Reply-To", &o->in_reply_to, 1);
	set_ids(mo, "References", o->references, o->nreferences);
	if (o->thread_topic)
		g_mime_object_set_header(mo, "Thread-Topic", o->thread_topic, "utf-8");
	if (o->thread_index)
		g_mime_object_set_header(mo, "Thread-Index", o->thread_index, NULL);
	if (o->auto_generated)
		g_mime_object_set_header(mo, "Auto-Submitted", "auto-generated", NULL);
	/* ask Exchange/Outlook not to answer with out-of-office replies */
	g_mime_object_set_header(mo, "X-Auto-Response-Suppress", "OOF, AutoReply", NULL);

	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_text_part_set_text(tp, o->text ? o->text : "");
	g_mime_part_set_content_encoding(GMIME_PART(tp), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(tp));
	g_object_unref(tp);

	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	char *s = g_mime_object_to_string(mo, fo);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	*len = strlen(s);
	char *r = cb_xstrndup(s, *len);
	g_free(s);
	return r;
}

/* FILETIME: 100 ns units since 1601-01-01. */
static uint64_t filetime(cb_ms t)
{
	return ((uint64_t)t + 11644473600000ULL) * 10000ULL;
}

void cb_mail_thread_index(cb_ms start, const unsigned char guid[16], const cb_ms *replies,
			  int nreplies, char *out, size_t outlen)
{
	unsigned char b[22 + 5 * 32];
	if (nreplies > 32)
		nreplies = 32;
	/* the header keeps the top 40 bits of the FILETIME (the low 24 are
	 * dropped); child blocks count from that truncated instant */
	uint64_t hdr = filetime(start) & ~(((uint64_t)1 << 24) - 1);
	b[0] = 1; /* reserved, as Outlook writes it */
	for (int i = 0; i < 5; i++)
		b[1 + i] = (unsigned char)(hdr >> (56 - 8 * i));
	memcpy(b + 6, guid, 16);
	size_t n = 22;
	for (int r = 0; r < nreplies; r++) {
		uint64_t ft = filetime(replies[r]);
		uint64_t delta = ft > hdr ? ft - hdr : 0;
		/* high bit 0: delta bits 48..18; 1: bits 53..23 (long gaps) */
		uint32_t v = delta < ((uint64_t)1 << 49)
				     ? (uint32_t)((delta >> 18) & 0x7fffffff)
				     : (uint32_t)(1u << 31) | (uint32_t)((delta >> 23) & 0x7fffffff);
		b[n++] = (unsigned char)(v >> 24);
		b[n++] = (unsigned char)(v >> 16);
		b[n++] = (unsigned char)(v >> 8);
		b[n++] = (unsigned char)v;
		b[n++] = (unsigned char)(r & 0x0f); /* random nibble 0, sequence nibble */
	}
	sodium_bin2base64(out, outlen, b, n, sodium_base64_VARIANT_ORIGINAL);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cb_smtp_global_init(void)
{
	pthread_once(&curl_once, curl_init);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t reader(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;
	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The SMTP conversation as libcurl logs it (CURLOPT_DEBUGFUNCTION): each
 * "RCPT TO:" sent is matched with the final line of the reply that follows,
 * libcurl sending one RCPT at a time and in order. */
struct conversation {
	cb_smtp_rcpt *rcpt;
	int nto, sent; /* RCPT commands sent so far */
	int waiting;   /* the reply to RCPT number `sent` - 1 is due */
};

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	(void)h;
	struct conversation *cv = arg;
	if (type == CURLINFO_HEADER_OUT && size >= 8 && !strncasecmp(data, "RCPT TO:", 8)) {
		cv->sent++;
		cv->waiting = cv->sent <= cv->nto;
	} else if (type == CURLINFO_HEADER_IN && cv->waiting && size >= 3) {
		if (size > 3 && data[3] == '-')
			return 0; /* a continuation line */
		cb_smtp_rcpt *r = &cv->rcpt[cv->sent - 1];
		r->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
		size_t n = size;
		while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
			n--;
		snprintf(r->reply, sizeof r->reply, "%.*s", (int)n, data);
		cv->waiting = 0;
	}
	return 0;
}

#if LIBCURL_VERSION_NUM >= 0x080200
#define CB_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define CB_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS /* the name before 8.2 */
#endif

int cb_smtp_send(const cb_smtp *srv, const char *from, const char *const *to, int nto,
		 const char *raw, size_t len, cb_smtp_rcpt *rcpt, cb_err *err)
{
	cb_smtp_global_init();
	memset(rcpt, 0, sizeof *rcpt * (size_t)nto);
	CURL *h = curl_easy_init();
	if (!h)
		return cb_err_set(err, CB_E_BUSY, NULL, "curl_easy_init failed");
	struct curl_slist *rl = NULL;
	for (int i = 0; i < nto; i++) {
		char b[512];
		snprintf(b, sizeof b, "<%s>", to[i]);
		rl = curl_slist_append(rl, b);
	}
	char fb[512];
	snprintf(fb, sizeof fb, "<%s>", from);
	struct upload u = {raw, len};
	struct conversation cv = {.rcpt = rcpt, .nto = nto};
	char ebuf[CURL_ERROR_SIZE] = "";
	long timeout_s = srv->timeout_s > 0 ? srv->timeout_s : 30L;
	curl_easy_setopt(h, CURLOPT_URL, srv->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, fb);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
	/* a refused recipient (a typo'd CC) must not stop the others */
	curl_easy_setopt(h, CB_CURLOPT_RCPT_ALLOWFAILS, 1L);
	/* STARTTLS whenever the server offers it; required when configured */
	curl_easy_setopt(h, CURLOPT_USE_SSL, srv->require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (srv->user && *srv->user)
		curl_easy_setopt(h, CURLOPT_USERNAME, srv->user);
	if (srv->password && *srv->password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, srv->password);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, reader);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	/* the conversation goes to on_debug only (never to stderr: it holds
	 * the AUTH exchange) */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &cv);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	CURLcode rc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rl);
	curl_easy_cleanup(h);
	if (rc == CURLE_OK)
		return 0;
	/* permanent: every recipient refused with 5xx, or a 5xx (to MAIL FROM,
	 * DATA or the message) while no recipient was refused for now (4xx) */
	int all5 = nto > 0, any4 = 0;
	for (int i = 0; i < nto; i++) {
		all5 &= rcpt[i].code >= 500 && rcpt[i].code < 600;
		any4 |= rcpt[i].code >= 400 && rcpt[i].code < 500;
	}
	/* a refused login or a server without the required STARTTLS is the
	 * admin's to fix: retried, not given up */
	int config = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED;
	int permanent = !config && (all5 || (code >= 500 && code < 600 && !any4));
	return cb_err_set(err, permanent ? CB_E_INVALID : CB_E_BUSY, NULL, "smtp: %s%s%s (%ld)",
			  curl_easy_strerror(rc), *ebuf ? ": " : "", ebuf, code);
}
