/* mail_out.c - outgoing notifications, the outbox and its sender thread,
 * templates, settings and survey links (see mail_out.h). */
#include "app/mail/mail_out.h"
#include "app/ticket/pipeline.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/directory/auth.h"
#include "mail/compose.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/template.h"
#include "jobs/jobs.h"

/* ---- settings ------------------------------------------------------------ */

typedef struct {
	const char *key;     /* API name */
	const char *setting; /* settings row */
	const char *dflt;
	int type; /* STR, INT, or LIST: an array of addresses stored comma-separated */
} setting_def;
enum { STR, INT, LIST };

static const setting_def settings[] = {
	{"from", "mail.from", "", STR},
	{"from_name", "mail.from_name", "Support", STR},
	{"smtp_url", "mail.smtp_url", "", STR},
	{"smtp_user", "mail.smtp_user", "", STR},
	{"smtp_password", "mail.smtp_password", "", STR}, /* write-only */
	{"smtp_require_tls", "mail.smtp_require_tls", "0", INT},
	{"base_url", "mail.base_url", "http://127.0.0.1:8080", STR},
	{"retry_base_ms", "mail.retry_base_ms", "30000", INT},
	{"surveys", "mail.surveys", "1", INT},
	{"rate_per_hour", "mail.rate_per_hour", "20", INT},
	{"default_account", "default_account", "default", STR}, /* unknown senders' account */
	{"imap_url", "mail.imap_url", "", STR},
	{"imap_user", "mail.imap_user", "", STR},
	{"imap_password", "mail.imap_password", "", STR}, /* write-only */
	{"imap_interval_s", "mail.imap_interval_s", "60", INT},
	{"addresses", "mail.addresses", "", LIST}, /* the desk's other addresses */
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

/* The value of a settings row (or dflt) copied into buf. */
static int setting_str(cb_conn *c, const char *key, const char *dflt, char *buf, size_t n,
		       cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SETTING_GET, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, key);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	snprintf(buf, n, "%s", r ? cb_q_text(q, 0) : dflt);
	if (r)
		cb_q_reset(q);
	return 0;
}

static const setting_def *setting_find(const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

static int get(cb_conn *c, const char *key, char *buf, size_t n, cb_err *err)
{
	const setting_def *d = setting_find(key);
	return setting_str(c, d->setting, d->dflt, buf, n, err);
}

int cb_mailsvc_setting(cb_conn *c, const char *key, char *buf, size_t n, cb_err *err)
{
	if (!setting_find(key))
		return cb_err_set(err, CB_E_INTERNAL, NULL, "no mail setting %s", key);
	return get(c, key, buf, n, err);
}

json_t *cb_mailsvc_settings_get(cb_conn *c, cb_err *err)
{
	json_t *o = json_object();
	for (size_t i = 0; i < NSETTINGS; i++) {
		char v[512];
		if (setting_str(c, settings[i].setting, settings[i].dflt, v, sizeof v, err)) {
			json_decref(o);
			return NULL;
		}
		if (!strcmp(settings[i].key, "imap_password") ||
		    !strcmp(settings[i].key, "smtp_password")) {
			char k[64];
			snprintf(k, sizeof k, "%s_set", settings[i].key);
			json_object_set_new(o, k, json_boolean(*v));
		} else if (settings[i].type == LIST) {
			json_t *a = json_array();
			for (char *p = v, *e; *p; p = *e ? e + 1 : e) {
				e = p + strcspn(p, ",");
				if (e > p)
					json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
			}
			json_object_set_new(o, settings[i].key, a);
		} else if (settings[i].type == INT)
			json_object_set_new(o, settings[i].key, json_integer(strtoll(v, NULL, 10)));
		else
			json_object_set_new(o, settings[i].key, json_string(v));
	}
	json_object_set_new(o, "enabled", json_boolean(*json_string_value(json_object_get(o, "from"))));
	return o;
}

static int valid_addr(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " <>\"\r\n,;");
}

/* long: one check per setting, every bad field named, then one write */
int cb_mailsvc_settings_put(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, cb_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		const setting_def *d = setting_find(k);
		if (!d) {
			cb_err_add(err, CB_E_INVALID, k, "is not a mail setting");
			continue;
		}
		if (d->type == LIST) {
			size_t i, total = 0;
			json_t *x;
			int ok = json_is_array(v) && json_array_size(v) <= 20;
			json_array_foreach(v, i, x) {
				if (!ok || !json_is_string(x) || json_string_length(x) > 320 ||
				    !valid_addr(json_string_value(x)))
					ok = 0;
				else
					total += json_string_length(x) + 1;
			}
			if (!ok || total > 2000)
				cb_err_add(err, CB_E_INVALID, k,
					   "must be an array of at most 20 e-mail addresses");
			continue;
		}
		if (d->type == INT) {
			json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
			json_int_t lo = !strcmp(k, "imap_interval_s") ? 1 : 0;
			json_int_t hi = !strcmp(k, "surveys") || !strcmp(k, "smtp_require_tls") ? 1 : 86400000;
			if (!json_is_integer(v) || x < lo || x > hi)
				cb_err_add(err, CB_E_INVALID, k, "must be an integer from %lld to %lld",
					   (long long)lo, (long long)hi);
			continue;
		}
		const char *s = json_string_value(v);
		if (!json_is_string(v) || strlen(s) > 400 || strpbrk(s, "\r\n")) {
			cb_err_add(err, CB_E_INVALID, k, "must be a one-line string of at most 400 bytes");
			continue;
		}
		if (!strcmp(k, "from") && *s && !valid_addr(s))
			cb_err_add(err, CB_E_INVALID, k, "must be an e-mail address (or \"\" to turn mail off)");
		if (!strcmp(k, "smtp_url") && *s && strncmp(s, "smtp://", 7) && strncmp(s, "smtps://", 8))
			cb_err_add(err, CB_E_INVALID, k, "must start with smtp:// or smtps://");
		if (!strcmp(k, "default_account")) {
			int64_t id = 0;
			int r = cb_q_one_by_text(c, CB_SQL_ACCOUNT_BY_NAME, s, &id, err);
			if (r < 0)
				return -1;
			if (!r)
				cb_err_add(err, CB_E_INVALID, k, "must name an existing account");
		}
		if (!strcmp(k, "imap_url") && *s && strncmp(s, "imap://", 7) && strncmp(s, "imaps://", 8))
			cb_err_add(err, CB_E_INVALID, k, "must start with imap:// or imaps://");
		if (!strcmp(k, "base_url") && strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
			cb_err_add(err, CB_E_INVALID, k, "must start with http:// or https://");
	}
	if (err->nitems || err->code)
		return cb_err_summarize(err);
	json_object_foreach(in, k, v) {
		const setting_def *d = setting_find(k);
		char buf[2048];
		const char *val = json_string_value(v);
		if (d->type == INT) {
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			val = buf;
		}
		if (d->type == LIST) {
			size_t i, n = 0;
			json_t *x;
			buf[0] = 0;
			json_array_foreach(v, i, x)
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "",
						      json_string_value(x));
			for (char *p = buf; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			val = buf;
		}
		cb_q *q = cb_q_get(c, CB_SQL_SETTING_PUT, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, d->setting);
		cb_q_bind_text(q, 2, val);
		if (cb_q_exec(q, err))
			return -1;
	}
	json_t *shown = json_deep_copy(in);
	if (json_object_get(shown, "imap_password"))
		json_object_set_new(shown, "imap_password", json_string("(changed)"));
	if (json_object_get(shown, "smtp_password"))
		json_object_set_new(shown, "smtp_password", json_string("(changed)"));
	return cb_audit_json(c, actor, now, "mail.settings", "mail", 0, shown, err);
}

int cb_mailsvc_is_desk(cb_conn *c, const char *addr, const char *const *extra, int nextra,
		     cb_err *err)
{
	if (!addr || !*addr)
		return 0;
	for (int i = 0; i < nextra; i++)
		if (!strcasecmp(extra[i], addr))
			return 1;
	char from[400], user[256], list[2048];
	if (get(c, "from", from, sizeof from, err) || get(c, "imap_user", user, sizeof user, err) ||
	    get(c, "addresses", list, sizeof list, err))
		return -1;
	if (!strcasecmp(from, addr) || (strchr(user, '@') && !strcasecmp(user, addr)))
		return 1;
	size_t n = strlen(addr);
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncasecmp(p, addr, n))
			return 1;
		p += k + (p[k] ? 1 : 0);
	}
	return 0;
}

int cb_mailsvc_note(cb_conn *c, int64_t ticket, cb_ms now, const char *text, cb_err *err)
{
	json_t *d = json_pack("{s:s, s:b, s:s}", "body", text, "public", 0, "side", "agent");
	return cb_pipeline_append(c, ticket, CB_EV_COMMENT, now, 0, d, err);
}

/* ---- templates ----------------------------------------------------------- */

typedef struct {
	const char *event, *subject, *body;
} template_def;

static const template_def templates[] = {
	{"reply", "Re: [#{{ticket.id}}] {{ticket.subject}}",
	 "{{comment.body}}\n\n-- \n{{agent.name}}\nReply to this e-mail to add to case "
	 "#{{ticket.id}}.\n"},
	{"status", "[#{{ticket.id}}] {{ticket.subject}} ({{ticket.status}})",
	 "Hello {{requester.name}},\n\nyour case #{{ticket.id}} \"{{ticket.subject}}\" is now "
	 "{{ticket.status}}.\n\nReply to this e-mail to add to it.\n"},
	{"survey", "[#{{ticket.id}}] How did we do?",
	 "Hello {{requester.name}},\n\nyour case #{{ticket.id}} \"{{ticket.subject}}\" was solved. "
	 "How satisfied are you with the help you got? Rate it here (the link works for 7 "
	 "days):\n\n{{survey.url}}\n\nThank you.\n"},
};
#define NTEMPLATES (sizeof templates / sizeof templates[0])

static const char *const placeholders[] = {
	"ticket.id",      "ticket.subject", "ticket.status", "ticket.priority", "requester.name",
	"requester.email", "agent.name",     "comment.body",  "survey.url",      NULL};

static const template_def *template_find(const char *event)
{
	for (size_t i = 0; i < NTEMPLATES; i++)
		if (!strcmp(templates[i].event, event))
			return &templates[i];
	return NULL;
}

static json_t *template_json(cb_conn *c, const template_def *d, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_TEMPLATE_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_text(q, 1, d->event);
	int r = cb_q_step(q, err);
	if (r < 0)
		return NULL;
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:o}", "event", d->event, "subject",
			      r ? cb_q_text(q, 0) : d->subject, "body", r ? cb_q_text(q, 1) : d->body,
			      "custom", r, "updated_at", r ? cb_json_time(cb_q_i64(q, 2)) : json_null());
	if (r)
		cb_q_reset(q);
	return o;
}

json_t *cb_mailsvc_templates_list(cb_conn *c, cb_err *err)
{
	json_t *a = json_array();
	for (size_t i = 0; i < NTEMPLATES; i++) {
		json_t *o = template_json(c, &templates[i], err);
		if (!o) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, o);
	}
	return a;
}

int cb_mailsvc_template_put(cb_conn *c, const cb_actor *actor, cb_ms now, const char *event,
			 json_t *in, json_t **out, cb_err *err)
{
	static const char *const keys[] = {"subject", "body", NULL};
	const template_def *d = template_find(event);
	if (!d)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such template: %s", event);
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *s = json_object_get(in, "subject"), *b = json_object_get(in, "body");
	if (!json_is_string(s) || !*json_string_value(s) || json_string_length(s) > 300 ||
	    strpbrk(json_string_value(s), "\r\n"))
		cb_err_add(err, CB_E_INVALID, "subject", "must be one line of 1 to 300 bytes");
	else
		cb_template_check(json_string_value(s), placeholders, "subject", err);
	if (!json_is_string(b) || !*json_string_value(b) || json_string_length(b) > 20000)
		cb_err_add(err, CB_E_INVALID, "body", "must be a string of 1 to 20000 bytes");
	else
		cb_template_check(json_string_value(b), placeholders, "body", err);
	if (err->nitems || err->code)
		return cb_err_summarize(err);
	cb_q *q = cb_q_get(c, CB_SQL_TEMPLATE_PUT, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, event);
	cb_q_bind_text(q, 2, json_string_value(s));
	cb_q_bind_text(q, 3, json_string_value(b));
	if (actor->user_id)
		cb_q_bind_i64(q, 4, actor->user_id);
	else
		cb_q_bind_null(q, 4);
	cb_q_bind_i64(q, 5, now);
	if (cb_q_exec(q, err) || cb_audit(c, actor, now, "mail.template", event, "{}", err))
		return -1;
	*out = template_json(c, d, err);
	return *out ? 0 : -1;
}

/* ---- survey links --------------------------------------------------------- */

static int survey_key(cb_conn *c, unsigned char key[crypto_auth_KEYBYTES], int create, cb_err *err)
{
	char hex[2 * crypto_auth_KEYBYTES + 1];
	if (setting_str(c, "secret.survey", "", hex, sizeof hex, err))
		return -1;
	if (!*hex) {
		if (!create)
			return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such survey");
		crypto_auth_keygen(key);
		sodium_bin2hex(hex, sizeof hex, key, crypto_auth_KEYBYTES);
		cb_q *q = cb_q_get(c, CB_SQL_SETTING_PUT, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, "secret.survey");
		cb_q_bind_text(q, 2, hex);
		return cb_q_exec(q, err);
	}
	size_t n = 0;
	if (sodium_hex2bin(key, crypto_auth_KEYBYTES, hex, strlen(hex), NULL, &n, NULL) ||
	    n != crypto_auth_KEYBYTES)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "bad survey secret");
	return 0;
}

/* token = base64url(ticket 8 bytes BE | expires (s) 8 bytes BE | mac 32) */
int cb_survey_token(cb_conn *c, int64_t ticket, cb_ms expires, char *out, size_t outlen,
		    cb_err *err)
{
	unsigned char key[crypto_auth_KEYBYTES], b[16 + crypto_auth_BYTES];
	if (survey_key(c, key, 1, err))
		return -1;
	uint64_t t = (uint64_t)ticket, e = (uint64_t)(expires / 1000);
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(t >> (56 - 8 * i));
		b[8 + i] = (unsigned char)(e >> (56 - 8 * i));
	}
	crypto_auth(b + 16, b, 16, key);
	sodium_memzero(key, sizeof key);
	sodium_bin2base64(out, outlen, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int cb_survey_token_verify(cb_conn *c, const char *token, cb_ms now, int64_t *ticket,
			   cb_ms *expires, cb_err *err)
{
	unsigned char key[crypto_auth_KEYBYTES], b[16 + crypto_auth_BYTES];
	size_t n = 0;
	if (strlen(token) > 100 ||
	    sodium_base642bin(b, sizeof b, token, strlen(token), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    n != sizeof b)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such survey");
	if (survey_key(c, key, 0, err))
		return -1;
	int bad = crypto_auth_verify(b + 16, b, 16, key);
	sodium_memzero(key, sizeof key);
	uint64_t t = 0, e = 0;
	for (int i = 0; i < 8; i++) {
		t = t << 8 | b[i];
		e = e << 8 | b[8 + i];
	}
	if (bad || (cb_ms)e * 1000 <= now)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "this survey link is invalid or has expired");
	*ticket = (int64_t)t;
	*expires = (cb_ms)e * 1000;
	return 0;
}

/* ---- queueing -------------------------------------------------------------- */

typedef struct {
	char subject[1024];
	char status[16];
	char priority[8];
	cb_ms created_at;
	char email[320];
	char name[256];
} ticket_info;

static int load_info(cb_conn *c, int64_t id, ticket_info *ti, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_MAIL_INFO, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r < 0 ? -1 : cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket");
	snprintf(ti->subject, sizeof ti->subject, "%s", cb_q_text(q, 0));
	snprintf(ti->status, sizeof ti->status, "%s", cb_q_text(q, 1));
	snprintf(ti->priority, sizeof ti->priority, "%s", cb_q_text(q, 2));
	ti->created_at = cb_q_i64(q, 3);
	snprintf(ti->email, sizeof ti->email, "%s", cb_q_text(q, 4));
	snprintf(ti->name, sizeof ti->name, "%s", cb_q_text(q, 5));
	cb_q_reset(q);
	if (!*ti->name) /* "jane" from jane@acme.test */
		snprintf(ti->name, sizeof ti->name, "%.*s", (int)strcspn(ti->email, "@"), ti->email);
	return 0;
}

typedef struct {
	char **v;
	int n;
} strv;

static void strv_add(strv *s, const char *x)
{
	for (int i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], x))
			return;
	s->v = cb_xrealloc(s->v, sizeof(char *) * (size_t)(s->n + 1));
	s->v[s->n++] = cb_xstrdup(x);
}

static void strv_free(strv *s)
{
	for (int i = 0; i < s->n; i++)
		cb_free(s->v[i]);
	cb_free(s->v);
	memset(s, 0, sizeof *s);
}

static int enqueue_to(cb_conn *c, cb_ms now, int64_t ticket, int64_t event, const char *kind,
		      const ticket_info *ti, const strv *rcpt, const char *const *vars, int auto_gen,
		      const char *from, const char *from_name, cb_err *err);

/* Renders template `event` with vars and queues it to rcpt. */
static int enqueue(cb_conn *c, cb_ms now, int64_t ticket, int64_t event, const char *kind,
		   const ticket_info *ti, const strv *rcpt, const char *const *vars, int auto_gen,
		   cb_err *err)
{
	char from[400], from_name[400];
	if (get(c, "from", from, sizeof from, err) || get(c, "from_name", from_name, sizeof from_name, err))
		return -1;
	if (!*from || rcpt->n == 0)
		return 0; /* outgoing mail is off, or nobody to tell */
	/* never to an address that hard-bounced */
	strv live = {0};
	for (int i = 0; i < rcpt->n; i++) {
		int r = cb_q_one_by_text(c, CB_SQL_MAIL_SUPPRESSED, rcpt->v[i], NULL, err);
		if (r < 0) {
			strv_free(&live);
			return -1;
		}
		if (!r)
			strv_add(&live, rcpt->v[i]);
	}
	int rc = live.n ? enqueue_to(c, now, ticket, event, kind, ti, &live, vars, auto_gen, from,
				      from_name, err)
			: 0;
	strv_free(&live);
	return rc;
}

/* long: one notification's threading headers and its outbox rows, built in sequence */
static int enqueue_to(cb_conn *c, cb_ms now, int64_t ticket, int64_t event, const char *kind,
		      const ticket_info *ti, const strv *rcpt, const char *const *vars, int auto_gen,
		      const char *from, const char *from_name, cb_err *err)
{
	json_t *tpl = template_json(c, template_find(kind), err);
	if (!tpl)
		return -1;
	char *subject = cb_template_render(json_string_value(json_object_get(tpl, "subject")), vars);
	char *body = cb_template_render(json_string_value(json_object_get(tpl, "body")), vars);
	json_decref(tpl);

	/* threading: the ticket's first message and the latest ones */
	strv refs = {0};
	int nout = 0;
	cb_ms outs[32];
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_THREAD, err);
	int r = q ? 0 : -1;
	if (q)
		cb_q_bind_i64(q, 1, ticket);
	while (q && (r = cb_q_step(q, err)) == 1) {
		strv_add(&refs, cb_q_text(q, 0));
		if (!strcmp(cb_q_text(q, 1), "out") && nout < 31)
			outs[nout++] = cb_q_i64(q, 2);
	}
	if (r < 0) {
		cb_free(subject);
		cb_free(body);
		strv_free(&refs);
		return -1;
	}
	const char *refv[11];
	int nref = 0;
	if (refs.n) {
		refv[nref++] = refs.v[0];
		for (int i = refs.n > 10 ? refs.n - 9 : 1; i < refs.n; i++)
			refv[nref++] = refs.v[i];
	}
	const char *domain = strchr(from, '@') + 1;
	unsigned char rnd[8];
	char rhex[17], mid[512];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(rhex, sizeof rhex, rnd, sizeof rnd);
	snprintf(mid, sizeof mid, "cb.%lld.%lld.%s.%s@%s", (long long)ticket, (long long)event, kind,
		 rhex, domain);
	/* Thread-Index: one conversation per ticket, a child block per mail sent */
	unsigned char guid[crypto_hash_sha256_BYTES];
	char seed[64];
	snprintf(seed, sizeof seed, "casebook-ticket-%lld", (long long)ticket);
	crypto_hash_sha256(guid, (const unsigned char *)seed, strlen(seed));
	outs[nout++] = now;
	char tindex[256];
	cb_mail_thread_index(ti->created_at, guid, outs + 1, nout - 1, tindex, sizeof tindex);

	cb_mail_out o = {.from_name = from_name,
			 .from_addr = from,
			 .to = (const char *const *)rcpt->v,
			 .nto = rcpt->n,
			 .subject = subject,
			 .text = body,
			 .message_id = mid,
			 .in_reply_to = nref ? refv[nref - 1] : NULL,
			 .references = refv,
			 .nreferences = nref,
			 .thread_topic = ti->subject,
			 .thread_index = tindex,
			 .auto_generated = auto_gen,
			 .date = now};
	size_t len = 0;
	char *raw = cb_mail_compose(&o, &len);
	strv_free(&refs);
	json_t *to = json_array();
	for (int i = 0; i < rcpt->n; i++)
		json_array_append_new(to, json_string(rcpt->v[i]));
	char *tos = json_dumps(to, JSON_COMPACT);
	json_decref(to);
	int rc = -1;
	q = cb_q_get(c, CB_SQL_OUTBOX_INSERT, err);
	if (q) {
		cb_q_bind_i64(q, 1, ticket);
		cb_q_bind_i64(q, 2, event);
		cb_q_bind_text(q, 3, kind);
		cb_q_bind_text(q, 4, from);
		cb_q_bind_text(q, 5, tos);
		cb_q_bind_text(q, 6, mid);
		cb_q_bind_text(q, 7, subject);
		cb_q_bind_blob(q, 8, raw, len);
		cb_q_bind_i64(q, 9, now);
		rc = cb_q_exec(q, err);
	}
	if (rc == 0 && (q = cb_q_get(c, CB_SQL_MAIL_OUT_INSERT, err)) != NULL) {
		cb_q_bind_text(q, 1, mid);
		cb_q_bind_i64(q, 2, ticket);
		cb_q_bind_i64(q, 3, event);
		cb_q_bind_text(q, 4, from);
		cb_q_bind_text(q, 5, subject);
		cb_q_bind_text(q, 6, kind);
		cb_q_bind_i64(q, 7, now);
		rc = cb_q_exec(q, err);
	} else if (rc == 0) {
		rc = -1;
	}
	free(tos);
	cb_free(raw);
	cb_free(subject);
	cb_free(body);
	if (rc == 0)
		cb_mailsvc_sender_kick(); /* it reads after our commit; a kick early is harmless */
	return rc;
}

static int actor_name(cb_conn *c, const cb_actor *a, char *buf, size_t n, cb_err *err)
{
	snprintf(buf, n, "Support");
	if (!a->user_id)
		return 0;
	cb_q *q = cb_q_get(c, CB_SQL_USER_NAME, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, a->user_id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r) {
		const char *nm = cb_q_text(q, 0);
		snprintf(buf, n, "%s", *nm ? nm : cb_q_text(q, 1));
		cb_q_reset(q);
	}
	return 0;
}

static int mail_on(cb_conn *c, int *on, cb_err *err)
{
	char from[400];
	if (get(c, "from", from, sizeof from, err))
		return -1;
	*on = *from != 0;
	return 0;
}

int cb_mailsvc_on_comment(cb_conn *c, cb_ms now, int64_t ticket, int64_t event, const cb_actor *actor,
		       cb_err *err)
{
	int on;
	if (mail_on(c, &on, err))
		return -1;
	if (!on || !cb_role_is_agent_side(actor->role))
		return 0; /* off, or a requester's own words: nothing to send them */
	ticket_info ti;
	if (load_info(c, ticket, &ti, err))
		return -1;
	/* the comment's body */
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_EVENT_DATA, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, event);
	if (cb_q_step(q, err) != 1)
		return -1;
	json_t *d = json_loads(cb_q_text(q, 0), 0, NULL);
	cb_q_reset(q);
	if (!d || !json_is_true(json_object_get(d, "public"))) {
		json_decref(d);
		return 0; /* internal notes are never mailed */
	}
	strv rcpt = {0}, seen = {0};
	strv_add(&rcpt, ti.email);
	int rc = 0;
	q = cb_q_get(c, CB_SQL_MAIL_PARTICIPANTS, err);
	if (q) {
		cb_q_bind_i64(q, 1, ticket);
		int r;
		while ((r = cb_q_step(q, err)) == 1)
			strv_add(&seen, cb_q_text(q, 0));
		rc = r < 0 ? -1 : 0;
	} else {
		rc = -1;
	}
	/* never the desk's own addresses (mail.from, its aliases) */
	for (int i = 0; rc == 0 && i < seen.n; i++) {
		int own = cb_mailsvc_is_desk(c, seen.v[i], NULL, 0, err);
		if (own < 0)
			rc = -1;
		else if (!own)
			strv_add(&rcpt, seen.v[i]);
	}
	strv_free(&seen);
	char agent[256], idb[24];
	if (rc == 0)
		rc = actor_name(c, actor, agent, sizeof agent, err);
	snprintf(idb, sizeof idb, "%lld", (long long)ticket);
	if (rc == 0) {
		const char *vars[] = {"ticket.id", idb, "ticket.subject", ti.subject, "ticket.status",
				      ti.status, "ticket.priority", ti.priority, "requester.name",
				      ti.name, "requester.email", ti.email, "agent.name", agent,
				      "comment.body", json_string_value(json_object_get(d, "body")),
				      "survey.url", "", NULL};
		rc = enqueue(c, now, ticket, event, "reply", &ti, &rcpt, vars, 0, err);
	}
	json_decref(d);
	strv_free(&rcpt);
	return rc;
}

int cb_mailsvc_on_status(cb_conn *c, cb_ms now, int64_t ticket, cb_status from, cb_status to,
		      const cb_actor *actor, cb_err *err)
{
	int on;
	if (from == to)
		return 0;
	if (mail_on(c, &on, err))
		return -1;
	if (!on)
		return 0;
	if (to != CB_ST_PENDING && to != CB_ST_ON_HOLD && to != CB_ST_SOLVED)
		return 0;
	ticket_info ti;
	if (load_info(c, ticket, &ti, err))
		return -1;
	strv rcpt = {0};
	strv_add(&rcpt, ti.email);
	char agent[256], idb[24], url[1200] = "";
	snprintf(idb, sizeof idb, "%lld", (long long)ticket);
	int rc = actor_name(c, actor, agent, sizeof agent, err);
	const char *vars[] = {"ticket.id", idb, "ticket.subject", ti.subject, "ticket.status",
			      cb_status_name(to), "ticket.priority", ti.priority, "requester.name",
			      ti.name, "requester.email", ti.email, "agent.name", agent,
			      "comment.body", "", "survey.url", url, NULL};
	/* a customer who marked their own case solved needs no news of it */
	if (rc == 0 && cb_role_is_agent_side(actor->role))
		rc = enqueue(c, now, ticket, 0, "status", &ti, &rcpt, vars, 1, err);
	char surveys[8], base[512], tok[128];
	if (rc == 0 && to == CB_ST_SOLVED)
		rc = get(c, "surveys", surveys, sizeof surveys, err) ||
		     get(c, "base_url", base, sizeof base, err);
	if (rc == 0 && to == CB_ST_SOLVED && strcmp(surveys, "0") != 0) {
		rc = cb_survey_token(c, ticket, now + CB_SURVEY_LINK_MS, tok, sizeof tok, err);
		size_t bl = strlen(base);
		snprintf(url, sizeof url, "%.*s/survey/%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
			 base, tok);
		if (rc == 0)
			rc = enqueue(c, now, ticket, 0, "survey", &ti, &rcpt, vars, 1, err);
	}
	strv_free(&rcpt);
	return rc;
}

/* ---- the outbox ------------------------------------------------------------ */

int cb_mailsvc_outbox_list(cb_conn *c, const char *state, int limit, int64_t before, json_t **items,
			int64_t *next, cb_err *err)
{
	*items = NULL;
	*next = 0;
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_LIST, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, state);
	cb_q_bind_i64(q, 2, before > 0 ? before : INT64_MAX);
	cb_q_bind_i64(q, 3, limit + 1);
	json_t *a = json_array();
	int r, n = 0;
	while ((r = cb_q_step(q, err)) == 1) {
		if (n == limit) {
			cb_q_reset(q);
			break;
		}
		json_t *to = json_loads(cb_q_text(q, 4), 0, NULL);
		json_t *refused = json_loads(cb_q_text(q, 13), 0, NULL);
		json_array_append_new(
			a, json_pack("{s:I, s:o, s:o, s:s, s:o, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
				     (json_int_t)cb_q_i64(q, 0), "ticket",
				     cb_q_isnull(q, 1) ? json_null() : json_integer(cb_q_i64(q, 1)),
				     "comment",
				     cb_q_isnull(q, 2) || !cb_q_i64(q, 2) ? json_null()
									  : json_integer(cb_q_i64(q, 2)),
				     "kind", cb_q_text(q, 3), "to", to ? to : json_array(),
				     "message_id", cb_q_text(q, 5), "subject", cb_q_text(q, 6), "state",
				     cb_q_text(q, 7), "attempts", (json_int_t)cb_q_i64(q, 8), "next_at",
				     cb_json_time(cb_q_i64(q, 9)), "last_error",
				     cb_q_isnull(q, 10) ? json_null() : json_string(cb_q_text(q, 10)),
				     "created_at", cb_json_time(cb_q_i64(q, 11)), "sent_at",
				     cb_q_isnull(q, 12) ? json_null() : cb_json_time(cb_q_i64(q, 12)),
				     "refused", refused ? refused : json_array()));
		*next = cb_q_i64(q, 0);
		n++;
	}
	if (r < 0) {
		json_decref(a);
		return -1;
	}
	if (n < limit)
		*next = 0;
	*items = a;
	return 0;
}

/* ---- the sender (the mail.outbox worker of src/jobs/) ---------------------- */

void cb_mailsvc_sender_kick(void)
{
	cb_jobs_kick_kind(CB_JOB_MAIL_OUTBOX);
}

typedef struct {
	int64_t id, ticket;
	char *from;
	strv to; /* the recipients still to deliver */
	char *raw;
	size_t len;
	int attempts;
} due_row;

struct mark {
	const due_row *d;
	const cb_smtp_rcpt *rcpt; /* d->to.n answers */
	int rc, permanent;
	cb_ms now, next_at;
	const char *error;
};

/* An address that hard-bounced: not mailed again (until it writes in), with
 * an internal note on the ticket saying so. */
static int suppress(cb_conn *c, int64_t ticket, cb_ms now, const char *addr, const char *why,
		    cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MAIL_SUPPRESS, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, addr);
	cb_q_bind_text(q, 2, why);
	if (ticket)
		cb_q_bind_i64(q, 3, ticket);
	else
		cb_q_bind_null(q, 3);
	cb_q_bind_i64(q, 4, now);
	if (cb_q_exec(q, err))
		return -1;
	if (!ticket)
		return 0;
	char note[900];
	snprintf(note, sizeof note,
		 "Mail to %s failed permanently: %s. Casebook will not send mail to this address "
		 "again (until mail from it comes in).",
		 addr, why);
	return cb_mailsvc_note(c, ticket, now, note, err);
}

/* Appends {"address", "reply", "at"} to the row's refused list. */
static int add_refused(cb_conn *c, int64_t id, const char *addr, const char *reply, cb_ms now,
		       cb_err *err)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "address", addr, "reply", reply, "at",
			      cb_json_time(now));
	char *js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_REFUSED_ADD, err);
	int rc = -1;
	if (q) {
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_text(q, 2, js);
		rc = cb_q_exec(q, err);
	}
	free(js);
	return rc;
}

static int mark_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct mark *m = arg;
	const due_row *d = m->d;
	/* per recipient: delivered (2xx with the message accepted), refused
	 * for good (5xx), or still pending (4xx, not asked, not delivered) */
	json_t *pending = json_array();
	int delivered = 0;
	for (int i = 0; i < d->to.n; i++) {
		int code = m->rcpt[i].code;
		if (code >= 500 && code < 600) {
			if (add_refused(c, d->id, d->to.v[i], m->rcpt[i].reply, m->now, err) ||
			    suppress(c, d->ticket, m->now, d->to.v[i], m->rcpt[i].reply, err)) {
				json_decref(pending);
				return -1;
			}
		} else if (m->rc == 0 && code >= 200 && code < 300) {
			delivered++;
		} else {
			json_array_append_new(pending, json_string(d->to.v[i]));
		}
	}
	const char *state = m->rc == 0 && json_array_size(pending) == 0 ? "sent"
			    : m->permanent || json_array_size(pending) == 0 ? "failed"
									    : "queued";
	char why[400];
	const char *error = m->error;
	if (m->rc == 0 && json_array_size(pending)) {
		snprintf(why, sizeof why, "delivered to %d; deferred for the others", delivered);
		error = why;
	}
	char *ps = json_dumps(pending, JSON_COMPACT);
	json_decref(pending);
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_MARK, err);
	int rc = -1;
	if (q) {
		cb_q_bind_i64(q, 1, d->id);
		cb_q_bind_text(q, 2, state);
		cb_q_bind_i64(q, 3, m->next_at);
		if (error && strcmp(state, "sent"))
			cb_q_bind_text(q, 4, error);
		else
			cb_q_bind_null(q, 4);
		if (delivered)
			cb_q_bind_i64(q, 5, m->now);
		else
			cb_q_bind_null(q, 5);
		cb_q_bind_text(q, 6, ps);
		rc = cb_q_exec(q, err);
	}
	free(ps);
	return rc;
}

/* The SMTP server from the settings (strings into the caller's buffers). */
struct smtp_conf {
	char url[512], user[256], pass[256], tls[8];
};

/* One pass over the due outbox rows; *configured: an SMTP server is set
 * (the sleep that follows depends on it).
 * long: claim, send and mark the due rows; the steps share the batch */
static int run_once(cb_app *app, cb_ms now, int *sent, int *failed, int *configured, cb_err *err)
{
	*sent = *failed = 0;
	*configured = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	struct smtp_conf sc;
	char base_ms[32];
	if (get(c, "smtp_url", sc.url, sizeof sc.url, err) ||
	    get(c, "smtp_user", sc.user, sizeof sc.user, err) ||
	    get(c, "smtp_password", sc.pass, sizeof sc.pass, err) ||
	    get(c, "smtp_require_tls", sc.tls, sizeof sc.tls, err) ||
	    get(c, "retry_base_ms", base_ms, sizeof base_ms, err))
		return -1;
	if (!*sc.url)
		return 0;
	*configured = 1;
	cb_smtp srv = {.url = sc.url, .user = sc.user, .password = sc.pass,
		       .require_tls = strcmp(sc.tls, "0") != 0, .timeout_s = 30};
	due_row rows[16];
	int n = 0;
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_DUE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, now);
	cb_q_bind_i64(q, 2, 16);
	int r;
	while ((r = cb_q_step(q, err)) == 1 && n < 16) {
		due_row *d = &rows[n++];
		memset(d, 0, sizeof *d);
		d->id = cb_q_i64(q, 0);
		d->from = cb_xstrdup(cb_q_text(q, 1));
		json_t *to = json_loads(cb_q_text(q, 2), 0, NULL);
		size_t i;
		json_t *v;
		json_array_foreach(to, i, v) strv_add(&d->to, json_string_value(v));
		json_decref(to);
		size_t len = 0;
		const void *p = cb_q_blob(q, 3, &len);
		d->raw = cb_xmalloc(len ? len : 1);
		if (len)
			memcpy(d->raw, p, len);
		d->len = len;
		d->attempts = (int)cb_q_i64(q, 4);
		d->ticket = cb_q_isnull(q, 5) ? 0 : cb_q_i64(q, 5);
	}
	if (r == 1)
		cb_q_reset(q);
	cb_conn_reset_all(c);
	long long base = strtoll(base_ms, NULL, 10);
	if (base <= 0)
		base = CB_MAIL_RETRY_BASE_MS;
	for (int i = 0; i < n; i++) {
		due_row *d = &rows[i];
		cb_err se = {0};
		cb_smtp_rcpt *ans = cb_xcalloc((size_t)(d->to.n ? d->to.n : 1), sizeof *ans);
		int rc = d->to.n ? cb_smtp_send(&srv, d->from, (const char *const *)d->to.v, d->to.n,
						d->raw, d->len, ans, &se)
				 : cb_err_set(&se, CB_E_INVALID, NULL, "no recipients left");
		long long wait = base;
		for (int k = 0; k < d->attempts && wait < CB_MAIL_RETRY_MAX_MS; k++)
			wait *= 2;
		if (wait > CB_MAIL_RETRY_MAX_MS)
			wait = CB_MAIL_RETRY_MAX_MS;
		struct mark m = {.d = d, .rcpt = ans, .rc = rc, .permanent = rc && se.code == CB_E_INVALID,
				 .now = cb_now_ms(), .next_at = cb_now_ms() + wait, .error = se.message};
		cb_err we = {0};
		if (cb_db_write(app->db, mark_fn, &m, &we) == 0) {
			if (rc == 0)
				(*sent)++;
			else
				(*failed)++;
		} else {
			fprintf(stderr, "mail: cannot record the outcome of outbox row %lld: %s\n",
				(long long)d->id, we.message);
		}
		cb_free(ans);
		cb_free(d->from);
		strv_free(&d->to);
		cb_free(d->raw);
	}
	return 0;
}

int cb_mailsvc_on_bounce(cb_conn *c, cb_ms now, const cb_mail *m, int64_t *ticket, char *reason,
		      size_t reasonlen, cb_err *err)
{
	*ticket = 0;
	if (m->kind != CB_MAIL_BOUNCE || !m->dsn_of)
		return 0;
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_BY_MID, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, m->dsn_of);
	int r = cb_q_step(q, err);
	if (r <= 0)
		return r;
	int64_t id = cb_q_i64(q, 0);
	*ticket = cb_q_isnull(q, 1) ? 0 : cb_q_i64(q, 1);
	json_t *to = json_loads(cb_q_text(q, 2), 0, NULL);
	cb_q_reset(q);
	/* the failed recipients this notification really went to (a bounce
	 * cannot silence anyone else); a report without any names the only
	 * recipient, if there was one */
	strv failed = {0}, why = {0};
	size_t i;
	json_t *v;
	for (int k = 0; k < m->ndsn_failed; k++)
		json_array_foreach(to, i, v)
			if (!strcasecmp(json_string_value(v), m->dsn_failed[k].addr)) {
				int before = failed.n;
				strv_add(&failed, json_string_value(v));
				if (failed.n > before) { /* each address once */
					why.v = cb_xrealloc(why.v, sizeof(char *) * (size_t)(why.n + 1));
					why.v[why.n++] = cb_xstrdup(m->dsn_failed[k].status);
				}
			}
	if (!m->ndsn_failed && json_array_size(to) == 1) {
		strv_add(&failed, json_string_value(json_array_get(to, 0)));
		strv_add(&why, "returned as undeliverable");
	}
	json_decref(to);
	int rc = 0;
	cb_buf rb = {0};
	cb_buf_puts(&rb, "bounced:");
	for (int k = 0; k < failed.n && rc == 0; k++) {
		char what[400];
		snprintf(what, sizeof what, "the message was returned as undeliverable (%s)", why.v[k]);
		rc = add_refused(c, id, failed.v[k], why.v[k], now, err) ||
		     suppress(c, *ticket, now, failed.v[k], what, err);
		cb_buf_printf(&rb, " %s (%s)", failed.v[k], why.v[k]);
	}
	if (rc == 0 && failed.n == 0) {
		cb_buf_puts(&rb, " no recipient named");
		if (*ticket)
			rc = cb_mailsvc_note(c, *ticket, now,
					  "A notification of this ticket came back as undeliverable; the "
					  "report names none of its recipients. See the mail log.",
					  err);
	}
	if (rc == 0 && (q = cb_q_get(c, CB_SQL_OUTBOX_BOUNCED, err)) != NULL) {
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_text(q, 2, rb.p);
		rc = cb_q_exec(q, err);
	} else if (rc == 0) {
		rc = -1;
	}
	snprintf(reason, reasonlen, "%s", rb.p);
	cb_buf_free(&rb);
	strv_free(&failed);
	strv_free(&why);
	return rc ? -1 : 1;
}

/* How long the sender may sleep: until the earliest queued message is due,
 * at most a second (new mail kicks the sender, but a kick can come before
 * its commit is visible); 5 s while no SMTP server is set (setting one
 * kicks it). */
static long sender_sleep(cb_app *app, int configured)
{
	if (!configured)
		return 5000;
	cb_err err = {0};
	cb_conn *c = cb_db_reader(app->db, &err);
	if (!c)
		return 1000;
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_NEXT_DUE, &err);
	long ms = 1000;
	if (q && cb_q_step(q, &err) == 1) {
		if (!cb_q_isnull(q, 0)) {
			cb_ms wait = cb_q_i64(q, 0) - cb_now_ms();
			ms = wait <= 0 ? 0 : wait < 1000 ? (long)wait : 1000;
		}
		cb_q_reset(q);
	}
	return ms;
}

int cb_mailsvc_sender_open(cb_app *app, cb_err *err)
{
	(void)app;
	(void)err;
	cb_smtp_global_init();
	return 0;
}

int cb_mailsvc_sender_turn(cb_app *app, cb_ms *sleep_ms, cb_err *err)
{
	int sent = 0, failed = 0, configured = 0;
	if (run_once(app, cb_now_ms(), &sent, &failed, &configured, err)) {
		*sleep_ms = 1000;
		return -1;
	}
	*sleep_ms = sender_sleep(app, configured);
	return 0;
}

int cb_mailsvc_outbox_pending(cb_app *app, cb_ms now, int64_t *n, cb_ms *oldest, cb_err *err)
{
	(void)now;
	*n = 0;
	*oldest = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_OUTBOX_PENDING, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r == 1) {
		*n = cb_q_i64(q, 0);
		*oldest = cb_q_isnull(q, 1) ? 0 : cb_q_i64(q, 1);
		cb_q_reset(q);
	}
	return r < 0 ? -1 : 0;
}

/* ---- metrics -------------------------------------------------------------- */

void cb_mailsvc_metrics_render(cb_db *db, cb_buf *b)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_OUTBOX_STATS, &err) : NULL;
	long long n[4] = {0, 0, 0, 0};
	cb_ms oldest = 0;
	int r;
	while (q && (r = cb_q_step(q, &err)) == 1) {
		const char *st = cb_q_text(q, 0);
		int i = !strcmp(st, "queued") ? 0 : !strcmp(st, "sent") ? 1 : !strcmp(st, "failed") ? 2 : 3;
		n[i] = cb_q_i64(q, 1);
		if (i == 0 && !cb_q_isnull(q, 2))
			oldest = cb_q_i64(q, 2);
	}
	cb_buf_printf(b,
		      "# HELP casebook_mail_outbox Outgoing mail by state.\n"
		      "# TYPE casebook_mail_outbox gauge\n"
		      "casebook_mail_outbox{state=\"queued\"} %lld\n"
		      "casebook_mail_outbox{state=\"sent\"} %lld\n"
		      "casebook_mail_outbox{state=\"failed\"} %lld\n"
		      "casebook_mail_outbox{state=\"bounced\"} %lld\n"
		      "# HELP casebook_mail_outbox_oldest_queued_seconds Age of the oldest queued mail"
		      " (0 when none): alert on it during an SMTP outage.\n"
		      "# TYPE casebook_mail_outbox_oldest_queued_seconds gauge\n"
		      "casebook_mail_outbox_oldest_queued_seconds %.3f\n",
		      n[0], n[1], n[2], n[3], oldest ? (double)(cb_now_ms() - oldest) / 1000.0 : 0.0);
	if (c)
		cb_conn_reset_all(c);
}
