/* sql_sqlite.c - the text of every named statement (store/sql.h) in the
 * SQLite dialect, grouped as the names are. Column lists shared by several
 * statements are macros in store/sql_cols.h. */
#include "store/sql.h"
#include "store/sql_cols.h"

static const char *const texts[CB_SQL__COUNT] = {
	[CB_SQL_TX_BEGIN] = "BEGIN",
	[CB_SQL_TX_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[CB_SQL_TX_COMMIT] = "COMMIT",
	[CB_SQL_TX_ROLLBACK] = "ROLLBACK",
	[CB_SQL_TX_SAVEPOINT_JOB] = "SAVEPOINT job",
	[CB_SQL_TX_ROLLBACK_TO_JOB] = "ROLLBACK TO job",
	[CB_SQL_TX_RELEASE_JOB] = "RELEASE job",

	/* ---- articles, their versions, links, votes, portal activity and the search index (migration 009) ---- */
	[CB_SQL_ARTICLE_GET] =
		"SELECT " CB_ARTICLE_COLS " FROM articles a WHERE a.id = ?1",
	[CB_SQL_ARTICLE_INSERT] =
		"INSERT INTO articles(type, state, visibility, title, body, symptoms, cause, workaround, defect,"
		" tags, product_area, owner_id, review_by, version, created_by, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15, ?15) RETURNING id",
	[CB_SQL_ARTICLE_UPDATE] =
		"UPDATE articles SET type = ?2, state = ?3, visibility = ?4, title = ?5, body = ?6,"
		" symptoms = ?7, cause = ?8, workaround = ?9, defect = ?10, tags = ?11, product_area = ?12,"
		" owner_id = ?13, review_by = ?14, version = version + 1, updated_at = ?15 WHERE id = ?1",
	[CB_SQL_ARTICLE_VERSION_INSERT] =
		"INSERT INTO article_versions(article_id, version, author_id, at, data) VALUES (?1, ?2, ?3, ?4, ?5)",
	[CB_SQL_ARTICLE_VERSIONS] =
		"SELECT v.version, v.author_id, u.email, v.at, v.data FROM article_versions v"
		" LEFT JOIN users u ON u.id = v.author_id WHERE v.article_id = ?1 AND v.version > ?2"
		" ORDER BY v.version LIMIT ?3",
	[CB_SQL_ARTICLE_VERSION_GET] =
		"SELECT data FROM article_versions WHERE article_id = ?1 AND version = ?2",
	[CB_SQL_ARTICLE_KNOWN] =
		"SELECT " CB_ARTICLE_COLS " FROM articles a WHERE a.type = 'known_error'"
		" AND a.state = 'published' AND a.visibility = 'public' ORDER BY a.updated_at DESC, a.id DESC",
	[CB_SQL_ARTICLE_LINK] =
		"INSERT OR IGNORE INTO article_links(ticket_id, article_id, user_id, at) VALUES (?1, ?2, ?3, ?4)",
	[CB_SQL_ARTICLE_LINK_INFO] =
		"SELECT title, type, visibility FROM articles WHERE id = ?1",
	[CB_SQL_ARTICLE_LINKS_OF_TICKET] =
		"SELECT l.article_id, a.title, l.user_id, u.email, l.at FROM article_links l"
		" JOIN articles a ON a.id = l.article_id LEFT JOIN users u ON u.id = l.user_id"
		" WHERE l.ticket_id = ?1 ORDER BY l.at, l.article_id",
	[CB_SQL_ARTICLE_VOTE] =
		"INSERT INTO article_votes(article_id, user_id, helpful, at) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT(article_id, user_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
	[CB_SQL_KB_ACTIVITY] =
		"INSERT INTO kb_activity(user_id, customer, kind, article_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* counts of one article: views, links, helpful, not helpful, versions,
	 * deflections as of ?2 (a customer's view not followed within 24 h by a
	 * ticket they requested) */
	[CB_SQL_ARTICLE_STATS] =
		"SELECT (SELECT count(*) FROM kb_activity WHERE article_id = ?1 AND kind = 'view'),"
		" (SELECT count(*) FROM article_links WHERE article_id = ?1),"
		" (SELECT count(*) FROM article_votes WHERE article_id = ?1 AND helpful = 1),"
		" (SELECT count(*) FROM article_votes WHERE article_id = ?1 AND helpful = 0),"
		" (SELECT count(*) FROM article_versions WHERE article_id = ?1),"
		" (SELECT count(*) FROM kb_activity k WHERE k.article_id = ?1 AND k.kind = 'view'"
		"   AND k.customer = 1 AND k.at + 86400000 <= ?2 AND NOT EXISTS (SELECT 1 FROM tickets t"
		"   WHERE t.requester_id = k.user_id AND t.created_at >= k.at AND t.created_at < k.at + 86400000))",
	/* portal activity totals as of ?1: kind, all, deflected, pending */
	[CB_SQL_KB_DEFLECTION] =
		"SELECT k.kind, count(*),"
		" sum(k.at + 86400000 <= ?1 AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.requester_id = k.user_id"
		"   AND t.created_at >= k.at AND t.created_at < k.at + 86400000)),"
		" sum(k.at + 86400000 > ?1)"
		" FROM kb_activity k WHERE k.customer = 1 AND k.at >= ?2 AND k.at < ?3 GROUP BY k.kind ORDER BY k.kind",
	/* knowledge contribution per author */
	[CB_SQL_KB_AUTHORS] =
		"SELECT v.author_id, u.email, count(*), count(DISTINCT v.article_id),"
		" (SELECT count(*) FROM articles a WHERE a.created_by = v.author_id),"
		" (SELECT count(*) FROM articles a WHERE a.created_by = v.author_id AND a.state = 'published')"
		" FROM article_versions v LEFT JOIN users u ON u.id = v.author_id"
		" WHERE v.at >= ?1 AND v.at < ?2 GROUP BY v.author_id ORDER BY count(*) DESC, v.author_id",
	/* ---- search index (migration 011, app/knowledge/search.c) ---- */
	[CB_SQL_SEARCH_TICKET] =
		"SELECT subject, description, status, account_id FROM tickets WHERE id = ?1",
	[CB_SQL_SEARCH_TICKET_COMMENTS] =
		"SELECT json_extract(data, '$.body'), coalesce(json_extract(data, '$.public'), 0) FROM events"
		" WHERE ticket_id = ?1 AND type = 'comment' ORDER BY seq",
	/* one search_index row per document: ticket rowid = id, article rowid = -id */
	[CB_SQL_SEARCH_TICKET_DELETE] =
		"DELETE FROM search_index WHERE rowid = ?1",
	[CB_SQL_SEARCH_TICKET_INSERT] =
		"INSERT INTO search_index(rowid, title, body, notes, meta) VALUES (?1, ?2, ?3, ?4, ?5)",
	[CB_SQL_SEARCH_ARTICLE_DELETE] =
		"DELETE FROM search_index WHERE rowid = ?1",
	[CB_SQL_SEARCH_ARTICLE_INSERT] =
		"INSERT INTO search_index(rowid, title, body, notes, meta) VALUES (?1, ?2, ?3, '', ?4)",
	[CB_SQL_SEARCH_PENDING] =
		"SELECT kind, id FROM search_pending ORDER BY kind, id LIMIT ?1",
	[CB_SQL_SEARCH_PENDING_DONE] =
		"DELETE FROM search_pending WHERE kind = ?1 AND id = ?2",
	[CB_SQL_SEARCH_TICKET_BRIEF] =
		"SELECT subject, description, status FROM tickets WHERE id = ?1",
	[CB_SQL_SEARCH_ARTICLE_BRIEF] =
		"SELECT title, body, coalesce(symptoms, ''), coalesce(cause, ''), coalesce(workaround, ''),"
		" type, state, visibility FROM articles WHERE id = ?1",

	/* ---- statements for tokens, idempotency and the audit trail ---- */
	[CB_SQL_TOKEN_LOOKUP] =
		"SELECT u.id, u.role, u.account_id, u.email, u.active FROM tokens t"
		" JOIN users u ON u.id = t.user_id WHERE t.hash = ?1 AND t.revoked_at IS NULL",
	[CB_SQL_TOKEN_INSERT] =
		"INSERT INTO tokens(user_id, hash, name, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[CB_SQL_IDEM_GET] =
		"SELECT fingerprint, status, body FROM idempotency WHERE user_id = ?1 AND key = ?2",
	[CB_SQL_IDEM_PUT] =
		"INSERT INTO idempotency(user_id, key, fingerprint, status, body, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[CB_SQL_AUDIT_INSERT] =
		"INSERT INTO audit(at, actor_id, action, target, data) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* browser sessions (app/directory/session.c) */
	[CB_SQL_LOGIN_USER] =
		"SELECT id, password_hash, active FROM users WHERE email = ?1",
	[CB_SQL_LOGIN_FAILURES_PAIR] =
		"SELECT count(*), max(at) FROM login_failures WHERE email = ?1 AND ip = ?2 AND at > ?3",
	[CB_SQL_LOGIN_FAILURES_ADDR] =
		"SELECT count(*), max(at) FROM login_failures WHERE ip = ?1 AND at > ?2",
	[CB_SQL_LOGIN_FAILURE_ADD] =
		"INSERT INTO login_failures(email, ip, at) VALUES (?1, ?2, ?3)",
	[CB_SQL_LOGIN_FAILURE_CLEAR] =
		"DELETE FROM login_failures WHERE (email = ?1 AND ip = ?2) OR at < ?3",
	[CB_SQL_SESSION_INSERT] =
		"INSERT INTO sessions(hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[CB_SQL_SESSION_LOOKUP] =
		"SELECT s.id, s.csrf, s.expires_at, s.revoked_at, u.id, u.role, u.account_id, u.email,"
		" u.active FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?1",
	[CB_SQL_SESSION_REVOKE] =
		"UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	[CB_SQL_SESSION_END_USER] =
		"UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL AND id != ?3",
	[CB_SQL_PASSWORD_GET] =
		"SELECT password_hash FROM users WHERE id = ?1",
	[CB_SQL_PASSWORD_SET] =
		"UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
	[CB_SQL_SESSION_GET] =
		"SELECT user_id, csrf, expires_at FROM sessions WHERE id = ?1 AND revoked_at IS NULL",

	/* ---- statements for `casebook check` ---- */
	[CB_SQL_CHECK_TICKET_IDS] =
		"SELECT id FROM tickets WHERE id > ?1 ORDER BY id LIMIT 1000",
	[CB_SQL_CHECK_TICKET_COUNT] =
		"SELECT count(*) FROM tickets",

	/* ---- statements used by the demo data set (app/instance/demo.c, demo_ops.c) ---- */
	/* the record that the demo data set was loaded: {"loaded_at", "tickets", "days", "seed"} */
	[CB_SQL_DEMO_MARK_GET] =
		"SELECT value FROM settings WHERE key = 'demo'",
	[CB_SQL_DEMO_MARK_SET] =
		"INSERT INTO settings(key, value) VALUES ('demo', ?1)",
	/* a data set from before the record: its demo agent exists */
	[CB_SQL_DEMO_USER] =
		"SELECT id FROM users WHERE email = ?1",
	/* open tickets untouched since ?1, newest first */
	[CB_SQL_DEMO_OPEN_TICKETS] =
		"SELECT id FROM tickets WHERE status IN ('new','open','pending','on_hold')"
		" AND updated_at < ?1 ORDER BY id DESC LIMIT 24",
	/* the first admin that is not the demo's own actor */
	[CB_SQL_DEMO_ADMIN] =
		"SELECT id FROM users WHERE role = 'admin' AND email != ?1 ORDER BY id LIMIT 1",

	/* ---- statements for accounts, users, tokens' owners and groups (app/directory/directory.c) ---- */
	[CB_SQL_DIR_ACCOUNT_GET] =
		"SELECT " CB_SQL_DIR_ACCOUNT_COLS " FROM accounts a WHERE a.id = ?1",
	/* ?1 after id, ?2 only this id (0 = all), ?3 limit */
	[CB_SQL_DIR_ACCOUNT_LIST] =
		"SELECT " CB_SQL_DIR_ACCOUNT_COLS " FROM accounts a"
		" WHERE a.id > ?1 AND (?2 = 0 OR a.id = ?2) ORDER BY a.id LIMIT ?3",
	[CB_SQL_DIR_ACCOUNT_REF] =
		"SELECT id, name, tier FROM accounts WHERE id = ?1",
	[CB_SQL_DIR_ACCOUNT_BY_NAME] =
		"SELECT id FROM accounts WHERE name = ?1",
	[CB_SQL_DIR_ACCOUNT_INSERT] =
		"INSERT INTO accounts(name, tier, domains, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
	[CB_SQL_DIR_ACCOUNT_UPDATE] =
		"UPDATE accounts SET name = ?2, tier = ?3, domains = ?4, updated_at = ?5 WHERE id = ?1",
	[CB_SQL_DIR_DOMAIN_OWNER] =
		"SELECT account_id FROM account_domains WHERE domain = ?1",
	[CB_SQL_DIR_DOMAINS_CLEAR] =
		"DELETE FROM account_domains WHERE account_id = ?1",
	[CB_SQL_DIR_DOMAIN_INSERT] =
		"INSERT INTO account_domains(domain, account_id) VALUES (?1, ?2)",
	[CB_SQL_DIR_USER_GET] =
		"SELECT " CB_SQL_DIR_USER_COLS " FROM users u"
		" LEFT JOIN accounts a ON a.id = u.account_id WHERE u.id = ?1",
	/* ?1 after id, ?2 role or NULL, ?3 account id or NULL, ?4 limit, ?5 only
	 * this user (0 = all) */
	[CB_SQL_DIR_USER_LIST] =
		"SELECT " CB_SQL_DIR_USER_COLS " FROM users u"
		" LEFT JOIN accounts a ON a.id = u.account_id"
		" WHERE u.id > ?1 AND (?2 IS NULL OR u.role = ?2) AND (?3 IS NULL OR u.account_id = ?3)"
		" AND (?5 = 0 OR u.id = ?5) ORDER BY u.id LIMIT ?4",
	[CB_SQL_DIR_USER_REF] =
		"SELECT id, email, name FROM users WHERE id = ?1",
	/* 0 id, 1 email, 2 name, 3 role, 4 account_id, 5 active */
	[CB_SQL_DIR_USER_LOAD] =
		"SELECT id, email, name, role, account_id, active FROM users WHERE id = ?1",
	[CB_SQL_DIR_USER_LOAD_EMAIL] =
		"SELECT id, email, name, role, account_id, active FROM users WHERE email = ?1",
	[CB_SQL_DIR_USER_INSERT] =
		"INSERT INTO users(email, name, role, account_id, password_hash, active, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
	/* ?7 NULL keeps the password hash */
	[CB_SQL_DIR_USER_UPDATE] =
		"UPDATE users SET email = ?2, name = ?3, role = ?4, account_id = ?5, active = ?6,"
		" password_hash = coalesce(?7, password_hash), updated_at = ?8 WHERE id = ?1",
	[CB_SQL_DIR_OTHER_ADMINS] =
		"SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> ?1",
	[CB_SQL_DIR_USER_LEAVE_GROUPS] =
		"DELETE FROM group_members WHERE user_id = ?1",
	[CB_SQL_DIR_GROUP_GET] =
		"SELECT " CB_SQL_DIR_GROUP_COLS " FROM groups g WHERE g.id = ?1",
	[CB_SQL_DIR_GROUP_LIST] =
		"SELECT " CB_SQL_DIR_GROUP_COLS " FROM groups g WHERE g.id > ?1 ORDER BY g.id LIMIT ?2",
	[CB_SQL_DIR_GROUP_REF] =
		"SELECT id, name FROM groups WHERE id = ?1",
	[CB_SQL_DIR_GROUP_BY_NAME] =
		"SELECT id FROM groups WHERE name = ?1",
	[CB_SQL_DIR_GROUP_INSERT] =
		"INSERT INTO groups(name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id",
	[CB_SQL_DIR_GROUP_UPDATE] =
		"UPDATE groups SET name = ?2, description = ?3, updated_at = ?4 WHERE id = ?1",
	[CB_SQL_DIR_GROUP_MEMBERS] =
		"SELECT u.id, u.email, u.name FROM group_members m JOIN users u ON u.id = m.user_id"
		" WHERE m.group_id = ?1 ORDER BY u.id",
	[CB_SQL_DIR_GROUP_MEMBERS_CLEAR] =
		"DELETE FROM group_members WHERE group_id = ?1",
	[CB_SQL_DIR_GROUP_MEMBER_ADD] =
		"INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (?1, ?2)",
	[CB_SQL_DIR_GROUP_HAS_MEMBER] =
		"SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2",
	/* API tokens: lists and revocation (never the hash) */
	[CB_SQL_DIR_TOKEN_LIST] =
		"SELECT id, name, user_id, created_at FROM tokens"
		" WHERE revoked_at IS NULL AND id > ?1 AND (?2 = 0 OR user_id = ?2)"
		" ORDER BY id LIMIT ?3",
	[CB_SQL_DIR_TOKEN_OWNER] =
		"SELECT user_id FROM tokens WHERE id = ?1 AND revoked_at IS NULL",
	[CB_SQL_DIR_TOKEN_REVOKE] =
		"UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	[CB_SQL_DIR_TOKENS_OF_USER] =
		"SELECT id FROM tokens WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id",

	/* ---- escalations, group escalation settings, defects and problems with their ticket links (migration 012) ---- */
	[CB_SQL_ESC_GET] =
		"SELECT " CB_ESC_COLS " FROM escalations e WHERE e.id = ?1",
	[CB_SQL_ESC_INSERT] =
		"INSERT INTO escalations(ticket_id, group_id, status, package, score, history, imported,"
		" created_by, created_at, updated_at) VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
	[CB_SQL_ESC_UPDATE] =
		"UPDATE escalations SET status = ?2, package = ?3, score = ?4, question = ?5, answer = ?6,"
		" resolution = ?7, history = ?8, updated_at = ?9, acknowledged_at = ?10, decided_at = ?11,"
		" resolved_at = ?12 WHERE id = ?1",
	[CB_SQL_ESC_OF_TICKET] =
		"SELECT " CB_ESC_COLS " FROM escalations e WHERE e.ticket_id = ?1 ORDER BY e.id",
	[CB_SQL_ESC_LATEST_OF_TICKET] =
		"SELECT id FROM escalations WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1",
	/* the queue: ?1 group (0 any), ?2 status mask (bit per status index),
	 * unacknowledged first, oldest first; ?3 limit, ?4 offset */
	[CB_SQL_ESC_QUEUE] =
		"SELECT " CB_ESC_COLS " FROM escalations e"
		" WHERE (?1 = 0 OR e.group_id = ?1)"
		" AND ((?2 >> CASE e.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1"
		" WHEN 'accepted' THEN 2 WHEN 'returned' THEN 3 ELSE 4 END) & 1) = 1"
		" ORDER BY e.status <> 'open', e.created_at, e.id LIMIT ?3 OFFSET ?4",
	[CB_SQL_ESC_MIN_GET] =
		"SELECT min_score FROM escalation_settings WHERE group_id = ?1",
	[CB_SQL_ESC_MIN_SET] =
		"INSERT INTO escalation_settings(group_id, min_score) VALUES (?1, ?2)"
		" ON CONFLICT(group_id) DO UPDATE SET min_score = excluded.min_score",
	[CB_SQL_ESC_TICKET_INFO] =
		"SELECT subject, status FROM tickets WHERE id = ?1",
	[CB_SQL_DEFECT_GET] =
		"SELECT " CB_DEFECT_COLS " FROM defects d WHERE d.id = ?1",
	[CB_SQL_DEFECT_BY_KEY] =
		"SELECT id FROM defects WHERE tracker = ?1 AND key = ?2",
	[CB_SQL_DEFECT_INSERT] =
		"INSERT INTO defects(tracker, key, url, title, status, fixed_at, created_by, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
	[CB_SQL_DEFECT_UPDATE] =
		"UPDATE defects SET url = ?2, title = ?3, status = ?4, fixed_at = ?5, updated_at = ?6"
		" WHERE id = ?1",
	/* ?1 status ('' any), ?2 tracker ('' any), ?3 after id, ?4 limit */
	[CB_SQL_DEFECT_LIST] =
		"SELECT " CB_DEFECT_COLS " FROM defects d WHERE (?1 = '' OR d.status = ?1)"
		" AND (?2 = '' OR d.tracker = ?2) AND d.id > ?3 ORDER BY d.id LIMIT ?4",
	[CB_SQL_DEFECT_LINK] =
		"INSERT INTO defect_links(defect_id, ticket_id, linked_by, linked_at) VALUES (?1, ?2, ?3, ?4)",
	[CB_SQL_DEFECT_UNLINK] =
		"DELETE FROM defect_links WHERE defect_id = ?1 AND ticket_id = ?2",
	/* linked tickets with what the impact rule needs */
	[CB_SQL_DEFECT_TICKETS] =
		"SELECT t.id, t.subject, t.status, t.priority, t.account_id, a.name, a.tier, l.linked_at"
		" FROM defect_links l JOIN tickets t ON t.id = l.ticket_id"
		" LEFT JOIN accounts a ON a.id = t.account_id WHERE l.defect_id = ?1",
	[CB_SQL_DEFECT_OPEN_TICKETS] =
		"SELECT t.id FROM defect_links l JOIN tickets t ON t.id = l.ticket_id"
		" WHERE l.defect_id = ?1 AND t.status NOT IN ('solved','closed') ORDER BY t.id",
	[CB_SQL_DEFECTS_OF_TICKET] =
		"SELECT " CB_DEFECT_COLS ", l.linked_at FROM defect_links l JOIN defects d ON d.id = l.defect_id"
		" WHERE l.ticket_id = ?1 ORDER BY l.linked_at, d.id",
	/* open tickets linked to a fixed defect, earliest fix first; ?1 limit, ?2 offset */
	[CB_SQL_FIX_AVAILABLE] =
		"SELECT t.id, min(d.fixed_at) AS f FROM defect_links l JOIN defects d ON d.id = l.defect_id"
		" JOIN tickets t ON t.id = l.ticket_id WHERE d.status = 'fixed'"
		" AND t.status NOT IN ('solved','closed') GROUP BY t.id ORDER BY f, t.id LIMIT ?1 OFFSET ?2",
	[CB_SQL_FIXED_DEFECTS_OF_TICKET] =
		"SELECT d.id, d.tracker, d.key, d.url, d.title, d.fixed_at FROM defect_links l"
		" JOIN defects d ON d.id = l.defect_id WHERE l.ticket_id = ?1 AND d.status = 'fixed'"
		" ORDER BY d.fixed_at, d.id",
	[CB_SQL_PROBLEM_GET] =
		"SELECT " CB_PROBLEM_COLS " FROM problems p WHERE p.id = ?1",
	[CB_SQL_PROBLEM_INSERT] =
		"INSERT INTO problems(title, description, status, category, root_cause, workaround,"
		" article_id, created_by, created_at, updated_at, resolved_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10) RETURNING id",
	[CB_SQL_PROBLEM_UPDATE] =
		"UPDATE problems SET title = ?2, description = ?3, status = ?4, category = ?5,"
		" root_cause = ?6, workaround = ?7, article_id = ?8, updated_at = ?9, resolved_at = ?10"
		" WHERE id = ?1",
	/* ?1 status ('' any), ?2 category ('' any), ?3 after id, ?4 limit */
	[CB_SQL_PROBLEM_LIST] =
		"SELECT " CB_PROBLEM_COLS " FROM problems p WHERE (?1 = '' OR p.status = ?1)"
		" AND (?2 = '' OR p.category = ?2) AND p.id > ?3 ORDER BY p.id LIMIT ?4",
	[CB_SQL_PROBLEM_LINK] =
		"INSERT INTO problem_links(problem_id, ticket_id, linked_by, linked_at) VALUES (?1, ?2, ?3, ?4)",
	[CB_SQL_PROBLEM_UNLINK] =
		"DELETE FROM problem_links WHERE problem_id = ?1 AND ticket_id = ?2",
	[CB_SQL_PROBLEM_TICKETS] =
		"SELECT t.id, t.subject, t.status, t.priority, t.category, l.linked_at FROM problem_links l"
		" JOIN tickets t ON t.id = l.ticket_id WHERE l.problem_id = ?1 ORDER BY l.linked_at, t.id",
	[CB_SQL_PROBLEMS_OF_TICKET] =
		"SELECT " CB_PROBLEM_COLS ", l.linked_at FROM problem_links l"
		" JOIN problems p ON p.id = l.problem_id WHERE l.ticket_id = ?1 ORDER BY l.linked_at, p.id",
	[CB_SQL_PROBLEM_ARTICLE_TYPE] =
		"SELECT type FROM articles WHERE id = ?1",
	/* occurrences: `problem` link events in [?2, ?3) of tickets still linked,
	 * with the ticket's category; ?1 problem (0 = every problem) */
	[CB_SQL_PROBLEM_OCCURRENCES] =
		"SELECT ev.at, t.category, CAST(json_extract(ev.data, '$.problem') AS INTEGER) AS pid"
		" FROM events ev JOIN tickets t ON t.id = ev.ticket_id"
		" WHERE ev.type = 'problem' AND ev.at >= ?2 AND ev.at < ?3"
		" AND json_extract(ev.data, '$.action') = 'linked'"
		" AND (?1 = 0 OR json_extract(ev.data, '$.problem') = ?1)"
		" AND EXISTS (SELECT 1 FROM problem_links l WHERE l.ticket_id = ev.ticket_id"
		"   AND l.problem_id = json_extract(ev.data, '$.problem'))"
		" ORDER BY ev.at",

	/* ---- major incidents, components, the status page and post-incident reviews (migration 013) ---- */
	[CB_SQL_INCIDENT_GET] =
		"SELECT " CB_INCIDENT_COLS " FROM incidents WHERE id = ?1",
	[CB_SQL_INCIDENT_INSERT] =
		"INSERT INTO incidents(title, description, severity, status, public, commander_id,"
		" tech_lead_id, comms_lead_id, cadence_min, started_at, last_public_update_at,"
		" next_update_due, overdue_fired_due, resolved_at, created_by, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16) RETURNING id",
	[CB_SQL_INCIDENT_UPDATE] =
		"UPDATE incidents SET title = ?2, description = ?3, severity = ?4, status = ?5, public = ?6,"
		" commander_id = ?7, tech_lead_id = ?8, comms_lead_id = ?9, cadence_min = ?10,"
		" started_at = ?11, last_public_update_at = ?12, next_update_due = ?13,"
		" overdue_fired_due = ?14, resolved_at = ?15, updated_at = ?16 WHERE id = ?1",
	/* newest first after a cursor; ?2 status or NULL, ?3 severity or NULL,
	 * ?4 1 = active only, 0 = resolved only, NULL = both */
	[CB_SQL_INCIDENT_LIST] =
		"SELECT id FROM incidents WHERE id < ?1 AND (?2 IS NULL OR status = ?2)"
		" AND (?3 IS NULL OR severity = ?3)"
		" AND (?4 IS NULL OR (status != 'resolved') = ?4) ORDER BY id DESC LIMIT ?5",
	/* active incidents following the severity default cadence */
	[CB_SQL_INCIDENT_ACTIVE_DEFAULT_CADENCE] =
		"SELECT id FROM incidents WHERE status != 'resolved' AND cadence_min IS NULL ORDER BY id",
	[CB_SQL_INCIDENT_EVENT_INSERT] =
		"INSERT INTO incident_events(incident_id, at, actor_id, kind, public, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
	[CB_SQL_INCIDENT_EVENTS] =
		"SELECT e.id, e.at, e.actor_id, e.kind, e.public, e.data FROM incident_events e"
		" WHERE e.incident_id = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3",
	[CB_SQL_INCIDENT_COMPONENTS] =
		"SELECT c.id, c.name, c.state FROM incident_components ic JOIN components c"
		" ON c.id = ic.component_id WHERE ic.incident_id = ?1 ORDER BY c.position, c.id",
	[CB_SQL_INCIDENT_COMPONENTS_CLEAR] =
		"DELETE FROM incident_components WHERE incident_id = ?1",
	[CB_SQL_INCIDENT_COMPONENT_ADD] =
		"INSERT OR IGNORE INTO incident_components(incident_id, component_id) VALUES (?1, ?2)",
	[CB_SQL_INCIDENT_ACCOUNTS] =
		"SELECT account_id FROM incident_accounts WHERE incident_id = ?1 ORDER BY account_id",
	[CB_SQL_INCIDENT_ACCOUNTS_CLEAR] =
		"DELETE FROM incident_accounts WHERE incident_id = ?1",
	[CB_SQL_INCIDENT_ACCOUNT_ADD] =
		"INSERT OR IGNORE INTO incident_accounts(incident_id, account_id) VALUES (?1, ?2)",
	[CB_SQL_INCIDENT_TICKETS] =
		"SELECT ticket_id FROM incident_tickets WHERE incident_id = ?1 ORDER BY ticket_id",
	[CB_SQL_INCIDENT_TICKET_ADD] =
		"INSERT OR IGNORE INTO incident_tickets(incident_id, ticket_id, linked_at, linked_by)"
		" VALUES (?1, ?2, ?3, ?4)",
	[CB_SQL_INCIDENT_TICKET_STATUS] =
		"SELECT status FROM tickets WHERE id = ?1",
	[CB_SQL_INCIDENT_TICKET_REMOVE] =
		"DELETE FROM incident_tickets WHERE incident_id = ?1 AND ticket_id = ?2",
	/* components affected by incident ?1 that no other active incident affects */
	[CB_SQL_INCIDENT_COMPONENTS_TO_RESTORE] =
		"SELECT c.id, c.name, c.state FROM incident_components ic JOIN components c"
		" ON c.id = ic.component_id WHERE ic.incident_id = ?1 AND c.state != 'operational'"
		" AND NOT EXISTS (SELECT 1 FROM incident_components o JOIN incidents i ON i.id = o.incident_id"
		"   WHERE o.component_id = c.id AND o.incident_id != ?1 AND i.status != 'resolved')"
		" ORDER BY c.id",
	/* the job of an incident's update deadline (instance = incident id) */
	[CB_SQL_INCIDENT_JOB_CLEAR] =
		"DELETE FROM jobs WHERE kind = 'incident.update_due' AND instance = ?1",
	[CB_SQL_INCIDENT_JOB_INSERT] =
		"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance)"
		" VALUES (?2, 'incident.update_due', NULL, 'incident', ?1)",
	[CB_SQL_INCIDENT_USER_ROLE] =
		"SELECT role FROM users WHERE id = ?1",
	[CB_SQL_INCIDENT_SETTING_GET] =
		"SELECT value FROM settings WHERE key = ?1",
	[CB_SQL_INCIDENT_SETTING_PUT] =
		"INSERT INTO settings(key, value) VALUES (?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* ---- components ---- */
	[CB_SQL_COMPONENT_COLS_GET] =
		"SELECT id, name, description, position, state, created_at, updated_at FROM components"
		" WHERE id = ?1",
	[CB_SQL_COMPONENT_BY_ID] =
		"SELECT id FROM components WHERE id = ?1",
	[CB_SQL_COMPONENT_BY_NAME] =
		"SELECT id FROM components WHERE name = ?1",
	[CB_SQL_COMPONENT_LIST] =
		"SELECT id, name, description, position, state, created_at, updated_at FROM components"
		" ORDER BY position, id",
	[CB_SQL_COMPONENT_INSERT] =
		"INSERT INTO components(name, description, position, state, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
	[CB_SQL_COMPONENT_UPDATE] =
		"UPDATE components SET name = ?2, description = ?3, position = ?4, state = ?5,"
		" updated_at = ?6 WHERE id = ?1",
	[CB_SQL_COMPONENT_SET_STATE] =
		"UPDATE components SET state = ?2, updated_at = ?3 WHERE id = ?1",
	/* ---- status page ---- */
	/* public incidents: active ones, and those resolved at or after ?1 */
	[CB_SQL_STATUS_INCIDENTS] =
		"SELECT id, title, severity, status, started_at, resolved_at, updated_at FROM incidents"
		" WHERE public = 1 AND (status != 'resolved' OR resolved_at >= ?1)"
		" ORDER BY (status = 'resolved'), started_at DESC, id DESC LIMIT 200",
	[CB_SQL_STATUS_UPDATES] =
		"SELECT id, at, data FROM incident_events WHERE incident_id = ?1 AND kind = 'update'"
		" AND public = 1 ORDER BY at DESC, id DESC",
	/* the newest public updates of public incidents (the Atom feed) */
	[CB_SQL_STATUS_FEED] =
		"SELECT e.id, e.at, e.data, i.id, i.title, i.severity FROM incident_events e"
		" JOIN incidents i ON i.id = e.incident_id WHERE e.public = 1 AND e.kind = 'update'"
		" AND i.public = 1 ORDER BY e.at DESC, e.id DESC LIMIT 50",
	[CB_SQL_STATUS_FEED_UUID] =
		"SELECT value FROM settings WHERE key = 'status.feed_uuid'",
	/* ---- post-incident reviews ---- */
	[CB_SQL_REVIEW_GET] =
		"SELECT summary, customer_impact, timeline, contributing_factors, updated_by, created_at,"
		" updated_at FROM incident_reviews WHERE incident_id = ?1",
	[CB_SQL_REVIEW_PUT] =
		"INSERT INTO incident_reviews(incident_id, summary, customer_impact, timeline,"
		" contributing_factors, updated_by, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(incident_id) DO UPDATE SET"
		" summary = excluded.summary, customer_impact = excluded.customer_impact,"
		" timeline = excluded.timeline, contributing_factors = excluded.contributing_factors,"
		" updated_by = excluded.updated_by, updated_at = excluded.updated_at",
	[CB_SQL_ACTION_GET] =
		"SELECT " CB_ACTION_COLS " FROM review_actions WHERE id = ?1",
	[CB_SQL_ACTION_INSERT] =
		"INSERT INTO review_actions(incident_id, type, title, owner_id, due_date, status, created_at,"
		" updated_at, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) RETURNING id",
	[CB_SQL_ACTION_UPDATE] =
		"UPDATE review_actions SET type = ?2, title = ?3, owner_id = ?4, due_date = ?5, status = ?6,"
		" updated_at = ?7, done_at = ?8 WHERE id = ?1",
	[CB_SQL_ACTIONS_OF_INCIDENT] =
		"SELECT " CB_ACTION_COLS " FROM review_actions WHERE incident_id = ?1 ORDER BY id",
	/* every action, by due date (undated last), then id; offset paging:
	 * ?1 status or NULL, ?2 incident or NULL, ?3 overdue before this date or
	 * NULL, ?4 owner or NULL, ?5 limit, ?6 offset */
	[CB_SQL_ACTIONS_LIST] =
		"SELECT " CB_ACTION_COLS " FROM review_actions WHERE (?1 IS NULL OR status = ?1)"
		" AND (?2 IS NULL OR incident_id = ?2)"
		" AND (?3 IS NULL OR (status != 'done' AND due_date IS NOT NULL AND due_date < ?3))"
		" AND (?4 IS NULL OR owner_id = ?4)"
		" ORDER BY due_date IS NULL, due_date, id LIMIT ?5 OFFSET ?6",

	/* ---- the e-mail channel: messages in and out, participants and attachments (migration 014) ---- */
	[CB_SQL_MAIL_IN_BY_MID] =
		"SELECT id, ticket_id, event_id, result, reason FROM mail_messages"
		" WHERE message_id = ?1 AND direction = 'in'",
	/* The ticket a Message-ID belongs to (in or out). */
	[CB_SQL_MAIL_TICKET_BY_MID] =
		"SELECT ticket_id FROM mail_messages WHERE message_id = ?1 AND ticket_id IS NOT NULL"
		" ORDER BY id LIMIT 1",
	[CB_SQL_MAIL_INSERT] =
		"INSERT INTO mail_messages(direction, message_id, ticket_id, event_id, from_addr, subject,"
		" result, reason, raw, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[CB_SQL_MAIL_RECENT_FROM] =
		"SELECT count(*) FROM mail_messages WHERE from_addr = ?1 AND at > ?2 AND direction = 'in'"
		" AND result IN ('created', 'appended', 'followup')",
	[CB_SQL_MAIL_GET] =
		"SELECT id, direction, message_id, ticket_id, event_id, from_addr, subject, result, reason,"
		" at, length(raw) FROM mail_messages WHERE id = ?1",
	[CB_SQL_MAIL_RAW] =
		"SELECT raw FROM mail_messages WHERE id = ?1",
	[CB_SQL_MAIL_OF_TICKET] =
		"SELECT id, direction, message_id, ticket_id, event_id, from_addr, subject, result, reason,"
		" at, length(raw) FROM mail_messages WHERE ticket_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[CB_SQL_MAIL_PARTICIPANT_ADD] =
		"INSERT OR IGNORE INTO mail_participants(ticket_id, addr) VALUES (?1, ?2)",
	[CB_SQL_MAIL_PARTICIPANT_HAS] =
		"SELECT 1 FROM mail_participants WHERE ticket_id = ?1 AND addr = ?2",
	/* Whether user ?2 wrote a comment on ticket ?1. */
	[CB_SQL_MAIL_COMMENTED] =
		"SELECT 1 FROM events WHERE ticket_id = ?1 AND actor_id = ?2 AND type = 'comment' LIMIT 1",
	[CB_SQL_SETTING_GET] =
		"SELECT value FROM settings WHERE key = ?1",
	[CB_SQL_ATTACHMENT_INSERT] =
		"INSERT INTO attachments(ticket_id, event_id, filename, content_type, size, sha256,"
		" content_id, inline, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[CB_SQL_ATTACHMENT_META] =
		"SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256,"
		" a.content_id, a.inline, a.created_at, e.data FROM attachments a"
		" LEFT JOIN events e ON e.id = a.event_id WHERE a.id = ?1",
	[CB_SQL_ATTACHMENT_DATA] =
		"SELECT data FROM attachments WHERE id = ?1",
	[CB_SQL_ATTACHMENTS_OF_TICKET] =
		"SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256,"
		" a.content_id, a.inline, a.created_at, e.data FROM attachments a"
		" LEFT JOIN events e ON e.id = a.event_id WHERE a.ticket_id = ?1 ORDER BY a.id",
	/* ---- outgoing ---- */
	[CB_SQL_SETTING_PUT] =
		"INSERT INTO settings(key, value) VALUES (?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[CB_SQL_OUTBOX_INSERT] =
		"INSERT INTO outbox(ticket_id, event_id, kind, mail_from, rcpt, message_id, subject, raw,"
		" next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
	[CB_SQL_OUTBOX_DUE] =
		"SELECT id, mail_from, coalesce(pending, rcpt), raw, attempts, ticket_id FROM outbox"
		" WHERE state = 'queued' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
	[CB_SQL_OUTBOX_NEXT_DUE] =
		"SELECT min(next_at) FROM outbox WHERE state = 'queued'",
	/* After an attempt: ?2 state, ?3 next_at, ?4 last_error, ?5 the instant
	 * of a delivery (or NULL), ?6 the recipients still pending (JSON). */
	[CB_SQL_OUTBOX_MARK] =
		"UPDATE outbox SET state = ?2, attempts = attempts + 1, next_at = ?3, last_error = ?4,"
		" sent_at = coalesce(sent_at, ?5), pending = ?6 WHERE id = ?1 AND state = 'queued'",
	[CB_SQL_OUTBOX_REFUSED_ADD] =
		"UPDATE outbox SET refused = json_insert(refused, '$[#]', json(?2)) WHERE id = ?1",
	[CB_SQL_OUTBOX_BY_MID] =
		"SELECT id, ticket_id, rcpt FROM outbox WHERE message_id = ?1",
	[CB_SQL_OUTBOX_BOUNCED] =
		"UPDATE outbox SET state = 'bounced', last_error = ?2 WHERE id = ?1",
	[CB_SQL_MAIL_SUPPRESS] =
		"INSERT INTO mail_suppressed(addr, reason, ticket_id, at) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT(addr) DO UPDATE SET reason = excluded.reason, ticket_id = excluded.ticket_id,"
		" at = excluded.at",
	[CB_SQL_MAIL_SUPPRESSED] =
		"SELECT 1 FROM mail_suppressed WHERE addr = ?1",
	[CB_SQL_MAIL_UNSUPPRESS] =
		"DELETE FROM mail_suppressed WHERE addr = ?1",
	[CB_SQL_OUTBOX_LIST] =
		"SELECT id, ticket_id, event_id, kind, rcpt, message_id, subject, state, attempts, next_at,"
		" last_error, created_at, sent_at, refused FROM outbox WHERE (?1 IS NULL OR state = ?1) AND id < ?2"
		" ORDER BY id DESC LIMIT ?3",
	[CB_SQL_MAIL_THREAD] =
		"SELECT message_id, direction, at FROM mail_messages WHERE ticket_id = ?1"
		" AND result NOT IN ('ignored', 'rate_limited', 'duplicate', 'bounced') ORDER BY id",
	[CB_SQL_MAIL_OUT_INSERT] =
		"INSERT INTO mail_messages(direction, message_id, ticket_id, event_id, from_addr, subject,"
		" result, at) VALUES ('out', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[CB_SQL_MAIL_PARTICIPANTS] =
		"SELECT p.addr FROM mail_participants p LEFT JOIN users u ON u.email = p.addr"
		" WHERE p.ticket_id = ?1 AND (u.id IS NULL OR u.role = 'customer') ORDER BY p.addr",
	[CB_SQL_TEMPLATE_GET] =
		"SELECT subject, body, updated_at FROM mail_templates WHERE event = ?1",
	[CB_SQL_TEMPLATE_PUT] =
		"INSERT INTO mail_templates(event, subject, body, updated_by, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(event) DO UPDATE SET subject = excluded.subject,"
		" body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
	[CB_SQL_TICKET_MAIL_INFO] =
		"SELECT t.subject, t.status, t.priority, t.created_at, u.email, u.name, t.account_id"
		" FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.id = ?1",
	[CB_SQL_USER_NAME] =
		"SELECT name, email FROM users WHERE id = ?1",

	/* ---- statements of the reports (app/report/report.c) ---- */
	[CB_SQL_KPI_DELETE] =
		"DELETE FROM kpi_facts WHERE ticket_id = ?1",
	[CB_SQL_KPI_INSERT] =
		"INSERT INTO kpi_facts(kind, span, at, ticket_id, seq, until, v1, v2, flag, priority,"
		" account_id, category, group_id, assignee_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	/* Facts of one kind whose KPI event is in [?2, ?3): one range of the key. */
	[CB_SQL_KPI_RANGE] =
		CB_SQL_KPI_COLUMNS " WHERE kind = ?1 AND span = 0 AND at >= ?2 AND at < ?3",
	[CB_SQL_KPI_RANGE_NONE] =
		CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "NULL", "NULL"),
	[CB_SQL_KPI_RANGE_ACCOUNT] =
		CB_SQL_KPI_RANGE_KEYS("account_id", "NULL", "NULL", "NULL"),
	[CB_SQL_KPI_RANGE_CATEGORY] =
		CB_SQL_KPI_RANGE_KEYS("NULL", "category", "NULL", "NULL"),
	[CB_SQL_KPI_RANGE_GROUP] =
		CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "group_id", "NULL"),
	[CB_SQL_KPI_RANGE_ASSIGNEE] =
		CB_SQL_KPI_RANGE_KEYS("NULL", "NULL", "NULL", "assignee_id"),
	[CB_SQL_KPI_VALUES_NONE] =
		CB_SQL_KPI_VALUES("NULL"),
	[CB_SQL_KPI_VALUES_PRIORITY] =
		CB_SQL_KPI_VALUES("priority"),
	[CB_SQL_KPI_VALUES_ACCOUNT] =
		CB_SQL_KPI_VALUES("account_id"),
	[CB_SQL_KPI_VALUES_CATEGORY] =
		CB_SQL_KPI_VALUES("category"),
	[CB_SQL_KPI_VALUES_GROUP] =
		CB_SQL_KPI_VALUES("group_id"),
	[CB_SQL_KPI_VALUES_ASSIGNEE] =
		CB_SQL_KPI_VALUES("assignee_id"),
	/* Backlog segments (kind 13) of span ?1 started in [?2, ?3) and ending at or
	 * after ?4: for the ends e1 <= .. <= en of a report, ?2 = e1 - 2^span,
	 * ?3 = en, ?4 = e1 (migration 007). */
	[CB_SQL_KPI_BACKLOG] =
		CB_SQL_KPI_COLUMNS " WHERE kind = 13 AND span = ?1 AND at >= ?2 AND at < ?3 AND until >= ?4",
	/* Rollups (migration 010): the old facts of a ticket that are summed into
	 * them, the upsert of a delta and the removal of a row that no fact is
	 * left in. */
	[CB_SQL_KPI_OLD_ROLLED] =
		"SELECT kind, at, v1, flag, priority, account_id, category, group_id, assignee_id"
		" FROM kpi_facts WHERE ticket_id = ?1 AND span = 0 AND kind IN (1, 4, 7, 8, 9, 10, 11, 12)",
	[CB_SQL_ROLLUP_UPSERT] =
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
		" res_due = res_due + excluded.res_due",
	[CB_SQL_ROLLUP_PRUNE] =
		"DELETE FROM kpi_rollup WHERE dim = ?1 AND hour = ?2 AND key = ?3 AND n = 0",
	/* The rollup rows of dimension ?1 for the hours in [?2, ?3). */
	[CB_SQL_ROLLUP_RANGE] =
		"SELECT hour, key, typeof(key) = 'text', n, created, escalated, solved1, reopened1, decided, accepted, csat_n,"
		" csat_sum, csat_pos, ces_n, ces_sum, fr_met, fr_breached, fr_due, nu_met, nu_breached,"
		" nu_due, res_met, res_breached, res_due FROM kpi_rollup"
		" WHERE dim = ?1 AND hour >= ?2 AND hour < ?3",
	/* Tier history (migration 010): an account's tiers by the instant they
	 * start; the changes (every row after an account's first) in [?1, ?2). */
	[CB_SQL_TIER_HISTORY] =
		"SELECT from_at, tier FROM account_tiers WHERE account_id = ?1 ORDER BY from_at",
	[CB_SQL_TIER_CHANGES] =
		"SELECT a.from_at FROM account_tiers a WHERE a.from_at >= ?1 AND a.from_at < ?2"
		" AND a.from_at > (SELECT min(b.from_at) FROM account_tiers b"
		" WHERE b.account_id = a.account_id)",
	[CB_SQL_REPORT_ACCOUNT] =
		"SELECT name, tier FROM accounts WHERE id = ?1",
	[CB_SQL_REPORT_GROUP] =
		"SELECT name FROM groups WHERE id = ?1",
	[CB_SQL_REPORT_USER] =
		"SELECT email FROM users WHERE id = ?1",
	[CB_SQL_REPORT_WEIGHTS] =
		"SELECT value FROM settings WHERE key = 'report_weights'",
	/* Queue health: open tickets per group with their SLA summary. */
	[CB_SQL_REPORT_QUEUE] =
		"SELECT t.group_id, s.next_due_at, s.at_risk_at, coalesce(s.breached, 0) FROM tickets t"
		" LEFT JOIN ticket_sla s ON s.ticket_id = t.id"
		" WHERE t.status IN ('new', 'open', 'pending', 'on_hold')",
	/* Top drivers: tags of the tickets created in [?1, ?2). */
	[CB_SQL_REPORT_TAGS] =
		"SELECT g.tag, count(*) FROM tickets t JOIN ticket_tags g ON g.ticket_id = t.id"
		" WHERE t.created_at >= ?1 AND t.created_at < ?2 GROUP BY g.tag",
	/* Top drivers: categories at creation (kind 1 = CB_KPI_CREATED). */
	[CB_SQL_REPORT_CATEGORIES] =
		"SELECT category, count(*) FROM kpi_facts WHERE kind = 1 AND span = 0 AND at >= ?1 AND at < ?2"
		" GROUP BY category",
	/* /metrics */
	[CB_SQL_REPORT_OPEN_TICKETS] =
		"SELECT priority, status, count(*) FROM tickets"
		" WHERE status IN ('new', 'open', 'pending', 'on_hold') GROUP BY priority, status",
	[CB_SQL_REPORT_LIVE_CLOCKS] =
		"SELECT clock, state, due_at, at_risk_at FROM sla_instances WHERE live = 1",
	[CB_SQL_REPORT_BREACHES] =
		"SELECT clock, count(*) FROM sla_instances WHERE breached_at IS NOT NULL GROUP BY clock",
	/* Rebuild: tickets in id order from ?1, ?2 at a time. */
	[CB_SQL_REPORT_TICKET_IDS] =
		"SELECT id FROM tickets WHERE id > ?1 ORDER BY id LIMIT ?2",
	[CB_SQL_REPORT_TICKET_COUNT] =
		"SELECT count(*) FROM tickets",
	/* Survey responses of a ticket, oldest first. */
	[CB_SQL_SURVEY_RESPONSES] =
		"SELECT at FROM events WHERE ticket_id = ?1 AND type = ?2 ORDER BY seq",

	/* ---- statements used by `casebook init` ---- */
	[CB_SQL_SETUP_COUNT_USERS] =
		"SELECT count(*) FROM users",
	[CB_SQL_SETUP_ADMIN] =
		"INSERT INTO users(email, name, role, created_at, updated_at)"
		" VALUES (?1, 'Administrator', 'admin', ?2, ?2) RETURNING id",
	[CB_SQL_SETUP_ACCOUNT] =
		"INSERT OR IGNORE INTO accounts(name, tier, domains, created_at, updated_at)"
		" VALUES ('default', 'standard', '[]', ?1, ?1)",
	[CB_SQL_SETUP_SETTING] =
		"INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)",

	/* ---- statements of the SLA engine ---- */
	[CB_SQL_SLA_POLICIES] =
		"SELECT id, name, position, conditions, calendar_id, targets FROM sla_policies"
		" ORDER BY position",
	[CB_SQL_SLA_CONFIG_VERSION] =
		"SELECT coalesce((SELECT max(updated_at) FROM sla_policies), 0),"
		" (SELECT count(*) FROM sla_policies),"
		" coalesce((SELECT max(updated_at) FROM calendars), 0),"
		" coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'sla_config_seq'), 0)",
	/* Every configuration write bumps the sequence, so cached configurations
	 * are never stale even for two changes within one millisecond. */
	[CB_SQL_SLA_CONFIG_BUMP] =
		"INSERT INTO settings(key, value) VALUES ('sla_config_seq', '1') ON CONFLICT(key) DO UPDATE"
		" SET value = printf('%d', CAST(value AS INTEGER) + 1)",
	[CB_SQL_SLA_CALENDAR] =
		"SELECT id, name, timezone, hours, holidays, updated_at FROM calendars WHERE id = ?1",
	[CB_SQL_SLA_ACCOUNT_TIER] =
		"SELECT tier FROM accounts WHERE id = ?1",
	[CB_SQL_SLA_EVENTS] =
		"SELECT type, at, actor_id, data FROM events WHERE ticket_id = ?1 ORDER BY seq",
	[CB_SQL_SLA_UPSERT] =
		"INSERT INTO ticket_sla(ticket_id, policy_id, open, next_due_at, at_risk_at, breached, updated_at,"
		" urgency_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(ticket_id) DO UPDATE SET"
		" policy_id = excluded.policy_id, open = excluded.open, next_due_at = excluded.next_due_at,"
		" at_risk_at = excluded.at_risk_at, breached = excluded.breached, updated_at = excluded.updated_at,"
		" urgency_at = excluded.urgency_at",
	[CB_SQL_SLA_INST_DELETE] =
		"DELETE FROM sla_instances WHERE ticket_id = ?1",
	[CB_SQL_SLA_INST_INSERT] =
		"INSERT INTO sla_instances(ticket_id, clock, instance, policy_id, target_ms, state,"
		" elapsed_ms, started_at, breached_at, settled_at, due_at, at_risk_at, live)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[CB_SQL_SLA_JOBS_DELETE] =
		"DELETE FROM jobs WHERE ticket_id = ?1 AND kind IN ('sla.at_risk', 'sla.breached')",
	[CB_SQL_SLA_JOB_INSERT] =
		"INSERT OR REPLACE INTO jobs(due_at, kind, ticket_id, clock, instance) VALUES (?1, ?2, ?3, ?4, ?5)",
	[CB_SQL_SLA_FIRED_INSERT] =
		"INSERT OR IGNORE INTO sla_fired(ticket_id, clock, instance, kind) VALUES (?1, ?2, ?3, ?4)",
	[CB_SQL_SLA_POLICY_NAME] =
		"SELECT name FROM sla_policies WHERE id = ?1",

	/* ---- the SLA configuration: calendars and policies (app/sla/sla_config.c) ---- */
	[CB_SQL_CAL_GET] =
		"SELECT " CB_SQL_CAL_COLS " FROM calendars WHERE id = ?1",
	[CB_SQL_CAL_BY_NAME] =
		"SELECT id FROM calendars WHERE name = ?1",
	[CB_SQL_CAL_LIST] =
		"SELECT " CB_SQL_CAL_COLS " FROM calendars WHERE id > ?1 ORDER BY id LIMIT ?2",
	[CB_SQL_CAL_INSERT] =
		"INSERT INTO calendars(name, timezone, hours, holidays, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
	/* updated_at strictly increases: compiled calendars are cached by it */
	[CB_SQL_CAL_UPDATE] =
		"UPDATE calendars SET name = ?2, timezone = ?3, hours = ?4, holidays = ?5,"
		" updated_at = max(?6, updated_at + 1) WHERE id = ?1",
	[CB_SQL_CAL_IN_USE] =
		"SELECT 1 FROM sla_policies WHERE calendar_id = ?1 LIMIT 1",
	[CB_SQL_POL_GET] =
		"SELECT " CB_SQL_POL_COLS " FROM sla_policies WHERE id = ?1",
	[CB_SQL_POL_BY_NAME] =
		"SELECT id FROM sla_policies WHERE name = ?1",
	[CB_SQL_POL_BY_POSITION] =
		"SELECT id FROM sla_policies WHERE position = ?1",
	[CB_SQL_POL_NEXT_POSITION] =
		"SELECT coalesce(max(position), 0) + 1 FROM sla_policies",
	/* pages in position order; ?1 is the last position already returned */
	[CB_SQL_POL_LIST] =
		"SELECT " CB_SQL_POL_COLS " FROM sla_policies WHERE position > ?1"
		" ORDER BY position LIMIT ?2",
	[CB_SQL_POL_INSERT] =
		"INSERT INTO sla_policies(name, position, conditions, calendar_id, targets, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
	[CB_SQL_POL_UPDATE] =
		"UPDATE sla_policies SET name = ?2, position = ?3, conditions = ?4, calendar_id = ?5,"
		" targets = ?6, updated_at = max(?7, updated_at + 1) WHERE id = ?1",
	[CB_SQL_CAL_NAME] =
		"SELECT name FROM calendars WHERE id = ?1",
	/* ---- re-fold ---- */
	/* tickets whose clocks may still change, in id order after a cursor */
	[CB_SQL_REFOLD_TICKETS] =
		"SELECT id FROM tickets WHERE id > ?1 AND status NOT IN ('solved', 'closed')"
		" ORDER BY id LIMIT ?2",
	/* ---- re-fold jobs (src/jobs/queue.c) ---- */
	[CB_SQL_JOBS_REFOLD_CLEAR] =
		"DELETE FROM jobs WHERE kind = 'sla.refold'",
	[CB_SQL_JOBS_REFOLD_INSERT] =
		"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance)"
		" VALUES (?1, 'sla.refold', NULL, NULL, 0)",
	[CB_SQL_TICKET_GET] =
		"SELECT " CB_TICKET_COLS " FROM tickets WHERE id = ?1",
	[CB_SQL_TICKET_INSERT] =
		"INSERT INTO tickets(id, external_id, subject, description, status, priority, category,"
		" tags, account_id, requester_id, assignee_id, group_id, environment, custom_fields,"
		" followup_of, created_at, updated_at, solved_at, closed_at, reopen_count, nevents)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		" ?18, ?19, ?20, ?21) RETURNING id",
	[CB_SQL_TICKET_UPDATE] =
		"UPDATE tickets SET external_id = ?2, subject = ?3, description = ?4, status = ?5,"
		" priority = ?6, category = ?7, tags = ?8, account_id = ?9, requester_id = ?10,"
		" assignee_id = ?11, group_id = ?12, environment = ?13, custom_fields = ?14,"
		" followup_of = ?15, created_at = ?16, updated_at = ?17, solved_at = ?18,"
		" closed_at = ?19, reopen_count = ?20, nevents = ?21 WHERE id = ?1 AND nevents = ?22 RETURNING id",
	[CB_SQL_TAGS_DELETE] =
		"DELETE FROM ticket_tags WHERE ticket_id = ?1",
	[CB_SQL_TAGS_INSERT] =
		"INSERT OR IGNORE INTO ticket_tags(tag, ticket_id) VALUES (?1, ?2)",
	/* the custom field keys customers may see (a JSON array of keys) */
	[CB_SQL_TICKET_SETTING_GET] =
		"SELECT value FROM settings WHERE key = 'tickets.customer_custom_fields'",
	[CB_SQL_TICKET_SETTING_PUT] =
		"INSERT INTO settings(key, value) VALUES ('tickets.customer_custom_fields', ?1)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[CB_SQL_EVENT_INSERT] =
		"INSERT INTO events(ticket_id, seq, at, actor_id, type, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
	[CB_SQL_EVENTS_OF] =
		"SELECT id, seq, at, actor_id, type, data FROM events WHERE ticket_id = ?1 AND seq > ?2"
		" ORDER BY seq LIMIT ?3",
	[CB_SQL_COMMENTS_OF] =
		"SELECT id, seq, at, actor_id, type, data FROM events WHERE ticket_id = ?1 AND seq > ?2"
		" AND type = 'comment' AND (?3 OR json_extract(data, '$.public'))"
		" ORDER BY seq LIMIT ?4",
	[CB_SQL_EVENT_GET] =
		"SELECT id, seq, at, actor_id, type, data FROM events WHERE id = ?1",
	[CB_SQL_USER_BRIEF] =
		"SELECT id, email, name, role, account_id FROM users WHERE id = ?1",
	[CB_SQL_USER_BY_EMAIL] =
		"SELECT id, email, name, role, account_id FROM users WHERE email = ?1",
	[CB_SQL_USER_INSERT_CUSTOMER] =
		"INSERT INTO users(email, name, role, account_id, created_at, updated_at)"
		" VALUES (?1, ?2, 'customer', ?3, ?4, ?4) RETURNING id",
	[CB_SQL_ACCOUNT_BRIEF] =
		"SELECT id, name, tier FROM accounts WHERE id = ?1",
	[CB_SQL_ACCOUNT_BY_NAME] =
		"SELECT id, name, tier FROM accounts WHERE name = ?1",
	[CB_SQL_GROUP_BRIEF] =
		"SELECT id, name FROM groups WHERE id = ?1",
	[CB_SQL_TICKET_FOLLOWUPS] =
		"SELECT id FROM tickets WHERE followup_of = ?1 ORDER BY id",
	/* export (app/ticket/import.c): tickets by id in pages, then the events of a page */
	[CB_SQL_EXPORT_TICKETS] =
		"SELECT id, external_id FROM tickets WHERE id > ?1 ORDER BY id LIMIT ?2",
	[CB_SQL_EXPORT_EVENTS] =
		"SELECT ticket_id, at, actor_id, type, data, id FROM events"
		" WHERE ticket_id >= ?1 AND ticket_id <= ?2 ORDER BY ticket_id, seq",
	[CB_SQL_EXPORT_TICKET_COUNT] =
		"SELECT count(*) FROM tickets",
	[CB_SQL_EXPORT_PROBLEM_TITLE] =
		"SELECT id, title FROM problems WHERE id = ?1",
	[CB_SQL_EXPORT_INCIDENT_TITLE] =
		"SELECT id, title FROM incidents WHERE id = ?1",
	[CB_SQL_EXPORT_ATTACHMENTS] =
		"SELECT event_id, filename, content_type, sha256, content_id, inline, created_at, data"
		" FROM attachments WHERE ticket_id = ?1 ORDER BY id",
	[CB_SQL_IMPORT_LAST_EVENT] =
		"SELECT id FROM events WHERE ticket_id = ?1 AND type = ?2 ORDER BY seq DESC LIMIT 1",
	[CB_SQL_IMPORT_ATTACHMENT] =
		"INSERT INTO attachments(ticket_id, event_id, filename, content_type, size, sha256,"
		" content_id, inline, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[CB_SQL_TICKET_EXISTS] =
		"SELECT id FROM tickets WHERE id = ?1",

	/* ---- saved views ---- */
	[CB_SQL_VIEW_INSERT] =
		"INSERT INTO saved_views(name, owner_id, base, filters, sort, created_by, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
	[CB_SQL_VIEW_GET] =
		"SELECT " CB_VIEW_COLS " FROM saved_views WHERE id = ?1",
	/* by name: the caller's own view first, then a shared one */
	[CB_SQL_VIEW_BY_NAME] =
		"SELECT " CB_VIEW_COLS " FROM saved_views WHERE name = ?1 COLLATE NOCASE"
		" AND (owner_id = ?2 OR owner_id IS NULL) ORDER BY owner_id IS NULL LIMIT 1",
	[CB_SQL_VIEW_LIST] =
		"SELECT " CB_VIEW_COLS " FROM saved_views WHERE owner_id = ?1 OR owner_id IS NULL"
		" ORDER BY owner_id IS NULL, name COLLATE NOCASE",
	[CB_SQL_VIEW_UPDATE] =
		"UPDATE saved_views SET name = ?2, owner_id = ?3, base = ?4, filters = ?5, sort = ?6,"
		" updated_at = ?7 WHERE id = ?1",
	[CB_SQL_VIEW_DELETE] =
		"DELETE FROM saved_views WHERE id = ?1",
	/* ---- macros (app/ticket/macro.c) ---- */
	[CB_SQL_MACRO_INSERT] =
		"INSERT INTO macros(name, scope, owner_id, body, public, changes, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
	[CB_SQL_MACRO_UPDATE] =
		"UPDATE macros SET name = ?2, scope = ?3, body = ?4, public = ?5, changes = ?6,"
		" updated_at = ?7 WHERE id = ?1",
	[CB_SQL_MACRO_DELETE] =
		"UPDATE macros SET deleted_at = ?2 WHERE id = ?1",
	[CB_SQL_MACRO_GET] =
		"SELECT m.id, m.name, m.scope, m.owner_id, u.email, m.body, m.public, m.changes,"
		" m.created_at, m.updated_at FROM macros m JOIN users u ON u.id = m.owner_id"
		" WHERE m.id = ?1 AND m.deleted_at IS NULL",
	[CB_SQL_MACRO_LIST] =
		"SELECT m.id, m.name, m.scope, m.owner_id, u.email, m.body, m.public, m.changes,"
		" m.created_at, m.updated_at FROM macros m JOIN users u ON u.id = m.owner_id"
		" WHERE m.deleted_at IS NULL AND (m.scope = 'shared' OR m.owner_id = ?1)"
		" ORDER BY m.scope DESC, m.name COLLATE NOCASE, m.id",
	[CB_SQL_MACRO_VARS] =
		"SELECT t.subject, t.status, t.priority, u.name, u.email, a.name FROM tickets t"
		" JOIN users u ON u.id = t.requester_id LEFT JOIN accounts a ON a.id = t.account_id"
		" WHERE t.id = ?1",
	[CB_SQL_MACRO_ACTOR] =
		"SELECT name, email FROM users WHERE id = ?1",

	/* ---- uploads (app/ticket/upload.c) ---- */
	[CB_SQL_UPLOAD_EVENT] =
		"SELECT ticket_id, type, actor_id, data FROM events WHERE id = ?1",
	[CB_SQL_UPLOAD_INSERT] =
		"INSERT INTO attachments(ticket_id, event_id, filename, content_type, size, sha256,"
		" content_id, inline, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, 0, ?7, ?8) RETURNING id",

	/* ---- mail events and outbox statistics (app/mail/mail_in.c, mail_out.c) ---- */
	[CB_SQL_MAIL_EVENT_FIRST] =
		"SELECT id FROM events WHERE ticket_id = ?1 ORDER BY seq LIMIT 1",
	[CB_SQL_MAIL_EVENT_DATA] =
		"SELECT data FROM events WHERE id = ?1",
	[CB_SQL_OUTBOX_STATS] =
		"SELECT state, count(*), min(CASE WHEN state = 'queued' THEN"
		" created_at END) FROM outbox GROUP BY state",

	/* ---- search document frequencies (store/search_fts5.c) ---- */
	[CB_SQL_SEARCH_DF_TICKETS] =
		"SELECT count(*) FROM search_index WHERE search_index MATCH ?1 AND rowid > 0",
	[CB_SQL_SEARCH_DF_ARTICLES] =
		"SELECT count(*) FROM search_index WHERE search_index MATCH ?1 AND rowid < 0",

	/* ---- article lists (app/knowledge/article.c) ---- */
	[CB_SQL_ARTICLE_VERSION_OF] =
		"SELECT version FROM articles WHERE id = ?1",
	[CB_SQL_ARTICLE_LIST] =
		"SELECT " CB_ARTICLE_COLS " FROM articles a WHERE a.id > ?1"
		" AND (?9 = 0 OR (a.state = 'published' AND a.visibility = 'public'))"
		" AND (?2 IS NULL OR a.type = ?2) AND (?3 IS NULL OR a.state = ?3)"
		" AND (?4 IS NULL OR a.visibility = ?4)"
		" AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.tags) WHERE value = ?5))"
		" AND (?6 IS NULL OR a.product_area = ?6)"
		" AND (?7 IS NULL OR (a.review_by IS NOT NULL AND a.review_by < ?7 AND a.state <> 'archived'))"
		" ORDER BY a.id LIMIT ?8",

	/* ---- KPI rollups rebuilt from the facts (app/report/report.c; a script) ---- */
	[CB_SQL_ROLLUP_REBUILD] =
		CB_SQL_ROLLUP_DERIVE,
	/* ---- the job queue (src/jobs/queue.c): claims and leases (migration 018) ---- */
	/* the earliest due_at of an unclaimed job, and the earliest lease that runs	 * out (a claimed job becomes claimable again then) */
	[CB_SQL_JOBQ_NEXT] =
		"SELECT (SELECT due_at FROM jobs WHERE claimed_by IS NULL ORDER BY due_at LIMIT 1),"
		" (SELECT min(lease_until) FROM jobs WHERE claimed_by IS NOT NULL)",
	/* jobs due strictly before ?1 that nobody holds (or whose lease ran out),	 * in due order (ties in insertion order), before (due ?3, id ?4) */
	[CB_SQL_JOBQ_CANDIDATES] =
		"SELECT id, due_at, kind, ticket_id, clock, instance, attempts FROM jobs"
		" WHERE due_at < ?1 AND (claimed_by IS NULL OR lease_until < ?1)"
		" AND (due_at < ?3 OR (due_at = ?3 AND id < ?4))"
		" ORDER BY due_at, id LIMIT ?2",
	/* ?1 id, ?2 node, ?3 lease until, ?4 now: one change when claimed */
	[CB_SQL_JOBQ_CLAIM] =
		"UPDATE jobs SET claimed_by = ?2, lease_until = ?3"
		" WHERE id = ?1 AND (claimed_by IS NULL OR lease_until < ?4)",
	/* a row when ?2 still holds job ?1 */
	[CB_SQL_JOBQ_OWNED] =
		"SELECT attempts FROM jobs WHERE id = ?1 AND claimed_by = ?2",
	[CB_SQL_JOBQ_DELETE] =
		"DELETE FROM jobs WHERE id = ?1",
	/* unclaimed again, due at ?2, progress ?3, failed runs ?4 */
	[CB_SQL_JOBQ_RESCHEDULE] =
		"UPDATE jobs SET due_at = ?2, instance = ?3, attempts = ?4, claimed_by = NULL,"
		" lease_until = NULL WHERE id = ?1",
	[CB_SQL_JOBQ_RELEASE] =
		"UPDATE jobs SET claimed_by = NULL, lease_until = NULL WHERE id = ?1 AND claimed_by = ?2",
	/* a job that continues, back (as a new row: its id may have been taken)	 * after it was removed for its run: ?1 due, ?2 kind, ?3 ticket, ?4 clock,	 * ?5 progress */
	[CB_SQL_JOBQ_REINSERT] =
		"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance, attempts)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 0)",
	/* per kind: jobs, the earliest due_at before ?1 (the oldest due one) */
	[CB_SQL_JOBQ_STATS] =
		"SELECT kind, count(*), min(CASE WHEN due_at < ?1 THEN due_at END) FROM jobs GROUP BY kind",
	/* ---- pending work of the worker job kinds (src/jobs/kinds.c) ---- */
	[CB_SQL_SEARCH_PENDING_COUNT] =
		"SELECT count(*) FROM search_pending",
	/* the mail.outbox job kind's pending work: queued rows, the oldest's creation */
	[CB_SQL_OUTBOX_PENDING] =
		"SELECT count(*), min(created_at) FROM outbox WHERE state = 'queued'",
	/* ---- pages of tickets in a bounded number of statements (app/ticket/ticket_page.c) ---- */
	/* The references of a page (users ?1, accounts ?2, groups ?3: JSON arrays	 * of ids) in one statement: kind (0 user, 1 account, 2 group), id, then	 * email, name (users), name, tier (accounts), name (groups). */
	[CB_SQL_DIR_REFS_PAGE] =
		"SELECT 0, id, email, name FROM users WHERE id IN (SELECT value FROM json_each(?1))"
		" UNION ALL SELECT 1, id, name, tier FROM accounts WHERE id IN (SELECT value FROM json_each(?2))"
		" UNION ALL SELECT 2, id, name, NULL FROM groups WHERE id IN (SELECT value FROM json_each(?3))",
	/* The same for a page of tickets (?1 a JSON array of ids), ticket id first. */
	[CB_SQL_FIXED_DEFECTS_OF_TICKETS] =
		"SELECT l.ticket_id, d.id, d.tracker, d.key, d.url, d.title, d.fixed_at FROM defect_links l"
		" JOIN defects d ON d.id = l.defect_id"
		" WHERE l.ticket_id IN (SELECT value FROM json_each(?1)) AND d.status = 'fixed'"
		" ORDER BY l.ticket_id, d.fixed_at, d.id",
	/* The tiers of accounts ?1 (a JSON array of ids): id, tier. */
	[CB_SQL_SLA_ACCOUNT_TIERS] =
		"SELECT id, tier FROM accounts WHERE id IN (SELECT value FROM json_each(?1))",
	/* The events of a page of tickets (?1 a JSON array of ticket ids). */
	[CB_SQL_SLA_EVENTS_PAGE] =
		"SELECT ticket_id, type, at, actor_id, data FROM events"
		" WHERE ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY ticket_id, seq",
	/* A page of tickets (app/ticket/ticket_page.c): ?1 is a JSON array of ids; the	 * rows come in no particular order. */
	[CB_SQL_TICKET_PAGE] =
		"SELECT " CB_TICKET_COLS " FROM tickets WHERE id IN (SELECT value FROM json_each(?1))",
	/* The follow-ups of a page of tickets (?1 a JSON array of ids): followup_of, id. */
	[CB_SQL_TICKET_PAGE_FOLLOWUPS] =
		"SELECT followup_of, id FROM tickets"
		" WHERE followup_of IN (SELECT value FROM json_each(?1)) ORDER BY followup_of, id",
};

const char *cb_sql_sqlite_text(cb_sql id)
{
	return (unsigned)id < CB_SQL__COUNT ? texts[id] : 0;
}
