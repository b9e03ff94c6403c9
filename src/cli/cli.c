/* cli.c - subcommand table and the commands that run the instance
 * (init, serve, backup, restore). Other subcommands live in cli/cmd_*.c. */
#include "cli/cli.h"
#include "api/ratelimit.h"
#include "cli/commands.h"
#include "app/auth.h"
#include "app/check.h"
#include "app/demo.h"
#include "app/jobs.h"
#include "app/kb_log.h"
#include "app/search_indexer.h"
#include "app/calendar_cache.h"
#include "app/sla.h"
#include "app/setup.h"
#include "http/server.h"
#include "app/mail_channels.h"
#include "app/mail_out.h"
#include "util/alloc.h"

#include <signal.h>
#include <pthread.h>
#include <jansson.h>
#include <stdarg.h>
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

int cb_cli_open(cb_app *app, int argc, char **argv, const char *usage)
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
	cb_db_opts o = {.synchronous_full = 1};
	const char *sync = cb_cli_opt(argc, argv, "--sync");
	if (sync && strcmp(sync, "normal") == 0)
		o.synchronous_full = 0;
	cb_err err = {0};
	if (cb_db_open(&app->db, dir, &o, &err)) {
		cb_cli_error("%s", err.message);
		return 1;
	}
	app->data_dir = dir;
	return 0;
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
	int rc = cb_cli_open(&app, argc, argv, init_usage);
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
	const char *listen = cb_cli_opt(argc, argv, "--listen");
	char host[64];
	if (listen) {
		const char *colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof host) {
			cb_cli_error("--listen expects HOST:PORT");
			return 2;
		}
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		o.host = host;
		char *end = NULL;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 0 || p > 65535) {
			cb_cli_error("invalid port in --listen");
			return 2;
		}
		o.port = (int)p;
	}
	const char *t = cb_cli_opt(argc, argv, "--threads");
	if (t)
		o.threads = atoi(t);
	const char *mb = cb_cli_opt(argc, argv, "--max-body");
	if (mb)
		o.max_body = (size_t)strtoull(mb, NULL, 10);
	const char *mc = cb_cli_opt(argc, argv, "--max-conns");
	if (mc)
		o.max_conns = (unsigned)strtoul(mc, NULL, 10);
	const char *mi = cb_cli_opt(argc, argv, "--max-inflight");
	if (mi)
		o.max_inflight = (unsigned)strtoul(mi, NULL, 10);
	const char *mq = cb_cli_opt(argc, argv, "--max-write-queue");
	int max_queue = mq ? atoi(mq) : 4096;
	const char *mw = cb_cli_opt(argc, argv, "--max-write-wait");
	int max_wait = mw ? atoi(mw) : 10000;
	if ((mi && o.max_inflight == 0) || max_queue <= 0 || max_wait < 0) {
		cb_cli_error("--max-inflight and --max-write-queue must be positive, "
			     "--max-write-wait at least 0");
		return 2;
	}
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
	o.trusted_proxy = cb_cli_opt(argc, argv, "--trusted-proxy");
	o.quiet = cb_cli_flag(argc, argv, "--quiet");
	char lmtp_host[64] = "";
	int lmtp_port = 0;
	const char *lmtp = cb_cli_opt(argc, argv, "--lmtp");
	if (lmtp) {
		const char *colon = strrchr(lmtp, ':');
		char *end = NULL;
		long p = colon ? strtol(colon + 1, &end, 10) : -1;
		if (!colon || (size_t)(colon - lmtp) >= sizeof lmtp_host || colon == lmtp || !end ||
		    *end || p < 0 || p > 65535) {
			cb_cli_error("--lmtp expects HOST:PORT");
			return 2;
		}
		memcpy(lmtp_host, lmtp, (size_t)(colon - lmtp));
		lmtp_host[colon - lmtp] = '\0';
		lmtp_port = (int)p;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, serve_usage);
	if (rc)
		return rc;
	cb_db_set_write_limits(app.db, max_queue, max_wait);
	cb_err err = {0};
	/* the job scheduler (SLA timers, re-folds) runs while the server does;
	 * it inherits the blocked signal mask set above */
	rc = cb_jobs_start(&app, &err);
	if (rc == 0)
		rc = cb_search_indexer_start(&app, &err); /* search_pending (migration 011) */
	if (rc == 0)
		rc = cb_mail_sender_start(&app, &err); /* the outbox (app/mail_out.h) */
	if (rc == 0)
		rc = cb_mail_poller_start(&app, &err); /* IMAP, when configured */
	if (rc == 0 && lmtp_host[0]) {
		int bound = 0;
		rc = cb_mail_lmtp_start(&app, lmtp_host, lmtp_port, &bound, &err);
		if (rc == 0 && !o.quiet)
			fprintf(stderr, "lmtp listening on %s:%d\n", lmtp_host, bound);
	}
	if (rc == 0)
		rc = cb_http_serve(&app, &o, &err);
	if (rc)
		cb_cli_error("%s", err.message);
	cb_mail_lmtp_stop();
	cb_mail_poller_stop();
	cb_mail_sender_stop();
	cb_search_indexer_stop();
	cb_kb_log_stop(); /* queued portal activity is written before the close */
	cb_jobs_stop();
	cb_db_close(app.db);
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
	rc = cb_db_backup(app.db, file, &err);
	if (rc)
		cb_cli_error("%s", err.message);
	else
		printf("backup written to %s\n", file);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

static const char restore_usage[] =
	"usage: casebook restore --data DIR FILE\n"
	"Replaces the database in DIR with the backup FILE (the server must be stopped).\n";

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
	if (cb_db_restore_file(dir, file, &err)) {
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
	rc = cb_check_run(&app, &r, &err);
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
	"agents, engineers, customers, groups and N tickets (default 300) in every\n"
	"status spread over the past N days (default 42).\n";

static int cmd_demo(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(demo_usage, stdout);
		return 0;
	}
	cb_demo_opts o = {0};
	const char *v;
	if ((v = cb_cli_opt(argc, argv, "--tickets")))
		o.tickets = atoi(v);
	if ((v = cb_cli_opt(argc, argv, "--days")))
		o.days = atoi(v);
	if ((v = cb_cli_opt(argc, argv, "--seed")))
		o.seed = (unsigned)strtoul(v, NULL, 10);
	if (o.tickets < 0 || o.days < 0) {
		fputs(demo_usage, stderr);
		return 2;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, demo_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	cb_demo_report r;
	rc = cb_demo_load(&app, &o, cb_now_ms(), &r, &err);
	if (rc)
		cb_cli_error("%s", err.message);
	else
		printf("demo data: %d accounts, %d users, %d groups, %d tickets, %d events\n",
		       r.accounts, r.users, r.groups, r.tickets, r.events);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- sla explain ---- */

static const char sla_usage[] =
	"usage: casebook sla explain --data DIR TICKET\n"
	"Lists every start, pause, resume, fulfilment, breach, cancellation and\n"
	"policy switch of the ticket's SLA clocks, with instants and the business\n"
	"time accrued, as of now.\n";

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
	json_t *h = c ? cb_sla_history(c, id, now, &err) : NULL;
	json_t *sla = h ? cb_sla_render(c, id, 0, now, &err) : NULL;
	if (!h || !sla) {
		cb_cli_error("%s", err.message);
		rc = 1;
	} else {
		printf("ticket %lld, policy %s\n", id,
		       json_is_string(json_object_get(sla, "policy")) ? json_string_value(json_object_get(sla, "policy")) : "(none)");
		printf("%-24s %-15s %-4s %-8s %12s %12s  %s\n", "at", "clock", "inst", "kind",
		       "elapsed_s", "target_s", "policy");
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(h, "items"), i, e) {
			json_t *tg = json_object_get(e, "target_s");
			json_t *pol = json_object_get(e, "policy");
			char target[24];
			if (json_is_integer(tg))
				snprintf(target, sizeof target, "%lld", (long long)json_integer_value(tg));
			else
				snprintf(target, sizeof target, "-");
			printf("%-24s %-15s %-4lld %-8s %12lld %12s  %s\n",
			       json_string_value(json_object_get(e, "at")),
			       json_string_value(json_object_get(e, "clock")),
			       (long long)json_integer_value(json_object_get(e, "instance")),
			       json_string_value(json_object_get(e, "kind")),
			       (long long)json_integer_value(json_object_get(e, "elapsed_s")), target,
			       json_is_string(pol) ? json_string_value(pol) : "-");
		}
		static const char *const clocks[] = {"first_response", "next_update", "resolution"};
		for (int k = 0; k < 3; k++) {
			json_t *cl = json_object_get(sla, clocks[k]);
			if (!cl)
				continue;
			printf("%s: %s, %lld of %lld s%s%s\n", clocks[k],
			       json_string_value(json_object_get(cl, "state")),
			       (long long)json_integer_value(json_object_get(cl, "elapsed_s")),
			       (long long)json_integer_value(json_object_get(cl, "target_s")),
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
			cb_sla_cache_shutdown();
			cb_cal_cache_shutdown();
			return rc;
		}
	cb_cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
