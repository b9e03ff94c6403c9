/* sql_jobs.h - statements of the persisted job queue (src/jobs/queue.c).
 *
 * Jobs (table of migrations m002 and m018): timers of the SLA engine
 * ("sla.at_risk", "sla.breached": ticket_id, clock and instance name the
 * clock), re-folds after a configuration change ("sla.refold": `instance`
 * holds the progress, the id of the last ticket already re-folded, so a
 * restart continues where it stopped) and incident update deadlines
 * ("incident.update_due": instance = incident id).
 *
 * Claims (m018): a claimer marks a due row with its node id and a lease in
 * a transaction of its own (CB_SQL_JOBQ_CLAIM, one row, checked by its
 * change count), then, in the transaction that runs the job, checks it
 * still holds the row (CB_SQL_JOBQ_OWNED) before it runs and deletes or
 * reschedules it. On PostgreSQL the candidates are read with
 * FOR UPDATE SKIP LOCKED in the claim transaction instead; the columns and
 * the steps are the same. */
#ifndef CB_SQL_JOBS_H
#define CB_SQL_JOBS_H

/* the earliest due_at of an unclaimed job, and the earliest lease that runs
 * out (a claimed job becomes claimable again then) */
static const char CB_SQL_JOBQ_NEXT[] =
	"SELECT (SELECT due_at FROM jobs WHERE claimed_by IS NULL ORDER BY due_at LIMIT 1),"
	" (SELECT min(lease_until) FROM jobs WHERE claimed_by IS NOT NULL)";
/* jobs due strictly before ?1 that nobody holds (or whose lease ran out),
 * in due order (ties in insertion order), before (due ?3, id ?4) */
static const char CB_SQL_JOBQ_CANDIDATES[] =
	"SELECT id, due_at, kind, ticket_id, clock, instance, attempts FROM jobs"
	" WHERE due_at < ?1 AND (claimed_by IS NULL OR lease_until < ?1)"
	" AND (due_at < ?3 OR (due_at = ?3 AND id < ?4))"
	" ORDER BY due_at, id LIMIT ?2";
/* ?1 id, ?2 node, ?3 lease until, ?4 now: one change when claimed */
static const char CB_SQL_JOBQ_CLAIM[] =
	"UPDATE jobs SET claimed_by = ?2, lease_until = ?3"
	" WHERE id = ?1 AND (claimed_by IS NULL OR lease_until < ?4)";
/* a row when ?2 still holds job ?1 */
static const char CB_SQL_JOBQ_OWNED[] = "SELECT attempts FROM jobs WHERE id = ?1 AND claimed_by = ?2";
static const char CB_SQL_JOBQ_DELETE[] = "DELETE FROM jobs WHERE id = ?1";
/* unclaimed again, due at ?2, progress ?3, failed runs ?4 */
static const char CB_SQL_JOBQ_RESCHEDULE[] =
	"UPDATE jobs SET due_at = ?2, instance = ?3, attempts = ?4, claimed_by = NULL,"
	" lease_until = NULL WHERE id = ?1";
static const char CB_SQL_JOBQ_RELEASE[] =
	"UPDATE jobs SET claimed_by = NULL, lease_until = NULL WHERE id = ?1 AND claimed_by = ?2";
/* a job that continues, back (as a new row: its id may have been taken)
 * after it was removed for its run: ?1 due, ?2 kind, ?3 ticket, ?4 clock,
 * ?5 progress */
static const char CB_SQL_JOBQ_REINSERT[] =
	"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance, attempts)"
	" VALUES (?1, ?2, ?3, ?4, ?5, 0)";
/* per kind: jobs, the earliest due_at before ?1 (the oldest due one) */
static const char CB_SQL_JOBQ_STATS[] =
	"SELECT kind, count(*), min(CASE WHEN due_at < ?1 THEN due_at END) FROM jobs GROUP BY kind";

static const char CB_SQL_JOBS_REFOLD_CLEAR[] = "DELETE FROM jobs WHERE kind = 'sla.refold'";
static const char CB_SQL_JOBS_REFOLD_INSERT[] =
	"INSERT INTO jobs(due_at, kind, ticket_id, clock, instance)"
	" VALUES (?1, 'sla.refold', NULL, NULL, 0)";

#endif
