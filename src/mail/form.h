/* form.h - multipart/form-data request bodies (RFC 7578), decoded with
 * GMime like mail: what `curl -F file=@x.pdf` and a browser's file form
 * send. */
#ifndef CB_MAIL_FORM_H
#define CB_MAIL_FORM_H
#include <stddef.h>

#include "util/err.h"

#define CB_FORM_MAX_PARTS 16

typedef struct {
	char *name;         /* the field name (Content-Disposition name) */
	char *filename;     /* a file's name (last path component), or NULL */
	char *content_type; /* lower-cased media type; text/plain when absent */
	unsigned char *data;
	size_t size;
} cb_form_part;

/* 1 when content_type is multipart/form-data. */
int cb_form_is_multipart(const char *content_type);

/* Decodes body under content_type (with its boundary) into *parts (*n of
 * them, at most CB_FORM_MAX_PARTS). 0, or -1 with err (400: not a
 * multipart body, no boundary, no parts, too many parts). Free with
 * cb_form_parts_free. */
int cb_form_parse(const char *content_type, const char *body, size_t len, cb_form_part **parts,
		  int *n, cb_err *err);
void cb_form_parts_free(cb_form_part *parts, int n);

#endif
