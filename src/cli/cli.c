/* cli.c - subcommand table and the commands that run the instance
 * (init, serve, backup, restore). Other subcommands live in cli/cmd_*.c. */
#include "cli/cli.h"
#include "api/ratelimit.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "app/directory/auth.h"
#include "app/report/check.h"
#include "app/instance/demo.h"
#include "app/sla/calendar_cache.h"
#include "app/sla/sla.h"
#include "app/directory/setup.h"
#include "http/server.h"
#include "jobs/kinds.h"
#include "app/mail/mail_channels.h"
#include "app/mail/mail_out.h"
#include "util/alloc.h"
#include "util/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cb_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("casebook: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *cb_cli_opt(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) == 0) {
			if (argv[i][n] == '=')
				return argv[i] + n + 1;
			if (argv[i][n] == '\0' && i + 1 < argc)
				return argv[i + 1];
		}
	}
	return NULL;
}

int cb_cli_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int cb_cli_wants_help(int argc, char **argv)
{
	return cb_cli_flag(argc, argv, "--help") || cb_cli_flag(argc, argv, "-h");
}

/* The one place the command line opens a data directory. create: `init`
 * makes DIR and its database; every other command opens an initialised
 * Casebook data directory or fails naming DIR, creating nothing. */
static int open_data(cb_app *app, int argc, char **argv, const char *usage, int create)
{
	const char *dir = cb_cli_opt(argc, argv, "--data");
	if (!dir) {
		fputs(usage, stderr);
		return 2;
	}
	if (cb_auth_init()) {
		cb_cli_error("cannot initialize libsodium");
		return 1;
	}
	cb_db_opts o = {.synchronous_full = 1, .existing = !create};
	const char *sync = cb_cli_opt(argc, argv, "--sync");
	if (sync && strcmp(sync, "normal") == 0)
		o.synchronous_full = 0;
	cb_err err = {0};
	if (cb_db_open(&app->db, dir, &o, &err)) {
		if (err.code == CB_E_NOTFOUND)
			cb_cli_error("%s; create one with 'casebook init --data %s'", err.message, dir);
		else
			cb_cli_error("%s", err.message);
		return 1;
	}
	app->data_dir = dir;
	if (!create && cb_setup_check(app, &err)) {
		cb_cli_error("%s; create one with 'casebook init --data %s'", err.message, dir);
		cb_db_close(app->db);
		app->db = NULL;
		return 1;
	}
	return 0;
}

int cb_cli_open(cb_app *app, int argc, char **argv, const char *usage)
{
	return open_data(app, argc, argv, usage, 0);
}

/* ---- init ---- */

static const char init_usage[] =
	"usage: casebook init --data DIR [--admin-email EMAIL]\n"
	"Creates DIR with an empty database, the first admin user and the default\n"
	"account, and prints an admin API token as the last line of stdout.\n";

static int cmd_init(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(init_usage, stdout);
		return 0;
	}
	cb_app app = {0};
	int rc = open_data(&app, argc, argv, init_usage, 1);
	if (rc)
		return rc;
	const char *email = cb_cli_opt(argc, argv, "--admin-email");
	cb_arena *a = cb_arena_new();
	char *token = NULL;
	cb_err err = {0};
	rc = cb_setup_init(&app, a, email ? email : "admin@casebook.local", cb_now_ms(), &token,
			   &err);
	if (rc == 0) {
		printf("initialized %s\nadmin: %s\n%s\n", app.data_dir,
		       email ? email : "admin@casebook.local", token);
	} else {
		cb_cli_error("%s", err.message);
	}
	cb_arena_free(a);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- serve ---- */

static const char serve_usage[] =
	"usage: casebook serve --data DIR [--listen HOST:PORT] [--threads N]\n"
	"                      [--max-body BYTES] [--max-conns N] [--max-inflight N]\n"
	"                      [--max-write-queue N] [--max-write-wait MS]\n"
	"                      [--sync full|normal] [--lmtp HOST:PORT] [--quiet]\n"
	"                      [--rate-customer R] [--rate-staff R] [--rate-anonymous R]\n"
	"                      [--trusted-proxy ADDR]\n"
	"Serves the HTTP API on HOST:PORT (default 127.0.0.1:8080; port 0 picks a\n"
	"free one). --threads N runs an epoll pool of N threads; 0 (default) runs a\n"
	"thread per connection. Stops gracefully on SIGTERM or SIGINT.\n"
	"Overload: beyond --max-conns (default 1024) connections are refused; beyond\n"
	"--max-inflight requests (default 256) a request gets 503 with Retry-After\n"
	"at once (never /healthz or /metrics); a write gets 503 when --max-write-queue\n"
	"writes (default 4096) already wait for the writer, or when it waited\n"
	"--max-write-wait ms (default 10000; 0 = no limit) without being started.\n"
	"Rates (requests per second, bursts of 5 s worth; 0 = no limit): each\n"
	"customer --rate-customer (default 20), each agent, engineer or admin\n"
	"--rate-staff (default 0), each client address on public routes and failed\n"
	"credentials --rate-anonymous (default 20); beyond it 429 with Retry-After.\n"
	"Health, metrics and the static pages are never limited. Behind a reverse\n"
	"proxy at ADDR, --trusted-proxy ADDR takes a request's client address from\n"
	"the last X-Forwarded-For entry and its scheme from X-Forwarded-Proto (only\n"
	"for connections from ADDR; from anyone else both headers are ignored).\n"
	"--lmtp HOST:PORT also accepts mail from an MTA over LMTP (RFC 2033); IMAP\n"
	"polling and outgoing SMTP are set through /api/v1/mail/settings.\n";

/* serve's HTTP and write-queue options into o (host is its buffer for the
 * --listen host); 2 after naming a bad one. */
static int serve_http_opts(int argc, char **argv, cb_http_opts *o, char *host, size_t hostlen,
			   int *max_queue, int *max_wait)
{
	const char *listen = cb_cli_opt(argc, argv, "--listen");
	if (listen) {
		const char *colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= hostlen) {
			cb_cli_error("--listen expects HOST:PORT");
			return 2;
		}
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		o->host = host;
		char *end = NULL;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 0 || p > 65535) {
			cb_cli_error("invalid port in --listen");
			return 2;
		}
		o->port = (int)p;
	}
	const char *t = cb_cli_opt(argc, argv, "--threads");
	if (t)
		o->threads = atoi(t);
	const char *mb = cb_cli_opt(argc, argv, "--max-body");
	if (mb)
		o->max_body = (size_t)strtoull(mb, NULL, 10);
	const char *mc = cb_cli_opt(argc, argv, "--max-conns");
	if (mc)
		o->max_conns = (unsigned)strtoul(mc, NULL, 10);
	const char *mi = cb_cli_opt(argc, argv, "--max-inflight");
	if (mi)
		o->max_inflight = (unsigned)strtoul(mi, NULL, 10);
	const char *mq = cb_cli_opt(argc, argv, "--max-write-queue");
	*max_queue = mq ? atoi(mq) : 4096;
	const char *mw = cb_cli_opt(argc, argv, "--max-write-wait");
	*max_wait = mw ? atoi(mw) : 10000;
	if ((mi && o->max_inflight == 0) || *max_queue <= 0 || *max_wait < 0) {
		cb_cli_error("--max-inflight and --max-write-queue must be positive, "
			     "--max-write-wait at least 0");
		return 2;
	}
	return 0;
}

/* serve's rate options, configured into the rate limiter; 2 after naming
 * a bad one. */
static int serve_rates(int argc, char **argv)
{
	static const struct {
		const char *opt;
		cb_rl_class cls;
		double def;
	} rates[] = {{"--rate-customer", CB_RL_CUSTOMER, 20},
		     {"--rate-staff", CB_RL_STAFF, 0},
		     {"--rate-anonymous", CB_RL_ANONYMOUS, 20}};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		const char *v = cb_cli_opt(argc, argv, rates[i].opt);
		char *end = NULL;
		double r = v ? strtod(v, &end) : rates[i].def;
		if (v && (end == v || *end || r < 0 || r > 1e6)) {
			cb_cli_error("%s expects a number of requests per second (0 = no limit)",
				     rates[i].opt);
			return 2;
		}
		cb_rl_configure(rates[i].cls, r);
	}
	return 0;
}

/* serve's --lmtp HOST:PORT (host stays empty without it); 2 when bad. */
static int serve_lmtp_opt(int argc, char **argv, char *host, size_t hostlen, int *port)
{
	const char *lmtp = cb_cli_opt(argc, argv, "--lmtp");
	if (!lmtp)
		return 0;
	const char *colon = strrchr(lmtp, ':');
	char *end = NULL;
	long p = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || (size_t)(colon - lmtp) >= hostlen || colon == lmtp || !end ||
	    *end || p < 0 || p > 65535) {
		cb_cli_error("--lmtp expects HOST:PORT");
		return 2;
	}
	memcpy(host, lmtp, (size_t)(colon - lmtp));
	host[colon - lmtp] = '\0';
	*port = (int)p;
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(serve_usage, stdout);
		return 0;
	}
	/* block the shutdown signals in every thread; the server sigwaits */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	cb_http_opts o = {.host = "127.0.0.1", .port = 8080, .threads = 0,
			  .max_body = 1 << 20, .max_conns = 1024, .max_inflight = 256,
			  .shutdown_grace_s = 30};
	char host[64];
	int max_queue, max_wait;
	if (serve_http_opts(argc, argv, &o, host, sizeof host, &max_queue, &max_wait) ||
	    serve_rates(argc, argv))
		return 2;
	o.trusted_proxy = cb_cli_opt(argc, argv, "--trusted-proxy");
	o.quiet = cb_cli_flag(argc, argv, "--quiet");
	char lmtp_host[64] = "";
	int lmtp_port = 0;
	if (serve_lmtp_opt(argc, argv, lmtp_host, sizeof lmtp_host, &lmtp_port))
		return 2;
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, serve_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	/* one server per data directory, and no restore beneath it */
	int lock = cb_db_lock_dir(app.data_dir, &err);
	if (lock < 0) {
		cb_cli_error("%s", err.message);
		cb_db_close(app.db);
		return 1;
	}
	cb_db_set_write_limits(app.db, max_queue, max_wait);
	/* the job system (timers, re-folds, the outbox, IMAP, the indexer, the
	 * portal-activity flush: src/jobs/kinds.c) runs while the server does;
	 * its threads inherit the blocked signal mask set above */
	rc = cb_jobs_serve_start(&app, &err);
	if (rc == 0 && lmtp_host[0]) {
		int bound = 0;
		rc = cb_mailsvc_lmtp_start(&app, lmtp_host, lmtp_port, &bound, &err);
		if (rc == 0 && !o.quiet)
			fprintf(stderr, "lmtp listening on %s:%d\n", lmtp_host, bound);
	}
	if (rc == 0)
		rc = cb_http_serve(&app, &o, &err);
	if (rc)
		cb_cli_error("%s", err.message);
	cb_mailsvc_lmtp_stop();
	cb_jobs_serve_stop(); /* queued portal activity is written before the close */
	cb_db_close(app.db);
	cb_db_unlock_dir(lock);
	return rc ? 1 : 0;
}

/* ---- backup / restore ---- */

static const char backup_usage[] =
	"usage: casebook backup --data DIR FILE\n"
	"Writes a consistent copy of the live database to FILE (SQLite online backup).\n";

static const char *last_positional(int argc, char **argv)
{
	if (argc < 2 || argv[argc - 1][0] == '-')
		return NULL;
	if (argc >= 3 && argv[argc - 2][0] == '-' && argv[argc - 2][1] == '-' &&
	    !strchr(argv[argc - 2], '=') && strcmp(argv[argc - 2], "--quiet") != 0)
		return NULL; /* it is an option's value */
	return argv[argc - 1];
}

static int cmd_backup(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(backup_usage, stdout);
		return 0;
	}
	const char *file = last_positional(argc, argv);
	if (!file) {
		fputs(backup_usage, stderr);
		return 2;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, backup_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	cb_cli_progress *p = cb_cli_progress_start("backing up", "pages");
	cb_progress pr = cb_cli_progress_sink(p);
	rc = cb_db_backup_progress(app.db, file, &pr, &err);
	cb_cli_progress_end(p);
	if (rc)
		cb_cli_error("%s", err.message);
	else
		printf("backup written to %s\n", file);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

static const char restore_usage[] =
	"usage: casebook restore --data DIR FILE\n"
	"Replaces the database in DIR with the backup FILE, creating DIR when it does\n"
	"not exist. Refused while a server runs on DIR (stop it first).\n";

static int cmd_restore(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(restore_usage, stdout);
		return 0;
	}
	const char *dir = cb_cli_opt(argc, argv, "--data");
	const char *file = last_positional(argc, argv);
	if (!dir || !file) {
		fputs(restore_usage, stderr);
		return 2;
	}
	cb_err err = {0};
	cb_cli_progress *p = cb_cli_progress_start("restoring", "pages");
	cb_progress pr = cb_cli_progress_sink(p);
	int failed = cb_db_restore_file_progress(dir, file, &pr, &err);
	cb_cli_progress_end(p);
	if (failed) {
		cb_cli_error("%s", err.message);
		return 1;
	}
	printf("restored %s from %s\n", dir, file);
	return 0;
}

/* ---- check ---- */

static const char check_usage[] =
	"usage: casebook check --data DIR\n"
	"Runs SQLite's integrity check and verifies that every ticket row equals\n"
	"the fold of its event log. Exit 0 when all is consistent, 1 otherwise.\n";

static int cmd_check(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(check_usage, stdout);
		return 0;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, check_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	cb_check_report r;
	cb_cli_progress *p = cb_cli_progress_start("checking", "tickets");
	app.progress = cb_cli_progress_sink(p);
	rc = cb_check_run(&app, &r, &err);
	cb_cli_progress_end(p);
	if (rc) {
		cb_cli_error("%s", err.message);
	} else {
		printf("integrity ok\n%lld tickets checked, %lld differ from their event log\n",
		       (long long)r.tickets, (long long)r.mismatched);
		if (r.mismatched) {
			printf("first mismatch: ticket %lld\n", (long long)r.first_bad);
			rc = 1;
		}
	}
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- demo ---- */

static const char demo_usage[] =
	"usage: casebook demo --data DIR [--tickets N] [--days N] [--seed N]\n"
	"Loads a demo data set into an initialized DIR: accounts of every tier,\n"
	"agents, engineers, customers, groups, N tickets (default 300, at most\n"
	"100000) in every status spread over the past N days (default 42, at most\n"
	"3650), a knowledge base (articles, runbooks, a known error), incidents,\n"
	"defects, a problem and macros. --seed N (default 42) picks another data set.\n"
	"A data directory takes the demo data once: a second run changes nothing\n"
	"and exits 1.\n";

/* A whole number in [lo, hi], else an error line naming the option. */
static int demo_number(const char *opt, const char *v, long long lo, long long hi, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long n = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *end || errno || n < lo || n > hi) {
		fprintf(stderr, "casebook demo: %s: must be a whole number from %lld to %lld (got '%s')\n",
			opt, lo, hi, v ? v : "");
		return -1;
	}
	*out = n;
	return 0;
}

/* long: every argument checked and named before anything runs, then the run */
static int cmd_demo(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(demo_usage, stdout);
		return 0;
	}
	/* every argument is checked, and every bad one named, before anything runs */
	cb_demo_opts o = {0};
	int bad = 0;
	const char *data = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		static const char *const valued[] = {"--data", "--tickets", "--days", "--seed",
						     "--sync", NULL};
		const char *name = NULL, *v = NULL;
		for (const char *const *k = valued; *k && !name; k++) {
			size_t n = strlen(*k);
			if (strncmp(a, *k, n) == 0 && (a[n] == '=' || a[n] == '\0')) {
				name = *k;
				if (a[n] == '=')
					v = a + n + 1;
				else if (i + 1 < argc)
					v = argv[++i];
			}
		}
		if (!name) {
			fprintf(stderr, "casebook demo: %s: %s\n", a,
				a[0] == '-' ? "unknown option" : "unexpected argument");
			bad = 1;
			continue;
		}
		long long n;
		if (!v) {
			fprintf(stderr, "casebook demo: %s: needs a value\n", name);
			bad = 1;
		} else if (strcmp(name, "--data") == 0) {
			data = v;
		} else if (strcmp(name, "--tickets") == 0) {
			if (demo_number(name, v, 1, 100000, &n))
				bad = 1;
			else
				o.tickets = (int)n;
		} else if (strcmp(name, "--days") == 0) {
			if (demo_number(name, v, 1, 3650, &n))
				bad = 1;
			else
				o.days = (int)n;
		} else if (strcmp(name, "--seed") == 0) {
			if (demo_number(name, v, 1, 4294967295LL, &n))
				bad = 1;
			else
				o.seed = (unsigned)n;
		} else if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0) { /* --sync */
			fprintf(stderr, "casebook demo: --sync: must be full or normal (got '%s')\n", v);
			bad = 1;
		}
	}
	if (!data && !bad) {
		fputs("casebook demo: --data: required\n", stderr);
		bad = 1;
	}
	if (bad) {
		fputs(demo_usage, stderr);
		return 2;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, demo_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	cb_demo_report r;
	cb_cli_progress *p = cb_cli_progress_start("loading demo data", "tickets");
	app.progress = cb_cli_progress_sink(p);
	rc = cb_demo_load(&app, &o, cb_now_ms(), &r, &err);
	cb_cli_progress_end(p);
	if (rc)
		cb_cli_error("%s", err.message);
	else
		printf("demo data: %d accounts, %d users, %d groups, %d tickets, %d events, "
		       "%d articles\n",
		       r.accounts, r.users, r.groups, r.tickets, r.events, r.articles);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- sla explain ---- */

static const char sla_usage[] =
	"usage: casebook sla explain --data DIR TICKET\n"
	"Lists every start, pause, resume, fulfilment, breach, cancellation and\n"
	"policy switch of the ticket's SLA clocks in time order, with instants and\n"
	"the business time accrued (seconds, and in days, hours and minutes), as of\n"
	"now. The clock rules are those of docs/metrics.md.\n";

/* "5400 s (1 h 30 min)": seconds, then the same span in hours and minutes
 * (never days: a business clock's 24 h are not a calendar day). */
static void fmt_span(char *buf, size_t n, long long s)
{
	long long a = s < 0 ? -s : s;
	long long h = a / 3600, m = a % 3600 / 60, sec = a % 60;
	char human[64] = "";
	size_t k = 0;
	if (h)
		k += (size_t)snprintf(human + k, sizeof human - k, "%lld h", h);
	if (m)
		k += (size_t)snprintf(human + k, sizeof human - k, "%s%lld min", k ? " " : "", m);
	if (sec && !h)
		k += (size_t)snprintf(human + k, sizeof human - k, "%s%lld s", k ? " " : "", sec);
	if (a < 60)
		snprintf(buf, n, "%lld s", s);
	else
		snprintf(buf, n, "%lld s (%s%s)", s, s < 0 ? "-" : "", human);
}

static int cmd_sla(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(sla_usage, stdout);
		return 0;
	}
	const char *id_s = last_positional(argc, argv);
	char *end = NULL;
	long long id = id_s ? strtoll(id_s, &end, 10) : 0;
	if (argc < 3 || strcmp(argv[1], "explain") != 0 || !id_s || *end || id <= 0) {
		fputs(sla_usage, stderr);
		return 2;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, sla_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	cb_conn *c = cb_db_reader(app.db, &err);
	cb_ms now = cb_now_ms();
	json_t *h = c ? cb_slasvc_history(c, id, now, &err) : NULL;
	json_t *sla = h ? cb_slasvc_render(c, id, 0, now, &err) : NULL;
	if (!h || !sla) {
		cb_cli_error("%s", err.message);
		rc = 1;
	} else {
		printf("ticket %lld, policy %s\n", id,
		       json_is_string(json_object_get(sla, "policy")) ? json_string_value(json_object_get(sla, "policy")) : "(none)");
		/* the engine lists the steps in the order they happened */
		json_t *items = json_object_get(h, "items");
		size_t n = json_array_size(items);
		/* the spans first, so their columns are as wide as the longest */
		char(*span)[2][64] = cb_xcalloc(n ? n : 1, sizeof *span);
		int we = (int)strlen("elapsed"), wt = (int)strlen("target");
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(items, i);
			json_t *tg = json_object_get(e, "target_s");
			fmt_span(span[i][0], sizeof span[i][0],
				 (long long)json_integer_value(json_object_get(e, "elapsed_s")));
			if (json_is_integer(tg))
				fmt_span(span[i][1], sizeof span[i][1], (long long)json_integer_value(tg));
			else
				snprintf(span[i][1], sizeof span[i][1], "-");
			if ((int)strlen(span[i][0]) > we)
				we = (int)strlen(span[i][0]);
			if ((int)strlen(span[i][1]) > wt)
				wt = (int)strlen(span[i][1]);
		}
		printf("%-20s  %-14s  %4s  %-8s  %-*s  %-*s  %s\n", "at", "clock", "inst", "kind", we,
		       "elapsed", wt, "target", "policy");
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(items, i);
			json_t *pol = json_object_get(e, "policy");
			const char *at = json_string_value(json_object_get(e, "at"));
			printf("%-20s  %-14s  %4lld  %-8s  %-*s  %-*s  %s\n", at ? at : "-",
			       json_string_value(json_object_get(e, "clock")),
			       (long long)json_integer_value(json_object_get(e, "instance")),
			       json_string_value(json_object_get(e, "kind")), we, span[i][0], wt,
			       span[i][1], json_is_string(pol) ? json_string_value(pol) : "-");
		}
		cb_free(span);
		static const char *const clocks[] = {"first_response", "next_update", "resolution"};
		for (int k = 0; k < 3; k++) {
			json_t *cl = json_object_get(sla, clocks[k]);
			if (!cl)
				continue;
			char elapsed[64], target[64];
			fmt_span(elapsed, sizeof elapsed, (long long)json_integer_value(json_object_get(cl, "elapsed_s")));
			fmt_span(target, sizeof target, (long long)json_integer_value(json_object_get(cl, "target_s")));
			printf("%s: %s, %s of %s%s%s\n", clocks[k],
			       json_string_value(json_object_get(cl, "state")), elapsed, target,
			       json_is_string(json_object_get(cl, "breached_at")) ? ", breached at " : "",
			       json_is_string(json_object_get(cl, "breached_at")) ? json_string_value(json_object_get(cl, "breached_at")) : "");
		}
	}
	json_decref(h);
	json_decref(sla);
	cb_db_close(app.db);
	return rc;
}

static const cb_cli_command commands[] = {
	{"init", cmd_init, "create a data directory and the first admin token"},
	{"serve", cmd_serve, "serve the HTTP API"},
	{"backup", cmd_backup, "write an online backup of the database"},
	{"restore", cmd_restore, "restore the database from a backup"},
	{"demo", cmd_demo, "load a demo data set"},
	{"sla", cmd_sla, "explain a ticket's SLA clocks (sla explain TICKET)"},
	{"check", cmd_check, "verify database integrity and every ticket's event log"},
	CB_CLI_MORE_COMMANDS
};

static void usage(FILE *f)
{
	fputs("usage: casebook COMMAND [OPTIONS]\n\nCommands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'casebook COMMAND --help' for a command's options.\n", f);
}

int cb_cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("casebook %s\n", CB_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			int rc = commands[i].run(argc - 1, argv + 1);
			cb_slasvc_cache_shutdown();
			cb_calcache_shutdown();
			return rc;
		}
	cb_cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
