/* h_status.c - the public status page: /status (HTML), /status.json and
 * /status.atom, without authentication (app/incident/status_page.h). */
#include "api/handlers.h"
#include "app/incident/status_page.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

static int days_param(const cb_req *req, int *out, cb_err *err)
{
	static const char *const known[] = {"days", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	*out = CB_STATUS_DAYS_DEFAULT;
	const char *s = cb_api_query(req, "days");
	if (!s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > CB_STATUS_DAYS_MAX)
		return cb_err_set(err, CB_E_BADREQ, "days", "must be an integer from 1 to %d",
				  CB_STATUS_DAYS_MAX);
	*out = (int)v;
	return 0;
}

static json_t *page(cb_req *req, cb_err *err)
{
	int days;
	if (days_param(req, &days, err))
		return NULL;
	cb_conn *c = req->conn;
	json_t *o = cb_statuspage(c, req->now, days, err);
	return o;
}

int cb_h_status_json(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *o = page(req, err);
	if (!o)
		return -1;
	cb_api_header(req, resp, "Cache-Control", "no-cache");
	return cb_api_json(req, resp, 200, o);
}

int cb_h_status_html(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *o = page(req, err);
	if (!o)
		return -1;
	char *html = cb_statuspage_html(o);
	json_decref(o);
	cb_api_html(req, resp, 200, html, strlen(html));
	cb_api_header(req, resp, "Cache-Control", "no-cache");
	cb_free(html);
	return 0;
}

int cb_h_status_atom(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	cb_conn *c = req->conn;
	char *xml = cb_statuspage_atom(c, req->now, err);
	if (!xml)
		return -1;
	cb_api_raw(req, resp, 200, "application/atom+xml; charset=utf-8", xml, strlen(xml));
	cb_api_header(req, resp, "Cache-Control", "no-cache");
	cb_free(xml);
	return 0;
}
