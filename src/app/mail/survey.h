/* survey.h - CSAT and CES responses (docs/metrics.md section 5: the KPIs use each
 * ticket's latest response).
 *
 * A response is recorded as a `csat` ({score 1-5, comment}) or `ces`
 * ({score 1-7}) event on the ticket's timeline, by the ticket's requester or
 * by an agent or admin on their behalf. One response per ticket and survey:
 * a later one replaces it (a new event; the KPIs read the latest) for
 * CB_SURVEY_EDIT_MS after the first response, and is refused with 409 after. */
#ifndef CB_APP_SURVEY_H
#define CB_APP_SURVEY_H
#include <jansson.h>

#include "app/app.h"
#include "core/ticket.h"

#define CB_SURVEY_EDIT_MS (7LL * 86400000) /* a response is editable for 7 days */

/* Records a response (type CB_EV_CSAT or CB_EV_CES) inside the caller's
 * write transaction. *out_created is 1 for the first response, 0 for an
 * update. *out is the response: {"ticket", "survey", "score", "comment"?,
 * "responded_at", "updated_at", "editable_until"}. 404 when the ticket is not
 * visible to the actor, 403 for a customer other than the requester or an
 * engineer, 422 for a bad score or unknown key, 409 after the edit window. */
int cb_survey_respond(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, cb_evtype type,
		      json_t *in, json_t **out, int *out_created, cb_err *err);

/* The public survey form (/survey/{token}, token already verified): records
 * CSAT score csat (1-5) with comment (may be NULL or "") and, when ces is
 * 1-7, the CES score, as the ticket's requester, in one write transaction
 * of its own (the group commit). 409 after the edit window. */
int cb_survey_submit_form(cb_app *app, int64_t ticket, int csat, int ces, const char *comment,
			  cb_err *err);

#endif
