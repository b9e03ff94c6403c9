/* h_upload.c - POST /api/v1/tickets/{id}/attachments: the request body is
 * the file (any media type, up to the server's body limit), `filename` and
 * `event` (the uploader's comment it belongs to) are query parameters
 * (app/ticket/upload.h); or a multipart/form-data form (mail/form.h) whose file
 * part carries the file, its name and type, with `event` as a field. */
#include "api/handlers.h"
#include "api/write.h"
#include "app/ticket/upload.h"
#include "mail/form.h"

#include <stdlib.h>
#include <string.h>

static int upload_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	return cb_upload_attachment(c, &req->actor, req->now, arg, out, err);
}

/* The event id from the query or a form field (NULL: none). */
static int parse_event(const char *ev, int64_t *out, cb_err *err)
{
	char *end = NULL;
	long long id = ev ? strtoll(ev, &end, 10) : 0;
	if (ev && (end == ev || *end || id <= 0))
		return cb_err_set(err, CB_E_BADREQ, "event", "must be a positive integer");
	*out = (int64_t)id;
	return 0;
}

int cb_h_ticket_attachment_upload(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"filename", "event", NULL};
	cb_upload_in in = {0};
	if (cb_api_param_id(req, 0, &in.ticket, err) || cb_api_check_query(req, known, err) ||
	    parse_event(cb_api_query(req, "event"), &in.event, err))
		return -1;
	in.filename = cb_api_query(req, "filename");
	in.content_type = req->content_type ? req->content_type : "application/octet-stream";
	in.data = (const unsigned char *)req->body;
	in.len = req->body ? req->body_len : 0;
	cb_form_part *parts = NULL;
	int nparts = 0;
	if (cb_form_is_multipart(req->content_type)) {
		/* a form: the file is the part with a file name (or the field
		 * "file"); "event" may be a field too */
		if (cb_form_parse(req->content_type, req->body, in.len, &parts, &nparts, err))
			return -1;
		const cb_form_part *file = NULL;
		for (int i = 0; i < nparts && !file; i++)
			if (parts[i].filename)
				file = &parts[i];
		for (int i = 0; i < nparts && !file; i++)
			if (strcmp(parts[i].name, "file") == 0)
				file = &parts[i];
		int rc = 0;
		if (!file)
			rc = cb_err_set(err, CB_E_INVALID, "file", "the form has no file part");
		for (int i = 0; i < nparts && !rc; i++)
			if (strcmp(parts[i].name, "event") == 0 && !cb_api_query(req, "event"))
				rc = parse_event((const char *)parts[i].data, &in.event, err);
		if (rc) {
			cb_form_parts_free(parts, nparts);
			return -1;
		}
		if (!in.filename)
			in.filename = file->filename;
		in.content_type = file->content_type;
		in.data = file->data;
		in.len = file->size;
	}
	int rc = cb_upload_check(&in, err) ? -1 : cb_api_commit(req, resp, 201, upload_fn, &in, err);
	cb_form_parts_free(parts, nparts);
	return rc;
}
