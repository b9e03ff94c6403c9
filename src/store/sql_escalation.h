/* sql_escalation.h - escalations, group escalation settings, defects and
 * problems with their ticket links (migration 012). */
#ifndef CB_SQL_ESCALATION_H
#define CB_SQL_ESCALATION_H

/* ---- escalations ---- */
#define CB_ESC_COLS \
	"e.id, e.ticket_id, e.group_id, e.status, e.package, e.score, e.question, e.answer," \
	" e.resolution, e.history, e.imported, e.created_by, e.created_at, e.updated_at," \
	" e.acknowledged_at, e.decided_at, e.resolved_at"
static const char CB_SQL_ESC_GET[] = "SELECT " CB_ESC_COLS " FROM escalations e WHERE e.id = ?1";
static const char CB_SQL_ESC_INSERT[] =
	"INSERT INTO escalations(ticket_id, group_id, status, package, score, history, imported,"
	" created_by, created_at, updated_at) VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char CB_SQL_ESC_UPDATE[] =
	"UPDATE escalations SET status = ?2, package = ?3, score = ?4, question = ?5, answer = ?6,"
	" resolution = ?7, history = ?8, updated_at = ?9, acknowledged_at = ?10, decided_at = ?11,"
	" resolved_at = ?12 WHERE id = ?1";
static const char CB_SQL_ESC_OF_TICKET[] =
	"SELECT " CB_ESC_COLS " FROM escalations e WHERE e.ticket_id = ?1 ORDER BY e.id";
static const char CB_SQL_ESC_LATEST_OF_TICKET[] =
	"SELECT id FROM escalations WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1";
/* the queue: ?1 group (0 any), ?2 status mask (bit per status index),
 * unacknowledged first, oldest first; ?3 limit, ?4 offset */
static const char CB_SQL_ESC_QUEUE[] =
	"SELECT " CB_ESC_COLS " FROM escalations e"
	" WHERE (?1 = 0 OR e.group_id = ?1)"
	" AND ((?2 >> CASE e.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1"
	" WHEN 'accepted' THEN 2 WHEN 'returned' THEN 3 ELSE 4 END) & 1) = 1"
	" ORDER BY e.status <> 'open', e.created_at, e.id LIMIT ?3 OFFSET ?4";
static const char CB_SQL_ESC_MIN_GET[] =
	"SELECT min_score FROM escalation_settings WHERE group_id = ?1";
static const char CB_SQL_ESC_MIN_SET[] =
	"INSERT INTO escalation_settings(group_id, min_score) VALUES (?1, ?2)"
	" ON CONFLICT(group_id) DO UPDATE SET min_score = excluded.min_score";
static const char CB_SQL_ESC_TICKET_INFO[] =
	"SELECT subject, status FROM tickets WHERE id = ?1";

/* ---- defects ---- */
#define CB_DEFECT_COLS \
	"d.id, d.tracker, d.key, d.url, d.title, d.status, d.fixed_at, d.created_by, d.created_at," \
	" d.updated_at, (SELECT count(*) FROM defect_links l WHERE l.defect_id = d.id)"
static const char CB_SQL_DEFECT_GET[] = "SELECT " CB_DEFECT_COLS " FROM defects d WHERE d.id = ?1";
static const char CB_SQL_DEFECT_BY_KEY[] =
	"SELECT id FROM defects WHERE tracker = ?1 AND key = ?2";
static const char CB_SQL_DEFECT_INSERT[] =
	"INSERT INTO defects(tracker, key, url, title, status, fixed_at, created_by, created_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char CB_SQL_DEFECT_UPDATE[] =
	"UPDATE defects SET url = ?2, title = ?3, status = ?4, fixed_at = ?5, updated_at = ?6"
	" WHERE id = ?1";
/* ?1 status ('' any), ?2 tracker ('' any), ?3 after id, ?4 limit */
static const char CB_SQL_DEFECT_LIST[] =
	"SELECT " CB_DEFECT_COLS " FROM defects d WHERE (?1 = '' OR d.status = ?1)"
	" AND (?2 = '' OR d.tracker = ?2) AND d.id > ?3 ORDER BY d.id LIMIT ?4";
static const char CB_SQL_DEFECT_LINK[] =
	"INSERT INTO defect_links(defect_id, ticket_id, linked_by, linked_at) VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_DEFECT_UNLINK[] =
	"DELETE FROM defect_links WHERE defect_id = ?1 AND ticket_id = ?2";
/* linked tickets with what the impact rule needs */
static const char CB_SQL_DEFECT_TICKETS[] =
	"SELECT t.id, t.subject, t.status, t.priority, t.account_id, a.name, a.tier, l.linked_at"
	" FROM defect_links l JOIN tickets t ON t.id = l.ticket_id"
	" LEFT JOIN accounts a ON a.id = t.account_id WHERE l.defect_id = ?1";
static const char CB_SQL_DEFECT_OPEN_TICKETS[] =
	"SELECT t.id FROM defect_links l JOIN tickets t ON t.id = l.ticket_id"
	" WHERE l.defect_id = ?1 AND t.status NOT IN ('solved','closed') ORDER BY t.id";
static const char CB_SQL_DEFECTS_OF_TICKET[] =
	"SELECT " CB_DEFECT_COLS ", l.linked_at FROM defect_links l JOIN defects d ON d.id = l.defect_id"
	" WHERE l.ticket_id = ?1 ORDER BY l.linked_at, d.id";
/* open tickets linked to a fixed defect, earliest fix first; ?1 limit, ?2 offset */
static const char CB_SQL_FIX_AVAILABLE[] =
	"SELECT t.id, min(d.fixed_at) AS f FROM defect_links l JOIN defects d ON d.id = l.defect_id"
	" JOIN tickets t ON t.id = l.ticket_id WHERE d.status = 'fixed'"
	" AND t.status NOT IN ('solved','closed') GROUP BY t.id ORDER BY f, t.id LIMIT ?1 OFFSET ?2";
static const char CB_SQL_FIXED_DEFECTS_OF_TICKET[] =
	"SELECT d.id, d.tracker, d.key, d.url, d.title, d.fixed_at FROM defect_links l"
	" JOIN defects d ON d.id = l.defect_id WHERE l.ticket_id = ?1 AND d.status = 'fixed'"
	" ORDER BY d.fixed_at, d.id";
/* The same for a page of tickets (?1 a JSON array of ids), ticket id first. */
static const char CB_SQL_FIXED_DEFECTS_OF_TICKETS[] =
	"SELECT l.ticket_id, d.id, d.tracker, d.key, d.url, d.title, d.fixed_at FROM defect_links l"
	" JOIN defects d ON d.id = l.defect_id"
	" WHERE l.ticket_id IN (SELECT value FROM json_each(?1)) AND d.status = 'fixed'"
	" ORDER BY l.ticket_id, d.fixed_at, d.id";

/* ---- problems ---- */
#define CB_PROBLEM_COLS \
	"p.id, p.title, p.description, p.status, p.category, p.root_cause, p.workaround," \
	" p.article_id, p.created_by, p.created_at, p.updated_at, p.resolved_at," \
	" (SELECT count(*) FROM problem_links l WHERE l.problem_id = p.id)"
static const char CB_SQL_PROBLEM_GET[] = "SELECT " CB_PROBLEM_COLS " FROM problems p WHERE p.id = ?1";
static const char CB_SQL_PROBLEM_INSERT[] =
	"INSERT INTO problems(title, description, status, category, root_cause, workaround,"
	" article_id, created_by, created_at, updated_at, resolved_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)";
static const char CB_SQL_PROBLEM_UPDATE[] =
	"UPDATE problems SET title = ?2, description = ?3, status = ?4, category = ?5,"
	" root_cause = ?6, workaround = ?7, article_id = ?8, updated_at = ?9, resolved_at = ?10"
	" WHERE id = ?1";
/* ?1 status ('' any), ?2 category ('' any), ?3 after id, ?4 limit */
static const char CB_SQL_PROBLEM_LIST[] =
	"SELECT " CB_PROBLEM_COLS " FROM problems p WHERE (?1 = '' OR p.status = ?1)"
	" AND (?2 = '' OR p.category = ?2) AND p.id > ?3 ORDER BY p.id LIMIT ?4";
static const char CB_SQL_PROBLEM_LINK[] =
	"INSERT INTO problem_links(problem_id, ticket_id, linked_by, linked_at) VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_PROBLEM_UNLINK[] =
	"DELETE FROM problem_links WHERE problem_id = ?1 AND ticket_id = ?2";
static const char CB_SQL_PROBLEM_TICKETS[] =
	"SELECT t.id, t.subject, t.status, t.priority, t.category, l.linked_at FROM problem_links l"
	" JOIN tickets t ON t.id = l.ticket_id WHERE l.problem_id = ?1 ORDER BY l.linked_at, t.id";
static const char CB_SQL_PROBLEMS_OF_TICKET[] =
	"SELECT " CB_PROBLEM_COLS ", l.linked_at FROM problem_links l"
	" JOIN problems p ON p.id = l.problem_id WHERE l.ticket_id = ?1 ORDER BY l.linked_at, p.id";
static const char CB_SQL_PROBLEM_ARTICLE_TYPE[] = "SELECT type FROM articles WHERE id = ?1";
/* occurrences: `problem` link events in [?2, ?3) of tickets still linked,
 * with the ticket's category; ?1 problem (0 = every problem) */
static const char CB_SQL_PROBLEM_OCCURRENCES[] =
	"SELECT ev.at, t.category, CAST(json_extract(ev.data, '$.problem') AS INTEGER) AS pid"
	" FROM events ev JOIN tickets t ON t.id = ev.ticket_id"
	" WHERE ev.type = 'problem' AND ev.at >= ?2 AND ev.at < ?3"
	" AND json_extract(ev.data, '$.action') = 'linked'"
	" AND (?1 = 0 OR json_extract(ev.data, '$.problem') = ?1)"
	" AND EXISTS (SELECT 1 FROM problem_links l WHERE l.ticket_id = ev.ticket_id"
	"   AND l.problem_id = json_extract(ev.data, '$.problem'))"
	" ORDER BY ev.at";

#endif
