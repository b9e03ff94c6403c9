/* import.c - bulk import and export of tickets (see import.h).
 *
 * DESIGN
 * Import splits the input without parsing it (NDJSON: newlines; arrays: a
 * scanner that tracks strings and bracket depth to find the top-level
 * commas), parses a batch of lines with jansson on the calling thread, and
 * hands the parsed batch to the writer as one job. The writer only runs the
 * use cases (see batch_fn for how a failed line is rolled back alone). An array is scanned once up front so a
 * structurally broken body is a 400 before anything is written; a malformed
 * element inside a well-formed array is a per-element error, as a malformed
 * NDJSON line is.
 *
 * Export reads a page of ticket ids, then streams the events of that id
 * range in (ticket, seq) order, building one ticket's line at a time and
 * writing it out through the caller's callback. References are turned into
 * e-mails and names through small direct-mapped caches (agents, groups and
 * accounts repeat on almost every line). */
#include "app/ticket/import.h"
#include "app/ticket/pipeline.h"
#include "app/sla/sla.h"
#include "app/ticket/ticket.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- splitting the input ---- */

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

cb_import_format cb_import_sniff(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_ws(data[i]))
			return data[i] == '[' ? CB_IMPORT_ARRAY : CB_IMPORT_NDJSON;
	return CB_IMPORT_NDJSON;
}

/* The input: all in memory (f NULL), or read from f through a window that
 * holds the current line or element and what follows it, so a file import
 * keeps only a batch's parsed lines in memory, never the whole input.
 * Positions are offsets into the window d[0, len); off is how many bytes of
 * the input came before it (for error messages). */
struct src {
	FILE *f;
	char *buf; /* the window's storage (f only) */
	const char *d;
	size_t len, cap, off;
	int eof;
};

#define SRC_CHUNK ((size_t)1 << 20)

/* Drops the window's bytes before *pos (which becomes 0) and reads more:
 * 1 when more came, 0 at the end of the input, -1 on a read error. */
static int src_more(struct src *s, size_t *pos, cb_err *err)
{
	if (!s->f || s->eof)
		return 0;
	size_t keep = s->len - *pos;
	if (keep && *pos)
		memmove(s->buf, s->buf + *pos, keep);
	s->off += *pos;
	s->len = keep;
	*pos = 0;
	if (s->cap - s->len < SRC_CHUNK / 2) {
		s->cap = s->cap ? s->cap * 2 : SRC_CHUNK;
		s->buf = cb_xrealloc(s->buf, s->cap);
	}
	size_t n = fread(s->buf + s->len, 1, s->cap - s->len, s->f);
	s->d = s->buf;
	if (n == 0) {
		if (ferror(s->f))
			return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot read the input");
		s->eof = 1;
		return 0;
	}
	s->len += n;
	return 1;
}

/* Back to the start of the input. */
static int src_rewind(struct src *s, cb_err *err)
{
	if (!s->f)
		return 0;
	rewind(s->f);
	s->len = s->off = 0;
	s->eof = 0;
	size_t pos = 0;
	return src_more(s, &pos, err) < 0 ? -1 : 0;
}

/* Next non-blank NDJSON line from *pos: 1 and [*out, *out + *n), 0 at the
 * end, -1 on a read error. */
static int ndjson_next(struct src *s, size_t *pos, const char **out, size_t *n, cb_err *err)
{
	for (;;) {
		const char *start = s->d + *pos;
		const char *nl = *pos < s->len ? memchr(start, '\n', s->len - *pos) : NULL;
		if (!nl) {
			int r = src_more(s, pos, err);
			if (r < 0)
				return -1;
			if (r > 0)
				continue; /* the line goes on in what came */
			if (*pos >= s->len)
				return 0;
			start = s->d + *pos;
		}
		size_t l = nl ? (size_t)(nl - start) : s->len - *pos;
		*pos += l + (nl ? 1 : 0);
		while (l && is_ws(start[l - 1]))
			l--;
		size_t k = 0;
		while (k < l && is_ws(start[k]))
			k++;
		if (k < l) {
			*out = start + k;
			*n = l - k;
			return 1;
		}
	}
}

typedef struct {
	size_t pos; /* after '[' or after the last element's delimiter */
	int done;
} array_scan;

static int array_begin(struct src *s, array_scan *sc, cb_err *err)
{
	size_t p = 0;
	for (;;) {
		while (p < s->len && is_ws(s->d[p]))
			p++;
		if (p < s->len)
			break;
		int r = src_more(s, &p, err);
		if (r <= 0) {
			if (r < 0)
				return -1;
			break;
		}
	}
	if (p >= s->len || s->d[p] != '[')
		return cb_err_set(err, CB_E_BADREQ, "", "the body must be a JSON array of tickets");
	sc->pos = p + 1;
	sc->done = 0;
	/* an empty array */
	size_t q = sc->pos;
	for (;;) {
		while (q < s->len && is_ws(s->d[q]))
			q++;
		if (q < s->len)
			break;
		sc->pos = q;
		int r = src_more(s, &sc->pos, err);
		q = sc->pos;
		if (r <= 0) {
			if (r < 0)
				return -1;
			break;
		}
	}
	if (q < s->len && s->d[q] == ']') {
		sc->done = 1;
		sc->pos = q + 1;
	}
	return 0;
}

/* Next element: 1 and its trimmed bytes, 0 at the end, -1 (400) when the
 * array's structure is broken. Checks for trailing garbage at the end. */
static int array_next(struct src *s, array_scan *sc, const char **out, size_t *n, cb_err *err)
{
	if (sc->done) {
		for (;;) {
			for (size_t q = sc->pos; q < s->len; q++)
				if (!is_ws(s->d[q]))
					return cb_err_set(err, CB_E_BADREQ, "",
							  "unexpected data after the array at byte %zu",
							  q + s->off);
			sc->pos = s->len;
			int r = src_more(s, &sc->pos, err);
			if (r <= 0)
				return r;
		}
	}
	const char *d;
	size_t p, start;
	for (;;) {
		d = s->d;
		p = sc->pos;
		start = p;
		int depth = 0, instr = 0;
		for (; p < s->len; p++) {
			char ch = d[p];
			if (instr) {
				if (ch == '\\')
					p++;
				else if (ch == '"')
					instr = 0;
				continue;
			}
			if (ch == '"') {
				instr = 1;
			} else if (ch == '{' || ch == '[') {
				depth++;
			} else if (ch == '}' || ch == ']') {
				if (depth == 0) {
					if (ch == '}')
						return cb_err_set(err, CB_E_BADREQ, "",
								  "malformed JSON array: unexpected '}' at byte %zu",
								  p + s->off);
					break;
				}
				depth--;
			} else if (ch == ',' && depth == 0) {
				break;
			}
		}
		if (p < s->len)
			break;
		/* the element goes on past the window: read more and scan it again */
		int r = src_more(s, &sc->pos, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return cb_err_set(err, CB_E_BADREQ, "", "malformed JSON array: unterminated");
	}
	size_t e = p;
	while (start < e && is_ws(d[start]))
		start++;
	while (e > start && is_ws(d[e - 1]))
		e--;
	if (e == start)
		return cb_err_set(err, CB_E_BADREQ, "", "malformed JSON array: empty element at byte %zu",
				  p + s->off);
	if (d[p] == ']')
		sc->done = 1;
	sc->pos = p + 1;
	*out = d + start;
	*n = e - start;
	return 1;
}

/* ---- one line ---- */

static const cb_actor import_system = {.user_id = 0, .role = CB_ROLE_ADMIN};

/* Prefixes an event's error with its index: field "author" -> "events[2].author". */
static void prefix_event_err(cb_err *err, size_t i)
{
	char tmp[sizeof err->message];
	snprintf(tmp, sizeof tmp, "events[%zu]: %.220s", i, err->message);
	memcpy(err->message, tmp, sizeof tmp);
	for (int k = 0; k < err->nitems; k++) {
		char f[sizeof err->items[k].field + 32];
		if (err->items[k].field[0])
			snprintf(f, sizeof f, "events[%zu].%s", i, err->items[k].field);
		else
			snprintf(f, sizeof f, "events[%zu]", i);
		snprintf(err->items[k].field, sizeof err->items[k].field, "%.95s", f);
	}
	if (err->nitems == 0) {
		char f[32];
		snprintf(f, sizeof f, "events[%zu]", i);
		cb_err_add(err, err->code, f, "%s", tmp);
	}
}

/* Database-free shape checks done on the parsing thread. */
static int precheck(json_t *t, cb_err *err)
{
	if (!json_is_object(t))
		return cb_err_set(err, CB_E_INVALID, "", "a ticket must be a JSON object");
	json_t *ev = json_object_get(t, "events");
	if (ev && !json_is_null(ev) && !json_is_array(ev))
		return cb_err_set(err, CB_E_INVALID, "events", "must be an array of events");
	json_t *at = json_object_get(t, "attachments");
	if (at && !json_is_null(at) && !json_is_array(at))
		return cb_err_set(err, CB_E_INVALID, "attachments", "must be an array of attachments");
	return 0;
}

/* The id of the ticket's latest event of a type (0 when none). */
static int64_t last_event(cb_conn *c, int64_t ticket, const char *type, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_IMPORT_LAST_EVENT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ticket);
	cb_q_bind_text(q, 2, type);
	int r = cb_q_step(q, err);
	int64_t id = r == 1 ? cb_q_i64(q, 0) : r == 0 ? 0 : -1;
	cb_q_reset(q);
	return id;
}

/* Stores the line's attachments (import.h): each is checked whole, every bad
 * field named as attachments[i].field; evids[i] is the row id of events[i].
 * long: each attachment checked whole, every bad field named, then stored */
static int import_attachments(cb_conn *c, int64_t ticket, cb_ms created, json_t *list,
			      const int64_t *evids, size_t nev, int64_t created_ev, cb_err *err)
{
	static const char *const keys[] = {"event",  "filename", "content_type", "size",
					   "sha256", "content_id", "inline", "created_at",
					   "content_base64", NULL};
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a) {
		char f[64];
#define AFIELD(k) (snprintf(f, sizeof f, "attachments[%zu].%s", i, (k)), f)
		if (!json_is_object(a)) {
			snprintf(f, sizeof f, "attachments[%zu]", i);
			return cb_err_set(err, CB_E_INVALID, f, "must be an object");
		}
		const char *k;
		json_t *v;
		json_object_foreach(a, k, v) {
			int known = 0;
			for (int j = 0; keys[j]; j++)
				known |= !strcmp(keys[j], k);
			if (!known)
				cb_err_add(err, CB_E_INVALID, AFIELD(k), "unknown field");
		}
		const char *name = json_string_value(json_object_get(a, "filename"));
		const char *type = json_string_value(json_object_get(a, "content_type"));
		const char *b64 = json_string_value(json_object_get(a, "content_base64"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		json_t *cid = json_object_get(a, "content_id");
		json_t *inl = json_object_get(a, "inline");
		json_t *evi = json_object_get(a, "event");
		json_t *size = json_object_get(a, "size");
		if (!name || !*name || strlen(name) > 255)
			cb_err_add(err, CB_E_INVALID, AFIELD("filename"), "must be a file name of 1 to 255 bytes");
		if (!type || !*type || strlen(type) > 255)
			cb_err_add(err, CB_E_INVALID, AFIELD("content_type"), "must be a media type");
		if (json_object_get(a, "sha256") && (!sha || strlen(sha) != 64))
			cb_err_add(err, CB_E_INVALID, AFIELD("sha256"), "must be 64 hex digits");
		if (cid && !json_is_null(cid) && !json_is_string(cid))
			cb_err_add(err, CB_E_INVALID, AFIELD("content_id"), "must be a string");
		if (inl && !json_is_boolean(inl))
			cb_err_add(err, CB_E_INVALID, AFIELD("inline"), "must be a boolean");
		if (size && !json_is_integer(size))
			cb_err_add(err, CB_E_INVALID, AFIELD("size"), "must be an integer");
		int64_t ev_id = created_ev;
		if (evi) {
			if (!json_is_integer(evi) || json_integer_value(evi) < 0 ||
			    (size_t)json_integer_value(evi) >= nev)
				cb_err_add(err, CB_E_INVALID, AFIELD("event"),
					   "must be the index of one of the line's events");
			else
				ev_id = evids[json_integer_value(evi)];
		}
		cb_ms at = created;
		json_t *ca = json_object_get(a, "created_at");
		if (ca && cb_time_parse(json_string_value(ca), &at))
			cb_err_add(err, CB_E_INVALID, AFIELD("created_at"), "must be an RFC 3339 instant");
		unsigned char *bin = NULL;
		size_t blen = 0;
		if (!b64) {
			cb_err_add(err, CB_E_INVALID, AFIELD("content_base64"), "is required: the content in base64");
		} else {
			size_t cap = strlen(b64) / 4 * 3 + 3;
			bin = cb_xmalloc(cap);
			if (sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &blen, NULL,
					      sodium_base64_VARIANT_ORIGINAL))
				cb_err_add(err, CB_E_INVALID, AFIELD("content_base64"), "is not valid base64");
		}
		char hex[65] = "";
		if (bin && err->code == CB_OK) {
			unsigned char h[crypto_hash_sha256_BYTES];
			crypto_hash_sha256(h, bin, blen);
			sodium_bin2hex(hex, sizeof hex, h, sizeof h);
			if (sha && strcmp(sha, hex) != 0)
				cb_err_add(err, CB_E_INVALID, AFIELD("sha256"), "does not match the content");
			if (size && (int64_t)json_integer_value(size) != (int64_t)blen)
				cb_err_add(err, CB_E_INVALID, AFIELD("size"), "does not match the content");
		}
#undef AFIELD
		if (err->code != CB_OK) {
			cb_free(bin);
			return cb_err_summarize(err);
		}
		cb_q *q = cb_q_get(c, CB_SQL_IMPORT_ATTACHMENT, err);
		if (!q) {
			cb_free(bin);
			return -1;
		}
		cb_q_bind_i64(q, 1, ticket);
		if (ev_id > 0)
			cb_q_bind_i64(q, 2, ev_id);
		else
			cb_q_bind_null(q, 2);
		cb_q_bind_text(q, 3, name);
		cb_q_bind_text(q, 4, type);
		cb_q_bind_i64(q, 5, (int64_t)blen);
		cb_q_bind_text(q, 6, hex);
		cb_q_bind_text(q, 7, json_string_value(cid));
		cb_q_bind_i64(q, 8, json_is_true(inl));
		cb_q_bind_blob(q, 9, bin ? (const void *)bin : "", blen);
		cb_q_bind_i64(q, 10, at);
		int rc = cb_q_exec(q, err);
		cb_free(bin);
		if (rc)
			return -1;
	}
	return 0;
}

int cb_import_one(cb_conn *c, cb_ms now, json_t *ticket, int64_t *out_id, cb_err *err)
{
	if (precheck(ticket, err))
		return -1;
	/* a customer created for an unknown requester dates from the ticket */
	cb_ms created = now;
	const char *ca = json_string_value(json_object_get(ticket, "created_at"));
	if (ca && cb_time_parse(ca, &created))
		created = now;
	int64_t id = 0;
	if (cb_ticketsvc_create(c, &import_system, created, ticket, CB_TICKET_IMPORT, &id, err)) {
		/* the only unique key a new ticket can hit is its external_id */
		if (err->code == CB_E_CONFLICT && err->nitems == 0) {
			json_t *ext = json_object_get(ticket, "external_id");
			char *q = json_dumps(ext ? ext : json_null(), JSON_ENCODE_ANY);
			cb_err_clear(err);
			cb_err_set(err, CB_E_CONFLICT, "external_id",
				   "a ticket with external_id %.200s exists", q ? q : "");
			free(q);
		}
		return -1;
	}
	json_t *events = json_object_get(ticket, "events");
	json_t *atts = json_object_get(ticket, "attachments");
	int with_atts = json_array_size(atts) > 0;
	/* the row id of each imported event, for the attachments' "event" */
	int64_t *evids = with_atts ? cb_xcalloc(json_array_size(events) + 1, sizeof *evids) : NULL;
	size_t i;
	json_t *ev;
	cb_ms last = created;
	json_array_foreach(events, i, ev) {
		if (cb_ticketsvc_import_event(c, &import_system, id, ev, err)) {
			if (err->code == CB_OK)
				cb_err_set(err, CB_E_INTERNAL, NULL, "import failed");
			prefix_event_err(err, i);
			cb_free(evids);
			return -1;
		}
		if (with_atts &&
		    (evids[i] = last_event(c, id, json_string_value(json_object_get(ev, "type")), err)) < 0) {
			cb_free(evids);
			return -1;
		}
		cb_ms at;
		if (cb_time_parse(json_string_value(json_object_get(ev, "at")), &at) == 0 && at > last)
			last = at;
	}
	if (with_atts) {
		int64_t cev = last_event(c, id, "created", err);
		int rc = cev < 0 ? -1
				 : import_attachments(c, id, created, atts, evids, json_array_size(events),
						      cev, err);
		cb_free(evids);
		if (rc)
			return -1;
	}
	/* the clocks of the whole history, folded once as of its last event */
	if (cb_pipeline_project(c, NULL, id, last, CB_PROJECT_ALL, err))
		return -1;
	*out_id = id;
	return 0;
}

/* ---- batches ---- */

struct item {
	json_t *v; /* parsed line, NULL when it did not parse */
	int64_t line;
	int64_t id;
	cb_err err;
};

struct batch {
	cb_ms now;
	struct item *it;
	int n;
	int guarded_from; /* lines from this index on run in their own savepoint */
	int retry;        /* set when an unguarded line failed: run the batch again */
};

/* Runs the batch's lines. Savepoints are not free: SQLite journals every
 * page a line touches once more for each open savepoint, which is most of
 * the cost of a line. So lines first run unguarded; when one fails, the
 * whole job is rolled back (by the writer), that line is marked failed, and
 * the batch runs again with the lines before it unguarded (they succeeded
 * from the same state) and the lines after it each in a savepoint, so a
 * batch runs at most twice (again only if a concurrent writer changed what
 * an earlier line depends on, and then with one more line marked). */
static int batch_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct batch *b = arg;
	b->retry = 0;
	for (int i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];
		it->id = 0;
		if (!it->v || it->err.code)
			continue;
		int guarded = i >= b->guarded_from;
		if (guarded && cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "line", err))
			return -1;
		int64_t id = 0;
		if (cb_import_one(c, b->now, it->v, &id, &it->err)) {
			if (it->err.code == CB_OK)
				cb_err_set(&it->err, CB_E_INTERNAL, NULL, "import failed");
			cb_conn_reset_all(c);
			if (!guarded) {
				b->retry = 1;
				b->guarded_from = i + 1;
				return cb_err_set(err, CB_E_CONFLICT, NULL, "line %lld failed; retrying",
						  (long long)it->line);
			}
			if (cb_conn_savepoint(c, CB_SAVEPOINT_ROLLBACK, "line", err) ||
			    cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "line", err))
				return -1;
		} else {
			it->id = id;
			if (guarded && cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "line", err))
				return -1;
		}
	}
	return 0;
}

static void parse_item(struct item *it, const char *s, size_t n, cb_import_format fmt)
{
	json_error_t je;
	it->v = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
	if (!it->v) {
		if (fmt == CB_IMPORT_NDJSON)
			cb_err_set(&it->err, CB_E_BADREQ, "", "malformed JSON at column %d: %s", je.column,
				   je.text);
		else
			cb_err_set(&it->err, CB_E_BADREQ, "",
				   "malformed JSON at line %d, column %d of the element: %s", je.line,
				   je.column, je.text);
		return;
	}
	precheck(it->v, &it->err);
}

/* long: the import loop: the structure checked first, then batches of lines */
static int import_src(cb_app *app, cb_ms now, struct src *in, cb_import_format fmt,
		      const cb_import_opts *opts, cb_import_stats *stats, cb_err *err)
{
	int bsize = opts && opts->batch > 0 ? opts->batch : CB_IMPORT_BATCH;
	cb_import_sink sink = opts ? opts->sink : NULL;
	void *ctx = opts ? opts->ctx : NULL;
	memset(stats, 0, sizeof *stats);
	size_t pos = 0;
	array_scan sc = {0};
	const char *s;
	size_t n;
	int64_t total = 0; /* lines, for the progress report */
	if (fmt == CB_IMPORT_ARRAY) {
		/* validate the structure first: a broken array writes nothing */
		if (array_begin(in, &sc, err))
			return -1;
		int r;
		while ((r = array_next(in, &sc, &s, &n, err)) == 1)
			total++;
		if (r < 0 || src_rewind(in, err) || array_begin(in, &sc, err))
			return -1;
	} else if (app->progress.fn) {
		int r;
		while ((r = ndjson_next(in, &pos, &s, &n, err)) == 1)
			total++;
		pos = 0;
		if (r < 0 || src_rewind(in, err))
			return -1;
	}
	struct item *items = cb_xcalloc((size_t)bsize, sizeof *items);
	struct batch b = {.now = now, .it = items};
	int64_t lineno = 0;
	int rc = 0, more = 1;
	while (more && rc == 0) {
		b.n = 0;
		while (b.n < bsize) {
			int r = fmt == CB_IMPORT_NDJSON ? ndjson_next(in, &pos, &s, &n, err)
							: array_next(in, &sc, &s, &n, err);
			if (r <= 0) {
				more = 0;
				if (r < 0)
					rc = -1;
				break;
			}
			struct item *it = &items[b.n++];
			memset(it, 0, sizeof *it);
			it->line = ++lineno;
			parse_item(it, s, n, fmt);
		}
		if (rc)
			break;
		int writes = 0;
		for (int i = 0; i < b.n; i++)
			writes |= items[i].v && !items[i].err.code;
		b.guarded_from = b.n;
		while (writes) {
			cb_err werr = {0};
			if (cb_db_write(app->db, batch_fn, &b, &werr) == 0)
				break;
			if (!b.retry) {
				*err = werr;
				rc = -1;
				break;
			}
		}
		if (rc == 0) {
			for (int i = 0; i < b.n && rc == 0; i++) {
				struct item *it = &items[i];
				int ok = it->v && !it->err.code;
				cb_import_result r = {
					.line = it->line,
					.id = ok ? it->id : 0,
					.external_id = json_string_value(json_object_get(it->v, "external_id")),
					.err = ok ? NULL : &it->err,
				};
				if (ok)
					stats->imported++;
				else
					stats->failed++;
				if (sink && sink(ctx, &r)) {
					rc = cb_err_set(err, CB_E_INTERNAL, NULL, "import stopped after line %lld",
							(long long)it->line);
				}
			}
		}
		for (int i = 0; i < b.n; i++)
			json_decref(items[i].v);
		cb_progress_report(&app->progress, lineno, total);
	}
	cb_free(items);
	return rc;
}

int cb_import_tickets(cb_app *app, cb_ms now, const char *data, size_t len,
		      cb_import_format fmt, const cb_import_opts *opts, cb_import_stats *stats,
		      cb_err *err)
{
	struct src in = {.d = data ? data : "", .len = data ? len : 0, .eof = 1};
	return import_src(app, now, &in, fmt, opts, stats, err);
}

int cb_import_tickets_file(cb_app *app, cb_ms now, FILE *f, cb_import_format fmt,
			   const cb_import_opts *opts, cb_import_stats *stats, cb_err *err)
{
	struct src in = {.f = f, .d = ""};
	int rc = src_rewind(&in, err);
	if (rc == 0)
		rc = import_src(app, now, &in, fmt, opts, stats, err);
	else
		memset(stats, 0, sizeof *stats);
	cb_free(in.buf);
	return rc;
}

/* ---- export ---- */

#define NAME_CACHE 1024

struct name_cache {
	int64_t id[NAME_CACHE];
	char *name[NAME_CACHE];
};

struct exporter {
	cb_conn *c;
	cb_export_write write;
	void *ctx;
	int failed;
	struct name_cache users, groups, accounts, problems, incidents;
	/* the current line: row ids of its created event and of each exported event */
	int64_t created_ev;
	int64_t *evids;
	size_t nev, capev;
};

static void exporter_free(struct exporter *x);

static void cache_free(struct name_cache *nc)
{
	for (int i = 0; i < NAME_CACHE; i++)
		cb_free(nc->name[i]);
}

static void exporter_free(struct exporter *x)
{
	cache_free(&x->users);
	cache_free(&x->groups);
	cache_free(&x->accounts);
	cache_free(&x->problems);
	cache_free(&x->incidents);
	cb_free(x->evids);
	cb_free(x);
}

static void note_event(struct exporter *x, int64_t id)
{
	if (x->nev == x->capev) {
		x->capev = x->capev ? 2 * x->capev : 64;
		x->evids = cb_xrealloc(x->evids, x->capev * sizeof *x->evids);
	}
	x->evids[x->nev++] = id;
}

/* The e-mail or name of a referenced row, as a new JSON value (null when
 * the id is 0 or the row is gone). col is the name column of sql. */
static json_t *ref_name(struct exporter *x, struct name_cache *nc, cb_sql sql, int col,
			int64_t id)
{
	if (id <= 0)
		return json_null();
	size_t slot = (size_t)id % NAME_CACHE;
	if (nc->id[slot] == id && nc->name[slot])
		return json_string(nc->name[slot]);
	cb_err e = {0};
	cb_q *q = cb_q_get(x->c, sql, &e);
	if (!q)
		return json_null();
	cb_q_bind_i64(q, 1, id);
	if (cb_q_step(q, &e) != 1)
		return json_null();
	cb_free(nc->name[slot]);
	nc->name[slot] = cb_xstrdup(cb_q_text(q, col));
	nc->id[slot] = id;
	cb_q_reset(q);
	return json_string(nc->name[slot]);
}

static json_t *user_email(struct exporter *x, int64_t id)
{
	return ref_name(x, &x->users, CB_SQL_USER_BRIEF, 1, id);
}

static json_t *group_name(struct exporter *x, int64_t id)
{
	return ref_name(x, &x->groups, CB_SQL_GROUP_BRIEF, 1, id);
}

static json_t *account_name(struct exporter *x, int64_t id)
{
	return ref_name(x, &x->accounts, CB_SQL_ACCOUNT_BRIEF, 1, id);
}

static int64_t id_in(json_t *d, const char *key)
{
	json_t *v = json_object_get(d, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static json_t *time_str(cb_ms t)
{
	char buf[40];
	cb_time_format(t, buf, sizeof buf);
	return json_string(buf);
}

static int nonempty(json_t *v)
{
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return 1;
}

static void set_if(json_t *o, const char *key, json_t *v)
{
	if (nonempty(v))
		json_object_set(o, key, v);
}

/* The line's header from the `created` event. */
static json_t *export_header(struct exporter *x, int64_t tid, const char *ext, cb_ms at,
			     json_t *d)
{
	json_t *o = json_object();
	if (ext)
		json_object_set_new(o, "external_id", json_string(ext));
	else
		json_object_set_new(o, "external_id",
				    json_sprintf("casebook-%lld", (long long)tid));
	json_object_set(o, "subject", json_object_get(d, "subject"));
	set_if(o, "description", json_object_get(d, "description"));
	json_object_set_new(o, "requester", user_email(x, id_in(d, "requester")));
	if (id_in(d, "account"))
		json_object_set_new(o, "account", account_name(x, id_in(d, "account")));
	set_if(o, "priority", json_object_get(d, "priority"));
	set_if(o, "category", json_object_get(d, "category"));
	set_if(o, "tags", json_object_get(d, "tags"));
	if (id_in(d, "assignee"))
		json_object_set_new(o, "assignee", user_email(x, id_in(d, "assignee")));
	if (id_in(d, "group"))
		json_object_set_new(o, "group", group_name(x, id_in(d, "group")));
	set_if(o, "environment", json_object_get(d, "environment"));
	set_if(o, "custom_fields", json_object_get(d, "custom_fields"));
	json_object_set_new(o, "created_at", time_str(at));
	json_object_set_new(o, "events", json_array());
	return o;
}

/* One stored event in import shape; NULL when it is not exported.
 * long: a flat switch over event types */
static json_t *export_event(struct exporter *x, cb_evtype type, cb_ms at, int64_t actor,
			    json_t *d)
{
	if ((type == CB_EV_STATUS && json_is_true(json_object_get(d, "auto"))) || type == CB_EV_SLA)
		return NULL; /* derived again on import */
	json_t *o = json_object();
	json_object_set_new(o, "at", time_str(at));
	json_object_set_new(o, "type", json_string(cb_evtype_name(type)));
	if (actor)
		json_object_set_new(o, "author", user_email(x, actor));
	json_t *to = json_object_get(d, "to");
	switch (type) {
	case CB_EV_COMMENT:
		json_object_set_new(o, "public", json_boolean(json_is_true(json_object_get(d, "public"))));
		if (json_object_get(d, "body"))
			json_object_set(o, "body", json_object_get(d, "body"));
		else
			json_object_set_new(o, "body", json_string(""));
		break;
	case CB_EV_STATUS:
		json_object_set(o, "status", to ? to : json_null());
		break;
	case CB_EV_PRIORITY:
		json_object_set(o, "priority", to ? to : json_null());
		break;
	case CB_EV_CATEGORY:
		json_object_set(o, "category", to ? to : json_null());
		break;
	case CB_EV_TAGS:
		if (json_object_get(d, "tags"))
			json_object_set(o, "tags", json_object_get(d, "tags"));
		else
			json_object_set_new(o, "tags", json_array());
		break;
	case CB_EV_ASSIGN:
		if (json_object_get(d, "assignee"))
			json_object_set_new(o, "assignee", user_email(x, id_in(d, "assignee")));
		if (json_object_get(d, "group"))
			json_object_set_new(o, "group", group_name(x, id_in(d, "group")));
		break;
	case CB_EV_ACCOUNT:
		json_object_set_new(o, "account", account_name(x, id_in(d, "to")));
		break;
	case CB_EV_ESCALATION:
	case CB_EV_FIELDS:
	case CB_EV_ESCALATION_ACK:
	case CB_EV_ESCALATION_ACCEPTED:
	case CB_EV_ESCALATION_RETURNED:
	case CB_EV_ESCALATION_RESOLVED:
	case CB_EV_CSAT:
	case CB_EV_CES: {
		const char *k;
		json_t *v;
		json_object_foreach(d, k, v) {
			if (!strcmp(k, "at") || !strcmp(k, "type") || !strcmp(k, "author"))
				continue;
			/* an escalation's row id is local: a re-import creates its own rows
			 * and applies each step to the ticket's latest escalation */
			if (!strcmp(k, "escalation") && type != CB_EV_CSAT && type != CB_EV_CES)
				continue;
			if (type == CB_EV_ESCALATION && !strcmp(k, "group") && json_is_integer(v))
				json_object_set_new(o, k, group_name(x, (int64_t)json_integer_value(v)));
			else
				json_object_set(o, k, v);
		}
		break;
	}
	/* links to objects of their own: named, not by local id (import.h) */
	case CB_EV_ARTICLE_LINKED:
		set_if(o, "title", json_object_get(d, "title"));
		set_if(o, "article_type", json_object_get(d, "type"));
		set_if(o, "visibility", json_object_get(d, "visibility"));
		break;
	case CB_EV_DEFECT:
		set_if(o, "action", json_object_get(d, "action"));
		set_if(o, "tracker", json_object_get(d, "tracker"));
		set_if(o, "key", json_object_get(d, "key"));
		break;
	case CB_EV_PROBLEM:
	case CB_EV_INCIDENT: {
		int prob = type == CB_EV_PROBLEM;
		set_if(o, "action", json_object_get(d, "action"));
		const char *key = prob ? "problem" : "incident";
		json_t *title = json_object_get(d, prob ? "problem_title" : "incident_title");
		if (title)
			set_if(o, key, title);
		else if (id_in(d, key)) {
			json_t *n = ref_name(x, prob ? &x->problems : &x->incidents,
					     prob ? CB_SQL_EXPORT_PROBLEM_TITLE : CB_SQL_EXPORT_INCIDENT_TITLE, 1,
					     id_in(d, key));
			set_if(o, key, n);
			json_decref(n);
		}
		break;
	}
	case CB_EV_SLA:
	case CB_EV_CREATED:
	case CB_EV__COUNT:
		json_decref(o);
		return NULL;
	}
	return o;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	struct exporter *x = data;
	if (x->failed || x->write(x->ctx, buffer, size)) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

/* The ticket's attachments (import.h) into line; "event" is the index in
 * line.events of the event the file came with, absent for its creation. */
static int add_attachments(struct exporter *x, int64_t tid, json_t *line, cb_err *err)
{
	cb_q *q = cb_q_get(x->c, CB_SQL_EXPORT_ATTACHMENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, tid);
	json_t *list = NULL;
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		json_t *a = json_object();
		int64_t ev = cb_q_isnull(q, 0) ? 0 : cb_q_i64(q, 0);
		for (size_t i = 0; ev && ev != x->created_ev && i < x->nev; i++)
			if (x->evids[i] == ev) {
				json_object_set_new(a, "event", json_integer((json_int_t)i));
				break;
			}
		json_object_set_new(a, "filename", json_string(cb_q_text(q, 1)));
		json_object_set_new(a, "content_type", json_string(cb_q_text(q, 2)));
		size_t n = 0;
		const void *data = cb_q_blob(q, 7, &n);
		json_object_set_new(a, "size", json_integer((json_int_t)n));
		json_object_set_new(a, "sha256", json_string(cb_q_text(q, 3)));
		if (!cb_q_isnull(q, 4))
			json_object_set_new(a, "content_id", json_string(cb_q_text(q, 4)));
		if (cb_q_i64(q, 5))
			json_object_set_new(a, "inline", json_true());
		json_object_set_new(a, "created_at", time_str(cb_q_i64(q, 6)));
		size_t blen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = cb_xmalloc(blen);
		sodium_bin2base64(b64, blen, data ? data : "", n, sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(a, "content_base64", json_string(b64));
		cb_free(b64);
		if (!list)
			list = json_array();
		json_array_append_new(list, a);
	}
	cb_q_reset(q);
	if (list)
		json_object_set_new(line, "attachments", list);
	return r < 0 ? -1 : 0;
}

static int flush_line(struct exporter *x, json_t *line, cb_err *err)
{
	if (json_dump_callback(line, dump_cb, x, JSON_COMPACT) || x->failed ||
	    x->write(x->ctx, "\n", 1)) {
		x->failed = 1;
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot write the export");
	}
	return 0;
}

#define EXPORT_PAGE 500

/* Streams tickets with ids in ids[0..n) (ascending, contiguous in id order). */
static int export_page(struct exporter *x, const int64_t *ids, char **exts, int n,
		       int64_t *count, cb_err *err)
{
	cb_q *q = cb_q_get(x->c, CB_SQL_EXPORT_EVENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, ids[0]);
	cb_q_bind_i64(q, 2, ids[n - 1]);
	json_t *line = NULL;
	int64_t cur = 0;
	int k = -1, r, rc = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		int64_t tid = cb_q_i64(q, 0);
		cb_ms at = cb_q_i64(q, 1);
		int64_t actor = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
		cb_evtype type;
		int known = cb_evtype_parse(cb_q_text(q, 3), &type) == 0;
		const char *dt = cb_q_text(q, 4);
		int64_t evid = cb_q_i64(q, 5);
		json_t *d = dt ? json_loads(dt, 0, NULL) : NULL;
		if (!d)
			d = json_object();
		if (tid != cur) {
			if (line && (rc = add_attachments(x, cur, line, err)) == 0 &&
			    (rc = flush_line(x, line, err)) == 0)
				(*count)++;
			json_decref(line);
			line = NULL;
			if (rc) {
				json_decref(d);
				break;
			}
			cur = tid;
			x->nev = 0;
			x->created_ev = evid;
			while (k + 1 < n && ids[k + 1] < tid)
				k++;
			k++;
			const char *ext = k < n && ids[k] == tid ? exts[k] : NULL;
			if (known && type == CB_EV_CREATED)
				line = export_header(x, tid, ext, at, d);
		} else if (line && known) {
			json_t *e = export_event(x, type, at, actor, d);
			if (e) {
				json_array_append_new(json_object_get(line, "events"), e);
				note_event(x, evid);
			}
		}
		json_decref(d);
	}
	if (r < 0)
		rc = -1;
	if (rc == 0 && line && (rc = add_attachments(x, cur, line, err)) == 0 &&
	    (rc = flush_line(x, line, err)) == 0)
		(*count)++;
	json_decref(line);
	cb_q_reset(q);
	return rc;
}

int cb_export_tickets(cb_conn *c, cb_export_write write, void *ctx, int64_t *count,
		      cb_err *err)
{
	struct exporter *x = cb_xcalloc(1, sizeof *x);
	x->c = c;
	x->write = write;
	x->ctx = ctx;
	int64_t written = 0, after = 0;
	int rc = cb_conn_savepoint(c, CB_SAVEPOINT_BEGIN, "export", err); /* one snapshot for every page */
	int64_t ids[EXPORT_PAGE];
	char *exts[EXPORT_PAGE];
	while (rc == 0) {
		cb_q *q = cb_q_get(c, CB_SQL_EXPORT_TICKETS, err);
		if (!q) {
			rc = -1;
			break;
		}
		cb_q_bind_i64(q, 1, after);
		cb_q_bind_i64(q, 2, EXPORT_PAGE);
		int n = 0, r;
		while ((r = cb_q_step(q, err)) == 1) {
			ids[n] = cb_q_i64(q, 0);
			exts[n] = cb_q_isnull(q, 1) ? NULL : cb_xstrdup(cb_q_text(q, 1));
			n++;
		}
		if (r < 0)
			rc = -1;
		if (rc == 0 && n > 0)
			rc = export_page(x, ids, exts, n, &written, err);
		for (int i = 0; i < n; i++)
			cb_free(exts[i]);
		if (n < EXPORT_PAGE)
			break;
		after = ids[n - 1];
	}
	cb_conn_reset_all(c);
	cb_err e2 = {0};
	cb_conn_savepoint(c, CB_SAVEPOINT_RELEASE, "export", rc ? &e2 : err);
	exporter_free(x);
	if (count)
		*count = written;
	return rc || err->code ? -1 : 0;
}

int cb_export_count(cb_conn *c, int64_t *n, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_EXPORT_TICKET_COUNT, err);
	if (!q || cb_q_step(q, err) != 1)
		return -1;
	*n = cb_q_i64(q, 0);
	cb_q_reset(q);
	return 0;
}

static int one_write(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

json_t *cb_export_ticket(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_EXPORT_TICKETS, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id - 1);
	cb_q_bind_i64(q, 2, 1);
	int r = cb_q_step(q, err);
	if (r < 0)
		return NULL;
	if (r == 0 || cb_q_i64(q, 0) != id) {
		cb_q_reset(q);
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
		return NULL;
	}
	char *ext = cb_q_isnull(q, 1) ? NULL : cb_xstrdup(cb_q_text(q, 1));
	cb_q_reset(q);
	struct exporter *x = cb_xcalloc(1, sizeof *x);
	x->c = c;
	x->write = one_write;
	json_t *line = NULL;
	q = cb_q_get(c, CB_SQL_EXPORT_EVENTS, err);
	if (q) {
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, id);
		while ((r = cb_q_step(q, err)) == 1) {
			cb_evtype type;
			if (cb_evtype_parse(cb_q_text(q, 3), &type))
				continue;
			const char *dt = cb_q_text(q, 4);
			json_t *d = dt ? json_loads(dt, 0, NULL) : NULL;
			if (!d)
				d = json_object();
			cb_ms at = cb_q_i64(q, 1);
			int64_t actor = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
			int64_t evid = cb_q_i64(q, 5);
			if (type == CB_EV_CREATED && !line) {
				line = export_header(x, id, ext, at, d);
				x->created_ev = evid;
			} else if (line) {
				json_t *e = export_event(x, type, at, actor, d);
				if (e) {
					json_array_append_new(json_object_get(line, "events"), e);
					note_event(x, evid);
				}
			}
			json_decref(d);
		}
		if (r < 0 || (line && add_attachments(x, id, line, err))) {
			json_decref(line);
			line = NULL;
		}
	}
	cb_free(ext);
	exporter_free(x);
	if (!line && !err->code)
		cb_err_set(err, CB_E_INTERNAL, NULL, "ticket %lld has no created event", (long long)id);
	return line;
}
