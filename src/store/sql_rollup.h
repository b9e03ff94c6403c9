/* sql_rollup.h - the SQL that derives kpi_rollup from kpi_facts (migration
 * 010 runs it once; `casebook report rebuild --rollups` and the end of
 * `report rebuild` run it again). Migration 010 embeds this text: never
 * change its meaning; a new layout needs a new migration and a new macro. */
#ifndef CB_SQL_ROLLUP_H
#define CB_SQL_ROLLUP_H

/* The UTC hour of an instant (floor, also before 1970). */
#define CB_ROLLUP_HOUR "at - (at % 3600000 + 3600000) % 3600000"
/* The counters of a set of facts, in the column order of kpi_rollup. Kinds:
 * 1 created, 4 first solve, 7 escalation decision, 8 CSAT, 9 CES, 10-12 SLA
 * instances (flag 0 met, 1 breached, 2 due; core/kpi.h). */
#define CB_ROLLUP_SUMS                                                                          \
	"count(*), sum(kind = 1), sum(kind = 1 AND flag <> 0), sum(kind = 4),"                  \
	" sum(kind = 4 AND flag <> 0), sum(kind = 7), sum(kind = 7 AND flag <> 0),"             \
	" sum(kind = 8), sum(CASE WHEN kind = 8 THEN v1 ELSE 0 END), sum(kind = 8 AND v1 >= 4)," \
	" sum(kind = 9), sum(CASE WHEN kind = 9 THEN v1 ELSE 0 END),"                           \
	" sum(kind = 10 AND flag = 0), sum(kind = 10 AND flag = 1), sum(kind = 10 AND flag = 2)," \
	" sum(kind = 11 AND flag = 0), sum(kind = 11 AND flag = 1), sum(kind = 11 AND flag = 2)," \
	" sum(kind = 12 AND flag = 0), sum(kind = 12 AND flag = 1), sum(kind = 12 AND flag = 2)"
#define CB_ROLLUP_DIM(dim, key)                                                              \
	"INSERT INTO kpi_rollup SELECT " #dim ", " CB_ROLLUP_HOUR " AS h, " key " AS k, "     \
	CB_ROLLUP_SUMS " FROM kpi_facts WHERE kind IN (1, 4, 7, 8, 9, 10, 11, 12) AND span = 0" \
	" GROUP BY h, k;"
/* Dimensions: 1 priority, 2 account, 3 category, 4 group, 5 assignee (0 = none). */
#define CB_SQL_ROLLUP_DERIVE                                       \
	"DELETE FROM kpi_rollup;"                                  \
	CB_ROLLUP_DIM(1, "priority")                               \
	CB_ROLLUP_DIM(2, "coalesce(account_id, 0)")                \
	CB_ROLLUP_DIM(3, "coalesce(category, 0)")                  \
	CB_ROLLUP_DIM(4, "coalesce(group_id, 0)")                  \
	CB_ROLLUP_DIM(5, "coalesce(assignee_id, 0)")

#endif
