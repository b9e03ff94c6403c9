/* mail_in.c - inbound e-mail to tickets (see mail_in.h). */
#include "app/mail/mail_in.h"
#include "app/ticket/eventlog.h"
#include "util/jsonx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/directory/directory.h"
#include "app/mail/mail_out.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"

static json_t *id_or_null(int64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

/* ---- settings ------------------------------------------------------------ */

int cb_mailsvc_default_account(cb_conn *c, cb_arena *a, cb_ms now, int64_t *out, cb_err *err)
{
	/* `casebook init` creates the account "default" and names it in the
	 * setting default_account; an admin may point the setting elsewhere */
	char name[201];
	if (cb_mailsvc_setting(c, "default_account", name, sizeof name, err))
		return -1;
	if (!*name)
		snprintf(name, sizeof name, "default");
	int r;
	int64_t id = 0;
	r = cb_q_one_by_text(c, CB_SQL_ACCOUNT_BY_NAME, name, &id, err);
	if (r < 0)
		return -1;
	if (!r) {
		cb_dir_account_in in = {.set = CB_DIR_ACCOUNT_NAME | CB_DIR_ACCOUNT_TIER,
					.name = name,
					.tier = "standard"};
		cb_actor sys = {.role = CB_ROLE_ADMIN};
		if (cb_dir_account_check(&in, 0, a, err) ||
		    cb_dir_account_create(c, a, &sys, now, &in, &id, err))
			return -1;
	}
	*out = id;
	return 0;
}

/* ---- threading ----------------------------------------------------------- */

static int ticket_by_mid(cb_conn *c, const char *mid, int64_t *out, cb_err *err)
{
	if (!mid || !*mid)
		return 0;
	return cb_q_one_by_text(c, CB_SQL_MAIL_TICKET_BY_MID, mid, out, err);
}

/* The ticket number of the first "[#N]" in the subject, or 0. */
static int64_t subject_token(const char *s)
{
	for (const char *p = s ? strstr(s, "[#") : NULL; p; p = strstr(p + 2, "[#")) {
		const char *d = p + 2;
		int64_t n = 0;
		int digits = 0;
		while (isdigit((unsigned char)*d) && digits < 18) {
			n = n * 10 + (*d - '0');
			d++;
			digits++;
		}
		if (digits && *d == ']' && n > 0)
			return n;
	}
	return 0;
}

/* Whether the sender may write into ticket t by mail: its requester, staff
 * (agent-side users), an address already on its mail (From, To or Cc of a
 * message of the ticket) or a user who wrote a comment on it. Sharing the
 * ticket's account is not enough: every stranger is a customer of the
 * default account. */
static int is_participant(cb_conn *c, const cb_ticket *t, const cb_dir_user_info *u,
			  const char *addr, cb_err *err)
{
	if (u->id && (u->id == t->requester_id || cb_role_is_agent_side(u->role)))
		return 1;
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_PARTICIPANT_HAS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, t->id);
	cb_q_bind_text(q, 2, addr);
	int r = cb_q_step(q, err);
	if (r > 0)
		cb_q_reset(q);
	if (r || !u->id)
		return r;
	q = cb_q_get(c, CB_SQL_MAIL_COMMENTED, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, t->id);
	cb_q_bind_i64(q, 2, u->id);
	r = cb_q_step(q, err);
	if (r > 0)
		cb_q_reset(q);
	return r;
}

/* Whether ticket id exists and the sender may thread into it: 1, 0, -1. */
static int may_thread(cb_conn *c, int64_t id, const cb_dir_user_info *u, const char *addr,
		      cb_err *err)
{
	cb_ticket t;
	cb_err e2 = {0};
	if (cb_eventlog_load(c, id, &t, &e2)) {
		if (e2.code == CB_E_NOTFOUND)
			return 0;
		*err = e2;
		return -1;
	}
	int p = is_participant(c, &t, u, addr, err);
	cb_ticket_clear(&t);
	return p;
}

/* The ticket a message id names, when the sender may thread into it. */
static int thread_by_mid(cb_conn *c, const char *mid, const cb_dir_user_info *u,
			 const char *addr, int64_t *out, cb_err *err)
{
	int64_t id = 0;
	int r = ticket_by_mid(c, mid, &id, err);
	if (r <= 0)
		return r;
	r = may_thread(c, id, u, addr, err);
	if (r > 0)
		*out = id;
	return r;
}

/* ---- recording ----------------------------------------------------------- */

static int record(cb_conn *c, cb_ms now, const char *mid, const cb_mail *m, int64_t ticket,
		  int64_t event, const char *result, const char *reason, const char *raw,
		  size_t len, int64_t *out_id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, "in");
	cb_q_bind_text(q, 2, mid);
	if (ticket)
		cb_q_bind_i64(q, 3, ticket);
	else
		cb_q_bind_null(q, 3);
	if (event)
		cb_q_bind_i64(q, 4, event);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_text(q, 5, m->from_addr);
	cb_q_bind_text(q, 6, m->subject);
	cb_q_bind_text(q, 7, result);
	cb_q_bind_text(q, 8, reason);
	cb_q_bind_blob(q, 9, raw, len);
	cb_q_bind_i64(q, 10, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	*out_id = new_id;
	return 0;
}

static int add_participant(cb_conn *c, int64_t ticket, const char *addr, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_PARTICIPANT_ADD, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_text(q, 2, addr);
	return cb_q_exec(q, err);
}

static json_t *result_json(const char *result, const char *reason, int64_t ticket, int64_t event,
			   int64_t msg)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:I, s:[], s:[]}", "result", result, "reason",
			 reason ? json_string(reason) : json_null(), "ticket", id_or_null(ticket),
			 "comment", id_or_null(event), "message", (json_int_t)msg, "attachments",
			 "skipped");
}

/* The sender as a user, created as a customer when unknown. */
static int sender(cb_conn *c, cb_arena *a, cb_ms now, const cb_mail *m, cb_dir_user_info *u,
		  cb_err *err)
{
	int r = cb_dir_user_load(c, a, 0, m->from_addr, u, err);
	if (r < 0)
		return -1;
	if (r)
		return 0;
	int64_t account = 0;
	r = cb_dir_account_for_email(c, m->from_addr, &account, err);
	if (r < 0)
		return -1;
	if (!r && cb_mailsvc_default_account(c, a, now, &account, err))
		return -1;
	json_t *acc = json_integer((json_int_t)account);
	char name[201];
	snprintf(name, sizeof name, "%s", m->from_name ? m->from_name : "");
	cb_dir_user_in in = {.set = CB_DIR_USER_EMAIL | CB_DIR_USER_NAME | CB_DIR_USER_ROLE |
				    CB_DIR_USER_ACCOUNT,
			     .email = m->from_addr,
			     .name = name,
			     .role = "customer",
			     .account = acc};
	cb_actor sys = {.role = CB_ROLE_ADMIN};
	int64_t id = 0;
	int rc = cb_dir_user_check(&in, 0, a, err) ||
		 cb_dir_user_create(c, a, &sys, now, &in, &id, err);
	json_decref(acc);
	if (rc)
		return -1;
	return cb_dir_user_load(c, a, id, NULL, u, err) == 1 ? 0 : -1;
}

static int store_attachments(cb_conn *c, cb_ms now, const cb_mail *m, int64_t ticket,
			     int64_t event, json_t *saved, json_t *skipped, cb_err *err)
{
	for (int i = 0; i < m->nattachments; i++) {
		const cb_mail_attachment *at = &m->attachments[i];
		if (at->size > CB_MAIL_MAX_ATTACHMENT) {
			json_array_append_new(skipped,
					      json_pack("{s:s, s:I, s:s}", "filename", at->filename,
							"size", (json_int_t)at->size, "reason",
							"larger than the attachment limit"));
			/* the agents learn of it on the ticket (the original
			 * message with the file stays in the mail log) */
			char note[1200];
			snprintf(note, sizeof note,
				 "The attachment \"%s\" (%zu bytes) of %s's mail was not stored: it is "
				 "larger than the attachment limit of %u bytes. The original message "
				 "keeps it.",
				 at->filename, at->size, m->from_addr, CB_MAIL_MAX_ATTACHMENT);
			if (cb_mailsvc_note(c, ticket, now, note, err))
				return -1;
			continue;
		}
		cb_q *q = cb_q_get(c, CB_SQL_ATTACHMENT_INSERT, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, ticket);
		cb_q_bind_i64(q, 2, event);
		cb_q_bind_text(q, 3, at->filename);
		cb_q_bind_text(q, 4, at->content_type);
		cb_q_bind_i64(q, 5, (int64_t)at->size);
		cb_q_bind_text(q, 6, at->sha256);
		cb_q_bind_text(q, 7, at->content_id);
		cb_q_bind_i64(q, 8, at->is_inline);
		cb_q_bind_blob(q, 9, at->data, at->size);
		cb_q_bind_i64(q, 10, now);
		int64_t new_id = 0;
		if (cb_q_exec_id(q, &new_id, err))
			return -1;
		json_array_append_new(saved, json_pack("{s:I, s:s, s:s, s:I, s:s, s:b}", "id",
						       (json_int_t)new_id, "filename",
						       at->filename, "content_type", at->content_type,
						       "size", (json_int_t)at->size, "sha256",
						       at->sha256, "inline", at->is_inline));
	}
	return 0;
}

/* Step 1 of cb_mailsvc_inbound: a Message-ID seen before gets the same
 * answer again. 1 when answered, 0 when new, -1 on error. */
static int inbound_seen(cb_conn *c, const char *mid, json_t **out, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_IN_BY_MID, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, mid);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	int64_t id = cb_q_i64(q, 0);
	int64_t t = cb_q_isnull(q, 1) ? 0 : cb_q_i64(q, 1);
	int64_t e = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
	char *first = cb_xstrdup(cb_q_text(q, 3));
	cb_q_reset(q);
	char reason[160];
	snprintf(reason, sizeof reason, "this Message-ID was received before (%s)", first);
	cb_free(first);
	*out = result_json("duplicate", reason, t, e, id);
	return 1;
}

/* Step 2: machine-sent mail, and our own notifications coming back (an
 * alias of the desk on a ticket's mail), are recorded and otherwise
 * ignored; a bounce of one of our notifications is linked to its ticket,
 * the outbox row marked, the address silenced (cb_mailsvc_on_bounce).
 * 1 when answered, 0 when the message goes on, -1 on error. */
static int inbound_noise(cb_conn *c, cb_ms now, const char *raw, size_t len, const cb_mail *m,
			 const char *mid, const char *const *desk, int ndesk, json_t **out,
			 cb_err *err)
{
	int64_t msg = 0;
	int own = cb_mailsvc_is_desk(c, m->from_addr, desk, ndesk, err);
	if (own < 0)
		return -1;
	const char *noise = m->kind != CB_MAIL_HUMAN ? m->kind_reason
			    : own ? "sent by this desk (one of its own addresses)"
				  : NULL;
	int64_t bt = 0;
	char breason[600];
	int b = noise ? cb_mailsvc_on_bounce(c, now, m, &bt, breason, sizeof breason, err) : 0;
	if (b < 0)
		return -1;
	if (b) {
		if (record(c, now, mid, m, bt, 0, "bounced", breason, raw, len, &msg, err))
			return -1;
		*out = result_json("bounced", breason, bt, 0, msg);
		return 1;
	}
	if (noise) {
		if (record(c, now, mid, m, 0, 0, "ignored", noise, raw, len, &msg, err))
			return -1;
		*out = result_json("ignored", noise, 0, 0, msg);
		return 1;
	}
	return 0;
}

/* Step 3: the per-sender rate. 1 when answered (rate limited), 0 when the
 * message goes on, -1 on error. */
static int inbound_rate(cb_conn *c, cb_ms now, const char *raw, size_t len, const cb_mail *m,
			const char *mid, json_t **out, cb_err *err)
{
	int64_t msg = 0;
	int64_t per_hour = 0, recent = 0;
	char rate[32];
	if (cb_mailsvc_setting(c, "rate_per_hour", rate, sizeof rate, err))
		return -1;
	per_hour = strtoll(rate, NULL, 10);
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_RECENT_FROM, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, m->from_addr);
	cb_q_bind_i64(q, 2, now - 3600 * 1000);
	if (cb_q_step(q, err) < 0)
		return -1;
	recent = cb_q_i64(q, 0);
	cb_q_reset(q);
	if (per_hour > 0 && recent >= per_hour) {
		const char *why = "the sender exceeded mail.rate_per_hour";
		if (record(c, now, mid, m, 0, 0, "rate_limited", why, raw, len, &msg, err))
			return -1;
		*out = result_json("rate_limited", why, 0, 0, msg);
		return 1;
	}
	return 0;
}

/* Step 4: the ticket the message answers, for participants only
 * (is_participant): by its references, else by the subject token. 0 with
 * *ticket = 0 when it answers none. */
static int inbound_thread(cb_conn *c, const cb_mail *m, cb_dir_user_info *u, int64_t *ticket,
			  const char **how, cb_err *err)
{
	int r = thread_by_mid(c, m->in_reply_to, u, m->from_addr, ticket, err);
	for (int i = m->nreferences - 1; r == 0 && i >= 0; i--)
		r = thread_by_mid(c, m->references[i], u, m->from_addr, ticket, err);
	if (r < 0)
		return -1;
	*how = r ? "references" : NULL;
	int64_t tok = r ? 0 : subject_token(m->subject);
	if (tok) {
		int p = may_thread(c, tok, u, m->from_addr, err);
		if (p < 0)
			return -1;
		if (p) {
			*ticket = tok;
			*how = "subject token";
		}
	}
	return 0;
}

/* Step 5: the message's text as a comment on the ticket it answers (or its
 * follow-up), else as a new ticket. */
static int inbound_write(cb_conn *c, cb_ms now, const cb_mail *m, const cb_dir_user_info *u,
			 int64_t ticket, int64_t *event, int64_t *target, const char **result,
			 cb_err *err)
{
	char *body = cb_mail_strip_reply(m->text);
	if (!*body) {
		cb_free(body);
		body = cb_xstrdup(m->nattachments ? "(attachments only)" : "(no text)");
	}
	int rc = 0;
	if (ticket) {
		cb_ticket t;
		if (cb_eventlog_load(c, ticket, &t, err)) {
			cb_free(body);
			return -1;
		}
		/* a participant writes as a requester-side user of this ticket */
		cb_actor act = {.user_id = u->id, .role = u->role, .email = u->email,
				.account_id = u->role == CB_ROLE_CUSTOMER ? t.account_id : 0};
		cb_ticket_clear(&t);
		json_t *in = json_pack("{s:s, s:b}", "body", body, "public", 1);
		rc = cb_ticketsvc_comment(c, &act, now, ticket, in, event, target, err);
		json_decref(in);
		*result = *target != ticket ? "followup" : "appended";
	} else {
		cb_actor act = {.user_id = u->id, .role = u->role, .email = u->email,
				.account_id = u->account_id};
		json_t *in = json_pack("{s:s, s:s}", "subject", *m->subject ? m->subject : "(no subject)",
				       "description", body);
		if (act.role != CB_ROLE_CUSTOMER)
			json_object_set_new(in, "requester", json_integer((json_int_t)u->id));
		rc = cb_ticketsvc_create(c, &act, now, in, 0, target, err);
		json_decref(in);
		if (rc == 0 && cb_q_one_by_id(c, CB_SQL_MAIL_EVENT_FIRST, *target, event, err) < 0)
			rc = -1;
		*result = "created";
	}
	cb_free(body);
	return rc ? -1 : 0;
}

/* Step 6: the sender (no longer suppressed) and the other recipients
 * become participants of the ticket. */
static int inbound_participants(cb_conn *c, const cb_mail *m, int64_t target,
				const char *const *desk, int ndesk, cb_err *err)
{
	/* an address that bounced once but writes in exists again */
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_UNSUPPRESS, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, m->from_addr);
	if (cb_q_exec(q, err))
		return -1;
	if (add_participant(c, target, m->from_addr, err))
		return -1;
	for (int i = 0; i < m->nrecipients; i++) {
		/* the desk's own addresses never become participants: every
		 * reply would go to them too and come back in */
		int d = cb_mailsvc_is_desk(c, m->recipients[i], desk, ndesk, err);
		if (d < 0 || (!d && add_participant(c, target, m->recipients[i], err)))
			return -1;
	}
	return 0;
}

int cb_mailsvc_inbound(cb_conn *c, cb_arena *a, cb_ms now, const char *raw, size_t len,
		    const cb_mail *m, const char *const *desk, int ndesk, json_t **out, cb_err *err)
{
	*out = NULL;
	/* a message without a Message-ID gets one derived from its stable
	 * headers and body (cb_mail.fingerprint), so that a retried delivery
	 * is still a duplicate although the MTA's "From " line, Received and
	 * Delivered-To headers differ per attempt */
	char derived[128];
	const char *mid = m->message_id;
	if (!mid) {
		snprintf(derived, sizeof derived, "%.32s@no-message-id.casebook", m->fingerprint);
		mid = derived;
	}
	int done = inbound_seen(c, mid, out, err);
	if (!done)
		done = inbound_noise(c, now, raw, len, m, mid, desk, ndesk, out, err);
	if (!done)
		done = inbound_rate(c, now, raw, len, m, mid, out, err);
	if (done)
		return done < 0 ? -1 : 0;

	int64_t msg = 0;
	cb_dir_user_info u;
	if (sender(c, a, now, m, &u, err))
		return -1;
	if (!u.active) {
		const char *why = "the sender's user is deactivated";
		if (record(c, now, mid, m, 0, 0, "ignored", why, raw, len, &msg, err))
			return -1;
		*out = result_json("ignored", why, 0, 0, msg);
		return 0;
	}
	int64_t ticket = 0;
	const char *how;
	if (inbound_thread(c, m, &u, &ticket, &how, err))
		return -1;
	int64_t event = 0, target = ticket;
	const char *result;
	if (inbound_write(c, now, m, &u, ticket, &event, &target, &result, err))
		return -1;
	if (record(c, now, mid, m, target, event, result, how, raw, len, &msg, err))
		return -1;
	if (inbound_participants(c, m, target, desk, ndesk, err))
		return -1;
	json_t *o = result_json(result, how, target, event, msg);
	if (store_attachments(c, now, m, target, event, json_object_get(o, "attachments"),
			      json_object_get(o, "skipped"), err)) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* ---- reads --------------------------------------------------------------- */

static json_t *message_json(cb_q *q)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:I}", "id",
			 (json_int_t)cb_q_i64(q, 0), "direction", cb_q_text(q, 1), "message_id",
			 cb_q_text(q, 2), "ticket",
			 cb_q_isnull(q, 3) ? json_null() : json_integer((json_int_t)cb_q_i64(q, 3)),
			 "comment",
			 cb_q_isnull(q, 4) ? json_null() : json_integer((json_int_t)cb_q_i64(q, 4)),
			 "from", cb_q_text(q, 5), "subject", cb_q_text(q, 6), "result",
			 cb_q_text(q, 7), "reason",
			 cb_q_isnull(q, 8) ? json_null() : json_string(cb_q_text(q, 8)), "at",
			 cb_json_time(cb_q_i64(q, 9)), "size", (json_int_t)cb_q_i64(q, 10));
}

json_t *cb_mailsvc_message_get(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0) {
		if (r == 0)
			cb_err_set(err, CB_E_NOTFOUND, NULL, "no such message: %lld", (long long)id);
		return NULL;
	}
	json_t *o = message_json(q);
	cb_q_reset(q);
	return o;
}

int cb_mailsvc_message_raw(cb_conn *c, int64_t id, char **data, size_t *len, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_RAW, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0 || cb_q_isnull(q, 0)) {
		if (r)
			cb_q_reset(q);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no stored original for message %lld",
				  (long long)id);
	}
	size_t n = 0;
	const void *p = cb_q_blob(q, 0, &n);
	*data = cb_xmalloc(n ? n : 1);
	if (n)
		memcpy(*data, p, n);
	*len = n;
	cb_q_reset(q);
	return 0;
}

/* Whether viewer may see ticket `id` (customers: their own account). */
static int ticket_visible(cb_conn *c, const cb_actor *viewer, int64_t id, cb_err *err)
{
	cb_ticket t;
	cb_err e2 = {0};
	if (cb_eventlog_load(c, id, &t, &e2)) {
		if (e2.code == CB_E_NOTFOUND)
			return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
		*err = e2;
		return -1;
	}
	int ok = viewer->role != CB_ROLE_CUSTOMER ||
		 (t.account_id && t.account_id == viewer->account_id);
	cb_ticket_clear(&t);
	if (!ok)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	return 0;
}

int cb_mailsvc_ticket_messages(cb_conn *c, const cb_actor *viewer, int64_t ticket, int limit,
			    int64_t after, json_t **items, int64_t *next, cb_err *err)
{
	*items = NULL;
	*next = 0;
	if (ticket_visible(c, viewer, ticket, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_OF_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_i64(q, 2, after);
	cb_q_bind_i64(q, 3, limit + 1);
	json_t *arr = json_array();
	int r, n = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n == limit) {
			cb_q_reset(q);
			break;
		}
		json_array_append_new(arr, message_json(q));
		*next = cb_q_i64(q, 0);
		n++;
	}
	if (r < 0) {
		json_decref(arr);
		return -1;
	}
	if (n < limit || json_array_size(arr) == 0)
		*next = 0;
	*items = arr;
	return 0;
}

/* Customers see attachments of public comments only. */
static int attachment_visible(cb_q *q, const cb_actor *viewer)
{
	if (viewer->role != CB_ROLE_CUSTOMER)
		return 1;
	if (cb_q_isnull(q, 10))
		return 0;
	json_t *d = json_loads(cb_q_text(q, 10), 0, NULL);
	json_t *pub = json_object_get(d, "public");
	/* the creation event has no "public": its description is public */
	int ok = !d ? 0 : (pub ? json_is_true(pub) : json_object_get(d, "subject") != NULL);
	json_decref(d);
	return ok;
}

static json_t *attachment_json(cb_q *q)
{
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:I, s:s, s:o, s:b, s:o}", "id",
			 (json_int_t)cb_q_i64(q, 0), "ticket", (json_int_t)cb_q_i64(q, 1), "comment",
			 cb_q_isnull(q, 2) ? json_null() : json_integer((json_int_t)cb_q_i64(q, 2)),
			 "filename", cb_q_text(q, 3), "content_type", cb_q_text(q, 4), "size",
			 (json_int_t)cb_q_i64(q, 5), "sha256", cb_q_text(q, 6), "content_id",
			 cb_q_isnull(q, 7) ? json_null() : json_string(cb_q_text(q, 7)), "inline",
			 (int)cb_q_i64(q, 8), "created_at", cb_json_time(cb_q_i64(q, 9)));
}

int cb_attachment_list(cb_conn *c, const cb_actor *viewer, int64_t ticket, json_t **items,
		       cb_err *err)
{
	*items = NULL;
	if (ticket_visible(c, viewer, ticket, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_ATTACHMENTS_OF_TICKET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	json_t *arr = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		if (attachment_visible(q, viewer))
			json_array_append_new(arr, attachment_json(q));
	if (r < 0) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

int cb_attachment_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **meta,
		      char **data, size_t *len, cb_err *err)
{
	*meta = NULL;
	*data = NULL;
	cb_q *q = cb_q_get(c, CB_SQL_ATTACHMENT_META, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such attachment: %lld", (long long)id);
	int64_t ticket = cb_q_i64(q, 1);
	int vis = attachment_visible(q, viewer);
	json_t *m = attachment_json(q);
	cb_q_reset(q);
	if (!vis) {
		json_decref(m);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such attachment: %lld", (long long)id);
	}
	if (ticket_visible(c, viewer, ticket, err)) {
		json_decref(m);
		cb_err_clear(err);
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such attachment: %lld", (long long)id);
	}
	q = cb_q_get(c, CB_SQL_ATTACHMENT_DATA, err);
	if (!q) {
		json_decref(m);
		return -1;
	}
	cb_q_bind_i64(q, 1, id);
	if (cb_q_step(q, err) != 1) {
		json_decref(m);
		return -1;
	}
	size_t n = 0;
	const void *p = cb_q_blob(q, 0, &n);
	*data = cb_xmalloc(n ? n : 1);
	if (n)
		memcpy(*data, p, n);
	*len = n;
	cb_q_reset(q);
	*meta = m;
	return 0;
}

/* ---- delivery outside HTTP (LMTP, IMAP) ---------------------------------- */

struct deliver_job {
	const char *raw;
	size_t len;
	const cb_mail *m;
	const char *const *desk;
	int ndesk;
	json_t *out;
};

static int deliver_fn(cb_conn *c, void *p, cb_err *err)
{
	struct deliver_job *j = p;
	cb_arena *a = cb_arena_new();
	int rc = cb_mailsvc_inbound(c, a, cb_now_ms(), j->raw, j->len, j->m, j->desk, j->ndesk, &j->out,
				 err);
	cb_arena_free(a);
	return rc;
}

int cb_mailsvc_deliver(cb_app *app, const char *raw, size_t len, const char *const *desk, int ndesk,
		    json_t **out, cb_err *err)
{
	*out = NULL;
	cb_mail m;
	if (cb_mail_parse(raw, len, &m, err))
		return -1;
	struct deliver_job j = {.raw = raw, .len = len, .m = &m, .desk = desk, .ndesk = ndesk};
	int rc = cb_db_write(app->db, deliver_fn, &j, err);
	cb_mail_free(&m);
	if (rc) {
		json_decref(j.out);
		return -1;
	}
	*out = j.out;
	return 0;
}
