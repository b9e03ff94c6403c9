/* sql_demo.h - statements used by the demo data set (app/demo.c, demo_ops.c). */
#ifndef CB_SQL_DEMO_H
#define CB_SQL_DEMO_H

/* the record that the demo data set was loaded: {"loaded_at", "tickets", "days", "seed"} */
static const char CB_SQL_DEMO_MARK_GET[] = "SELECT value FROM settings WHERE key = 'demo'";
static const char CB_SQL_DEMO_MARK_SET[] = "INSERT INTO settings(key, value) VALUES ('demo', ?1)";
/* a data set from before the record: its demo agent exists */
static const char CB_SQL_DEMO_USER[] = "SELECT id FROM users WHERE email = ?1";
/* open tickets untouched since ?1, newest first */
static const char CB_SQL_DEMO_OPEN_TICKETS[] =
	"SELECT id FROM tickets WHERE status IN ('new','open','pending','on_hold')"
	" AND updated_at < ?1 ORDER BY id DESC LIMIT 24";
/* the first admin that is not the demo's own actor */
static const char CB_SQL_DEMO_ADMIN[] =
	"SELECT id FROM users WHERE role = 'admin' AND email != ?1 ORDER BY id LIMIT 1";

#endif
