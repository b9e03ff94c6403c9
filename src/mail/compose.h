/* compose.h - outgoing mail: an RFC 5322 message built by GMime (headers
 * encoded as RFC 2047 where needed, the UTF-8 text body quoted-printable,
 * CRLF line ends), and delivery over SMTP with libcurl. */
#ifndef CB_MAIL_COMPOSE_H
#define CB_MAIL_COMPOSE_H
#include <stddef.h>

#include "util/err.h"
#include "util/timeutil.h"

typedef struct {
	const char *from_name, *from_addr;
	const char *const *to; /* addresses */
	int nto;
	const char *subject;
	const char *text;        /* UTF-8 body */
	const char *message_id;  /* without <> */
	const char *in_reply_to; /* without <>, or NULL */
	const char *const *references; /* oldest first, without <> */
	int nreferences;
	const char *thread_topic; /* Outlook conversation topic, or NULL */
	const char *thread_index; /* base64 Outlook conversation index, or NULL */
	int auto_generated;       /* Auto-Submitted: auto-generated (RFC 3834) */
	cb_ms date;
} cb_mail_out;

/* The message as bytes (CRLF); caller frees with cb_free. */
char *cb_mail_compose(const cb_mail_out *o, size_t *len);

/* Outlook's Thread-Index (PidTagConversationIndex, MS-OXOMSG 2.2.1.3):
 * a 22-byte header (reserved byte, 5 bytes of the FILETIME of the thread's
 * start, a 16-byte GUID) and one 5-byte child block per reply, each with
 * the time since the start; base64 into out (at least 4 * (27 + 5 * n) / 3 +
 * 4 bytes). `guid` is 16 bytes. */
void cb_mail_thread_index(cb_ms start, const unsigned char guid[16], const cb_ms *replies,
			  int nreplies, char *out, size_t outlen);

/* libcurl's global set-up, once per process (before threads use it). */
void cb_smtp_global_init(void);

/* Sends raw (CRLF) over SMTP: url "smtp://host:port" (or smtps://),
 * envelope sender from and recipients to. 0, or -1 with err (message
 * says why; CB_E_BUSY for failures worth a retry, CB_E_INVALID when the
 * server refused every recipient permanently). */
int cb_smtp_send(const char *url, const char *from, const char *const *to, int nto,
		 const char *raw, size_t len, long timeout_s, cb_err *err);

#endif
