/* sql_report.h - statements of the reports (app/report.c). */
#ifndef CB_SQL_REPORT_H
#define CB_SQL_REPORT_H

static const char CB_SQL_KPI_DELETE[] = "DELETE FROM kpi_facts WHERE ticket_id = ?1";
static const char CB_SQL_KPI_INSERT[] =
	"INSERT INTO kpi_facts(kind, span, at, ticket_id, seq, until, v1, v2, flag, priority,"
	" account_id, category, group_id, assignee_id)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
#define CB_SQL_KPI_COLUMNS \
	"SELECT kind, ticket_id, seq, at, until, v1, v2, flag, priority, account_id, category," \
	" group_id, assignee_id FROM kpi_facts"
/* Facts of one kind whose KPI event is in [?2, ?3): one range of the key. */
static const char CB_SQL_KPI_RANGE[] =
	CB_SQL_KPI_COLUMNS " WHERE kind = ?1 AND span = 0 AND at >= ?2 AND at < ?3";
/* Backlog segments (kind 13) of span ?1 started in [?2, ?3) and ending at or
 * after ?4: for the ends e1 <= .. <= en of a report, ?2 = e1 - 2^span,
 * ?3 = en, ?4 = e1 (migration 007). */
static const char CB_SQL_KPI_BACKLOG[] =
	CB_SQL_KPI_COLUMNS " WHERE kind = 13 AND span = ?1 AND at >= ?2 AND at < ?3 AND until >= ?4";
static const char CB_SQL_REPORT_ACCOUNT[] = "SELECT name, tier FROM accounts WHERE id = ?1";
static const char CB_SQL_REPORT_GROUP[] = "SELECT name FROM groups WHERE id = ?1";
static const char CB_SQL_REPORT_USER[] = "SELECT email FROM users WHERE id = ?1";
static const char CB_SQL_REPORT_WEIGHTS[] =
	"SELECT value FROM settings WHERE key = 'report_weights'";

/* Queue health: open tickets per group with their SLA summary. */
static const char CB_SQL_REPORT_QUEUE[] =
	"SELECT t.group_id, s.next_due_at, s.at_risk_at, coalesce(s.breached, 0) FROM tickets t"
	" LEFT JOIN ticket_sla s ON s.ticket_id = t.id"
	" WHERE t.status IN ('new', 'open', 'pending', 'on_hold')";
/* Top drivers: tags of the tickets created in [?1, ?2). */
static const char CB_SQL_REPORT_TAGS[] =
	"SELECT g.tag, count(*) FROM tickets t JOIN ticket_tags g ON g.ticket_id = t.id"
	" WHERE t.created_at >= ?1 AND t.created_at < ?2 GROUP BY g.tag";
/* Top drivers: categories at creation (kind 1 = CB_KPI_CREATED). */
static const char CB_SQL_REPORT_CATEGORIES[] =
	"SELECT category, count(*) FROM kpi_facts WHERE kind = 1 AND span = 0 AND at >= ?1 AND at < ?2"
	" GROUP BY category";

/* /metrics */
static const char CB_SQL_REPORT_OPEN_TICKETS[] =
	"SELECT priority, status, count(*) FROM tickets"
	" WHERE status IN ('new', 'open', 'pending', 'on_hold') GROUP BY priority, status";
static const char CB_SQL_REPORT_LIVE_CLOCKS[] =
	"SELECT clock, state, due_at, at_risk_at FROM sla_instances WHERE live = 1";
static const char CB_SQL_REPORT_BREACHES[] =
	"SELECT clock, count(*) FROM sla_instances WHERE breached_at IS NOT NULL GROUP BY clock";

/* Rebuild: tickets in id order from ?1, ?2 at a time. */
static const char CB_SQL_REPORT_TICKET_IDS[] =
	"SELECT id FROM tickets WHERE id > ?1 ORDER BY id LIMIT ?2";

/* Survey responses of a ticket, oldest first. */
static const char CB_SQL_SURVEY_RESPONSES[] =
	"SELECT at FROM events WHERE ticket_id = ?1 AND type = ?2 ORDER BY seq";

#endif
