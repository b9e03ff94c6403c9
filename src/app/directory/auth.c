/* auth.c - tokens, passwords and audit (see auth.h).
 *
 * Tokens are "cbk_" + 43 characters of base64url (32 random bytes); the
 * database keeps only their BLAKE2b-256 hash, looked up by equality. A hash
 * lookup compares digests, so no timing difference leaks the secret. */
#include "app/directory/auth.h"
#include "store/sql.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cb_auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void token_hash(const char *tok, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)tok, strlen(tok), NULL, 0);
}

int cb_auth_bearer(cb_app *app, cb_arena *a, const char *header, cb_actor *out, cb_err *err)
{
	if (!header || !*header)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "authentication required");
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "expected a Bearer token");
	const char *tok = header + 7;
	while (*tok == ' ')
		tok++;
	if (strlen(tok) < 10 || strlen(tok) > 200)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "invalid token");
	unsigned char h[32];
	token_hash(tok, h);
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_TOKEN_LOOKUP, err);
	if (!q)
		return -1;
	cb_q_bind_blob(q, 1, h, sizeof h);
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cb_err_set(err, CB_E_UNAUTH, NULL, "invalid token");
	if (!cb_q_i64(q, 4)) {
		cb_q_reset(q);
		return cb_err_set(err, CB_E_UNAUTH, NULL, "user is deactivated");
	}
	out->user_id = cb_q_i64(q, 0);
	if (cb_role_parse(cb_q_text(q, 1), &out->role))
		out->role = CB_ROLE_NONE;
	out->account_id = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
	out->email = cb_arena_strdup(a, cb_q_text(q, 3));
	cb_q_reset(q);
	return 0;
}

int cb_auth_token_create(cb_conn *c, cb_arena *a, int64_t user_id, const char *name,
			 cb_ms now, int64_t *out_id, char **out_token, cb_err *err)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	char b64[64];
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *tok = cb_arena_printf(a, "cbk_%s", b64);
	unsigned char h[32];
	token_hash(tok, h);
	cb_q *q = cb_q_get(c, CB_SQL_TOKEN_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, user_id);
	cb_q_bind_blob(q, 2, h, sizeof h);
	cb_q_bind_text(q, 3, name ? name : "");
	cb_q_bind_i64(q, 4, now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	if (out_id)
		*out_id = new_id;
	*out_token = tok;
	return 0;
}

int cb_auth_password_hash(const char *password, char **out, cb_arena *a, cb_err *err)
{
	char h[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str(h, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot hash password");
	*out = cb_arena_strdup(a, h);
	return 0;
}

int cb_auth_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int cb_audit(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action,
	     const char *target, const char *data_json, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_AUDIT_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, now);
	if (actor && actor->user_id)
		cb_q_bind_i64(q, 2, actor->user_id);
	else
		cb_q_bind_null(q, 2);
	cb_q_bind_text(q, 3, action);
	cb_q_bind_text(q, 4, target ? target : "");
	cb_q_bind_text(q, 5, data_json ? data_json : "{}");
	return cb_q_exec(q, err);
}

int cb_audit_json(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action,
		  const char *kind, int64_t id, json_t *data, cb_err *err)
{
	char target[64];
	if (id)
		snprintf(target, sizeof target, "%s:%lld", kind, (long long)id);
	else
		snprintf(target, sizeof target, "%s", kind);
	char *s = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(data);
	int rc = cb_audit(c, actor, now, action, target, s ? s : "{}", err);
	free(s);
	return rc;
}
