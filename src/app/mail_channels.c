/* mail_channels.c - LMTP and IMAP glue (see mail_channels.h). */
#include "app/mail_channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mail_in.h"
#include "app/mail_out.h"
#include "http/server.h"
#include "mail/imap.h"
#include "mail/lmtp.h"
#include "util/alloc.h"
#include "util/worker.h"

/* ---- LMTP ------------------------------------------------------------------ */

static void lmtp_deliver(void *arg, const char *raw, size_t len, const char *const *rcpt, int nrcpt,
			 char *reply, size_t n)
{
	cb_app *app = arg;
	json_t *out = NULL;
	cb_err err = {0};
	/* the envelope recipients are the desk's own addresses */
	if (cb_mail_deliver(app, raw, len, rcpt, nrcpt, &out, &err) == 0) {
		json_t *t = json_object_get(out, "ticket");
		const char *result = json_string_value(json_object_get(out, "result"));
		if (json_is_integer(t))
			snprintf(reply, n, "250 2.0.0 %s ticket %lld", result,
				 (long long)json_integer_value(t));
		else
			snprintf(reply, n, "250 2.0.0 %s", result);
		json_decref(out);
	} else if (err.code == CB_E_INVALID) {
		snprintf(reply, n, "550 5.6.0 %s", err.message);
	} else {
		snprintf(reply, n, "451 4.3.0 try again later: %s", err.message);
	}
}

int cb_mail_lmtp_start(cb_app *app, const char *host, int port, int *bound, cb_err *err)
{
	return cb_lmtp_start(host, port, CB_HTTP_MAIL_MAX, lmtp_deliver, app, bound, err);
}

void cb_mail_lmtp_stop(void)
{
	cb_lmtp_stop();
}

/* ---- IMAP -------------------------------------------------------------------- */

int cb_mail_poll_once(cb_app *app, int *taken, cb_err *err)
{
	*taken = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	char url[512], user[256], pass[256];
	if (cb_mail_setting(c, "imap_url", url, sizeof url, err) ||
	    cb_mail_setting(c, "imap_user", user, sizeof user, err) ||
	    cb_mail_setting(c, "imap_password", pass, sizeof pass, err))
		return -1;
	cb_conn_reset_all(c);
	if (!*url)
		return 0;
	cb_imap box = {.url = url, .user = *user ? user : NULL, .password = *pass ? pass : NULL,
		       .timeout_s = 60};
	int64_t *uids = NULL;
	int n = 0;
	if (cb_imap_unseen(&box, &uids, &n, err))
		return -1;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		char *raw = NULL;
		size_t len = 0;
		if (cb_imap_fetch(&box, uids[i], &raw, &len, err)) {
			rc = -1;
			break;
		}
		json_t *out = NULL;
		cb_err de = {0};
		if (cb_mail_deliver(app, raw, len, NULL, 0, &out, &de) == 0 || de.code == CB_E_INVALID) {
			(*taken)++; /* recorded, or unusable: stays \Seen */
			if (de.code == CB_E_INVALID)
				fprintf(stderr, "imap: message uid %lld is unusable: %s\n",
					(long long)uids[i], de.message);
		} else {
			/* temporary: let the next poll take it again */
			cb_err se = {0};
			cb_imap_store(&box, uids[i], "-FLAGS (\\Seen)", &se);
			*err = de;
			rc = -1;
		}
		json_decref(out);
		cb_free(raw);
	}
	cb_free(uids);
	return rc;
}

static cb_worker poller = CB_WORKER_INIT;

static long poller_run(void *arg)
{
	cb_app *app = arg;
	int taken = 0;
	cb_err err = {0};
	if (cb_mail_poll_once(app, &taken, &err))
		fprintf(stderr, "imap poll: %s\n", err.message);
	long interval = 60;
	cb_err e2 = {0};
	cb_conn *c = cb_db_reader(app->db, &e2);
	char iv[32];
	if (c && cb_mail_setting(c, "imap_interval_s", iv, sizeof iv, &e2) == 0)
		interval = strtol(iv, NULL, 10);
	if (c)
		cb_conn_reset_all(c);
	return (interval < 1 ? 1 : interval) * 1000;
}

int cb_mail_poller_start(cb_app *app, cb_err *err)
{
	if (cb_worker_start(&poller, poller_run, app))
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot start the IMAP poller");
	return 0;
}

void cb_mail_poller_kick(void)
{
	cb_worker_kick(&poller);
}

void cb_mail_poller_stop(void)
{
	cb_worker_stop(&poller);
}
