/* sql_sla_config.h - statements of the SLA configuration (calendars and
 * policies, app/sla_config.c). The job queue's are in sql_jobs.h. */
#ifndef CB_SQL_SLA_CONFIG_H
#define CB_SQL_SLA_CONFIG_H

/* ---- calendars ---- */

#define CB_SQL_CAL_COLS "id, name, timezone, hours, holidays, created_at, updated_at"

static const char CB_SQL_CAL_GET[] =
	"SELECT " CB_SQL_CAL_COLS " FROM calendars WHERE id = ?1";
static const char CB_SQL_CAL_BY_NAME[] = "SELECT id FROM calendars WHERE name = ?1";
static const char CB_SQL_CAL_LIST[] =
	"SELECT " CB_SQL_CAL_COLS " FROM calendars WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char CB_SQL_CAL_INSERT[] =
	"INSERT INTO calendars(name, timezone, hours, holidays, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
/* updated_at strictly increases: compiled calendars are cached by it */
static const char CB_SQL_CAL_UPDATE[] =
	"UPDATE calendars SET name = ?2, timezone = ?3, hours = ?4, holidays = ?5,"
	" updated_at = max(?6, updated_at + 1) WHERE id = ?1";
static const char CB_SQL_CAL_IN_USE[] =
	"SELECT 1 FROM sla_policies WHERE calendar_id = ?1 LIMIT 1";

/* ---- SLA policies ---- */

#define CB_SQL_POL_COLS \
	"id, name, position, conditions, calendar_id, targets, created_at, updated_at"

static const char CB_SQL_POL_GET[] =
	"SELECT " CB_SQL_POL_COLS " FROM sla_policies WHERE id = ?1";
static const char CB_SQL_POL_BY_NAME[] = "SELECT id FROM sla_policies WHERE name = ?1";
static const char CB_SQL_POL_BY_POSITION[] = "SELECT id FROM sla_policies WHERE position = ?1";
static const char CB_SQL_POL_NEXT_POSITION[] =
	"SELECT coalesce(max(position), 0) + 1 FROM sla_policies";
/* pages in position order; ?1 is the last position already returned */
static const char CB_SQL_POL_LIST[] =
	"SELECT " CB_SQL_POL_COLS " FROM sla_policies WHERE position > ?1"
	" ORDER BY position LIMIT ?2";
static const char CB_SQL_POL_INSERT[] =
	"INSERT INTO sla_policies(name, position, conditions, calendar_id, targets, created_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
static const char CB_SQL_POL_UPDATE[] =
	"UPDATE sla_policies SET name = ?2, position = ?3, conditions = ?4, calendar_id = ?5,"
	" targets = ?6, updated_at = max(?7, updated_at + 1) WHERE id = ?1";
static const char CB_SQL_CAL_NAME[] = "SELECT name FROM calendars WHERE id = ?1";

/* ---- re-fold ---- */

/* tickets whose clocks may still change, in id order after a cursor */
static const char CB_SQL_REFOLD_TICKETS[] =
	"SELECT id FROM tickets WHERE id > ?1 AND status NOT IN ('solved', 'closed')"
	" ORDER BY id LIMIT ?2";

#endif
