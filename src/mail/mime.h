/* mime.h - GMime helpers shared by the decoders of src/mail/ (message.c
 * for mail, form.c for upload forms); private to src/mail/. */
#ifndef CB_MAIL_MIME_H
#define CB_MAIL_MIME_H
#include <gmime/gmime.h>
#include <stddef.h>

/* Valid UTF-8, ASCII letters lower-cased (addresses, media types). */
char *cb_mime_lower_dup(const char *s);
/* The decoded bytes of part (cb_free), NUL-terminated past *len. */
unsigned char *cb_mime_part_bytes(GMimePart *part, size_t *len);
/* The last path component of a file name as sent ('/' or '\\' separated),
 * a pointer into name. */
const char *cb_mime_basename(const char *name);

#endif
