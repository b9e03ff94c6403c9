/* err.c - error helpers (see err.h). */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add_item(cb_err *e, const char *field, const char *msg)
{
	if (e->nitems >= CB_ERR_MAX_FIELDS)
		return;
	/* one message per field: the first found */
	for (int i = 0; field && *field && i < e->nitems; i++)
		if (strcmp(e->items[i].field, field) == 0)
			return;
	cb_err_item *it = &e->items[e->nitems++];
	snprintf(it->field, sizeof it->field, "%s", field ? field : "");
	snprintf(it->message, sizeof it->message, "%s", msg);
}

int cb_err_set(cb_err *e, cb_errcode code, const char *field, const char *fmt, ...)
{
	if (!e)
		return -1;
	/* a further invalid field of a request already invalid is named too */
	int another = e->code == CB_E_INVALID && code == CB_E_INVALID && field && *field;
	if (e->code != CB_OK && !another)
		return -1;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (another) {
		add_item(e, field, msg);
		return -1;
	}
	e->code = code;
	snprintf(e->message, sizeof e->message, "%s", msg);
	if (field && *field)
		add_item(e, field, msg);
	return -1;
}

void cb_err_add(cb_err *e, cb_errcode code, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (e->code == CB_OK) {
		e->code = code;
		snprintf(e->message, sizeof e->message, "%s", msg);
	}
	add_item(e, field, msg);
}

int cb_err_summarize(cb_err *e)
{
	if (e->code != CB_E_INVALID || e->nitems == 0)
		return -1;
	const cb_err_item *it = &e->items[0];
	if (e->nitems > 1)
		snprintf(e->message, sizeof e->message, "%.90s %.120s (and %d more)", it->field,
			 it->message, e->nitems - 1);
	else
		snprintf(e->message, sizeof e->message, "%.90s %.150s", it->field, it->message);
	return -1;
}

int cb_err_merge(cb_err *dst, const cb_err *src)
{
	if (src->code == CB_OK)
		return 0;
	if (dst->code == CB_OK || (dst->code == CB_E_INVALID && src->code != CB_E_INVALID)) {
		*dst = *src;
		return -1;
	}
	if (dst->code != CB_E_INVALID || src->code != CB_E_INVALID)
		return -1;
	if (src->nitems == 0)
		add_item(dst, "", src->message);
	for (int i = 0; i < src->nitems; i++)
		add_item(dst, src->items[i].field, src->items[i].message);
	return -1;
}

void cb_err_clear(cb_err *e)
{
	memset(e, 0, sizeof *e);
}

int cb_err_http_status(cb_errcode code)
{
	switch (code) {
	case CB_OK: return 200;
	case CB_E_INVALID: return 422;
	case CB_E_BADREQ: return 400;
	case CB_E_UNAUTH: return 401;
	case CB_E_FORBIDDEN: return 403;
	case CB_E_NOTFOUND: return 404;
	case CB_E_METHOD: return 405;
	case CB_E_CONFLICT: return 409;
	case CB_E_TOOBIG: return 413;
	case CB_E_MEDIA: return 415;
	case CB_E_TOOMANY: return 429;
	case CB_E_BUSY: return 503;
	case CB_E_STALE: return 409;
	case CB_E_INTERNAL: return 500;
	}
	return 500;
}

const char *cb_err_title(cb_errcode code)
{
	switch (code) {
	case CB_OK: return "OK";
	case CB_E_INVALID: return "Unprocessable Content";
	case CB_E_BADREQ: return "Bad Request";
	case CB_E_UNAUTH: return "Unauthorized";
	case CB_E_FORBIDDEN: return "Forbidden";
	case CB_E_NOTFOUND: return "Not Found";
	case CB_E_METHOD: return "Method Not Allowed";
	case CB_E_CONFLICT: return "Conflict";
	case CB_E_TOOBIG: return "Content Too Large";
	case CB_E_MEDIA: return "Unsupported Media Type";
	case CB_E_TOOMANY: return "Too Many Requests";
	case CB_E_BUSY: return "Service Unavailable";
	case CB_E_STALE: return "Conflict";
	case CB_E_INTERNAL: return "Internal Server Error";
	}
	return "Internal Server Error";
}

const char *cb_err_type(cb_errcode code)
{
	switch (code) {
	case CB_OK: return "ok";
	case CB_E_INVALID: return "invalid";
	case CB_E_BADREQ: return "malformed";
	case CB_E_UNAUTH: return "unauthorized";
	case CB_E_FORBIDDEN: return "forbidden";
	case CB_E_NOTFOUND: return "not-found";
	case CB_E_METHOD: return "method-not-allowed";
	case CB_E_CONFLICT: return "conflict";
	case CB_E_TOOBIG: return "too-large";
	case CB_E_MEDIA: return "unsupported-media-type";
	case CB_E_TOOMANY: return "too-many-requests";
	case CB_E_BUSY: return "unavailable";
	case CB_E_STALE: return "changed";
	case CB_E_INTERNAL: return "internal";
	}
	return "internal";
}
