/* sql_ticket.h - statements for tickets and their event log. */
#ifndef CB_SQL_TICKET_H
#define CB_SQL_TICKET_H

#define CB_TICKET_COLS \
	"id, external_id, subject, description, status, priority, category, tags," \
	" account_id, requester_id, assignee_id, group_id, environment, custom_fields," \
	" followup_of, created_at, updated_at, solved_at, closed_at, reopen_count, nevents"

static const char CB_SQL_TICKET_GET[] =
	"SELECT " CB_TICKET_COLS " FROM tickets WHERE id = ?1";
static const char CB_SQL_TICKET_BY_EXTERNAL[] =
	"SELECT id FROM tickets WHERE external_id = ?1";
static const char CB_SQL_TICKET_INSERT[] =
	"INSERT INTO tickets(id, external_id, subject, description, status, priority, category,"
	" tags, account_id, requester_id, assignee_id, group_id, environment, custom_fields,"
	" followup_of, created_at, updated_at, solved_at, closed_at, reopen_count, nevents)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	" ?18, ?19, ?20, ?21)";
static const char CB_SQL_TICKET_UPDATE[] =
	"UPDATE tickets SET external_id = ?2, subject = ?3, description = ?4, status = ?5,"
	" priority = ?6, category = ?7, tags = ?8, account_id = ?9, requester_id = ?10,"
	" assignee_id = ?11, group_id = ?12, environment = ?13, custom_fields = ?14,"
	" followup_of = ?15, created_at = ?16, updated_at = ?17, solved_at = ?18,"
	" closed_at = ?19, reopen_count = ?20, nevents = ?21 WHERE id = ?1";
static const char CB_SQL_TICKET_NEXT_ID[] =
	"SELECT coalesce(max(id), 0) + 1 FROM tickets";
static const char CB_SQL_TAGS_DELETE[] = "DELETE FROM ticket_tags WHERE ticket_id = ?1";
static const char CB_SQL_TAGS_INSERT[] =
	"INSERT OR IGNORE INTO ticket_tags(tag, ticket_id) VALUES (?1, ?2)";
/* the custom field keys customers may see (a JSON array of keys) */
static const char CB_SQL_TICKET_SETTING_GET[] =
	"SELECT value FROM settings WHERE key = 'tickets.customer_custom_fields'";
static const char CB_SQL_TICKET_SETTING_PUT[] =
	"INSERT INTO settings(key, value) VALUES ('tickets.customer_custom_fields', ?1)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value";
static const char CB_SQL_EVENT_INSERT[] =
	"INSERT INTO events(ticket_id, seq, at, actor_id, type, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char CB_SQL_EVENTS_OF[] =
	"SELECT id, seq, at, actor_id, type, data FROM events WHERE ticket_id = ?1 AND seq > ?2"
	" ORDER BY seq LIMIT ?3";
static const char CB_SQL_COMMENTS_OF[] =
	"SELECT id, seq, at, actor_id, type, data FROM events WHERE ticket_id = ?1 AND seq > ?2"
	" AND type = 'comment' AND (?3 OR json_extract(data, '$.public'))"
	" ORDER BY seq LIMIT ?4";
static const char CB_SQL_EVENT_GET[] =
	"SELECT id, seq, at, actor_id, type, data FROM events WHERE id = ?1";
static const char CB_SQL_USER_BRIEF[] =
	"SELECT id, email, name, role, account_id FROM users WHERE id = ?1";
static const char CB_SQL_USER_BY_EMAIL[] =
	"SELECT id, email, name, role, account_id FROM users WHERE email = ?1";
static const char CB_SQL_USER_INSERT_CUSTOMER[] =
	"INSERT INTO users(email, name, role, account_id, created_at, updated_at)"
	" VALUES (?1, ?2, 'customer', ?3, ?4, ?4)";
static const char CB_SQL_ACCOUNT_BRIEF[] =
	"SELECT id, name, tier FROM accounts WHERE id = ?1";
static const char CB_SQL_ACCOUNT_BY_NAME[] =
	"SELECT id, name, tier FROM accounts WHERE name = ?1";
static const char CB_SQL_GROUP_BRIEF[] = "SELECT id, name FROM groups WHERE id = ?1";
static const char CB_SQL_GROUP_BY_NAME[] = "SELECT id, name FROM groups WHERE name = ?1";
static const char CB_SQL_TICKET_FOLLOWUPS[] =
	"SELECT id FROM tickets WHERE followup_of = ?1 ORDER BY id";

/* A page of tickets (app/ticket_page.c): ?1 is a JSON array of ids; the
 * rows come in no particular order. */
static const char CB_SQL_TICKET_PAGE[] =
	"SELECT " CB_TICKET_COLS " FROM tickets WHERE id IN (SELECT value FROM json_each(?1))";
/* The follow-ups of a page of tickets (?1 a JSON array of ids): followup_of, id. */
static const char CB_SQL_TICKET_PAGE_FOLLOWUPS[] =
	"SELECT followup_of, id FROM tickets"
	" WHERE followup_of IN (SELECT value FROM json_each(?1)) ORDER BY followup_of, id";

/* export (app/import.c): tickets by id in pages, then the events of a page */
static const char CB_SQL_EXPORT_TICKETS[] =
	"SELECT id, external_id FROM tickets WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char CB_SQL_EXPORT_EVENTS[] =
	"SELECT ticket_id, at, actor_id, type, data, id FROM events"
	" WHERE ticket_id >= ?1 AND ticket_id <= ?2 ORDER BY ticket_id, seq";
static const char CB_SQL_EXPORT_TICKET_COUNT[] = "SELECT count(*) FROM tickets";
static const char CB_SQL_EXPORT_PROBLEM_TITLE[] = "SELECT id, title FROM problems WHERE id = ?1";
static const char CB_SQL_EXPORT_INCIDENT_TITLE[] = "SELECT id, title FROM incidents WHERE id = ?1";
static const char CB_SQL_EXPORT_ATTACHMENTS[] =
	"SELECT event_id, filename, content_type, sha256, content_id, inline, created_at, data"
	" FROM attachments WHERE ticket_id = ?1 ORDER BY id";
static const char CB_SQL_IMPORT_LAST_EVENT[] =
	"SELECT id FROM events WHERE ticket_id = ?1 AND type = ?2 ORDER BY seq DESC LIMIT 1";
static const char CB_SQL_IMPORT_ATTACHMENT[] =
	"INSERT INTO attachments(ticket_id, event_id, filename, content_type, size, sha256,"
	" content_id, inline, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static const char CB_SQL_TICKET_EXISTS[] = "SELECT id FROM tickets WHERE id = ?1";

#endif
