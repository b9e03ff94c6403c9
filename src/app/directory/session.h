/* session.h - browser sessions for the web console and the customer portal.
 *
 * POST /api/v1/session checks an e-mail and password (argon2id) and opens a
 * session: the cookie carries a random secret (only its hash is stored) and
 * the answer carries a CSRF token. A request authenticated by the cookie
 * that changes state (any method but GET and HEAD) must send that token as
 * X-CSRF-Token, so another site cannot make the browser act; the cookie is
 * HttpOnly and SameSite=Lax (and Secure behind TLS). Sessions last
 * CB_SESSION_TTL_MS.
 *
 * Throttling: failed logins are counted per (e-mail, client address) and
 * per client address over CB_LOGIN_WINDOW_MS. From CB_LOGIN_MAX_FAILURES
 * failures for one e-mail from one address (or CB_LOGIN_ADDR_MAX_FAILURES
 * from one address for any e-mails), the next attempt from that address
 * must wait cb_login_delay() after the latest failure: 30 s, doubling with
 * each further failure, at most the window; earlier attempts get 429 with
 * Retry-After and count nothing. The same e-mail from another address is
 * not held back, so wrong passwords from one place never lock the owner
 * out; a success forgets that address's failures for the e-mail. */
#ifndef CB_APP_SESSION_H
#define CB_APP_SESSION_H
#include <jansson.h>

#include "app/app.h"

#define CB_SESSION_COOKIE "cb_session"
#define CB_SESSION_TTL_MS (12LL * 3600 * 1000)
#define CB_LOGIN_MAX_FAILURES 5
#define CB_LOGIN_ADDR_MAX_FAILURES 20
#define CB_LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define CB_LOGIN_FIRST_DELAY_MS (30LL * 1000)

/* The wait after the latest of `failures` failures when `limit` are
 * allowed: 0 below the limit, then 30 s, 60 s, 120 s ... at most
 * CB_LOGIN_WINDOW_MS. */
cb_ms cb_login_delay(int64_t failures, int64_t limit);

/* Logs in from client address ip: reads the user, verifies the password outside any transaction
 * (argon2id is slow on purpose), then records the session or the failure
 * in one write. On success *secret is the cookie value (arena) and *out
 * {"user", "csrf_token", "expires_at"}; a wrong e-mail or password is 401
 * (the same answer for both), over the limit 429 with *retry_after_s. */
int cb_session_login(cb_app *app, cb_arena *a, cb_ms now, const char *ip, json_t *in,
		     char **secret, json_t **out, int *retry_after_s, cb_err *err);
/* Resolves a cookie secret: the actor and the session's CSRF token. 401
 * when unknown, expired, revoked or the user is deactivated. */
int cb_session_resolve(cb_app *app, cb_arena *a, const char *secret, cb_ms now, cb_actor *out,
		       const char **csrf, int64_t *session_id, cb_err *err);
int cb_session_revoke(cb_conn *c, int64_t session_id, cb_ms now, cb_err *err);
/* Ends every live session of user_id except keep (0: all); *ended (may be
 * NULL) gets how many. */
int cb_session_end_user(cb_conn *c, int64_t user_id, int64_t keep, cb_ms now, int64_t *ended,
			cb_err *err);
/* The actor changes their own password: in = {"current_password",
 * "new_password", "revoke_tokens"?}. The current password is verified
 * (422 on current_password when wrong), the new one must follow the
 * directory's rules; then, in one write, the password is replaced, every
 * other session of the user ends (session_id, the request's own, stays;
 * 0 when the request came with a token), and with revoke_tokens every API
 * token of the user is revoked. Audited as user.password (and token.revoke
 * per token). *out = {"sessions_ended", "tokens_revoked"}. */
int cb_session_password_change(cb_app *app, cb_arena *a, const cb_actor *actor,
			       int64_t session_id, cb_ms now, json_t *in, json_t **out, cb_err *err);
/* {"user", "csrf_token", "expires_at"} of a live session. */
json_t *cb_session_describe(cb_conn *c, int64_t session_id, cb_err *err);

#endif
