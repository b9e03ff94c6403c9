/* h_upload.c - POST /api/v1/tickets/{id}/attachments: the request body is
 * the file (any media type, up to the server's body limit), `filename` and
 * `event` (the uploader's comment it belongs to) are query parameters
 * (app/upload.h). */
#include "api/handlers.h"
#include "api/write.h"
#include "app/upload.h"

#include <stdlib.h>

static int upload_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	return cb_upload_attachment(c, &req->actor, req->now, arg, out, err);
}

int cb_h_ticket_attachment_upload(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"filename", "event", NULL};
	cb_upload_in in = {0};
	if (cb_api_param_id(req, 0, &in.ticket, err) || cb_api_check_query(req, known, err))
		return -1;
	const char *ev = cb_api_query(req, "event");
	char *end = NULL;
	long long id = ev ? strtoll(ev, &end, 10) : 0;
	if (ev && (end == ev || *end || id <= 0))
		return cb_err_set(err, CB_E_BADREQ, "event", "must be a positive integer");
	in.event = (int64_t)id;
	in.filename = cb_api_query(req, "filename");
	in.content_type = req->content_type ? req->content_type : "application/octet-stream";
	in.data = (const unsigned char *)req->body;
	in.len = req->body ? req->body_len : 0;
	if (cb_upload_check(&in, err))
		return -1;
	return cb_api_commit(req, resp, 201, upload_fn, &in, err);
}
