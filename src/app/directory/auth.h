/* auth.h - API tokens (only a hash is stored), passwords (argon2id) and the
 * audit trail of privileged actions. */
#ifndef CB_AUTH_H
#define CB_AUTH_H
#include "app/app.h"

/* Must be called once before anything else (initializes libsodium). */
int cb_auth_init(void);
/* Resolves "Bearer <token>" to the acting user. 401 on anything wrong. */
int cb_auth_bearer(cb_app *app, cb_arena *a, const char *header, cb_actor *out, cb_err *err);
/* Creates a token for user_id inside the caller's write transaction; the
 * secret is returned in *out_token (arena) and never stored. */
int cb_auth_token_create(cb_conn *c, cb_arena *a, int64_t user_id, const char *name,
			 cb_ms now, int64_t *out_id, char **out_token, cb_err *err);
/* argon2id password hashing (libsodium crypto_pwhash_str). */
int cb_auth_password_hash(const char *password, char **out, cb_arena *a, cb_err *err);
int cb_auth_password_verify(const char *hash, const char *password); /* 1 ok */
/* Appends to the audit trail (inside the caller's write transaction). */
int cb_audit(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action,
	     const char *target, const char *data_json, cb_err *err);
/* The same with data as JSON (compact, keys sorted; taken: decref'd) and
 * the target "<kind>:<id>" ("<kind>" when id is 0). */
int cb_audit_json(cb_conn *c, const cb_actor *actor, cb_ms now, const char *action,
		  const char *kind, int64_t id, json_t *data, cb_err *err);

#endif
