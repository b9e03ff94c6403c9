/* imap.h - reading a mailbox over IMAP with libcurl: the UIDs of unseen
 * messages, one message's bytes (which marks it \Seen on the server), and
 * clearing \Seen again when a message could not be taken. `url` names the
 * mailbox: imap://host:port/INBOX or imaps://...; user and password are
 * passed apart so they never appear in logs. */
#ifndef CB_MAIL_IMAP_H
#define CB_MAIL_IMAP_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct {
	const char *url, *user, *password;
	long timeout_s;
} cb_imap;

/* UIDs of the unseen messages, ascending (*uids freed with cb_free). */
int cb_imap_unseen(const cb_imap *box, int64_t **uids, int *n, cb_err *err);
/* The message with that UID (caller frees *raw with cb_free). */
int cb_imap_fetch(const cb_imap *box, int64_t uid, char **raw, size_t *len, cb_err *err);
/* UID STORE uid flags (e.g. "-FLAGS (\\Seen)"). */
int cb_imap_store(const cb_imap *box, int64_t uid, const char *flags, cb_err *err);

#endif
