/* sql_directory.h - statements for accounts, users, tokens' owners and
 * groups (app/directory.c). Each is a static array: the statement cache keys
 * on its address.
 *
 * The *_COLS column lists are shared by the single-row and list queries so
 * that one row renderer serves both. */
#ifndef CB_SQL_DIRECTORY_H
#define CB_SQL_DIRECTORY_H

/* ---- accounts ---- */

/* 0 id, 1 name, 2 tier, 3 domains (JSON text), 4 created_at, 5 updated_at */
#define CB_SQL_DIR_ACCOUNT_COLS "a.id, a.name, a.tier, a.domains, a.created_at, a.updated_at"

static const char CB_SQL_DIR_ACCOUNT_GET[] =
	"SELECT " CB_SQL_DIR_ACCOUNT_COLS " FROM accounts a WHERE a.id = ?1";
/* ?1 after id, ?2 only this id (0 = all), ?3 limit */
static const char CB_SQL_DIR_ACCOUNT_LIST[] =
	"SELECT " CB_SQL_DIR_ACCOUNT_COLS " FROM accounts a"
	" WHERE a.id > ?1 AND (?2 = 0 OR a.id = ?2) ORDER BY a.id LIMIT ?3";
static const char CB_SQL_DIR_ACCOUNT_REF[] = "SELECT id, name, tier FROM accounts WHERE id = ?1";
static const char CB_SQL_DIR_ACCOUNT_BY_NAME[] = "SELECT id FROM accounts WHERE name = ?1";
static const char CB_SQL_DIR_ACCOUNT_INSERT[] =
	"INSERT INTO accounts(name, tier, domains, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?4)";
static const char CB_SQL_DIR_ACCOUNT_UPDATE[] =
	"UPDATE accounts SET name = ?2, tier = ?3, domains = ?4, updated_at = ?5 WHERE id = ?1";
static const char CB_SQL_DIR_DOMAIN_OWNER[] =
	"SELECT account_id FROM account_domains WHERE domain = ?1";
static const char CB_SQL_DIR_DOMAINS_CLEAR[] = "DELETE FROM account_domains WHERE account_id = ?1";
static const char CB_SQL_DIR_DOMAIN_INSERT[] =
	"INSERT INTO account_domains(domain, account_id) VALUES (?1, ?2)";

/* ---- users ---- */

/* 0 id, 1 email, 2 name, 3 role, 4 account_id, 5 account name, 6 account
 * tier, 7 active, 8 created_at, 9 updated_at */
#define CB_SQL_DIR_USER_COLS \
	"u.id, u.email, u.name, u.role, u.account_id, a.name, a.tier, u.active," \
	" u.created_at, u.updated_at"

static const char CB_SQL_DIR_USER_GET[] =
	"SELECT " CB_SQL_DIR_USER_COLS " FROM users u"
	" LEFT JOIN accounts a ON a.id = u.account_id WHERE u.id = ?1";
/* ?1 after id, ?2 role or NULL, ?3 account id or NULL, ?4 limit, ?5 only
 * this user (0 = all) */
static const char CB_SQL_DIR_USER_LIST[] =
	"SELECT " CB_SQL_DIR_USER_COLS " FROM users u"
	" LEFT JOIN accounts a ON a.id = u.account_id"
	" WHERE u.id > ?1 AND (?2 IS NULL OR u.role = ?2) AND (?3 IS NULL OR u.account_id = ?3)"
	" AND (?5 = 0 OR u.id = ?5) ORDER BY u.id LIMIT ?4";
static const char CB_SQL_DIR_USER_REF[] = "SELECT id, email, name FROM users WHERE id = ?1";
/* 0 id, 1 email, 2 name, 3 role, 4 account_id, 5 active */
static const char CB_SQL_DIR_USER_LOAD[] =
	"SELECT id, email, name, role, account_id, active FROM users WHERE id = ?1";
static const char CB_SQL_DIR_USER_LOAD_EMAIL[] =
	"SELECT id, email, name, role, account_id, active FROM users WHERE email = ?1";
static const char CB_SQL_DIR_USER_INSERT[] =
	"INSERT INTO users(email, name, role, account_id, password_hash, active, created_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
/* ?7 NULL keeps the password hash */
static const char CB_SQL_DIR_USER_UPDATE[] =
	"UPDATE users SET email = ?2, name = ?3, role = ?4, account_id = ?5, active = ?6,"
	" password_hash = coalesce(?7, password_hash), updated_at = ?8 WHERE id = ?1";
static const char CB_SQL_DIR_OTHER_ADMINS[] =
	"SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> ?1";
static const char CB_SQL_DIR_USER_LEAVE_GROUPS[] = "DELETE FROM group_members WHERE user_id = ?1";

/* ---- groups ---- */

/* 0 id, 1 name, 2 description, 3 created_at, 4 updated_at */
#define CB_SQL_DIR_GROUP_COLS "g.id, g.name, g.description, g.created_at, g.updated_at"

static const char CB_SQL_DIR_GROUP_GET[] =
	"SELECT " CB_SQL_DIR_GROUP_COLS " FROM groups g WHERE g.id = ?1";
static const char CB_SQL_DIR_GROUP_LIST[] =
	"SELECT " CB_SQL_DIR_GROUP_COLS " FROM groups g WHERE g.id > ?1 ORDER BY g.id LIMIT ?2";
static const char CB_SQL_DIR_GROUP_REF[] = "SELECT id, name FROM groups WHERE id = ?1";
/* The references of a page (users ?1, accounts ?2, groups ?3: JSON arrays
 * of ids) in one statement: kind (0 user, 1 account, 2 group), id, then
 * email, name (users), name, tier (accounts), name (groups). */
static const char CB_SQL_DIR_REFS_PAGE[] =
	"SELECT 0, id, email, name FROM users WHERE id IN (SELECT value FROM json_each(?1))"
	" UNION ALL SELECT 1, id, name, tier FROM accounts WHERE id IN (SELECT value FROM json_each(?2))"
	" UNION ALL SELECT 2, id, name, NULL FROM groups WHERE id IN (SELECT value FROM json_each(?3))";
static const char CB_SQL_DIR_GROUP_BY_NAME[] = "SELECT id FROM groups WHERE name = ?1";
static const char CB_SQL_DIR_GROUP_INSERT[] =
	"INSERT INTO groups(name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)";
static const char CB_SQL_DIR_GROUP_UPDATE[] =
	"UPDATE groups SET name = ?2, description = ?3, updated_at = ?4 WHERE id = ?1";
static const char CB_SQL_DIR_GROUP_MEMBERS[] =
	"SELECT u.id, u.email, u.name FROM group_members m JOIN users u ON u.id = m.user_id"
	" WHERE m.group_id = ?1 ORDER BY u.id";
static const char CB_SQL_DIR_GROUP_MEMBERS_CLEAR[] =
	"DELETE FROM group_members WHERE group_id = ?1";
static const char CB_SQL_DIR_GROUP_MEMBER_ADD[] =
	"INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (?1, ?2)";
static const char CB_SQL_DIR_GROUP_HAS_MEMBER[] =
	"SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2";

/* API tokens: lists and revocation (never the hash) */
static const char CB_SQL_DIR_TOKEN_LIST[] =
	"SELECT id, name, user_id, created_at FROM tokens"
	" WHERE revoked_at IS NULL AND id > ?1 AND (?2 = 0 OR user_id = ?2)"
	" ORDER BY id LIMIT ?3";
static const char CB_SQL_DIR_TOKEN_OWNER[] =
	"SELECT user_id FROM tokens WHERE id = ?1 AND revoked_at IS NULL";
static const char CB_SQL_DIR_TOKEN_REVOKE[] =
	"UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";
static const char CB_SQL_DIR_TOKENS_OF_USER[] =
	"SELECT id FROM tokens WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id";

#endif
