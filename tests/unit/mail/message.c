/* message.c - tests of src/mail/message.c against the corpus of message shapes
 * in tests/mail/corpus (written by the project; see tests/mail/README.md). */
#include "harness.h"
#include "mail/compose.h"
#include "mail/message.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "tests/mail/corpus/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* Parses a corpus file into m; 0 on success. */
static int load(const char *name, cb_mail *m, cb_err *err)
{
	size_t len = 0;
	char *raw = slurp(name, &len);
	if (!raw)
		return cb_err_set(err, CB_E_INTERNAL, "", "missing corpus file %s", name);
	int rc = cb_mail_parse(raw, len, m, err);
	free(raw);
	return rc;
}

static int has_prefix(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

CB_TEST(mail_gmail_reply_threading_and_quote)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("gmail_reply.eml", &m, &e) == 0);
	CB_CHECK_STR(m.message_id, "CAF=gmail-111@mail.gmail.com");
	CB_CHECK_STR(m.in_reply_to, "ticket-42-reply-3@casebook.test");
	CB_REQUIRE(m.nreferences == 2);
	CB_CHECK_STR(m.references[0], "ticket-42@casebook.test");
	CB_CHECK_STR(m.references[1], "ticket-42-reply-3@casebook.test");
	CB_CHECK_STR(m.from_addr, "jane@acme.test"); /* lower-cased */
	CB_CHECK_STR(m.from_name, "Jane Doe");
	CB_CHECK_INT(m.nrecipients, 2);
	CB_CHECK_STR(m.recipients[1], "ops@acme.test");
	CB_CHECK_INT(m.date, 1773065700000LL); /* 2026-03-09T14:15:00Z */
	CB_CHECK_INT(m.kind, CB_MAIL_HUMAN);
	CB_CHECK_INT(m.text_from_html, 0); /* text/plain preferred */
	/* quoted-printable soft line break joined */
	CB_CHECK(strstr(m.text, "in the EU region after") != NULL);
	char *s = cb_mail_strip_reply(m.text);
	CB_CHECK_STR(s, "Thanks, the workaround helped but the login still fails for users in the "
			"EU region after the token expires.");
	free(s);
	cb_mail_free(&m);
}

CB_TEST(mail_outlook_windows1252_and_original_block)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("outlook_reply.eml", &m, &e) == 0);
	CB_CHECK_STR(m.subject, "AW: Caf\xc3\xa9 API timeouts [#7]"); /* encoded-word, latin-1 */
	CB_CHECK_STR(m.from_name, "M\xc3\xbcller, Hans");
	CB_CHECK(strstr(m.text, "caf\xc3\xa9 endpoint still times out \xe2\x80\x93") != NULL);
	char *s = cb_mail_strip_reply(m.text);
	CB_CHECK_STR(s, "Hallo,\n\nthe caf\xc3\xa9 endpoint still times out \xe2\x80\x93 see request "
			"id r-889.\n\nGr\xc3\xbc\xc3\x9f" "e\nHans");
	free(s);
	cb_mail_free(&m);
}

CB_TEST(mail_apple_inline_image_and_mobile_signature)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("apple_mail_reply.eml", &m, &e) == 0);
	CB_CHECK(m.in_reply_to == NULL);
	CB_REQUIRE(m.nreferences == 1);
	CB_CHECK_STR(m.references[0], "ticket-9@casebook.test");
	CB_CHECK(has_prefix(m.text, "S\xc3\xa3o Paulo office")); /* iso-8859-1 -> UTF-8 */
	char *s = cb_mail_strip_reply(m.text);
	CB_CHECK_STR(s, "S\xc3\xa3o Paulo office sees it too, screenshot attached.");
	free(s);
	/* the image of the HTML alternative is kept even though text/plain won */
	CB_REQUIRE(m.nattachments == 1);
	CB_CHECK_STR(m.attachments[0].filename, "screenshot.png");
	CB_CHECK_STR(m.attachments[0].content_type, "image/png");
	CB_CHECK_STR(m.attachments[0].content_id, "img1@globex.test");
	CB_CHECK(m.attachments[0].is_inline);
	CB_CHECK_INT(m.attachments[0].size, 64);
	for (size_t i = 0; i < 64; i++)
		CB_CHECK(m.attachments[0].data[i] == (unsigned char)i);
	/* sha256 of bytes 0..63 */
	CB_CHECK_STR(m.attachments[0].sha256,
		     "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108");
	cb_mail_free(&m);
}

CB_TEST(mail_html_only_becomes_text)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("html_only.eml", &m, &e) == 0);
	CB_CHECK_INT(m.text_from_html, 1);
	CB_CHECK_STR(m.text, "Steps & results:\n- Open the console\n- Click run "
			     "(https://initech.test/run)\n\nExpected: no fire <ever>.");
	CB_CHECK(strstr(m.text, "alert") == NULL);  /* script dropped */
	CB_CHECK(strstr(m.text, "ignored") == NULL); /* head dropped */
	cb_mail_free(&m);
}

CB_TEST(mail_nested_multipart_attachments)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("nested_multipart.eml", &m, &e) == 0);
	CB_CHECK_STR(m.subject, "Logs for the \xc3\xa9" "chec of job 7");
	CB_CHECK_STR(m.from_name, "Zo\xc3\xab Ops");
	CB_CHECK_STR(m.text, "Job 7 failed again; logs attached (\xc3\xa9" "chec at 11:29).\n");
	CB_REQUIRE(m.nattachments == 3);
	CB_CHECK(m.attachments[0].is_inline);
	CB_CHECK_STR(m.attachments[0].content_id, "chart@umbrella.test");
	CB_CHECK_STR(m.attachments[1].filename, "r\xc3\xa9port final.pdf"); /* RFC 2231 */
	CB_CHECK_STR(m.attachments[1].content_type, "application/pdf");
	CB_CHECK_INT(m.attachments[1].size, 34 * 3); /* base64 decoded */
	CB_CHECK(memcmp(m.attachments[1].data, "%PDF-1.4", 8) == 0);
	CB_CHECK(!m.attachments[1].is_inline);
	/* a text part with a disposition of attachment is a file, not body */
	CB_CHECK_STR(m.attachments[2].filename, "job.log");
	CB_CHECK(strstr(m.text, "line 2: failed") == NULL);
	cb_mail_free(&m);
}

CB_TEST(mail_machine_sent_kinds)
{
	static const struct {
		const char *file;
		cb_mail_kind kind;
	} cases[] = {
		{"auto_reply.eml", CB_MAIL_AUTO_REPLY},   {"x_autoreply.eml", CB_MAIL_AUTO_REPLY},
		{"precedence_bulk.eml", CB_MAIL_BULK},    {"dsn.eml", CB_MAIL_BOUNCE},
		{"auto_submitted_no.eml", CB_MAIL_HUMAN}, {"gmail_reply.eml", CB_MAIL_HUMAN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cb_mail m;
		cb_err e = {0};
		CB_REQUIRE(load(cases[i].file, &m, &e) == 0);
		if (m.kind != cases[i].kind)
			fprintf(stderr, "    %s: kind %d, want %d\n", cases[i].file, m.kind,
				cases[i].kind);
		CB_CHECK(m.kind == cases[i].kind);
		CB_CHECK((m.kind == CB_MAIL_HUMAN) == (m.kind_reason == NULL));
		cb_mail_free(&m);
	}
}

CB_TEST(mail_charsets_and_malformed)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("koi8r.eml", &m, &e) == 0);
	CB_CHECK_STR(m.subject, "\xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0 "
				"\xd0\xb2\xd1\x85\xd0\xbe\xd0\xb4\xd0\xb0"); /* Ошибка входа */
	CB_CHECK(has_prefix(m.text, "\xd0\x9d\xd0\xb5 \xd0\xbc\xd0\xbe\xd0\xb3\xd1\x83")); /* Не могу */
	cb_mail_free(&m);

	/* broken headers, unknown charsets, bad base64, no date: parsed, valid UTF-8 */
	CB_REQUIRE(load("malformed_headers.eml", &m, &e) == 0);
	CB_CHECK_STR(m.from_addr, "broken@weird.test");
	CB_CHECK_STR(m.message_id, "no-angle-brackets@weird.test");
	CB_CHECK_INT(m.date, 0);
	CB_CHECK(g_utf8_validate(m.subject, -1, NULL));
	CB_CHECK(g_utf8_validate(m.text, -1, NULL));
	CB_CHECK(g_utf8_validate(m.from_name, -1, NULL));
	cb_mail_free(&m);

	/* no sender: unusable */
	cb_err e2 = {0};
	CB_CHECK(load("no_from.eml", &m, &e2) == -1);
	CB_CHECK(e2.code == CB_E_INVALID);
	cb_err e3 = {0};
	CB_CHECK(cb_mail_parse("", 0, &m, &e3) == -1);
	cb_err e4 = {0};
	const char junk[] = "\x00\x01\x02 binary junk";
	CB_CHECK(cb_mail_parse(junk, sizeof junk, &m, &e4) == -1);
}

CB_TEST(mail_signature_and_reply_trimming)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("signature.eml", &m, &e) == 0);
	char *s = cb_mail_strip_reply(m.text);
	CB_CHECK_STR(s, "What is the rate limit for the bulk API?");
	free(s);
	cb_mail_free(&m);
	/* inline answers between quotes keep everything before the last quote */
	s = cb_mail_strip_reply("> Which version?\n3.2.1\n> Which region?\neu-west\n\n> thanks\n");
	CB_CHECK_STR(s, "> Which version?\n3.2.1\n> Which region?\neu-west");
	free(s);
	/* only a quote: returned unchanged rather than emptied */
	s = cb_mail_strip_reply("> just a quote\n");
	CB_CHECK_STR(s, "> just a quote\n");
	free(s);
	/* "On ... wrote:" wrapped over two lines (Gmail does this) */
	s = cb_mail_strip_reply("Fixed now.\n\nOn Tue, Mar 10, 2026 at 9:00 AM Casebook Support <\n"
				"support@casebook.test> wrote:\n> old\n");
	CB_CHECK_STR(s, "Fixed now.");
	free(s);
	/* French and German clients */
	s = cb_mail_strip_reply("Merci.\n\nLe lun. 9 mars 2026 \xc3\xa0 10:00, Support <s@x.test> a "
				"\xc3\xa9" "crit :\n> ancien\n");
	CB_CHECK_STR(s, "Merci.");
	free(s);
	s = cb_mail_strip_reply("Danke.\nAm 09.03.2026 um 10:00 schrieb Support <s@x.test>:\n> alt\n");
	CB_CHECK_STR(s, "Danke.");
	free(s);
	/* Outlook's plain "-----Original Message-----" */
	s = cb_mail_strip_reply("Done.\r\n-----Original Message-----\r\nFrom: a\r\n");
	CB_CHECK_STR(s, "Done.");
	free(s);
	/* a sentence starting with "On" is not history */
	s = cb_mail_strip_reply("On Monday the job failed.\nIt wrote: nothing to the log.\nBye");
	CB_CHECK_STR(s, "On Monday the job failed.\nIt wrote: nothing to the log.\nBye");
	free(s);
}

CB_TEST(mail_thread_index_layout)
{
	/* MS-OXOMSG 2.2.1.3: 0x01, the top 40 bits of the start FILETIME, a
	 * 16-byte GUID, then 5 bytes per reply with the time since the start */
	unsigned char guid[16];
	for (int i = 0; i < 16; i++)
		guid[i] = (unsigned char)(0xa0 + i);
	cb_ms start = 1773054000000LL;           /* 2026-03-09T11:00:00Z */
	cb_ms replies[2] = {start + 3600 * 1000, start + 86400 * 1000};
	char b64[128];
	cb_mail_thread_index(start, guid, replies, 2, b64, sizeof b64);
	gsize n = 0;
	guchar *b = g_base64_decode(b64, &n);
	CB_REQUIRE(n == 32);
	uint64_t ft = ((uint64_t)start + 11644473600000ULL) * 10000ULL;
	uint64_t hdr = ft & ~((1ULL << 24) - 1);
	CB_CHECK(b[0] == 1);
	for (int i = 0; i < 5; i++)
		CB_CHECK(b[1 + i] == (unsigned char)(hdr >> (56 - 8 * i)));
	CB_CHECK(memcmp(b + 6, guid, 16) == 0);
	for (int r = 0; r < 2; r++) {
		uint64_t d = ((uint64_t)replies[r] + 11644473600000ULL) * 10000ULL - hdr;
		uint32_t want = (uint32_t)((d >> 18) & 0x7fffffff);
		const guchar *c = b + 22 + 5 * r;
		uint32_t got = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
		CB_CHECK_INT(got, want);
		CB_CHECK(!(got & 0x80000000u));
	}
	g_free(b);
}

CB_TEST(mail_attachment_names_lose_control_and_bidi_characters)
{
	/* RFC 2231: invoice_<U+202E>fdp.exe with a C1 control, as a mail client sends it */
	static const char raw[] =
		"From: Mallory <m@evil.test>\r\nTo: support@desk.test\r\nSubject: invoice\r\n"
		"Message-ID: <bidi@evil.test>\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
		"--b\r\nContent-Type: application/octet-stream\r\n"
		"Content-Disposition: attachment; filename*=UTF-8''invoice_%E2%80%AEfdp%C2%85.exe\r\n\r\nMZ\r\n"
		"--b--\r\n";
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(cb_mail_parse(raw, sizeof raw - 1, &m, &e) == 0);
	CB_REQUIRE(m.nattachments == 1);
	CB_CHECK_STR(m.attachments[0].filename, "invoice__fdp_.exe");
	cb_mail_free(&m);
}

/* The same message delivered twice by an MTA differs in the mbox "From "
 * line and the trace headers; its fingerprint must not. */
CB_TEST(mail_fingerprint_ignores_envelope_and_trace)
{
	static const char body[] = "From: Amy <amy@acme.test>\r\nTo: support@casebook.test\r\n"
				   "Subject: No id\r\nDate: Mon, 09 Mar 2026 10:00:00 +0000\r\n"
				   "Content-Type: text/plain\r\n\r\nHello there.\r\n";
	char a[1024], b[1024], c[1024];
	snprintf(a, sizeof a, "%s", body);
	snprintf(b, sizeof b,
		 "From amy@acme.test  Mon Mar  9 10:00:05 2026\r\n"
		 "Delivered-To: support@casebook.test\r\n"
		 "Received: from mx (localhost [127.0.0.1]) by mx; Mon, 9 Mar 2026 10:00:05 +0000\r\n%s",
		 body);
	snprintf(c, sizeof c, "%.*sHello again.\r\n", (int)(sizeof body - 1 - 14), body);
	cb_mail ma, mb, mc;
	cb_err e = {0};
	CB_REQUIRE(cb_mail_parse(a, strlen(a), &ma, &e) == 0);
	CB_REQUIRE(cb_mail_parse(b, strlen(b), &mb, &e) == 0);
	CB_REQUIRE(cb_mail_parse(c, strlen(c), &mc, &e) == 0);
	CB_CHECK(ma.message_id == NULL && mb.message_id == NULL);
	CB_CHECK_INT(strlen(ma.fingerprint), 64);
	CB_CHECK_STR(ma.fingerprint, mb.fingerprint);
	CB_CHECK(strcmp(ma.fingerprint, mc.fingerprint) != 0); /* another body */
	cb_mail_free(&ma);
	cb_mail_free(&mb);
	cb_mail_free(&mc);
}

/* A bounce names the message it returns and the recipients that failed. */
CB_TEST(mail_dsn_names_original_and_failed_recipients)
{
	cb_mail m;
	cb_err e = {0};
	CB_REQUIRE(load("dsn.eml", &m, &e) == 0);
	CB_CHECK_INT(m.kind, CB_MAIL_BOUNCE);
	CB_CHECK_STR(m.dsn_of, "ticket-42-reply-4@casebook.test");
	CB_REQUIRE(m.ndsn_failed == 1);
	CB_CHECK_STR(m.dsn_failed[0].addr, "gone@acme.test");
	CB_CHECK(has_prefix(m.dsn_failed[0].status, "5.1.1"));
	cb_mail_free(&m);
	/* a person's mail names nothing */
	CB_REQUIRE(load("gmail_reply.eml", &m, &e) == 0);
	CB_CHECK(m.dsn_of == NULL && m.ndsn_failed == 0);
	cb_mail_free(&m);
}
