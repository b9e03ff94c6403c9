/* sql_auth.h - statements for tokens, idempotency and the audit trail. */
#ifndef CB_SQL_AUTH_H
#define CB_SQL_AUTH_H

static const char CB_SQL_TOKEN_LOOKUP[] =
	"SELECT u.id, u.role, u.account_id, u.email, u.active FROM tokens t"
	" JOIN users u ON u.id = t.user_id WHERE t.hash = ?1 AND t.revoked_at IS NULL";
static const char CB_SQL_TOKEN_INSERT[] =
	"INSERT INTO tokens(user_id, hash, name, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_IDEM_GET[] =
	"SELECT fingerprint, status, body FROM idempotency WHERE user_id = ?1 AND key = ?2";
static const char CB_SQL_IDEM_PUT[] =
	"INSERT INTO idempotency(user_id, key, fingerprint, status, body, created_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char CB_SQL_AUDIT_INSERT[] =
	"INSERT INTO audit(at, actor_id, action, target, data) VALUES (?1, ?2, ?3, ?4, ?5)";

/* browser sessions (app/session.c) */
static const char CB_SQL_LOGIN_USER[] =
	"SELECT id, password_hash, active FROM users WHERE email = ?1";
static const char CB_SQL_LOGIN_FAILURES_PAIR[] =
	"SELECT count(*), max(at) FROM login_failures WHERE email = ?1 AND ip = ?2 AND at > ?3";
static const char CB_SQL_LOGIN_FAILURES_ADDR[] =
	"SELECT count(*), max(at) FROM login_failures WHERE ip = ?1 AND at > ?2";
static const char CB_SQL_LOGIN_FAILURE_ADD[] =
	"INSERT INTO login_failures(email, ip, at) VALUES (?1, ?2, ?3)";
static const char CB_SQL_LOGIN_FAILURE_CLEAR[] =
	"DELETE FROM login_failures WHERE (email = ?1 AND ip = ?2) OR at < ?3";
static const char CB_SQL_SESSION_INSERT[] =
	"INSERT INTO sessions(hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char CB_SQL_SESSION_LOOKUP[] =
	"SELECT s.id, s.csrf, s.expires_at, s.revoked_at, u.id, u.role, u.account_id, u.email,"
	" u.active FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?1";
static const char CB_SQL_SESSION_REVOKE[] =
	"UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";
static const char CB_SQL_SESSION_END_USER[] =
	"UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL AND id != ?3";
static const char CB_SQL_PASSWORD_GET[] = "SELECT password_hash FROM users WHERE id = ?1";
static const char CB_SQL_PASSWORD_SET[] =
	"UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1";
static const char CB_SQL_SESSION_GET[] =
	"SELECT user_id, csrf, expires_at FROM sessions WHERE id = ?1 AND revoked_at IS NULL";

#endif
