/* sqlite_ref.c - the storage reference for ticket create: raw SQLite doing
 * the same durable writes as Casebook, with nothing else around them.
 *
 *   sqlite_ref --db FILE [--seconds S] [--clients N] [--sync full|normal]
 *              [--no-savepoints]
 *
 * FILE is a Casebook database (created with `casebook init`, so the schema
 * is Casebook's own migrations, indexes and foreign keys included; the
 * benchmark runs it on a copy of the loaded data set). Each "create" is one
 * tickets row plus its `created` events row, with column values of the
 * sizes Casebook writes. The connection is configured as Casebook's writer
 * (WAL, synchronous=FULL, foreign_keys=ON, 64 MiB cache).
 *
 * --clients 1: one writer, one transaction per create (BEGIN IMMEDIATE,
 * two INSERTs, COMMIT: one fsync per create).
 * --clients N > 1: N client threads each submit a create and wait for its
 * commit; one writer thread takes every queued create (at most 512), runs
 * each inside its own SAVEPOINT of one IMMEDIATE transaction and commits
 * once, then wakes them: the group commit of src/store/db.c without the
 * application. --no-savepoints drops the per-create SAVEPOINT.
 *
 * Prints one JSON object: creates/s, latency p50/p99 (submit to durable
 * commit, microseconds), commits and the mean batch. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static sqlite3 *db;
static sqlite3_stmt *ins_ticket, *ins_event;
static sqlite3_int64 account_id, requester_id;
static int savepoints = 1;
static long long seq;

static void die(const char *what)
{
	fprintf(stderr, "sqlite_ref: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
	exit(1);
}

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_ref: %s: %s\n", sql, msg ? msg : "");
		exit(1);
	}
}

static const char subject[] = "SSO login loop after enabling SAML";
static const char description[] =
	"Users are redirected back to the IdP endlessly after we switched on SAML. Started this "
	"morning for everyone in the EU tenant. We rotated nothing on our side; the IdP logs show "
	"successful assertions.";
static char event_data[1024];

/* One create: the ticket row and its first event. */
static void create_one(void)
{
	sqlite3_int64 t = (sqlite3_int64)(time(NULL)) * 1000 + (seq % 1000);
	char ext[48];
	snprintf(ext, sizeof ext, "REF-%ld-%lld", (long)getpid(), ++seq);
	sqlite3_bind_text(ins_ticket, 1, ext, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins_ticket, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_ticket, 3, description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins_ticket, 4, account_id);
	sqlite3_bind_int64(ins_ticket, 5, requester_id);
	sqlite3_bind_int64(ins_ticket, 6, t);
	if (sqlite3_step(ins_ticket) != SQLITE_DONE)
		die("insert ticket");
	sqlite3_reset(ins_ticket);
	sqlite3_int64 id = sqlite3_last_insert_rowid(db);
	sqlite3_bind_int64(ins_event, 1, id);
	sqlite3_bind_int64(ins_event, 2, t);
	sqlite3_bind_int64(ins_event, 3, requester_id);
	sqlite3_bind_text(ins_event, 4, event_data, -1, SQLITE_STATIC);
	if (sqlite3_step(ins_event) != SQLITE_DONE)
		die("insert event");
	sqlite3_reset(ins_event);
}

/* ---- group commit ---- */

struct req {
	int done;
	struct req *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_work = PTHREAD_COND_INITIALIZER, cv_done = PTHREAD_COND_INITIALIZER;
static struct req *head, *tail;
static int stop;
static long long commits, batched;

static void *writer_main(void *p)
{
	(void)p;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!head && !stop)
			pthread_cond_wait(&cv_work, &mu);
		if (!head && stop)
			break;
		struct req *b = head, *last = b;
		int n = 1;
		while (last->next && n < 512) {
			last = last->next;
			n++;
		}
		head = last->next;
		if (!head)
			tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&mu);
		exec("BEGIN IMMEDIATE");
		for (struct req *r = b; r; r = r->next) {
			if (savepoints)
				exec("SAVEPOINT job");
			create_one();
			if (savepoints)
				exec("RELEASE job");
		}
		exec("COMMIT");
		pthread_mutex_lock(&mu);
		commits++;
		batched += n;
		for (struct req *r = b; r; r = r->next)
			r->done = 1;
		pthread_cond_broadcast(&cv_done);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

struct client {
	pthread_t th;
	double until;
	double *lat;
	size_t n, cap;
};

static void record(struct client *c, double d)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->lat = realloc(c->lat, c->cap * sizeof *c->lat);
		if (!c->lat)
			die("out of memory");
	}
	c->lat[c->n++] = d;
}

static void *client_main(void *p)
{
	struct client *c = p;
	while (now_s() < c->until) {
		struct req r = {0};
		double t0 = now_s();
		pthread_mutex_lock(&mu);
		if (tail)
			tail->next = &r;
		else
			head = &r;
		tail = &r;
		pthread_cond_signal(&cv_work);
		while (!r.done)
			pthread_cond_wait(&cv_done, &mu);
		pthread_mutex_unlock(&mu);
		record(c, now_s() - t0);
	}
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *sync = "FULL";
	double seconds = 5;
	int clients = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-savepoints") == 0) {
			savepoints = 0;
			continue;
		}
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--db") == 0)
			path = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--clients") == 0)
			clients = atoi(argv[++i]);
		else if (strcmp(argv[i], "--sync") == 0)
			sync = strcmp(argv[++i], "normal") == 0 ? "NORMAL" : "FULL";
		else
			goto usage;
	}
	if (!path || clients < 1 || seconds <= 0)
		goto usage;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(path);
	sqlite3_busy_timeout(db, 10000);
	char pragmas[256];
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 "PRAGMA cache_size=-65536; PRAGMA temp_store=FILE;",
		 sync);
	exec(pragmas);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT id FROM accounts ORDER BY id LIMIT 1", -1, &q, NULL))
		die("schema (is this a Casebook database?)");
	if (sqlite3_step(q) == SQLITE_ROW)
		account_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT id FROM users ORDER BY role = 'customer' DESC, id LIMIT 1",
			       -1, &q, NULL))
		die("schema");
	if (sqlite3_step(q) == SQLITE_ROW)
		requester_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (!account_id || !requester_id)
		die("the database has no account or user (run casebook init first)");
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO tickets(external_id, subject, description, status, priority,"
			       " category, tags, account_id, requester_id, environment, created_at,"
			       " updated_at, nevents) VALUES (?1, ?2, ?3, 'new', 'P2', 'sso', '[\"sso\"]',"
			       " ?4, ?5, '{\"version\":\"5.2.1\",\"region\":\"eu-west-1\"}', ?6, ?6, 1)",
			       -1, SQLITE_PREPARE_PERSISTENT, &ins_ticket, NULL) ||
	    sqlite3_prepare_v3(db,
			       "INSERT INTO events(ticket_id, seq, at, actor_id, type, data)"
			       " VALUES (?1, 1, ?2, ?3, 'created', ?4)",
			       -1, SQLITE_PREPARE_PERSISTENT, &ins_event, NULL))
		die("prepare");
	snprintf(event_data, sizeof event_data,
		 "{\"subject\":\"%s\",\"description\":\"%s\",\"status\":\"new\",\"priority\":\"P2\","
		 "\"category\":\"sso\",\"tags\":[\"sso\"],\"account\":%lld,\"requester\":%lld,"
		 "\"environment\":{\"version\":\"5.2.1\",\"region\":\"eu-west-1\"}}",
		 subject, description, (long long)account_id, (long long)requester_id);

	struct client *cs = calloc((size_t)clients, sizeof *cs);
	double t0 = now_s(), until = t0 + seconds;
	if (clients == 1) {
		while (now_s() < until) {
			double a = now_s();
			exec("BEGIN IMMEDIATE");
			create_one();
			exec("COMMIT");
			record(&cs[0], now_s() - a);
			commits++;
			batched++;
		}
	} else {
		pthread_t w;
		pthread_create(&w, NULL, writer_main, NULL);
		for (int i = 0; i < clients; i++) {
			cs[i].until = until;
			pthread_create(&cs[i].th, NULL, client_main, &cs[i]);
		}
		for (int i = 0; i < clients; i++)
			pthread_join(cs[i].th, NULL);
		pthread_mutex_lock(&mu);
		stop = 1;
		pthread_cond_signal(&cv_work);
		pthread_mutex_unlock(&mu);
		pthread_join(w, NULL);
	}
	double el = now_s() - t0;
	size_t total = 0;
	for (int i = 0; i < clients; i++)
		total += cs[i].n;
	double *all = malloc((total ? total : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < clients; i++) {
		memcpy(all + k, cs[i].lat, cs[i].n * sizeof *all);
		k += cs[i].n;
	}
	qsort(all, total, sizeof *all, cmp_d);
	double p50 = total ? all[total / 2] : 0, p99 = total ? all[(size_t)((double)total * 0.99)] : 0;
	printf("{\"clients\":%d,\"sync\":\"%s\",\"savepoints\":%s,\"creates\":%zu,\"seconds\":%.3f,"
	       "\"rps\":%.1f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"commits\":%lld,\"mean_batch\":%.2f}\n",
	       clients, sync, savepoints ? "true" : "false", total, el, (double)total / el, p50 * 1e6,
	       p99 * 1e6, commits, commits ? (double)batched / (double)commits : 0.0);
	sqlite3_finalize(ins_ticket);
	sqlite3_finalize(ins_event);
	sqlite3_close(db);
	return 0;
usage:
	fprintf(stderr, "usage: sqlite_ref --db FILE [--seconds S] [--clients N] [--sync full|normal]"
			" [--no-savepoints]\n");
	return 2;
}
