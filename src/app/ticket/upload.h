/* upload.h - files uploaded to a ticket through the API (the portal's and
 * console's attachment field). They go to the attachments table of the
 * e-mail channel and follow its visibility rules (cb_attachment_*): an
 * upload belongs to one comment (or the creation event) of the ticket
 * written by the uploader, and a customer sees it only when that comment
 * is public. */
#ifndef CB_APP_UPLOAD_H
#define CB_APP_UPLOAD_H
#include <jansson.h>

#include "app/app.h"

#define CB_UPLOAD_MAX_NAME 255

typedef struct {
	int64_t ticket;
	int64_t event;            /* the comment or creation event it belongs to */
	const char *filename;     /* 1..255 bytes, no control/bidi characters or slashes */
	const char *content_type; /* "type/subtype" (parameters allowed) */
	const unsigned char *data;
	size_t len;               /* at least 1 byte (the server's body limit bounds it) */
} cb_upload_in;

/* Whether an attachment of media type ct (a Content-Type value, with any
 * parameters and case) may render inline: only raster images do (never
 * SVG, HTML or anything else that can run script in the desk's origin).
 * On 1, out receives the bare lower-case media type to serve. */
int cb_media_inline(const char *ct, char *out, size_t n);

/* Database-free validation: 422 naming the field. File names must not hold
 * control or bidirectional formatting characters (util/safename.h). */
int cb_upload_check(const cb_upload_in *in, cb_err *err);
/* Stores the file: 404 for a ticket the actor cannot see, 422 (field
 * `event`) unless the event is a comment or the creation event of that
 * ticket written by the actor. *out is the attachment's metadata. */
int cb_upload_attachment(cb_conn *c, const cb_actor *actor, cb_ms now, const cb_upload_in *in,
			 json_t **out, cb_err *err);

#endif
