/* mail_channels.c - LMTP and IMAP glue (see mail_channels.h). */
#include "app/mail/mail_channels.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mail/mail_in.h"
#include "app/mail/mail_out.h"
#include "jobs/jobs.h"
#include "mail/imap.h"
#include "mail/lmtp.h"
#include "util/alloc.h"

/* ---- counters (GET /metrics) ---------------------------------------------- */

enum { CH_LMTP, CH_IMAP, CH__COUNT };
static const char *const ch_names[CH__COUNT] = {"lmtp", "imap"};
static atomic_ullong refused_large[CH__COUNT], refused_unusable[CH__COUNT], failed[CH__COUNT];

void cb_mailsvc_channels_metrics_render(cb_buf *b)
{
	cb_buf_puts(b, "# HELP casebook_mail_inbound_refused_total Messages an MTA channel refused for"
		       " good: over the size limit (too_large) or without a usable header block or"
		       " sender (unusable).\n"
		       "# TYPE casebook_mail_inbound_refused_total counter\n");
	for (int i = 0; i < CH__COUNT; i++)
		cb_buf_printf(b,
			      "casebook_mail_inbound_refused_total{channel=\"%s\",reason=\"too_large\"} %llu\n"
			      "casebook_mail_inbound_refused_total{channel=\"%s\",reason=\"unusable\"} %llu\n",
			      ch_names[i], (unsigned long long)atomic_load(&refused_large[i]), ch_names[i],
			      (unsigned long long)atomic_load(&refused_unusable[i]));
	cb_buf_puts(b, "# HELP casebook_mail_inbound_failed_total Temporary failures of an MTA channel"
		       " (the message is taken again later): a delivery that could not be recorded,"
		       " or an IMAP poll that could not reach or read the mailbox.\n"
		       "# TYPE casebook_mail_inbound_failed_total counter\n");
	for (int i = 0; i < CH__COUNT; i++)
		cb_buf_printf(b, "casebook_mail_inbound_failed_total{channel=\"%s\"} %llu\n", ch_names[i],
			      (unsigned long long)atomic_load(&failed[i]));
}

/* ---- LMTP ------------------------------------------------------------------ */

static void lmtp_deliver(void *arg, const char *raw, size_t len, const char *const *rcpt, int nrcpt,
			 char *reply, size_t n)
{
	cb_app *app = arg;
	if (!raw) { /* over the size limit (lmtp.h) */
		atomic_fetch_add(&refused_large[CH_LMTP], 1);
		fprintf(stderr, "lmtp: message refused: larger than %u bytes\n", CB_MAIL_MAX);
		snprintf(reply, n, "552 5.3.4 message larger than %u bytes", CB_MAIL_MAX);
		return;
	}
	json_t *out = NULL;
	cb_err err = {0};
	/* the envelope recipients are the desk's own addresses */
	if (cb_mailsvc_deliver(app, raw, len, rcpt, nrcpt, &out, &err) == 0) {
		json_t *t = json_object_get(out, "ticket");
		const char *result = json_string_value(json_object_get(out, "result"));
		if (json_is_integer(t))
			snprintf(reply, n, "250 2.0.0 %s ticket %lld", result,
				 (long long)json_integer_value(t));
		else
			snprintf(reply, n, "250 2.0.0 %s", result);
		json_decref(out);
	} else if (err.code == CB_E_INVALID) {
		atomic_fetch_add(&refused_unusable[CH_LMTP], 1);
		fprintf(stderr, "lmtp: message refused: %s\n", err.message);
		snprintf(reply, n, "550 5.6.0 %s", err.message);
	} else {
		atomic_fetch_add(&failed[CH_LMTP], 1);
		fprintf(stderr, "lmtp: delivery failed (the MTA retries): %s\n", err.message);
		snprintf(reply, n, "451 4.3.0 try again later: %s", err.message);
	}
}

int cb_mailsvc_lmtp_start(cb_app *app, const char *host, int port, int *bound, cb_err *err)
{
	return cb_lmtp_start(host, port, CB_MAIL_MAX, lmtp_deliver, app, bound, err);
}

void cb_mailsvc_lmtp_stop(void)
{
	cb_lmtp_stop();
}

/* ---- IMAP -------------------------------------------------------------------- */

/* A message refused for good: counted, logged with its UID, and flagged
 * \Seen and \Flagged so that it is not taken again and a person reading
 * the mailbox finds it. */
static void imap_refuse(cb_imap_session *s, const char *url, int64_t uid, int large,
			const char *why)
{
	atomic_fetch_add(large ? &refused_large[CH_IMAP] : &refused_unusable[CH_IMAP], 1);
	fprintf(stderr, "imap: %s: message uid %lld refused: %s\n", url, (long long)uid, why);
	cb_err se = {0};
	if (cb_imap_store(s, uid, "+FLAGS (\\Seen \\Flagged)", &se))
		fprintf(stderr, "imap: %s: cannot flag message uid %lld: %s\n", url, (long long)uid,
			se.message);
}

/* One message: recorded first, \Seen only after the commit. 0, or -1
 * with err (temporary: the poll stops, the message stays unseen). */
static int imap_take(cb_app *app, cb_imap_session *s, const char *url, int64_t uid, int *taken,
		     cb_err *err)
{
	size_t size = 0;
	if (cb_imap_size(s, uid, &size, err))
		return err->code == CB_E_NOTFOUND ? (cb_err_clear(err), 0) : -1; /* expunged */
	char why[160];
	if (size > CB_MAIL_MAX) {
		snprintf(why, sizeof why, "%zu bytes is larger than the limit of %u bytes", size,
			 CB_MAIL_MAX);
		imap_refuse(s, url, uid, 1, why);
		return 0;
	}
	char *raw = NULL;
	size_t len = 0;
	int truncated = 0;
	if (cb_imap_fetch(s, uid, CB_MAIL_MAX, &raw, &len, &truncated, err))
		return err->code == CB_E_NOTFOUND ? (cb_err_clear(err), 0) : -1;
	if (truncated) {
		snprintf(why, sizeof why, "larger than the limit of %u bytes", CB_MAIL_MAX);
		imap_refuse(s, url, uid, 1, why);
		cb_free(raw);
		return 0;
	}
	json_t *out = NULL;
	cb_err de = {0};
	int rc = 0;
	if (cb_mailsvc_deliver(app, raw, len, NULL, 0, &out, &de) == 0) {
		/* committed: now the server may forget it is new */
		cb_err se = {0};
		if (cb_imap_store(s, uid, "+FLAGS (\\Seen)", &se))
			fprintf(stderr, "imap: %s: cannot set \\Seen on message uid %lld (taken again"
				" as a duplicate): %s\n", url, (long long)uid, se.message);
		(*taken)++;
	} else if (de.code == CB_E_INVALID) {
		imap_refuse(s, url, uid, 0, de.message);
	} else {
		atomic_fetch_add(&failed[CH_IMAP], 1);
		*err = de;
		rc = -1;
	}
	json_decref(out);
	cb_free(raw);
	return rc;
}

int cb_mailsvc_poll_once(cb_app *app, int *taken, cb_err *err)
{
	*taken = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	char url[512], user[256], pass[256];
	if (cb_mailsvc_setting(c, "imap_url", url, sizeof url, err) ||
	    cb_mailsvc_setting(c, "imap_user", user, sizeof user, err) ||
	    cb_mailsvc_setting(c, "imap_password", pass, sizeof pass, err))
		return -1;
	cb_conn_reset_all(c);
	if (!*url)
		return 0;
	cb_imap box = {.url = url, .user = *user ? user : NULL, .password = *pass ? pass : NULL,
		       .timeout_s = 60};
	cb_imap_session *s = NULL;
	int64_t *uids = NULL;
	int n = 0;
	if (cb_imap_open(&box, &s, err) || cb_imap_unseen(s, &uids, &n, err)) {
		atomic_fetch_add(&failed[CH_IMAP], 1);
		cb_imap_close(s);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = imap_take(app, s, url, uids[i], taken, err);
	cb_free(uids);
	cb_imap_close(s);
	return rc;
}

/* The mail.imap_poll worker kind's turn (src/jobs/kinds.c): one poll, then
 * a sleep of imap_interval_s (a failed poll is logged and counted by the
 * job system and retried after the same interval). */
int cb_mailsvc_poller_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err)
{
	int taken = 0;
	int rc = cb_mailsvc_poll_once(app, &taken, err);
	long interval = 60;
	cb_err e2 = {0};
	cb_conn *c = cb_db_reader(app->db, &e2);
	char iv[32];
	if (c && cb_mailsvc_setting(c, "imap_interval_s", iv, sizeof iv, &e2) == 0)
		interval = strtol(iv, NULL, 10);
	if (c)
		cb_conn_reset_all(c);
	*sleep_ms = (cb_ms)(interval < 1 ? 1 : interval) * 1000;
	return rc ? -1 : 0;
}

void cb_mailsvc_poller_kick(void)
{
	cb_jobs_kick_kind(CB_JOB_IMAP_POLL);
}
