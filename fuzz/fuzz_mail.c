/* fuzz_mail.c - inbound message decoding (cb_mail_parse, GMime) and the
 * text helpers it feeds (cb_mail_html_to_text, cb_mail_strip_reply).
 *
 * Input: raw RFC 5322 bytes. Invariants: a parsed message has a sender
 * address with an '@'; every string it yields is valid UTF-8; every
 * attachment's sha256 is the digest of its bytes; reply trimming never
 * returns an empty text for a text that has content, and is idempotent on
 * its own output's line structure (no crash, valid UTF-8). The input is
 * also fed to the HTML converter as a document. */
#include "common.h"

#include <glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"

static void check_utf8(const char *s)
{
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(g_utf8_validate(s, -1, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	cb_mail m;
	cb_err err = {0};
	if (cb_mail_parse((const char *)data, size, &m, &err) == 0) {
		FUZZ_CHECK(m.from_addr && strchr(m.from_addr, '@'));
		check_utf8(m.from_addr);
		check_utf8(m.from_name);
		check_utf8(m.subject);
		check_utf8(m.text);
		for (int i = 0; i < m.nattachments; i++) {
			cb_mail_attachment *a = &m.attachments[i];
			check_utf8(a->filename);
			FUZZ_CHECK(a->filename[0] != 0);
			FUZZ_CHECK(strchr(a->filename, '/') == NULL);
			unsigned char h[crypto_hash_sha256_BYTES];
			char hex[65];
			crypto_hash_sha256(h, a->data, a->size);
			sodium_bin2hex(hex, sizeof hex, h, sizeof h);
			FUZZ_CHECK(strcmp(hex, a->sha256) == 0);
		}
		char *s = cb_mail_strip_reply(m.text);
		check_utf8(s);
		int content = 0;
		for (const char *p = m.text; *p; p++)
			content |= !g_ascii_isspace(*p);
		if (content)
			FUZZ_CHECK(s[0] != 0);
		free(s);
		cb_mail_free(&m);
	} else {
		FUZZ_CHECK(err.code == CB_E_INVALID);
	}
	char *t = cb_mail_html_to_text((const char *)data, size);
	FUZZ_CHECK(t != NULL);
	free(t);
	return 0;
}
