/* message.h - one inbound RFC 5322 message, decoded by GMime into what a
 * support desk needs: who wrote it, what it answers, whether a person or a
 * machine sent it, its text in UTF-8 and its attachments.
 *
 * cb_mail_parse() never fails on odd input it can make sense of (GMime is
 * lenient, as mail requires); it fails with CB_E_INVALID only when nothing
 * usable is there (no From address, or no header block at all). Strings are
 * UTF-8, owned by the message, freed by cb_mail_free(). */
#ifndef CB_MAIL_MESSAGE_H
#define CB_MAIL_MESSAGE_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/timeutil.h"

/* Why a message must neither create, reopen nor be answered. */
typedef enum {
	CB_MAIL_HUMAN = 0,
	CB_MAIL_AUTO_REPLY, /* Auto-Submitted, X-Autoreply, X-Autorespond, ... */
	CB_MAIL_BOUNCE,     /* delivery status report or empty return path */
	CB_MAIL_BULK,       /* Precedence: bulk / junk / list */
} cb_mail_kind;

typedef struct {
	char *filename;     /* as sent, or "part-N" when the part has none */
	char *content_type; /* "image/png" */
	char *content_id;   /* without <>, NULL if none */
	int is_inline;      /* inline image (Content-ID or disposition inline) */
	unsigned char *data;
	size_t size;
	char sha256[65]; /* hex */
} cb_mail_attachment;

/* One recipient a delivery status notification (RFC 3464) reports as
 * failed (Action: failed). */
typedef struct {
	char *addr;   /* Final-Recipient, lower-cased */
	char *status; /* "5.1.1 (smtp; 550 5.1.1 no such user)": Status and Diagnostic-Code */
} cb_mail_dsn_rcpt;

typedef struct {
	char *message_id;   /* without <>, NULL if the message has none */
	char *in_reply_to;  /* the first id of In-Reply-To, without <> */
	char **references;  /* References, oldest first, without <> */
	int nreferences;
	char *from_addr;    /* lower-cased */
	char *from_name;    /* may be "" */
	char **recipients;  /* To and Cc addresses, lower-cased */
	int nrecipients;
	char *subject;      /* decoded, "" if none */
	cb_ms date;         /* Date header, 0 if absent or unreadable */
	cb_mail_kind kind;
	const char *kind_reason; /* static text: the header that decided kind */
	char *text;         /* the body as UTF-8 text (text/plain preferred) */
	int text_from_html; /* 1 when text was made from the only HTML part */
	cb_mail_attachment *attachments;
	int nattachments;
	/* SHA-256 (hex) of what stays the same when an MTA delivers the same
	 * message again: From, To/Cc, Subject, Date, In-Reply-To, References,
	 * the text and the attachments; never the mbox "From " line, Received
	 * or Delivered-To headers an MTA adds per attempt. */
	char fingerprint[65];
	/* A delivery status notification: the Message-ID of the message that
	 * could not be delivered (from the returned message/rfc822 or
	 * text/rfc822-headers part), NULL if none, and the recipients reported
	 * as failed. */
	char *dsn_of;
	cb_mail_dsn_rcpt *dsn_failed;
	int ndsn_failed;
} cb_mail;

/* Parses raw (len bytes). 0, or -1 with err (CB_E_INVALID). */
int cb_mail_parse(const char *raw, size_t len, cb_mail *out, cb_err *err);
void cb_mail_free(cb_mail *m);

/* Readable text of an HTML document (libxml2's HTML parser): block
 * elements become line breaks, list items "- ", links keep their target,
 * scripts and styles are dropped, entities decoded. Caller frees. */
char *cb_mail_html_to_text(const char *html, size_t len);

/* The new part of a reply: quoted history ("> " lines and the "On ... wrote:"
 * line above them, Outlook's "-----Original Message-----" or "From: ...
 * Sent: ..." block, Apple Mail's "On ..., at ..., ... wrote:") and a
 * signature after "-- " are removed; trailing blank lines trimmed. If
 * nothing would remain, the text is returned unchanged. Caller frees. */
char *cb_mail_strip_reply(const char *text);

/* Initializes GMime once per process (thread-safe); cb_mail_parse calls it. */
void cb_mail_init(void);

#endif
