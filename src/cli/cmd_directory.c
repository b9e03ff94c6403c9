/* cmd_directory.c - `casebook account add`, `casebook user add` and
 * `casebook token create`.
 *
 * Each command parses its options strictly (an unknown option is a usage
 * error, exit 2), fills the same input struct the API decodes into, runs the
 * same database-free check (app/directory/directory.h) and then the same use case in
 * a cb_db_write() job, acting as the system (audit rows carry no actor).
 * Exit codes: 0 ok, 1 failure, 2 usage. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "app/directory/directory.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cb_actor cli_actor = {.user_id = 0, .role = CB_ROLE_ADMIN, .email = "cli"};

struct opt {
	const char *name;
	int takes_value;
};

/* Every argument after the subcommand must be a known option; 0 ok, 2 usage. */
static int check_opts(int argc, char **argv, const struct opt *opts, size_t nopts,
		      const char *usage)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const struct opt *o = NULL;
		for (size_t k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == n && strncmp(opts[k].name, a, n) == 0)
				o = &opts[k];
		if (!o) {
			cb_cli_error("unknown option '%s'", a);
			fputs(usage, stderr);
			return 2;
		}
		if (o->takes_value && !eq) {
			if (i + 1 >= argc) {
				cb_cli_error("option %s needs a value", o->name);
				fputs(usage, stderr);
				return 2;
			}
			i++;
		} else if (!o->takes_value && eq) {
			cb_cli_error("option %s takes no value", o->name);
			fputs(usage, stderr);
			return 2;
		}
	}
	return 0;
}

/* Handles "casebook NOUN [--help]" and "NOUN VERB --help"; 1 when the
 * caller should go on with argv shifted to VERB, else *rc is the exit code. */
static int subcommand(int argc, char **argv, const char *verb, const char *usage, int *rc)
{
	if (argc < 2 || argv[1][0] == '-') {
		int help = argc >= 2 && cb_cli_wants_help(argc, argv);
		fputs(usage, help ? stdout : stderr);
		*rc = help ? 0 : 2;
		return 0;
	}
	if (strcmp(argv[1], verb) != 0) {
		cb_cli_error("unknown %s command '%s'", argv[0], argv[1]);
		fputs(usage, stderr);
		*rc = 2;
		return 0;
	}
	if (cb_cli_wants_help(argc - 1, argv + 1)) {
		fputs(usage, stdout);
		*rc = 0;
		return 0;
	}
	return 1;
}

/* Prints err with one line per field error. */
static void print_err(const cb_err *err)
{
	if (err->nitems == 0) {
		cb_cli_error("%s", err->message);
		return;
	}
	for (int i = 0; i < err->nitems; i++)
		cb_cli_error("%s: %s", err->items[i].field, err->items[i].message);
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT);
	fputc('\n', stdout);
}

/* A reference given on the command line: digits are an id, else a name. */
static json_t *ref_arg(const char *s)
{
	size_t n = strlen(s);
	if (n > 0 && n < 19 && strspn(s, "0123456789") == n)
		return json_integer(strtoll(s, NULL, 10));
	return json_string(s); /* NULL if not UTF-8 */
}

/* ---- account add ---- */

static const char account_usage[] =
	"usage: casebook account add --data DIR --name NAME --tier TIER [--domain DOMAIN]...\n"
	"Creates a customer account. TIER is enterprise, business or standard; each\n"
	"--domain adds an e-mail domain whose senders belong to the account.\n"
	"Prints the account as JSON.\n";

static const struct opt account_opts[] = {
	{"--data", 1}, {"--sync", 1}, {"--name", 1}, {"--tier", 1}, {"--domain", 1},
};

struct account_job {
	cb_arena *a;
	cb_dir_account_in *in;
	json_t *out;
};

static int account_fn(cb_conn *c, void *p, cb_err *err)
{
	struct account_job *j = p;
	int64_t id = 0;
	if (cb_dir_account_create(c, j->a, &cli_actor, cb_now_ms(), j->in, &id, err))
		return -1;
	return cb_dir_account_get(c, NULL, id, &j->out, err);
}

int cb_cmd_account(int argc, char **argv)
{
	int rc = 0;
	if (!subcommand(argc, argv, "add", account_usage, &rc))
		return rc;
	argc--;
	argv++;
	if ((rc = check_opts(argc, argv, account_opts, sizeof account_opts / sizeof account_opts[0],
			     account_usage)))
		return rc;
	const char *name = cb_cli_opt(argc, argv, "--name");
	const char *tier = cb_cli_opt(argc, argv, "--tier");
	if (!name || !tier || !cb_cli_opt(argc, argv, "--data")) {
		fputs(account_usage, stderr);
		return 2;
	}
	json_t *domains = json_array();
	for (int i = 1; i < argc; i++) {
		const char *d = NULL;
		if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
			d = argv[++i];
		else if (strncmp(argv[i], "--domain=", 9) == 0)
			d = argv[i] + 9;
		else if (argv[i][0] == '-' && !strchr(argv[i], '='))
			i++; /* skip another option's value */
		if (d) {
			json_t *v = json_string(d); /* NULL if not UTF-8: reported by the check */
			json_array_append_new(domains, v ? v : json_null());
		}
	}
	cb_app app = {0};
	if ((rc = cb_cli_open(&app, argc, argv, account_usage))) {
		json_decref(domains);
		return rc;
	}
	cb_arena *a = cb_arena_new();
	cb_err err = {0};
	cb_dir_account_in in = {.set = CB_DIR_ACCOUNT_NAME | CB_DIR_ACCOUNT_TIER, .name = name,
				.tier = tier};
	if (json_array_size(domains)) {
		in.set |= CB_DIR_ACCOUNT_DOMAINS;
		in.domains = domains;
	}
	struct account_job j = {.a = a, .in = &in};
	rc = cb_dir_account_check(&in, 0, a, &err) || cb_db_write(app.db, account_fn, &j, &err);
	if (rc) {
		print_err(&err);
	} else {
		print_json(j.out);
		json_decref(j.out);
	}
	json_decref(domains);
	cb_arena_free(a);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- user add ---- */

static const char user_usage[] =
	"usage: casebook user add --data DIR --email EMAIL --role ROLE [--name NAME]\n"
	"                         [--account ACCOUNT] [--password-stdin]\n"
	"Creates a user. ROLE is admin, agent, engineer or customer; customers need\n"
	"--account (an account id or name). --password-stdin reads the password\n"
	"(at least 8 characters) from the first line of standard input.\n"
	"Prints the user as JSON.\n";

static const struct opt user_opts[] = {
	{"--data", 1}, {"--sync", 1}, {"--email", 1}, {"--role", 1},
	{"--name", 1}, {"--account", 1}, {"--password-stdin", 0},
};

struct user_job {
	cb_arena *a;
	cb_dir_user_in *in;
	json_t *out;
};

static int user_fn(cb_conn *c, void *p, cb_err *err)
{
	struct user_job *j = p;
	int64_t id = 0;
	if (cb_dir_user_create(c, j->a, &cli_actor, cb_now_ms(), j->in, &id, err))
		return -1;
	return cb_dir_user_get(c, NULL, id, &j->out, err);
}

/* The first line of stdin (without its line ending) into the arena. */
static char *read_password(cb_arena *a)
{
	cb_buf b = {0};
	int ch;
	while ((ch = fgetc(stdin)) != EOF && ch != '\n' && b.len <= 4096) {
		char c = (char)ch;
		cb_buf_append(&b, &c, 1);
	}
	if (b.len && b.p[b.len - 1] == '\r')
		b.len--;
	char *s = cb_arena_strndup(a, b.p ? b.p : "", b.len);
	cb_buf_free(&b);
	return s;
}

int cb_cmd_user(int argc, char **argv)
{
	int rc = 0;
	if (!subcommand(argc, argv, "add", user_usage, &rc))
		return rc;
	argc--;
	argv++;
	if ((rc = check_opts(argc, argv, user_opts, sizeof user_opts / sizeof user_opts[0],
			     user_usage)))
		return rc;
	const char *email = cb_cli_opt(argc, argv, "--email");
	const char *role = cb_cli_opt(argc, argv, "--role");
	if (!email || !role || !cb_cli_opt(argc, argv, "--data")) {
		fputs(user_usage, stderr);
		return 2;
	}
	cb_dir_user_in in = {.set = CB_DIR_USER_EMAIL | CB_DIR_USER_ROLE, .email = email,
			     .role = role, .active = 1};
	const char *name = cb_cli_opt(argc, argv, "--name");
	if (name) {
		in.set |= CB_DIR_USER_NAME;
		in.name = name;
	}
	const char *account = cb_cli_opt(argc, argv, "--account");
	json_t *acc = NULL;
	if (account) {
		if (!(acc = ref_arg(account))) {
			cb_cli_error("--account is not valid UTF-8");
			return 1;
		}
		in.set |= CB_DIR_USER_ACCOUNT;
		in.account = acc;
	}
	cb_app app = {0};
	if ((rc = cb_cli_open(&app, argc, argv, user_usage))) {
		json_decref(acc);
		return rc;
	}
	cb_arena *a = cb_arena_new();
	if (cb_cli_flag(argc, argv, "--password-stdin")) {
		in.set |= CB_DIR_USER_PASSWORD;
		in.password = read_password(a);
	}
	cb_err err = {0};
	struct user_job j = {.a = a, .in = &in};
	rc = cb_dir_user_check(&in, 0, a, &err) || cb_db_write(app.db, user_fn, &j, &err);
	if (rc) {
		print_err(&err);
	} else {
		print_json(j.out);
		json_decref(j.out);
	}
	json_decref(acc);
	cb_arena_free(a);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

/* ---- token create ---- */

static const char token_usage[] =
	"usage: casebook token create --data DIR --user USER [--name LABEL]\n"
	"Creates an API token for USER (an e-mail or id) and prints it as the last\n"
	"line of stdout. The token is shown only this once.\n";

static const struct opt token_opts[] = {
	{"--data", 1}, {"--sync", 1}, {"--user", 1}, {"--name", 1},
};

struct token_job {
	cb_arena *a;
	cb_dir_token_in *in;
	json_t *out;
};

static int token_fn(cb_conn *c, void *p, cb_err *err)
{
	struct token_job *j = p;
	return cb_dir_token_create(c, j->a, &cli_actor, cb_now_ms(), j->in, &j->out, err);
}

int cb_cmd_token(int argc, char **argv)
{
	int rc = 0;
	if (!subcommand(argc, argv, "create", token_usage, &rc))
		return rc;
	argc--;
	argv++;
	if ((rc = check_opts(argc, argv, token_opts, sizeof token_opts / sizeof token_opts[0],
			     token_usage)))
		return rc;
	const char *user = cb_cli_opt(argc, argv, "--user");
	if (!user || !cb_cli_opt(argc, argv, "--data")) {
		fputs(token_usage, stderr);
		return 2;
	}
	const char *label = cb_cli_opt(argc, argv, "--name");
	json_t *ref = ref_arg(user), *lab = json_string(label ? label : "cli");
	if (!ref || !lab) {
		cb_cli_error("--user and --name must be valid UTF-8");
		json_decref(ref);
		json_decref(lab);
		return 1;
	}
	/* the same decoding and checks as a POST /api/v1/tokens body */
	json_t *body = json_pack("{s:o, s:o}", "user", ref, "name", lab);
	cb_app app = {0};
	if ((rc = cb_cli_open(&app, argc, argv, token_usage))) {
		json_decref(body);
		return rc;
	}
	cb_arena *a = cb_arena_new();
	cb_err err = {0};
	cb_dir_token_in in;
	struct token_job j = {.a = a, .in = &in};
	rc = cb_dir_token_from_json(&in, body, a, &err) || cb_db_write(app.db, token_fn, &j, &err);
	if (rc) {
		print_err(&err);
	} else {
		json_t *u = json_object_get(j.out, "user");
		printf("token %lld for %s\n%s\n",
		       (long long)json_integer_value(json_object_get(j.out, "id")),
		       json_string_value(json_object_get(u, "email")),
		       json_string_value(json_object_get(j.out, "token")));
		json_decref(j.out);
	}
	json_decref(body);
	cb_arena_free(a);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}
