/* migrations.c - the schema, one numbered step at a time (see migrations.h).
 *
 * Instants are INTEGER UTC milliseconds. JSON-valued columns hold text that
 * the application wrote with jansson. Tickets are a fold of `events`: the
 * `tickets` row is the materialized state, updated in the same transaction
 * as every appended event. */
#include "store/migrations.h"

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
};
const int cb_migrations_count = (int)(sizeof cb_migrations / sizeof cb_migrations[0]);
