/* lmtp.h - an LMTP listener (RFC 2033) for MTAs that deliver to a socket
 * (Postfix `mailbox_transport = lmtp:inet:127.0.0.1:2424`, Exim's lmtp
 * transport). One thread accepts; each connection gets its own thread
 * (at most CB_LMTP_MAX_CONNS). After DATA the message is handed to the
 * deliver callback once, and its answer is repeated for every accepted
 * recipient, as LMTP requires. */
#ifndef CB_MAIL_LMTP_H
#define CB_MAIL_LMTP_H
#include <stddef.h>

#include "util/err.h"

#define CB_LMTP_MAX_CONNS 32
#define CB_LMTP_IDLE_S 300 /* a connection silent this long is closed */

/* Delivers one message addressed (RCPT TO) to rcpt[0..nrcpt-1] (lower-cased
 * addresses without <>); writes a full reply line without CRLF ("250 2.0.0
 * ok", "451 4.3.0 ...", "550 5.6.0 ...") into reply. raw is NULL when the
 * message was larger than max_message (its bytes were read and dropped):
 * the callback writes the refusal ("552 5.3.4 ..."). */
typedef void (*cb_lmtp_deliver_fn)(void *arg, const char *raw, size_t len,
				   const char *const *rcpt, int nrcpt, char *reply, size_t replylen);

#define CB_LMTP_MAX_RCPT 100

/* Listens on host:port (port 0 picks one; *bound gets it). 0 or -1. */
int cb_lmtp_start(const char *host, int port, size_t max_message, cb_lmtp_deliver_fn fn,
		  void *arg, int *bound, cb_err *err);
/* Stops accepting, closes the open connections and joins every thread. */
void cb_lmtp_stop(void);

#endif
