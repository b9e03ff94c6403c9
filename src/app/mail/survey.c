/* survey.c - CSAT and CES responses (see survey.h).
 *
 * DESIGN
 * Responses are events, so the timeline keeps every answer and the KPI
 * fold (core/kpi.c) takes the latest; the edit window is measured from the
 * first response event of the same survey. */
#include "app/mail/survey.h"
#include "app/ticket/eventlog.h"
#include "app/ticket/pipeline.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"
#include "util/jsonx.h"

#include <string.h>

int cb_survey_respond(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, cb_evtype type,
		      json_t *in, json_t **out, int *out_created, cb_err *err)
{
	static const char *const csat_keys[] = {"score", "comment", NULL};
	static const char *const ces_keys[] = {"score", NULL};
	int csat = type == CB_EV_CSAT;
	int max = csat ? 5 : 7;
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	int64_t requester = t.requester_id, account = t.account_id;
	cb_ticket_clear(&t);
	if (actor->role == CB_ROLE_CUSTOMER) {
		if (!account || account != actor->account_id)
			return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
		if (actor->user_id != requester)
			return cb_err_set(err, CB_E_FORBIDDEN, NULL,
					  "only the requester answers the survey of a ticket");
	} else if (actor->role != CB_ROLE_AGENT && actor->role != CB_ROLE_ADMIN) {
		return cb_err_set(err, CB_E_FORBIDDEN, NULL,
				  "only the requester, or an agent on their behalf, answers a survey");
	}
	if (cb_json_check_keys(in, csat ? csat_keys : ces_keys, "", err))
		return -1;
	json_t *score = json_object_get(in, "score");
	if (!json_is_integer(score) || json_integer_value(score) < 1 || json_integer_value(score) > max)
		return cb_err_set(err, CB_E_INVALID, "score", "must be an integer from 1 to %d", max);
	json_t *comment = json_object_get(in, "comment");
	if (comment && !json_is_null(comment) &&
	    (!json_is_string(comment) || strlen(json_string_value(comment)) > 10000))
		return cb_err_set(err, CB_E_INVALID, "comment", "must be a string of at most 10000 bytes");
	/* the first response of this survey starts the edit window */
	cb_q *q = cb_q_get(c, CB_SQL_SURVEY_RESPONSES, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, cb_evtype_name(type));
	cb_ms first = 0;
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		first = cb_q_i64(q, 0);
		cb_q_reset(q);
	}
	if (first && now > first + CB_SURVEY_EDIT_MS)
		return cb_err_set(err, CB_E_CONFLICT, NULL,
				  "the response can no longer be changed (7 days after the first)");
	json_t *d = json_object();
	json_object_set(d, "score", score);
	if (csat && comment && !json_is_null(comment))
		json_object_set(d, "comment", comment);
	if (cb_pipeline_append(c, id, type, now, actor->user_id, d, err))
		return -1;
	*out_created = first == 0;
	if (!first)
		first = now;
	*out = json_pack("{s:I, s:s, s:O}", "ticket", (json_int_t)id, "survey", cb_evtype_name(type),
			 "score", score);
	if (csat)
		json_object_set(*out, "comment", comment && json_is_string(comment) ? comment : json_null());
	json_object_set_new(*out, "responded_at", cb_json_time(first));
	json_object_set_new(*out, "updated_at", cb_json_time(now));
	json_object_set_new(*out, "editable_until", cb_json_time(first + CB_SURVEY_EDIT_MS));
	return 0;
}

/* ---- the public survey form ---- */

struct survey_arg {
	int64_t ticket;
	int csat, ces;
	const char *comment;
};

static int form_fn(cb_conn *c, void *p, cb_err *err)
{
	struct survey_arg *a = p;
	cb_ticket t;
	if (cb_eventlog_load(c, a->ticket, &t, err))
		return -1;
	cb_actor who = {.user_id = t.requester_id, .role = CB_ROLE_CUSTOMER,
			.account_id = t.account_id};
	cb_ticket_clear(&t);
	json_t *in = json_pack("{s:i}", "score", a->csat);
	if (a->comment && *a->comment)
		json_object_set_new(in, "comment", json_string(a->comment));
	json_t *out = NULL;
	int created = 0;
	int rc = cb_survey_respond(c, &who, cb_now_ms(), a->ticket, CB_EV_CSAT, in, &out, &created, err);
	json_decref(in);
	json_decref(out);
	out = NULL;
	if (rc == 0 && a->ces) {
		in = json_pack("{s:i}", "score", a->ces);
		rc = cb_survey_respond(c, &who, cb_now_ms(), a->ticket, CB_EV_CES, in, &out, &created,
				       err);
		json_decref(in);
		json_decref(out);
	}
	return rc;
}

int cb_survey_submit_form(cb_app *app, int64_t ticket, int csat, int ces, const char *comment,
			  cb_err *err)
{
	struct survey_arg a = {ticket, csat, ces, comment};
	return cb_db_write(app->db, form_fn, &a, err);
}
