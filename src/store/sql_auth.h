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

#endif
