/* ticket.c - ticket use cases (see ticket.h).
 *
 * DESIGN
 * load() reads the materialized row into a cb_ticket; emit() appends one
 * event to `events` and folds it into the in-memory state with the same
 * cb_ticket_apply() a full re-fold uses; save() writes the row back. All of
 * it runs in the caller's write transaction, so the event log and the row
 * never disagree. Inputs are validated strictly: unknown keys, wrong types
 * and unknown enum values are 422 with the field named. */
#include "app/ticket/ticket.h"
#include "app/ticket/pipeline.h"
#include "app/ticket/eventlog.h"
#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "app/escalation/escalation.h"
#include "app/mail/mail_out.h"
#include "app/sla/sla.h"
#include "app/ticket/ticket_page.h"
#include "app/ticket/views.h"
#include "store/sql.h"
#include "store/ticket_query.h"
#include "store/view_query.h"
#include "util/alloc.h"
#include "util/jsonx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBJECT 500
#define MAX_TEXT (256 * 1024)
#define MAX_TAGS 50
#define MAX_TAG_LEN 64
#define MAX_CATEGORY 100

typedef struct {
	int64_t id;
	cb_role role;
	int64_t account_id;
} user_brief;

/* ---- small JSON helpers ---- */

static char *dumps(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static json_t *loads(const char *s)
{
	return s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

static int64_t col_id(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? 0 : cb_q_i64(q, col);
}

static json_t *time_json(cb_ms t)
{
	if (!t)
		return json_null();
	char buf[40];
	cb_time_format(t, buf, sizeof buf);
	return json_string(buf);
}

/* ---- references ---- */

static int user_get(cb_conn *c, int64_t id, user_brief *u, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_USER_BRIEF, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc < 0 ? -1 : 0;
	u->id = cb_q_i64(q, 0);
	if (cb_role_parse(cb_q_text(q, 3), &u->role))
		u->role = CB_ROLE_NONE;
	u->account_id = col_id(q, 4);
	cb_q_reset(q);
	return 1;
}

/* Resolves an id or e-mail. 1 found, 0 not found, -1 error. */
static int user_resolve(cb_conn *c, json_t *ref, user_brief *u, const char *field, cb_err *err)
{
	if (json_is_integer(ref))
		return user_get(c, (int64_t)json_integer_value(ref), u, err);
	if (!json_is_string(ref))
		return cb_err_set(err, CB_E_INVALID, field, "must be a user id or e-mail");
	cb_q *q = cb_q_get(c, CB_SQL_USER_BY_EMAIL, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, json_string_value(ref));
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc < 0 ? -1 : 0;
	u->id = cb_q_i64(q, 0);
	if (cb_role_parse(cb_q_text(q, 3), &u->role))
		u->role = CB_ROLE_NONE;
	u->account_id = col_id(q, 4);
	cb_q_reset(q);
	return 1;
}

/* An agent-side user referenced as assignee (null clears). */
static int assignee_resolve(cb_conn *c, json_t *ref, int64_t *out, const char *field, cb_err *err)
{
	if (json_is_null(ref)) {
		*out = 0;
		return 0;
	}
	user_brief u;
	int rc = user_resolve(c, ref, &u, field, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		char *s = dumps(ref);
		cb_err_set(err, CB_E_INVALID, field, "unknown user: %s", s);
		free(s);
		return -1;
	}
	if (!cb_role_is_agent_side(u.role))
		return cb_err_set(err, CB_E_INVALID, field, "the assignee must be an agent, engineer or admin");
	*out = u.id;
	return 0;
}

/* ---- validation ---- */

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* A string field: absent ok unless required; null allowed only if nullable. */
static int want_string(json_t *in, const char *key, int required, int nullable, size_t maxlen,
		       const char *prefix, cb_err *err)
{
	char f[96];
	snprintf(f, sizeof f, "%s%s", prefix, key);
	json_t *v = json_object_get(in, key);
	if (!v) {
		if (required)
			return cb_err_set(err, CB_E_INVALID, f, "is required");
		return 0;
	}
	if (json_is_null(v)) {
		if (nullable && !required)
			return 0;
		return cb_err_set(err, CB_E_INVALID, f, "must not be null");
	}
	if (!json_is_string(v))
		return cb_err_set(err, CB_E_INVALID, f, "must be a string");
	size_t n = json_string_length(v);
	if (required && (n == 0 || is_blank(json_string_value(v))))
		return cb_err_set(err, CB_E_INVALID, f, "must not be empty");
	if (n > maxlen)
		return cb_err_set(err, CB_E_INVALID, f, "must be at most %zu bytes", maxlen);
	if (memchr(json_string_value(v), '\0', n))
		return cb_err_set(err, CB_E_INVALID, f, "must not contain NUL characters");
	return 0;
}

static int want_priority(json_t *in, const char *prefix, int *out, cb_err *err)
{
	json_t *v = json_object_get(in, "priority");
	char f[96];
	snprintf(f, sizeof f, "%spriority", prefix);
	if (!v)
		return 0;
	if (cb_priority_parse(json_string_value(v), out))
		return cb_err_set(err, CB_E_INVALID, f, "must be one of P1, P2, P3, P4");
	return 0;
}

/* tags: array of unique non-empty strings; returns a normalized copy. */
static int want_tags(json_t *v, const char *field, json_t **out, cb_err *err)
{
	if (!json_is_array(v))
		return cb_err_set(err, CB_E_INVALID, field, "must be an array of strings");
	if (json_array_size(v) > MAX_TAGS)
		return cb_err_set(err, CB_E_INVALID, field, "at most %d tags", MAX_TAGS);
	json_t *norm = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(v, i, t) {
		const char *s = json_string_value(t);
		if (!s || !*s || json_string_length(t) > MAX_TAG_LEN || strpbrk(s, " \t\r\n,")) {
			json_decref(norm);
			return cb_err_set(err, CB_E_INVALID, field,
					  "tags are non-empty strings of at most %d bytes without spaces or commas",
					  MAX_TAG_LEN);
		}
		char low[MAX_TAG_LEN + 1];
		size_t n = json_string_length(t);
		for (size_t k = 0; k < n; k++)
			low[k] = (char)tolower((unsigned char)s[k]);
		low[n] = '\0';
		int dup = 0;
		size_t j;
		json_t *u;
		json_array_foreach(norm, j, u)
			if (strcmp(json_string_value(u), low) == 0)
				dup = 1;
		if (!dup)
			json_array_append_new(norm, json_string(low));
	}
	*out = norm;
	return 0;
}

/* environment / custom_fields: object of scalar values (strings, numbers, booleans, null). */
static int want_kv(json_t *in, const char *key, const char *prefix, cb_err *err)
{
	json_t *v = json_object_get(in, key);
	char f[96];
	snprintf(f, sizeof f, "%s%s", prefix, key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return cb_err_set(err, CB_E_INVALID, f, "must be an object of key/value pairs");
	if (json_object_size(v) > 100)
		return cb_err_set(err, CB_E_INVALID, f, "at most 100 keys");
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		if (json_is_object(x) || json_is_array(x)) {
			char f2[256];
			snprintf(f2, sizeof f2, "%s.%.100s", f, k);
			return cb_err_set(err, CB_E_INVALID, f2, "values must be strings, numbers or booleans");
		}
		if (strlen(k) > 100 || (json_is_string(x) && json_string_length(x) > 4096)) {
			char f2[256];
			snprintf(f2, sizeof f2, "%s.%.100s", f, k);
			return cb_err_set(err, CB_E_INVALID, f2, "too long");
		}
	}
	return 0;
}

/* ---- load / save / emit ---- */

int cb_ticketsvc_exists(cb_conn *c, int64_t id, cb_err *err)
{
	int r = cb_q_one_by_id(c, CB_SQL_TICKET_EXISTS, id, NULL, err);
	if (r == 0)
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	return r == 1 ? 0 : -1;
}

static const char *doc_str(const cb_ticket *t, const char *key)
{
	return json_string_value(json_object_get(t->doc, key));
}

static json_t *doc_or(const cb_ticket *t, const char *key, json_t *dflt)
{
	json_t *v = json_object_get(t->doc, key);
	if (v && !json_is_null(v)) {
		json_decref(dflt);
		return json_incref(v);
	}
	return dflt;
}

static int emit_status(cb_conn *c, cb_ticket *t, cb_status to, int is_auto, cb_ms at,
		       int64_t actor, cb_err *err)
{
	json_t *d = json_pack("{s:s, s:s}", "from", cb_status_name(t->status), "to",
			      cb_status_name(to));
	if (is_auto)
		json_object_set_new(d, "auto", json_true());
	return cb_eventlog_emit(c, t, CB_EV_STATUS, at, actor, d, NULL, err);
}

static int visible(const cb_ticket *t, const cb_actor *viewer)
{
	if (viewer->role == CB_ROLE_CUSTOMER)
		return t->account_id && t->account_id == viewer->account_id;
	return viewer->role != CB_ROLE_NONE || viewer->user_id == 0;
}

static cb_side side_of(const cb_actor *a)
{
	return a->role == CB_ROLE_CUSTOMER ? CB_SIDE_REQUESTER : CB_SIDE_AGENT;
}

/* ---- create ---- */

static const char *const create_keys[] = {
	"subject", "description", "priority", "category", "tags", "account", "requester",
	"assignee", "group", "environment", "custom_fields", "external_id", NULL};
static const char *const import_keys[] = {
	"subject", "description", "priority", "category", "tags", "account", "requester",
	"assignee", "group", "environment", "custom_fields", "external_id", "created_at",
	"events", "attachments", NULL};
static const char *const customer_create_keys[] = {
	"subject", "description", "priority", "category", "environment", "account", NULL};

/* Moves what the check that just ran into `one` found into err (see
 * cb_err_merge): 1 when it failed. Lets the validators below run every
 * check and name every bad field. */
static int gather(cb_err *err, cb_err *one)
{
	int bad = cb_err_merge(err, one) != 0;
	cb_err_clear(one);
	return bad;
}

static int validate_common(json_t *in, cb_err *err)
{
	cb_err one = {0};
	int bad = 0, p;
	want_string(in, "description", 0, 0, MAX_TEXT, "", &one);
	bad |= gather(err, &one);
	want_string(in, "category", 0, 1, MAX_CATEGORY, "", &one);
	bad |= gather(err, &one);
	want_kv(in, "environment", "", &one);
	bad |= gather(err, &one);
	want_kv(in, "custom_fields", "", &one);
	bad |= gather(err, &one);
	want_priority(in, "", &p, &one);
	bad |= gather(err, &one);
	return bad ? -1 : 0;
}

/* Resolves the requester (creating a customer for an unknown e-mail when an
 * account is known) and the account. */
static int resolve_people(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in,
			  int64_t *requester, int64_t *account, cb_err *err)
{
	*account = 0;
	json_t *acc = json_object_get(in, "account");
	if (acc && !json_is_null(acc) && cb_dir_resolve_account(c, acc, account, "account", err))
		return -1;
	json_t *req = json_object_get(in, "requester");
	if (!req || json_is_null(req)) {
		if (!actor->user_id)
			return cb_err_set(err, CB_E_INVALID, "requester", "is required");
		*requester = actor->user_id;
		if (actor->role == CB_ROLE_CUSTOMER)
			*account = actor->account_id;
		return 0;
	}
	user_brief u;
	int rc = user_resolve(c, req, &u, "requester", err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		const char *email = json_string_value(req);
		if (!email)
			return cb_err_set(err, CB_E_INVALID, "requester", "unknown user id");
		const char *at = strchr(email, '@');
		if (!at || at == email || !strchr(at, '.') || strlen(email) > 254 || strpbrk(email, " <>\t"))
			return cb_err_set(err, CB_E_INVALID, "requester", "is not a valid e-mail address");
		if (!*account)
			return cb_err_set(err, CB_E_INVALID, "requester",
					  "unknown e-mail; give an account to create the customer in");
		cb_q *q = cb_q_get(c, CB_SQL_USER_INSERT_CUSTOMER, err);
		if (!q)
			return -1;
		char *low = cb_xstrdup(email);
		for (char *p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		cb_q_bind_text(q, 1, low);
		cb_q_bind_textn(q, 2, low, (size_t)(strchr(low, '@') - low));
		cb_q_bind_i64(q, 3, *account);
		cb_q_bind_i64(q, 4, now);
		int64_t new_id = 0;
		rc = cb_q_exec_id(q, &new_id, err);
		cb_free(low);
		if (rc)
			return -1;
		*requester = new_id;
		return 0;
	}
	*requester = u.id;
	if (u.role == CB_ROLE_CUSTOMER) {
		if (!*account)
			*account = u.account_id;
		else if (u.account_id && u.account_id != *account)
			return cb_err_set(err, CB_E_INVALID, "requester",
					  "the requester belongs to another account");
	}
	return 0;
}

/* A customer may set only customer_create_keys of the ticket's fields. */
static int create_check_customer_keys(json_t *in, cb_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(in, key, v) {
		int ok = 0;
		for (const char *const *a = customer_create_keys; *a; a++)
			ok |= strcmp(*a, key) == 0;
		int known = 0;
		for (const char *const *a = create_keys; *a; a++)
			known |= strcmp(*a, key) == 0;
		if (!ok && known)
			return cb_err_set(err, CB_E_FORBIDDEN, key, "customers cannot set this field");
	}
	return 0;
}

/* The shape of every field of a new ticket, each bad one named into err;
 * non-zero when one is bad. */
static int create_check_shape(json_t *in, unsigned flags, json_t **tags, cb_ms *at, cb_err *err)
{
	cb_err one = {0};
	int bad = cb_json_check_keys(in, (flags & CB_TICKET_IMPORT) ? import_keys : create_keys, "",
				     err) != 0;
	want_string(in, "subject", 1, 0, MAX_SUBJECT, "", &one);
	bad |= gather(err, &one);
	bad |= validate_common(in, err) != 0;
	want_string(in, "external_id", 0, 1, 200, "", &one);
	bad |= gather(err, &one);
	json_t *tv = json_object_get(in, "tags");
	if (tv && !json_is_null(tv)) {
		want_tags(tv, "tags", tags, &one);
		bad |= gather(err, &one);
	}
	json_t *ca = json_object_get(in, "created_at");
	if (ca && cb_time_parse(json_string_value(ca), at))
		bad |= (cb_err_set(&one, CB_E_INVALID, "created_at", "must be an RFC 3339 instant"),
			gather(err, &one));
	if ((flags & CB_TICKET_IMPORT) && !ca)
		bad |= (cb_err_set(&one, CB_E_INVALID, "created_at", "is required"), gather(err, &one));
	return bad;
}

/* The people, account and group a new ticket names, each bad reference
 * named into err; non-zero when one is bad. */
static int create_resolve(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in,
			  int64_t *requester, int64_t *account, int64_t *assignee, int64_t *group,
			  cb_err *err)
{
	cb_err one = {0};
	int bad = 0;
	if (actor->role == CB_ROLE_CUSTOMER) {
		json_t *acc = json_object_get(in, "account");
		if (acc && !json_is_null(acc)) {
			int64_t a = 0;
			if (cb_dir_resolve_account(c, acc, &a, "account", &one) || a != actor->account_id) {
				cb_err_clear(&one);
				cb_err_set(&one, CB_E_INVALID, "account", "unknown account");
				bad |= gather(err, &one);
			}
		}
		*requester = actor->user_id;
		*account = actor->account_id;
	} else {
		resolve_people(c, actor, now, in, requester, account, &one);
		bad |= gather(err, &one);
	}
	json_t *as = json_object_get(in, "assignee");
	json_t *gr = json_object_get(in, "group");
	if (as) {
		assignee_resolve(c, as, assignee, "assignee", &one);
		bad |= gather(err, &one);
	}
	if (gr && !json_is_null(gr)) {
		cb_dir_resolve_group(c, gr, group, "group", &one);
		bad |= gather(err, &one);
	}
	return bad;
}

/* The `created` event's data of a checked and resolved new ticket; it takes
 * tags over. */
static json_t *create_doc(json_t *in, json_t *tags, int64_t requester, int64_t account,
			  int64_t assignee, int64_t group, cb_err *err)
{
	json_t *d = json_object();
	json_object_set(d, "subject", json_object_get(in, "subject"));
	json_object_set_new(d, "description",
			    json_string(json_string_value(json_object_get(in, "description"))
					    ? json_string_value(json_object_get(in, "description"))
					    : ""));
	int prio = 3;
	want_priority(in, "", &prio, err);
	json_object_set_new(d, "priority", json_string(cb_priority_name(prio)));
	json_t *cat = json_object_get(in, "category");
	json_object_set(d, "category", cat ? cat : json_null());
	json_object_set_new(d, "tags", tags ? tags : json_array());
	if (account)
		json_object_set_new(d, "account", json_integer(account));
	json_object_set_new(d, "requester", json_integer(requester));
	if (assignee)
		json_object_set_new(d, "assignee", json_integer(assignee));
	if (group)
		json_object_set_new(d, "group", json_integer(group));
	json_t *env = json_object_get(in, "environment");
	if (env)
		json_object_set(d, "environment", env);
	else
		json_object_set_new(d, "environment", json_object());
	json_t *cf = json_object_get(in, "custom_fields");
	if (cf)
		json_object_set(d, "custom_fields", cf);
	else
		json_object_set_new(d, "custom_fields", json_object());
	json_t *ext = json_object_get(in, "external_id");
	if (ext && !json_is_null(ext))
		json_object_set(d, "external_id", ext);
	if (json_is_integer(json_object_get(in, "followup_of")))
		json_object_set(d, "followup_of", json_object_get(in, "followup_of"));
	return d;
}

int cb_ticketsvc_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, unsigned flags,
		     int64_t *out_id, cb_err *err)
{
	if (!json_is_object(in))
		return cb_err_set(err, CB_E_INVALID, "", "a ticket must be a JSON object");
	if (actor->role == CB_ROLE_CUSTOMER && create_check_customer_keys(in, err))
		return -1;
	/* the shape of every field first, each bad one named */
	json_t *tags = NULL;
	cb_ms at = now;
	if (create_check_shape(in, flags, &tags, &at, err)) {
		json_decref(tags);
		return cb_err_summarize(err);
	}
	/* then the references, again each bad one named */
	int64_t requester = 0, account = 0, assignee = 0, group = 0;
	if (create_resolve(c, actor, now, in, &requester, &account, &assignee, &group, err)) {
		json_decref(tags);
		return cb_err_summarize(err);
	}

	cb_ticket t;
	cb_ticket_init(&t); /* its id comes from the database (cb_eventlog_emit_created) */
	json_t *d = create_doc(in, tags, requester, account, assignee, group, err);
	int rc = cb_eventlog_emit_created(c, &t, at, actor->user_id, d, NULL, err);
	if (rc == 0 && assignee) {
		/* assigning a person at creation opens the ticket (docs/metrics.md section 3) */
		rc = emit_status(c, &t, CB_ST_OPEN, 1, at, actor->user_id, err);
	}
	if (rc == 0)
		rc = cb_eventlog_save(c, &t, 0, 0, err);
	/* an imported history is folded once, after its last event (the caller) */
	if (rc == 0 && !(flags & CB_TICKET_IMPORT))
		rc = cb_pipeline_project(c, NULL, t.id, at, CB_PROJECT_ALL, err);
	if (rc == 0)
		*out_id = t.id;
	cb_ticket_clear(&t);
	return rc;
}

/* ---- update ---- */

static const char *const update_keys[] = {
	"subject", "description", "status", "priority", "category", "tags", "assignee",
	"group", "account", "environment", "custom_fields", NULL};

static int json_equal_or_null(json_t *a, json_t *b)
{
	if (!a)
		a = json_null();
	if (!b)
		b = json_null();
	return json_equal(a, b);
}

/* Each update_* step appends the events of one part of a PATCH (nothing
 * when that part does not change the ticket). */
static int update_fields(cb_conn *c, cb_ticket *t, cb_ms now, int64_t who, json_t *in, cb_err *err)
{
	json_t *fd = json_object();
	static const char *const fkeys[] = {"subject", "description", "environment", "custom_fields"};
	for (size_t i = 0; i < 4; i++) {
		json_t *v = json_object_get(in, fkeys[i]);
		if (v && !json_equal_or_null(v, json_object_get(t->doc, fkeys[i])))
			json_object_set(fd, fkeys[i], v);
	}
	int rc = 0;
	if (json_object_size(fd))
		rc = cb_eventlog_emit(c, t, CB_EV_FIELDS, now, who, fd, NULL, err);
	else
		json_decref(fd);
	if (rc)
		return -1;
	json_t *cat = json_object_get(in, "category");
	if (cat && !json_equal_or_null(cat, json_object_get(t->doc, "category"))) {
		json_t *d = json_object();
		json_object_set(d, "from", json_object_get(t->doc, "category") ? json_object_get(t->doc, "category") : json_null());
		json_object_set(d, "to", cat);
		if (cb_eventlog_emit(c, t, CB_EV_CATEGORY, now, who, d, NULL, err))
			return -1;
	}
	return 0;
}

static int update_tags(cb_conn *c, cb_ticket *t, cb_ms now, int64_t who, json_t *in,
		       int *tags_changed, cb_err *err)
{
	json_t *tv = json_object_get(in, "tags");
	if (!tv)
		return 0;
	json_t *tags = NULL;
	if (json_is_null(tv))
		tags = json_array();
	else if (want_tags(tv, "tags", &tags, err))
		return -1;
	if (!json_equal(tags, json_object_get(t->doc, "tags"))) {
		*tags_changed = 1;
		if (cb_eventlog_emit(c, t, CB_EV_TAGS, now, who, json_pack("{s:o}", "tags", tags), NULL, err))
			return -1;
	} else {
		json_decref(tags);
	}
	return 0;
}

static int update_account(cb_conn *c, cb_ticket *t, cb_ms now, int64_t who, json_t *in, cb_err *err)
{
	json_t *acc = json_object_get(in, "account");
	if (!acc)
		return 0;
	int64_t a = 0;
	if (!json_is_null(acc) && cb_dir_resolve_account(c, acc, &a, "account", err))
		return -1;
	if (a != t->account_id) {
		json_t *d = json_object();
		json_object_set_new(d, "from", t->account_id ? json_integer(t->account_id) : json_null());
		json_object_set_new(d, "to", a ? json_integer(a) : json_null());
		if (cb_eventlog_emit(c, t, CB_EV_ACCOUNT, now, who, d, NULL, err))
			return -1;
	}
	return 0;
}

static int update_assignment(cb_conn *c, cb_ticket *t, cb_ms now, int64_t who, json_t *in,
			     cb_err *err)
{
	json_t *as = json_object_get(in, "assignee");
	json_t *gr = json_object_get(in, "group");
	if (!as && !gr)
		return 0;
	int64_t assignee = t->assignee_id, group = t->group_id;
	if (as && assignee_resolve(c, as, &assignee, "assignee", err))
		return -1;
	if (gr) {
		if (json_is_null(gr))
			group = 0;
		else if (cb_dir_resolve_group(c, gr, &group, "group", err))
			return -1;
	}
	if (assignee != t->assignee_id || group != t->group_id) {
		json_t *d = json_object();
		if (assignee != t->assignee_id)
			json_object_set_new(d, "assignee", assignee ? json_integer(assignee) : json_null());
		if (group != t->group_id)
			json_object_set_new(d, "group", group ? json_integer(group) : json_null());
		int64_t before = t->assignee_id;
		if (cb_eventlog_emit(c, t, CB_EV_ASSIGN, now, who, d, NULL, err))
			return -1;
		cb_status to;
		if (assignee != before && cb_ticket_assign_effect(t, assignee, &to) &&
		    emit_status(c, t, to, 1, now, who, err))
			return -1;
	}
	return 0;
}

static int update_status(cb_conn *c, cb_ticket *t, cb_ms now, int64_t who, json_t *in, cb_err *err)
{
	json_t *sv = json_object_get(in, "status");
	if (!sv)
		return 0;
	cb_status to;
	if (cb_status_parse(json_string_value(sv), &to))
		return cb_err_set(err, CB_E_INVALID, "status",
				  "must be one of new, open, pending, on_hold, solved, closed");
	cb_status steps[2];
	int n = 0;
	if (cb_ticket_decide_status(t, to, steps, &n, err))
		return -1;
	for (int i = 0; i < n; i++)
		if (emit_status(c, t, steps[i], 0, now, who, err))
			return -1;
	return 0;
}

static int do_update(cb_conn *c, const cb_actor *actor, cb_ms now, cb_ticket *t, json_t *in, int refresh,
		     cb_err *err)
{
	int64_t who = actor->user_id;
	if (t->status == CB_ST_CLOSED)
		return cb_err_set(err, CB_E_CONFLICT, "status", "the ticket is closed");
	if (update_fields(c, t, now, who, in, err))
		return -1;
	int tags_changed = 0;
	if (update_tags(c, t, now, who, in, &tags_changed, err))
		return -1;
	int prio;
	if (json_object_get(in, "priority") && want_priority(in, "", &prio, err) == 0 &&
	    prio != t->priority) {
		if (cb_eventlog_emit(c, t, CB_EV_PRIORITY, now, who,
			 json_pack("{s:s, s:s}", "from", cb_priority_name(t->priority), "to",
				   cb_priority_name(prio)),
			 NULL, err))
			return -1;
	}
	if (err->code)
		return -1;
	if (update_account(c, t, now, who, in, err) || update_assignment(c, t, now, who, in, err))
		return -1;
	/* status last */
	if (update_status(c, t, now, who, in, err))
		return -1;
	if (cb_eventlog_save(c, t, 0, tags_changed, err))
		return -1;
	return refresh ? cb_pipeline_project(c, NULL, t->id, now, CB_PROJECT_ALL, err) : 0;
}

int cb_ticketsvc_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		     cb_err *err)
{
	/* the shape of every field before anything is looked up, each bad one named */
	cb_err one = {0};
	int bad = cb_json_check_keys(in, update_keys, "", err) != 0;
	want_string(in, "subject", 0, 0, MAX_SUBJECT, "", &one);
	if (!one.code && json_object_get(in, "subject") &&
	    is_blank(json_string_value(json_object_get(in, "subject"))))
		cb_err_set(&one, CB_E_INVALID, "subject", "must not be empty");
	bad |= gather(err, &one);
	bad |= validate_common(in, err) != 0;
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "custom_fields" : "environment";
		if (json_is_null(json_object_get(in, key)))
			bad |= (cb_err_set(&one, CB_E_INVALID, key, "must be an object"),
				gather(err, &one));
	}
	json_t *sv = json_object_get(in, "status");
	cb_status st;
	if (sv && cb_status_parse(json_string_value(sv), &st))
		bad |= (cb_err_set(&one, CB_E_INVALID, "status",
				   "must be one of new, open, pending, on_hold, solved, closed"),
			gather(err, &one));
	json_t *tv = json_object_get(in, "tags"), *tags = NULL;
	if (tv && !json_is_null(tv)) {
		want_tags(tv, "tags", &tags, &one);
		json_decref(tags);
		bad |= gather(err, &one);
	}
	if (bad)
		return cb_err_summarize(err);
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	cb_status before = t.status;
	int rc;
	if (!visible(&t, actor)) {
		rc = cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	} else if (actor->role == CB_ROLE_CUSTOMER) {
		/* customers may only mark their case solved (or reopen it by replying) */
		const char *key;
		json_t *v;
		rc = 0;
		json_object_foreach(in, key, v) {
			if (strcmp(key, "status") != 0 || !json_is_string(v) ||
			    strcmp(json_string_value(v), "solved") != 0) {
				rc = cb_err_set(err, CB_E_FORBIDDEN, key,
						"customers can only set status to solved");
				break;
			}
		}
		if (rc == 0)
			rc = do_update(c, actor, now, &t, in, 1, err);
	} else {
		rc = do_update(c, actor, now, &t, in, 1, err);
	}
	cb_status after = t.status; /* do_update folded the new events into t */
	cb_ticket_clear(&t);
	if (rc == 0 && json_object_get(in, "status"))
		rc = cb_mailsvc_on_status(c, now, id, before, after, actor, err);
	return rc;
}

/* ---- comments ---- */

static const char *const comment_keys[] = {"body", "public", NULL};

static int add_comment(cb_conn *c, cb_ticket *t, cb_side side, int64_t who, cb_ms at,
		       const char *body, int is_public, int64_t *out_event, cb_err *err)
{
	json_t *d = json_pack("{s:s, s:b, s:s}", "body", body, "public", is_public, "side",
			      side == CB_SIDE_AGENT ? "agent" : "requester");
	cb_status to;
	int effect = cb_ticket_comment_effect(t, side, is_public, &to);
	if (cb_eventlog_emit(c, t, CB_EV_COMMENT, at, who, d, out_event, err))
		return -1;
	if (effect && emit_status(c, t, to, 1, at, who, err))
		return -1;
	return 0;
}

static int create_followup(cb_conn *c, const cb_actor *actor, cb_ms now, cb_ticket *closed,
			   const char *body, int64_t *out_event, int64_t *out_ticket, cb_err *err)
{
	cb_ticket t;
	cb_ticket_init(&t);
	json_t *d = json_object();
	json_object_set_new(d, "subject", json_string(doc_str(closed, "subject")));
	json_object_set_new(d, "description", json_string(body));
	json_object_set_new(d, "priority", json_string(cb_priority_name(closed->priority)));
	json_object_set(d, "category", json_object_get(closed->doc, "category") ? json_object_get(closed->doc, "category") : json_null());
	json_object_set(d, "tags", json_object_get(closed->doc, "tags") ? json_object_get(closed->doc, "tags") : json_array());
	if (closed->account_id)
		json_object_set_new(d, "account", json_integer(closed->account_id));
	json_object_set_new(d, "requester", json_integer(closed->requester_id));
	if (closed->group_id)
		json_object_set_new(d, "group", json_integer(closed->group_id));
	json_object_set_new(d, "environment", json_object());
	json_object_set_new(d, "custom_fields", json_object());
	json_object_set_new(d, "followup_of", json_integer(closed->id));
	int rc = cb_eventlog_emit_created(c, &t, now, actor->user_id, d, out_event, err);
	if (rc == 0)
		rc = cb_pipeline_project(c, NULL, t.id, now, CB_PROJECT_ALL, err);
	if (rc == 0)
		*out_ticket = t.id;
	cb_ticket_clear(&t);
	return rc;
}

int cb_ticketsvc_comment(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      int64_t *out_event, int64_t *out_ticket, cb_err *err)
{
	cb_err one = {0};
	int bad = cb_json_check_keys(in, comment_keys, "", err) != 0;
	want_string(in, "body", 1, 0, MAX_TEXT, "", &one);
	bad |= gather(err, &one);
	json_t *pv = json_object_get(in, "public");
	if (pv && !json_is_boolean(pv))
		bad |= (cb_err_set(&one, CB_E_INVALID, "public", "must be a boolean"), gather(err, &one));
	if (bad)
		return cb_err_summarize(err);
	int is_public = pv ? json_is_true(pv) : 1;
	if (actor->role == CB_ROLE_CUSTOMER && !is_public)
		return cb_err_set(err, CB_E_FORBIDDEN, "public", "customers can only write public comments");
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	int rc;
	const char *body = json_string_value(json_object_get(in, "body"));
	*out_ticket = id;
	if (!visible(&t, actor))
		rc = cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	else if (t.status == CB_ST_CLOSED)
		rc = create_followup(c, actor, now, &t, body, out_event, out_ticket, err);
	else
		rc = add_comment(c, &t, side_of(actor), actor->user_id, now, body, is_public,
				 out_event, err) ||
		     cb_eventlog_save(c, &t, 0, 0, err) || cb_pipeline_project(c, NULL, id, now, CB_PROJECT_ALL, err) ||
		     (is_public && cb_mailsvc_on_comment(c, now, id, *out_event, actor, err));
	cb_ticket_clear(&t);
	return rc ? -1 : 0;
}

/* ---- survey responses ---- */

/* ---- import ---- */

static int import_author(cb_conn *c, json_t *ev, cb_actor *out, int required, cb_err *err)
{
	json_t *a = json_object_get(ev, "author");
	memset(out, 0, sizeof *out);
	if (!a || json_is_null(a)) {
		if (required)
			return cb_err_set(err, CB_E_INVALID, "author", "is required");
		out->role = CB_ROLE_ADMIN; /* system */
		return 0;
	}
	user_brief u;
	int rc = user_resolve(c, a, &u, "author", err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		char *s = dumps(a);
		cb_err_set(err, CB_E_INVALID, "author", "unknown user: %s", s);
		free(s);
		return -1;
	}
	out->user_id = u.id;
	out->role = u.role;
	out->account_id = u.account_id;
	return 0;
}

/* Each import_* step validates one kind of imported event and appends it to
 * the loaded ticket; the caller saves the ticket. */
static int import_comment(cb_conn *c, cb_ticket *t, cb_ms at, const cb_actor *who, json_t *ev,
			  cb_err *err)
{
	static const char *const k[] = {"at", "type", "author", "public", "body", NULL};
	if (cb_json_check_keys(ev, k, "", err) || want_string(ev, "body", 1, 0, MAX_TEXT, "", err))
		return -1;
	json_t *pv = json_object_get(ev, "public");
	if (pv && !json_is_boolean(pv))
		return cb_err_set(err, CB_E_INVALID, "public", "must be a boolean");
	return add_comment(c, t, who->role == CB_ROLE_CUSTOMER ? CB_SIDE_REQUESTER : CB_SIDE_AGENT,
			   who->user_id, at, json_string_value(json_object_get(ev, "body")),
			   pv ? json_is_true(pv) : 1, NULL, err);
}

static int import_status(cb_conn *c, cb_ticket *t, cb_ms at, const cb_actor *who, json_t *ev,
			 cb_err *err)
{
	static const char *const k[] = {"at", "type", "author", "status", NULL};
	cb_status to;
	if (cb_json_check_keys(ev, k, "", err))
		return -1;
	if (cb_status_parse(json_string_value(json_object_get(ev, "status")), &to))
		return cb_err_set(err, CB_E_INVALID, "status", "unknown status");
	cb_status steps[2];
	int n = 0;
	int rc = cb_ticket_decide_status(t, to, steps, &n, err);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = emit_status(c, t, steps[i], 0, at, who->user_id, err);
	return rc;
}

/* The fields an update event (priority, assign, category, tags, fields,
 * account) must carry besides its keys. */
static int import_update_check(cb_evtype type, json_t *ev, cb_err *err)
{
	static const char *const kp[] = {"at", "type", "author", "priority", NULL};
	static const char *const ka[] = {"at", "type", "author", "assignee", "group", NULL};
	static const char *const kc[] = {"at", "type", "author", "category", NULL};
	static const char *const kt[] = {"at", "type", "author", "tags", NULL};
	static const char *const kf[] = {"at", "type", "author", "subject", "description",
					 "environment", "custom_fields", NULL};
	static const char *const kacc[] = {"at", "type", "author", "account", NULL};
	const char *const *k = type == CB_EV_PRIORITY ? kp : type == CB_EV_ASSIGN ? ka
			     : type == CB_EV_CATEGORY ? kc : type == CB_EV_TAGS ? kt
			     : type == CB_EV_FIELDS ? kf : kacc;
	if (cb_json_check_keys(ev, k, "", err))
		return -1;
	if (type == CB_EV_PRIORITY && !json_object_get(ev, "priority"))
		return cb_err_set(err, CB_E_INVALID, "priority", "is required");
	if (type == CB_EV_CATEGORY) {
		if (!json_object_get(ev, "category"))
			return cb_err_set(err, CB_E_INVALID, "category", "is required");
		if (want_string(ev, "category", 0, 1, MAX_CATEGORY, "", err))
			return -1;
	}
	if (type == CB_EV_TAGS && !json_object_get(ev, "tags"))
		return cb_err_set(err, CB_E_INVALID, "tags", "is required");
	if (type == CB_EV_ACCOUNT && !json_object_get(ev, "account"))
		return cb_err_set(err, CB_E_INVALID, "account", "is required");
	if (type == CB_EV_FIELDS) {
		json_t *subj = json_object_get(ev, "subject");
		if (want_string(ev, "subject", 0, 0, MAX_SUBJECT, "", err) ||
		    want_string(ev, "description", 0, 0, MAX_TEXT, "", err) ||
		    want_kv(ev, "environment", "", err) || want_kv(ev, "custom_fields", "", err))
			return -1;
		if (subj && is_blank(json_string_value(subj)))
			return cb_err_set(err, CB_E_INVALID, "subject", "must not be empty");
		if (json_object_size(ev) <= 2 + (json_object_get(ev, "author") != NULL))
			return cb_err_set(err, CB_E_INVALID, "type",
					  "a fields event changes at least one of subject, description, environment, custom_fields");
	}
	return 0;
}

/* The same do_update() a PATCH runs, at the event's instant; it saves the
 * ticket itself. */
static int import_update(cb_conn *c, cb_ticket *t, cb_evtype type, cb_ms at, const cb_actor *who,
			 json_t *ev, cb_err *err)
{
	if (import_update_check(type, ev, err))
		return -1;
	json_t *patch = json_object();
	static const char *const keys[] = {"priority", "assignee", "group", "category",
					   "tags", "subject", "description", "environment",
					   "custom_fields", "account"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (json_object_get(ev, keys[i]))
			json_object_set(patch, keys[i], json_object_get(ev, keys[i]));
	cb_actor a2 = *who;
	int rc = do_update(c, &a2, at, t, patch, 0, err);
	json_decref(patch);
	return rc;
}

/* Escalation steps and survey answers: recorded on the timeline; escalation
 * steps also move the escalation row. */
static int import_timeline(cb_conn *c, cb_ticket *t, int64_t id, cb_evtype type, cb_ms at,
			   const cb_actor *who, json_t *ev, cb_err *err)
{
	json_t *d = json_deep_copy(ev);
	json_object_del(d, "at");
	json_object_del(d, "type");
	json_object_del(d, "author");
	if (type == CB_EV_ESCALATION) {
		json_t *g = json_object_get(d, "group");
		int64_t gid = 0;
		if (g && cb_dir_resolve_group(c, g, &gid, "group", err)) {
			json_decref(d);
			return -1;
		}
		if (g)
			json_object_set_new(d, "group", json_integer(gid));
	}
	/* imported escalation steps keep the escalations table in step */
	if (type != CB_EV_CSAT && type != CB_EV_CES &&
	    cb_escalation_import(c, id, type, at, who->user_id, d, err)) {
		json_decref(d);
		return -1;
	}
	if (type == CB_EV_CSAT || type == CB_EV_CES) {
		json_t *s = json_object_get(d, "score");
		int max = type == CB_EV_CSAT ? 5 : 7;
		if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > max) {
			json_decref(d);
			return cb_err_set(err, CB_E_INVALID, "score", "must be an integer from 1 to %d", max);
		}
	}
	return cb_eventlog_emit(c, t, type, at, who->user_id, d, NULL, err);
}

/* Links to objects of their own: the import keeps them as history (the
 * exported names, not local ids; see app/ticket/import.h). */
static int import_link(cb_conn *c, cb_ticket *t, cb_evtype type, cb_ms at, const cb_actor *who,
		       json_t *ev, cb_err *err)
{
	static const char *const kart[] = {"at", "type", "author", "title",
					   "article_type", "visibility", NULL};
	static const char *const kdef[] = {"at", "type", "author", "action", "tracker", "key",
					   NULL};
	static const char *const kpro[] = {"at", "type", "author", "action", "problem", NULL};
	static const char *const kinc[] = {"at", "type", "author", "action", "incident", NULL};
	const char *const *k = type == CB_EV_ARTICLE_LINKED ? kart : type == CB_EV_DEFECT ? kdef
			     : type == CB_EV_PROBLEM ? kpro : kinc;
	if (cb_json_check_keys(ev, k, "", err))
		return -1;
	int rc = 0;
	json_t *d = json_object();
	const char *const *names = k + 3;
	for (int i = 0; names[i]; i++) {
		json_t *v = json_object_get(ev, names[i]);
		if (!v)
			continue;
		if (!json_is_string(v) || json_string_length(v) > MAX_TEXT) {
			rc = cb_err_set(err, CB_E_INVALID, names[i], "must be a string");
			break;
		}
		/* the title of a problem or incident: the local id key stays free */
		const char *as = !strcmp(names[i], "article_type")                     ? "type"
				 : type == CB_EV_PROBLEM && !strcmp(names[i], "problem")   ? "problem_title"
				 : type == CB_EV_INCIDENT && !strcmp(names[i], "incident") ? "incident_title"
											   : names[i];
		json_object_set(d, as, v);
	}
	if (rc == 0 && type != CB_EV_ARTICLE_LINKED && !json_object_get(d, "action"))
		rc = cb_err_set(err, CB_E_INVALID, "action", "is required");
	if (rc) {
		json_decref(d);
		return rc;
	}
	return cb_eventlog_emit(c, t, type, at, who->user_id, d, NULL, err);
}

int cb_ticketsvc_import_event(cb_conn *c, const cb_actor *system, int64_t id, json_t *ev,
			   cb_err *err)
{
	(void)system;
	if (!json_is_object(ev))
		return cb_err_set(err, CB_E_INVALID, "", "an event must be an object");
	cb_evtype type;
	const char *ts = json_string_value(json_object_get(ev, "type"));
	if (!ts || cb_evtype_parse(ts, &type) || type == CB_EV_CREATED)
		return cb_err_set(err, CB_E_INVALID, "type", "unknown event type");
	cb_ms at;
	if (cb_time_parse(json_string_value(json_object_get(ev, "at")), &at))
		return cb_err_set(err, CB_E_INVALID, "at", "must be an RFC 3339 instant");
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	int rc = 0;
	cb_actor who;
	int tags_changed = 0;
	if (at < t.updated_at) {
		rc = cb_err_set(err, CB_E_INVALID, "at", "events must be in time order");
		goto out;
	}
	/* survey answers come after closing too (POST .../csat takes them) */
	if (t.status == CB_ST_CLOSED && type != CB_EV_CSAT && type != CB_EV_CES) {
		rc = cb_err_set(err, CB_E_INVALID, "type", "the ticket is closed; no event may follow");
		goto out;
	}
	if (import_author(c, ev, &who, type == CB_EV_COMMENT, err)) {
		rc = -1;
		goto out;
	}
	switch (type) {
	case CB_EV_COMMENT:
		rc = import_comment(c, &t, at, &who, ev, err);
		break;
	case CB_EV_STATUS:
		rc = import_status(c, &t, at, &who, ev, err);
		break;
	case CB_EV_PRIORITY:
	case CB_EV_ASSIGN:
	case CB_EV_CATEGORY:
	case CB_EV_TAGS:
	case CB_EV_FIELDS:
	case CB_EV_ACCOUNT:
		rc = import_update(c, &t, type, at, &who, ev, err);
		goto out; /* do_update saved */
	case CB_EV_ESCALATION:
	case CB_EV_ESCALATION_ACK:
	case CB_EV_ESCALATION_ACCEPTED:
	case CB_EV_ESCALATION_RETURNED:
	case CB_EV_ESCALATION_RESOLVED:
	case CB_EV_CSAT:
	case CB_EV_CES:
		rc = import_timeline(c, &t, id, type, at, &who, ev, err);
		break;
	case CB_EV_ARTICLE_LINKED:
	case CB_EV_DEFECT:
	case CB_EV_PROBLEM:
	case CB_EV_INCIDENT:
		rc = import_link(c, &t, type, at, &who, ev, err);
		break;
	case CB_EV_CREATED:
	case CB_EV_SLA:
	case CB_EV__COUNT:
		rc = cb_err_set(err, CB_E_INVALID, "type", "this event type cannot be imported");
		break;
	}
	if (rc == 0)
		rc = cb_eventlog_save(c, &t, 0, tags_changed, err);
out:
	cb_ticket_clear(&t);
	return rc ? -1 : 0;
}

/* ---- the customer's view ----
 * Customers see a ticket without its agent-side fields: these keys of the
 * ticket and of its `created` event never reach them, custom_fields keep only
 * the keys an admin marked customer-visible (the setting below), and the SLA
 * object (policy and clocks) is left out. docs/openapi.yaml: CustomerTicket. */
static const char *const agent_only_keys[] = {"external_id", "tags", "assignee", "group", NULL};

#define MAX_CUSTOMER_FIELDS 100

/* The custom field keys customers may see: a JSON array (empty when unset). */
json_t *cb_ticketsvc_customer_fields(cb_conn *c, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_SETTING_GET, err);
	if (!q)
		return NULL;
	json_t *v = NULL;
	int r = cb_q_step(q, err);
	if (r < 0)
		return NULL;
	if (r == 1) {
		v = loads(cb_q_text(q, 0));
		cb_q_reset(q);
	}
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

/* A copy of the object kv with only the keys listed in visible. */
static json_t *kv_visible(json_t *kv, json_t *visible)
{
	json_t *o = json_object();
	size_t i;
	json_t *k;
	json_array_foreach(visible, i, k) {
		json_t *v = json_object_get(kv, json_string_value(k));
		if (v)
			json_object_set(o, json_string_value(k), v);
	}
	return o;
}

/* Strips an object (a ticket or the data of its created event) to what a
 * customer may see. */
static void customer_strip(json_t *o, json_t *visible)
{
	for (const char *const *k = agent_only_keys; *k; k++)
		json_object_del(o, *k);
	json_t *cf = json_object_get(o, "custom_fields");
	if (cf)
		json_object_set_new(o, "custom_fields", kv_visible(cf, visible));
}

json_t *cb_ticketsvc_settings_get(cb_conn *c, cb_err *err)
{
	json_t *v = cb_ticketsvc_customer_fields(c, err);
	return v ? json_pack("{s:o}", "customer_visible_custom_fields", v) : NULL;
}

int cb_ticketsvc_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, cb_err *err)
{
	static const char *const keys[] = {"customer_visible_custom_fields", NULL};
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *v = json_object_get(in, "customer_visible_custom_fields");
	if (!json_is_array(v))
		return cb_err_set(err, CB_E_INVALID, "customer_visible_custom_fields",
				  "is required: an array of custom field keys");
	if (json_array_size(v) > MAX_CUSTOMER_FIELDS)
		return cb_err_set(err, CB_E_INVALID, "customer_visible_custom_fields",
				  "at most %d keys", MAX_CUSTOMER_FIELDS);
	json_t *norm = json_array();
	size_t i, j;
	json_t *k, *u;
	json_array_foreach(v, i, k) {
		const char *s = json_string_value(k);
		if (!s || !*s || json_string_length(k) > 100 || strlen(s) != json_string_length(k)) {
			char f[64];
			snprintf(f, sizeof f, "customer_visible_custom_fields[%zu]", i);
			cb_err_add(err, CB_E_INVALID, f, "must be a custom field key of 1 to 100 bytes");
			continue;
		}
		int dup = 0;
		json_array_foreach(norm, j, u)
			dup |= strcmp(json_string_value(u), s) == 0;
		if (!dup)
			json_array_append(norm, k);
	}
	if (err->code) {
		json_decref(norm);
		return cb_err_summarize(err);
	}
	char *s = dumps(norm);
	json_decref(norm);
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_SETTING_PUT, err);
	int rc = -1;
	if (q) {
		cb_q_bind_text(q, 1, s);
		rc = cb_q_exec(q, err) ||
		     cb_audit(c, actor, now, "tickets.settings", "customer_custom_fields", s, err);
	}
	cb_free(s);
	return rc ? -1 : 0;
}

/* ---- rendering ---- */

/* One renderer for every reader: customer_fields is NULL for agent-side
 * viewers (the whole ticket and its SLA object) and the customer-visible
 * custom field keys for customers (the CustomerTicket view). */
json_t *cb_ticketsvc_render_row(const cb_ticket *t, json_t *account, json_t *requester,
			     json_t *assignee, json_t *group, json_t *sla, json_t *customer_fields)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(t->id));
	json_object_set(o, "external_id", json_object_get(t->doc, "external_id") ? json_object_get(t->doc, "external_id") : json_null());
	json_object_set(o, "subject", json_object_get(t->doc, "subject"));
	json_object_set(o, "description", json_object_get(t->doc, "description"));
	json_object_set_new(o, "status", json_string(cb_status_name(t->status)));
	json_object_set_new(o, "priority", json_string(cb_priority_name(t->priority)));
	json_object_set(o, "category", json_object_get(t->doc, "category") ? json_object_get(t->doc, "category") : json_null());
	json_object_set_new(o, "tags", doc_or(t, "tags", json_array()));
	json_object_set_new(o, "account", account);
	json_object_set_new(o, "requester", requester);
	json_object_set_new(o, "assignee", assignee);
	json_object_set_new(o, "group", group);
	json_object_set_new(o, "environment", doc_or(t, "environment", json_object()));
	json_object_set_new(o, "custom_fields", doc_or(t, "custom_fields", json_object()));
	json_object_set_new(o, "followup_of", t->followup_of ? json_integer(t->followup_of) : json_null());
	json_object_set_new(o, "reopen_count", json_integer(t->reopen_count));
	json_object_set_new(o, "created_at", time_json(t->created_at));
	json_object_set_new(o, "updated_at", time_json(t->updated_at));
	json_object_set_new(o, "solved_at", time_json(t->solved_at));
	json_object_set_new(o, "closed_at", time_json(t->closed_at));
	if (customer_fields) {
		json_decref(sla);
		customer_strip(o, customer_fields);
		return o;
	}
	json_object_set_new(o, "sla", sla ? sla : json_pack("{s:n}", "policy"));
	return o;
}

/* One ticket for its viewer (one lookup per reference). */
static json_t *render(cb_conn *c, const cb_ticket *t, cb_ms now, json_t *customer_fields)
{
	json_t *sla = NULL;
	if (!customer_fields) {
		cb_err e2 = {0};
		sla = cb_slasvc_render(c, t->id, t->nevents, now, &e2);
	}
	return cb_ticketsvc_render_row(t, cb_dir_account_ref(c, t->account_id),
				    cb_dir_user_ref(c, t->requester_id),
				    cb_dir_user_ref(c, t->assignee_id), cb_dir_group_ref(c, t->group_id),
				    sla, customer_fields);
}

/* The customer-visible custom field keys for a customer viewer, else NULL
 * (and NULL with err set on a failure: check err->code). */
static json_t *viewer_fields(cb_conn *c, const cb_actor *viewer, cb_err *err)
{
	return viewer->role == CB_ROLE_CUSTOMER ? cb_ticketsvc_customer_fields(c, err) : NULL;
}

json_t *cb_ticketsvc_render(cb_conn *c, const cb_actor *viewer, int64_t id, cb_ms now, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return NULL;
	json_t *o = NULL;
	if (!visible(&t, viewer)) {
		cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	} else {
		json_t *cf = viewer_fields(c, viewer, err);
		if (!err->code)
			o = render(c, &t, now, cf);
		json_decref(cf);
	}
	if (o && viewer->role != CB_ROLE_CUSTOMER) {
		/* follow-ups of this ticket, for agents */
		cb_q *q = cb_q_get(c, CB_SQL_TICKET_FOLLOWUPS, err);
		json_t *f = json_array();
		if (q) {
			cb_q_bind_i64(q, 1, id);
			while (cb_q_step(q, err) == 1)
				json_array_append_new(f, json_integer(cb_q_i64(q, 0)));
		}
		json_object_set_new(o, "followups", f);
	}
	cb_ticket_clear(&t);
	return o;
}

static json_t *render_event(cb_q *q, int64_t ticket_id)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "ticket_id", json_integer(ticket_id));
	json_object_set_new(o, "seq", json_integer(cb_q_i64(q, 1)));
	json_object_set_new(o, "type", json_string(cb_q_text(q, 4)));
	json_object_set_new(o, "at", time_json(cb_q_i64(q, 2)));
	int64_t actor = col_id(q, 3);
	json_object_set_new(o, "actor", json_null());
	json_object_set_new(o, "_actor_id", json_integer(actor));
	json_t *d = loads(cb_q_text(q, 5));
	json_object_set_new(o, "data", d ? d : json_object());
	return o;
}

/* Fills "actor" after the statement that produced the rows is done. */
static void resolve_actors(cb_conn *c, json_t *items)
{
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o) {
		int64_t a = (int64_t)json_integer_value(json_object_get(o, "_actor_id"));
		json_object_set_new(o, "actor", cb_dir_user_ref(c, a));
		json_object_del(o, "_actor_id");
	}
}

/* A customer's walk over a ticket's timeline, oldest first. The customer
 * sees public comments and the created, status, priority and fields events,
 * stripped to customer-visible data; a fields event that changed nothing
 * they can see is left out. shown holds the custom fields they saw last.
 * What they see is numbered 1..n (`seq`, and the cursor of their pages), so
 * gaps in the ticket's own sequence never reveal hidden events. */
typedef struct {
	json_t *fields; /* customer-visible custom field keys */
	json_t *shown;  /* the visible custom fields as of the last event */
	int64_t seen;   /* events the customer saw so far: their seq */
} customer_walk;

/* 1 when the customer sees event o (then stripped in place), else 0. */
static int customer_sees(customer_walk *w, json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	json_t *d = json_object_get(o, "data");
	if (strcmp(type, "comment") == 0)
		return json_is_true(json_object_get(d, "public"));
	if (strcmp(type, "status") == 0 || strcmp(type, "priority") == 0)
		return 1;
	if (strcmp(type, "created") == 0) {
		customer_strip(d, w->fields);
		json_t *cf = json_object_get(d, "custom_fields");
		json_decref(w->shown);
		w->shown = cf ? json_incref(cf) : json_object();
		return 1;
	}
	if (strcmp(type, "fields") != 0)
		return 0;
	json_t *cf = json_object_get(d, "custom_fields");
	if (cf) {
		json_t *vis = kv_visible(cf, w->fields);
		if (json_equal(vis, w->shown)) {
			json_decref(vis);
			json_object_del(d, "custom_fields");
		} else {
			json_object_set(d, "custom_fields", vis);
			json_decref(w->shown);
			w->shown = vis;
		}
	}
	return json_object_size(d) > 0;
}

/* Reads the timeline from the start as customer w sees it (the walk must
 * start at the first event for `shown` to be right). Calls take(o, arg) with
 * each visible event (data stripped, actor still unresolved); take returns
 * 1 to stop. */
static int customer_walk_run(cb_conn *c, int64_t id, customer_walk *w,
			     int (*take)(json_t *o, void *arg), void *arg, cb_err *err)
{
	int64_t cursor = 0;
	for (;;) {
		cb_q *q = cb_q_get(c, CB_SQL_EVENTS_OF, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, cursor);
		cb_q_bind_i64(q, 3, 500);
		int got = 0, r = 0, stop = 0;
		while (!stop && (r = cb_q_step(q, err)) == 1) {
			got++;
			cursor = cb_q_i64(q, 1);
			json_t *o = render_event(q, id);
			if (customer_sees(w, o)) {
				json_object_set_new(o, "seq", json_integer(++w->seen));
				stop = take(o, arg);
			}
			json_decref(o);
		}
		if (stop) {
			cb_q_reset(q);
			return 0;
		}
		if (r < 0)
			return -1;
		if (got < 500)
			return 0;
	}
}

struct find_event {
	int64_t event_id;
	json_t *found;
};

static int take_event(json_t *o, void *arg)
{
	struct find_event *f = arg;
	if (json_integer_value(json_object_get(o, "id")) != f->event_id)
		return 0;
	f->found = json_incref(o);
	return 1;
}

json_t *cb_ticketsvc_render_comment(cb_conn *c, const cb_actor *viewer, int64_t ticket_id,
				 int64_t event_id, cb_err *err)
{
	json_t *o = NULL;
	if (viewer->role == CB_ROLE_CUSTOMER) {
		customer_walk w = {.fields = cb_ticketsvc_customer_fields(c, err), .shown = json_object()};
		struct find_event f = {event_id, NULL};
		if (w.fields && customer_walk_run(c, ticket_id, &w, take_event, &f, err) == 0 && !f.found)
			cb_err_set(err, CB_E_NOTFOUND, NULL, "no such comment");
		json_decref(w.fields);
		json_decref(w.shown);
		o = f.found;
	} else {
		cb_q *q = cb_q_get(c, CB_SQL_EVENT_GET, err);
		if (!q)
			return NULL;
		cb_q_bind_i64(q, 1, event_id);
		int r = cb_q_step(q, err);
		if (r != 1) {
			if (r == 0)
				cb_err_set(err, CB_E_NOTFOUND, NULL, "no such comment");
			return NULL;
		}
		o = render_event(q, ticket_id);
		cb_q_reset(q);
	}
	if (!o)
		return NULL;
	json_t *arr = json_array();
	json_array_append_new(arr, o);
	resolve_actors(c, arr);
	json_incref(o);
	json_decref(arr);
	return o;
}

/* Splits a comma-separated list into at most max heap strings; -1 (with
 * max strings filled) when there are more. */
static int parse_list(const char *s, const char **out, int max)
{
	int n = 0;
	if (!s)
		return 0;
	const char *p = s;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (n == max)
			return -1;
		out[n++] = cb_xstrndup(p, len);
		if (!e)
			return n;
		p = e + 1;
	}
}

/* The status and priority lists of a list filter, parsed into tq (which
 * owns them, also on failure) and checked. */
static int list_parse_values(const cb_ticketsvc_filter *f, cb_tquery *tq, cb_err *err)
{
	tq->nstatus = parse_list(f->status, tq->status, CB_TQ_MAX_IN);
	tq->npriority = parse_list(f->priority, tq->priority, CB_TQ_MAX_IN);
	if (tq->nstatus < 0 || tq->npriority < 0) {
		cb_err_set(err, CB_E_BADREQ, tq->nstatus < 0 ? "status" : "priority", "too many values");
		tq->nstatus = tq->nstatus < 0 ? CB_TQ_MAX_IN : tq->nstatus;
		tq->npriority = tq->npriority < 0 ? CB_TQ_MAX_IN : tq->npriority;
		return -1;
	}
	for (int i = 0; i < tq->nstatus; i++) {
		cb_status s;
		if (cb_status_parse(tq->status[i], &s))
			return cb_err_set(err, CB_E_BADREQ, "status", "unknown status: %s", tq->status[i]);
	}
	for (int i = 0; i < tq->npriority; i++) {
		int p;
		if (cb_priority_parse(tq->priority[i], &p))
			return cb_err_set(err, CB_E_BADREQ, "priority", "unknown priority: %s",
					  tq->priority[i]);
	}
	return 0;
}

/* References given in the query string: a number is an id, else a
 * name/e-mail; an unknown one matches nothing (-1). */
static int list_resolve_refs(cb_conn *c, const cb_ticketsvc_filter *f, cb_tquery *tq, cb_err *err)
{
	struct { const char *v; int64_t *out; int *none; const char *field; int kind; } refs[] = {
		{f->assignee, &tq->assignee, &tq->assignee_none, "assignee", 0},
		{f->group, &tq->group, &tq->group_none, "group", 1},
		{f->account, &tq->account, NULL, "account", 2},
		{f->requester, &tq->requester, NULL, "requester", 0},
	};
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		const char *v = refs[i].v;
		if (!v)
			continue;
		if (refs[i].none && strcmp(v, "none") == 0) {
			*refs[i].none = 1;
			continue;
		}
		char *end;
		long long num = strtoll(v, &end, 10);
		json_t *ref = (*v && !*end) ? json_integer(num) : json_string(v);
		int64_t id = 0;
		int r;
		if (refs[i].kind == 0) {
			user_brief u;
			r = user_resolve(c, ref, &u, refs[i].field, err);
			id = r == 1 ? u.id : -1;
			r = r < 0 ? -1 : 0;
		} else if (refs[i].kind == 1) {
			r = cb_dir_resolve_group(c, ref, &id, refs[i].field, err);
			if (r) {
				cb_err_clear(err);
				r = 0;
				id = -1;
			}
		} else {
			r = cb_dir_resolve_account(c, ref, &id, refs[i].field, err);
			if (r) {
				cb_err_clear(err);
				r = 0;
				id = -1;
			}
		}
		json_decref(ref);
		if (r)
			return -1;
		*refs[i].out = id; /* -1 matches nothing */
	}
	return 0;
}

/* A customer lists only their account's tickets and filters on no
 * agent-side field (that would reveal it). */
static int list_customer_scope(const cb_actor *viewer, const cb_ticketsvc_filter *f, cb_tquery *tq,
			       cb_err *err)
{
	struct { const char *v, *field; } hidden[] = {
		{f->assignee, "assignee"}, {f->group, "group"}, {f->tag, "tag"},
		{f->external_id, "external_id"}};
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		if (hidden[i].v)
			cb_err_add(err, CB_E_FORBIDDEN, hidden[i].field,
				   "customers cannot filter by this field");
	if (err->code)
		return -1;
	if (tq->account && tq->account != viewer->account_id)
		tq->account = -1;
	else
		tq->account = viewer->account_id ? viewer->account_id : -1;
	return 0;
}

int cb_ticketsvc_list(cb_conn *c, const cb_actor *viewer, const cb_ticketsvc_filter *f, int limit,
		   int64_t before, cb_ms now, json_t **items, int64_t *next, cb_err *err)
{
	cb_tquery tq = {.limit = limit + 1, .before_id = before};
	int rc = -1;
	cb_q *q = NULL;
	char *tag_low = NULL;
	if (list_parse_values(f, &tq, err) || list_resolve_refs(c, f, &tq, err))
		goto out;
	if (viewer->role == CB_ROLE_CUSTOMER && list_customer_scope(viewer, f, &tq, err))
		goto out;
	if (f->tag) {
		tag_low = cb_xstrdup(f->tag);
		for (char *p = tag_low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	tq.tag = tag_low;
	tq.external_id = f->external_id;
	if (f->created_after && cb_time_parse(f->created_after, &tq.created_from)) {
		cb_err_set(err, CB_E_BADREQ, "created_after", "must be an RFC 3339 instant");
		goto out;
	}
	if (f->created_before && cb_time_parse(f->created_before, &tq.created_to)) {
		cb_err_set(err, CB_E_BADREQ, "created_before", "must be an RFC 3339 instant");
		goto out;
	}
	q = cb_tquery_prepare(c, &tq, err);
	if (!q)
		goto out;
	int64_t ids[501];
	int n = 0, r;
	while (n < limit + 1 && (r = cb_q_step(q, err)) == 1)
		ids[n++] = cb_q_i64(q, 0);
	if (err->code)
		goto out;
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = ids[n - 1];
	}
	if (cb_ticketsvc_page_render(c, viewer, ids, n, now, 0, items, err))
		goto out;
	rc = 0;
out:
	if (q)
		cb_q_free(q);
	cb_free(tag_low);
	for (int i = 0; i < tq.nstatus; i++)
		cb_free((void *)tq.status[i]);
	for (int i = 0; i < tq.npriority; i++)
		cb_free((void *)tq.priority[i]);
	return rc;
}

int cb_ticketsvc_view(cb_conn *c, const cb_actor *viewer, const cb_view_spec *spec, int limit,
		   int64_t offset, cb_ms now, json_t **items, int64_t *next, cb_err *err)
{
	cb_view_query vq = {.kind = spec->base, .me = viewer->user_id, .now = now,
			    .group = spec->group, .priorities = spec->priorities,
			    .tier = spec->tier[0] ? spec->tier : NULL, .assignee = spec->assignee,
			    .sort = spec->sort, .offset = offset, .limit = limit + 1};
	cb_q *q = cb_view_query_prepare(c, &vq, err);
	if (!q)
		return -1;
	int64_t ids[501];
	int n = 0, r;
	while (n < limit + 1 && (r = cb_q_step(q, err)) == 1)
		ids[n++] = cb_q_i64(q, 0);
	cb_q_free(q);
	if (err->code)
		return -1;
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = offset + limit;
	}
	return cb_ticketsvc_page_render(c, viewer, ids, n, now, 0, items, err);
}

struct customer_page {
	int comments_only, limit;
	int64_t after;
	json_t *items;
	int64_t next;
};

static int take_page(json_t *o, void *arg)
{
	struct customer_page *p = arg;
	int64_t seq = json_integer_value(json_object_get(o, "seq"));
	if (seq <= p->after)
		return 0;
	if (p->comments_only && strcmp(json_string_value(json_object_get(o, "type")), "comment") != 0)
		return 0;
	if ((int)json_array_size(p->items) == p->limit) {
		/* one more exists: the page ends at the last one taken */
		p->next = json_integer_value(json_object_get(json_array_get(p->items, json_array_size(p->items) - 1), "seq"));
		return 1;
	}
	json_array_append(p->items, o);
	return 0;
}

int cb_ticketsvc_events(cb_conn *c, const cb_actor *viewer, int64_t id, int comments_only,
		     int limit, int64_t after, json_t **items, int64_t *next, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	int ok = visible(&t, viewer);
	cb_ticket_clear(&t);
	if (!ok)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	*items = json_array();
	*next = 0;
	if (viewer->role == CB_ROLE_CUSTOMER) {
		customer_walk w = {.fields = cb_ticketsvc_customer_fields(c, err), .shown = json_object()};
		struct customer_page p = {comments_only, limit, after, *items, 0};
		int rc = w.fields ? customer_walk_run(c, id, &w, take_page, &p, err) : -1;
		json_decref(w.fields);
		json_decref(w.shown);
		if (rc)
			goto fail;
		resolve_actors(c, *items);
		*next = p.next;
		return 0;
	}
	int64_t cursor = after;
	cb_q *q = cb_q_get(c, comments_only ? CB_SQL_COMMENTS_OF : CB_SQL_EVENTS_OF, err);
	if (!q)
		goto fail;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, cursor);
	if (comments_only) {
		cb_q_bind_i64(q, 3, 1);
		cb_q_bind_i64(q, 4, limit + 1);
	} else {
		cb_q_bind_i64(q, 3, limit + 1);
	}
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		if ((int)json_array_size(*items) == limit) {
			*next = json_integer_value(json_object_get(json_array_get(*items, (size_t)limit - 1), "seq"));
			cb_q_reset(q);
			break;
		}
		json_array_append_new(*items, render_event(q, id));
	}
	if (r < 0)
		goto fail;
	resolve_actors(c, *items);
	return 0;
fail:
	json_decref(*items);
	*items = NULL;
	return -1;
}

int cb_ticketsvc_verify_fold(cb_conn *c, int64_t id, cb_err *err)
{
	cb_ticket stored, folded;
	if (cb_eventlog_load(c, id, &stored, err))
		return -1;
	cb_ticket_init(&folded);
	folded.id = id;
	int64_t after = 0;
	int same = 1;
	for (;;) {
		cb_q *q = cb_q_get(c, CB_SQL_EVENTS_OF, err);
		if (!q)
			goto fail;
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, after);
		cb_q_bind_i64(q, 3, 1000);
		int n = 0, r;
		while ((r = cb_q_step(q, err)) == 1) {
			n++;
			after = cb_q_i64(q, 1);
			cb_event e = {.at = cb_q_i64(q, 2), .actor_id = col_id(q, 3)};
			cb_evtype_parse(cb_q_text(q, 4), &e.type);
			e.data = loads(cb_q_text(q, 5));
			cb_ticket_apply(&folded, &e);
			json_decref(e.data);
		}
		if (r < 0)
			goto fail;
		if (n < 1000)
			break;
	}
	same = folded.status == stored.status && folded.priority == stored.priority &&
	       folded.account_id == stored.account_id && folded.requester_id == stored.requester_id &&
	       folded.assignee_id == stored.assignee_id && folded.group_id == stored.group_id &&
	       folded.followup_of == stored.followup_of && folded.created_at == stored.created_at &&
	       folded.updated_at == stored.updated_at && folded.solved_at == stored.solved_at &&
	       folded.closed_at == stored.closed_at && folded.reopen_count == stored.reopen_count &&
	       folded.nevents == stored.nevents;
	static const char *const keys[] = {"subject", "description", "category", "tags",
					   "environment", "custom_fields", "external_id"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *a = json_object_get(folded.doc, keys[i]);
		json_t *b = json_object_get(stored.doc, keys[i]);
		if (!json_equal_or_null(a, b))
			same = 0;
	}
	cb_ticket_clear(&stored);
	cb_ticket_clear(&folded);
	return same;
fail:
	cb_ticket_clear(&stored);
	cb_ticket_clear(&folded);
	return -1;
}
