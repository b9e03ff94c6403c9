/* mail_channels.h - the ways mail reaches Casebook besides
 * POST /api/v1/mail/inbound: an LMTP listener (serve --lmtp) and polling of
 * an IMAP mailbox (settings imap_url, imap_user, imap_password,
 * imap_interval_s). Both hand each message to cb_mailsvc_deliver(). */
#ifndef CB_APP_MAIL_CHANNELS_H
#define CB_APP_MAIL_CHANNELS_H
#include "app/app.h"

int cb_mailsvc_lmtp_start(cb_app *app, const char *host, int port, int *bound, cb_err *err);
void cb_mailsvc_lmtp_stop(void);

/* casebook_mail_inbound_refused_total{channel,reason} and
 * casebook_mail_inbound_failed_total{channel} for LMTP and IMAP. */
#include "util/buf.h"
void cb_mailsvc_channels_metrics_render(cb_buf *b);

/* The poller runs while the server does; it polls only while imap_url is
 * set. Each unseen message is fetched with BODY.PEEK[] (its \Seen flag
 * untouched), recorded, and flagged \Seen only after the commit, so a crash
 * or a temporary failure in between leaves it unseen and the next poll
 * takes it again (the Message-ID check makes that a duplicate at worst).
 * A message over CB_MAIL_MAX (by its RFC822.SIZE, never downloaded)
 * or unusable is refused: flagged \Seen and \Flagged, logged with its UID
 * and counted in casebook_mail_inbound_refused_total. */
/* The poller is the mail.imap_poll worker kind of src/jobs/kinds.c; its
 * turn polls once and sleeps imap_interval_s. */
int cb_mailsvc_poller_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err);
/* Polls now (after the IMAP settings changed). */
void cb_mailsvc_poller_kick(void);
/* One poll (0, or -1 with err). */
int cb_mailsvc_poll_once(cb_app *app, int *taken, cb_err *err);

#endif
