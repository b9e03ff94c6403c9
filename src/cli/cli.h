/* cli.h - the casebook command line: one function per subcommand.
 * Exit codes: 0 ok, 1 failure, 2 usage. */
#ifndef CB_CLI_H
#define CB_CLI_H

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cb_cli_command;

int cb_cli_main(int argc, char **argv);

/* Shared helpers for subcommands. */
/* Finds "--name VALUE" or "--name=VALUE"; NULL if absent. */
const char *cb_cli_opt(int argc, char **argv, const char *name);
int cb_cli_flag(int argc, char **argv, const char *name); /* 1 if present */
int cb_cli_wants_help(int argc, char **argv);
/* Prints "casebook: MESSAGE" to stderr. */
void cb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
