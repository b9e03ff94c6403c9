/* sql_mail.h - the e-mail channel: messages in and out, participants and
 * attachments (migration 014). */
#ifndef CB_SQL_MAIL_H
#define CB_SQL_MAIL_H

static const char CB_SQL_MAIL_IN_BY_MID[] =
	"SELECT id, ticket_id, event_id, result, reason FROM mail_messages"
	" WHERE message_id = ?1 AND direction = 'in'";
/* The ticket a Message-ID belongs to (in or out). */
static const char CB_SQL_MAIL_TICKET_BY_MID[] =
	"SELECT ticket_id FROM mail_messages WHERE message_id = ?1 AND ticket_id IS NOT NULL"
	" ORDER BY id LIMIT 1";
static const char CB_SQL_MAIL_INSERT[] =
	"INSERT INTO mail_messages(direction, message_id, ticket_id, event_id, from_addr, subject,"
	" result, reason, raw, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char CB_SQL_MAIL_RECENT_FROM[] =
	"SELECT count(*) FROM mail_messages WHERE from_addr = ?1 AND at > ?2 AND direction = 'in'"
	" AND result IN ('created', 'appended', 'followup')";
static const char CB_SQL_MAIL_GET[] =
	"SELECT id, direction, message_id, ticket_id, event_id, from_addr, subject, result, reason,"
	" at, length(raw) FROM mail_messages WHERE id = ?1";
static const char CB_SQL_MAIL_RAW[] = "SELECT raw FROM mail_messages WHERE id = ?1";
static const char CB_SQL_MAIL_OF_TICKET[] =
	"SELECT id, direction, message_id, ticket_id, event_id, from_addr, subject, result, reason,"
	" at, length(raw) FROM mail_messages WHERE ticket_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
static const char CB_SQL_MAIL_PARTICIPANT_ADD[] =
	"INSERT OR IGNORE INTO mail_participants(ticket_id, addr) VALUES (?1, ?2)";
static const char CB_SQL_MAIL_PARTICIPANT_HAS[] =
	"SELECT 1 FROM mail_participants WHERE ticket_id = ?1 AND addr = ?2";
/* Whether user ?2 wrote a comment on ticket ?1. */
static const char CB_SQL_MAIL_COMMENTED[] =
	"SELECT 1 FROM events WHERE ticket_id = ?1 AND actor_id = ?2 AND type = 'comment' LIMIT 1";
static const char CB_SQL_SETTING_GET[] = "SELECT value FROM settings WHERE key = ?1";
static const char CB_SQL_ACCOUNT_BY_NAME[] = "SELECT id FROM accounts WHERE name = ?1";

static const char CB_SQL_ATTACHMENT_INSERT[] =
	"INSERT INTO attachments(ticket_id, event_id, filename, content_type, size, sha256,"
	" content_id, inline, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char CB_SQL_ATTACHMENT_META[] =
	"SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256,"
	" a.content_id, a.inline, a.created_at, e.data FROM attachments a"
	" LEFT JOIN events e ON e.id = a.event_id WHERE a.id = ?1";
static const char CB_SQL_ATTACHMENT_DATA[] = "SELECT data FROM attachments WHERE id = ?1";
static const char CB_SQL_ATTACHMENTS_OF_TICKET[] =
	"SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256,"
	" a.content_id, a.inline, a.created_at, e.data FROM attachments a"
	" LEFT JOIN events e ON e.id = a.event_id WHERE a.ticket_id = ?1 ORDER BY a.id";

/* ---- outgoing ---- */
static const char CB_SQL_SETTING_PUT[] =
	"INSERT INTO settings(key, value) VALUES (?1, ?2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value";
static const char CB_SQL_OUTBOX_INSERT[] =
	"INSERT INTO outbox(ticket_id, event_id, kind, mail_from, rcpt, message_id, subject, raw,"
	" next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
static const char CB_SQL_OUTBOX_DUE[] =
	"SELECT id, mail_from, coalesce(pending, rcpt), raw, attempts, ticket_id FROM outbox"
	" WHERE state = 'queued' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2";
static const char CB_SQL_OUTBOX_NEXT_DUE[] =
	"SELECT min(next_at) FROM outbox WHERE state = 'queued'";
/* the mail.outbox job kind's pending work: queued rows, the oldest's creation */
static const char CB_SQL_OUTBOX_PENDING[] =
	"SELECT count(*), min(created_at) FROM outbox WHERE state = 'queued'";
/* After an attempt: ?2 state, ?3 next_at, ?4 last_error, ?5 the instant
 * of a delivery (or NULL), ?6 the recipients still pending (JSON). */
static const char CB_SQL_OUTBOX_MARK[] =
	"UPDATE outbox SET state = ?2, attempts = attempts + 1, next_at = ?3, last_error = ?4,"
	" sent_at = coalesce(sent_at, ?5), pending = ?6 WHERE id = ?1 AND state = 'queued'";
static const char CB_SQL_OUTBOX_REFUSED_ADD[] =
	"UPDATE outbox SET refused = json_insert(refused, '$[#]', json(?2)) WHERE id = ?1";
static const char CB_SQL_OUTBOX_BY_MID[] =
	"SELECT id, ticket_id, rcpt FROM outbox WHERE message_id = ?1";
static const char CB_SQL_OUTBOX_BOUNCED[] =
	"UPDATE outbox SET state = 'bounced', last_error = ?2 WHERE id = ?1";
static const char CB_SQL_MAIL_SUPPRESS[] =
	"INSERT INTO mail_suppressed(addr, reason, ticket_id, at) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT(addr) DO UPDATE SET reason = excluded.reason, ticket_id = excluded.ticket_id,"
	" at = excluded.at";
static const char CB_SQL_MAIL_SUPPRESSED[] = "SELECT 1 FROM mail_suppressed WHERE addr = ?1";
static const char CB_SQL_MAIL_UNSUPPRESS[] = "DELETE FROM mail_suppressed WHERE addr = ?1";
static const char CB_SQL_OUTBOX_LIST[] =
	"SELECT id, ticket_id, event_id, kind, rcpt, message_id, subject, state, attempts, next_at,"
	" last_error, created_at, sent_at, refused FROM outbox WHERE (?1 IS NULL OR state = ?1) AND id < ?2"
	" ORDER BY id DESC LIMIT ?3";
static const char CB_SQL_MAIL_THREAD[] =
	"SELECT message_id, direction, at FROM mail_messages WHERE ticket_id = ?1"
	" AND result NOT IN ('ignored', 'rate_limited', 'duplicate', 'bounced') ORDER BY id";
static const char CB_SQL_MAIL_OUT_INSERT[] =
	"INSERT INTO mail_messages(direction, message_id, ticket_id, event_id, from_addr, subject,"
	" result, at) VALUES ('out', ?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char CB_SQL_MAIL_PARTICIPANTS[] =
	"SELECT p.addr FROM mail_participants p LEFT JOIN users u ON u.email = p.addr"
	" WHERE p.ticket_id = ?1 AND (u.id IS NULL OR u.role = 'customer') ORDER BY p.addr";
static const char CB_SQL_TEMPLATE_GET[] =
	"SELECT subject, body, updated_at FROM mail_templates WHERE event = ?1";
static const char CB_SQL_TEMPLATE_PUT[] =
	"INSERT INTO mail_templates(event, subject, body, updated_by, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(event) DO UPDATE SET subject = excluded.subject,"
	" body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
static const char CB_SQL_TICKET_MAIL_INFO[] =
	"SELECT t.subject, t.status, t.priority, t.created_at, u.email, u.name, t.account_id"
	" FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.id = ?1";
static const char CB_SQL_USER_NAME[] = "SELECT name, email FROM users WHERE id = ?1";

#endif
