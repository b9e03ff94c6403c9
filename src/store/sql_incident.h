/* sql_incident.h - major incidents, components, the status page and
 * post-incident reviews (migration 013). */
#ifndef CB_SQL_INCIDENT_H
#define CB_SQL_INCIDENT_H

/* ---- incidents ---- */

#define CB_INCIDENT_COLS \
	"id, title, description, severity, status, public, commander_id, tech_lead_id," \
	" comms_lead_id, cadence_min, started_at, last_public_update_at, next_update_due," \
	" overdue_fired_due, resolved_at, created_by, created_at, updated_at"
static const char CB_SQL_INCIDENT_GET[] = "SELECT " CB_INCIDENT_COLS " FROM incidents WHERE id = ?1";
static const char CB_SQL_INCIDENT_INSERT[] =
	"INSERT INTO incidents(title, description, severity, status, public, commander_id,"
	" tech_lead_id, comms_lead_id, cadence_min, started_at, last_public_update_at,"
	" next_update_due, overdue_fired_due, resolved_at, created_by, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)";
static const char CB_SQL_INCIDENT_UPDATE[] =
	"UPDATE incidents SET title = ?2, description = ?3, severity = ?4, status = ?5, public = ?6,"
	" commander_id = ?7, tech_lead_id = ?8, comms_lead_id = ?9, cadence_min = ?10,"
	" started_at = ?11, last_public_update_at = ?12, next_update_due = ?13,"
	" overdue_fired_due = ?14, resolved_at = ?15, updated_at = ?16 WHERE id = ?1";
/* newest first after a cursor; ?2 status or NULL, ?3 severity or NULL,
 * ?4 1 = active only, 0 = resolved only, NULL = both */
static const char CB_SQL_INCIDENT_LIST[] =
	"SELECT id FROM incidents WHERE id < ?1 AND (?2 IS NULL OR status = ?2)"
	" AND (?3 IS NULL OR severity = ?3)"
	" AND (?4 IS NULL OR (status != 'resolved') = ?4) ORDER BY id DESC LIMIT ?5";
/* active incidents following the severity default cadence */
static const char CB_SQL_INCIDENT_ACTIVE_DEFAULT_CADENCE[] =
	"SELECT id FROM incidents WHERE status != 'resolved' AND cadence_min IS NULL ORDER BY id";

static const char CB_SQL_INCIDENT_EVENT_INSERT[] =
	"INSERT INTO incident_events(incident_id, at, actor_id, kind, public, data)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char CB_SQL_INCIDENT_EVENTS[] =
	"SELECT e.id, e.at, e.actor_id, e.kind, e.public, e.data FROM incident_events e"
	" WHERE e.incident_id = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3";

static const char CB_SQL_INCIDENT_COMPONENTS[] =
	"SELECT c.id, c.name, c.state FROM incident_components ic JOIN components c"
	" ON c.id = ic.component_id WHERE ic.incident_id = ?1 ORDER BY c.position, c.id";
static const char CB_SQL_INCIDENT_COMPONENTS_CLEAR[] =
	"DELETE FROM incident_components WHERE incident_id = ?1";
static const char CB_SQL_INCIDENT_COMPONENT_ADD[] =
	"INSERT OR IGNORE INTO incident_components(incident_id, component_id) VALUES (?1, ?2)";
static const char CB_SQL_INCIDENT_ACCOUNTS[] =
	"SELECT account_id FROM incident_accounts WHERE incident_id = ?1 ORDER BY account_id";
static const char CB_SQL_INCIDENT_ACCOUNTS_CLEAR[] =
	"DELETE FROM incident_accounts WHERE incident_id = ?1";
static const char CB_SQL_INCIDENT_ACCOUNT_ADD[] =
	"INSERT OR IGNORE INTO incident_accounts(incident_id, account_id) VALUES (?1, ?2)";
static const char CB_SQL_INCIDENT_TICKETS[] =
	"SELECT ticket_id FROM incident_tickets WHERE incident_id = ?1 ORDER BY ticket_id";
static const char CB_SQL_INCIDENT_TICKET_ADD[] =
	"INSERT OR IGNORE INTO incident_tickets(incident_id, ticket_id, linked_at, linked_by)"
	" VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_INCIDENT_TICKET_STATUS[] = "SELECT status FROM tickets WHERE id = ?1";
static const char CB_SQL_INCIDENT_TICKET_REMOVE[] =
	"DELETE FROM incident_tickets WHERE incident_id = ?1 AND ticket_id = ?2";

/* components affected by incident ?1 that no other active incident affects */
static const char CB_SQL_INCIDENT_COMPONENTS_TO_RESTORE[] =
	"SELECT c.id, c.name, c.state FROM incident_components ic JOIN components c"
	" ON c.id = ic.component_id WHERE ic.incident_id = ?1 AND c.state != 'operational'"
	" AND NOT EXISTS (SELECT 1 FROM incident_components o JOIN incidents i ON i.id = o.incident_id"
	"   WHERE o.component_id = c.id AND o.incident_id != ?1 AND i.status != 'resolved')"
	" ORDER BY c.id";

/* the job of an incident's update deadline (instance = incident id) */
static const char CB_SQL_INCIDENT_JOB_CLEAR[] =
	"DELETE FROM jobs WHERE kind = 'incident.update_due' AND instance = ?1";
static const char CB_SQL_INCIDENT_JOB_INSERT[] =
	"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance)"
	" VALUES (?2, 'incident.update_due', NULL, 'incident', ?1)";

static const char CB_SQL_INCIDENT_USER_ROLE[] = "SELECT role FROM users WHERE id = ?1";

static const char CB_SQL_INCIDENT_SETTING_GET[] = "SELECT value FROM settings WHERE key = ?1";
static const char CB_SQL_INCIDENT_SETTING_PUT[] =
	"INSERT INTO settings(key, value) VALUES (?1, ?2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value";

/* ---- components ---- */

static const char CB_SQL_COMPONENT_COLS_GET[] =
	"SELECT id, name, description, position, state, created_at, updated_at FROM components"
	" WHERE id = ?1";
static const char CB_SQL_COMPONENT_BY_ID[] = "SELECT id FROM components WHERE id = ?1";
static const char CB_SQL_COMPONENT_BY_NAME[] = "SELECT id FROM components WHERE name = ?1";
static const char CB_SQL_COMPONENT_LIST[] =
	"SELECT id, name, description, position, state, created_at, updated_at FROM components"
	" ORDER BY position, id";
static const char CB_SQL_COMPONENT_INSERT[] =
	"INSERT INTO components(name, description, position, state, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
static const char CB_SQL_COMPONENT_UPDATE[] =
	"UPDATE components SET name = ?2, description = ?3, position = ?4, state = ?5,"
	" updated_at = ?6 WHERE id = ?1";
static const char CB_SQL_COMPONENT_SET_STATE[] =
	"UPDATE components SET state = ?2, updated_at = ?3 WHERE id = ?1";

/* ---- status page ---- */

/* public incidents: active ones, and those resolved at or after ?1 */
static const char CB_SQL_STATUS_INCIDENTS[] =
	"SELECT id, title, severity, status, started_at, resolved_at, updated_at FROM incidents"
	" WHERE public = 1 AND (status != 'resolved' OR resolved_at >= ?1)"
	" ORDER BY (status = 'resolved'), started_at DESC, id DESC LIMIT 200";
static const char CB_SQL_STATUS_UPDATES[] =
	"SELECT id, at, data FROM incident_events WHERE incident_id = ?1 AND kind = 'update'"
	" AND public = 1 ORDER BY at DESC, id DESC";
/* the newest public updates of public incidents (the Atom feed) */
static const char CB_SQL_STATUS_FEED[] =
	"SELECT e.id, e.at, e.data, i.id, i.title, i.severity FROM incident_events e"
	" JOIN incidents i ON i.id = e.incident_id WHERE e.public = 1 AND e.kind = 'update'"
	" AND i.public = 1 ORDER BY e.at DESC, e.id DESC LIMIT 50";
static const char CB_SQL_STATUS_FEED_UUID[] =
	"SELECT value FROM settings WHERE key = 'status.feed_uuid'";

/* ---- post-incident reviews ---- */

static const char CB_SQL_REVIEW_GET[] =
	"SELECT summary, customer_impact, timeline, contributing_factors, updated_by, created_at,"
	" updated_at FROM incident_reviews WHERE incident_id = ?1";
static const char CB_SQL_REVIEW_PUT[] =
	"INSERT INTO incident_reviews(incident_id, summary, customer_impact, timeline,"
	" contributing_factors, updated_by, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(incident_id) DO UPDATE SET"
	" summary = excluded.summary, customer_impact = excluded.customer_impact,"
	" timeline = excluded.timeline, contributing_factors = excluded.contributing_factors,"
	" updated_by = excluded.updated_by, updated_at = excluded.updated_at";
#define CB_ACTION_COLS \
	"id, incident_id, type, title, owner_id, due_date, status, created_at, updated_at, done_at"
static const char CB_SQL_ACTION_GET[] = "SELECT " CB_ACTION_COLS " FROM review_actions WHERE id = ?1";
static const char CB_SQL_ACTION_INSERT[] =
	"INSERT INTO review_actions(incident_id, type, title, owner_id, due_date, status, created_at,"
	" updated_at, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)";
static const char CB_SQL_ACTION_UPDATE[] =
	"UPDATE review_actions SET type = ?2, title = ?3, owner_id = ?4, due_date = ?5, status = ?6,"
	" updated_at = ?7, done_at = ?8 WHERE id = ?1";
static const char CB_SQL_ACTIONS_OF_INCIDENT[] =
	"SELECT " CB_ACTION_COLS " FROM review_actions WHERE incident_id = ?1 ORDER BY id";
/* every action, by due date (undated last), then id; offset paging:
 * ?1 status or NULL, ?2 incident or NULL, ?3 overdue before this date or
 * NULL, ?4 owner or NULL, ?5 limit, ?6 offset */
static const char CB_SQL_ACTIONS_LIST[] =
	"SELECT " CB_ACTION_COLS " FROM review_actions WHERE (?1 IS NULL OR status = ?1)"
	" AND (?2 IS NULL OR incident_id = ?2)"
	" AND (?3 IS NULL OR (status != 'done' AND due_date IS NOT NULL AND due_date < ?3))"
	" AND (?4 IS NULL OR owner_id = ?4)"
	" ORDER BY due_date IS NULL, due_date, id LIMIT ?5 OFFSET ?6";

#endif
