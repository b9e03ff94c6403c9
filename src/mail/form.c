/* form.c - see form.h. The body is parsed as a MIME entity whose header is
 * the request's Content-Type, so GMime finds the boundary and the parts. */
#include "mail/form.h"
#include "mail/message.h"
#include "mail/mime.h"

#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"

int cb_form_is_multipart(const char *content_type)
{
	return content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0 &&
	       (content_type[19] == '\0' || content_type[19] == ';' || content_type[19] == ' ');
}

static void take_part(GMimeObject *o, cb_form_part *f)
{
	memset(f, 0, sizeof *f);
	const char *name = g_mime_object_get_content_disposition_parameter(o, "name");
	f->name = cb_xstrdup(name ? name : "");
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	gchar *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	f->content_type = cb_mime_lower_dup(mt ? mt : "text/plain");
	g_free(mt);
	if (!GMIME_IS_PART(o)) {
		/* a nested multipart (RFC 7578 forbids it): a field without bytes */
		f->data = cb_xcalloc(1, 1);
		return;
	}
	GMimePart *part = GMIME_PART(o);
	const char *fn = g_mime_part_get_filename(part);
	if (fn && *fn)
		f->filename = cb_xstrdup(cb_mime_basename(fn));
	f->data = cb_mime_part_bytes(part, &f->size);
}

int cb_form_parse(const char *content_type, const char *body, size_t len, cb_form_part **parts,
		  int *n, cb_err *err)
{
	*parts = NULL;
	*n = 0;
	if (!cb_form_is_multipart(content_type) || !strstr(content_type, "boundary="))
		return cb_err_set(err, CB_E_BADREQ, "Content-Type",
				  "must be multipart/form-data with a boundary");
	cb_mail_init();
	cb_buf raw = {0};
	cb_buf_printf(&raw, "Content-Type: %s\r\n\r\n", content_type);
	if (len)
		cb_buf_append(&raw, body, len);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(raw.p, raw.len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	g_object_unref(s);
	GMimeObject *o = g_mime_parser_construct_part(p, NULL);
	g_object_unref(p);
	cb_buf_free(&raw);
	int rc = 0;
	if (!o || !GMIME_IS_MULTIPART(o)) {
		rc = cb_err_set(err, CB_E_BADREQ, "body", "not a multipart/form-data body");
	} else {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int count = g_mime_multipart_get_count(mp);
		if (count <= 0) {
			rc = cb_err_set(err, CB_E_BADREQ, "body", "a multipart/form-data body without parts");
		} else if (count > CB_FORM_MAX_PARTS) {
			rc = cb_err_set(err, CB_E_BADREQ, "body", "more than %d form fields",
					CB_FORM_MAX_PARTS);
		} else {
			*parts = cb_xcalloc((size_t)count, sizeof **parts);
			for (int i = 0; i < count; i++)
				take_part(g_mime_multipart_get_part(mp, i), &(*parts)[i]);
			*n = count;
		}
	}
	if (o)
		g_object_unref(o);
	return rc;
}

void cb_form_parts_free(cb_form_part *parts, int n)
{
	for (int i = 0; i < n; i++) {
		cb_free(parts[i].name);
		cb_free(parts[i].filename);
		cb_free(parts[i].content_type);
		cb_free(parts[i].data);
	}
	cb_free(parts);
}
