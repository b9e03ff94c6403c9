/* sql_views.h - saved views. */
#ifndef CB_SQL_VIEWS_H
#define CB_SQL_VIEWS_H

#define CB_VIEW_COLS "id, name, owner_id, base, filters, sort, created_at, updated_at"
static const char CB_SQL_VIEW_INSERT[] =
	"INSERT INTO saved_views(name, owner_id, base, filters, sort, created_by, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
static const char CB_SQL_VIEW_GET[] = "SELECT " CB_VIEW_COLS " FROM saved_views WHERE id = ?1";
/* by name: the caller's own view first, then a shared one */
static const char CB_SQL_VIEW_BY_NAME[] =
	"SELECT " CB_VIEW_COLS " FROM saved_views WHERE name = ?1 COLLATE NOCASE"
	" AND (owner_id = ?2 OR owner_id IS NULL) ORDER BY owner_id IS NULL LIMIT 1";
static const char CB_SQL_VIEW_LIST[] =
	"SELECT " CB_VIEW_COLS " FROM saved_views WHERE owner_id = ?1 OR owner_id IS NULL"
	" ORDER BY owner_id IS NULL, name COLLATE NOCASE";
static const char CB_SQL_VIEW_UPDATE[] =
	"UPDATE saved_views SET name = ?2, owner_id = ?3, base = ?4, filters = ?5, sort = ?6,"
	" updated_at = ?7 WHERE id = ?1";
static const char CB_SQL_VIEW_DELETE[] = "DELETE FROM saved_views WHERE id = ?1";

#endif
