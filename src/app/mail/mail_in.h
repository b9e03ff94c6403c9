/* mail_in.h - inbound e-mail: one decoded message (mail/message.h) becomes
 * a new ticket, a comment on the ticket it answers, a linked follow-up of a
 * closed ticket, or nothing (machine-sent mail, duplicates, senders over
 * their rate). See docs/email.md.
 *
 * Threading, in order: (1) In-Reply-To, then References newest first,
 * against every Message-ID stored for a ticket (mail received and sent);
 * (2) the ticket token "[#N]" in the subject; (3) otherwise a new ticket.
 * (1) and (2) join a ticket only when the sender is a participant of it:
 * its requester, an agent-side user, an address already on its mail (From,
 * To or Cc) or a user who wrote a comment on it. Sharing the ticket's
 * account is not enough (every stranger is a customer of the default
 * account), so a guessed token or a known Message-ID cannot write into, or
 * receive the mail of, someone else's case.
 *
 * Senders: a known user acts as themselves. An unknown address becomes a
 * customer of the account that owns its domain, or else of the default
 * account (the account named by the setting `default_account`, "default"
 * from `casebook init`; created again if it was removed). A customer replying by mail to a ticket of another account
 * they take part in (a CC'd partner) writes as a requester of that ticket.
 *
 * Nothing a machine sent (cb_mail_kind other than HUMAN) creates, reopens
 * or answers anything; it is recorded with result "ignored". A sender above
 * `mail.rate_per_hour` (default 20) accepted messages in the last hour is
 * recorded as "rate_limited". A Message-ID seen before answers the first
 * result again ("duplicate"), so an MTA retry never doubles a comment. */
#ifndef CB_APP_MAIL_IN_H
#define CB_APP_MAIL_IN_H
#include <jansson.h>

#include "app/app.h"
#include "mail/message.h"

/* The largest message taken in, by any channel (POST /api/v1/mail/inbound,
 * mail-ingest, LMTP, IMAP): a message with attachments. */
#define CB_MAIL_MAX (40u << 20)
#define CB_MAIL_MAX_ATTACHMENT (25u << 20) /* bytes; larger parts are skipped */

/* Records the message (raw, len bytes, decoded as m) inside the caller's
 * write transaction. desk[0..ndesk-1]: addresses the message was delivered
 * to (LMTP RCPT TO), the desk's own besides cb_mailsvc_is_desk()'s list.
 * *out = {"result", "reason", "ticket", "comment", "message",
 * "attachments", "skipped"}. 0, or -1 with err (nothing kept: the caller
 * rolls back). */
int cb_mailsvc_inbound(cb_conn *c, cb_arena *a, cb_ms now, const char *raw, size_t len,
		    const cb_mail *m, const char *const *desk, int ndesk, json_t **out,
		    cb_err *err);

/* Decodes and records one message in its own write transaction (for the
 * LMTP listener and IMAP polling). 0 with *out as cb_mailsvc_inbound, or -1:
 * CB_E_INVALID for an unusable message, anything else is temporary. */
int cb_mailsvc_deliver(cb_app *app, const char *raw, size_t len, const char *const *desk, int ndesk,
		    json_t **out, cb_err *err);

/* The default account for unknown senders (created when missing). */
int cb_mailsvc_default_account(cb_conn *c, cb_arena *a, cb_ms now, int64_t *out, cb_err *err);

/* Reads for the API (staff only; the caller checked the role). */
json_t *cb_mailsvc_message_get(cb_conn *c, int64_t id, cb_err *err);
/* The stored original: *data is a copy the caller frees. */
int cb_mailsvc_message_raw(cb_conn *c, int64_t id, char **data, size_t *len, cb_err *err);
int cb_mailsvc_ticket_messages(cb_conn *c, const cb_actor *viewer, int64_t ticket, int limit,
			    int64_t after, json_t **items, int64_t *next, cb_err *err);

/* Attachments of a ticket visible to viewer (customers: only those of
 * public comments of their own account's tickets). */
int cb_attachment_list(cb_conn *c, const cb_actor *viewer, int64_t ticket, json_t **items,
		       cb_err *err);
/* One attachment's metadata and bytes (copy, caller frees); 404 when
 * missing or not visible. */
int cb_attachment_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **meta,
		      char **data, size_t *len, cb_err *err);

#endif
