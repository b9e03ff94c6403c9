/* mail_out.h - outgoing e-mail: notifications queued in the outbox inside
 * the transaction of the change they announce, and one sender thread that
 * delivers them over SMTP (src/mail/, libcurl), retrying with backoff, so that an SMTP
 * outage loses nothing. See docs/email.md.
 *
 * Outgoing mail is on when the setting mail.from is set (PUT
 * /api/v1/mail/settings). Notifications:
 *   reply   a public agent-side comment, to the requester and the other
 *           addresses of the ticket's mail (CC'd participants)
 *   status  the ticket became pending, on_hold or solved through an update
 *           by an agent-side user (not the automatic status of a reply)
 *   survey  on solve: CSAT (1-5) and optional CES (1-7) through a signed
 *           link that expires after CB_SURVEY_LINK_MS
 * Every message carries Message-ID, In-Reply-To and References (the
 * ticket's first message and the latest ones), Thread-Topic/Thread-Index
 * for Outlook, the ticket token "[#N]" in the subject; its Message-ID is
 * stored in mail_messages so that replies thread.
 *
 * Delivery is at least once: a row is marked sent after the SMTP server
 * accepted it; a crash between those two moments sends it again with the
 * same Message-ID, which mail clients de-duplicate. The message goes to
 * every recipient the server accepts; one refused for now stays pending and
 * is retried alone; one refused for good (5xx, or a bounce) is recorded in
 * the row's `refused`, gets an internal note on the ticket and no more
 * mail (mail_suppressed) until mail from it comes in. */
#ifndef CB_APP_MAIL_OUT_H
#define CB_APP_MAIL_OUT_H
#include <jansson.h>

#include "app/app.h"
#include "core/ticket.h"

#define CB_SURVEY_LINK_MS (7LL * 86400000)
#define CB_MAIL_RETRY_BASE_MS 30000 /* first retry; doubles up to the max */
#define CB_MAIL_RETRY_MAX_MS 600000

/* Hooks called by app/ticket/ticket.c inside the write transaction of a live
 * change (never by the importer). 0, or -1 with err. */
int cb_mailsvc_on_comment(cb_conn *c, cb_ms now, int64_t ticket, int64_t event, const cb_actor *actor,
		       cb_err *err);
int cb_mailsvc_on_status(cb_conn *c, cb_ms now, int64_t ticket, cb_status from, cb_status to,
		      const cb_actor *actor, cb_err *err);

/* Settings: {"from", "from_name", "smtp_url", "base_url", "retry_base_ms",
 * "surveys", "rate_per_hour", "imap_url", "imap_user", "imap_password"
 * (write-only: get shows "imap_password_set"), "imap_interval_s",
 * "addresses" (the desk's other addresses, an array)}. put validates and writes the keys given (admin; audited). */
json_t *cb_mailsvc_settings_get(cb_conn *c, cb_err *err);
/* One setting by its API name, as text (the default when unset). */
int cb_mailsvc_setting(cb_conn *c, const char *key, char *buf, size_t n, cb_err *err);
int cb_mailsvc_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, cb_err *err);

/* Whether addr is one of the desk's own addresses: mail.from, the IMAP
 * user when it is an address, the setting `addresses`, or one of
 * extra[0..nextra-1] (the LMTP envelope recipients of the message at hand).
 * 1, 0, or -1 with err. Such addresses never become participants. */
int cb_mailsvc_is_desk(cb_conn *c, const char *addr, const char *const *extra, int nextra,
		    cb_err *err);

/* An internal note on the ticket written by the desk itself (no author):
 * what the mail channel could not do (a skipped attachment, a refused or
 * bounced address). Changes no field and mails nobody. */
int cb_mailsvc_note(cb_conn *c, int64_t ticket, cb_ms now, const char *text, cb_err *err);

/* Templates per event (reply, status, survey): the stored one or the
 * built-in default. put validates placeholders. */
json_t *cb_mailsvc_templates_list(cb_conn *c, cb_err *err);
int cb_mailsvc_template_put(cb_conn *c, const cb_actor *actor, cb_ms now, const char *event,
			 json_t *in, json_t **out, cb_err *err);

/* A delivery status notification (m->kind CB_MAIL_BOUNCE) that returns one
 * of our notifications (m->dsn_of is an outbox Message-ID): the outbox row
 * becomes 'bounced', each failed recipient it was sent to is recorded in
 * its `refused`, hard-bounced (no more mail) and named in an internal note
 * on the ticket. 1 with *ticket (0 if none) and a one-line summary in
 * reason, 0 when it returns none of ours, -1 with err. */
#include "mail/message.h"
int cb_mailsvc_on_bounce(cb_conn *c, cb_ms now, const cb_mail *m, int64_t *ticket, char *reason,
		      size_t reasonlen, cb_err *err);

/* The outbox, newest first, optionally one state (queued, sent, failed,
 * bounced). Each row shows `refused`: recipients refused for good. */
int cb_mailsvc_outbox_list(cb_conn *c, const char *state, int limit, int64_t before, json_t **items,
			int64_t *next, cb_err *err);

/* Survey links: a token for (ticket, expiry), and its check. verify: 0 and
 * *ticket when valid and unexpired at now, else -1 (404). */
int cb_survey_token(cb_conn *c, int64_t ticket, cb_ms expires, char *out, size_t outlen,
		    cb_err *err);
int cb_survey_token_verify(cb_conn *c, const char *token, cb_ms now, int64_t *ticket,
			   cb_ms *expires, cb_err *err);

/* casebook_mail_outbox{state} and the age of the oldest queued mail. */
#include "util/buf.h"
void cb_mailsvc_metrics_render(cb_db *db, cb_buf *b);

/* The sender: the mail.outbox worker kind of src/jobs/kinds.c (while
 * `casebook serve` runs). open initialises libcurl; a turn delivers the due
 * rows and asks to sleep until the next one is due (at most 1 s; 5 s while
 * no SMTP server is set); kick wakes it (new mail, new settings). pending:
 * the queued rows and the creation of the oldest. */
int cb_mailsvc_sender_open(cb_app *app, cb_err *err);
int cb_mailsvc_sender_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err);
int cb_mailsvc_outbox_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err);
void cb_mailsvc_sender_kick(void);

#endif
