/* sql_setup.h - statements used by `casebook init`. */
#ifndef CB_SQL_SETUP_H
#define CB_SQL_SETUP_H

static const char CB_SQL_SETUP_COUNT_USERS[] = "SELECT count(*) FROM users";
static const char CB_SQL_SETUP_ADMIN[] =
	"INSERT INTO users(email, name, role, created_at, updated_at)"
	" VALUES (?1, 'Administrator', 'admin', ?2, ?2)";
static const char CB_SQL_SETUP_ACCOUNT[] =
	"INSERT OR IGNORE INTO accounts(name, tier, domains, created_at, updated_at)"
	" VALUES ('default', 'standard', '[]', ?1, ?1)";
static const char CB_SQL_SETUP_SETTING[] =
	"INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)";

#endif
