/* sql_report.h - statements of the reports (app/report.c). */
#ifndef CB_SQL_REPORT_H
#define CB_SQL_REPORT_H
#include "store/sql_rollup.h"

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
/* The same range reading only the key column a grouping needs (the others
 * read as NULL): fewer columns decoded per row. Index: app/report.c G_*. */
#define CB_SQL_KPI_RANGE_KEYS(acc, cat, grp, asg)                                              \
	"SELECT kind, ticket_id, seq, at, NULL, v1, v2, flag, priority, " acc ", " cat ", " grp \
	", " asg " FROM kpi_facts WHERE kind = ?1 AND span = 0 AND at >= ?2 AND at < ?3"
static const char CB_SQL_KPI_RANGE_NONE[] = CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "NULL", "NULL");
static const char CB_SQL_KPI_RANGE_ACCOUNT[] =
	CB_SQL_KPI_RANGE_KEYS("account_id", "NULL", "NULL", "NULL");
static const char CB_SQL_KPI_RANGE_CATEGORY[] =
	CB_SQL_KPI_RANGE_KEYS("NULL", "category", "NULL", "NULL");
static const char CB_SQL_KPI_RANGE_GROUP[] =
	CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "group_id", "NULL");
static const char CB_SQL_KPI_RANGE_ASSIGNEE[] =
	CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "NULL", "assignee_id");
/* The columns a fact of any kind but reopens and backlog contributes, and
 * the key column a grouping needs (NULL when ungrouped). */
#define CB_SQL_KPI_VALUES(key) \
	"SELECT at, v1, v2, flag, " key " FROM kpi_facts WHERE kind = ?1 AND span = 0" \
	" AND at >= ?2 AND at < ?3"
static const char CB_SQL_KPI_VALUES_NONE[] = CB_SQL_KPI_VALUES("NULL");
static const char CB_SQL_KPI_VALUES_PRIORITY[] = CB_SQL_KPI_VALUES("priority");
static const char CB_SQL_KPI_VALUES_ACCOUNT[] = CB_SQL_KPI_VALUES("account_id");
static const char CB_SQL_KPI_VALUES_CATEGORY[] = CB_SQL_KPI_VALUES("category");
static const char CB_SQL_KPI_VALUES_GROUP[] = CB_SQL_KPI_VALUES("group_id");
static const char CB_SQL_KPI_VALUES_ASSIGNEE[] = CB_SQL_KPI_VALUES("assignee_id");
/* Backlog segments (kind 13) of span ?1 started in [?2, ?3) and ending at or
 * after ?4: for the ends e1 <= .. <= en of a report, ?2 = e1 - 2^span,
 * ?3 = en, ?4 = e1 (migration 007). */
static const char CB_SQL_KPI_BACKLOG[] =
	CB_SQL_KPI_COLUMNS " WHERE kind = 13 AND span = ?1 AND at >= ?2 AND at < ?3 AND until >= ?4";
/* Rollups (migration 010): the old facts of a ticket that are summed into
 * them, the upsert of a delta and the removal of a row that no fact is
 * left in. */
static const char CB_SQL_KPI_OLD_ROLLED[] =
	"SELECT kind, at, v1, flag, priority, account_id, category, group_id, assignee_id"
	" FROM kpi_facts WHERE ticket_id = ?1 AND span = 0 AND kind IN (1, 4, 7, 8, 9, 10, 11, 12)";
static const char CB_SQL_ROLLUP_UPSERT[] =
	"INSERT INTO kpi_rollup VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	" ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) ON CONFLICT (dim, hour, key) DO UPDATE SET"
	" n = n + excluded.n, created = created + excluded.created,"
	" escalated = escalated + excluded.escalated, solved1 = solved1 + excluded.solved1,"
	" reopened1 = reopened1 + excluded.reopened1, decided = decided + excluded.decided,"
	" accepted = accepted + excluded.accepted, csat_n = csat_n + excluded.csat_n,"
	" csat_sum = csat_sum + excluded.csat_sum, csat_pos = csat_pos + excluded.csat_pos,"
	" ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum,"
	" fr_met = fr_met + excluded.fr_met, fr_breached = fr_breached + excluded.fr_breached,"
	" fr_due = fr_due + excluded.fr_due, nu_met = nu_met + excluded.nu_met,"
	" nu_breached = nu_breached + excluded.nu_breached, nu_due = nu_due + excluded.nu_due,"
	" res_met = res_met + excluded.res_met, res_breached = res_breached + excluded.res_breached,"
	" res_due = res_due + excluded.res_due";
static const char CB_SQL_ROLLUP_PRUNE[] =
	"DELETE FROM kpi_rollup WHERE dim = ?1 AND hour = ?2 AND key = ?3 AND n = 0";
/* The rollup rows of dimension ?1 for the hours in [?2, ?3). */
static const char CB_SQL_ROLLUP_RANGE[] =
	"SELECT hour, key, typeof(key) = 'text', n, created, escalated, solved1, reopened1, decided, accepted, csat_n,"
	" csat_sum, csat_pos, ces_n, ces_sum, fr_met, fr_breached, fr_due, nu_met, nu_breached,"
	" nu_due, res_met, res_breached, res_due FROM kpi_rollup"
	" WHERE dim = ?1 AND hour >= ?2 AND hour < ?3";
/* Tier history (migration 010): an account's tiers by the instant they
 * start; the changes (every row after an account's first) in [?1, ?2). */
static const char CB_SQL_TIER_HISTORY[] =
	"SELECT from_at, tier FROM account_tiers WHERE account_id = ?1 ORDER BY from_at";
static const char CB_SQL_TIER_CHANGES[] =
	"SELECT a.from_at FROM account_tiers a WHERE a.from_at >= ?1 AND a.from_at < ?2"
	" AND a.from_at > (SELECT min(b.from_at) FROM account_tiers b"
	" WHERE b.account_id = a.account_id)";
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
static const char CB_SQL_REPORT_TICKET_COUNT[] = "SELECT count(*) FROM tickets";

/* Survey responses of a ticket, oldest first. */
static const char CB_SQL_SURVEY_RESPONSES[] =
	"SELECT at FROM events WHERE ticket_id = ?1 AND type = ?2 ORDER BY seq";

#endif
