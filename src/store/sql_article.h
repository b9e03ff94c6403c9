/* sql_article.h - articles, their versions, links, votes, portal activity
 * and the search index (migration 009). */
#ifndef CB_SQL_ARTICLE_H
#define CB_SQL_ARTICLE_H

#define CB_ARTICLE_COLS \
	"a.id, a.type, a.state, a.visibility, a.title, a.body, a.symptoms, a.cause, a.workaround," \
	" a.defect, a.tags, a.product_area, a.owner_id, a.review_by, a.version, a.created_by," \
	" a.created_at, a.updated_at, (SELECT email FROM users WHERE id = a.owner_id)"
static const char CB_SQL_ARTICLE_GET[] = "SELECT " CB_ARTICLE_COLS " FROM articles a WHERE a.id = ?1";
static const char CB_SQL_ARTICLE_INSERT[] =
	"INSERT INTO articles(type, state, visibility, title, body, symptoms, cause, workaround, defect,"
	" tags, product_area, owner_id, review_by, version, created_by, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15, ?15)";
static const char CB_SQL_ARTICLE_UPDATE[] =
	"UPDATE articles SET type = ?2, state = ?3, visibility = ?4, title = ?5, body = ?6,"
	" symptoms = ?7, cause = ?8, workaround = ?9, defect = ?10, tags = ?11, product_area = ?12,"
	" owner_id = ?13, review_by = ?14, version = version + 1, updated_at = ?15 WHERE id = ?1";
static const char CB_SQL_ARTICLE_VERSION_INSERT[] =
	"INSERT INTO article_versions(article_id, version, author_id, at, data) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char CB_SQL_ARTICLE_VERSIONS[] =
	"SELECT v.version, v.author_id, u.email, v.at, v.data FROM article_versions v"
	" LEFT JOIN users u ON u.id = v.author_id WHERE v.article_id = ?1 AND v.version > ?2"
	" ORDER BY v.version LIMIT ?3";
static const char CB_SQL_ARTICLE_VERSION_GET[] =
	"SELECT data FROM article_versions WHERE article_id = ?1 AND version = ?2";
static const char CB_SQL_ARTICLE_KNOWN[] =
	"SELECT " CB_ARTICLE_COLS " FROM articles a WHERE a.type = 'known_error'"
	" AND a.state = 'published' AND a.visibility = 'public' ORDER BY a.updated_at DESC, a.id DESC";

static const char CB_SQL_ARTICLE_LINK[] =
	"INSERT OR IGNORE INTO article_links(ticket_id, article_id, user_id, at) VALUES (?1, ?2, ?3, ?4)";
static const char CB_SQL_ARTICLE_LINK_INFO[] =
	"SELECT title, type, visibility FROM articles WHERE id = ?1";
static const char CB_SQL_ARTICLE_LINKS_OF_TICKET[] =
	"SELECT l.article_id, a.title, l.user_id, u.email, l.at FROM article_links l"
	" JOIN articles a ON a.id = l.article_id LEFT JOIN users u ON u.id = l.user_id"
	" WHERE l.ticket_id = ?1 ORDER BY l.at, l.article_id";
static const char CB_SQL_ARTICLE_VOTE[] =
	"INSERT INTO article_votes(article_id, user_id, helpful, at) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT(article_id, user_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at";
static const char CB_SQL_KB_ACTIVITY[] =
	"INSERT INTO kb_activity(user_id, customer, kind, article_id, at) VALUES (?1, ?2, ?3, ?4, ?5)";

/* counts of one article: views, links, helpful, not helpful, versions,
 * deflections as of ?2 (a customer's view not followed within 24 h by a
 * ticket they requested) */
static const char CB_SQL_ARTICLE_STATS[] =
	"SELECT (SELECT count(*) FROM kb_activity WHERE article_id = ?1 AND kind = 'view'),"
	" (SELECT count(*) FROM article_links WHERE article_id = ?1),"
	" (SELECT count(*) FROM article_votes WHERE article_id = ?1 AND helpful = 1),"
	" (SELECT count(*) FROM article_votes WHERE article_id = ?1 AND helpful = 0),"
	" (SELECT count(*) FROM article_versions WHERE article_id = ?1),"
	" (SELECT count(*) FROM kb_activity k WHERE k.article_id = ?1 AND k.kind = 'view'"
	"   AND k.customer = 1 AND k.at + 86400000 <= ?2 AND NOT EXISTS (SELECT 1 FROM tickets t"
	"   WHERE t.requester_id = k.user_id AND t.created_at >= k.at AND t.created_at < k.at + 86400000))";
/* portal activity totals as of ?1: kind, all, deflected, pending */
static const char CB_SQL_KB_DEFLECTION[] =
	"SELECT k.kind, count(*),"
	" sum(k.at + 86400000 <= ?1 AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.requester_id = k.user_id"
	"   AND t.created_at >= k.at AND t.created_at < k.at + 86400000)),"
	" sum(k.at + 86400000 > ?1)"
	" FROM kb_activity k WHERE k.customer = 1 AND k.at >= ?2 AND k.at < ?3 GROUP BY k.kind ORDER BY k.kind";
/* knowledge contribution per author */
static const char CB_SQL_KB_AUTHORS[] =
	"SELECT v.author_id, u.email, count(*), count(DISTINCT v.article_id),"
	" (SELECT count(*) FROM articles a WHERE a.created_by = v.author_id),"
	" (SELECT count(*) FROM articles a WHERE a.created_by = v.author_id AND a.state = 'published')"
	" FROM article_versions v LEFT JOIN users u ON u.id = v.author_id"
	" WHERE v.at >= ?1 AND v.at < ?2 GROUP BY v.author_id ORDER BY count(*) DESC, v.author_id";

/* ---- search index (migration 011, app/search.c) ---- */
static const char CB_SQL_SEARCH_TICKET[] =
	"SELECT subject, description, status, account_id FROM tickets WHERE id = ?1";
static const char CB_SQL_SEARCH_TICKET_COMMENTS[] =
	"SELECT json_extract(data, '$.body'), coalesce(json_extract(data, '$.public'), 0) FROM events"
	" WHERE ticket_id = ?1 AND type = 'comment' ORDER BY seq";
/* one search_index row per document: ticket rowid = id, article rowid = -id */
static const char CB_SQL_SEARCH_TICKET_DELETE[] = "DELETE FROM search_index WHERE rowid = ?1";
static const char CB_SQL_SEARCH_TICKET_INSERT[] =
	"INSERT INTO search_index(rowid, title, body, notes, meta) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char CB_SQL_SEARCH_ARTICLE_DELETE[] = "DELETE FROM search_index WHERE rowid = ?1";
static const char CB_SQL_SEARCH_ARTICLE_INSERT[] =
	"INSERT INTO search_index(rowid, title, body, notes, meta) VALUES (?1, ?2, ?3, '', ?4)";
static const char CB_SQL_SEARCH_PENDING[] =
	"SELECT kind, id FROM search_pending ORDER BY kind, id LIMIT ?1";
static const char CB_SQL_SEARCH_PENDING_COUNT[] = "SELECT count(*) FROM search_pending";
static const char CB_SQL_SEARCH_PENDING_DONE[] =
	"DELETE FROM search_pending WHERE kind = ?1 AND id = ?2";
static const char CB_SQL_SEARCH_TICKET_BRIEF[] =
	"SELECT subject, description, status FROM tickets WHERE id = ?1";
static const char CB_SQL_SEARCH_ARTICLE_BRIEF[] =
	"SELECT title, body, coalesce(symptoms, ''), coalesce(cause, ''), coalesce(workaround, ''),"
	" type, state, visibility FROM articles WHERE id = ?1";

#endif
