/* message.c - inbound message decoding with GMime; HTML to text with
 * libxml2's HTML parser; reply trimming (see message.h). */
#include "mail/message.h"
#include "mail/mime.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <regex.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/safename.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void);

/* GObject creates a class the first time an instance of it is made, and a
 * later thread reads that class through every type check: done here, inside
 * the pthread_once every parser goes through, so each class exists before
 * any two threads can race to make it (a data race ThreadSanitizer reported
 * between two LMTP sessions). A sample message with every part shape the
 * parser meets makes the parser's own classes (streams, filters) too. */
static void init_classes(void)
{
	GType types[] = {GMIME_TYPE_MESSAGE,      GMIME_TYPE_PART,       GMIME_TYPE_TEXT_PART,
			 GMIME_TYPE_MULTIPART,    GMIME_TYPE_MESSAGE_PART, GMIME_TYPE_MESSAGE_PARTIAL,
			 GMIME_TYPE_MULTIPART_SIGNED, GMIME_TYPE_MULTIPART_ENCRYPTED,
			 GMIME_TYPE_PARSER,       GMIME_TYPE_STREAM_MEM, GMIME_TYPE_STREAM_FILTER,
			 GMIME_TYPE_DATA_WRAPPER};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		g_type_class_ref(types[i]); /* kept for the life of the process */
	static const char sample[] =
		"From: a@b.test\r\nTo: c@d.test\r\nSubject: =?UTF-8?Q?init?=\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
		"--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
		"--a\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nh=E9\r\n"
		"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n--a--\r\n"
		"--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n"
		"--m\r\nContent-Type: application/octet-stream; name=x.bin\r\n"
		"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\n"
		"AAEC\r\n--m--\r\n";
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(sample, sizeof sample - 1);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	if (msg) {
		GMimePartIter *it = g_mime_part_iter_new((GMimeObject *)msg);
		while (g_mime_part_iter_next(it))
			if (GMIME_IS_PART(g_mime_part_iter_get_current(it))) {
				GMimeDataWrapper *dw = g_mime_part_get_content(
					GMIME_PART(g_mime_part_iter_get_current(it)));
				GMimeStream *out = g_mime_stream_mem_new();
				if (dw)
					g_mime_data_wrapper_write_to_stream(dw, out);
				g_object_unref(out);
				if (GMIME_IS_TEXT_PART(g_mime_part_iter_get_current(it)))
					g_free(g_mime_text_part_get_text(
						GMIME_TEXT_PART(g_mime_part_iter_get_current(it))));
			}
		g_mime_part_iter_free(it);
		g_object_unref(msg);
	}
	g_object_unref(p);
	g_object_unref(st);
}

static void init_libs(void)
{
	g_mime_init();
	init_classes();
	xmlInitParser();
	compile_patterns();
}

void cb_mail_init(void)
{
	pthread_once(&init_once, init_libs);
}

/* ---- small helpers ------------------------------------------------------ */

static char *dup_id(const char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '<')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '>' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	if (!n)
		return NULL;
	gchar *v = g_utf8_make_valid(s, (gssize)n);
	char *d = cb_xstrdup(v);
	g_free(v);
	return d;
}

char *cb_mime_lower_dup(const char *s)
{
	gchar *v = g_utf8_make_valid(s ? s : "", -1);
	char *d = cb_xstrdup(v);
	g_free(v);
	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x80)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

unsigned char *cb_mime_part_bytes(GMimePart *part, size_t *len)
{
	GMimeStream *ms = g_mime_stream_mem_new();
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	if (content)
		g_mime_data_wrapper_write_to_stream(content, ms);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	*len = ba ? ba->len : 0;
	unsigned char *d = cb_xmalloc(*len + 1);
	if (*len)
		memcpy(d, ba->data, *len);
	d[*len] = 0;
	g_object_unref(ms);
	return d;
}

const char *cb_mime_basename(const char *name)
{
	const char *slash = strrchr(name, '/'), *bs = strrchr(name, '\\');
	if (bs && (!slash || bs > slash))
		slash = bs;
	return slash ? slash + 1 : name;
}

/* Valid UTF-8 copy (invalid sequences replaced). */
static char *utf8_dup(const char *s, gssize n)
{
	gchar *v = g_utf8_make_valid(s ? s : "", s ? n : 0);
	char *d = cb_xstrdup(v);
	g_free(v);
	return d;
}

static const char *header(GMimeObject *o, const char *name)
{
	return g_mime_object_get_header(o, name);
}

/* The first mailbox of a list (descending into groups), or NULL. */
static InternetAddressMailbox *first_mailbox(InternetAddressList *l)
{
	if (!l)
		return NULL;
	for (int i = 0; i < internet_address_list_length(l); i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return INTERNET_ADDRESS_MAILBOX(a);
		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			InternetAddressMailbox *m =
				first_mailbox(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
			if (m)
				return m;
		}
	}
	return NULL;
}

static void add_addresses(cb_mail *m, InternetAddressList *l)
{
	if (!l)
		return;
	for (int i = 0; i < internet_address_list_length(l); i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			add_addresses(m, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(a))
			continue;
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
		if (!addr || !*addr)
			continue;
		m->recipients = cb_xrealloc(m->recipients, sizeof(char *) * (size_t)(m->nrecipients + 1));
		m->recipients[m->nrecipients++] = cb_mime_lower_dup(addr);
	}
}

/* ---- machine-sent mail -------------------------------------------------- */

static int has_value(const char *v)
{
	return v && *v;
}

static void classify(GMimeMessage *msg, cb_mail *m)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	const char *v = header(o, "Auto-Submitted");
	if (has_value(v) && strncasecmp(v + strspn(v, " \t"), "no", 2) != 0) {
		m->kind = CB_MAIL_AUTO_REPLY;
		m->kind_reason = "Auto-Submitted";
		return;
	}
	static const char *const autoreply[] = {"X-Autoreply", "X-Autorespond", "X-Autoresponder",
						"X-Autogenerated"};
	for (size_t i = 0; i < sizeof autoreply / sizeof autoreply[0]; i++)
		if (header(o, autoreply[i])) {
			m->kind = CB_MAIL_AUTO_REPLY;
			m->kind_reason = autoreply[i];
			return;
		}
	GMimeContentType *ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(msg) ?
								      g_mime_message_get_mime_part(msg) :
								      o);
	if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) {
		const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
		if (rt && (!strcasecmp(rt, "delivery-status") || !strcasecmp(rt, "disposition-notification"))) {
			m->kind = CB_MAIL_BOUNCE;
			m->kind_reason = "Content-Type: multipart/report";
			return;
		}
	}
	v = header(o, "Return-Path");
	if (v) {
		const char *p = v + strspn(v, " \t");
		if (!strcmp(p, "<>") || !*p) {
			m->kind = CB_MAIL_BOUNCE;
			m->kind_reason = "Return-Path: <>";
			return;
		}
	}
	if (m->from_addr && (!strncmp(m->from_addr, "mailer-daemon@", 14) ||
			     !strcmp(m->from_addr, "mailer-daemon"))) {
		m->kind = CB_MAIL_BOUNCE;
		m->kind_reason = "From: MAILER-DAEMON";
		return;
	}
	v = header(o, "Precedence");
	if (v) {
		const char *p = v + strspn(v, " \t");
		if (!strncasecmp(p, "bulk", 4) || !strncasecmp(p, "junk", 4) || !strncasecmp(p, "list", 4)) {
			m->kind = CB_MAIL_BULK;
			m->kind_reason = "Precedence";
			return;
		}
		if (!strncasecmp(p, "auto_reply", 10)) {
			m->kind = CB_MAIL_AUTO_REPLY;
			m->kind_reason = "Precedence: auto_reply";
			return;
		}
	}
}

/* ---- body and attachments ----------------------------------------------- */

typedef struct {
	cb_mail *m;
	cb_buf plain;
	cb_buf html; /* already turned into text */
	int nparts;
} walk_ctx;

static void add_attachment(walk_ctx *w, GMimePart *part)
{
	cb_mail *m = w->m;
	w->nparts++;
	m->attachments = cb_xrealloc(m->attachments,
				     sizeof(cb_mail_attachment) * (size_t)(m->nattachments + 1));
	cb_mail_attachment *a = &m->attachments[m->nattachments++];
	memset(a, 0, sizeof *a);
	a->data = cb_mime_part_bytes(part, &a->size);
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, a->data, a->size);
	sodium_bin2hex(a->sha256, sizeof a->sha256, h, sizeof h);
	const char *fn = g_mime_part_get_filename(part);
	if (fn && *fn) {
		a->filename = utf8_dup(cb_mime_basename(fn), -1);
		cb_name_clean(a->filename); /* no control or bidi characters (util/safename.h) */
	} else {
		char name[32];
		snprintf(name, sizeof name, "part-%d", w->nparts);
		a->filename = cb_xstrdup(name);
	}
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	gchar *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	a->content_type = cb_mime_lower_dup(mt ? mt : "application/octet-stream");
	g_free(mt);
	a->content_id = dup_id(g_mime_object_get_content_id(GMIME_OBJECT(part)));
	const char *disp = g_mime_object_get_disposition(GMIME_OBJECT(part));
	a->is_inline = a->content_id != NULL || (disp && !strcasecmp(disp, "inline"));
}

static void append_text(cb_buf *b, const char *t)
{
	if (!t || !*t)
		return;
	if (b->len && b->p[b->len - 1] != '\n')
		cb_buf_puts(b, "\n");
	for (const char *p = t; *p; p++) /* CRLF (and lone CR) -> LF */
		if (*p == '\r') {
			if (p[1] != '\n')
				cb_buf_puts(b, "\n");
		} else {
			cb_buf_append(b, p, 1);
		}
}

static int is_attachment(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
	return d && g_mime_content_disposition_is_attachment(d);
}

static void walk(walk_ctx *w, GMimeObject *o, int attachments_only);

/* ---- delivery status notifications (RFC 3464) ----------------------------- */

/* The value of "Name: value" when line starts with name (case-insensitive). */
static const char *field(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static void dsn_flush(cb_mail *m, char **addr, char **action, char **status, char **diag)
{
	if (*addr && *action && !strncasecmp(*action, "failed", 6)) {
		m->dsn_failed = cb_xrealloc(m->dsn_failed,
					    sizeof(cb_mail_dsn_rcpt) * (size_t)(m->ndsn_failed + 1));
		cb_mail_dsn_rcpt *r = &m->dsn_failed[m->ndsn_failed++];
		r->addr = cb_mime_lower_dup(*addr);
		cb_buf b = {0};
		cb_buf_printf(&b, "%s", *status ? *status : "failed");
		if (*diag)
			cb_buf_printf(&b, " (%s)", *diag);
		r->status = utf8_dup(b.p, -1);
		cb_buf_free(&b);
	}
	cb_free(*addr), cb_free(*action), cb_free(*status), cb_free(*diag);
	*addr = *action = *status = *diag = NULL;
}

/* The per-recipient blocks of a message/delivery-status body. */
static void parse_dsn(cb_mail *m, const char *text, size_t len)
{
	char *addr = NULL, *action = NULL, *status = NULL, *diag = NULL;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		char *line = cb_xstrndup(p, n && p[n - 1] == '\r' ? n - 1 : n);
		const char *v;
		if (!*line) {
			dsn_flush(m, &addr, &action, &status, &diag);
		} else if ((v = field(line, "Final-Recipient")) != NULL) {
			dsn_flush(m, &addr, &action, &status, &diag);
			const char *semi = strchr(v, ';'); /* "rfc822; addr" */
			v = semi ? semi + 1 : v;
			while (*v == ' ' || *v == '<')
				v++;
			addr = cb_xstrndup(v, strcspn(v, "> \t"));
		} else if ((v = field(line, "Action")) != NULL) {
			cb_free(action);
			action = cb_xstrdup(v);
		} else if ((v = field(line, "Status")) != NULL) {
			cb_free(status);
			status = cb_xstrndup(v, strcspn(v, " \t("));
		} else if ((v = field(line, "Diagnostic-Code")) != NULL) {
			cb_free(diag);
			diag = cb_xstrndup(v, strlen(v) > 150 ? 150 : strlen(v));
		}
		cb_free(line);
		p = e ? e + 1 : end;
	}
	dsn_flush(m, &addr, &action, &status, &diag);
}

/* The Message-ID line of a text/rfc822-headers part. */
static char *headers_message_id(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		char *line = cb_xstrndup(p, n);
		const char *v = field(line, "Message-ID");
		char *id = v ? dup_id(v) : NULL;
		cb_free(line);
		if (id)
			return id;
		p = e ? e + 1 : end;
	}
	return NULL;
}

/* The child of a multipart/alternative that carries the body: the first
 * text/plain, else the last (richest) other one. */
static int pick_alternative(GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp);
	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(c);
		if (ct && g_mime_content_type_is_type(ct, "text", "plain") && !is_attachment(c))
			return i;
	}
	return n - 1;
}

static void walk(walk_ctx *w, GMimeObject *o, int attachments_only)
{
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		int alt = ct && g_mime_content_type_is_type(ct, "multipart", "alternative");
		int pick = alt && n > 0 ? pick_alternative(mp) : -1;
		for (int i = 0; i < n; i++)
			walk(w, g_mime_multipart_get_part(mp, i),
			     attachments_only || (alt && i != pick));
		return;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		/* an attached message: kept whole as an .eml attachment */
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (!inner)
			return;
		if (!w->m->dsn_of) /* the returned message of a bounce */
			w->m->dsn_of = dup_id(g_mime_message_get_message_id(inner));
		gchar *s = g_mime_object_to_string(GMIME_OBJECT(inner), NULL);
		cb_mail *m = w->m;
		w->nparts++;
		m->attachments = cb_xrealloc(m->attachments,
					     sizeof(cb_mail_attachment) * (size_t)(m->nattachments + 1));
		cb_mail_attachment *a = &m->attachments[m->nattachments++];
		memset(a, 0, sizeof *a);
		a->size = s ? strlen(s) : 0;
		a->data = cb_xmalloc(a->size ? a->size : 1);
		if (a->size)
			memcpy(a->data, s, a->size);
		g_free(s);
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, a->data, a->size);
		sodium_bin2hex(a->sha256, sizeof a->sha256, h, sizeof h);
		const char *fn = g_mime_object_get_content_disposition_parameter(o, "filename");
		a->filename = utf8_dup(fn && *fn ? fn : "message.eml", -1);
		cb_name_clean(a->filename);
		a->content_type = cb_xstrdup("message/rfc822");
		return;
	}
	if (!GMIME_IS_PART(o))
		return;
	GMimePart *part = GMIME_PART(o);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	int text_plain = ct && g_mime_content_type_is_type(ct, "text", "plain");
	int text_html = ct && g_mime_content_type_is_type(ct, "text", "html");
	if ((text_plain || text_html) && !is_attachment(o) && GMIME_IS_TEXT_PART(o)) {
		if (attachments_only)
			return;
		char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
		char *u = utf8_dup(t, -1);
		g_free(t);
		if (text_plain) {
			append_text(&w->plain, u);
		} else {
			char *h = cb_mail_html_to_text(u, strlen(u));
			append_text(&w->html, h);
			cb_free(h);
		}
		cb_free(u);
		return;
	}
	/* delivery-status reports are read for their failed recipients (and
	 * by classify()), not stored */
	if (ct && g_mime_content_type_is_type(ct, "message", "delivery-status")) {
		size_t n = 0;
		unsigned char *d = cb_mime_part_bytes(part, &n);
		parse_dsn(w->m, (const char *)d, n);
		cb_free(d);
		return;
	}
	if (ct && g_mime_content_type_is_type(ct, "text", "rfc822-headers") && !w->m->dsn_of) {
		size_t n = 0;
		unsigned char *d = cb_mime_part_bytes(part, &n);
		w->m->dsn_of = headers_message_id((const char *)d, n);
		cb_free(d);
	}
	add_attachment(w, part);
}

/* ---- parse -------------------------------------------------------------- */

static void fp_add(crypto_hash_sha256_state *st, const char *tag, const char *v)
{
	crypto_hash_sha256_update(st, (const unsigned char *)tag, strlen(tag) + 1);
	if (v)
		crypto_hash_sha256_update(st, (const unsigned char *)v, strlen(v));
	crypto_hash_sha256_update(st, (const unsigned char *)"", 1);
}

static void fingerprint(cb_mail *m)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	char date[32];
	snprintf(date, sizeof date, "%lld", (long long)m->date);
	fp_add(&st, "from", m->from_addr);
	for (int i = 0; i < m->nrecipients; i++)
		fp_add(&st, "rcpt", m->recipients[i]);
	fp_add(&st, "subject", m->subject);
	fp_add(&st, "date", date);
	fp_add(&st, "in-reply-to", m->in_reply_to);
	for (int i = 0; i < m->nreferences; i++)
		fp_add(&st, "ref", m->references[i]);
	fp_add(&st, "text", m->text);
	for (int i = 0; i < m->nattachments; i++) {
		fp_add(&st, "file", m->attachments[i].filename);
		fp_add(&st, "sha256", m->attachments[i].sha256);
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(m->fingerprint, sizeof m->fingerprint, h, sizeof h);
}

/* long: one walk over the GMime message filling each field of cb_mail */
int cb_mail_parse(const char *raw, size_t len, cb_mail *out, cb_err *err)
{
	memset(out, 0, sizeof *out);
	cb_mail_init();
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	g_object_unref(s);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (!msg)
		return cb_err_set(err, CB_E_INVALID, "message", "no RFC 5322 header block");
	GMimeObject *o = GMIME_OBJECT(msg);

	InternetAddressMailbox *from = first_mailbox(g_mime_message_get_from(msg));
	if (!from)
		from = first_mailbox(g_mime_message_get_sender(msg));
	const char *addr = from ? internet_address_mailbox_get_addr(from) : NULL;
	if (!addr || !*addr || !strchr(addr, '@')) {
		g_object_unref(msg);
		return cb_err_set(err, CB_E_INVALID, "From", "the message has no sender address");
	}
	out->from_addr = cb_mime_lower_dup(addr);
	const char *name = internet_address_get_name(INTERNET_ADDRESS(from));
	out->from_name = utf8_dup(name ? name : "", -1);
	add_addresses(out, g_mime_message_get_to(msg));
	add_addresses(out, g_mime_message_get_cc(msg));

	out->message_id = dup_id(g_mime_message_get_message_id(msg));
	const char *irt = header(o, "In-Reply-To");
	if (irt) {
		GMimeReferences *r = g_mime_references_parse(NULL, irt);
		if (r && g_mime_references_length(r) > 0)
			out->in_reply_to = dup_id(g_mime_references_get_message_id(r, 0));
		if (r)
			g_mime_references_free(r);
	}
	const char *refs = header(o, "References");
	if (refs) {
		GMimeReferences *r = g_mime_references_parse(NULL, refs);
		int n = r ? g_mime_references_length(r) : 0;
		for (int i = 0; i < n; i++) {
			char *id = dup_id(g_mime_references_get_message_id(r, i));
			if (!id)
				continue;
			out->references = cb_xrealloc(out->references,
						      sizeof(char *) * (size_t)(out->nreferences + 1));
			out->references[out->nreferences++] = id;
		}
		if (r)
			g_mime_references_free(r);
	}
	const char *subj = g_mime_message_get_subject(msg);
	out->subject = utf8_dup(subj ? subj : "", -1);
	GDateTime *d = g_mime_message_get_date(msg);
	if (d)
		out->date = (cb_ms)g_date_time_to_unix(d) * 1000;

	classify(msg, out);

	walk_ctx w = {.m = out};
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body)
		walk(&w, body, 0);
	if (out->kind == CB_MAIL_HUMAN && body) {
		/* a report nested deeper than the top level still marks a bounce */
		GMimePartIter *it = g_mime_part_iter_new(body);
		for (; g_mime_part_iter_is_valid(it); g_mime_part_iter_next(it)) {
			GMimeContentType *ct = g_mime_object_get_content_type(g_mime_part_iter_get_current(it));
			if (ct && g_mime_content_type_is_type(ct, "message", "delivery-status")) {
				out->kind = CB_MAIL_BOUNCE;
				out->kind_reason = "message/delivery-status part";
				break;
			}
		}
		g_mime_part_iter_free(it);
	}
	if (w.plain.len) {
		out->text = cb_buf_steal(&w.plain);
	} else if (w.html.len) {
		out->text = cb_buf_steal(&w.html);
		out->text_from_html = 1;
	} else {
		out->text = cb_xstrdup("");
	}
	cb_buf_free(&w.plain);
	cb_buf_free(&w.html);
	g_object_unref(msg);
	fingerprint(out);
	return 0;
}

void cb_mail_free(cb_mail *m)
{
	if (!m)
		return;
	cb_free(m->message_id);
	cb_free(m->in_reply_to);
	for (int i = 0; i < m->nreferences; i++)
		cb_free(m->references[i]);
	cb_free(m->references);
	cb_free(m->from_addr);
	cb_free(m->from_name);
	for (int i = 0; i < m->nrecipients; i++)
		cb_free(m->recipients[i]);
	cb_free(m->recipients);
	cb_free(m->subject);
	cb_free(m->text);
	for (int i = 0; i < m->nattachments; i++) {
		cb_free(m->attachments[i].filename);
		cb_free(m->attachments[i].content_type);
		cb_free(m->attachments[i].content_id);
		cb_free(m->attachments[i].data);
	}
	cb_free(m->attachments);
	cb_free(m->dsn_of);
	for (int i = 0; i < m->ndsn_failed; i++) {
		cb_free(m->dsn_failed[i].addr);
		cb_free(m->dsn_failed[i].status);
	}
	cb_free(m->dsn_failed);
	memset(m, 0, sizeof *m);
}

/* ---- HTML to text -------------------------------------------------------- */

typedef struct {
	cb_buf out;
	int space; /* a pending space between inline runs */
	int in_pre;
} html_ctx;

static int is_block(const char *n)
{
	static const char *const blocks[] = {"p", "div", "br", "tr", "li", "ul", "ol", "table",
					     "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
					     "pre", "hr", "section", "article", "header", "footer",
					     "dl", "dt", "dd"};
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
		if (!strcasecmp(n, blocks[i]))
			return 1;
	return 0;
}

static void newline(html_ctx *h)
{
	h->space = 0;
	if (h->out.len && h->out.p[h->out.len - 1] != '\n')
		cb_buf_puts(&h->out, "\n");
}

static void put_text(html_ctx *h, const char *t)
{
	if (h->in_pre) {
		cb_buf_puts(&h->out, t);
		return;
	}
	for (const char *p = t; *p; p++) {
		if (isspace((unsigned char)*p)) {
			h->space = 1;
			continue;
		}
		if (h->space && h->out.len && h->out.p[h->out.len - 1] != '\n' &&
		    h->out.p[h->out.len - 1] != ' ')
			cb_buf_puts(&h->out, " ");
		h->space = 0;
		cb_buf_append(&h->out, p, 1);
	}
}

static void html_walk(html_ctx *h, xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				put_text(h, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		if (!strcasecmp(name, "script") || !strcasecmp(name, "style") ||
		    !strcasecmp(name, "head") || !strcasecmp(name, "title"))
			continue;
		if (!strcasecmp(name, "br")) {
			cb_buf_puts(&h->out, "\n");
			h->space = 0;
			continue;
		}
		int block = is_block(name);
		if (block)
			newline(h);
		if (!strcasecmp(name, "p") && h->out.len > 1 && h->out.p[h->out.len - 2] != '\n')
			cb_buf_puts(&h->out, "\n"); /* a blank line between paragraphs */
		if (!strcasecmp(name, "li"))
			cb_buf_puts(&h->out, "- ");
		if (!strcasecmp(name, "blockquote"))
			cb_buf_puts(&h->out, "> ");
		int pre = !strcasecmp(name, "pre");
		h->in_pre += pre;
		html_walk(h, n->children);
		h->in_pre -= pre;
		if (!strcasecmp(name, "a")) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
			if (href && strncasecmp((const char *)href, "mailto:", 7) &&
			    strncmp((const char *)href, "#", 1)) {
				/* keep the target unless the text already shows it */
				xmlChar *txt = xmlNodeGetContent(n);
				if (!txt || !strstr((const char *)txt, (const char *)href)) {
					cb_buf_printf(&h->out, " (%s)", (const char *)href);
				}
				xmlFree(txt);
			}
			xmlFree(href);
		}
		if (block)
			newline(h);
	}
}

char *cb_mail_html_to_text(const char *html, size_t len)
{
	cb_mail_init();
	html_ctx h = {0};
	htmlDocPtr doc = htmlReadMemory(html, (int)(len > 0x7fffffff ? 0x7fffffff : len), NULL, "UTF-8",
					HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
	if (doc) {
		html_walk(&h, xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	}
	/* tidy: no trailing spaces, at most one blank line in a row */
	cb_buf out = {0};
	int blank = 0;
	const char *p = h.out.p ? h.out.p : "";
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == 0) {
			if (out.len && !blank)
				cb_buf_puts(&out, "\n");
			blank = 1;
		} else {
			cb_buf_append(&out, p, m);
			cb_buf_puts(&out, "\n");
			blank = 0;
		}
		p += n + (e ? 1 : 0);
	}
	while (out.len && out.p[out.len - 1] == '\n')
		out.p[--out.len] = 0;
	cb_buf_free(&h.out);
	char *r = out.len ? cb_buf_steal(&out) : cb_xstrdup("");
	cb_buf_free(&out);
	return r;
}

/* ---- reply trimming ------------------------------------------------------- */

typedef struct {
	const char *s;
	size_t n;
} line;

/* Line patterns of reply trimming, compiled once (init_libs). */
enum {
	RE_ON,         /* "On ..." (Gmail, Apple Mail), ends in "wrote:" within 3 lines */
	RE_WROTE,
	RE_FR_DE,      /* "Le ... a écrit :", "Am ... schrieb ...:" */
	RE_ORIGINAL,   /* Outlook "-----Original Message-----" */
	RE_RULE,       /* Outlook's underscore rule */
	RE_FROM,       /* "From:" of an Outlook header block */
	RE_SENT,       /* "Sent:" / "Date:" below it */
	RE_MOBILE,     /* "Sent from my iPhone" */
	RE__COUNT
};
static const char *const re_src[RE__COUNT] = {
	"^[[:space:]]*On[[:space:]]",
	"wrote:[[:space:]]*$",
	"^[[:space:]]*(Le[[:space:]].*a (e|\xc3\xa9)crit|Am[[:space:]].*schrieb.*)[[:space:]]*:[[:space:]]*$",
	"^[[:space:]]*-{2,}[[:space:]]*Original Message[[:space:]]*-{2,}",
	"^[[:space:]]*_{10,}[[:space:]]*$",
	"^[[:space:]]*\\*?From:\\*?[[:space:]]",
	"^[[:space:]]*\\*?(Sent|Date):\\*?[[:space:]]",
	"^[[:space:]]*(Sent from my |Get Outlook for |Sent from Mail for )",
};
static regex_t re_compiled[RE__COUNT];

static void compile_patterns(void)
{
	for (int i = 0; i < RE__COUNT; i++)
		if (regcomp(&re_compiled[i], re_src[i], REG_EXTENDED | REG_ICASE | REG_NOSUB))
			abort(); /* a constant pattern: a bug, found by the unit tests */
}

static int re_line(int which, const line *l)
{
	char buf[512];
	size_t n = l->n < sizeof buf - 1 ? l->n : sizeof buf - 1;
	memcpy(buf, l->s, n);
	buf[n] = 0;
	return regexec(&re_compiled[which], buf, 0, NULL, 0) == 0;
}

static int blank_line(const line *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

static int quoted(const line *l)
{
	size_t i = 0;
	while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i < l->n && l->s[i] == '>';
}

/* Index of the first line of quoted history at or after i, or -1. */
static int history_start(const line *ls, int n, int i)
{
	/* "On <date>, <name> wrote:" possibly wrapped over up to 3 lines */
	if (re_line(RE_ON, &ls[i])) {
		for (int k = i; k < n && k < i + 3; k++)
			if (re_line(RE_WROTE, &ls[k]))
				return i;
	}
	if (re_line(RE_FR_DE, &ls[i]) || re_line(RE_ORIGINAL, &ls[i]))
		return i;
	/* Outlook: an underscore rule or a "From:" line followed by Sent:/Date: */
	int k = i;
	if (re_line(RE_RULE, &ls[k]) && k + 1 < n)
		k++;
	if (re_line(RE_FROM, &ls[k])) {
		for (int j = k + 1; j < n && j < k + 5; j++)
			if (re_line(RE_SENT, &ls[j]))
				return i;
	}
	return -1;
}

char *cb_mail_strip_reply(const char *text)
{
	cb_mail_init();
	if (!text)
		return cb_xstrdup("");
	int n = 0, cap = 64;
	line *ls = cb_xmalloc(sizeof(line) * (size_t)cap);
	for (const char *p = text;;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (n == cap) {
			cap *= 2;
			ls = cb_xrealloc(ls, sizeof(line) * (size_t)cap);
		}
		ls[n++] = (line){p, len};
		if (!e)
			break;
		p = e + 1;
	}
	int end = n;
	for (int i = 0; i < end; i++) {
		int h = history_start(ls, end, i);
		if (h >= 0) {
			end = h;
			break;
		}
		/* signature separator */
		if ((ls[i].n == 3 && !memcmp(ls[i].s, "-- ", 3)) || (ls[i].n == 2 && !memcmp(ls[i].s, "--", 2))) {
			end = i;
			break;
		}
	}
	/* a bottom quote: trailing quoted lines (and blanks) */
	int k = end;
	while (k > 0 && (quoted(&ls[k - 1]) || blank_line(&ls[k - 1])))
		k--;
	if (k < end) {
		int any_quoted = 0;
		for (int i = k; i < end; i++)
			any_quoted |= quoted(&ls[i]);
		if (any_quoted)
			end = k;
	}
	/* mobile signatures at the end */
	while (end > 0 && (blank_line(&ls[end - 1]) || re_line(RE_MOBILE, &ls[end - 1])))
		end--;
	cb_buf b = {0};
	for (int i = 0; i < end; i++) {
		size_t m = ls[i].n;
		while (m && (ls[i].s[m - 1] == ' ' || ls[i].s[m - 1] == '\t'))
			m--;
		cb_buf_append(&b, ls[i].s, m);
		if (i + 1 < end)
			cb_buf_puts(&b, "\n");
	}
	cb_free(ls);
	int empty = 1;
	for (size_t i = 0; i < b.len; i++)
		if (!isspace((unsigned char)b.p[i]))
			empty = 0;
	if (empty) {
		cb_buf_free(&b);
		return cb_xstrdup(text);
	}
	char *r = cb_buf_steal(&b);
	cb_buf_free(&b);
	return r;
}
