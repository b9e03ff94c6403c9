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

/* An SMTP server: url "smtp://host:port" (STARTTLS when the server offers
 * it, or required with require_tls) or "smtps://" (TLS from the start);
 * user and password for SMTP AUTH (NULL: none), passed apart from the URL
 * so that they never appear in logs or errors. */
typedef struct {
	const char *url;
	const char *user, *password;
	int require_tls;
	long timeout_s;
} cb_smtp;

/* What the server answered to one RCPT TO. */
typedef struct {
	int code;        /* 250, 550, 450, ...; 0 when the command was never sent */
	char reply[200]; /* the reply line ("550 5.1.1 no such user") */
} cb_smtp_rcpt;

/* Sends raw (CRLF) with envelope sender from to the recipients to,
 * delivering to those the server accepts even when it refuses others.
 * rcpt[i] gets the answer to to[i]. 0 when the message was accepted for at
 * least one recipient; -1 with err otherwise (message says why; CB_E_INVALID
 * when the server refused permanently: a 5xx to MAIL FROM or DATA, or to
 * every recipient; CB_E_BUSY for failures worth a retry). */
int cb_smtp_send(const cb_smtp *srv, const char *from, const char *const *to, int nto,
		 const char *raw, size_t len, cb_smtp_rcpt *rcpt, cb_err *err);

#endif
