/* mail_channels.h - the ways mail reaches Casebook besides
 * POST /api/v1/mail/inbound: an LMTP listener (serve --lmtp) and polling of
 * an IMAP mailbox (settings imap_url, imap_user, imap_password,
 * imap_interval_s). Both hand each message to cb_mail_deliver(). */
#ifndef CB_APP_MAIL_CHANNELS_H
#define CB_APP_MAIL_CHANNELS_H
#include "app/app.h"

int cb_mail_lmtp_start(cb_app *app, const char *host, int port, int *bound, cb_err *err);
void cb_mail_lmtp_stop(void);

/* The poller runs while the server does; it polls only while imap_url is
 * set. A message is taken when delivered (or recorded as ignored, or
 * unusable: it stays \Seen and is never fetched again); after a temporary
 * failure its \Seen flag is cleared so the next poll takes it again. */
int cb_mail_poller_start(cb_app *app, cb_err *err);
void cb_mail_poller_stop(void);
/* Polls now (after the IMAP settings changed). */
void cb_mail_poller_kick(void);
/* One poll (the thread's body; 0, or -1 with err). */
int cb_mail_poll_once(cb_app *app, int *taken, cb_err *err);

#endif
