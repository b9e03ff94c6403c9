/* migrations.c - the schema, one numbered step at a time (see migrations.h).
 *
 * Instants are INTEGER UTC milliseconds. JSON-valued columns hold text that
 * the application wrote with jansson. Tickets are a fold of `events`: the
 * `tickets` row is the materialized state, updated in the same transaction
 * as every appended event. */
#include "store/migrations.h"
#include "store/sql_rollup.h"

static const char m001[] =
	"CREATE TABLE accounts("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  tier TEXT NOT NULL CHECK (tier IN ('enterprise','business','standard')),"
	"  domains TEXT NOT NULL DEFAULT '[]',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE account_domains("
	"  domain TEXT PRIMARY KEY COLLATE NOCASE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE users("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL CHECK (role IN ('admin','agent','engineer','customer')),"
	"  account_id INTEGER REFERENCES accounts(id),"
	"  password_hash TEXT,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX users_account ON users(account_id);"
	"CREATE TABLE tokens("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  hash BLOB NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER) STRICT;"
	"CREATE TABLE groups("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE group_members("
	"  group_id INTEGER NOT NULL REFERENCES groups(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  PRIMARY KEY (group_id, user_id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE tickets("
	"  id INTEGER PRIMARY KEY,"
	"  external_id TEXT UNIQUE,"
	"  subject TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL,"
	"  priority TEXT NOT NULL,"
	"  category TEXT,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  account_id INTEGER REFERENCES accounts(id),"
	"  requester_id INTEGER NOT NULL REFERENCES users(id),"
	"  assignee_id INTEGER REFERENCES users(id),"
	"  group_id INTEGER REFERENCES groups(id),"
	"  environment TEXT NOT NULL DEFAULT '{}',"
	"  custom_fields TEXT NOT NULL DEFAULT '{}',"
	"  followup_of INTEGER REFERENCES tickets(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  solved_at INTEGER,"
	"  closed_at INTEGER,"
	"  reopen_count INTEGER NOT NULL DEFAULT 0,"
	"  nevents INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX tickets_status ON tickets(status, id);"
	"CREATE INDEX tickets_account ON tickets(account_id, id);"
	"CREATE INDEX tickets_requester ON tickets(requester_id, id);"
	"CREATE INDEX tickets_assignee ON tickets(assignee_id, id);"
	"CREATE INDEX tickets_group ON tickets(group_id, id);"
	"CREATE INDEX tickets_created ON tickets(created_at);"
	"CREATE TABLE ticket_tags("
	"  tag TEXT NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  PRIMARY KEY (tag, ticket_id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  seq INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER REFERENCES users(id),"
	"  type TEXT NOT NULL,"
	"  data TEXT NOT NULL DEFAULT '{}',"
	"  UNIQUE (ticket_id, seq)) STRICT;"
	"CREATE INDEX events_type_at ON events(type, at);"
	"CREATE TABLE idempotency("
	"  user_id INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  body TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, key)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL DEFAULT '',"
	"  data TEXT NOT NULL DEFAULT '{}') STRICT;"
	"CREATE TABLE settings("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) STRICT, WITHOUT ROWID;";

/* 002: SLA engine. Calendars and policies are configuration; ticket_sla is
 * the materialized clock summary used by queues (ordered by the most urgent
 * due instant); sla_instances keeps every clock instance for the KPIs; jobs
 * are persisted timers ordered by due time; sla_fired makes each at-risk and
 * breach timeline event happen exactly once per clock instance. */
static const char m002[] =
	"CREATE TABLE calendars("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  timezone TEXT NOT NULL,"
	"  hours TEXT NOT NULL,"
	"  holidays TEXT NOT NULL DEFAULT '[]',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE sla_policies("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  position INTEGER NOT NULL UNIQUE,"
	"  conditions TEXT NOT NULL DEFAULT '{}',"
	"  calendar_id INTEGER REFERENCES calendars(id),"
	"  targets TEXT NOT NULL DEFAULT '{}',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE ticket_sla("
	"  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),"
	"  policy_id INTEGER,"
	"  open INTEGER NOT NULL,"
	"  next_due_at INTEGER,"
	"  at_risk_at INTEGER,"
	"  breached INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX ticket_sla_due ON ticket_sla(open, next_due_at);"
	"CREATE INDEX ticket_sla_risk ON ticket_sla(open, at_risk_at);"
	"CREATE TABLE sla_instances("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  clock TEXT NOT NULL,"
	"  instance INTEGER NOT NULL,"
	"  policy_id INTEGER,"
	"  target_ms INTEGER,"
	"  state TEXT NOT NULL,"
	"  elapsed_ms INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  breached_at INTEGER,"
	"  settled_at INTEGER,"
	"  PRIMARY KEY (ticket_id, clock, instance)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX sla_instances_settled ON sla_instances(settled_at);"
	"CREATE TABLE jobs("
	"  id INTEGER PRIMARY KEY,"
	"  due_at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  ticket_id INTEGER,"
	"  clock TEXT,"
	"  instance INTEGER,"
	"  UNIQUE (kind, ticket_id, clock, instance)) STRICT;"
	"CREATE INDEX jobs_due ON jobs(due_at);"
	"CREATE TABLE sla_fired("
	"  ticket_id INTEGER NOT NULL,"
	"  clock TEXT NOT NULL,"
	"  instance INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, clock, instance, kind)) STRICT, WITHOUT ROWID;";

/* 003: saved views (queues): a base queue plus filters and a sort, owned
 * by a user (personal) or shared (owner_id NULL). Names are unique per
 * owner and among shared views. */
static const char m003[] =
	"CREATE TABLE saved_views("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  owner_id INTEGER REFERENCES users(id),"
	"  base TEXT NOT NULL,"
	"  filters TEXT NOT NULL DEFAULT '{}',"
	"  sort TEXT NOT NULL DEFAULT 'urgency',"
	"  created_by INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE UNIQUE INDEX saved_views_name ON saved_views(coalesce(owner_id, 0), name COLLATE NOCASE);";

/* 004: rewriting a ticket's tags deletes by ticket_id: index it. */
static const char m004[] = "CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id);";

/* 005: reporting. kpi_facts holds a ticket's KPI facts (core/kpi.h),
 * rewritten with its SLA clocks on every write: one row per KPI event with
 * the group_by keys of that instant; backlog segments [at, until) carry
 * kind 13 (until = INT64_MAX while open). A report is range reads on (kind, at)
 * and, for the backlog at `to`, on the partial index by until.
 * sla_instances gains the live state of each instance (due and at-risk
 * instants of a running clock, live = not yet fulfilled, cancelled or
 * frozen) for the /metrics clock gauges. */
static const char m005[] =
	"CREATE TABLE kpi_facts("
	"  ticket_id INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  until INTEGER,"
	"  v1 INTEGER,"
	"  v2 INTEGER,"
	"  flag INTEGER NOT NULL DEFAULT 0,"
	"  priority INTEGER NOT NULL,"
	"  account_id INTEGER,"
	"  category TEXT,"
	"  group_id INTEGER,"
	"  assignee_id INTEGER) STRICT;"
	"CREATE INDEX kpi_facts_kind_at ON kpi_facts(kind, at);"
	"CREATE INDEX kpi_facts_ticket ON kpi_facts(ticket_id);"
	"CREATE INDEX kpi_facts_backlog ON kpi_facts(until, at) WHERE kind = 13;"
	"ALTER TABLE sla_instances ADD COLUMN due_at INTEGER;"
	"ALTER TABLE sla_instances ADD COLUMN at_risk_at INTEGER;"
	"ALTER TABLE sla_instances ADD COLUMN live INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX sla_instances_live ON sla_instances(clock, state) WHERE live = 1;"
	"CREATE INDEX sla_instances_breached ON sla_instances(clock, breached_at)"
	"  WHERE breached_at IS NOT NULL;";

/* 006: GET /tickets/{id} lists a ticket's follow-ups by followup_of; without
 * an index that was a scan of every ticket per read (bench/README.md). */
static const char m006[] =
	"CREATE INDEX tickets_followup ON tickets(followup_of) WHERE followup_of IS NOT NULL;";

/* 007: kpi_facts laid out for range reads (replaces 005's table; facts are
 * derived, re-made by every ticket write or `casebook report rebuild`).
 * Clustered by (kind, span, at), so a report reads each KPI's period as one
 * contiguous range of the table. Backlog segments [at, until) (kind 13;
 * until = INT64_MAX while open) carry span = the bit length of
 * until - at (64 while open; 0 for every other kind): a segment of span k
 * open at instant e started after e - 2^k, so "open at e" is one bounded
 * range per span instead of a scan of every segment ending later. */
static const char m007[] =
	"DROP TABLE kpi_facts;"
	"CREATE TABLE kpi_facts("
	"  kind INTEGER NOT NULL,"
	"  span INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  ticket_id INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  until INTEGER,"
	"  v1 INTEGER,"
	"  v2 INTEGER,"
	"  flag INTEGER NOT NULL DEFAULT 0,"
	"  priority INTEGER NOT NULL,"
	"  account_id INTEGER,"
	"  category TEXT,"
	"  group_id INTEGER,"
	"  assignee_id INTEGER,"
	"  PRIMARY KEY (kind, span, at, ticket_id, seq)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX kpi_facts_ticket ON kpi_facts(ticket_id);";

/* 008: queues in urgency order straight from an index. urgency_at is the
 * most urgent instant of a ticket's open clocks: the breach instant of a
 * breached clock not yet fulfilled (in the past, so first), else the
 * earliest due instant of a running clock; INT64_MAX when none. */
static const char m008[] =
	"ALTER TABLE ticket_sla ADD COLUMN urgency_at INTEGER NOT NULL DEFAULT 9223372036854775807;"
	"CREATE INDEX ticket_sla_urgency ON ticket_sla(open, urgency_at, ticket_id);"
	/* rows from before: breached first (their instant is re-derived by the
	 * next write of the ticket), else by their earliest due instant */
	"UPDATE ticket_sla SET urgency_at = CASE WHEN breached = 1 THEN 0"
	"  ELSE coalesce(next_due_at, 9223372036854775807) END WHERE open = 1;";

/* 009: knowledge base and search (issue 6). Articles with their versions
 * (each a JSON snapshot), ticket links, votes and portal activity (views
 * and searches, for deflection). search_docs + search_fts index tickets and
 * articles: the FTS5 table holds Snowball-stemmed text (core/text.c), one
 * row per document part: rowid = ticket id*4 (public text), id*4+1
 * (internal notes, never matched for customers), article id*4+2. */
static const char m009[] =
	"CREATE TABLE articles("
	"  id INTEGER PRIMARY KEY,"
	"  type TEXT NOT NULL CHECK (type IN ('kb','runbook','known_error','faq')),"
	"  state TEXT NOT NULL CHECK (state IN ('draft','in_review','published','archived')),"
	"  visibility TEXT NOT NULL CHECK (visibility IN ('internal','public')),"
	"  title TEXT NOT NULL,"
	"  body TEXT NOT NULL DEFAULT '',"
	"  symptoms TEXT, cause TEXT, workaround TEXT, defect TEXT,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  product_area TEXT,"
	"  owner_id INTEGER REFERENCES users(id),"
	"  review_by TEXT,"
	"  version INTEGER NOT NULL,"
	"  created_by INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX articles_state ON articles(state, visibility, type);"
	"CREATE TABLE article_versions("
	"  article_id INTEGER NOT NULL REFERENCES articles(id),"
	"  version INTEGER NOT NULL,"
	"  author_id INTEGER REFERENCES users(id),"
	"  at INTEGER NOT NULL,"
	"  data TEXT NOT NULL,"
	"  PRIMARY KEY (article_id, version)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE article_links("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  article_id INTEGER NOT NULL REFERENCES articles(id),"
	"  user_id INTEGER REFERENCES users(id),"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket_id, article_id)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX article_links_article ON article_links(article_id);"
	"CREATE TABLE article_votes("
	"  article_id INTEGER NOT NULL REFERENCES articles(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  helpful INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (article_id, user_id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE kb_activity("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  customer INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  article_id INTEGER,"
	"  at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX kb_activity_article ON kb_activity(article_id, at);"
	"CREATE INDEX kb_activity_at ON kb_activity(at);"
	"CREATE TABLE search_docs("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  ref_id INTEGER NOT NULL,"
	"  part INTEGER NOT NULL,"
	"  account_id INTEGER,"
	"  status TEXT,"
	"  type TEXT,"
	"  public INTEGER NOT NULL,"
	"  at INTEGER NOT NULL) STRICT;"
	"CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0');";

/* 010: reports at scale and exact tiers (issue 5). kpi_rollup holds, per
 * UTC hour and group_by dimension key, the counts and sums of the KPI facts
 * whose KPIs are counts or means (kinds 1, 4, 7-12; store/sql_rollup.h),
 * kept in step with kpi_facts in the same write (app/report/report.c); dimensions
 * 1 priority, 2 account (0 none), 3 category (text, 0 none), 4 group,
 * 5 assignee. account_tiers is the tier history of each account: a row per
 * tier from an instant on, written by triggers on every insert and tier
 * change, backfilled with the current tier from the account's creation. */
static const char m010[] =
	"CREATE TABLE kpi_rollup("
	"  dim INTEGER NOT NULL, hour INTEGER NOT NULL, key ANY NOT NULL,"
	"  n INTEGER NOT NULL, created INTEGER NOT NULL, escalated INTEGER NOT NULL,"
	"  solved1 INTEGER NOT NULL, reopened1 INTEGER NOT NULL,"
	"  decided INTEGER NOT NULL, accepted INTEGER NOT NULL,"
	"  csat_n INTEGER NOT NULL, csat_sum INTEGER NOT NULL, csat_pos INTEGER NOT NULL,"
	"  ces_n INTEGER NOT NULL, ces_sum INTEGER NOT NULL,"
	"  fr_met INTEGER NOT NULL, fr_breached INTEGER NOT NULL, fr_due INTEGER NOT NULL,"
	"  nu_met INTEGER NOT NULL, nu_breached INTEGER NOT NULL, nu_due INTEGER NOT NULL,"
	"  res_met INTEGER NOT NULL, res_breached INTEGER NOT NULL, res_due INTEGER NOT NULL,"
	"  PRIMARY KEY (dim, hour, key)) STRICT, WITHOUT ROWID;"
	CB_SQL_ROLLUP_DERIVE
	"CREATE TABLE account_tiers("
	"  account_id INTEGER NOT NULL,"
	"  from_at INTEGER NOT NULL,"
	"  tier TEXT NOT NULL,"
	"  PRIMARY KEY (account_id, from_at)) STRICT, WITHOUT ROWID;"
	"INSERT INTO account_tiers SELECT id, created_at, tier FROM accounts;"
	"CREATE TRIGGER account_tiers_insert AFTER INSERT ON accounts BEGIN"
	"  INSERT OR REPLACE INTO account_tiers VALUES (new.id, new.created_at, new.tier); END;"
	"CREATE TRIGGER account_tiers_update AFTER UPDATE OF tier ON accounts"
	"  WHEN new.tier IS NOT old.tier BEGIN"
	"  INSERT OR REPLACE INTO account_tiers VALUES (new.id, new.updated_at, new.tier); END;";
/* 011: the search index, one FTS5 row per document (issue 6; store/search_fts5.c):
 * search_index holds tickets at rowid = id (subject, description + public
 * comments, internal comments, meta tokens "a<account> s<status>") and
 * articles at rowid = -id (meta "t<type> s<state> v<visibility>"), so
 * visibility and filters are part of the MATCH. The stemmed text of the 009
 * index is carried over; documents it did not hold are listed in
 * search_pending, which the server indexes in the background. */
static const char m011[] =
	"CREATE VIRTUAL TABLE search_index USING fts5(title, body, notes, meta,"
	"  tokenize = 'unicode61 remove_diacritics 0');"
	"CREATE TABLE search_pending("
	"  kind INTEGER NOT NULL,"
	"  id INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, id)) STRICT, WITHOUT ROWID;"
	"INSERT INTO search_index(rowid, title, body, notes, meta)"
	"  SELECT -a.id, p.title, p.body, '', 't' || replace(a.type, '_', '') || ' s' ||"
	"    replace(a.state, '_', '') || ' v' || a.visibility"
	"  FROM articles a JOIN search_fts p ON p.rowid = a.id * 4 + 2 ORDER BY a.id DESC;"
	"INSERT INTO search_index(rowid, title, body, notes, meta)"
	"  SELECT t.id, coalesce(p.title, ''), coalesce(p.body, ''), coalesce(i.body, ''),"
	"    'a' || coalesce(t.account_id, 0) || ' s' || replace(t.status, '_', '')"
	"  FROM tickets t JOIN search_fts p ON p.rowid = t.id * 4"
	"  LEFT JOIN search_fts i ON i.rowid = t.id * 4 + 1 ORDER BY t.id;"
	"INSERT INTO search_pending(kind, id)"
	"  SELECT 1, id FROM tickets WHERE id NOT IN (SELECT rowid FROM search_index WHERE rowid > 0);"
	"INSERT INTO search_pending(kind, id)"
	"  SELECT 2, id FROM articles WHERE -id NOT IN (SELECT rowid FROM search_index WHERE rowid < 0);"
	"DROP TABLE search_fts;"
	"DROP TABLE search_docs;";
/* m012: escalations to resolver groups (package, score, lifecycle), the
 * per-group minimum score, defects in external trackers and problems /
 * known errors, each with its links to tickets (the links' history is on
 * the ticket timeline as `defect` and `problem` events). */
static const char m012[] =
	"CREATE TABLE escalations("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  group_id INTEGER REFERENCES groups(id)," /* null: imported without a group */
	"  status TEXT NOT NULL CHECK (status IN ('open','acknowledged','accepted','returned','resolved')),"
	"  package TEXT NOT NULL DEFAULT '{}',"
	"  score INTEGER NOT NULL,"
	"  question TEXT,"
	"  answer TEXT,"
	"  resolution TEXT,"
	"  history TEXT NOT NULL DEFAULT '[]',"
	"  imported INTEGER NOT NULL DEFAULT 0,"
	"  created_by INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  acknowledged_at INTEGER,"
	"  decided_at INTEGER,"
	"  resolved_at INTEGER) STRICT;"
	"CREATE INDEX escalations_ticket ON escalations(ticket_id, id);"
	"CREATE INDEX escalations_queue ON escalations(group_id, status, created_at, id);"
	"CREATE TABLE escalation_settings("
	"  group_id INTEGER PRIMARY KEY REFERENCES groups(id),"
	"  min_score INTEGER NOT NULL CHECK (min_score BETWEEN 0 AND 5)) STRICT;"
	"CREATE TABLE defects("
	"  id INTEGER PRIMARY KEY,"
	"  tracker TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  url TEXT,"
	"  title TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL CHECK (status IN ('open','in_progress','fixed','wont_fix','duplicate')),"
	"  fixed_at INTEGER,"
	"  created_by INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (tracker, key)) STRICT;"
	"CREATE TABLE defect_links("
	"  defect_id INTEGER NOT NULL REFERENCES defects(id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  linked_by INTEGER REFERENCES users(id),"
	"  linked_at INTEGER NOT NULL,"
	"  PRIMARY KEY (defect_id, ticket_id)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX defect_links_ticket ON defect_links(ticket_id, defect_id);"
	"CREATE TABLE problems("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL CHECK (status IN ('open','known_error','resolved')),"
	"  category TEXT,"
	"  root_cause TEXT,"
	"  workaround TEXT,"
	"  article_id INTEGER REFERENCES articles(id),"
	"  created_by INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  resolved_at INTEGER) STRICT;"
	"CREATE TABLE problem_links("
	"  problem_id INTEGER NOT NULL REFERENCES problems(id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  linked_by INTEGER REFERENCES users(id),"
	"  linked_at INTEGER NOT NULL,"
	"  PRIMARY KEY (problem_id, ticket_id)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX problem_links_ticket ON problem_links(ticket_id, problem_id);";
/* 013: major incidents, the public status page and post-incident reviews
 * (docs/incidents.md). incident_events is each incident's own timeline
 * (updates are entries with kind 'update'); overdue_fired_due keeps the
 * "customer update late" entry to one per missed deadline; the
 * status.feed_uuid setting names this instance's Atom feed. */
static const char m013[] =
	"CREATE TABLE components("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  position INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'operational',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE incidents("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  severity INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  public INTEGER NOT NULL DEFAULT 0,"
	"  commander_id INTEGER REFERENCES users(id),"
	"  tech_lead_id INTEGER REFERENCES users(id),"
	"  comms_lead_id INTEGER REFERENCES users(id),"
	"  cadence_min INTEGER,"
	"  started_at INTEGER NOT NULL,"
	"  last_public_update_at INTEGER,"
	"  next_update_due INTEGER,"
	"  overdue_fired_due INTEGER,"
	"  resolved_at INTEGER,"
	"  created_by INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX incidents_status ON incidents(status, id);"
	"CREATE TABLE incident_components("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  component_id INTEGER NOT NULL REFERENCES components(id),"
	"  PRIMARY KEY (incident_id, component_id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE incident_accounts("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  PRIMARY KEY (incident_id, account_id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE incident_tickets("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  linked_at INTEGER NOT NULL,"
	"  linked_by INTEGER,"
	"  PRIMARY KEY (incident_id, ticket_id)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX incident_tickets_ticket ON incident_tickets(ticket_id);"
	"CREATE TABLE incident_events("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER,"
	"  kind TEXT NOT NULL,"
	"  public INTEGER NOT NULL DEFAULT 0,"
	"  data TEXT NOT NULL DEFAULT '{}') STRICT;"
	"CREATE INDEX incident_events_incident ON incident_events(incident_id, id);"
	"CREATE INDEX incident_events_public ON incident_events(public, kind, at);"
	"CREATE TABLE incident_reviews("
	"  incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),"
	"  summary TEXT NOT NULL DEFAULT '',"
	"  customer_impact TEXT NOT NULL DEFAULT '',"
	"  timeline TEXT NOT NULL DEFAULT '[]',"
	"  contributing_factors TEXT NOT NULL DEFAULT '[]',"
	"  updated_by INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE review_actions("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  type TEXT NOT NULL,"
	"  title TEXT NOT NULL,"
	"  owner_id INTEGER REFERENCES users(id),"
	"  due_date TEXT,"
	"  status TEXT NOT NULL DEFAULT 'open',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  done_at INTEGER) STRICT;"
	"CREATE INDEX review_actions_due ON review_actions(status, due_date);"
	"CREATE INDEX review_actions_incident ON review_actions(incident_id, id);"
	"INSERT OR IGNORE INTO settings(key, value) VALUES ('status.feed_uuid',"
	"  lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||"
	"  substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||"
	"  substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))));";

/* m014: the e-mail channel. mail_messages holds every message in and out
 * (Message-ID without <>, the ticket it belongs to, the raw original of
 * inbound mail) so replies thread by In-Reply-To/References; attachments
 * (of mail now, of the portal later) belong to a ticket and a comment event;
 * mail_participants are the addresses seen on a ticket's mail (sender, To,
 * Cc), who may join it by the ticket token in a subject; the outbox queues
 * rendered outgoing mail until the SMTP server accepted it; mail_templates
 * holds the admins' edits of the notification templates. */
static const char m014[] =
	"CREATE TABLE mail_messages("
	"  id INTEGER PRIMARY KEY,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
	"  message_id TEXT NOT NULL,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  event_id INTEGER,"
	"  from_addr TEXT NOT NULL,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  result TEXT NOT NULL,"
	"  reason TEXT,"
	"  raw BLOB,"
	"  at INTEGER NOT NULL) STRICT;"
	"CREATE UNIQUE INDEX mail_messages_in ON mail_messages(message_id) WHERE direction = 'in';"
	"CREATE INDEX mail_messages_mid ON mail_messages(message_id, ticket_id);"
	"CREATE INDEX mail_messages_ticket ON mail_messages(ticket_id, id);"
	"CREATE INDEX mail_messages_from ON mail_messages(from_addr, at);"
	"CREATE TABLE mail_participants("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  addr TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (ticket_id, addr)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE attachments("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  event_id INTEGER,"
	"  filename TEXT NOT NULL,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  content_id TEXT,"
	"  inline INTEGER NOT NULL DEFAULT 0,"
	"  data BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX attachments_ticket ON attachments(ticket_id, event_id);"
	"CREATE TABLE outbox("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  event_id INTEGER,"
	"  kind TEXT NOT NULL,"
	"  mail_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  subject TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER) STRICT;"
	"CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'queued';"
	"CREATE TABLE mail_templates("
	"  event TEXT PRIMARY KEY,"
	"  subject TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  updated_by INTEGER REFERENCES users(id),"
	"  updated_at INTEGER NOT NULL) STRICT;";

/* m015: browser sessions (the web console and portal): only a hash of the
 * cookie's secret is stored, with the CSRF token the session's state
 * changes must carry; failed logins for throttling; macros (saved replies
 * with placeholders and field changes, personal or shared). */
static const char m015[] =
	"CREATE TABLE sessions("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  revoked_at INTEGER) STRICT;"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE login_failures("
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX login_failures_email ON login_failures(email, at);"
	"CREATE TABLE macros("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  scope TEXT NOT NULL CHECK (scope IN ('personal','shared')),"
	"  owner_id INTEGER NOT NULL REFERENCES users(id),"
	"  body TEXT NOT NULL DEFAULT '',"
	"  public INTEGER NOT NULL DEFAULT 1,"
	"  changes TEXT NOT NULL DEFAULT '{}',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  deleted_at INTEGER) STRICT;"
	"CREATE INDEX macros_owner ON macros(owner_id);";

/* m016 (issue 14, mail delivery): the outbox learns per-recipient
 * outcomes. `refused` lists the recipients a server refused for good
 * ([{"address", "reply", "at"}]: a 5xx to RCPT TO, or a delivery status
 * notification that came back), `pending` the recipients still to be
 * delivered after a partial delivery (NULL = all of rcpt), and a row whose
 * DSN came back is 'bounced' (SQLite cannot alter a CHECK: the table is
 * rebuilt). mail_suppressed holds the addresses that hard-bounced: they
 * are not mailed again until they write in themselves. */
static const char m016[] =
	"CREATE TABLE outbox_new("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  event_id INTEGER,"
	"  kind TEXT NOT NULL,"
	"  mail_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  subject TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','sent','failed','bounced')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  refused TEXT NOT NULL DEFAULT '[]',"
	"  pending TEXT) STRICT;"
	"INSERT INTO outbox_new(id, ticket_id, event_id, kind, mail_from, rcpt, message_id, subject,"
	"  raw, state, attempts, next_at, last_error, created_at, sent_at)"
	"  SELECT id, ticket_id, event_id, kind, mail_from, rcpt, message_id, subject, raw, state,"
	"  attempts, next_at, last_error, created_at, sent_at FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_new RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'queued';"
	"CREATE TABLE mail_suppressed("
	"  addr TEXT PRIMARY KEY COLLATE NOCASE,"
	"  reason TEXT NOT NULL,"
	"  ticket_id INTEGER,"
	"  at INTEGER NOT NULL) STRICT;";

/* m017: failed logins remember the client's address: throttling is per
 * (e-mail, address) and per address, so failures from one address never
 * lock the account's owner out elsewhere. */
static const char m017[] =
	"ALTER TABLE login_failures ADD COLUMN ip TEXT NOT NULL DEFAULT '';"
	"DROP INDEX login_failures_email;"
	"CREATE INDEX login_failures_email_ip ON login_failures(email, ip, at);"
	"CREATE INDEX login_failures_ip ON login_failures(ip, at);";

/* m018 (issue 15, one job system): a job is claimed before it runs. A
 * claimer sets claimed_by (its node id) and lease_until in a transaction
 * of its own, runs the job, and deletes or reschedules the row only while
 * it still holds the claim; a claim whose lease has passed may be taken
 * over (its holder died). attempts counts failed runs for the kind's retry
 * policy (src/jobs/kinds.c). jobs_claimed finds the leases that run out. */
static const char m018[] =
	"ALTER TABLE jobs ADD COLUMN claimed_by TEXT;"
	"ALTER TABLE jobs ADD COLUMN lease_until INTEGER;"
	"ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX jobs_claimed ON jobs(lease_until) WHERE claimed_by IS NOT NULL;";

const char *const cb_migrations[] = {
	m001,
	m002,
	m003,
	m004,
	m005,
	m006,
	m007,
	m008,
	m009,
	m010,
	m011,
	m012,
	m013,
	m014,
	m015,
	m016,
	m017,
	m018,
};
const int cb_migrations_count = (int)(sizeof cb_migrations / sizeof cb_migrations[0]);
