/* session.c - browser sessions (see session.h). */
#include "app/directory/session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/jsonx.h"

static void secret_hash(const char *secret, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

static void random_b64(char *out, size_t outlen)
{
	unsigned char b[32];
	randombytes_buf(b, sizeof b);
	sodium_bin2base64(out, outlen, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

cb_ms cb_login_delay(int64_t failures, int64_t limit)
{
	if (failures < limit)
		return 0;
	int64_t k = failures - limit;
	cb_ms d = k >= 10 ? CB_LOGIN_WINDOW_MS : CB_LOGIN_FIRST_DELAY_MS << k;
	return d < CB_LOGIN_WINDOW_MS ? d : CB_LOGIN_WINDOW_MS;
}

/* Milliseconds until the next attempt at email from ip is allowed (0:
 * now): the longer of the (e-mail, address) and the address waits, each
 * counted from its latest failure in the window. */
static int throttle(cb_conn *c, const char *email, const char *ip, cb_ms now, cb_ms *wait,
		    cb_err *err)
{
	*wait = 0;
	for (int k = 0; k < 2; k++) {
		cb_q *q = cb_q_get(c, k ? CB_SQL_LOGIN_FAILURES_ADDR : CB_SQL_LOGIN_FAILURES_PAIR, err);
		if (!q)
			return -1;
		int i = 1;
		if (!k)
			cb_q_bind_text(q, i++, email);
		cb_q_bind_text(q, i++, ip);
		cb_q_bind_i64(q, i, now - CB_LOGIN_WINDOW_MS);
		if (cb_q_step(q, err) != 1)
			return -1;
		int64_t n = cb_q_i64(q, 0);
		cb_ms last = cb_q_isnull(q, 1) ? now : cb_q_i64(q, 1);
		cb_q_reset(q);
		cb_ms until = last + cb_login_delay(n, k ? CB_LOGIN_ADDR_MAX_FAILURES
							  : CB_LOGIN_MAX_FAILURES);
		if (until - now > *wait)
			*wait = until - now;
	}
	return 0;
}

static int too_many(cb_ms wait, int *retry_after_s, cb_err *err)
{
	*retry_after_s = (int)((wait + 999) / 1000);
	return cb_err_set(err, CB_E_TOOMANY, "email",
			  "too many failed logins from this address; try again in %d seconds",
			  *retry_after_s);
}

/* A hash to verify against when the e-mail is unknown, so that an unknown
 * address takes as long as a wrong password. */
static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (crypto_pwhash_str(dummy, "casebook-no-such-user", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy[0] = 0; /* out of memory: verify then simply fails */
}

struct login_job {
	const char *email;
	const char *ip;
	int64_t user_id; /* 0: failed */
	cb_ms now;
	cb_arena *a;
	char *secret;
	json_t *out;
	cb_ms wait;     /* throttled (another attempt failed meanwhile): how long */
};

static int login_fn(cb_conn *c, void *p, cb_err *err)
{
	struct login_job *j = p;
	if (throttle(c, j->email, j->ip, j->now, &j->wait, err))
		return -1;
	if (j->wait > 0)
		return 0; /* nothing to write: refused */
	if (!j->user_id) {
		cb_q *q = cb_q_get(c, CB_SQL_LOGIN_FAILURE_ADD, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, j->email);
		cb_q_bind_text(q, 2, j->ip);
		cb_q_bind_i64(q, 3, j->now);
		return cb_q_exec(q, err);
	}
	/* a success forgets this address's failures for the e-mail (not the
	 * address's failures for other e-mails, nor other addresses') */
	cb_q *q = cb_q_get(c, CB_SQL_LOGIN_FAILURE_CLEAR, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, j->email);
	cb_q_bind_text(q, 2, j->ip);
	cb_q_bind_i64(q, 3, j->now - CB_LOGIN_WINDOW_MS); /* and old rows of anyone */
	if (cb_q_exec(q, err))
		return -1;
	char secret[64], csrf[64];
	random_b64(secret, sizeof secret);
	random_b64(csrf, sizeof csrf);
	unsigned char h[32];
	secret_hash(secret, h);
	q = cb_q_get(c, CB_SQL_SESSION_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_blob(q, 1, h, sizeof h);
	cb_q_bind_i64(q, 2, j->user_id);
	cb_q_bind_text(q, 3, csrf);
	cb_q_bind_i64(q, 4, j->now);
	cb_q_bind_i64(q, 5, j->now + CB_SESSION_TTL_MS);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	int64_t sid = new_id;
	cb_actor who = {.user_id = j->user_id, .role = CB_ROLE_ADMIN};
	if (cb_audit(c, &who, j->now, "session.login", j->email, "{}", err))
		return -1;
	j->secret = cb_arena_strdup(j->a, secret);
	j->out = cb_session_describe(c, sid, err);
	return j->out ? 0 : -1;
}

int cb_session_login(cb_app *app, cb_arena *a, cb_ms now, const char *ip, json_t *in,
		     char **secret, json_t **out, int *retry_after_s, cb_err *err)
{
	static const char *const keys[] = {"email", "password", NULL};
	*secret = NULL;
	*out = NULL;
	*retry_after_s = 0;
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *e = json_object_get(in, "email"), *pw = json_object_get(in, "password");
	if (!json_is_string(e) || !*json_string_value(e) || json_string_length(e) > 320)
		cb_err_add(err, CB_E_INVALID, "email", "is required");
	if (!json_is_string(pw) || !*json_string_value(pw) || json_string_length(pw) > 1024)
		cb_err_add(err, CB_E_INVALID, "password", "is required");
	if (err->nitems)
		return cb_err_summarize(err);
	char *email = cb_arena_strdup(a, json_string_value(e));
	for (char *p = email; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');

	if (!ip)
		ip = "";

	/* read: the user and the recent failures */
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	int64_t uid = 0, active = 0;
	cb_ms wait = 0;
	char *hash = NULL;
	if (throttle(c, email, ip, now, &wait, err))
		return -1;
	if (wait == 0) {
		cb_q *q = cb_q_get(c, CB_SQL_LOGIN_USER, err);
		if (!q)
			return -1;
		cb_q_bind_text(q, 1, email);
		int r = cb_q_step(q, err);
		if (r < 0)
			return -1;
		if (r) {
			uid = cb_q_i64(q, 0);
			hash = cb_q_isnull(q, 1) ? NULL : cb_arena_strdup(a, cb_q_text(q, 1));
			active = cb_q_i64(q, 2);
			cb_q_reset(q);
		}
	}
	cb_conn_reset_all(c);
	if (wait > 0)
		return too_many(wait, retry_after_s, err);
	/* verify outside any transaction; unknown users cost the same */
	pthread_once(&dummy_once, make_dummy);
	int ok = cb_auth_password_verify(hash ? hash : dummy, json_string_value(pw)) == 1 && hash &&
		 active;

	struct login_job j = {.email = email, .ip = ip, .user_id = ok ? uid : 0, .now = now, .a = a};
	if (cb_db_write(app->db, login_fn, &j, err))
		return -1;
	if (j.wait > 0)
		return too_many(j.wait, retry_after_s, err);
	if (!ok)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "wrong e-mail or password");
	*secret = j.secret;
	*out = j.out;
	return 0;
}

int cb_session_resolve(cb_app *app, cb_arena *a, const char *secret, cb_ms now, cb_actor *out,
		       const char **csrf, int64_t *session_id, cb_err *err)
{
	if (!secret || strlen(secret) < 20 || strlen(secret) > 100)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "no valid session");
	unsigned char h[32];
	secret_hash(secret, h);
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_SESSION_LOOKUP, err);
	if (!q)
		return -1;
	cb_q_bind_blob(q, 1, h, sizeof h);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "no valid session");
	int dead = cb_q_i64(q, 2) <= now || !cb_q_isnull(q, 3) || !cb_q_i64(q, 8);
	if (!dead) {
		*session_id = cb_q_i64(q, 0);
		*csrf = cb_arena_strdup(a, cb_q_text(q, 1));
		out->user_id = cb_q_i64(q, 4);
		if (cb_role_parse(cb_q_text(q, 5), &out->role))
			out->role = CB_ROLE_NONE;
		out->account_id = cb_q_isnull(q, 6) ? 0 : cb_q_i64(q, 6);
		out->email = cb_arena_strdup(a, cb_q_text(q, 7));
	}
	cb_q_reset(q);
	return dead ? cb_err_set(err, CB_E_UNAUTH, NULL, "the session has ended; log in again") : 0;
}

int cb_session_revoke(cb_conn *c, int64_t session_id, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SESSION_REVOKE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, session_id);
	cb_q_bind_i64(q, 2, now);
	return cb_q_exec(q, err);
}

json_t *cb_session_describe(cb_conn *c, int64_t session_id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SESSION_GET, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, session_id);
	int r = cb_q_step(q, err);
	if (r <= 0) {
		if (r == 0)
			cb_err_set(err, CB_E_UNAUTH, NULL, "no valid session");
		return NULL;
	}
	int64_t uid = cb_q_i64(q, 0);
	json_t *o = json_pack("{s:s, s:o}", "csrf_token", cb_q_text(q, 1), "expires_at",
			      cb_json_time(cb_q_i64(q, 2)));
	cb_q_reset(q);
	json_t *user = NULL;
	cb_actor admin = {.role = CB_ROLE_ADMIN};
	if (cb_dir_user_get(c, &admin, uid, &user, err)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "user", user);
	return o;
}

int cb_session_end_user(cb_conn *c, int64_t user_id, int64_t keep, cb_ms now, int64_t *ended,
			cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SESSION_END_USER, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, user_id);
	cb_q_bind_i64(q, 2, now);
	cb_q_bind_i64(q, 3, keep);
	if (cb_q_exec(q, err))
		return -1;
	if (ended)
		*ended = cb_conn_changes(c);
	return 0;
}

struct password_job {
	const cb_actor *actor;
	int64_t keep;
	cb_ms now;
	cb_arena *a;
	const char *hash;
	int revoke_tokens;
	int64_t sessions, tokens;
};

static int password_fn(cb_conn *c, void *p, cb_err *err)
{
	struct password_job *j = p;
	cb_q *q = cb_q_get(c, CB_SQL_PASSWORD_SET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, j->actor->user_id);
	cb_q_bind_text(q, 2, j->hash);
	cb_q_bind_i64(q, 3, j->now);
	if (cb_q_exec(q, err) ||
	    cb_session_end_user(c, j->actor->user_id, j->keep, j->now, &j->sessions, err))
		return -1;
	if (j->revoke_tokens &&
	    cb_dir_tokens_revoke_user(c, j->a, j->actor, j->now, j->actor->user_id,
				      "password change", &j->tokens, err))
		return -1;
	char target[40];
	snprintf(target, sizeof target, "user:%lld", (long long)j->actor->user_id);
	char data[96];
	snprintf(data, sizeof data, "{\"sessions_ended\":%lld,\"tokens_revoked\":%lld}",
		 (long long)j->sessions, (long long)j->tokens);
	return cb_audit(c, j->actor, j->now, "user.password", target, data, err);
}

int cb_session_password_change(cb_app *app, cb_arena *a, const cb_actor *actor,
			       int64_t session_id, cb_ms now, json_t *in, json_t **out, cb_err *err)
{
	static const char *const keys[] = {"current_password", "new_password", "revoke_tokens",
					   NULL};
	*out = NULL;
	if (cb_json_check_keys(in, keys, "", err))
		return -1;
	json_t *cur = json_object_get(in, "current_password");
	json_t *nw = json_object_get(in, "new_password");
	json_t *rt = json_object_get(in, "revoke_tokens");
	if (!json_is_string(cur) || !*json_string_value(cur) || json_string_length(cur) > 1024)
		cb_err_add(err, CB_E_INVALID, "current_password", "is required");
	cb_dir_user_in u = {.set = CB_DIR_USER_PASSWORD};
	if (!json_is_string(nw)) {
		cb_err_add(err, CB_E_INVALID, "new_password", "is required");
	} else {
		/* the directory's password rules, reported on new_password */
		cb_err perr = {0};
		u.password = json_string_value(nw);
		u.set = CB_DIR_USER_PASSWORD;
		cb_dir_password_check(u.password, "new_password", &perr);
		for (int i = 0; i < perr.nitems; i++)
			cb_err_add(err, CB_E_INVALID, perr.items[i].field, "%s", perr.items[i].message);
	}
	if (rt && !json_is_boolean(rt))
		cb_err_add(err, CB_E_INVALID, "revoke_tokens", "must be true or false");
	if (err->nitems)
		return cb_err_summarize(err);

	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_PASSWORD_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, actor->user_id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	char *hash = r && !cb_q_isnull(q, 0) ? cb_arena_strdup(a, cb_q_text(q, 0)) : NULL;
	cb_conn_reset_all(c);
	/* verified outside any transaction (argon2id is slow on purpose) */
	pthread_once(&dummy_once, make_dummy);
	int ok = cb_auth_password_verify(hash ? hash : dummy, json_string_value(cur)) == 1 && hash;
	if (!ok)
		return cb_err_set(err, CB_E_INVALID, "current_password", "is not the current password");
	char *new_hash = NULL;
	if (cb_auth_password_hash(u.password, &new_hash, a, err))
		return -1;
	struct password_job j = {.actor = actor, .keep = session_id, .now = now, .a = a,
				 .hash = new_hash, .revoke_tokens = json_is_true(rt)};
	if (cb_db_write(app->db, password_fn, &j, err))
		return -1;
	*out = json_pack("{s:I, s:I}", "sessions_ended", (json_int_t)j.sessions, "tokens_revoked",
			 (json_int_t)j.tokens);
	return 0;
}
