/* directory.c - accounts, users, API tokens and groups (see directory.h).
 *
 * DESIGN: request bodies are decoded by one field table per resource
 * ({name, JSON type, presence bit, destination offset}), so strict input
 * (unknown fields, wrong types) is enforced in one place for all of them and
 * the presence bits give PATCH its meaning. The _check functions hold the
 * rules that need no database and are shared by the API and the CLI; the
 * _create/_update functions run inside the caller's write transaction and do
 * the rest (uniqueness, references) before writing and auditing. A failure
 * anywhere returns -1 with err set and the savepoint rolls everything back.
 *
 * Rendering reads one row shape per resource (the *_COLS lists in
 * store/sql_directory.h), used by both the single-row and list queries. */
#include "app/directory/directory.h"
#include "app/directory/auth.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---- text helpers ---- */

/* Characters in a UTF-8 string, -1 if it is not valid UTF-8. */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	while (*p) {
		unsigned c = *p, cp;
		int k;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return -1;
		}
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		p += k + 1;
		n++;
	}
	return n;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static char *trim(cb_arena *a, const char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	return cb_arena_strndup(a, s, n);
}

static char *lower(cb_arena *a, const char *s)
{
	char *r = cb_arena_strdup(a, s);
	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

/* Validates free text: trimmed, min..max characters, no control characters
 * (newlines and tabs allowed when multiline). Returns the trimmed arena copy,
 * or NULL after adding an error on field. */
static const char *text_field(cb_arena *a, const char *s, const char *field, long min, long max,
			      int multiline, cb_err *err)
{
	char *t = trim(a, s);
	long n = utf8_chars(t);
	if (n < 0) {
		cb_err_add(err, CB_E_INVALID, field, "is not valid UTF-8");
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) ||
		    *p == 0x7f) {
			cb_err_add(err, CB_E_INVALID, field, "must not contain control characters");
			return NULL;
		}
	}
	if (n < min) {
		cb_err_add(err, CB_E_INVALID, field, min == 1 ? "must not be empty"
							       : "is too short");
		return NULL;
	}
	if (n > max) {
		cb_err_add(err, CB_E_INVALID, field, "must be at most %ld characters", max);
		return NULL;
	}
	return t;
}

int cb_dir_domain_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return 0;
	int labels = 0, last_has_alpha = 0;
	const char *p = s;
	while (*p) {
		const char *e = p;
		int alpha = 0;
		while (*e && *e != '.') {
			char ch = *e;
			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
				alpha = 1;
			else if (!((ch >= '0' && ch <= '9') || ch == '-'))
				return 0;
			e++;
		}
		size_t len = (size_t)(e - p);
		if (len == 0 || len > 63 || p[0] == '-' || e[-1] == '-')
			return 0;
		labels++;
		last_has_alpha = alpha;
		if (!*e)
			break;
		p = e + 1;
		if (!*p)
			return 0; /* trailing dot */
	}
	return labels >= 2 && last_has_alpha;
}

int cb_dir_email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || strchr(at + 1, '@') || strlen(s) > 254 || utf8_chars(s) < 0)
		return 0;
	size_t local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (const char *p = s; p < at; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch == 0x7f || strchr("\"(),:;<>[\\]", ch))
			return 0;
		if (ch == '.' && p[1] == '.')
			return 0;
	}
	return cb_dir_domain_valid(at + 1);
}

/* ---- JSON helpers ---- */

static json_t *jstr(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

static json_t *jtime(cb_ms t)
{
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}

/* Serializes v (not consumed) into the arena. */
static char *dump(cb_arena *a, json_t *v)
{
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
	char *s = cb_arena_alloc(a, n + 1);
	if (n)
		json_dumpb(v, s, n, JSON_COMPACT);
	s[n] = '\0';
	return s;
}

/* Appends the audit row for kind:id; consumes data. */
static int audit(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, const char *action,
		 const char *kind, int64_t id, json_t *data, cb_err *err)
{
	char target[64];
	snprintf(target, sizeof target, "%s:%lld", kind, (long long)id);
	char *d = dump(a, data);
	json_decref(data);
	return cb_audit(c, actor, now, action, target, d, err);
}

/* {"fields": [names of the bits in set]} for update audit rows. */
static json_t *changed_fields(unsigned set, const char *const names[], int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		if (set & (1u << i))
			json_array_append_new(arr, json_string(names[i]));
	return json_pack("{s:o}", "fields", arr);
}

/* ---- strict decoding by field table ---- */

enum jtype {
	J_STR,    /* const char * */
	J_BOOL,   /* int */
	J_REF,    /* json_t *: integer id or string name */
	J_REF0,   /* json_t *: as J_REF, or null */
	J_ARRAY,  /* json_t *: an array, elements checked later */
};

struct jfield {
	const char *name;
	enum jtype type;
	unsigned bit;     /* presence bit, 0 for none */
	size_t off;       /* destination in the input struct */
	const char *want; /* "must be ..." on a type mismatch */
};

/* Decodes body into dst by the table. Every unknown field and wrong type is
 * reported; returns -1 if any was. */
static int decode(void *dst, unsigned *set, const struct jfield *f, size_t nf, json_t *body,
		  cb_err *err)
{
	const char *key;
	json_t *v;
	int bad = 0;
	json_object_foreach(body, key, v) {
		const struct jfield *fd = NULL;
		for (size_t i = 0; i < nf; i++)
			if (strcmp(f[i].name, key) == 0)
				fd = &f[i];
		if (!fd) {
			cb_err_add(err, CB_E_INVALID, key, "is not a known field");
			bad = 1;
			continue;
		}
		int ok;
		switch (fd->type) {
		case J_STR: ok = json_is_string(v); break;
		case J_BOOL: ok = json_is_boolean(v); break;
		case J_REF: ok = json_is_integer(v) || json_is_string(v); break;
		case J_REF0: ok = json_is_integer(v) || json_is_string(v) || json_is_null(v); break;
		case J_ARRAY: ok = json_is_array(v); break;
		default: ok = 0;
		}
		if (!ok) {
			cb_err_add(err, CB_E_INVALID, key, "must be %s", fd->want);
			bad = 1;
			continue;
		}
		char *p = (char *)dst + fd->off;
		switch (fd->type) {
		case J_STR: *(const char **)p = json_string_value(v); break;
		case J_BOOL: *(int *)p = json_is_true(v); break;
		default: *(json_t **)p = v; break;
		}
		if (set)
			*set |= fd->bit;
	}
	return bad ? cb_err_summarize(err) : 0;
}

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- small queries ---- */

typedef json_t *(*row_fn)(cb_conn *c, cb_q *q);

/* Collects up to limit rows of q (bound to fetch limit + 1) into a new
 * array; *out_next is the last id when a further row exists. */
static int list_rows(cb_conn *c, cb_q *q, int limit, row_fn row, json_t **out_items,
		     int64_t *out_next, cb_err *err)
{
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0, rc;
	*out_next = 0;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (n == limit) {
			*out_next = last;
			cb_q_reset(q);
			break;
		}
		last = cb_q_i64(q, 0);
		json_array_append_new(items, row(c, q));
		n++;
	}
	if (rc < 0) {
		json_decref(items);
		return -1;
	}
	*out_items = items;
	return 0;
}

static int page_limit(const cb_dir_page *page)
{
	int l = page ? page->limit : 50;
	return l < 1 ? 1 : l > 500 ? 500 : l;
}

/* ---- resolvers and embedded references ---- */

static int resolve(cb_conn *c, json_t *ref, int64_t *out, const char *field, const char *noun,
		   cb_sql by_id, cb_sql by_name, const char *name_word, cb_err *err)
{
	if (!field)
		field = noun;
	if (json_is_integer(ref)) {
		json_int_t id = json_integer_value(ref);
		int rc = id > 0 ? cb_q_one_by_id(c, by_id, (int64_t)id, NULL, err) : 0;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cb_err_set(err, CB_E_INVALID, field, "no %s with id %lld", noun,
					  (long long)id);
		*out = (int64_t)id;
		return 0;
	}
	if (json_is_string(ref)) {
		const char *s = json_string_value(ref);
		int rc = cb_q_one_by_text(c, by_name, s, out, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cb_err_set(err, CB_E_INVALID, field, "no %s with %s '%.120s'", noun,
					  name_word, s);
		return 0;
	}
	return cb_err_set(err, CB_E_INVALID, field, "must be an id or %s %s",
			  name_word[0] == 'e' ? "an" : "a", name_word);
}

int cb_dir_resolve_account(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			   cb_err *err)
{
	return resolve(c, ref_or_string, out, field, "account", CB_SQL_DIR_ACCOUNT_REF,
		       CB_SQL_DIR_ACCOUNT_BY_NAME, "name", err);
}

int cb_dir_resolve_user(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			cb_err *err)
{
	return resolve(c, ref_or_string, out, field, "user", CB_SQL_DIR_USER_REF,
		       CB_SQL_DIR_USER_LOAD_EMAIL, "e-mail", err);
}

int cb_dir_resolve_group(cb_conn *c, json_t *ref_or_string, int64_t *out, const char *field,
			 cb_err *err)
{
	return resolve(c, ref_or_string, out, field, "group", CB_SQL_DIR_GROUP_REF,
		       CB_SQL_DIR_GROUP_BY_NAME, "name", err);
}

/* {"id", k1: column 1, k2: column 2 (when k2)} of the row sql gives for id,
 * or null: the account, user and group references share it. */
static json_t *ref_of(cb_conn *c, cb_sql sql, int64_t id, const char *k1, const char *k2)
{
	cb_err err = {0};
	cb_q *q = id > 0 ? cb_q_get(c, sql, &err) : NULL;
	if (!q)
		return json_null();
	cb_q_bind_i64(q, 1, id);
	if (cb_q_step(q, &err) != 1)
		return json_null();
	json_t *v = json_pack("{s:I, s:o}", "id", (json_int_t)id, k1, jstr(cb_q_text(q, 1)));
	if (v && k2)
		json_object_set_new(v, k2, jstr(cb_q_text(q, 2)));
	cb_q_reset(q);
	return v ? v : json_null();
}

json_t *cb_dir_account_ref(cb_conn *c, int64_t id)
{
	return ref_of(c, CB_SQL_DIR_ACCOUNT_REF, id, "name", "tier");
}

json_t *cb_dir_user_ref(cb_conn *c, int64_t id)
{
	return ref_of(c, CB_SQL_DIR_USER_REF, id, "email", "name");
}

json_t *cb_dir_group_ref(cb_conn *c, int64_t id)
{
	return ref_of(c, CB_SQL_DIR_GROUP_REF, id, "name", NULL);
}

/* ---- references of a page ---- */

struct cb_dir_refs {
	json_t *kind[3]; /* users, accounts, groups: "id" -> ref object (null: asked, missing) */
};

static void ids_key(char *buf, size_t n, int64_t id)
{
	snprintf(buf, n, "%lld", (long long)id);
}

/* The ids > 0 as a JSON array text, each also marked "asked" in into. */
static char *ids_json(const int64_t *ids, int n, json_t *into)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		if (ids[i] <= 0)
			continue;
		char k[24];
		ids_key(k, sizeof k, ids[i]);
		if (json_object_get(into, k))
			continue;
		json_object_set_new(into, k, json_null());
		json_array_append_new(a, json_integer(ids[i]));
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

cb_dir_refs *cb_dir_refs_load(cb_conn *c, const int64_t *users, int nusers,
			      const int64_t *accounts, int naccounts, const int64_t *groups,
			      int ngroups, cb_err *err)
{
	cb_dir_refs *r = cb_xcalloc(1, sizeof *r);
	for (int k = 0; k < 3; k++)
		r->kind[k] = json_object();
	char *ju = ids_json(users, nusers, r->kind[0]);
	char *ja = ids_json(accounts, naccounts, r->kind[1]);
	char *jg = ids_json(groups, ngroups, r->kind[2]);
	int rc = 0;
	size_t asked = json_object_size(r->kind[0]) + json_object_size(r->kind[1]) +
		       json_object_size(r->kind[2]);
	cb_q *q = asked ? cb_q_get(c, CB_SQL_DIR_REFS_PAGE, err) : NULL;
	if (asked && !q)
		rc = -1;
	if (q) {
		cb_q_bind_text(q, 1, ju);
		cb_q_bind_text(q, 2, ja);
		cb_q_bind_text(q, 3, jg);
		while ((rc = cb_q_step(q, err)) == 1) {
			int k = (int)cb_q_i64(q, 0);
			int64_t id = cb_q_i64(q, 1);
			char key[24];
			ids_key(key, sizeof key, id);
			json_t *v = k == 0   ? json_pack("{s:I, s:o, s:o}", "id", (json_int_t)id, "email",
							 jstr(cb_q_text(q, 2)), "name",
							 jstr(cb_q_text(q, 3)))
				    : k == 1 ? json_pack("{s:I, s:o, s:o}", "id", (json_int_t)id, "name",
							 jstr(cb_q_text(q, 2)), "tier",
							 jstr(cb_q_text(q, 3)))
					     : json_pack("{s:I, s:o}", "id", (json_int_t)id, "name",
							 jstr(cb_q_text(q, 2)));
			if (k >= 0 && k < 3 && v)
				json_object_set_new(r->kind[k], key, v);
		}
	}
	free(ju); /* jansson's allocations */
	free(ja);
	free(jg);
	if (rc < 0) {
		cb_dir_refs_free(r);
		return NULL;
	}
	return r;
}

static json_t *refs_get(const cb_dir_refs *r, int k, int64_t id)
{
	if (id <= 0)
		return json_null();
	char key[24];
	ids_key(key, sizeof key, id);
	json_t *v = json_object_get(r->kind[k], key);
	return json_is_object(v) ? json_copy(v) : json_null();
}

json_t *cb_dir_refs_user(const cb_dir_refs *r, int64_t id) { return refs_get(r, 0, id); }
json_t *cb_dir_refs_account(const cb_dir_refs *r, int64_t id) { return refs_get(r, 1, id); }
json_t *cb_dir_refs_group(const cb_dir_refs *r, int64_t id) { return refs_get(r, 2, id); }

int cb_dir_refs_tier(const cb_dir_refs *r, int64_t id, const char **tier)
{
	char key[24];
	ids_key(key, sizeof key, id);
	json_t *v = json_object_get(r->kind[1], key);
	if (!v)
		return 0;
	*tier = json_string_value(json_object_get(v, "tier"));
	return 1;
}

void cb_dir_refs_free(cb_dir_refs *r)
{
	if (!r)
		return;
	for (int k = 0; k < 3; k++)
		json_decref(r->kind[k]);
	cb_free(r);
}

/* ---- accounts ---- */

static const char *const tiers[] = {"enterprise", "business", "standard"};

static int tier_valid(const char *s)
{
	for (size_t i = 0; i < NFIELDS(tiers); i++)
		if (s && strcmp(s, tiers[i]) == 0)
			return 1;
	return 0;
}

static const struct jfield account_fields[] = {
	{"name", J_STR, CB_DIR_ACCOUNT_NAME, offsetof(cb_dir_account_in, name), "a string"},
	{"tier", J_STR, CB_DIR_ACCOUNT_TIER, offsetof(cb_dir_account_in, tier), "a string"},
	{"domains", J_ARRAY, CB_DIR_ACCOUNT_DOMAINS, offsetof(cb_dir_account_in, domains),
	 "an array of domain names"},
};
static const char *const account_field_names[] = {"name", "tier", "domains"};

int cb_dir_account_from_json(cb_dir_account_in *out, json_t *body, int partial, cb_arena *a,
			     cb_err *err)
{
	memset(out, 0, sizeof *out);
	/* the values given are checked even when other keys are bad: every
	 * bad field is named at once */
	int bad = decode(out, &out->set, account_fields, NFIELDS(account_fields), body, err) != 0;
	return cb_dir_account_check(out, partial, a, err) || bad ? cb_err_summarize(err) : 0;
}

static void check_domains(cb_dir_account_in *in, cb_arena *a, cb_err *err)
{
	if (!json_is_array(in->domains)) {
		cb_err_add(err, CB_E_INVALID, "domains", "must be an array of domain names");
		return;
	}
	size_t n = json_array_size(in->domains);
	if (n > CB_DIR_DOMAINS_MAX) {
		cb_err_add(err, CB_E_INVALID, "domains", "must list at most %d domains",
			   CB_DIR_DOMAINS_MAX);
		return;
	}
	in->domainv = cb_arena_alloc(a, sizeof(char *) * (n ? n : 1));
	in->ndomains = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(in->domains, i);
		char field[32];
		snprintf(field, sizeof field, "domains[%zu]", i);
		if (!json_is_string(v)) {
			cb_err_add(err, CB_E_INVALID, field, "must be a string");
			continue;
		}
		char *d = lower(a, trim(a, json_string_value(v)));
		if (*d == '@')
			d++; /* "@acme.test" is a common way to write a domain */
		if (!cb_dir_domain_valid(d)) {
			cb_err_add(err, CB_E_INVALID, field, "is not a valid domain name");
			continue;
		}
		int dup = 0;
		for (int j = 0; j < in->ndomains; j++)
			dup |= strcmp(in->domainv[j], d) == 0;
		if (dup) {
			cb_err_add(err, CB_E_INVALID, field, "is listed twice");
			continue;
		}
		in->domainv[in->ndomains++] = d;
	}
}

int cb_dir_account_check(cb_dir_account_in *in, int partial, cb_arena *a, cb_err *err)
{
	if (!partial && !(in->set & CB_DIR_ACCOUNT_NAME))
		cb_err_add(err, CB_E_INVALID, "name", "is required");
	if (!partial && !(in->set & CB_DIR_ACCOUNT_TIER))
		cb_err_add(err, CB_E_INVALID, "tier", "is required");
	if (in->set & CB_DIR_ACCOUNT_NAME)
		in->name = text_field(a, in->name ? in->name : "", "name", 1, CB_DIR_NAME_MAX, 0,
				      err);
	if ((in->set & CB_DIR_ACCOUNT_TIER) && !tier_valid(in->tier))
		cb_err_add(err, CB_E_INVALID, "tier", "must be one of enterprise, business, standard");
	if (in->set & CB_DIR_ACCOUNT_DOMAINS)
		check_domains(in, a, err);
	return err->code != CB_OK ? cb_err_summarize(err) : 0;
}

/* 409 if a domain of in belongs to an account other than self. */
static int domains_free(cb_conn *c, const cb_dir_account_in *in, int64_t self, cb_err *err)
{
	for (int i = 0; i < in->ndomains; i++) {
		int64_t owner = 0;
		int rc = cb_q_one_by_text(c, CB_SQL_DIR_DOMAIN_OWNER, in->domainv[i], &owner, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && owner != self) {
			char field[32];
			snprintf(field, sizeof field, "domains[%d]", i);
			return cb_err_set(err, CB_E_CONFLICT, field,
					  "domain '%s' belongs to another account", in->domainv[i]);
		}
	}
	return 0;
}

static int domains_store(cb_conn *c, const cb_dir_account_in *in, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_DOMAINS_CLEAR, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	if (cb_q_exec(q, err))
		return -1;
	for (int i = 0; i < in->ndomains; i++) {
		q = cb_q_get(c, CB_SQL_DIR_DOMAIN_INSERT, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, in->domainv[i]);
		cb_q_bind_i64(q, 2, id);
		if (cb_q_exec(q, err))
			return -1;
	}
	return 0;
}

static json_t *domains_json(const cb_dir_account_in *in)
{
	json_t *arr = json_array();
	for (int i = 0; i < in->ndomains; i++)
		json_array_append_new(arr, json_string(in->domainv[i]));
	return arr;
}

static int account_name_free(cb_conn *c, const char *name, int64_t self, cb_err *err)
{
	int64_t other = 0;
	int rc = cb_q_one_by_text(c, CB_SQL_DIR_ACCOUNT_BY_NAME, name, &other, err);
	if (rc < 0)
		return -1;
	if (rc == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "name", "an account named '%.120s' already exists",
				  name);
	return 0;
}

int cb_dir_account_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			  const cb_dir_account_in *in, int64_t *out_id, cb_err *err)
{
	if (!in->name || !tier_valid(in->tier))
		return cb_err_set(err, CB_E_INVALID, NULL, "name and tier are required");
	if (account_name_free(c, in->name, 0, err) || domains_free(c, in, 0, err))
		return -1;
	json_t *doms = domains_json(in);
	char *dtext = dump(a, doms);
	cb_q *q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_INSERT, err);
	if (!q) {
		json_decref(doms);
		return -1;
	}
	cb_q_bind_text(q, 1, in->name);
	cb_q_bind_text(q, 2, in->tier);
	cb_q_bind_text(q, 3, dtext);
	cb_q_bind_i64(q, 4, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err)) {
		json_decref(doms);
		return -1;
	}
	int64_t id = new_id;
	if (domains_store(c, in, id, err)) {
		json_decref(doms);
		return -1;
	}
	json_t *data = json_pack("{s:s, s:s, s:o}", "name", in->name, "tier", in->tier, "domains",
				 doms);
	if (audit(c, a, actor, now, "account.create", "account", id, data, err))
		return -1;
	*out_id = id;
	return 0;
}

int cb_dir_account_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			  const cb_dir_account_in *in, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "account not found");
	const char *name = cb_arena_strdup(a, cb_q_text(q, 1));
	const char *tier = cb_arena_strdup(a, cb_q_text(q, 2));
	const char *dtext = cb_arena_strdup(a, cb_q_text(q, 3));
	cb_q_reset(q);
	if (!in->set)
		return 0; /* nothing to change: no write, no audit */
	if (in->set & CB_DIR_ACCOUNT_NAME) {
		if (account_name_free(c, in->name, id, err))
			return -1;
		name = in->name;
	}
	if (in->set & CB_DIR_ACCOUNT_TIER)
		tier = in->tier;
	if (in->set & CB_DIR_ACCOUNT_DOMAINS) {
		if (domains_free(c, in, id, err) || domains_store(c, in, id, err))
			return -1;
		json_t *doms = domains_json(in);
		dtext = dump(a, doms);
		json_decref(doms);
	}
	q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_UPDATE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, name);
	cb_q_bind_text(q, 3, tier);
	cb_q_bind_text(q, 4, dtext);
	cb_q_bind_i64(q, 5, now);
	if (cb_q_exec(q, err))
		return -1;
	return audit(c, a, actor, now, "account.update", "account", id,
		     changed_fields(in->set, account_field_names, NFIELDS(account_field_names)),
		     err);
}

static json_t *account_row(cb_conn *c, cb_q *q)
{
	(void)c;
	json_t *domains = json_loads(cb_q_text(q, 3), 0, NULL);
	if (!json_is_array(domains)) {
		json_decref(domains);
		domains = json_array();
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "name", jstr(cb_q_text(q, 1)));
	json_object_set_new(o, "tier", jstr(cb_q_text(q, 2)));
	json_object_set_new(o, "domains", domains);
	json_object_set_new(o, "created_at", jtime(cb_q_i64(q, 4)));
	json_object_set_new(o, "updated_at", jtime(cb_q_i64(q, 5)));
	return o;
}

static int is_customer(const cb_actor *v)
{
	return v && v->role < CB_ROLE_ENGINEER;
}

int cb_dir_account_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **out,
		       cb_err *err)
{
	if (is_customer(viewer) && viewer->account_id != id)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "account not found");
	cb_q *q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "account not found");
	*out = account_row(c, q);
	cb_q_reset(q);
	return 0;
}

int cb_dir_account_list(cb_conn *c, const cb_actor *viewer, const cb_dir_page *page,
			json_t **out_items, int64_t *out_next, cb_err *err)
{
	int limit = page_limit(page);
	int64_t only = 0;
	if (is_customer(viewer))
		only = viewer->account_id > 0 ? viewer->account_id : -1;
	cb_q *q = cb_q_get(c, CB_SQL_DIR_ACCOUNT_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, page ? page->after : 0);
	cb_q_bind_i64(q, 2, only);
	cb_q_bind_i64(q, 3, limit + 1);
	return list_rows(c, q, limit, account_row, out_items, out_next, err);
}

int cb_dir_account_for_email(cb_conn *c, const char *email, int64_t *out, cb_err *err)
{
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at || !at[1])
		return 0;
	return cb_q_one_by_text(c, CB_SQL_DIR_DOMAIN_OWNER, at + 1, out, err);
}

/* ---- users ---- */

static const struct jfield user_fields[] = {
	{"email", J_STR, CB_DIR_USER_EMAIL, offsetof(cb_dir_user_in, email), "a string"},
	{"name", J_STR, CB_DIR_USER_NAME, offsetof(cb_dir_user_in, name), "a string"},
	{"role", J_STR, CB_DIR_USER_ROLE, offsetof(cb_dir_user_in, role), "a string"},
	{"account", J_REF0, CB_DIR_USER_ACCOUNT, offsetof(cb_dir_user_in, account),
	 "an account id, an account name or null"},
	{"password", J_STR, CB_DIR_USER_PASSWORD, offsetof(cb_dir_user_in, password), "a string"},
	{"active", J_BOOL, CB_DIR_USER_ACTIVE, offsetof(cb_dir_user_in, active), "true or false"},
};
static const char *const user_field_names[] = {"email", "name", "role", "account", "password",
					       "active"};

int cb_dir_user_from_json(cb_dir_user_in *out, json_t *body, int partial, cb_arena *a,
			  cb_err *err)
{
	memset(out, 0, sizeof *out);
	out->active = 1;
	/* the values given are checked even when other keys are bad: every
	 * bad field is named at once */
	int bad = decode(out, &out->set, user_fields, NFIELDS(user_fields), body, err) != 0;
	return cb_dir_user_check(out, partial, a, err) || bad ? cb_err_summarize(err) : 0;
}

static int has_account(const cb_dir_user_in *in)
{
	return (in->set & CB_DIR_USER_ACCOUNT) && in->account && !json_is_null(in->account);
}

int cb_dir_password_check(const char *password, const char *field, cb_err *err)
{
	long n = utf8_chars(password ? password : "");
	if (n < 0)
		cb_err_add(err, CB_E_INVALID, field, "is not valid UTF-8");
	else if (n < CB_DIR_PASSWORD_MIN)
		cb_err_add(err, CB_E_INVALID, field, "must be at least %d characters",
			   CB_DIR_PASSWORD_MIN);
	else if (n > CB_DIR_PASSWORD_MAX)
		cb_err_add(err, CB_E_INVALID, field, "must be at most %d characters",
			   CB_DIR_PASSWORD_MAX);
	else
		return 0;
	return -1;
}

int cb_dir_user_check(cb_dir_user_in *in, int partial, cb_arena *a, cb_err *err)
{
	if (!partial && !(in->set & CB_DIR_USER_EMAIL))
		cb_err_add(err, CB_E_INVALID, "email", "is required");
	if (!partial && !(in->set & CB_DIR_USER_ROLE))
		cb_err_add(err, CB_E_INVALID, "role", "is required");
	if (in->set & CB_DIR_USER_EMAIL) {
		const char *e = lower(a, trim(a, in->email ? in->email : ""));
		if (!cb_dir_email_valid(e))
			cb_err_add(err, CB_E_INVALID, "email", "is not a valid e-mail address");
		in->email = e;
	}
	if (in->set & CB_DIR_USER_NAME)
		in->name = text_field(a, in->name ? in->name : "", "name", 0, CB_DIR_NAME_MAX, 0, err);
	cb_role role = CB_ROLE_NONE;
	if ((in->set & CB_DIR_USER_ROLE) && cb_role_parse(in->role, &role))
		cb_err_add(err, CB_E_INVALID, "role",
			   "must be one of admin, agent, engineer, customer");
	if ((in->set & CB_DIR_USER_ACCOUNT) && in->account && !json_is_null(in->account) &&
	    !json_is_integer(in->account) && !json_is_string(in->account))
		cb_err_add(err, CB_E_INVALID, "account", "must be an account id, an account name or null");
	if (role == CB_ROLE_CUSTOMER && !has_account(in) &&
	    (!partial || (in->set & CB_DIR_USER_ACCOUNT)))
		cb_err_add(err, CB_E_INVALID, "account", "is required for customers");
	if (role != CB_ROLE_NONE && role != CB_ROLE_CUSTOMER && has_account(in))
		cb_err_add(err, CB_E_INVALID, "account", "is only for customers");
	if (in->set & CB_DIR_USER_PASSWORD)
		cb_dir_password_check(in->password, "password", err);
	if (err->code != CB_OK)
		return cb_err_summarize(err);
	/* only once everything else is valid: argon2id costs ~0.1 s */
	if ((in->set & CB_DIR_USER_PASSWORD) &&
	    cb_auth_password_hash(in->password, &in->password_hash, a, err))
		return -1;
	return 0;
}

static int user_email_free(cb_conn *c, const char *email, int64_t self, cb_err *err)
{
	int64_t other = 0;
	int rc = cb_q_one_by_text(c, CB_SQL_DIR_USER_LOAD_EMAIL, email, &other, err);
	if (rc < 0)
		return -1;
	if (rc == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "email", "a user with this e-mail already exists");
	return 0;
}

int cb_dir_user_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
		       const cb_dir_user_in *in, int64_t *out_id, cb_err *err)
{
	cb_role role;
	if (!in->email || cb_role_parse(in->role, &role))
		return cb_err_set(err, CB_E_INVALID, NULL, "email and role are required");
	int64_t account_id = 0;
	if (has_account(in) && cb_dir_resolve_account(c, in->account, &account_id, "account", err))
		return -1;
	if (role == CB_ROLE_CUSTOMER && !account_id)
		return cb_err_set(err, CB_E_INVALID, "account", "an account is required for customers");
	if (role != CB_ROLE_CUSTOMER && account_id)
		return cb_err_set(err, CB_E_INVALID, "account", "only customers belong to an account");
	if (user_email_free(c, in->email, 0, err))
		return -1;
	int active = (in->set & CB_DIR_USER_ACTIVE) ? in->active : 1;
	cb_q *q = cb_q_get(c, CB_SQL_DIR_USER_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, in->email);
	cb_q_bind_text(q, 2, (in->set & CB_DIR_USER_NAME) && in->name ? in->name : "");
	cb_q_bind_text(q, 3, cb_role_name(role));
	if (account_id)
		cb_q_bind_i64(q, 4, account_id);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_text(q, 5, in->password_hash); /* NULL: no password login */
	cb_q_bind_i64(q, 6, active ? 1 : 0);
	cb_q_bind_i64(q, 7, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	int64_t id = new_id;
	json_t *data = json_pack("{s:s, s:s, s:o}", "email", in->email, "role", cb_role_name(role),
				 "account", account_id ? json_integer(account_id) : json_null());
	if (audit(c, a, actor, now, "user.create", "user", id, data, err))
		return -1;
	*out_id = id;
	return 0;
}

int cb_dir_user_load(cb_conn *c, cb_arena *a, int64_t id, const char *email,
		     cb_dir_user_info *out, cb_err *err)
{
	cb_q *q = cb_q_get(c, email ? CB_SQL_DIR_USER_LOAD_EMAIL : CB_SQL_DIR_USER_LOAD, err);
	if (!q)
		return -1;
	if (email)
		cb_q_bind_text(q, 1, email);
	else
		cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc != 1)
		return rc;
	out->id = cb_q_i64(q, 0);
	out->email = cb_arena_strdup(a, cb_q_text(q, 1));
	out->name = cb_arena_strdup(a, cb_q_text(q, 2));
	if (cb_role_parse(cb_q_text(q, 3), &out->role))
		out->role = CB_ROLE_NONE;
	out->account_id = cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4);
	out->active = (int)cb_q_i64(q, 5);
	cb_q_reset(q);
	return 1;
}

int cb_dir_user_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
		       const cb_dir_user_in *in, cb_err *err)
{
	cb_dir_user_info cur;
	int rc = cb_dir_user_load(c, a, id, NULL, &cur, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "user not found");
	if (!in->set)
		return 0;
	const char *email = cur.email, *name = cur.name;
	cb_role role = cur.role;
	int64_t account_id = cur.account_id;
	int active = cur.active;
	if (in->set & CB_DIR_USER_EMAIL) {
		if (user_email_free(c, in->email, id, err))
			return -1;
		email = in->email;
	}
	if (in->set & CB_DIR_USER_NAME)
		name = in->name ? in->name : "";
	if ((in->set & CB_DIR_USER_ROLE) && cb_role_parse(in->role, &role))
		return cb_err_set(err, CB_E_INVALID, "role", "unknown role");
	if (in->set & CB_DIR_USER_ACCOUNT) {
		account_id = 0;
		if (has_account(in) &&
		    cb_dir_resolve_account(c, in->account, &account_id, "account", err))
			return -1;
	}
	if (in->set & CB_DIR_USER_ACTIVE)
		active = in->active ? 1 : 0;
	if (role != CB_ROLE_CUSTOMER) {
		if ((in->set & CB_DIR_USER_ACCOUNT) && account_id)
			return cb_err_set(err, CB_E_INVALID, "account",
					  "only customers belong to an account");
		account_id = 0; /* an agent-side role drops the account */
	} else if (!account_id) {
		return cb_err_set(err, CB_E_INVALID, "account", "an account is required for customers");
	}
	if (cur.role == CB_ROLE_ADMIN && cur.active && (role != CB_ROLE_ADMIN || !active)) {
		int64_t others = 0;
		cb_q *q = cb_q_get(c, CB_SQL_DIR_OTHER_ADMINS, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, id);
		if (cb_q_step(q, err) != 1)
			return -1;
		others = cb_q_i64(q, 0);
		cb_q_reset(q);
		if (others == 0)
			return cb_err_set(err, CB_E_CONFLICT,
					  role != CB_ROLE_ADMIN ? "role" : "active",
					  "the instance needs at least one active admin");
	}
	if (role == CB_ROLE_CUSTOMER && cur.role != CB_ROLE_CUSTOMER) {
		cb_q *q = cb_q_get(c, CB_SQL_DIR_USER_LEAVE_GROUPS, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, id);
		if (cb_q_exec(q, err))
			return -1;
	}
	cb_q *q = cb_q_get(c, CB_SQL_DIR_USER_UPDATE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, email);
	cb_q_bind_text(q, 3, name);
	cb_q_bind_text(q, 4, cb_role_name(role));
	if (account_id)
		cb_q_bind_i64(q, 5, account_id);
	else
		cb_q_bind_null(q, 5);
	cb_q_bind_i64(q, 6, active);
	cb_q_bind_text(q, 7, (in->set & CB_DIR_USER_PASSWORD) ? in->password_hash : NULL);
	cb_q_bind_i64(q, 8, now);
	if (cb_q_exec(q, err))
		return -1;
	return audit(c, a, actor, now, "user.update", "user", id,
		     changed_fields(in->set, user_field_names, NFIELDS(user_field_names)), err);
}

static json_t *user_row(cb_conn *c, cb_q *q)
{
	(void)c;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "email", jstr(cb_q_text(q, 1)));
	json_object_set_new(o, "name", jstr(cb_q_text(q, 2)));
	json_object_set_new(o, "role", jstr(cb_q_text(q, 3)));
	if (cb_q_isnull(q, 4) || cb_q_isnull(q, 5)) {
		json_object_set_new(o, "account", json_null());
	} else {
		json_t *acc = json_object();
		json_object_set_new(acc, "id", json_integer(cb_q_i64(q, 4)));
		json_object_set_new(acc, "name", jstr(cb_q_text(q, 5)));
		json_object_set_new(acc, "tier", jstr(cb_q_text(q, 6)));
		json_object_set_new(o, "account", acc);
	}
	json_object_set_new(o, "active", json_boolean(cb_q_i64(q, 7)));
	json_object_set_new(o, "created_at", jtime(cb_q_i64(q, 8)));
	json_object_set_new(o, "updated_at", jtime(cb_q_i64(q, 9)));
	return o;
}

int cb_dir_user_get(cb_conn *c, const cb_actor *viewer, int64_t id, json_t **out, cb_err *err)
{
	if (is_customer(viewer) && viewer->user_id != id)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "user not found");
	cb_q *q = cb_q_get(c, CB_SQL_DIR_USER_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "user not found");
	*out = user_row(c, q);
	cb_q_reset(q);
	return 0;
}

int cb_dir_user_list(cb_conn *c, const cb_actor *viewer, const cb_dir_user_filter *filter,
		     const cb_dir_page *page, json_t **out_items, int64_t *out_next, cb_err *err)
{
	int limit = page_limit(page);
	cb_q *q = cb_q_get(c, CB_SQL_DIR_USER_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, page ? page->after : 0);
	if (filter && (filter->set & CB_DIR_USER_ROLE))
		cb_q_bind_text(q, 2, cb_role_name(filter->role));
	else
		cb_q_bind_null(q, 2);
	if (filter && (filter->set & CB_DIR_USER_ACCOUNT))
		cb_q_bind_i64(q, 3, filter->account_id);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_i64(q, 4, limit + 1);
	cb_q_bind_i64(q, 5, is_customer(viewer) ? (viewer->user_id ? viewer->user_id : -1) : 0);
	return list_rows(c, q, limit, user_row, out_items, out_next, err);
}

/* ---- API tokens ---- */

static const struct jfield token_fields[] = {
	{"user", J_REF, 1, offsetof(cb_dir_token_in, user), "a user id or e-mail"},
	{"name", J_STR, 2, offsetof(cb_dir_token_in, name), "a string"},
};

int cb_dir_token_from_json(cb_dir_token_in *out, json_t *body, cb_arena *a, cb_err *err)
{
	memset(out, 0, sizeof *out);
	if (body && decode(out, NULL, token_fields, NFIELDS(token_fields), body, err))
		return -1;
	if (out->name &&
	    !(out->name = text_field(a, out->name, "name", 0, CB_DIR_NAME_MAX, 0, err)))
		return cb_err_summarize(err);
	return 0;
}

int cb_dir_token_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			const cb_dir_token_in *in, json_t **out, cb_err *err)
{
	int64_t uid = actor ? actor->user_id : 0;
	int admin = !actor || actor->role == CB_ROLE_ADMIN;
	if (in->user) {
		int64_t target = 0;
		if (!admin) {
			/* a non-admin learns nothing about other users: 403 either way */
			cb_err quiet = {0};
			if (cb_dir_resolve_user(c, in->user, &target, "user", &quiet) ||
			    target != uid)
				return cb_err_set(err, CB_E_FORBIDDEN, "user",
						  "only admins may create tokens for other users");
		} else if (cb_dir_resolve_user(c, in->user, &target, "user", err)) {
			return -1;
		}
		uid = target;
	}
	if (uid <= 0)
		return cb_err_set(err, CB_E_INVALID, "user", "a user is required");
	cb_dir_user_info u;
	int rc = cb_dir_user_load(c, a, uid, NULL, &u, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_INVALID, "user", "no user with id %lld", (long long)uid);
	if (!u.active)
		return cb_err_set(err, CB_E_INVALID, "user", "user %s is deactivated", u.email);
	const char *name = in->name ? in->name : "";
	int64_t tid = 0;
	char *tok = NULL;
	if (cb_auth_token_create(c, a, uid, name, now, &tid, &tok, err))
		return -1;
	json_t *data = json_pack("{s:I, s:s}", "user", (json_int_t)uid, "name", name);
	if (audit(c, a, actor, now, "token.create", "token", tid, data, err))
		return -1;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(tid));
	json_object_set_new(o, "token", json_string(tok));
	json_object_set_new(o, "name", jstr(name));
	json_object_set_new(o, "user", cb_dir_user_ref(c, uid));
	json_object_set_new(o, "created_at", jtime(now));
	*out = o;
	return 0;
}

static json_t *token_row(cb_conn *c, cb_q *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(cb_q_i64(q, 0)));
	json_object_set_new(o, "name", jstr(cb_q_text(q, 1)));
	json_object_set_new(o, "user", cb_dir_user_ref(c, cb_q_i64(q, 2)));
	json_object_set_new(o, "created_at", jtime(cb_q_i64(q, 3)));
	return o;
}

int cb_dir_token_list(cb_conn *c, const cb_actor *viewer, int64_t user_id,
		      const cb_dir_page *page, json_t **out_items, int64_t *out_next, cb_err *err)
{
	if (viewer->role != CB_ROLE_ADMIN) {
		if (user_id && user_id != viewer->user_id)
			return cb_err_set(err, CB_E_FORBIDDEN, "user",
					  "only admins may list other users' tokens");
		user_id = viewer->user_id;
	}
	int limit = page_limit(page);
	cb_q *q = cb_q_get(c, CB_SQL_DIR_TOKEN_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, page ? page->after : 0);
	cb_q_bind_i64(q, 2, user_id);
	cb_q_bind_i64(q, 3, limit + 1);
	return list_rows(c, q, limit, token_row, out_items, out_next, err);
}

/* Revokes live token id (of owner) and audits it. */
static int token_revoke(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			int64_t owner, const char *why, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_TOKEN_REVOKE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, now);
	if (cb_q_exec(q, err))
		return -1;
	return audit(c, a, actor, now, "token.revoke", "token", id,
		     json_pack("{s:I, s:s}", "user", (json_int_t)owner, "why", why), err);
}

int cb_dir_token_revoke(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			json_t **out, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_TOKEN_OWNER, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	int64_t owner = rc ? cb_q_i64(q, 0) : 0;
	cb_q_reset(q);
	/* someone else's token is as unknown as a missing one */
	if (!owner || (actor->role != CB_ROLE_ADMIN && owner != actor->user_id))
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such token");
	if (token_revoke(c, a, actor, now, id, owner, "revoked", err))
		return -1;
	*out = json_pack("{s:I, s:o, s:o}", "id", (json_int_t)id, "user", cb_dir_user_ref(c, owner),
			 "revoked_at", jtime(now));
	return 0;
}

int cb_dir_tokens_revoke_user(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			      int64_t user_id, const char *why, int64_t *count, cb_err *err)
{
	/* ids first: the revocations write to the table being read */
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	cb_q *q = cb_q_get(c, CB_SQL_DIR_TOKENS_OF_USER, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, user_id);
	int rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *grown = cb_arena_alloc(a, cap * sizeof *grown);
			if (n)
				memcpy(grown, ids, n * sizeof *ids);
			ids = grown;
		}
		ids[n++] = cb_q_i64(q, 0);
	}
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (token_revoke(c, a, actor, now, ids[i], user_id, why, err))
			return -1;
	*count = (int64_t)n;
	return 0;
}

/* ---- groups ---- */

static const struct jfield group_fields[] = {
	{"name", J_STR, CB_DIR_GROUP_NAME, offsetof(cb_dir_group_in, name), "a string"},
	{"description", J_STR, CB_DIR_GROUP_DESCRIPTION, offsetof(cb_dir_group_in, description),
	 "a string"},
	{"members", J_ARRAY, CB_DIR_GROUP_MEMBERS, offsetof(cb_dir_group_in, members),
	 "an array of user ids or e-mails"},
};
static const char *const group_field_names[] = {"name", "description", "members"};

int cb_dir_group_from_json(cb_dir_group_in *out, json_t *body, int partial, cb_arena *a,
			   cb_err *err)
{
	memset(out, 0, sizeof *out);
	/* the values given are checked even when other keys are bad: every
	 * bad field is named at once */
	int bad = decode(out, &out->set, group_fields, NFIELDS(group_fields), body, err) != 0;
	return cb_dir_group_check(out, partial, a, err) || bad ? cb_err_summarize(err) : 0;
}

int cb_dir_group_check(cb_dir_group_in *in, int partial, cb_arena *a, cb_err *err)
{
	if (!partial && !(in->set & CB_DIR_GROUP_NAME))
		cb_err_add(err, CB_E_INVALID, "name", "is required");
	if (in->set & CB_DIR_GROUP_NAME)
		in->name = text_field(a, in->name ? in->name : "", "name", 1, CB_DIR_NAME_MAX, 0,
				      err);
	if (in->set & CB_DIR_GROUP_DESCRIPTION)
		in->description = text_field(a, in->description ? in->description : "",
					     "description", 0, CB_DIR_DESCRIPTION_MAX, 1, err);
	if (in->set & CB_DIR_GROUP_MEMBERS) {
		if (!json_is_array(in->members)) {
			cb_err_add(err, CB_E_INVALID, "members", "must be an array of user ids or e-mails");
		} else if (json_array_size(in->members) > CB_DIR_MEMBERS_MAX) {
			cb_err_add(err, CB_E_INVALID, "members", "must list at most %d users",
				   CB_DIR_MEMBERS_MAX);
		} else {
			size_t i;
			json_t *v;
			json_array_foreach(in->members, i, v) {
				if (json_is_integer(v) || json_is_string(v))
					continue;
				char field[32];
				snprintf(field, sizeof field, "members[%zu]", i);
				cb_err_add(err, CB_E_INVALID, field, "must be a user id or e-mail");
			}
		}
	}
	return err->code != CB_OK ? cb_err_summarize(err) : 0;
}

static int group_name_free(cb_conn *c, const char *name, int64_t self, cb_err *err)
{
	int64_t other = 0;
	int rc = cb_q_one_by_text(c, CB_SQL_DIR_GROUP_BY_NAME, name, &other, err);
	if (rc < 0)
		return -1;
	if (rc == 1 && other != self)
		return cb_err_set(err, CB_E_CONFLICT, "name", "a group named '%.120s' already exists",
				  name);
	return 0;
}

/* Replaces the members of group id; *out_ids gets the resolved ids. */
static int members_store(cb_conn *c, cb_arena *a, int64_t id, json_t *members, json_t **out_ids,
			 cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_MEMBERS_CLEAR, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	if (cb_q_exec(q, err))
		return -1;
	json_t *ids = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(members, i, v) {
		char field[32];
		snprintf(field, sizeof field, "members[%zu]", i);
		int64_t uid = 0;
		cb_dir_user_info u;
		if (cb_dir_resolve_user(c, v, &uid, field, err) ||
		    cb_dir_user_load(c, a, uid, NULL, &u, err) != 1)
			goto fail;
		if (!cb_role_is_agent_side(u.role)) {
			cb_err_set(err, CB_E_INVALID, field,
				   "%s is a customer; groups hold agents, engineers and admins",
				   u.email);
			goto fail;
		}
		q = cb_q_get(c, CB_SQL_DIR_GROUP_MEMBER_ADD, err);
		if (!q)
			goto fail;
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_i64(q, 2, uid);
		if (cb_q_exec(q, err))
			goto fail;
		json_array_append_new(ids, json_integer(uid));
	}
	*out_ids = ids;
	return 0;
fail:
	json_decref(ids);
	return -1;
}

int cb_dir_group_create(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now,
			const cb_dir_group_in *in, int64_t *out_id, cb_err *err)
{
	if (!in->name)
		return cb_err_set(err, CB_E_INVALID, "name", "a name is required");
	if (group_name_free(c, in->name, 0, err))
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, in->name);
	cb_q_bind_text(q, 2, in->description ? in->description : "");
	cb_q_bind_i64(q, 3, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	int64_t id = new_id;
	json_t *ids = NULL;
	if (in->members) {
		if (members_store(c, a, id, in->members, &ids, err))
			return -1;
	} else {
		ids = json_array();
	}
	json_t *data = json_pack("{s:s, s:o}", "name", in->name, "members", ids);
	if (audit(c, a, actor, now, "group.create", "group", id, data, err))
		return -1;
	*out_id = id;
	return 0;
}

int cb_dir_group_update(cb_conn *c, cb_arena *a, const cb_actor *actor, cb_ms now, int64_t id,
			const cb_dir_group_in *in, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "group not found");
	const char *name = cb_arena_strdup(a, cb_q_text(q, 1));
	const char *desc = cb_arena_strdup(a, cb_q_text(q, 2));
	cb_q_reset(q);
	if (!in->set)
		return 0;
	if (in->set & CB_DIR_GROUP_NAME) {
		if (group_name_free(c, in->name, id, err))
			return -1;
		name = in->name;
	}
	if (in->set & CB_DIR_GROUP_DESCRIPTION)
		desc = in->description ? in->description : "";
	json_t *data = changed_fields(in->set, group_field_names, NFIELDS(group_field_names));
	if (in->set & CB_DIR_GROUP_MEMBERS) {
		json_t *ids = NULL;
		if (members_store(c, a, id, in->members, &ids, err)) {
			json_decref(data);
			return -1;
		}
		json_object_set_new(data, "members", ids);
	}
	q = cb_q_get(c, CB_SQL_DIR_GROUP_UPDATE, err);
	if (!q) {
		json_decref(data);
		return -1;
	}
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, name);
	cb_q_bind_text(q, 3, desc);
	cb_q_bind_i64(q, 4, now);
	if (cb_q_exec(q, err)) {
		json_decref(data);
		return -1;
	}
	return audit(c, a, actor, now, "group.update", "group", id, data, err);
}

static json_t *group_row(cb_conn *c, cb_q *q)
{
	int64_t id = cb_q_i64(q, 0);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "name", jstr(cb_q_text(q, 1)));
	json_object_set_new(o, "description", jstr(cb_q_text(q, 2)));
	json_t *members = json_array();
	cb_err err = {0};
	cb_q *m = cb_q_get(c, CB_SQL_DIR_GROUP_MEMBERS, &err);
	if (m) {
		cb_q_bind_i64(m, 1, id);
		while (cb_q_step(m, &err) == 1) {
			json_t *u = json_object();
			json_object_set_new(u, "id", json_integer(cb_q_i64(m, 0)));
			json_object_set_new(u, "email", jstr(cb_q_text(m, 1)));
			json_object_set_new(u, "name", jstr(cb_q_text(m, 2)));
			json_array_append_new(members, u);
		}
	}
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "created_at", jtime(cb_q_i64(q, 3)));
	json_object_set_new(o, "updated_at", jtime(cb_q_i64(q, 4)));
	return o;
}

int cb_dir_group_get(cb_conn *c, int64_t id, json_t **out, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "group not found");
	*out = group_row(c, q);
	cb_q_reset(q);
	return 0;
}

int cb_dir_group_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
		      int64_t *out_next, cb_err *err)
{
	int limit = page_limit(page);
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, page ? page->after : 0);
	cb_q_bind_i64(q, 2, limit + 1);
	return list_rows(c, q, limit, group_row, out_items, out_next, err);
}

int cb_dir_group_has_member(cb_conn *c, int64_t group_id, int64_t user_id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DIR_GROUP_HAS_MEMBER, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, group_id);
	cb_q_bind_i64(q, 2, user_id);
	int rc = cb_q_step(q, err);
	if (rc == 1)
		cb_q_reset(q);
	return rc;
}
