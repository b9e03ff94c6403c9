/* sql_sla.h - statements of the SLA engine. */
#ifndef CB_SQL_SLA_H
#define CB_SQL_SLA_H

static const char CB_SQL_SLA_POLICIES[] =
	"SELECT id, name, position, conditions, calendar_id, targets FROM sla_policies"
	" ORDER BY position";
static const char CB_SQL_SLA_CONFIG_VERSION[] =
	"SELECT coalesce((SELECT max(updated_at) FROM sla_policies), 0),"
	" (SELECT count(*) FROM sla_policies),"
	" coalesce((SELECT max(updated_at) FROM calendars), 0),"
	" coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'sla_config_seq'), 0)";
/* Every configuration write bumps the sequence, so cached configurations
 * are never stale even for two changes within one millisecond. */
static const char CB_SQL_SLA_CONFIG_BUMP[] =
	"INSERT INTO settings(key, value) VALUES ('sla_config_seq', '1') ON CONFLICT(key) DO UPDATE"
	" SET value = printf('%d', CAST(value AS INTEGER) + 1)";
static const char CB_SQL_SLA_CALENDAR[] =
	"SELECT id, name, timezone, hours, holidays, updated_at FROM calendars WHERE id = ?1";
static const char CB_SQL_SLA_ACCOUNT_TIER[] = "SELECT tier FROM accounts WHERE id = ?1";
/* The tiers of accounts ?1 (a JSON array of ids): id, tier. */
static const char CB_SQL_SLA_ACCOUNT_TIERS[] =
	"SELECT id, tier FROM accounts WHERE id IN (SELECT value FROM json_each(?1))";
static const char CB_SQL_SLA_EVENTS[] =
	"SELECT type, at, actor_id, data FROM events WHERE ticket_id = ?1 ORDER BY seq";
/* The events of a page of tickets (?1 a JSON array of ticket ids). */
static const char CB_SQL_SLA_EVENTS_PAGE[] =
	"SELECT ticket_id, type, at, actor_id, data FROM events"
	" WHERE ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY ticket_id, seq";
static const char CB_SQL_SLA_UPSERT[] =
	"INSERT INTO ticket_sla(ticket_id, policy_id, open, next_due_at, at_risk_at, breached, updated_at,"
	" urgency_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(ticket_id) DO UPDATE SET"
	" policy_id = excluded.policy_id, open = excluded.open, next_due_at = excluded.next_due_at,"
	" at_risk_at = excluded.at_risk_at, breached = excluded.breached, updated_at = excluded.updated_at,"
	" urgency_at = excluded.urgency_at";
static const char CB_SQL_SLA_INST_DELETE[] = "DELETE FROM sla_instances WHERE ticket_id = ?1";
static const char CB_SQL_SLA_INST_INSERT[] =
	"INSERT INTO sla_instances(ticket_id, clock, instance, policy_id, target_ms, state,"
	" elapsed_ms, started_at, breached_at, settled_at, due_at, at_risk_at, live)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char CB_SQL_SLA_JOBS_DELETE[] =
	"DELETE FROM jobs WHERE ticket_id = ?1 AND kind IN ('sla.at_risk', 'sla.breached')";
static const char CB_SQL_SLA_JOB_INSERT[] =
	"INSERT OR REPLACE INTO jobs(due_at, kind, ticket_id, clock, instance) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char CB_SQL_SLA_FIRED_INSERT[] =
	"INSERT OR IGNORE INTO sla_fired(ticket_id, clock, instance, kind) VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_SLA_POLICY_NAME[] = "SELECT name FROM sla_policies WHERE id = ?1";

#endif
