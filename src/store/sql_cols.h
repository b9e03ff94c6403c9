/* sql_cols.h - column lists and fragments shared by several statements of
 * the SQLite dialect (store/sql_sqlite.c); private to src/store/. */
#ifndef CB_STORE_SQL_COLS_H
#define CB_STORE_SQL_COLS_H

#include "store/sql_rollup.h"

#define CB_ARTICLE_COLS \
	"a.id, a.type, a.state, a.visibility, a.title, a.body, a.symptoms, a.cause, a.workaround," \
	" a.defect, a.tags, a.product_area, a.owner_id, a.review_by, a.version, a.created_by," \
	" a.created_at, a.updated_at, (SELECT email FROM users WHERE id = a.owner_id)"

/* ---- accounts ---- */
/* 0 id, 1 name, 2 tier, 3 domains (JSON text), 4 created_at, 5 updated_at */
#define CB_SQL_DIR_ACCOUNT_COLS "a.id, a.name, a.tier, a.domains, a.created_at, a.updated_at"

/* ---- users ---- */
/* 0 id, 1 email, 2 name, 3 role, 4 account_id, 5 account name, 6 account
 * tier, 7 active, 8 created_at, 9 updated_at */
#define CB_SQL_DIR_USER_COLS \
	"u.id, u.email, u.name, u.role, u.account_id, a.name, a.tier, u.active," \
	" u.created_at, u.updated_at"

/* ---- groups ---- */
/* 0 id, 1 name, 2 description, 3 created_at, 4 updated_at */
#define CB_SQL_DIR_GROUP_COLS "g.id, g.name, g.description, g.created_at, g.updated_at"

/* ---- escalations ---- */
#define CB_ESC_COLS \
	"e.id, e.ticket_id, e.group_id, e.status, e.package, e.score, e.question, e.answer," \
	" e.resolution, e.history, e.imported, e.created_by, e.created_at, e.updated_at," \
	" e.acknowledged_at, e.decided_at, e.resolved_at"

/* ---- defects ---- */
#define CB_DEFECT_COLS \
	"d.id, d.tracker, d.key, d.url, d.title, d.status, d.fixed_at, d.created_by, d.created_at," \
	" d.updated_at, (SELECT count(*) FROM defect_links l WHERE l.defect_id = d.id)"

/* ---- problems ---- */
#define CB_PROBLEM_COLS \
	"p.id, p.title, p.description, p.status, p.category, p.root_cause, p.workaround," \
	" p.article_id, p.created_by, p.created_at, p.updated_at, p.resolved_at," \
	" (SELECT count(*) FROM problem_links l WHERE l.problem_id = p.id)"

/* ---- incidents ---- */
#define CB_INCIDENT_COLS \
	"id, title, description, severity, status, public, commander_id, tech_lead_id," \
	" comms_lead_id, cadence_min, started_at, last_public_update_at, next_update_due," \
	" overdue_fired_due, resolved_at, created_by, created_at, updated_at"

#define CB_ACTION_COLS \
	"id, incident_id, type, title, owner_id, due_date, status, created_at, updated_at, done_at"

#define CB_SQL_KPI_COLUMNS \
	"SELECT kind, ticket_id, seq, at, until, v1, v2, flag, priority, account_id, category," \
	" group_id, assignee_id FROM kpi_facts"

/* The same range reading only the key column a grouping needs (the others
 * read as NULL): fewer columns decoded per row. Index: app/report/report.c G_*. */
#define CB_SQL_KPI_RANGE_KEYS(acc, cat, grp, asg)                                              \
	"SELECT kind, ticket_id, seq, at, NULL, v1, v2, flag, priority, " acc ", " cat ", " grp \
	", " asg " FROM kpi_facts WHERE kind = ?1 AND span = 0 AND at >= ?2 AND at < ?3"

/* The columns a fact of any kind but reopens and backlog contributes, and
 * the key column a grouping needs (NULL when ungrouped). */
#define CB_SQL_KPI_VALUES(key) \
	"SELECT at, v1, v2, flag, " key " FROM kpi_facts WHERE kind = ?1 AND span = 0" \
	" AND at >= ?2 AND at < ?3"

/* ---- calendars ---- */
#define CB_SQL_CAL_COLS "id, name, timezone, hours, holidays, created_at, updated_at"

/* ---- SLA policies ---- */
#define CB_SQL_POL_COLS \
	"id, name, position, conditions, calendar_id, targets, created_at, updated_at"

#define CB_TICKET_COLS \
	"id, external_id, subject, description, status, priority, category, tags," \
	" account_id, requester_id, assignee_id, group_id, environment, custom_fields," \
	" followup_of, created_at, updated_at, solved_at, closed_at, reopen_count, nevents"

#define CB_VIEW_COLS "id, name, owner_id, base, filters, sort, created_at, updated_at"

#endif
