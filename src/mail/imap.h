/* imap.h - reading a mailbox over IMAP (RFC 3501) with libcurl doing the
 * connection, TLS (imaps:// or STARTTLS) and login; the session then
 * speaks the few commands Casebook needs itself over curl_easy_send/recv,
 * because libcurl's own FETCH always uses BODY[] (which sets \Seen at
 * once) and a custom request cannot carry the message literal.
 *
 * A poll: open (SELECT the mailbox named by the URL's path), UID SEARCH
 * UNSEEN, for each message its RFC822.SIZE, then UID FETCH BODY.PEEK[]
 * (which leaves \Seen alone), and UID STORE +FLAGS (\Seen) only after the
 * message was recorded. `url` names the mailbox: imap://host:port/INBOX or
 * imaps://...; user and password are passed apart so they never appear in
 * logs. */
#ifndef CB_MAIL_IMAP_H
#define CB_MAIL_IMAP_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct {
	const char *url, *user, *password;
	long timeout_s;
} cb_imap;

typedef struct cb_imap_session cb_imap_session;

/* Connects, logs in and selects the mailbox (read-write). 0, or -1 with
 * err (CB_E_BUSY: connection, login or mailbox trouble). */
int cb_imap_open(const cb_imap *box, cb_imap_session **out, cb_err *err);
/* LOGOUT and close; NULL is fine. */
void cb_imap_close(cb_imap_session *s);

/* UIDs of the unseen messages, ascending (*uids freed with cb_free). */
int cb_imap_unseen(cb_imap_session *s, int64_t **uids, int *n, cb_err *err);
/* The size the server gives for the message (RFC822.SIZE). */
int cb_imap_size(cb_imap_session *s, int64_t uid, size_t *size, cb_err *err);
/* The message's bytes without setting \Seen (BODY.PEEK[]); at most max
 * bytes are kept (*truncated set when it was longer). Caller frees *raw
 * with cb_free. */
int cb_imap_fetch(cb_imap_session *s, int64_t uid, size_t max, char **raw, size_t *len,
		  int *truncated, cb_err *err);
/* UID STORE uid flags (e.g. "+FLAGS (\\Seen)"). */
int cb_imap_store(cb_imap_session *s, int64_t uid, const char *flags, cb_err *err);

#endif
