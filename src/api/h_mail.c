/* h_mail.c - the e-mail channel over HTTP: inbound messages (from
 * `casebook mail-ingest`, an MTA pipe, the LMTP listener or IMAP polling),
 * stored originals, a ticket's mail, and attachments. */
#include "api/handlers.h"
#include "app/ticket/eventlog.h"
#include "api/write.h"
#include "app/mail/mail_channels.h"
#include "app/mail/mail_in.h"
#include "app/mail/mail_out.h"
#include "app/ticket/upload.h"
#include "app/mail/survey.h"
#include "app/ticket/ticket.h"
#include "mail/transport.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/html.h"

#include <stddef.h>

#include <string.h>

struct inbound_arg {
	const cb_mail *m;
};

static int inbound_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct inbound_arg *a = arg;
	return cb_mailsvc_inbound(c, req->arena, req->now, req->body, req->body_len, a->m, NULL, 0, out,
			       err);
}

int cb_h_mail_inbound(cb_req *req, cb_resp *resp, cb_err *err)
{
	const char *ct = req->content_type;
	if (!cb_api_media_is(ct, "message/rfc822"))
		return cb_err_set(err, CB_E_MEDIA, "Content-Type", "must be message/rfc822");
	if (!req->body || !req->body_len)
		return cb_err_set(err, CB_E_INVALID, "message", "the message is empty");
	cb_mail m;
	if (cb_mail_parse(req->body, req->body_len, &m, err))
		return -1; /* decoded before the write: the writer only stores */
	struct inbound_arg a = {.m = &m};
	int rc = cb_api_commit(req, resp, 200, inbound_fn, &a, err);
	cb_mail_free(&m);
	return rc;
}

int cb_h_mail_message_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_mailsvc_message_get(c, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

int cb_h_mail_message_raw(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	char *data = NULL;
	size_t len = 0;
	if (cb_mailsvc_message_raw(c, id, &data, &len, err))
		return -1;
	cb_api_raw(req, resp, 200, "message/rfc822", data, len);
	cb_free(data);
	return 0;
}

static int ticket_mail_fn(cb_conn *c, cb_req *req, int limit, int64_t after, json_t **items,
			  int64_t *next, cb_err *err)
{
	int64_t id;
	return cb_api_param_id(req, 0, &id, err) ||
	       cb_mailsvc_ticket_messages(c, &req->actor, id, limit, after, items, next, err) ? -1 : 0;
}

int cb_h_ticket_mail(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"limit", "cursor", NULL};
	return cb_api_paged(req, resp, known, ticket_mail_fn, err);
}

int cb_h_ticket_attachments(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items;
	if (cb_attachment_list(c, &req->actor, id, &items, err))
		return -1;
	return cb_api_list(req, resp, items, 0);
}

/* A file name safe inside a quoted header parameter (RFC 6266 fallback);
 * the exact UTF-8 name goes in filename*. */
static void disposition(cb_req *req, cb_resp *resp, const char *name, int is_inline)
{
	cb_buf b = {0};
	cb_buf_printf(&b, "%s; filename=\"", is_inline ? "inline" : "attachment");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		cb_buf_printf(&b, "%c", *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? *p : '_');
	cb_buf_puts(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p))
			cb_buf_printf(&b, "%c", *p);
		else
			cb_buf_printf(&b, "%%%02X", *p);
	}
	cb_api_header(req, resp, "Content-Disposition", cb_arena_strdup(req->arena, b.p));
	cb_buf_free(&b);
}

int cb_h_attachment_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *meta;
	char *data;
	size_t len;
	if (cb_attachment_get(c, &req->actor, id, &meta, &data, &len, err))
		return -1;
	const char *ct = json_string_value(json_object_get(meta, "content_type"));
	/* raster images render inline, served as their bare media type;
	 * anything else (HTML, SVG with or without parameters, ...) is a
	 * download, never rendered in the desk's origin */
	char mt[64];
	int img = cb_media_inline(ct, mt, sizeof mt);
	cb_api_raw(req, resp, 200, cb_arena_strdup(req->arena, img ? mt : "application/octet-stream"),
		   data, len);
	disposition(req, resp, json_string_value(json_object_get(meta, "filename")), img);
	cb_api_header(req, resp, "X-Content-Type-Options", "nosniff");
	cb_api_header(req, resp, "Content-Security-Policy", "sandbox");
	cb_free(data);
	json_decref(meta);
	return 0;
}

/* ---- outgoing mail: settings, templates, outbox ---- */

int cb_h_mail_settings_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *o = cb_mailsvc_settings_get(c, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}

static int settings_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	if (cb_mailsvc_settings_put(c, &req->actor, req->now, arg, err))
		return -1;
	*out = cb_mailsvc_settings_get(c, err);
	return *out ? 0 : -1;
}

int cb_h_mail_settings_put(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	if (!in)
		return -1;
	int rc = cb_api_commit(req, resp, 200, settings_fn, in, err);
	if (rc == 0) {
		cb_mailsvc_poller_kick(); /* committed: a new mailbox is polled at once */
		cb_mailsvc_sender_kick(); /* and a new SMTP server used at once */
	}
	return rc;
}

int cb_h_mail_templates_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	json_t *a = cb_mailsvc_templates_list(c, err);
	return a ? cb_api_list(req, resp, a, 0) : -1;
}

struct tpl_arg {
	const char *event;
	json_t *in;
};

static int template_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct tpl_arg *a = arg;
	return cb_mailsvc_template_put(c, &req->actor, req->now, a->event, a->in, out, err);
}

int cb_h_mail_template_put(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *in = cb_api_body_object(req, err);
	if (!in)
		return -1;
	struct tpl_arg a = {req->params[0], in};
	return cb_api_commit(req, resp, 200, template_fn, &a, err);
}

int cb_h_mail_outbox(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"state", "limit", "cursor", NULL};
	int limit;
	int64_t before;
	if (cb_api_check_query(req, known, err) || cb_api_page(req, &limit, &before, err))
		return -1;
	const char *state = cb_api_query(req, "state");
	if (state && strcmp(state, "queued") && strcmp(state, "sent") && strcmp(state, "failed") &&
	    strcmp(state, "bounced"))
		return cb_err_set(err, CB_E_BADREQ, "state", "must be queued, sent, failed or bounced");
	cb_conn *c = req->conn;
	json_t *items;
	int64_t next;
	if (cb_mailsvc_outbox_list(c, state, limit, before, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}

/* ---- the survey page (no login: the signed link is the key) ---- */

static void page(cb_req *req, cb_resp *resp, int status, const char *title, const char *inner)
{
	cb_buf b = {0};
	cb_buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			"<meta name=\"robots\" content=\"noindex\"><title>");
	cb_html_escape(&b, title);
	cb_buf_puts(&b, "</title><link rel=\"stylesheet\" href=\"/app/pages.css\">"
			"</head><body class=\"survey\"><main>");
	cb_buf_puts(&b, inner);
	cb_buf_puts(&b, "</main></body></html>\n");
	cb_api_html(req, resp, status, b.p, b.len);
	cb_api_header(req, resp, "Cache-Control", "no-store");
	cb_buf_free(&b);
}

static void gone(cb_req *req, cb_resp *resp)
{
	page(req, resp, 404, "Survey link not valid",
	     "<h1>This link is not valid</h1><p>The survey link is wrong or has expired.</p>");
}

int cb_h_survey_page(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	int64_t ticket;
	cb_ms expires;
	cb_err e2 = {0};
	if (cb_survey_token_verify(c, req->params[0], req->now, &ticket, &expires, &e2)) {
		if (e2.code != CB_E_NOTFOUND) {
			*err = e2;
			return -1;
		}
		gone(req, resp);
		return 0;
	}
	/* showing the page records nothing: link scanners only GET */
	cb_buf b = {0};
	cb_buf_printf(&b, "<h1>How did we do on case #%lld?</h1>", (long long)ticket);
	cb_buf_puts(&b, "<form method=\"post\"><fieldset><legend>How satisfied are you with the "
			"support you received?</legend>");
	static const char *const csat[] = {"Very dissatisfied", "Dissatisfied", "Neutral",
					   "Satisfied", "Very satisfied"};
	for (int i = 1; i <= 5; i++)
		cb_buf_printf(&b, "<label><input type=\"radio\" name=\"csat\" value=\"%d\"%s> %d - %s"
				  "</label>", i, i == 1 ? " required" : "", i, csat[i - 1]);
	cb_buf_puts(&b, "</fieldset><fieldset><legend>How easy was it to get your issue resolved? "
			"(optional; 1 very difficult, 7 very easy)</legend>");
	for (int i = 1; i <= 7; i++)
		cb_buf_printf(&b, "<label><input type=\"radio\" name=\"ces\" value=\"%d\"> %d</label>",
			      i, i);
	cb_buf_puts(&b, "</fieldset><p><label for=\"comment\">Anything you want to tell us? "
			"(optional)</label><br><textarea id=\"comment\" name=\"comment\" rows=\"4\" "
			"maxlength=\"2000\"></textarea></p><button type=\"submit\">Send</button></form>");
	page(req, resp, 200, "How did we do?", b.p);
	cb_buf_free(&b);
	return 0;
}

int cb_h_survey_submit(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_conn *c = req->conn;
	struct {
		int64_t ticket;
		int csat, ces;
		const char *comment;
	} a = {0};
	cb_ms expires;
	cb_err e2 = {0};
	if (cb_survey_token_verify(c, req->params[0], req->now, &a.ticket, &expires, &e2)) {
		if (e2.code != CB_E_NOTFOUND) {
			*err = e2;
			return -1;
		}
		gone(req, resp);
		return 0;
	}
	const char *body = req->body ? req->body : "";
	char *csat = cb_form_value(body, req->body_len, "csat");
	char *ces = cb_form_value(body, req->body_len, "ces");
	char *comment = cb_form_value(body, req->body_len, "comment");
	a.csat = csat && strlen(csat) == 1 && csat[0] >= '1' && csat[0] <= '5' ? csat[0] - '0' : 0;
	a.ces = ces && strlen(ces) == 1 && ces[0] >= '1' && ces[0] <= '7' ? ces[0] - '0' : 0;
	a.comment = comment;
	int rc = 0;
	if (!a.csat || (ces && *ces && !a.ces) || (comment && strlen(comment) > 2000)) {
		page(req, resp, 422, "Please choose a rating",
		     "<h1>Please choose a rating</h1><p>Pick one of the five satisfaction ratings "
		     "(and, if you like, an effort rating from 1 to 7), then send again.</p>");
	} else if (cb_survey_submit_form(req->app, a.ticket, a.csat, a.ces, a.comment, err) == 0) {
		page(req, resp, 200, "Thank you",
		     "<h1>Thank you</h1><p>Your rating was recorded. You can change it from the same "
		     "link for 7 days.</p>");
	} else if (err->code == CB_E_CONFLICT) {
		cb_err_clear(err);
		page(req, resp, 409, "Rating closed",
		     "<h1>This rating can no longer be changed</h1><p>Ratings can be changed for 7 "
		     "days after the first answer.</p>");
	} else {
		rc = -1;
	}
	cb_free(csat);
	cb_free(ces);
	cb_free(comment);
	return rc;
}
