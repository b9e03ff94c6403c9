/* transport.h - the HTTP side of the mail channel, on libcurl (which only
 * src/mail/ includes): handing one message to a Casebook server (for
 * `casebook mail-ingest`) and decoding the survey form that a mail's
 * rating link leads to. */
#ifndef CB_MAIL_TRANSPORT_H
#define CB_MAIL_TRANSPORT_H
#include <stddef.h>

#include "util/buf.h"

/* POSTs raw (message/rfc822) to <server>/api/v1/mail/inbound with the
 * bearer token. 0 with *status (the HTTP status) and the answer's first
 * 64 KiB in *answer; -1 when no answer came (connection, timeout), with
 * the reason in *answer. */
int cb_mail_post_inbound(const char *server, const char *token, const char *raw, size_t len,
			 long timeout_s, long *status, cb_buf *answer);

/* The value of key in an application/x-www-form-urlencoded body, decoded
 * ('+' and %XX), or NULL when absent. Caller frees with cb_free. */
char *cb_form_value(const char *body, size_t len, const char *key);

#endif
