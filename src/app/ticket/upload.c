/* upload.c - files uploaded to a ticket (upload.h). */
#include "app/ticket/upload.h"
#include "app/ticket/eventlog.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/ticket/ticket.h"
#include "store/db.h"
#include "util/safename.h"
#include "util/timeutil.h"


static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2
			: (*s & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *s < 0xc2))
			return 0;
		s++;
		for (int i = 0; i < n; i++, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

int cb_media_inline(const char *ct, char *out, size_t n)
{
	static const char *const raster[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
					     "image/avif", "image/bmp", NULL};
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	char mt[64];
	size_t k = 0;
	for (; *ct && *ct != ';' && *ct != ' ' && *ct != '\t'; ct++) {
		if (k + 1 >= sizeof mt)
			return 0;
		mt[k++] = (char)tolower((unsigned char)*ct);
	}
	mt[k] = '\0';
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct && *ct != ';')
		return 0;
	for (const char *const *r = raster; *r; r++)
		if (strcmp(mt, *r) == 0) {
			snprintf(out, n, "%s", mt);
			return 1;
		}
	return 0;
}

int cb_upload_check(const cb_upload_in *in, cb_err *err)
{
	const char *f = in->filename;
	size_t n = f ? strlen(f) : 0;
	if (!f || !n)
		cb_err_add(err, CB_E_INVALID, "filename", "is required");
	else if (n > CB_UPLOAD_MAX_NAME)
		cb_err_add(err, CB_E_INVALID, "filename", "must be at most %d bytes", CB_UPLOAD_MAX_NAME);
	else if (!valid_utf8((const unsigned char *)f))
		cb_err_add(err, CB_E_INVALID, "filename", "is not valid UTF-8");
	else if (strcspn(f, "/\\\x7f") != n || strcmp(f, ".") == 0 || strcmp(f, "..") == 0)
		cb_err_add(err, CB_E_INVALID, "filename", "must be a plain file name");
	else if (cb_name_has_unsafe(f))
		cb_err_add(err, CB_E_INVALID, "filename",
			   "must not contain control or bidirectional formatting characters");
	const char *ct = in->content_type;
	const char *slash = ct ? strchr(ct, '/') : NULL;
	int ct_ok = ct && slash && slash != ct && slash[1] && slash[1] != ';' && strlen(ct) <= 127;
	for (const char *p = ct; ct_ok && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			ct_ok = 0;
	if (!ct_ok)
		cb_err_add(err, CB_E_INVALID, "Content-Type", "must be a media type such as image/png");
	if (in->event <= 0)
		cb_err_add(err, CB_E_INVALID, "event", "is required (the id of your comment)");
	if (!in->len)
		cb_err_add(err, CB_E_INVALID, "body", "is empty: the body is the file");
	return err->code ? -1 : 0;
}

int cb_upload_attachment(cb_conn *c, const cb_actor *actor, cb_ms now, const cb_upload_in *in,
			 json_t **out, cb_err *err)
{
	*out = NULL;
	cb_ticket t;
	cb_err e2 = {0};
	if (cb_eventlog_load(c, in->ticket, &t, &e2)) {
		if (e2.code != CB_E_NOTFOUND) {
			*err = e2;
			return -1;
		}
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)in->ticket);
	}
	int visible = actor->role != CB_ROLE_CUSTOMER || (t.account_id && t.account_id == actor->account_id);
	cb_ticket_clear(&t);
	if (!visible)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)in->ticket);

	cb_q *q = cb_q_get(c, CB_SQL_UPLOAD_EVENT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, in->event);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	int ok = r == 1 && cb_q_i64(q, 0) == in->ticket &&
		 (strcmp(cb_q_text(q, 1), "comment") == 0 || strcmp(cb_q_text(q, 1), "created") == 0) &&
		 !cb_q_isnull(q, 2) && cb_q_i64(q, 2) == actor->user_id;
	cb_q_reset(q);
	if (!ok)
		return cb_err_set(err, CB_E_INVALID, "event",
				  "must be a comment of ticket %lld (or its creation) written by you",
				  (long long)in->ticket);

	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, in->data, in->len);
	char hex[2 * sizeof h + 1];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	q = cb_q_get(c, CB_SQL_UPLOAD_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, in->ticket);
	cb_q_bind_i64(q, 2, in->event);
	cb_q_bind_text(q, 3, in->filename);
	cb_q_bind_text(q, 4, in->content_type);
	cb_q_bind_i64(q, 5, (int64_t)in->len);
	cb_q_bind_text(q, 6, hex);
	cb_q_bind_blob(q, 7, in->data, in->len);
	cb_q_bind_i64(q, 8, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	char at[40];
	cb_time_format(now, at, sizeof at);
	*out = json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:n, s:b, s:s}", "id",
			 (json_int_t)new_id, "ticket", (json_int_t)in->ticket, "comment",
			 (json_int_t)in->event, "filename", in->filename, "content_type",
			 in->content_type, "size", (json_int_t)in->len, "sha256", hex, "content_id",
			 "inline", 0, "created_at", at);
	return *out ? 0 : -1;
}
